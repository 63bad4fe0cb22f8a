"""Peer for the gridscore benchmark: DeepMind's GridScorer algorithm on NumPy/SciPy, the way the
upstream scores.py computes it (convolve2d moments for the SAC, scipy.ndimage.rotate, 10 rings).
The algorithm is DeepMind's (grid-cells scores.py, Copyright 2018 Google LLC, Apache License 2.0;
see NOTICE at the repository root); this code is a new implementation of it.
Written for this benchmark from the algorithm description in
packages/gridscore/test/fixtures/validation/README.md; it is checked against the same reference
numbers before it is timed. Usage: python3 dm_scores.py MAPS.npy REPEATS -> JSON on stdout."""
import json, sys, time
import numpy as np
import scipy.ndimage, scipy.signal


def sac(x):
    x = np.nan_to_num(x)
    ones = np.ones_like(x)
    f = lambda a, b: scipy.signal.convolve2d(b, np.rot90(a, 2), mode="full")
    n = f(ones, ones)
    s1, s2 = f(x, ones), f(ones, x)
    q1, q2 = f(x * x, ones), f(ones, x * x)
    with np.errstate(all="ignore"):
        sd1 = np.power(q1 / n - s1 ** 2 / n ** 2, 0.5)
        sd2 = np.power(q2 / n - s2 ** 2 / n ** 2, 0.5)
        cov = f(x, x) / n - s1 * s2 / n ** 2
        return np.nan_to_num(cov / (sd1 * sd2))


def scores(m):
    n = m.shape[0]
    s = sac(m)
    rot = {a: scipy.ndimage.rotate(s, a, reshape=False) for a in (30, 45, 60, 90, 120, 135, 150)}
    i, j = np.mgrid[-(n - 1):n, -(n - 1):n]
    d = np.sqrt(i ** 2 + j ** 2)
    best60, best90 = -np.inf, -np.inf
    for e in np.linspace(0.4, 1.0, 10):
        mask = (d > 0.2 * n) & (d <= e * n)
        a = s[mask]
        mu = a.mean()
        var = ((a - mu) ** 2).mean() + 1e-5
        c = {k: ((a - mu) * (r[mask] - mu)).mean() / var for k, r in rot.items()}
        best60 = max(best60, (c[60] + c[120]) / 2 - (c[30] + c[90] + c[150]) / 3)
        best90 = max(best90, c[90] - (c[45] + c[135]) / 2)
    return best60, best90


maps = np.load(sys.argv[1])
repeats = int(sys.argv[2])
times = []
for _ in range(repeats):
    t0 = time.perf_counter()
    out = [scores(m) for m in maps]
    times.append(time.perf_counter() - t0)
print(json.dumps({"seconds": times, "score60": [o[0] for o in out], "score90": [o[1] for o in out],
                  "numpy": np.__version__, "scipy": scipy.__version__}))
