"""Speed of the mixture theory (docs/theory.md section 4.2): one point and a 50-point curve.

A mixture of ``K`` eigenvalues (a power law) with three means, as ``data_mixture`` measures on a
pool of ``K`` images; square (closed form) and hinge (root finder).  Prints milliseconds per
point (best of 3) and the time of a 50-point curve along ``lam``.

    python benchmarks/bench_mixture.py
"""

from __future__ import annotations

import time

import numpy as np

import rafmodel as rm
from rafmodel.theory.mixture import solve_mixture


def mixture(K, d=64, seed=0):
    rng = np.random.default_rng(seed)
    om = d * np.arange(1, K + 1) ** -1.3
    mu = rng.standard_normal((3, K)) * np.sqrt(om / om.sum() * d * 0.5)
    return rm.Mixture(om, mu, d=d)


def main():
    print(f"{'K':>6} {'loss':>7} {'ms/point':>9} {'50-point curve (s)':>19} {'converged':>10}")
    for K in (500, 4000):
        mix = mixture(K)
        for loss in ("square", "hinge"):
            s = rm.Setting(alpha=2.0, eps=0.2, lam=0.1, loss=loss)
            best = min(_timed(lambda: solve_mixture(s, mix)) for _ in range(3))
            lams = np.geomspace(1e-3, 10, 50)
            t = time.perf_counter()
            res = [solve_mixture(rm.Setting(alpha=2.0, eps=0.2, lam=float(x), loss=loss), mix) for x in lams]
            curve = time.perf_counter() - t
            print(f"{K:>6} {loss:>7} {1e3 * best:>9.2f} {curve:>19.3f} {sum(r.converged for r in res):>7}/50")


def _timed(f):
    t = time.perf_counter()
    f()
    return time.perf_counter() - t


if __name__ == "__main__":
    main()
