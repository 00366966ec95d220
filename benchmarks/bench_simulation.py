"""Speed of the simulation engine (plain script; prints the figures quoted in docs/user_guide/speed.md).

    python benchmarks/bench_simulation.py [--d 1000] [--repeat 3] [--quick] [--no-scaling] [--only-logistic]

All timings are best-of-``--repeat`` wall-clock seconds, each compared with its
scikit-learn baseline measured in the same process (indicative on a shared machine).

(1) Hinge-loss SVM (no intercept) at d = 1000, alpha = 4, eps = 0.2, lam = 0.1:
    rafmodel's dual solver against scikit-learn's LinearSVC with default settings
    (``loss="squared_hinge"`` by default, so also with ``loss="hinge"``) on the same
    objective ``sum hinge + (lam/2)|w|^2``: time and objective reached.
(2) Square loss, 50 values of lam: one eigendecomposition (``lam_path``) against 50
    separate solves.
(3) The whole process ``raf simulate --learner linear --loss hinge --alpha 4 --eps 0.2
    --lam 0.1 --d 1000 --seeds 1 --jobs 1`` (interpreter start, imports, data, fit,
    certificate, test error) against ``LinearSVC(loss="hinge", fit_intercept=False,
    C=1/lam)``'s fit alone on the same data.
(4) Kernel ridge (Gaussian-equivalent kernel), 50 values of lam at d = 1000, alpha = 4
    (n = 4000): ``lam_path``.
(5) Logistic regression, d = 1000, alpha = 4, lam = 0.1: rafmodel's ``fit`` (certified by
    the gradient norm) against scikit-learn's lbfgs on the same features at its default
    tolerance and at tol = 1e-8, the first whose result passes our certificate; interleaved,
    best of ``max(--repeat, 5)`` rounds, with each result's gradient norm and distance to ours.
(6) Scaling: ``simulate`` time against d = 250, 500, 1000, 2000 (``--quick``: not 2000)
    for each learner x loss at alpha = 4, eps = 0.2, lam = 0.1, one seed, with the
    fitted log-log exponent.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
import warnings

import numpy as np

import rafmodel as rm
from rafmodel.data import sample_raf
from rafmodel.estimators import fit
from rafmodel.simulation import lam_path, simulate


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--d", type=int, default=1000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--quick", action="store_true", help="scaling table without d = 2000")
    ap.add_argument("--no-scaling", action="store_true", help="skip the scaling table")
    ap.add_argument("--only-scaling", action="store_true", help="only the scaling table")
    ap.add_argument("--only-logistic", action="store_true", help="only the logistic comparison (5)")
    ap.add_argument("--ds", type=int, nargs="+", help="the scaling table's values of d")
    args = ap.parse_args()
    if args.only_logistic:
        return logistic(args.repeat)
    if args.only_scaling:
        return scaling(args.ds or ((250, 500, 1000) if args.quick else (250, 500, 1000, 2000)))
    d, alpha, eps, lam = args.d, 4.0, 0.2, 0.1
    s = rm.Setting(alpha=alpha, eps=eps, lam=lam, loss="hinge")
    data = sample_raf(d=d, alpha=alpha, eps=eps, rng=0)
    Z = data.X / np.sqrt(d)

    def objective(w):
        return float(np.maximum(0, 1 - data.y * (Z @ w)).sum() + 0.5 * lam * w @ w)

    t = time.perf_counter()
    model = fit(s, data, rng=0)
    t_ours = time.perf_counter() - t
    from sklearn.svm import LinearSVC

    rows = [(f"rafmodel {model.info['solver']}", t_ours, objective(model.w), model.info["duality_gap"])]
    for kw, name in ((dict(), "sklearn LinearSVC, defaults (squared hinge!)"),
                     (dict(loss="hinge"), "sklearn LinearSVC, loss='hinge'"),
                     (dict(loss="hinge", tol=1e-8, max_iter=100_000), "sklearn LinearSVC, hinge, tol=1e-8")):
        t = time.perf_counter()
        svc = LinearSVC(C=1 / lam, fit_intercept=False, **kw).fit(Z, data.y)
        rows.append((name, time.perf_counter() - t, objective(svc.coef_.ravel()), float("nan")))
    print(f"hinge SVM, d = {d}, alpha = {alpha}, n = {data.n}, lam = {lam}: objective sum hinge + lam/2 |w|^2")
    best = min(r[2] for r in rows)
    for name, tt, obj, gap in rows:
        print(f"  {name:<62} {tt:8.2f} s   objective {obj:.6f} (excess {obj - best:.2e})   duality gap {gap:.1e}")

    sq = rm.Setting(alpha=2.0, eps=eps, lam=0.0, loss="square", learner=rm.Kernel(mu1=0.6, mustar=0.5))
    lams = np.geomspace(1e-4, 10, 50)
    dd = min(d, 500)
    t = time.perf_counter()
    lam_path(sq, lams, d=dd, seeds=1)
    t_path = time.perf_counter() - t
    t = time.perf_counter()
    for l in lams:
        simulate(sq.replace(lam=float(l)), d=dd, seeds=1)
    t_sep = time.perf_counter() - t
    print(f"square loss, kernel, d = {dd}, n = {int(2 * dd)}, 50 lam values: lam_path {t_path:.2f} s, "
          f"50 separate solves {t_sep:.2f} s ({t_sep / t_path:.1f}x)")

    whole_process_hinge(args.repeat)
    kernel_ridge_path(args.repeat)
    logistic(args.repeat)
    if not args.no_scaling:
        scaling(args.ds or ((250, 500, 1000) if args.quick else (250, 500, 1000, 2000)))


def best_of(k, f):
    times = []
    for _ in range(k):
        t = time.perf_counter()
        out = f()
        times.append(time.perf_counter() - t)
    return min(times), out


def whole_process_hinge(repeat):
    from sklearn.svm import LinearSVC

    d, lam = 1000, 0.1
    cmd = [sys.executable, "-m", "rafmodel", "simulate", "--learner", "linear", "--loss", "hinge", "--alpha", "4",
           "--eps", "0.2", "--lam", "0.1", "--d", str(d), "--seeds", "1", "--jobs", "1"]
    env = dict(os.environ)
    t_raf, _ = best_of(repeat, lambda: subprocess.run(cmd, check=True, capture_output=True, env=env))
    data = sample_raf(d=d, alpha=4.0, eps=0.2, rng=0)
    Z = data.X / np.sqrt(d)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t_svc, svc = best_of(repeat, lambda: LinearSVC(loss="hinge", fit_intercept=False, C=1 / lam).fit(Z, data.y))
    model = fit(rm.Setting(alpha=4.0, eps=0.2, lam=lam, loss="hinge"), data, rng=0)
    print(f"\nwhole process `raf simulate --learner linear --loss hinge --alpha 4 --eps 0.2 --lam 0.1 --d {d} "
          f"--seeds 1 --jobs 1`: {t_raf:.2f} s (solver {model.info['solver']!r}, duality gap "
          f"{model.info['duality_gap']:.1e}); LinearSVC(loss='hinge') fit alone: {t_svc:.2f} s "
          f"(n_iter {svc.n_iter_}); ratio {t_raf / t_svc:.2f}")


def kernel_ridge_path(repeat):
    s = rm.Setting(alpha=4.0, eps=0.2, lam=0.0, loss="square", learner=rm.Kernel(mu1=0.6, mustar=0.5))
    lams = np.geomspace(1e-4, 10, 50)
    t, _ = best_of(repeat, lambda: lam_path(s, lams, d=1000, seeds=1))
    print(f"kernel ridge, d = 1000, alpha = 4 (n = 4000), 50 lam values: lam_path {t:.2f} s "
          "(data and test error included)")


def logistic(repeat):
    from scipy.special import expit
    from sklearn.linear_model import LogisticRegression

    d, lam = 1000, 0.1
    data = sample_raf(d=d, alpha=4.0, eps=0.2, rng=0)
    Z, y = data.X / np.sqrt(d), data.y

    def gnorm(w):
        return float(np.linalg.norm(lam * w - Z.T @ (y * expit(-y * (Z @ w)))))

    s = rm.Setting(alpha=4.0, eps=0.2, lam=lam, loss="logistic")
    sk = {tol: (lambda tol=tol: LogisticRegression(fit_intercept=False, C=1 / lam, tol=tol, max_iter=10_000).fit(Z, y))
          for tol in (1e-4, 1e-6, 1e-8)}
    # interleaved, best of `repeat` rounds: ours and lbfgs at tol = 1e-8 side by side
    from rafmodel.estimators import represent
    from rafmodel.estimators.solvers import solve_logistic

    rep = represent(s.learner, data.X, np.random.default_rng(0))
    solver_only = lambda: solve_logistic(rep, y, lam, s.loss)  # noqa: E731 (features given, like sklearn)
    times, results = {"ours": [], "solver": [], **{tol: [] for tol in sk}}, {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for _ in range(max(repeat, 5)):
            for key, f in (("ours", lambda: fit(s, data, rng=0)), ("solver", solver_only), *sk.items()):
                t = time.perf_counter()
                results[key] = f()
                times[key].append(time.perf_counter() - t)
    model = results["ours"]
    t_ours, t_sk = min(times["ours"]), min(times[1e-8])
    print(f"logistic, d = {d}, alpha = 4 (n = {data.n}), lam = {lam}, best of {len(times['ours'])} interleaved: "
          f"rafmodel {t_ours:.3f} s, scikit-learn lbfgs (tol=1e-8) {t_sk:.3f} s, ratio {t_ours / t_sk:.2f}")
    print(f"  rafmodel's solver alone on the features Z (as sklearn is given them): {min(times['solver']):.3f} s, "
          f"ratio {min(times['solver']) / t_sk:.2f}; fit also forms Z = X / sqrt(d) and the training outputs")
    print(f"  rafmodel: {model.info['solver']}, gradient norm {model.info['grad_norm']:.1e}, "
          f"certificate <= {1e-4 * np.sqrt(data.n):.1e}")
    for tol in sk:
        lr = results[tol]
        dev = np.linalg.norm(lr.coef_.ravel() - model.w) / np.linalg.norm(model.w)
        print(f"  sklearn LogisticRegression(lbfgs, tol={tol:g}){' (default)' if tol == 1e-4 else ''}: "
              f"{min(times[tol]):.3f} s, gradient norm {gnorm(lr.coef_.ravel()):.1e}, "
              f"relative distance to ours {dev:.1e}")


def scaling(ds):
    learners = {"linear": rm.Linear(), "kernel": rm.Kernel(mu1=0.6, mustar=0.5),
                "rf": rm.RandomFeatures(kappa=2.0, mu1=0.6, mustar=0.5)}
    print("\nsimulate(seeds=1) time [s] against d, alpha = 4, eps = 0.2, lam = 0.1 (rf: kappa = 2)")
    print(f"  {'learner':<8}{'loss':<10}" + "".join(f"{'d=' + str(d):>10}" for d in ds) + f"{'exponent':>10}")
    for lname, learner in learners.items():
        for loss in ("square", "hinge", "logistic"):
            s = rm.Setting(alpha=4.0, eps=0.2, lam=0.1, loss=loss, learner=learner)
            ts = []
            for d in ds:
                t = time.perf_counter()
                simulate(s, d=d, seeds=1, n_test=10_000)
                ts.append(time.perf_counter() - t)
            slope = np.polyfit(np.log(ds), np.log(ts), 1)[0] if len(ds) > 1 else float("nan")
            print(f"  {lname:<8}{loss:<10}" + "".join(f"{t:10.2f}" for t in ts) + f"{slope:10.2f}", flush=True)


if __name__ == "__main__":
    main()
