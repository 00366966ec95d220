"""The hinge-loss solver: the SVM without intercept, certified by its duality gap.

``C = 1/lam``.  On explicit features: projected Newton on the dual warm-started by a loosely
solved smoothed hinge (then, should it miss the gap, liblinear run tight with its dual
variables rebuilt from the KKT conditions); the Gaussian-equivalent kernel the same way, as
the explicit features ``[B, mustar I_n]`` (``K`` never formed); otherwise, and should those
miss the gap, L-BFGS-B on the box-constrained dual (real kernels, the hard margin).

At ``lam = 0`` a linear program decides separability (:func:`_separability`, shared with the
logistic solver): separable data get the hard-margin SVM (:func:`_hard_margin`), non-separable
data the unregularized minimizer of the summed hinge.
"""

from __future__ import annotations

import warnings

import numpy as np

from ...exceptions import SolverError
from ...losses import Hinge
from ..base import register_solver

__all__ = ["solve_hinge", "DUALITY_GAP_TOL"]

#: Largest relative duality gap a hinge solution may have.
DUALITY_GAP_TOL = 1e-4


def _hinge_lp(A, y):
    """``min_theta sum_i hinge(y_i h_i)``, ``h = A theta``, as a linear program (HiGHS): ``(value, theta)``.

    With many more samples than features (``n >= 2 p``) the dual ``max sum(u)`` over
    ``0 <= u <= 1``, ``A'(y u) = 0`` (``p`` equality rows instead of ``n`` inequality rows) is
    solved by HiGHS' interior point method, several times faster; ``theta`` is minus the
    multipliers of its equality rows, certified by the summed hinge at ``theta`` equalling the
    dual value (relative gap below 1e-7).  Otherwise, or where that certificate fails, the
    primal with one slack per sample.
    """
    import scipy.sparse as sp
    from scipy.optimize import linprog

    n, p = A.shape
    if n >= 2 * p:
        Yt = (y[:, None] * A).T
        res = linprog(-np.ones(n), A_eq=Yt, b_eq=np.zeros(p), bounds=(0.0, 1.0), method="highs-ipm")
        if res.status == 0 and res.eqlin is not None:
            dual = -float(res.fun)
            theta = -np.asarray(res.eqlin.marginals, dtype=float)
            value = float(np.sum(np.maximum(0.0, 1.0 - y * (A @ theta))))
            if dual < 1e-9 * n:  # separable: the summed hinge is 0 (theta is not needed then)
                return 0.0, theta
            if abs(value - dual) <= 1e-7 * max(1.0, dual):
                return value, theta
    M = sp.hstack([sp.csr_matrix(-(y[:, None] * A)), -sp.identity(n)], format="csr")
    res = linprog(np.r_[np.zeros(p), np.ones(n)], A_ub=M, b_ub=-np.ones(n),
                  bounds=[(None, None)] * p + [(0, None)] * n, method="highs")
    if res.status != 0:
        raise SolverError(f"hinge linear program failed: {res.message}")
    return float(res.fun), res.x[:p]


def _separability(rep, y):
    """``(separable, theta_lp)`` at ``lam = 0``: the LP's minimizer of the summed hinge."""
    if rep.full_rank:
        return True, None  # the representation fits any labels
    val, theta = _hinge_lp(rep.train, y)
    return val < 1e-8 * len(y), theta


def _svm(kind, A, y, C, tol=1e-7):
    """SVM without intercept, ``min (1/2)|theta|^2 + C sum hinge`` (kernel: ``(1/2) c'Kc``).

    Solved in the dual, ``max_alpha sum(alpha) - (1/2) alpha'Q alpha`` with
    ``Q = (y y') * K``, ``0 <= alpha <= C`` (``C = inf``: the hard margin).  The
    weight is ``theta = sum_i alpha_i y_i phi_i``, and the relative **duality gap**
    ``(P - D) / P`` certifies the solution (for the hard margin the primal is
    ``(1/2)|theta|^2`` and feasibility is checked separately).
    Returns ``(theta, gap, solver)``.
    """
    from scipy.optimize import minimize

    n = len(y)
    hard = not np.isfinite(C)

    def gap_of(alpha):
        ay = alpha * y
        if kind == "kernel":
            h = A @ ay
            w2 = float(ay @ h)
        else:
            w = A.T @ ay
            h = A @ w
            w2 = float(w @ w)
        dual = float(alpha.sum()) - 0.5 * w2
        primal = 0.5 * w2 + (0.0 if hard else C * float(np.sum(np.maximum(0.0, 1.0 - y * h))))
        return (primal - dual) / max(abs(primal), 1e-300), float(np.min(y * h))

    if kind == "features" and not hard:
        # fast path: a loosely solved smoothed hinge gives the support-vector sets, projected Newton
        # on the dual finishes exactly; the duality gap certifies the result
        from threadpoolctl import threadpool_limits

        # one BLAS thread: mostly matrix-vector products and ~n/4-sized factorizations, where
        # threads gain little and, on a busy machine, spin (measured 10x slower with two)
        with threadpool_limits(limits=1, user_api="blas"):
            alpha = _svm_projected_newton(A, y, C, _smoothed_warm_start(A, y, C), tol)
        if alpha is not None:
            gap, _ = gap_of(alpha)
            if gap < tol:
                return A.T @ (alpha * y), gap, "projected Newton on the SVM dual (smoothed-hinge warm start)"
        # slower path: liblinear's coordinate descent run tight, then its dual variables
        # rebuilt from the KKT conditions
        for lib_tol in (1e-6, 1e-8):
            alpha = _liblinear_dual(A, y, C, lib_tol)
            gap, _ = gap_of(alpha)
            if gap < tol:
                return A.T @ (alpha * y), gap, "liblinear (dual rebuilt from KKT)"

    K = A if kind == "kernel" else A @ A.T
    Q = (y[:, None] * y[None, :]) * K

    def fun(alpha):
        Qa = Q @ alpha
        return 0.5 * alpha @ Qa - alpha.sum(), Qa - 1.0

    bounds = [(0.0, None if hard else C)] * n
    alpha = np.zeros(n)
    gap = np.inf
    for _ in range(20):  # restart L-BFGS-B until the duality gap is small
        res = minimize(fun, alpha, jac=True, method="L-BFGS-B", bounds=bounds,
                       options={"maxiter": 20_000, "maxcor": 30, "ftol": 1e-16, "gtol": 1e-12})
        alpha = res.x
        gap, min_margin = gap_of(alpha)
        # the hard margin also needs primal feasibility: every margin y_i h_i >= 1
        if gap < tol and (not hard or min_margin >= 1.0 - 1e-6):
            break
    ay = alpha * y
    theta = ay if kind == "kernel" else A.T @ ay
    return theta, gap, "SVM dual (L-BFGS-B)"


def _smoothed_warm_start(A, y, C, mu=0.03, max_iter=300, ridge=0.0):
    """A feasible dual point near the optimum: the primal SVM with the hinge smoothed
    quadratically over a width ``mu``, solved loosely by L-BFGS; its dual variables
    ``alpha_i = C clip((1 - y_i h_i)/mu, 0, 1)`` lie in the SVM's box ``[0, C]``.

    ``ridge > 0``: the features are ``[A, sqrt(ridge) I_n]`` (the kernel ``A A' + ridge I``).
    The ``n`` extra variables ``v`` are minimized out in closed form: for each sample,
    ``min_v v^2/2 + C phi_mu(z - sqrt(ridge) v)`` is ``C phi_{mu + C ridge}(z)`` (the Moreau
    envelope of a Huber function is the Huber function of the summed width), so the same
    problem is solved on ``A`` alone with the width ``mu + C ridge``, and the dual variables
    keep the formula above with that width."""
    from scipy.optimize import minimize

    Y = A * y[:, None]
    mu = mu + C * ridge

    def fun(w):
        z = 1.0 - Y @ w
        loss = np.where(z >= mu, z - 0.5 * mu, np.where(z > 0, 0.5 * z * z / mu, 0.0))
        return 0.5 * float(w @ w) + C * float(loss.sum()), w - C * (Y.T @ np.clip(z / mu, 0.0, 1.0))

    w = minimize(fun, np.zeros(A.shape[1]), jac=True, method="L-BFGS-B",
                 options={"maxiter": max_iter, "gtol": 1e-6, "maxcor": 20}).x
    return C * np.clip((1.0 - Y @ w) / mu, 0.0, 1.0)


def _svm_projected_newton(A, y, C, alpha, tol, max_iter=60, ridge=0.0):
    """Bertsekas' projected Newton method on the SVM dual with explicit features.

    Minimizes ``f(alpha) = (1/2)|Y' alpha|^2 + (ridge/2)|alpha|^2 - sum(alpha)`` over
    ``0 <= alpha <= C`` (``Y = diag(y) A``, ``n x p``; ``ridge > 0``: the kernel
    ``A A' + ridge I``, i.e. the features ``[A, sqrt(ridge) I_n]``, never formed).  Each step
    frees the variables not held at a bound by their gradient, takes the Newton step
    ``(Y_F Y_F' + (ridge + delta) I) d_F = -g_F`` on them (in the ``p``-dimensional space by
    Woodbury when ``|F| > p``), and searches along the projection arc
    ``clip(alpha + t d, 0, C)`` with an Armijo condition.  Stops when the relative duality
    gap (as in :func:`_svm`) is below ``tol``; returns the last feasible ``alpha`` (the
    caller certifies it) or ``None`` if a linear solve failed.
    """
    from scipy.linalg import LinAlgError, solve

    Y = A * y[:, None]
    n, p = Y.shape

    def f_of(a):
        w = Y.T @ a
        return 0.5 * (float(w @ w) + ridge * float(a @ a)) - float(a.sum())

    pos = np.full(n, -1)  # row of each sample in the cached Gram matrix Gc (-1: not cached)
    YtY = None  # Y'Y, once, for the Woodbury steps with most samples free (ridge > 0)
    cached, Gc = np.empty(0, dtype=int), np.empty((0, 0))
    for _ in range(max_iter):
        w = Y.T @ alpha
        marg = Y @ w + ridge * alpha
        g = marg - 1.0
        w2 = float(w @ w) + ridge * float(alpha @ alpha)
        primal = 0.5 * w2 + C * float(np.sum(np.maximum(0.0, -g)))
        dual = float(alpha.sum()) - 0.5 * w2
        if (primal - dual) / max(abs(primal), 1e-300) < tol:
            break
        pg = alpha - np.clip(alpha - g, 0.0, C)  # projected gradient
        eps_b = min(1e-3 * C, float(np.linalg.norm(pg)))
        free = ~(((alpha <= eps_b) & (g > 0)) | ((alpha >= C - eps_b) & (g < 0)))
        F = np.flatnonzero(free)
        YF, gF = Y[F], g[F]
        k = len(F)
        if k == 0:
            break
        delta = 1e-8 * max(1.0, float(np.einsum("ij,ij->", YF, YF)) / k) + ridge
        try:
            if k <= p:
                # Gram rows are cached: the free set changes little from step to step
                new = F[pos[F] < 0]
                if len(new) and len(cached) + len(new) > 2 * p:  # bound the cache's memory
                    pos[:], cached, Gc = -1, np.empty(0, dtype=int), np.empty((0, 0))
                    new = F
                if len(new):
                    cross = Y[new] @ Y[cached].T if len(cached) else np.empty((len(new), 0))
                    Gc = np.block([[Gc, cross.T], [cross, Y[new] @ Y[new].T]])
                    pos[new] = np.arange(len(cached), len(cached) + len(new))
                    cached = np.r_[cached, new]
                GF = Gc[np.ix_(pos[F], pos[F])]
                GF[np.diag_indices(k)] += delta
                dF = -solve(GF, gF, assume_a="pos", check_finite=False)
            else:
                if ridge > 0 and 2 * k > n:
                    # most samples free: Y_F'Y_F = Y'Y - Y_out'Y_out, O((n - k) p^2) a step (the
                    # shift >= ridge keeps the difference well conditioned)
                    if YtY is None:
                        YtY = Y.T @ Y
                    Yo = Y[~free]
                    M = YtY - Yo.T @ Yo
                else:
                    M = YF.T @ YF
                M[np.diag_indices(p)] += delta
                inner = solve(M, YF.T @ gF, assume_a="pos", check_finite=False)
                dF = -(gF - YF @ inner) / delta
        except (LinAlgError, ValueError):
            return None
        d = np.zeros(n)
        d[free] = dF
        f0, t = f_of(alpha), 1.0
        while True:
            trial = np.clip(alpha + t * d, 0.0, C)
            if f_of(trial) <= f0 + 1e-4 * float(g @ (trial - alpha)) or t < 1e-12:
                break
            t *= 0.5
        alpha = trial
    return alpha


def _liblinear_dual(A, y, C, tol, delta=1e-4):
    """Dual variables of a liblinear hinge SVM: ``alpha_i = C`` inside the margin, ``0``
    outside, and on the margin the bounded least squares of ``w = sum alpha_i y_i phi_i``."""
    from scipy.optimize import lsq_linear
    from sklearn.exceptions import ConvergenceWarning as SklearnConvergenceWarning
    from sklearn.svm import LinearSVC

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SklearnConvergenceWarning)
        svc = LinearSVC(loss="hinge", C=C, fit_intercept=False, dual=True, tol=tol, max_iter=200_000,
                        random_state=0)
        w = svc.fit(A, y).coef_.ravel()
    marg = y * (A @ w)
    alpha = np.where(marg < 1.0 - delta, C, 0.0)
    S = np.flatnonzero(np.abs(marg - 1.0) <= delta)
    if S.size:
        r = w - A.T @ (alpha * y)
        sol = lsq_linear((A[S] * y[S, None]).T, r, bounds=(0.0, C), method="bvls" if S.size < 500 else "trf")
        alpha[S] = sol.x
    return alpha


def _hard_margin(rep, y):
    theta, gap, solver = _svm(rep.kind, rep.train, y, np.inf)
    h = rep.train @ theta
    if float(np.min(y * h)) < 1.0 - 1e-3:
        raise SolverError(f"hard-margin SVM not reached (min margin {np.min(y * h):.3g})")
    if gap > DUALITY_GAP_TOL:
        raise SolverError(f"SVM duality gap {gap:.3g} too large")
    return theta, {"solver": solver, "duality_gap": gap}


@register_solver(Hinge)
def solve_hinge(rep, y, lam, loss):
    """The SVM (``C = 1/lam``) certified by its duality gap; ``lam = 0``: hard margin or the LP."""
    if lam == 0:
        separable, theta_lp = _separability(rep, y)
        if not separable:  # the separability LP is the unregularized hinge minimization
            return theta_lp, {"solver": "linear program (unregularized hinge)", "separable": False}
        theta, info = _hard_margin(rep, y)
        return theta, {**info, "separable": True}
    found = _svm_lowrank(rep.lowrank, y, 1.0 / lam) if rep.lowrank is not None else None
    theta, gap, solver = found if found is not None else _svm(rep.kind, rep.train, y, 1.0 / lam)
    if gap > DUALITY_GAP_TOL:
        raise SolverError(f"SVM duality gap {gap:.3g} too large")
    return theta, {"solver": solver, "duality_gap": gap}


def _svm_lowrank(lr, y, C, tol=1e-7):
    """The kernel SVM for ``K = B B' + s2 I`` (:class:`~rafmodel.estimators.base.LowRankKernel`)
    as the explicit-feature SVM on ``[B, sqrt(s2) I_n]``: smoothed-hinge warm start, then
    projected Newton on the dual, never forming ``K``.  Returns ``(c, gap, solver)`` with the
    representer coefficients ``c = alpha * y`` and the same relative duality gap as
    :func:`_svm`, or ``None`` if the gap is not below ``tol`` (the caller then runs the dense
    route)."""
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1, user_api="blas"):
        alpha = _svm_projected_newton(lr.B, y, C, _smoothed_warm_start(lr.B, y, C, ridge=lr.s2), tol,
                                      ridge=lr.s2)
    if alpha is None:
        return None
    c = alpha * y
    h = lr.matvec(c)
    w2 = float(c @ h)
    primal = 0.5 * w2 + C * float(np.sum(np.maximum(0.0, 1.0 - y * h)))
    gap = (primal - (float(alpha.sum()) - 0.5 * w2)) / max(abs(primal), 1e-300)
    if not gap < tol:
        return None
    return c, gap, "projected Newton on the SVM dual (kernel as features [B, mustar I], smoothed-hinge warm start)"
