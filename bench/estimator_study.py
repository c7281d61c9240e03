"""Where could the M = 60,000 solve save work? Measured on a solved model (docs/benchmarks.md,
"The M = 60,000 target"). Usage: python3 bench/estimator_study.py runs/fashion-mnist/transport
(a folder with codes.npy, heights.npy and normalization.json, as `latentot train` writes; numpy needed,
scipy optional for the Sobol comparison). Source: the uniform cube [-1, 1]^d (the default)."""
import json, sys
import numpy as np

folder = sys.argv[1] if len(sys.argv) > 1 else "runs/fashion-mnist/transport"
codes = np.load(f"{folder}/codes.npy").astype(np.float64)
heights = np.load(f"{folder}/heights.npy").astype(np.float32)
norm = json.load(open(f"{folder}/normalization.json"))
Y = ((codes - np.array(norm["centre"])) / norm["scale"]).astype(np.float32)
M, d = Y.shape
rng = np.random.default_rng(0)
print(f"M = {M}, d = {d}")

def argmax(X):
    out = np.empty(len(X), dtype=np.int64)
    for s in range(0, len(X), 4096):
        out[s:s + 4096] = (X[s:s + 4096] @ Y.T + heights).argmax(1)
    return out

# 1. Rao-Blackwellisation along random lines: a line's exact share of each cell replaces a point's 0/1.
crossed, participation = [], []
for _ in range(200):
    x = rng.uniform(-1, 1, d); v = rng.normal(size=d); v /= np.linalg.norm(v)
    low = np.where(v > 0, (-1 - x) / v, (1 - x) / v).max(); high = np.where(v > 0, (1 - x) / v, (-1 - x) / v).min()
    t = np.linspace(low, high, 400)
    cells, counts = np.unique(argmax((x[None, :] + t[:, None] * v[None, :]).astype(np.float32)), return_counts=True)
    crossed.append(len(cells)); participation.append(((counts / 400.0) ** 2).sum())
print(f"1. lines through the cube cross {np.mean(crossed):.2f} cells on average; variance gain of exact "
      f"line integrals over points {1 / np.mean(participation):.2f}× (at twice a point's cost)")

# 2. Quasi-Monte Carlo: the error of cell counts from N points, random vs scrambled Sobol.
N = 1 << 16
def count_error(first, second):
    c1 = np.bincount(argmax((2 * first - 1).astype(np.float32)), minlength=M)
    c2 = np.bincount(argmax((2 * second - 1).astype(np.float32)), minlength=M)
    return np.sqrt(np.mean((c1 - c2) ** 2) / 2) / (N / M)
print(f"2. relative error of cell counts from N = 2^16 points (sqrt(M/N) = {np.sqrt(M / N):.3f}): "
      f"random {count_error(rng.random((N, d)), rng.random((N, d))):.3f}", end="")
try:
    from scipy.stats import qmc
    sobol = [qmc.Sobol(d, scramble=True, seed=s).random(N) for s in (1, 2)]
    print(f", scrambled Sobol {count_error(*sobol):.3f}")
except ImportError:
    print(" (scipy absent: Sobol skipped)")

# 3. Exact pruning by a principal-subspace bound: s_j(x) <= <Px, Py_j> + h_j + |Rx| |Ry_j|.
X = rng.uniform(-1, 1, (4000, d)).astype(np.float32)
best = (X @ Y.T + heights).max(1)
values, vectors = np.linalg.eigh(np.cov(Y.T)); vectors = vectors[:, ::-1]
print("3. principal-subspace bound, with the true best score as threshold (a lower bound in practice):")
for p in (4, 8, 12, 16, 24):
    P, R = vectors[:, :p], vectors[:, p:]
    bound = (X @ P) @ (Y @ P).T + heights + np.linalg.norm(X @ R, axis=1)[:, None] * np.linalg.norm(Y @ R, axis=1)[None, :]
    surviving = (bound >= best[:, None]).mean()
    print(f"   p = {p:2d}: {100 * surviving:5.1f} % of targets survive; flops {100 * (p / d + surviving):5.1f} % of brute force")

# 4. Approximate search: probe the P best of 256 k-means clusters by <x, c> + max h (no guarantee).
centres = Y[rng.choice(M, 256, replace=False)].copy()
for _ in range(12):
    labels = ((Y ** 2).sum(1)[:, None] - 2 * Y @ centres.T + (centres ** 2).sum(1)[None, :]).argmin(1)
    for k in range(256):
        if (labels == k).any(): centres[k] = Y[labels == k].mean(0)
top = np.array([heights[labels == k].max() if (labels == k).any() else -np.inf for k in range(256)])
order = np.argsort(-(X @ centres.T + top), axis=1)
rank = (order == labels[(X @ Y.T + heights).argmax(1)][:, None]).argmax(1)
sizes = np.bincount(labels, minlength=256)
print("4. probing the P best of 256 clusters finds the exact best target for:")
for probes in (8, 16, 32, 64):
    share = np.take_along_axis(sizes[None, :].repeat(len(X), 0), order[:, :probes], 1).sum(1).mean() / M
    print(f"   P = {probes:2d}: {100 * np.mean(rank < probes):5.1f} % of points, scoring {100 * share:4.1f} % of the targets")
