"""Speed of the theory on structured inputs (plain script; docs/theory.md section 3.11).

    python benchmarks/bench_structured.py [--size 10000] [--repeat 3] [--learner linear|rf]

For a power-law spectrum of ``size`` eigenvalues (decay 1.5, source 0.5) and the linear learner
(or random features, ``kappa = 2``, ReLU, docs/theory.md section 3.12: a Newton solve for the
projection's scale inside each step), per loss (square, hinge, logistic): the time per point of a 50-point curve along alpha in
[1e-3, 5] at lam = 0.01 (one ``solve_many`` call, after a warm-up call that pays numba's
compilation), best of ``repeat``, on one thread; and the same curve on isotropic inputs for
comparison.  The issue's target is 10 ms per point at 10,000 eigenvalues, and a 50-point curve
in under a second.
"""

from __future__ import annotations

import argparse
import os
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("NUMBA_NUM_THREADS", "1")

import numpy as np  # noqa: E402

import rafmodel as rm  # noqa: E402


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", type=int, default=10_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--learner", choices=("linear", "rf"), default="linear")
    args = ap.parse_args(argv)
    learner = rm.Linear() if args.learner == "linear" else rm.RandomFeatures.from_activation("relu", kappa=2.0)
    inputs = rm.PowerLaw(decay=1.5, source=0.5, size=args.size)
    alphas = np.geomspace(1e-3, 5.0, 50)
    print(f"{learner!r} on a power law, {args.size} eigenvalues; 50-point curve along alpha at lam = 0.01, best of {args.repeat}")
    print(f"{'loss':10s} {'structured s':>13s} {'ms/point':>9s} {'isotropic s':>12s} {'converged':>10s}")
    for loss in ("square", "hinge", "logistic"):
        curve = rm.grid(alpha=alphas, eps=0.2, lam=0.01, loss=loss, learner=learner, inputs=inputs)
        iso = rm.grid(alpha=alphas, eps=0.2, lam=0.01, loss=loss, learner=learner)
        rm.solve_many(curve[:2], warn=False)  # compile
        rm.solve_many(iso[:2], warn=False)
        best, best_iso = np.inf, np.inf
        for _ in range(args.repeat):
            t = time.perf_counter()
            r = rm.solve_many(curve, warn=False)
            best = min(best, time.perf_counter() - t)
            t = time.perf_counter()
            rm.solve_many(iso, warn=False)
            best_iso = min(best_iso, time.perf_counter() - t)
        print(f"{loss:10s} {best:13.3f} {1e3 * best / len(curve):9.2f} {best_iso:12.3f} "
              f"{int(np.sum(r.converged)):6d}/{len(curve)}")


if __name__ == "__main__":
    main()
