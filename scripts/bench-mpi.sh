#!/usr/bin/env bash
# Time per step of the distributed solver (`transport solve --distributed`) at K = 1 and K = 2 ranks
# on this machine, for M = 200,000 codes of dimension d = 64, and the bytes communicated per step.
# Usage: scripts/bench-mpi.sh [path/to/latentot]   (make bench-mpi builds it first)
# Environment: BENCH_M, BENCH_D, BENCH_STEPS, BENCH_POINTS to change the case; results in bench-out/mpi/.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${1:-.build/release/latentot}
M=${BENCH_M:-200000}; D=${BENCH_D:-64}; STEPS=${BENCH_STEPS:-5}; POINTS=${BENCH_POINTS:-16384}
OUT=bench-out/mpi; mkdir -p "$OUT"
MPIRUN=(mpirun --oversubscribe); [ "$(id -u)" = 0 ] && MPIRUN+=(--allow-run-as-root)

CODES="$OUT/codes-$M-$D.npy"
if [ ! -f "$CODES" ]; then
  python3 - "$CODES" "$M" "$D" <<'PY'
import random, struct, sys
path, m, d = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
header = "{'descr': '<f4', 'fortran_order': False, 'shape': (%d, %d), }" % (m, d)
header += " " * ((64 - (10 + len(header) + 1) % 64) % 64) + "\n"
rng = random.Random(7)
with open(path, "wb") as f:
    f.write(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header.encode("latin1"))
    for _ in range(m):  # clustered codes: 100 Gaussian blobs
        c = rng.randrange(100)
        f.write(struct.pack("<%df" % d, *[rng.gauss(0, 1) + (c * 0.37 % 3.0) for _ in range(d)]))
PY
fi

run() { # label ranks binding
  local label=$1 ranks=$2 binding=$3 dir="$OUT/$1"
  echo "== $label: $ranks rank(s), --bind-to $binding, M=$M d=$D, $POINTS points/step, $STEPS steps"
  timeout 3600 "${MPIRUN[@]}" -np "$ranks" --bind-to "$binding" "$BIN" transport solve --distributed --codes "$CODES" \
    --out "$dir" --max-iterations "$STEPS" --points-per-step "$POINTS" --evaluation-points "$POINTS" \
    --tolerance 0 --time-budget 3000 --seed 1 2>&1 | grep -v "^solve M=" || true
}
run k1-all-cores 1 none
run k1-one-core 1 core
run k2-one-core-each 2 core

python3 - "$OUT" "$M" "$D" "$POINTS" <<'PY'
import json, sys, statistics
out, m, d, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
rows = {}
for label in ("k1-all-cores", "k1-one-core", "k2-one-core-each"):
    r = json.load(open(f"{out}/{label}/report.json"))
    s = [h["seconds"] for h in r["history"]]
    steps = [b - a for a, b in zip(s, s[1:])] or [s[0]]
    per_step = statistics.median(steps)
    cpu = r["distributed"]["cpuSecondsPerStepByRank"]
    rows[label] = {"ranks": r["distributed"]["ranks"], "secondsPerStep": per_step, "cpuSecondsPerStepByRank": cpu,
                   "bytesPerStepPerRank": r["distributed"]["bytesPerStep"],
                   "assignmentBytesPerPoint": r["distributed"]["assignmentBytesPerPoint"],
                   "targetsPerRank": r["distributed"]["targetsPerRank"],
                   "gflopsPerSecond": 2.0 * n * m * d / per_step / 1e9}
    print(f"{label:18s} K={rows[label]['ranks']}  wall {per_step:7.3f} s/step ({rows[label]['gflopsPerSecond']:5.1f} GFLOP/s)  "
          f"CPU per rank {', '.join(f'{c:.3f}' for c in cpu)} s/step  {rows[label]['bytesPerStepPerRank']:,.0f} bytes/step/rank")
print("(wall times include whatever else runs on the machine; CPU seconds per rank do not)")
json.dump({"M": m, "d": d, "pointsPerStep": n, "cases": rows}, open(f"{out}/summary.json", "w"), indent=2, sort_keys=True)
print(f"wrote {out}/summary.json")
PY
