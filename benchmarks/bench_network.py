"""Steps per second of full-batch network training, on whatever device jax sees.

Run once, e.g. on a GPU machine::

    python benchmarks/bench_network.py            # device auto (a GPU when visible)
    python benchmarks/bench_network.py --device cpu --quick

For each size (d, kappa; alpha = 2, so n = 2 d and p = kappa d) it trains both layers of
a relu network with the square loss (lazy scaling, gradient descent) and prints the
compile time and the steps per second of the jitted training loop (compilation excluded),
in float64 as the package trains.  Needs the extra rafmodel[nn].
"""

from __future__ import annotations

import argparse
import time

import numpy as np


def bench(d, kappa, steps, device):
    import rafmodel as rm
    from rafmodel.data import sample_raf
    from rafmodel.estimators import estimator_for

    s = rm.Setting(alpha=2.0, eps=0.2, lam=0.01, loss="square",
                   learner=rm.Network(kappa=kappa, train="all", steps=steps, device=device))
    est = estimator_for(s)
    train = sample_raf(d=d, alpha=2.0, eps=0.2, rng=0)
    t0 = time.perf_counter()
    est.fit(train, np.random.default_rng(1), record_every=steps)  # compiles, and runs once
    first = time.perf_counter() - t0
    t0 = time.perf_counter()
    fitted = est.fit(train, np.random.default_rng(2), record_every=steps)  # compiled: the loop alone
    run = time.perf_counter() - t0
    return {"d": d, "n": train.X.shape[0], "p": max(1, round(kappa * d)), "steps": steps,
            "compile_s": max(first - run, 0.0), "run_s": run, "steps_per_s": steps / run,
            "device": fitted.info["device"]}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--device", default="auto", choices=("auto", "cpu", "gpu"))
    ap.add_argument("--quick", action="store_true", help="small sizes only (a CPU smoke run)")
    args = ap.parse_args(argv)
    sizes = [(50, 2.0, 500), (100, 4.0, 500)] if args.quick else \
        [(100, 4.0, 2000), (300, 4.0, 1000), (1000, 2.0, 500), (2000, 4.0, 200)]
    from rafmodel.tables import format_records

    rows = [bench(d, k, st, args.device) for d, k, st in sizes]
    print(format_records(rows, list(rows[0]), "table", single=False))


if __name__ == "__main__":
    main()
