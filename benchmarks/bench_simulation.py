"""Speed of the simulation engine (plain script; prints the figures quoted in docs/user_guide/speed.md).

    python benchmarks/bench_simulation.py [--d 1000]

(1) Hinge-loss SVM (no intercept) at d = 1000, alpha = 4, eps = 0.2, lam = 0.1:
    rafmodel's dual solver against scikit-learn's LinearSVC with default settings
    (``loss="squared_hinge"`` by default, so also with ``loss="hinge"``) on the same
    objective ``sum hinge + (lam/2)|w|^2``: time and objective reached.
(2) Square loss, 50 values of lam: one eigendecomposition (``lam_path``) against 50
    separate solves.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

import rafmodel as rm
from rafmodel.data import sample_raf
from rafmodel.estimators import fit
from rafmodel.simulation import lam_path, simulate


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--d", type=int, default=1000)
    args = ap.parse_args()
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

    rows = [("rafmodel SVM dual (L-BFGS-B)", t_ours, objective(model.w), model.info["duality_gap"])]
    for kw, name in ((dict(), "sklearn LinearSVC, defaults (squared hinge!)"),
                     (dict(loss="hinge"), "sklearn LinearSVC, loss='hinge'"),
                     (dict(loss="hinge", tol=1e-8, max_iter=100_000), "sklearn LinearSVC, hinge, tol=1e-8")):
        t = time.perf_counter()
        svc = LinearSVC(C=1 / lam, fit_intercept=False, **kw).fit(Z, data.y)
        rows.append((name, time.perf_counter() - t, objective(svc.coef_.ravel()), float("nan")))
    print(f"hinge SVM, d = {d}, alpha = {alpha}, n = {data.n}, lam = {lam}: objective sum hinge + lam/2 |w|^2")
    best = min(r[2] for r in rows)
    for name, tt, obj, gap in rows:
        print(f"  {name:<45} {tt:8.2f} s   objective {obj:.6f} (excess {obj - best:.2e})   duality gap {gap:.1e}")

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


if __name__ == "__main__":
    main()
