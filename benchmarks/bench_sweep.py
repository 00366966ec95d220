"""Sweeps: local processes against a Dask LocalCluster (plain script; prints the figures quoted in the README).

    python benchmarks/bench_sweep.py [--workers 2]

(1) A 10,000-point theory sweep (random features with a ReLU activation, square loss:
    50 alpha x 10 eps x 5 lam x 4 kappa), batched 250 points per task.
(2) A 200-point simulation sweep (linear hinge-loss SVM, d = 100, 2 seeds, 2000 test
    samples), one point per task.
Each runs into a fresh store with ``--jobs WORKERS`` local processes, then on a
``LocalCluster`` of WORKERS one-thread worker processes (its start-up timed apart);
the two tables are checked equal.  Needs rafmodel[dask].
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time

from rafmodel.sweep import run_sweep

THEORY = {"kind": "theory", "learner": "rf", "activation": "relu", "kappa": [0.5, 1, 2, 4], "loss": "square",
          "alpha": "0.1:10:50:log", "eps": "0:0.45:10", "lam": [0, 0.01, 0.1, 1, 10]}
SIM = {"kind": "simulate", "learner": "linear", "loss": "hinge", "alpha": "0.5:4:20", "eps": "0.05:0.5:10",
       "lam": 0.1, "d": 100, "seeds": 2, "n_test": 2000}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--workers", type=int, default=2)
    args = ap.parse_args()
    from distributed import LocalCluster

    tmp = tempfile.mkdtemp()
    rows = []
    t = time.perf_counter()
    cluster = LocalCluster(n_workers=args.workers, threads_per_worker=1, processes=True, dashboard_address=None,
                           silence_logs=50)
    startup = time.perf_counter() - t
    try:
        for name, spec in (("theory, 10,000 points", THEORY), ("simulation, 200 points", SIM)):
            t = time.perf_counter()
            local = run_sweep(spec, os.path.join(tmp, f"{spec['kind']}-local.sqlite"), n_jobs=args.workers,
                              progress=False)
            t_local = time.perf_counter() - t
            t = time.perf_counter()
            dask = run_sweep(spec, os.path.join(tmp, f"{spec['kind']}-dask.sqlite"), scheduler=cluster,
                             progress=False)
            t_dask = time.perf_counter() - t
            same = local.drop(columns=["seconds"]).equals(dask.drop(columns=["seconds"]))
            rows.append((name, len(local), t_local, t_dask, same))
    finally:
        cluster.close()
    print(f"| sweep | points | local, {args.workers} processes | Dask LocalCluster, {args.workers} workers | "
          "same table |")
    print("|---|---|---|---|---|")
    for name, n, tl, td, same in rows:
        print(f"| {name} | {n} | {tl:.1f} s ({n / tl:.0f} points/s) | {td:.1f} s ({n / td:.0f} points/s) | "
              f"{'yes' if same else 'NO'} |")
    print(f"\nLocalCluster start-up (not included above): {startup:.1f} s")


if __name__ == "__main__":
    main()
