"""rafmodel against the field's own state-evolution solvers (plain script).

    python benchmarks/bench_field.py /path/to/RAF [--n 20] [--repeat 3]

The field's solvers are the paper authors' public code, https://github.com/SPOC-group/RAF
(``perceptron_SE.py``, ``kernel_SE.py``, ``randomfeatures_SE.py`` on top of
``lossdependent_SE.py``: numba-compiled fixed-point iteration, square and hinge losses,
no logistic).  This script imports them at run time from the path given on the command
line (it puts that directory on ``sys.path``); nothing of theirs is copied into this
repository.  Without the path, or if it does not hold those files, the script says so and
exits with status 0.

Measures, for each learner (linear, kernel, random features) x loss (square, hinge) on one
core (``OMP_NUM_THREADS=1``, ``NUMBA_NUM_THREADS=1``): an n x n grid (default 20 x 20:
``alpha`` in [0.5, 10] x log-spaced ``lam`` in [1e-3, 10], ``eps = 0.2``,
``mu1 = mustar = 0.5``, ``kappa = 2``; the RAF repository ships no grid scripts, so these are
the ranges of ``bench_theory.py``), solved (a) point by point by the field's solver with its
defaults (start ``m = 0.1, q = 0.8, V = 3``, no damping, ``tol = 1e-5`` on the absolute change
of the overlaps, at most 5000 iterations, 10000 for the perceptron) after a warm-up call
that pays numba's compilation, and (b) by ``rafmodel.solve_many(rafmodel.grid(...))``.
Times are best-of-``repeat`` wall-clock (ours best of ``max(repeat, 5)``), the two sides
interleaved so that both see the same load.  Reported: both times, their ratio, how many points
each converged, and on points both converged the largest absolute difference of
``gen_error``, ``mem_error`` and of the learner's overlaps ``m, q, V`` (the paper's
``m_s, q_s, V_s`` for kernel and random features).

Conventions (docs/theory.md, sections 2-3): the field's equations are the same as ours,
term by term: ``mu_1, mu_star`` are ``mu1, mustar``; ``kappa = p/d`` with the channel at
``alpha/kappa``; ``lam`` multiplies ``||.||^2/2`` in both; facts are ``eps`` of the labels,
random +-1.  The field returns overlaps only; the errors are formed from them by our
formulas (section 3.5): ``gen_error = arccos(m_te/sqrt(q_te))/pi`` with test overlaps
(linear ``(m, q)``, kernel ``(mu1 m, mu1^2 q)``, rf ``(mu1 m, mu1^2 q + mustar^2 q_w)``) and
``mem_error = H(V_tr/sqrt(q_tr))`` with training overlaps (kernel
``V_tr = mu1^2 V + mustar^2/lam``).  The differences reflect the field's stopping rule
(``1e-5`` absolute change per iteration) and its 200-node Gauss-Legendre integrals in the
hinge channel against our closed form; ours stops at ``1e-11``.  A point where the
field's solver raises (the random-features hinge update divides by ``Vs_hat = 0``) counts as
not converged.
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import time
import warnings

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("NUMBA_NUM_THREADS", "1")

import numpy as np
from scipy.special import erfc

import rafmodel as rm

FIELD_FILES = ("lossdependent_SE.py", "perceptron_SE.py", "kernel_SE.py", "randomfeatures_SE.py")
MU1, MUSTAR, KAPPA, EPS = 0.5, 0.5, 2.0, 0.2


def best(f, repeat):
    ts = []
    out = None
    for _ in range(repeat):
        t = time.perf_counter()
        out = f()
        ts.append(time.perf_counter() - t)
    return min(ts), out


def H(x):
    return 0.5 * erfc(x / np.sqrt(2.0))


def field_errors(learner, lam, ov):
    """gen_error, mem_error and (m, q, V) of the learner from the field's overlap vector."""
    if learner == "linear":
        m, q, V = ov[0], ov[1], ov[2]
        mte, qte, qtr, Vtr = m, q, q, V
    elif learner == "kernel":
        m, q, V = ov[0], ov[1], ov[2]
        mte, qte = MU1 * m, MU1 ** 2 * q
        qtr, Vtr = qte, MU1 ** 2 * V + MUSTAR ** 2 / lam
    else:
        m, q, V, qw, Vw = ov[:5]
        mte, qte = MU1 * m, MU1 ** 2 * q + MUSTAR ** 2 * qw
        qtr, Vtr = qte, MU1 ** 2 * V + MUSTAR ** 2 * Vw
    gen = np.arccos(np.clip(mte / np.sqrt(qte), -1.0, 1.0)) / np.pi
    return gen, H(Vtr / np.sqrt(qtr)), m, q, V


def load_field(path):
    missing = [f for f in FIELD_FILES if not os.path.isfile(os.path.join(path, f))]
    if missing:
        return None, f"{path} does not hold the field's solvers (missing {', '.join(missing)})"
    sys.path.insert(0, os.path.abspath(path))
    try:
        import kernel_SE
        import perceptron_SE
        import randomfeatures_SE
    except ImportError as e:  # numba missing, typically
        return None, f"cannot import the field's solvers from {path}: {e}"
    return (perceptron_SE, kernel_SE, randomfeatures_SE), None


def field_solver(mods, learner, loss):
    perceptron_SE, kernel_SE, randomfeatures_SE = mods
    if learner == "linear":
        return lambda a, lam: perceptron_SE.perceptron_SE_solution(loss, a, EPS, lam)
    if learner == "kernel":
        return lambda a, lam: kernel_SE.kernel_SE_solution(loss, MU1, MUSTAR, a, EPS, lam)
    return lambda a, lam: randomfeatures_SE.randomfeatures_SE_solution(loss, MU1, MUSTAR, a, KAPPA, EPS, lam)


def ours_settings(learner, loss, alphas, lams):
    params = {"linear": {}, "kernel": {"mu1": MU1, "mustar": MUSTAR},
              "rf": {"kappa": KAPPA, "mu1": MU1, "mustar": MUSTAR}}[learner]
    return rm.grid(learner=learner, loss=loss, alpha=alphas, eps=EPS, lam=lams, **params)


def git_head(path):
    try:
        return subprocess.run(["git", "-C", path, "rev-parse", "HEAD"], capture_output=True, text=True,
                              check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown (not a git checkout)"


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("raf_path", nargs="?", help="a checkout of github.com/SPOC-group/RAF")
    ap.add_argument("--n", type=int, default=20, help="n x n grid (default 20)")
    ap.add_argument("--repeat", type=int, default=3, help="best of this many runs (default 3)")
    ap.add_argument("--only", default="", help="comma-separated learner:loss pairs, e.g. rf:square")
    args = ap.parse_args(argv)
    if not args.raf_path or not os.path.isdir(args.raf_path):
        print(f"skipped: the path to the field's RAF checkout is missing ({args.raf_path!r}); "
              "usage: python benchmarks/bench_field.py /path/to/RAF")
        return 0
    mods, why = load_field(args.raf_path)
    if mods is None:
        print(f"skipped: {why}")
        return 0
    import numba

    warnings.simplefilter("ignore", RuntimeWarning)  # the field's overflows on points it does not converge

    alphas = np.linspace(0.5, 10, args.n)
    lams = np.geomspace(1e-3, 10, args.n)
    pairs = [(le, lo) for le in ("linear", "kernel", "rf") for lo in ("square", "hinge")]
    if args.only:
        pairs = [tuple(p.split(":")) for p in args.only.split(",")]
    rows = []
    for learner, loss in pairs:
        solve_field = field_solver(mods, learner, loss)
        solve_field(2.0, 0.1)  # numba compiles here
        pts = [(a, lam) for a in alphas for lam in lams]  # rm.grid's order: alpha slowest

        def run_field(solve_field=solve_field, pts=pts):
            out = []
            for a, lam in pts:
                try:
                    out.append(solve_field(a, lam))
                except (ZeroDivisionError, FloatingPointError, ValueError):
                    out.append((np.full(10, np.nan), False))  # the field's solver raised: not converged
            return out

        S = ours_settings(learner, loss, alphas, lams)
        rm.solve_many(S[:4], warn=False)
        # interleaved, so that both sides see the same load on a shared machine
        t_field = t_ours = np.inf
        for r in range(max(args.repeat, 5)):
            if r < args.repeat:
                t, fres = best(run_field, 1)
                t_field = min(t_field, t)
            t, res = best(lambda S=S: rm.solve_many(S, warn=False), 1)
            t_ours = min(t_ours, t)
        f_conv = np.array([c for _, c in fres])
        f_vals = np.array([field_errors(learner, lam, ov) for (_, lam), (ov, _) in zip(pts, fres)])
        o_conv = np.asarray(res.converged, bool)
        o_vals = np.stack([res.gen_error, res.mem_error, res.m, res.q, res.V], axis=1)
        both = f_conv & o_conv
        diff = np.abs(f_vals[both] - o_vals[both]).max(axis=0) if both.any() else np.full(5, np.nan)
        rel_q = (np.abs(f_vals[both, 3] - o_vals[both, 3]) / o_vals[both, 3]).max() if both.any() else np.nan
        rows.append((f"{learner} {loss}", len(pts), t_field, t_ours, int(f_conv.sum()), int(o_conv.sum()),
                     diff, rel_q))

    print(f"rafmodel {rm.__version__}; field: SPOC-group/RAF {git_head(args.raf_path)} "
          f"(numba {numba.__version__}); Python {platform.python_version()}, numpy {np.__version__}, "
          f"{platform.machine()}, {os.cpu_count()} cores, one used; best of {args.repeat} (ours of "
          f"{max(args.repeat, 5)})")
    print(f"grids: {args.n} x {args.n}, alpha in [0.5, 10] x log lam in [1e-3, 10], eps = {EPS}, "
          f"mu1 = mustar = {MU1}, kappa = {KAPPA}")
    hdr = (f"{'learner loss':<14} {'points':>6} {'field':>9} {'rafmodel':>9} {'ratio':>7} "
           f"{'field conv':>10} {'ours conv':>9} {'max|d gen|':>10} {'max|d mem|':>10} "
           f"{'max|d m|':>9} {'max rel d q':>11} {'max|d V|':>9}")
    print(hdr)
    for name, npts, tf, to, fc, oc, d, rq in rows:
        print(f"{name:<14} {npts:>6} {tf:>8.3f}s {to:>8.4f}s {tf / to:>6.1f}x {fc:>6}/{npts:<3} "
              f"{oc:>5}/{npts:<3} {d[0]:>10.1e} {d[1]:>10.1e} {d[2]:>9.1e} {rq:>11.1e} {d[4]:>9.1e}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
