"""Penalized empirical risk minimization on a representation, one solver per loss.

Each solver minimizes ``sum_i loss(y_i, h_i) + (lam/2) penalty`` on a
:class:`~rafmodel.estimators.base.Representation` and returns the coefficients
with a certificate naming the algorithm that ran:

* square loss: closed form (Cholesky; ``lstsq`` for the min-norm solution at ``lam = 0``);
  for the Gaussian-equivalent kernel ``K = B B' + mustar^2 I`` (``B = mu1 Z``, ``n x d``,
  :class:`~rafmodel.estimators.base.LowRankKernel`) Woodbury's identity, a ``d x d`` Cholesky;
* hinge loss: the SVM without intercept (``C = 1/lam``), on explicit features by
  projected Newton on the dual warm-started by a loosely solved smoothed hinge (then, should it
  miss the gap, liblinear run tight with its dual variables rebuilt from the KKT
  conditions); the Gaussian-equivalent kernel the same way, as the explicit features
  ``[B, mustar I_n]`` (``K`` never formed); otherwise, and should those miss the gap,
  L-BFGS-B on the box-constrained dual (real kernels, the hard margin); certified by the
  relative **duality gap**;
* logistic loss: inexact Newton on the primal, conjugate gradients with float32
  Hessian-vector products and float64 gradients (:func:`_logistic_newton`; explicit features
  and the Gaussian-equivalent kernel as the features ``[B, mustar I_n]``, ``lam > 0``), stopped
  below ``1e-3`` of the certificate and at a gradient that bounds the coefficients' relative
  error by ``LOGISTIC_RTOL``; otherwise, or if the certificate is not reached, scikit-learn's
  Newton for explicit features and L-BFGS on the representer coefficients for kernels;
  certified by the gradient norm (for a kernel, of the returned representer coefficients in
  the RKHS metric);
* any other loss: L-BFGS on the primal objective, certified by the gradient norm
  (the loss's ``derivative(y, h)`` if it has one, else central differences of ``value``).

At ``lam = 0`` a linear program decides separability for the margin losses:
separable data get the hard-margin SVM (hinge, and the logistic ``lam -> 0+``
direction), non-separable data the unregularized minimizer.
"""

from __future__ import annotations

import warnings

import numpy as np
from scipy.special import expit

from ..exceptions import ParameterError, SolverError
from ..losses import Hinge, Logistic, Loss, Square
from .base import register_solver

__all__ = ["solve_square", "solve_hinge", "solve_logistic", "solve_generic", "DUALITY_GAP_TOL"]

#: Largest relative duality gap a hinge solution may have.
DUALITY_GAP_TOL = 1e-4


def _grad_tol(n):
    return 1e-4 * np.sqrt(n)


@register_solver(Square)
def solve_square(rep, y, lam, loss):
    """Ridge / kernel ridge in closed form; ``lam = 0``: the min-norm least-squares solution."""
    n = len(y)
    lr = rep.lowrank
    if lr is not None and lr.B.shape[1] < n and (
            lr.s2 + lam > 1e-6 * np.einsum("ij,ij->", lr.B, lr.B) / lr.B.shape[1]):
        # K + lam I = B B' + (s2 + lam) I: Woodbury, an r x r Cholesky (K never formed); a shift
        # below 1e-6 of B'B's mean eigenvalue (mustar ~ lam ~ 0) would lose digits to the
        # subtraction in Woodbury's formula: the n x n route then
        return _lowrank_solve(lr.B, lr.s2 + lam, y), {"solver": "cholesky (Woodbury, low-rank kernel)"}
    A = rep.train
    if rep.kind == "kernel":
        theta = _chol_solve(A + lam * np.eye(n), y) if lam > 0 else np.linalg.lstsq(A, y, rcond=None)[0]
    elif lam == 0:
        theta = _min_norm_fast(A, y)
        if theta is not None:
            return theta, {"solver": "cholesky (min-norm, certified residual)"}
        theta = np.linalg.lstsq(A, y, rcond=None)[0]  # min-norm interpolator / least squares
    elif A.shape[1] <= n:
        theta = _chol_solve(A.T @ A + lam * np.eye(A.shape[1]), A.T @ y)
    else:
        theta = A.T @ _chol_solve(A @ A.T + lam * np.eye(n), y)
    return theta, {"solver": "cholesky" if lam > 0 else "lstsq (min-norm)"}


def _min_norm_fast(A, y):
    """The ``lam = 0`` square-loss solution by one Cholesky where the shape makes it well posed.

    ``p >= 2 n`` (many more features than samples): the min-norm interpolator
    ``A' (A A')^{-1} y``, accepted only if it interpolates (``|A theta - y| <= 1e-8 |y|``);
    ``n >= 2 p``: least squares from the normal equations, accepted only if the gradient
    ``A'(A theta - y)`` is below ``1e-9 |A|_F^2 |theta|``.  Far from ``n = p`` both systems are
    well conditioned and this is several times faster than an SVD-based ``lstsq``; ``None``
    (the caller runs ``lstsq``) otherwise or where the check fails.
    """
    from scipy.linalg import LinAlgError, cho_factor, cho_solve

    n, p = A.shape
    try:
        if p >= 2 * n:
            theta = A.T @ cho_solve(cho_factor(A @ A.T, lower=True, check_finite=False), y, check_finite=False)
            ok = np.linalg.norm(A @ theta - y) <= 1e-8 * np.linalg.norm(y)
        elif n >= 2 * p:
            theta = cho_solve(cho_factor(A.T @ A, lower=True, check_finite=False), A.T @ y, check_finite=False)
            ok = (np.linalg.norm(A.T @ (A @ theta - y))
                  <= 1e-9 * float(np.einsum("ij,ij->", A, A)) * max(np.linalg.norm(theta), 1e-300))
        else:
            return None
    except (LinAlgError, ValueError):
        return None
    return theta if ok and np.all(np.isfinite(theta)) else None


def _chol_solve(M, b):
    from scipy.linalg import cho_factor, cho_solve

    try:
        return cho_solve(cho_factor(M, lower=True, check_finite=False), b, check_finite=False)
    except np.linalg.LinAlgError:
        return np.linalg.solve(M, b)


def _lowrank_solve(B, t, b):
    """``(B B' + t I)^{-1} b`` for ``t > 0`` by Woodbury: ``(b - B (B'B + t I)^{-1} B'b) / t``,
    one ``r x r`` Cholesky (``O(n r^2)``) instead of an ``n x n`` one."""
    M = B.T @ B
    M[np.diag_indices_from(M)] += t
    return (b - B @ _chol_solve(M, B.T @ b)) / t


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


#: Relative accuracy the logistic Newton solver guarantees on its coefficients:
#: it stops at a gradient norm below ``LOGISTIC_RTOL * lam * |w|``, which bounds
#: ``|w - w*| / |w|`` by ``LOGISTIC_RTOL`` (the objective is ``lam``-strongly convex).
LOGISTIC_RTOL = 1e-8


class _Design:
    """The design ``A = [B, r I_n]`` (``r = 0``: ``A = B``) of a logistic primal.

    Keeps a float32 copy of ``B`` for the Newton solver's inner conjugate-gradient products,
    and evaluates ``A x`` together with ``A' s(A x)`` (``s`` acting row by row) in **one**
    pass over ``B``: by blocks of rows small enough to stay in cache between the two
    products (the products are memory bound, so this saves about a quarter of their time).

    Parameters
    ----------
    B : ndarray of shape (n, p)
        The features.
    r : float, optional
        Multiple of the identity block (the Gaussian-equivalent kernel's ``mustar``).
    """

    #: Bytes of ``B`` per block of rows (float32: about 128 rows of 1000 features).
    BLOCK_BYTES = 1 << 19

    def __init__(self, B, r=0.0):
        self.B, self.r = np.ascontiguousarray(B, dtype=float), float(r)
        self.B32 = None  # filled by the first float32 product, in the same pass
        self.n, self.p = B.shape
        self.m = self.p + (self.n if self.r > 0 else 0)
        rows = max(8, self.BLOCK_BYTES // (4 * max(self.p, 1)))
        self._blocks = [slice(i, min(i + rows, self.n)) for i in range(0, self.n, rows)]

    def dot(self, x):
        """``A x`` in float64."""
        h = self.B @ x[:self.p]
        if self.r > 0:
            h += self.r * x[self.p:]
        return h

    def _split(self, g, u):
        return np.concatenate([g, self.r * u]) if self.r > 0 else g

    def tdot32(self, s):
        """``A' s`` from the float32 copy (float64 out); the first call makes the copy, block by
        block in the same pass."""
        s32 = s.astype(np.float32)
        if self.B32 is None:
            self.B32 = np.empty(self.B.shape, dtype=np.float32)
            out = np.zeros(self.p)
            for b in self._blocks:
                Bb = self.B32[b]
                Bb[...] = self.B[b]
                out += Bb.T @ s32[b]
            return self._split(out, s)
        return self._split((self.B32.T @ s32).astype(float), s)

    def hessp32(self, q, D):
        """``(A q, A'(D A q))`` from the float32 copy, one pass over it (float64 out)."""
        if self.B32 is None:
            self.B32 = self.B.astype(np.float32)
        p, r = self.p, self.r
        q32 = q[:p].astype(np.float32)
        D32 = D.astype(np.float32)
        Aq = np.empty(self.n)
        out = np.zeros(p)
        for b in self._blocks:
            Bb = self.B32[b]
            v = Bb @ q32
            if r > 0:
                v = v + (r * q[p:][b]).astype(np.float32)
            Aq[b] = v
            out += Bb.T @ (D32[b] * v)
        return Aq, self._split(out, D * Aq)

    def margins_grad(self, x, y):
        """``(h, sigma, A'(y sigma))`` with ``h = A x``, ``sigma = expit(-y h)``, in float64,
        one pass over ``B``."""
        p, r = self.p, self.r
        h = np.empty(self.n)
        out = np.zeros(p)
        xp = x[:p]
        for b in self._blocks:
            Bb = self.B[b]
            hb = Bb @ xp
            if r > 0:
                hb += r * x[p:][b]
            h[b] = hb
            out += Bb.T @ (y[b] * expit(-y[b] * hb))
        sig = expit(-y * h)
        return h, sig, self._split(out, y * sig)


def _logistic_newton(A, y, lam, gtol, rtol=LOGISTIC_RTOL, max_outer=100, max_cg=1000):
    """Penalized logistic regression ``sum log(1 + exp(-y_i a_i.x)) + (lam/2)|x|^2``
    (``lam > 0``) by inexact Newton with mixed-precision conjugate gradients.

    Each Newton system ``(lam I + A' D A) d = -g``, ``D = diag(sigma (1 - sigma))``, is
    solved by conjugate gradients whose Hessian-vector products ``lam v + A'(D (A v))`` use
    a float32 copy of the features (half the memory traffic of float64; the products are
    memory bound); ``A d`` is accumulated from those products, so the Armijo line search
    on ``x + t d`` costs no pass over the features.  Far from the solution the margins
    ``A x`` are tracked through these float32 steps; once the gradient is below ``1e-4`` of
    its initial norm they are recomputed in float64 and so is the gradient, at every outer
    step (iterative refinement: the float32 inner solves only need a relative accuracy
    ``eta >= 1e-5``, the float64 gradient sets the attainable accuracy).  Forcing term
    ``eta = min(0.5, sqrt(|g| / |g0|))`` (superlinear), then just enough to land below the
    target.

    Stops at a float64 gradient norm below both ``gtol`` and ``rtol * lam * |x|``; since the
    objective is ``lam``-strongly convex, ``|x - x*| <= |g| / lam <= rtol |x|``.  Stops
    earlier, at the best point found, if an outer step no longer halves the float64
    gradient norm (floating-point floor); the caller checks the certificate.

    Parameters
    ----------
    A : _Design
        The design.
    y : ndarray of shape (n,)
        Labels in ``{-1, +1}``.
    lam : float
        Ridge penalty, ``> 0``.
    gtol : float
        Gradient norm to reach.
    rtol : float, optional
        Relative accuracy of the coefficients to guarantee (see above).
    max_outer, max_cg : int, optional
        Caps on Newton steps and on conjugate-gradient iterations per step.

    Returns
    -------
    x : ndarray of shape (m,)
        The coefficients.
    grad_norm : float
        Norm of the float64 gradient at ``x``.
    h : ndarray of shape (n,)
        The outputs ``A x`` (float64).
    """
    from scipy.special import log_expit

    m = A.m
    x = np.zeros(m)
    h = np.zeros(A.n)
    exact, gn0 = False, None
    best = (np.inf, x, h)
    base, tries = None, 0  # float64 stage: the point the last Newton step left, and retries
    for _ in range(max_outer):
        if exact:
            h, sig, Ats = A.margins_grad(x, y)
        else:
            sig = expit(-y * h)
            Ats = A.tdot32(y * sig)
        g = lam * x - Ats
        gn = float(np.linalg.norm(g))
        if gn0 is None:
            gn0 = gn
        if exact:
            if gn < best[0]:
                best = (gn, x, h)
            target = min(gtol, rtol * lam * float(np.linalg.norm(x)))
            if gn <= target:
                break
            if base is not None and gn > 0.5 * base[0]:
                # the full Newton step did not halve the float64 gradient: halve the step
                # (at most 3 times: beyond, the floating-point floor is reached)
                if tries == 3:
                    break
                tries += 1
                x = base[1] + 0.5 ** tries * base[2]
                continue
            eta = min(0.5, max(1e-5, 0.5 * target / gn))
        elif gn <= 1e-4 * gn0:
            exact = True
            continue
        else:
            eta = min(0.5, np.sqrt(gn / gn0))
        # conjugate gradients on (lam I + A' D A) d = -g, float32 products
        D = sig * (1.0 - sig)
        d, Ad = np.zeros(m), np.zeros(A.n)
        r = -g
        q = r.copy()
        rr = float(r @ r)
        stop = (eta * gn) ** 2
        for _ in range(max_cg):
            Aq, Hq = A.hessp32(q, D)
            Hq += lam * q
            qHq = float(q @ Hq)
            if not qHq > 0:
                break
            a = rr / qHq
            d += a * q
            Ad += a * Aq
            r -= a * Hq
            rr_new = float(r @ r)
            if rr_new <= stop:
                break
            q = r + (rr_new / rr) * q
            rr = rr_new
        gd = float(g @ d)
        if not gd < 0:
            if exact:
                break
            exact = True  # the float32 route has run out of accuracy
            continue
        if exact:
            # Newton's quadratic region: the full step, judged by the next float64 gradient
            base, tries = (gn, x, d), 0
            x = x + d
            continue
        f0 = -float(log_expit(y * h).sum()) + 0.5 * lam * float(x @ x)
        t = 1.0
        while t > 1e-8:
            xt = x + t * d
            if -float(log_expit(y * (h + t * Ad)).sum()) + 0.5 * lam * float(xt @ xt) <= f0 + 1e-4 * t * gd:
                break
            t *= 0.5
        else:
            exact = True  # no decrease visible at float32 margins
            continue
        x = x + t * d
        h = h + t * Ad
    gn, x, h = best
    return x, gn, h


@register_solver(Logistic)
def solve_logistic(rep, y, lam, loss):
    """Penalized logistic regression, certified by the gradient norm; ``lam = 0``: the
    max-margin direction on separable data, the unregularized minimizer otherwise."""
    info = {}
    if lam == 0:
        separable, _ = _separability(rep, y)
        info["separable"] = separable
        if separable:
            theta, hm = _hard_margin(rep, y)
            return theta, {**hm, **info}
    theta = None
    if rep.lowrank is not None and lam > 0:
        theta, gn = _logistic_lowrank(rep.lowrank, y, lam)
        name = "Newton-CG (primal, kernel as features [B, mustar I], mixed precision)"
        if gn > _grad_tol(len(y)):
            theta = None  # not certified: the representer route below
    if theta is not None:
        return theta, {**info, "solver": name, "grad_norm": gn}
    A = rep.train
    if rep.kind == "features" and lam > 0:
        # Newton-CG on the primal (mixed precision), stopped below 1e-3 of the certificate
        # and at a gradient that bounds the coefficients' relative error by LOGISTIC_RTOL
        theta, gn, _ = _logistic_newton(_Design(A), y, lam, 1e-3 * _grad_tol(len(y)))
        name = "Newton-CG (primal, mixed precision)"
        if gn > _grad_tol(len(y)):
            theta = None  # not certified: scikit-learn's Newton below
    if theta is None and rep.kind == "features":
        from sklearn.linear_model import LogisticRegression

        solver = "newton-cholesky" if A.shape[1] <= 2000 else "lbfgs"
        lr = LogisticRegression(fit_intercept=False, solver=solver, tol=1e-10, max_iter=5000,
                                C=np.inf if lam == 0 else 1.0 / lam)
        theta = lr.fit(A, y).coef_.ravel()
        g = -(A.T @ (y * expit(-y * (A @ theta)))) + lam * theta
        gn = float(np.linalg.norm(g))
        name = f"scikit-learn LogisticRegression ({solver})"
    elif theta is None:
        from scipy.optimize import minimize

        K = A

        def fun(c):
            h = K @ c
            r = -y * expit(-y * h)
            return np.logaddexp(0.0, -y * h).sum() + 0.5 * lam * c @ h, K @ r + lam * h

        theta = minimize(fun, np.zeros(len(y)), jac=True, method="L-BFGS-B",
                         options={"maxiter": 50_000, "gtol": 1e-10, "ftol": 1e-16}).x
        h = K @ theta
        # gradient of the objective with respect to the function values, in the RKHS metric
        grad = -y * expit(-y * h) + lam * theta
        gn = float(np.sqrt(max(grad @ K @ grad, 0.0)))
        name = "L-BFGS-B (representer coefficients)"
    if gn > _grad_tol(len(y)):
        raise SolverError(f"logistic solver not converged (gradient norm {gn:.3g})")
    return theta, {**info, "solver": name, "grad_norm": gn}


def _logistic_lowrank(lr, y, lam):
    """Kernel logistic regression for ``K = B B' + s2 I`` as the explicit-feature primal on
    ``[B, sqrt(s2) I_n]`` (Newton-CG, :func:`_logistic_newton`, stopped as for explicit features), ``K`` never formed.

    Returns ``(c, grad_norm)``: the representer coefficients ``c = K^{-1} h`` of the outputs
    ``h`` found (Woodbury; for ``s2 = 0``, ``c = B (B'B)^{-1} w``, so ``K c = h`` either way)
    and the certificate of the kernel route, ``|g + lam c|_K`` with ``g = loss'(K c)``
    (at most the primal gradient norm).  ``(None, inf)`` where ``c`` cannot be formed.
    """
    B, s2 = lr.B, lr.s2
    n, p = B.shape
    if s2 == 0 and p >= n:
        return None, np.inf
    x, gn, h = _logistic_newton(_Design(B, np.sqrt(s2)), y, lam, 1e-3 * _grad_tol(n))
    if not np.isfinite(gn):
        return None, np.inf
    c = _lowrank_solve(B, s2, h) if s2 > 0 else B @ _chol_solve(B.T @ B, x)
    h = lr.matvec(c)
    grad = -y * expit(-y * h) + lam * c  # gradient in the function values, RKHS metric
    return c, float(np.sqrt(max(float(grad @ lr.matvec(grad)), 0.0)))


def _derivative(loss, y, h):
    """``d loss(y, h) / dh``: the loss's own ``derivative`` if it has one, else central differences."""
    own = getattr(loss, "derivative", None)
    if own is not None:
        return np.asarray(own(y, h), dtype=float)
    step = 1e-6 * (1.0 + np.abs(h))
    return (np.asarray(loss.value(y, h + step)) - np.asarray(loss.value(y, h - step))) / (2.0 * step)


@register_solver(Loss)
def solve_generic(rep, y, lam, loss):
    """Any loss with a ``value``: L-BFGS on the primal objective, certified by the gradient norm.

    Needs ``lam > 0`` (the ``lam -> 0`` limits of a new loss are not known in general).
    """
    from scipy.optimize import minimize

    if lam == 0:
        raise ParameterError("lam", f"simulating the {loss.name!r} loss needs lam > 0 (only square, hinge "
                                    "and logistic have their lam -> 0 limits implemented), got 0")
    A = rep.train
    kernel = rep.kind == "kernel"

    def fun(theta):
        h = A @ theta
        g_h = _derivative(loss, y, h)
        if kernel:  # penalty (lam/2) c'Kc
            return float(np.sum(loss.value(y, h))) + 0.5 * lam * theta @ h, A @ (g_h + lam * theta)
        return float(np.sum(loss.value(y, h))) + 0.5 * lam * theta @ theta, A.T @ g_h + lam * theta

    theta = minimize(fun, np.zeros(A.shape[1]), jac=True, method="L-BFGS-B",
                     options={"maxiter": 50_000, "gtol": 1e-10, "ftol": 1e-16, "maxcor": 30}).x
    g = fun(theta)[1]
    if kernel:  # the gradient with respect to the function values, in the RKHS metric
        gh = _derivative(loss, y, A @ theta) + lam * theta
        gn = float(np.sqrt(max(gh @ A @ gh, 0.0)))
    else:
        gn = float(np.linalg.norm(g))
    if gn > _grad_tol(len(y)):
        raise SolverError(f"{loss.name} solver not converged (gradient norm {gn:.3g})")
    return theta, {"solver": "L-BFGS-B (primal, generic loss)", "grad_norm": gn}
