"""AMP against the Bayes-optimal error and the ERM learners on a grid (plain script; the table of
docs/user_guide/bayes_optimal.md, section "Measured on a grid").

    python benchmarks/amp_grid.py [--d 2000] [--alphas 0.5 1 2 4 7 10] [--eps 0 0.2 0.5]
                                  [--seeds 16 16 12 8 6 6] [--erm-seeds 4] [--tol 1e-5] [--markdown]

For each (alpha, eps) and seed ``s`` one training set is drawn (``rm.sample_raf``, ``rng`` the
``SeedSequence(s, spawn_key=(100 alpha, 100 eps))`` of tests/test_amp_grid.py: independent draws for
every point; ``--shared-draws``: ``rng=s``, the same inputs and teacher for every eps of an alpha);
AMP (``rm.amp``, the true ``eps``) and, on the first ``--erm-seeds`` of the same training sets,
the linear ERM learners at their optimal penalty (``rm.optimal_lambda``: ridge ``square``,
``logistic``, and the SVM ``hinge`` where it is affordable, see ``_svm_affordable``) are fitted.
Every error is the exact test error of the estimate, ``arccos(cos(w, w*)) / pi`` (no test-set
noise).  Printed per point: the mean AMP error and its standard error over the seeds, the
theory ``bayes_optimal(alpha, eps).gen_error``, ``z`` (measured - theory) / se, ``z_1.1`` and
``z_0.9`` (the same against the theory at ``alpha x 1.1`` and ``alpha / 1.1``), and for each ERM
learner the mean paired difference ``ERM - AMP`` on the shared training sets, its standard
error and its theory ``gen_error(ERM, lam_opt) - bayes``.  One BLAS thread.
"""

from __future__ import annotations

import argparse
import math
import os
import time
import warnings

os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np  # noqa: E402
from threadpoolctl import threadpool_limits  # noqa: E402

import rafmodel as rm  # noqa: E402
from rafmodel.estimators import estimator_for  # noqa: E402


def _svm_affordable(alpha, eps, lam):
    """The SVM at d = 2000 takes seconds where projected Newton finishes (alpha <= 2, or a penalty
    >= 0.3) and minutes where it falls back to liblinear (eps = 0 and alpha >= 4, lam = 0)."""
    return alpha <= 2 or lam >= 0.3


def _angle_error(w, w_star):
    c = float(w @ w_star) / (np.linalg.norm(w) * np.linalg.norm(w_star))
    return math.acos(max(-1.0, min(1.0, c))) / math.pi


def _se(v):
    v = np.asarray(v, dtype=float)
    return float(v.std(ddof=1) / math.sqrt(len(v))) if len(v) > 1 else math.nan


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--d", type=int, default=2000)
    ap.add_argument("--alphas", type=float, nargs="+", default=[0.5, 1, 2, 4, 7, 10])
    ap.add_argument("--eps", type=float, nargs="+", default=[0.0, 0.2, 0.5])
    ap.add_argument("--seeds", type=int, nargs="+", default=[16, 16, 12, 8, 6, 6],
                    help="AMP seeds per alpha (one number: the same for all)")
    ap.add_argument("--erm-seeds", type=int, default=4)
    ap.add_argument("--tol", type=float, default=1e-5, help="AMP tolerance (1e-5 and 1e-7 differ by ~1e-7 in error)")
    ap.add_argument("--markdown", action="store_true", help="print the table as markdown")
    ap.add_argument("--shared-draws", action="store_true", help="rng=s: the same X and teacher for every eps")
    args = ap.parse_args(argv)
    seeds = args.seeds * len(args.alphas) if len(args.seeds) == 1 else args.seeds
    if len(seeds) != len(args.alphas):
        ap.error("--seeds: one number, or one per alpha")
    losses = ("square", "logistic", "hinge")
    rows = []
    with warnings.catch_warnings(), threadpool_limits(limits=1):
        warnings.simplefilter("ignore")
        for alpha, n_seeds in zip(args.alphas, seeds):
            for eps in args.eps:
                t0 = time.perf_counter()
                bayes = rm.bayes_optimal(alpha, eps).gen_error
                lam = {loss: rm.optimal_lambda(learner="linear", loss=loss, alpha=alpha, eps=eps) for loss in losses}
                amp_err, diffs, n_amp_fail = [], {loss: [] for loss in losses}, 0
                for s in range(n_seeds):
                    rng = s if args.shared_draws else np.random.SeedSequence(
                        s, spawn_key=(round(100 * alpha), round(100 * eps)))
                    train = rm.sample_raf(d=args.d, alpha=alpha, eps=eps, rng=rng)
                    r = rm.amp(train.X, train.y, eps, tol=args.tol)
                    if not r.converged:
                        n_amp_fail += 1
                        continue
                    e_amp = _angle_error(r.w, train.w_star)
                    amp_err.append(e_amp)
                    if s >= args.erm_seeds:
                        continue
                    for loss in losses:
                        lo = lam[loss].lam_opt
                        if loss == "hinge" and not _svm_affordable(alpha, eps, lo):
                            continue
                        setting = rm.Setting(alpha=alpha, eps=eps, lam=lo, learner="linear", loss=loss)
                        fit = estimator_for(setting).fit(train, np.random.default_rng(s))
                        diffs[loss].append(_angle_error(fit.w, train.w_star) - e_amp)
                m, se = float(np.mean(amp_err)), _se(amp_err)
                row = {"alpha": alpha, "eps": eps, "seeds": len(amp_err), "failed": n_amp_fail, "amp": m, "se": se,
                       "bayes": bayes, "z": (m - bayes) / se,
                       "z_1.1": (m - rm.bayes_optimal(alpha * 1.1, eps).gen_error) / se,
                       "z_0.9": (m - rm.bayes_optimal(alpha / 1.1, eps).gen_error) / se,
                       "seconds": time.perf_counter() - t0}
                for loss in losses:
                    dv = diffs[loss]
                    row[loss] = (lam[loss].lam_opt, float(np.mean(dv)) if dv else math.nan, _se(dv),
                                 lam[loss].gen_error - bayes, len(dv))
                rows.append(row)
                _print(row, args.markdown, header=len(rows) == 1)
    print(f"d = {args.d}, AMP tol = {args.tol}, ERM on the first {args.erm_seeds} seeds, "
          f"{'shared' if args.shared_draws else 'independent'} draws; "
          f"max |z| = {max(abs(r['z']) for r in rows):.2f}")


def _print(row, markdown, header):
    cols = ["alpha", "eps", "seeds", "AMP gen_error", "bayes_optimal", "z", "z(1.1 alpha)", "z(alpha/1.1)"]
    cols += [f"{loss} - AMP (theory)" for loss in ("square", "logistic", "hinge")]
    cells = [f"{row['alpha']:g}", f"{row['eps']:g}", f"{row['seeds']}", f"{row['amp']:.4f} ± {row['se']:.4f}",
             f"{row['bayes']:.4f}", f"{row['z']:+.2f}", f"{row['z_1.1']:+.1f}", f"{row['z_0.9']:+.1f}"]
    for loss in ("square", "logistic", "hinge"):
        lam, mean, se, gap, k = row[loss]
        cells.append("-" if k == 0 else f"{mean:+.4f} ± {se:.4f} ({gap:+.4f})")
    if markdown:
        if header:
            print("| " + " | ".join(cols) + " |")
            print("|" + "---|" * len(cols))
        print("| " + " | ".join(cells) + " |", flush=True)
    else:
        print("  ".join(cells) + f"   [{row['seconds']:.0f} s]", flush=True)


if __name__ == "__main__":
    main()
