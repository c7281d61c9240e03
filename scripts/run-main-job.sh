#!/usr/bin/env bash
# The main job of `make run`: the eight-Gaussian toy, then Fashion-MNIST end to end (train, sample,
# evaluate against the Gaussian, neural-potential and VAE baselines), then a summary table in runs/summary.md.
# Re-running continues where an interrupted run stopped (every stage is resumable).
set -euo pipefail
BIN=${1:-.build/release/latentot}
RUNS=${RUNS:-runs}
SEED=${SEED:-1}
mkdir -p "$RUNS"

echo "== eight Gaussians (the paper's toy)"
"$BIN" toy eight-gaussians --seed "$SEED" --out "$RUNS/eight-gaussians"

echo "== Fashion-MNIST: train (autoencoder, OT, VAE and neural-potential baselines)"
# The conv autoencoder (width 32) with the perceptual term (features of a small classifier trained
# first, not the evaluation's network; on every image of each batch) and a cosine schedule, then the
# unsharp mask after the decoder: its reconstructions are the ceiling of every sampler (README).
# The VAE baseline is the MLP one (the conv VAE would not fit the 10 minutes).
"$BIN" train --data fashion-mnist --architecture "${ARCHITECTURE:-conv}" --epochs "${EPOCHS:-5}" --cosine-schedule \
  --perceptual-weight "${PERCEPTUAL_WEIGHT:-1}" --perceptual-images "${PERCEPTUAL_IMAGES:-128}" --sharpen "${SHARPEN:-0.5}" \
  --vae-architecture mlp --vae-epochs "${VAE_EPOCHS:-3}" --neural-potential-steps "${NEURAL_POTENTIAL_STEPS:-1000}" \
  --latent-dimension 32 --time-budget "${OT_BUDGET:-45}" --seed "$SEED" --out "$RUNS/fashion-mnist" --no-evaluate

echo "== Fashion-MNIST: samples"
M="$RUNS/fashion-mnist"
"$BIN" sample --model "$M" --count 100 --sampler extended --seed "$SEED" --out "$M/samples.png"
"$BIN" sample --model "$M" --count 100 --sampler extended --blend-rule uniform --seed "$SEED" --out "$M/samples-aeot.png"
"$BIN" sample --model "$M" --count 100 --sampler pure --seed "$SEED" --out "$M/samples-pure.png"
"$BIN" sample --model "$M" --count 100 --generator gaussian --seed "$SEED" --out "$M/samples-gaussian.png"
"$BIN" sample --model "$M" --count 100 --generator vae --seed "$SEED" --out "$M/samples-vae.png"
"$BIN" sample --model "$M" --count 100 --generator neural-potential --seed "$SEED" --out "$M/samples-neural-potential.png"
"$BIN" interpolate --model "$M" --seed "$SEED" --out "$M/interpolation.png"

echo "== Fashion-MNIST: evaluation"
"$BIN" evaluate --model "$M" --seed "$SEED" --summary "$RUNS/summary.md"

echo
cat "$RUNS/summary.md"
echo
echo "pictures: $RUNS/eight-gaussians/samples.png, $M/samples*.png, $M/interpolation.png; reports: $RUNS/*/report.json, $M/evaluation/report.json"
