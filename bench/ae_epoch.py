#!/usr/bin/env python3
"""PyTorch side of `latentot-bench` case 4: seconds per training epoch of the Fashion-MNIST
autoencoders of METHOD.md section 5, on the same cores as the Swift side.

    python3 bench/ae_epoch.py --architecture conv --batches 469 --threads 2

Architectures (d = --latent-dimension, default 32):
  mlp : 784-512-256-d, ReLU, linear code; decoder d-256-512-784; sigmoid (folded into the loss).
  conv: Conv 4x4 1->32 s2 p1, LeakyReLU 0.2; Conv 4x4 32->64 s2 p1, BN, LeakyReLU;
        Conv 3x3 64->128 s2 p1, BN, LeakyReLU (28->14->7->4); Dense 2048->d.
        Decoder: Dense d->2048, BN, ReLU; ConvT 3x3 128->64 s2 p1, BN, ReLU (4->7);
        ConvT 4x4 64->32 s2 p1, BN, ReLU (->14); ConvT 4x4 32->1 s2 p1 (->28); sigmoid.
Loss: binary cross-entropy summed over the 784 pixels, mean over the batch; Adam 1e-3; batch 128.

OMP_WAIT_POLICY defaults to PASSIVE (see main). The bench runs this with --threads 1 and with all
cores and keeps the faster. Warm-up: 3 batches untimed; then --batches batches of a fixed shuffle are timed, and
seconds per epoch = seconds x (batches per epoch) / --batches. Prints one JSON line.
Needs torch and numpy; it is never installed by the bench.
"""
import argparse
import gzip
import json
import os
import sys
import time


def read_images(path):
    import numpy as np
    with gzip.open(path, "rb") if path.endswith(".gz") else open(path, "rb") as f:
        data = f.read()
    magic, count, rows, cols = (int.from_bytes(data[i:i + 4], "big") for i in range(0, 16, 4))
    if magic != 0x803:
        raise SystemExit(f"{path}: magic {magic:#x}, expected 0x803 (IDX images)")
    images = np.frombuffer(data, dtype=np.uint8, offset=16, count=count * rows * cols)
    return images.reshape(count, 1, rows, cols).astype(np.float32) / 255.0


def find_train_images(folder):
    for name in ("train-images-idx3-ubyte.gz", "train-images-idx3-ubyte", "train-images.idx3-ubyte"):
        path = os.path.join(folder, name)
        if os.path.exists(path):
            return path
    raise SystemExit(f"{folder}: no train-images-idx3-ubyte(.gz)")


def build(architecture, d):
    import torch.nn as nn
    if architecture == "mlp":
        encoder = nn.Sequential(nn.Flatten(), nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 256), nn.ReLU(),
                                nn.Linear(256, d))
        decoder = nn.Sequential(nn.Linear(d, 256), nn.ReLU(), nn.Linear(256, 512), nn.ReLU(), nn.Linear(512, 784),
                                nn.Unflatten(1, (1, 28, 28)))
    elif architecture == "conv":
        encoder = nn.Sequential(
            nn.Conv2d(1, 32, 4, 2, 1), nn.LeakyReLU(0.2),
            nn.Conv2d(32, 64, 4, 2, 1), nn.BatchNorm2d(64), nn.LeakyReLU(0.2),
            nn.Conv2d(64, 128, 3, 2, 1), nn.BatchNorm2d(128), nn.LeakyReLU(0.2),
            nn.Flatten(), nn.Linear(2048, d))
        decoder = nn.Sequential(
            nn.Linear(d, 2048), nn.BatchNorm1d(2048), nn.ReLU(), nn.Unflatten(1, (128, 4, 4)),
            nn.ConvTranspose2d(128, 64, 3, 2, 1), nn.BatchNorm2d(64), nn.ReLU(),
            nn.ConvTranspose2d(64, 32, 4, 2, 1), nn.BatchNorm2d(32), nn.ReLU(),
            nn.ConvTranspose2d(32, 1, 4, 2, 1))
    else:
        raise SystemExit(f"--architecture: expected mlp or conv, found {architecture}")
    return nn.Sequential(encoder, decoder)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--architecture", default="conv", choices=["mlp", "conv"])
    parser.add_argument("--batches", type=int, default=0, help="batches to time (0: a whole epoch)")
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    parser.add_argument("--data", default="/usr/share/datasets/fashion-mnist")
    parser.add_argument("--latent-dimension", type=int, default=32)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    # OpenMP threads that spin while they wait (GNU OpenMP's default) make PyTorch 10-50x slower
    # when other jobs share the cores (27 s instead of 0.6 s for 50 mlp batches on 2 threads at
    # load 4 here); sleeping waiters cost little on an idle machine. Must be set before torch loads.
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    try:
        import torch
    except ImportError:
        print(json.dumps({"skipped": "torch is not installed"}))
        return 3
    import numpy as np

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    images = torch.from_numpy(read_images(find_train_images(args.data)))
    n = images.shape[0]
    epoch_batches = n // args.batch_size + (1 if n % args.batch_size >= 2 else 0)
    timed = epoch_batches if args.batches <= 0 else min(args.batches, epoch_batches)

    model = build(args.architecture, args.latent_dimension)
    model.train()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_function = torch.nn.BCEWithLogitsLoss(reduction="sum")
    order = torch.from_numpy(np.random.default_rng(args.seed).permutation(n))

    def step(batch):
        optimizer.zero_grad(set_to_none=True)
        logits = model(batch)
        loss = loss_function(logits, batch) / batch.shape[0]
        loss.backward()
        optimizer.step()
        return loss.item()

    for b in range(3):  # warm-up
        step(images[order[b * args.batch_size:(b + 1) * args.batch_size]])
    total = 0.0
    start = time.perf_counter()
    for b in range(timed):
        batch = images[order[b * args.batch_size:(b + 1) * args.batch_size]]
        total += step(batch)
    seconds = time.perf_counter() - start
    print(json.dumps({
        "architecture": args.architecture, "threads": torch.get_num_threads(), "torch": torch.__version__,
        "parameters": sum(p.numel() for p in model.parameters()), "timed_batches": timed,
        "epoch_batches": epoch_batches, "seconds": seconds,
        "seconds_per_epoch": seconds * epoch_batches / timed, "mean_loss": total / timed,
    }))
    return 0


if __name__ == "__main__":
    sys.exit(main())
