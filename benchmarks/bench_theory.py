"""Speed of the theory engine (plain script; prints the figures quoted in docs/user_guide/speed.md).

    python benchmarks/bench_theory.py

Measures: (1) `raf theory ... --json` for one point, wall-clock including the
interpreter start; (2) one hinge-loss kernel solve once imported; (3) a 40 x 40
grid (alpha in [0.5, 10] x log-spaced lam in [1e-3, 10], eps = 0.2,
mu1 = mustar = 0.5, hinge, kernel learner) with every point converged; plus a
few other grids for reference.  Timings are best-of-N on this machine; run it
on an idle machine (the solver is single-threaded numpy).
"""

from __future__ import annotations

import math
import os
import platform
import subprocess
import sys
import time

import numpy as np

os.environ.setdefault("OMP_NUM_THREADS", "1")

import rafmodel as rm  # noqa: E402


def best(f, repeat):
    ts = []
    for _ in range(repeat):
        t = time.perf_counter()
        out = f()
        ts.append(time.perf_counter() - t)
    return min(ts), float(np.median(ts)), out


def main():
    rows = []
    cmd = [sys.executable, "-m", "rafmodel.cli", "theory", "--learner", "kernel", "--loss", "hinge",
           "--alpha", "2", "--eps", "0.2", "--lam", "0.1", "--mu1", "0.5", "--mustar", "0.5", "--json"]
    tb, tm, _ = best(lambda: subprocess.run(cmd, check=True, capture_output=True), 7)
    rows.append(("raf theory --json, one point (process wall-clock)", tb, tm, "target < 1 s"))

    tb, tm, _ = best(lambda: rm.Setting(alpha=2.0, eps=0.2, lam=0.1, learner="linear"), 2000)
    rows.append(('rm.Setting(..., learner="linear"): a learner by name', tb, tm, "target < 50 us"))

    s = rm.Setting(alpha=2.0, eps=0.2, lam=0.1, learner=rm.Kernel(mu1=0.5, mustar=0.5), loss="hinge")
    rm.solve(s)
    tb, tm, _ = best(lambda: rm.solve(s), 300)
    rows.append(("rm.solve, one hinge kernel point", tb, tm, "target < 1 ms"))

    def grid40(loss="hinge", learner=None):
        S = rm.grid(learner=learner or rm.Kernel(mu1=0.5, mustar=0.5), loss=loss,
                    alpha=np.linspace(0.5, 10, 40), eps=0.2, lam=np.geomspace(1e-3, 10, 40))
        return rm.solve_many(S)

    tb, tm, res = best(grid40, 7)
    rows.append((f"40x40 hinge kernel grid ({int(res.converged.sum())}/1600 converged)", tb, tm,
                 "target < 0.1 s"))
    tb, tm, res = best(lambda: grid40("square"), 5)
    rows.append((f"40x40 square kernel grid ({int(res.converged.sum())}/1600 converged)", tb, tm, ""))
    tb, tm, res = best(lambda: grid40("hinge", rm.Linear()), 3)
    rows.append((f"40x40 hinge linear grid ({int(res.converged.sum())}/1600 converged)", tb, tm, ""))
    tb, tm, res = best(lambda: grid40("logistic"), 2)
    rows.append((f"40x40 logistic kernel grid ({int(res.converged.sum())}/1600, quadrature)", tb, tm, ""))

    # issue 13's grid for every learner x loss: points per second on one core, the solve of a
    # built grid (as bench_field.py times it) and with the grid's construction
    every = []

    def solve40(loss, learner):
        S = rm.grid(learner=learner, loss=loss, alpha=np.linspace(0.5, 10, 40), eps=0.2,
                    lam=np.geomspace(1e-3, 10, 40))
        return lambda: rm.solve_many(S)

    for learner in (rm.Linear(), rm.Kernel(mu1=0.5, mustar=0.5), rm.RandomFeatures(kappa=2.0, mu1=0.5, mustar=0.5)):
        for loss in ("square", "hinge", "logistic"):
            tb, _, res = best(solve40(loss, learner), 7)
            tg, _, _ = best(lambda: grid40(loss, learner), 7)
            every.append((learner.name, loss, tb, tg, int(res.converged.sum())))

    # the numpy route too (the solver option backend="numpy": the batch solver, numpy channels)
    import numba

    route = f"compiled (numba {numba.__version__})"

    def solve40_numpy(loss, learner):
        S = rm.grid(learner=learner, loss=loss, alpha=np.linspace(0.5, 10, 40), eps=0.2,
                    lam=np.geomspace(1e-3, 10, 40))
        return lambda: rm.solve_many(S, backend="numpy")

    for learner in (rm.Linear(), rm.Kernel(mu1=0.5, mustar=0.5), rm.RandomFeatures(kappa=2.0, mu1=0.5, mustar=0.5)):
        for loss in ("square", "hinge", "logistic"):
            tb, _, res = best(solve40_numpy(loss, learner), 2 if loss == "logistic" else 5)
            every.append((learner.name, f"{loss} (numpy route)", tb, math.nan, int(res.converged.sum())))

    # the cost per point against the grid size (n x n, same ranges), up to the 200 x 200 phase diagram
    scaling = []
    for learner, loss in ((rm.Kernel(mu1=0.5, mustar=0.5), "hinge"), (rm.Linear(), "hinge"),
                          (rm.RandomFeatures(kappa=2.0, mu1=0.5, mustar=0.5), "hinge"),
                          (rm.Kernel(mu1=0.5, mustar=0.5), "logistic"), (rm.Linear(), "logistic")):
        for n in (20, 40, 100, 200):
            S = rm.grid(learner=learner, loss=loss, alpha=np.linspace(0.5, 10, n), eps=0.2,
                        lam=np.geomspace(1e-3, 10, n))
            tb, _, res = best(lambda: rm.solve_many(S), 1 if n * n > 5000 else 3)
            scaling.append((f"{learner.name} {loss}", n * n, tb, int(res.converged.sum())))

    print(f"rafmodel {rm.__version__}, Python {platform.python_version()}, numpy {np.__version__}, "
          f"{platform.machine()}, {os.cpu_count()} cores")
    w = max(len(r[0]) for r in rows)
    print(f"{'benchmark':<{w}}  {'best':>10}  {'median':>10}  note")
    for name, tb, tm, note in rows:
        fmt = (lambda t: f"{t * 1e3:8.2f} ms") if tb < 1 else (lambda t: f"{t:8.3f} s ")
        print(f"{name:<{w}}  {fmt(tb):>10}  {fmt(tm):>10}  {note}")
    print("\nevery learner x loss on the 40 x 40 grid (eps = 0.2, mu1 = mustar = 0.5, kappa = 2), best of 7:"
          "\nsolve_many of a built grid, and rm.grid + solve_many")
    print(f"fast path and logistic channel: {route}")
    print(f"{'learner':<8} {'loss':<26} {'solve':>9} {'points/s':>9} {'grid+solve':>10} {'points/s':>9} converged")
    for lname, loss, tb, tg, conv in every:
        print(f"{lname:<8} {loss:<26} {tb:>8.3f}s {1600 / tb:>9.0f} {tg:>9.3f}s {1600 / tg:>9.0f} {conv}/1600")
    print("\ncost per point against the grid size (n x n, alpha in [0.5, 10] x log lam in [1e-3, 10])")
    print(f"{'learner x loss':<20} {'points':>7} {'time':>9} {'us/point':>9} {'points/s':>9} converged")
    for name, npts, tb, conv in scaling:
        print(f"{name:<20} {npts:>7} {tb:>8.3f}s {1e6 * tb / npts:>9.1f} {npts / tb:>9.0f} {conv}/{npts}")


if __name__ == "__main__":
    main()
