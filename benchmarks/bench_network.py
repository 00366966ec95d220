"""Steps per second of full-batch network training, on the CPU and, where one is visible, the GPU.

    python benchmarks/bench_network.py                 # d = 1000, kappa = 4, alpha = 4
    python benchmarks/bench_network.py --quick         # a small CPU smoke run

The size of issue 11: d = 1000, kappa = 4 (p = 4000 hidden units), alpha = 4 (n = 4000),
both layers of a relu network trained with the square loss (lazy scaling, full-batch gradient
descent), in float64 as the package trains. On the GPU it runs the 2,000 steps; on the CPU,
where one step takes about a second, ``--cpu-steps`` of them (the rate is per step either
way). Prints the compile time and the steps per second of the jitted loop (compilation
excluded), and the device that ran.  Needs the extra rafmodel[nn].
"""

from __future__ import annotations

import argparse
import time

import numpy as np


def bench(d, kappa, alpha, steps, device):
    import rafmodel as rm
    from rafmodel.data import sample_raf
    from rafmodel.estimators import estimator_for

    s = rm.Setting(alpha=alpha, eps=0.2, lam=0.01, loss="square",
                   learner=rm.Network(kappa=kappa, train="all", steps=steps, device=device))
    est = estimator_for(s)
    train = sample_raf(d=d, alpha=alpha, eps=0.2, rng=0)
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
    ap.add_argument("--quick", action="store_true", help="d = 100, kappa = 2, alpha = 2, CPU only (a smoke run)")
    ap.add_argument("--steps", type=int, default=2000, help="steps on the GPU (default 2000)")
    ap.add_argument("--cpu-steps", type=int, default=20, help="steps on the CPU (default 20)")
    args = ap.parse_args(argv)
    import jax

    from rafmodel.tables import format_records

    d, kappa, alpha = (100, 2.0, 2.0) if args.quick else (1000, 4.0, 4.0)
    rows = [bench(d, kappa, alpha, args.cpu_steps, "cpu")]
    gpus = [] if args.quick else [dv for dv in jax.devices() if dv.platform == "gpu"]
    if gpus:
        rows.append(bench(d, kappa, alpha, args.steps, "gpu"))
    print(f"jax {jax.__version__}; devices: {', '.join(str(dv) for dv in jax.devices())}")
    print(format_records(rows, list(rows[0]), "table", single=False))


if __name__ == "__main__":
    main()
