"""Learners trained on sampled RAF data (the finite-size counterpart of the theory).

:func:`fit` trains the learner of a :class:`rafmodel.Setting` on a :class:`RAFData`
sample and returns a :class:`Fitted` model: training outputs, a ``decision``
function for fresh inputs, the weight of the linear part when there is one (for
the overlaps ``m, q``), and an optimality certificate of the solver.

Representations (no intercept anywhere; ``Z = X / sqrt d``):

* linear: ``h = Z w``, penalty ``(lam/2)|w|^2``;
* kernel: ``h = K c`` with ``K = mu1^2 Z Z' + mustar^2 I`` (Gaussian-equivalent kernel), or
  the real kernel ``k(x.x'/d)`` (``exp(-c|x-x'|^2/(2d))`` for RBF) when the learner was built
  with :meth:`Kernel.from_kernel`; penalty ``(lam/2) c'Kc = (lam/2)|f|_K^2``;
* random features: ``h = Phi a``, ``Phi = sigma(X F'/sqrt d)/sqrt p``, penalty ``(lam/2)|a|^2``.

Solvers: square loss in closed form (Cholesky, or ``lstsq`` for the min-norm
solution at ``lam = 0``); hinge loss in the SVM dual (``C = 1/lam``, no intercept;
L-BFGS-B with box constraints), certified by the relative **duality gap**; logistic loss with scikit-learn (explicit
features) or L-BFGS on the representer coefficients (kernels), certified by the
gradient norm.  At ``lam = 0`` a linear program decides separability: separable
data get the hard-margin SVM (hinge, and the logistic ``lam -> 0+`` direction),
non-separable data the unregularized minimizer.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy.special import expit

from .data import RAFData, as_generator
from .exceptions import SolverError

__all__ = ["fit", "Fitted", "SolverError", "features_and_kernel", "ridge_path"]



@dataclass
class Fitted:
    """A trained learner.

    Attributes
    ----------
    h_train : ndarray of shape (n,)
        Outputs on the training inputs.
    decision : callable
        ``decision(X)`` -> outputs on inputs ``X`` of shape (m, d).
    w : ndarray of shape (d,) or None
        Weight of the linear part ``x/sqrt d`` of the predictor (linear learner: ``w``;
        Gaussian-equivalent kernel: the weight of ``mu1 x/sqrt d``), for ``m = w.w*/d``,
        ``q = |w|^2/d``; ``None`` when not defined.
    info : dict
        ``solver`` and its certificate: ``duality_gap`` (hinge, relative to the primal
        objective), ``grad_norm`` (logistic), ``separable`` at ``lam = 0``.
    """

    h_train: np.ndarray
    decision: object
    w: object = None
    info: dict = field(default_factory=dict)


# ----------------------------------------------------------------------------- representations

def _poly_activation(mu1, mustar):
    def sigma(t):
        return mu1 * t + mustar * (t * t - 1.0) / np.sqrt(2.0)
    return sigma


def _kernel_function(spec):
    """``(k(rho), rbf_c)``: a dot-product kernel function, or the RBF bandwidth."""
    from .equivalence import KERNELS

    name, params = spec
    if callable(name):
        return (lambda rho: name(rho, **params)), None
    key = name.lower()
    if key == "rbf":
        return None, float(params.get("c", 1.0))
    from .equivalence import _KERNEL_ALIASES  # noqa: PLC0415

    key = _KERNEL_ALIASES.get(key, key)
    if key == "activation":
        from .equivalence import rf_kernel

        act = params["activation"]
        return (lambda rho: rf_kernel(act, np.clip(rho, -1.0, 1.0))), None
    f = KERNELS[key]
    return (lambda rho: f(np.clip(rho, -1.0, 1.0), **params)), None


def features_and_kernel(setting, data, rng):
    """The learner's representation on ``data``.

    Returns ``(kind, train, test_map, lin)``: ``kind`` is ``"features"`` (``train`` is the
    ``(n, p)`` feature matrix, ``test_map(X)`` the features of new inputs) or ``"kernel"``
    (``train`` is the ``(n, n)`` kernel matrix, ``test_map(X)`` the ``(m, n)`` cross kernel);
    ``lin`` maps the fitted coefficients to the weight of the linear part (or ``None``).
    """
    learner = setting.learner
    d = data.d
    Z = data.X / np.sqrt(d)
    if learner.name == "linear":
        return "features", Z, (lambda X: X / np.sqrt(d)), (lambda theta: theta)
    if learner.name == "rf":
        p = max(1, int(round(learner.kappa * d)))
        F = rng.standard_normal((p, d))
        if learner.activation is not None:
            from .equivalence import _resolve_activation

            sigma = _resolve_activation(learner.activation)[1]
        else:
            sigma = _poly_activation(learner.mu1, learner.mustar)

        def feats(X):
            return np.asarray(sigma(X @ F.T / np.sqrt(d)), dtype=float) / np.sqrt(p)
        return "features", feats(data.X), feats, None
    if learner.name == "kernel":
        if learner.kernel is None:  # Gaussian-equivalent kernel
            mu1, ms = learner.mu1, learner.mustar
            K = mu1 * mu1 * (Z @ Z.T) + ms * ms * np.eye(data.n)
            return ("kernel", K, (lambda X: mu1 * mu1 * (X / np.sqrt(d)) @ Z.T),
                    (lambda c: mu1 * (Z.T @ c)))
        k, rbf_c = _kernel_function(learner.kernel)
        sq = np.sum(data.X**2, axis=1) / d
        G = data.X @ data.X.T / d
        if rbf_c is not None:
            def cross(X):
                s2 = np.sum(X**2, axis=1) / d
                return np.exp(-0.5 * rbf_c * np.maximum(s2[:, None] + sq[None, :] - 2 * X @ data.X.T / d, 0.0))
            K = np.exp(-0.5 * rbf_c * np.maximum(sq[:, None] + sq[None, :] - 2 * G, 0.0))
        else:
            def cross(X):
                return k(X @ data.X.T / d)
            K = k(G)
        return "kernel", np.asarray(K, dtype=float), cross, None
    raise ValueError(f"learner: no simulation for learner {learner.name!r}")


# ----------------------------------------------------------------------------- solvers

def _square(kind, A, y, lam):
    n = len(y)
    if kind == "kernel":
        if lam > 0:
            return _chol_solve(A + lam * np.eye(n), y)
        return np.linalg.lstsq(A, y, rcond=None)[0]
    p = A.shape[1]
    if lam == 0:
        return np.linalg.lstsq(A, y, rcond=None)[0]  # min-norm interpolator / least squares
    if p <= n:
        return _chol_solve(A.T @ A + lam * np.eye(p), A.T @ y)
    return A.T @ _chol_solve(A @ A.T + lam * np.eye(n), y)


def _chol_solve(M, b):
    from scipy.linalg import cho_factor, cho_solve

    try:
        return cho_solve(cho_factor(M, lower=True, check_finite=False), b, check_finite=False)
    except np.linalg.LinAlgError:
        return np.linalg.solve(M, b)


def _hinge_lp(kind, A, y):
    """``min_theta sum_i hinge(y_i h_i)`` as a linear program (HiGHS): ``(value, theta)``."""
    import scipy.sparse as sp
    from scipy.optimize import linprog

    n, p = A.shape
    M = sp.hstack([sp.csr_matrix(-(y[:, None] * A)), -sp.identity(n)], format="csr")
    res = linprog(np.r_[np.zeros(p), np.ones(n)], A_ub=M, b_ub=-np.ones(n),
                  bounds=[(None, None)] * p + [(0, None)] * n, method="highs")
    if res.status != 0:
        raise SolverError(f"hinge linear program failed: {res.message}")
    return float(res.fun), res.x[:p]


def _svm(kind, A, y, C, tol=1e-7):
    """SVM without intercept, ``min (1/2)|theta|^2 + C sum hinge`` (kernel: ``(1/2) c'Kc``).

    Solved in the dual, ``max_alpha sum(alpha) - (1/2) alpha'Q alpha`` with
    ``Q = (y y') * K``, ``0 <= alpha <= C`` (``C = inf``: the hard margin), by
    L-BFGS-B.  The weight is ``theta = sum_i alpha_i y_i phi_i``, and the relative
    **duality gap** ``(P - D) / P`` certifies the solution (for the hard margin
    the primal is ``(1/2)|theta|^2`` and feasibility is checked separately).
    Returns ``(theta, gap)``.
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
        # fast path: liblinear's coordinate descent, then its dual variables reconstructed
        # from the KKT conditions; the duality gap certifies the result
        for lib_tol in (1e-6, 1e-8):
            alpha = _liblinear_dual(A, y, C, lib_tol)
            gap, _ = gap_of(alpha)
            if gap < tol:
                return A.T @ (alpha * y), gap

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
    return theta, gap


def _liblinear_dual(A, y, C, tol, delta=1e-4):
    """Dual variables of a liblinear hinge SVM: ``alpha_i = C`` inside the margin, ``0``
    outside, and on the margin the bounded least squares of ``w = sum alpha_i y_i phi_i``."""
    import warnings

    from scipy.optimize import lsq_linear
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.svm import LinearSVC

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
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


def _logistic(kind, A, y, lam):
    """Penalized logistic regression; returns ``(theta, grad_norm)``."""
    if kind == "features":
        from sklearn.linear_model import LogisticRegression

        C = np.inf if lam == 0 else 1.0 / lam
        kw = dict(C=C) if lam > 0 else dict(C=np.inf)
        lr = LogisticRegression(fit_intercept=False, solver="newton-cholesky" if A.shape[1] <= 2000 else "lbfgs",
                                tol=1e-10, max_iter=5000, **kw)
        theta = lr.fit(A, y).coef_.ravel()
        g = -(A.T @ (y * expit(-y * (A @ theta)))) + lam * theta
        return theta, float(np.linalg.norm(g))
    from scipy.optimize import minimize

    K = A

    def fun(c):
        h = K @ c
        r = -y * expit(-y * h)
        return np.logaddexp(0.0, -y * h).sum() + 0.5 * lam * c @ h, K @ r + lam * h

    res = minimize(fun, np.zeros(len(y)), jac=True, method="L-BFGS-B",
                   options={"maxiter": 50_000, "gtol": 1e-10, "ftol": 1e-16})
    c = res.x
    h = K @ c
    # gradient of the objective with respect to the function values, in the RKHS metric
    grad = -y * expit(-y * h) + lam * c
    return c, float(np.sqrt(max(grad @ K @ grad, 0.0)))


def _margin_ok(h, y):
    return float(np.min(y * h)) >= 1.0 - 1e-3


def fit(setting, data: RAFData, *, rng) -> Fitted:
    """Train ``setting``'s learner with ``setting``'s loss and ``lam`` on ``data``.

    Parameters
    ----------
    setting : Setting
    data : RAFData
    rng : numpy.random.Generator or int
        Randomness of the learner itself (random-features weights).

    Returns
    -------
    Fitted

    Raises
    ------
    SolverError
        If a solver fails or its certificate is not met.
    """
    rng = as_generator(rng)
    kind, A, test_map, lin = features_and_kernel(setting, data, rng)
    y, lam, loss = data.y, setting.lam, setting.loss.name
    info = {}
    if loss == "square":
        theta = _square(kind, A, y, lam)
        info["solver"] = "cholesky" if lam > 0 else "lstsq (min-norm)"
    elif loss in ("hinge", "logistic"):
        separable, theta_lp = None, None
        if lam == 0:
            gem = kind == "kernel" and setting.learner.kernel is None and setting.learner.mustar > 0
            if gem:
                separable = True  # the memory channel separates anything
            else:
                val, theta_lp = _hinge_lp(kind, A, y)
                separable = val < 1e-8 * len(y)
            info["separable"] = separable
        if loss == "hinge" and lam == 0 and not separable:
            theta = theta_lp  # the separability LP is the unregularized hinge minimization
            info["solver"] = "linear program (unregularized hinge)"
        elif loss == "hinge" or (lam == 0 and separable):
            C = np.inf if lam == 0 else 1.0 / lam
            theta, gap = _svm(kind, A, y, C)
            info.update(solver="SVM dual (L-BFGS-B)", duality_gap=gap)
            h = A @ theta
            if lam == 0 and not _margin_ok(h, y):
                raise SolverError(f"hard-margin SVM not reached (min margin {np.min(y * h):.3g})")
            if gap > 1e-4:
                raise SolverError(f"SVM duality gap {gap:.3g} too large")
        else:
            theta, gn = _logistic(kind, A, y, lam)
            info.update(solver="logistic", grad_norm=gn)
            if gn > 1e-4 * np.sqrt(len(y)):
                raise SolverError(f"logistic solver not converged (gradient norm {gn:.3g})")
    else:
        raise ValueError(f"loss: no simulation for loss {loss!r}")
    h_train = A @ theta

    def decision(X):
        return test_map(X) @ theta

    w = lin(theta) if lin is not None else None
    return Fitted(h_train=h_train, decision=decision, w=w, info=info)


def ridge_path(setting, data: RAFData, lams, *, rng, X_test):
    """Square-loss outputs for many ``lam`` from one eigendecomposition.

    Returns ``(H_train, H_test)`` of shapes ``(len(lams), n)`` and ``(len(lams), m)``.
    ``lam = 0`` gives the min-norm interpolator / least squares (eigenvalues below
    ``1e-10`` times the largest are treated as zero).
    """
    rng = as_generator(rng)
    kind, A, test_map, _ = features_and_kernel(setting, data, rng)
    lams = np.asarray(lams, dtype=float)
    y = data.y
    if kind == "features":
        U, s, Vt = np.linalg.svd(A, full_matrices=False)
        s2 = s * s
        cut = s2 > 1e-10 * s2.max()
        uy = U.T @ y
        T = test_map(X_test) @ Vt.T  # (m, r)
        H_train, H_test = [], []
        for lam in lams:
            f = np.where(cut, s2 / (s2 + lam) if lam > 0 else 1.0, 0.0)
            H_train.append(U @ (f * uy))
            g = np.where(cut, s / (s2 + lam) if lam > 0 else 1.0 / np.where(cut, s, 1.0), 0.0)
            H_test.append(T @ (g * uy))
        return np.array(H_train), np.array(H_test)
    ev, U = np.linalg.eigh(A)
    cut = ev > 1e-10 * ev.max()
    uy = U.T @ y
    Kx = test_map(X_test) @ U
    H_train, H_test = [], []
    for lam in lams:
        inv = np.where(cut, 1.0 / np.where(cut, ev + lam, 1.0), 0.0)
        H_train.append(U @ (ev * inv * uy))
        H_test.append(Kx @ (inv * uy))
    return np.array(H_train), np.array(H_test)
