"""Speed of AMP, the Bayes-optimal estimator on data (plain script; docs/theory.md section 6.6).

    python benchmarks/bench_amp.py [--ds 500 1000 2000 4000] [--alpha 4] [--eps 0.2] [--repeat 3] [--threads 1]

For each d: one AMP run (``rafmodel.amp``) on a RAF training set of n = alpha d samples,
best-of-``--repeat`` wall-clock seconds (the data drawn once, outside the timing), its
iterations, the time per iteration, and the seconds of one matrix-vector product with ``X``
measured in the same process (an iteration costs two); then the fitted log-log exponent of
the time in d (2 for a fixed number of iterations: the products cost n d = alpha d^2).
``--threads`` caps the BLAS threads (threadpoolctl; 1: one core, as the issue's target "a
few seconds on one core at d = 4000, alpha = 4" is stated).  Indicative on a shared machine.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from threadpoolctl import threadpool_limits

import rafmodel as rm
from rafmodel.estimators.amp import amp


def _best(fn, repeat):
    best, out = np.inf, None
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t)
    return best, out


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--ds", type=int, nargs="+", default=[500, 1000, 2000, 4000])
    ap.add_argument("--alpha", type=float, default=4.0)
    ap.add_argument("--eps", type=float, default=0.2)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--threads", type=int, default=1, help="BLAS threads (default 1)")
    args = ap.parse_args()
    print(f"AMP, alpha = {args.alpha}, eps = {args.eps}, BLAS threads = {args.threads}, best of {args.repeat}")
    print(f"{'d':>6} {'n':>7} {'seconds':>8} {'iters':>6} {'ms/iter':>8} {'ms/matvec':>10} {'converged':>9} "
          f"{'gen_error':>9} {'bayes':>7}")
    ds, ts = [], []
    bayes = rm.bayes_optimal(args.alpha, args.eps).gen_error
    with threadpool_limits(limits=args.threads):
        for d in args.ds:
            train = rm.sample_raf(d=d, alpha=args.alpha, eps=args.eps, rng=0)
            t, r = _best(lambda: amp(train.X, train.y, args.eps, w_star=train.w_star), args.repeat)
            w = np.ones(d)
            tm, _ = _best(lambda: train.X @ w, max(args.repeat, 5))
            gen = np.arccos(r.m[-1] / np.sqrt(r.q[-1])) / np.pi
            print(f"{d:>6} {train.n:>7} {t:>8.3f} {r.iterations:>6} {1e3 * t / r.iterations:>8.2f} {1e3 * tm:>10.2f} "
                  f"{str(r.converged):>9} {gen:>9.4f} {bayes:>7.4f}")
            ds.append(d)
            ts.append(t)
    if len(ds) > 1:
        slope = np.polyfit(np.log(ds), np.log(ts), 1)[0]
        print(f"time ~ d^{slope:.2f}")


if __name__ == "__main__":
    main()
