"""Finite-size simulations of the Rules-and-Facts model (docs/theory.md sections 1-2).

Independent of the theory code: only the parameters of a :class:`rafmodel.Setting`
are read.  Conventions (no intercept anywhere):

* inputs ``x ~ N(0, I_d)``, teacher ``w*`` rescaled to ``|w*|^2 = d``;
* ``n = round(alpha d)`` training samples, of which exactly ``round(eps n)``
  (a random subset) are facts with labels uniform on ``{-1, +1}``; the others
  have ``y = sign(w*.x / sqrt d)``;
* the generalization error is the exact error of the trained predictor on fresh
  rule samples, ``arccos(m / sqrt(q)) / pi`` with ``m = w.w*/d``, ``q = |w|^2/d``
  (the test output ``x.w`` and the label ``sign(x.w*)`` are jointly Gaussian):
  the expectation, given ``w``, of the error on a sampled test set, without its
  counting noise;
* with ``Z = X / sqrt(d)`` the linear learner is ``h = Z w`` and the
  Gaussian-equivalent kernel learner is the linear model on ``theta = (w, u)``
  with features ``Phi = [mu1 Z, mustar I_n]``: training output
  ``h = mu1 Z w + mustar u``, test output ``mu1 x.w / sqrt d``.  Both minimize
  ``sum_i l(y_i, h_i) + (lam/2) |theta|^2``;
* ``lam = 0``: square -> min-norm least squares; hinge -> hard-margin SVM when
  the data are separable by the model, else the unregularized hinge minimizer
  (a linear program, solved in its dual form by HiGHS' interior point method,
  with the duality gap checked); logistic -> max-margin direction when separable,
  else the unpenalized minimizer.  Separability: the kernel with ``mustar > 0``
  always separates; for the linear learner an unpenalized logistic fit that
  classifies every training point correctly proves it.

Solvers: square in closed form; hinge with liblinear (``LinearSVC``, objective
``(1/2)|theta|^2 + C sum hinge``, so ``C = 1/lam``); logistic with scikit-learn
``LogisticRegression`` (same convention) for the linear learner and L-BFGS on
``(w, u)`` for the kernel learner.  Every solution is checked (stationarity or
margin) so that a silently unconverged solver cannot pass for a theory failure.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from scipy.optimize import linprog, minimize
from scipy.special import expit
from sklearn.linear_model import LogisticRegression
from sklearn.svm import LinearSVC

HARD_MARGIN_C = 1e5  # C of the soft-margin SVM standing in for the hard margin at lam = 0


def sample_raf(d, alpha, eps, rng):
    """Training set ``(X, y, is_fact)`` and teacher ``w*``."""
    n = int(round(alpha * d))
    n_facts = int(round(eps * n))
    w_star = rng.standard_normal(d)
    w_star *= np.sqrt(d) / np.linalg.norm(w_star)
    X = rng.standard_normal((n, d))
    y = np.where(X @ w_star >= 0, 1.0, -1.0)
    is_fact = np.zeros(n, dtype=bool)
    is_fact[rng.choice(n, size=n_facts, replace=False)] = True
    y[is_fact] = rng.choice([-1.0, 1.0], size=n_facts)
    return X, y, is_fact, w_star


# ----------------------------------------------------------------------------- solvers
# Each returns theta minimizing sum_i l(y_i, (Phi theta)_i) + (lam/2)|theta|^2.

def _fit_square(Phi, y, lam):
    """Ridge; at lam = 0 the min-norm interpolator (n < p) or least squares (n > p)."""
    n, p = Phi.shape
    if n <= p:  # representer form theta = Phi^T (Phi Phi^T + lam I)^-1 y
        return Phi.T @ np.linalg.solve(Phi @ Phi.T + lam * np.eye(n), y)
    return np.linalg.solve(Phi.T @ Phi + lam * np.eye(p), Phi.T @ y)


def _fit_square_kernel(Z, y, lam, mu1, mustar):
    """Kernel ridge with K = mu1^2 Z Z^T + mustar^2 I, returned as theta = Phi^T c."""
    n = len(y)
    c = np.linalg.solve(mu1**2 * (Z @ Z.T) + (mustar**2 + lam) * np.eye(n), y)
    return np.concatenate([mu1 * (Z.T @ c), mustar * c])


def _unpenalized_logistic(Phi, y):
    """Unpenalized logistic regression: ``(separable, theta)``.

    If the fit classifies every training point correctly the data are separable
    (a proof), the infimum is not attained and ``theta`` is meaningless;
    otherwise ``theta`` is the finite minimizer.
    """
    lr = LogisticRegression(C=np.inf, fit_intercept=False, solver="lbfgs",
                            tol=1e-10, max_iter=10_000)
    theta = lr.fit(Phi, y).coef_.ravel()
    return bool(np.all(y * (Phi @ theta) > 0)), theta


def _hinge_lp(Phi, y):
    """Unregularized hinge minimizer ``argmin_theta sum_i max(0, 1 - y_i (Phi theta)_i)``.

    Solved as the dual linear program ``max sum_i a_i`` subject to
    ``sum_i a_i y_i Phi_i = 0``, ``0 <= a_i <= 1`` (n variables, p equalities; the
    interior point method is several times faster here than the primal, which has
    n + p variables); ``theta`` is minus the multiplier of the equalities.  The
    duality gap certifies it.
    """
    n, p = Phi.shape
    yPhi = sp.diags(y) @ Phi if sp.issparse(Phi) else y[:, None] * Phi
    res = linprog(-np.ones(n), A_eq=yPhi.T, b_eq=np.zeros(p), bounds=(0, 1), method="highs-ipm")
    if res.status != 0:
        raise RuntimeError(f"hinge LP failed: {res.message}")
    theta = -res.eqlin.marginals
    primal = float(np.maximum(0.0, 1.0 - np.asarray(yPhi @ theta).ravel()).sum())
    if -res.fun < 1e-9:
        raise RuntimeError("hinge LP: the data are separable; use the hard-margin SVM")
    if abs(primal + res.fun) > 1e-7 * max(1.0, primal):
        raise RuntimeError(f"hinge LP: duality gap {primal + res.fun:.3g}")
    return theta


def _fit_hinge(Phi, y, lam, separable=None):
    """lam > 0: SVM with C = 1/lam.  lam = 0: hard-margin SVM if the data are separable
    (``separable=None``: find out), else the unregularized hinge minimizer (LP)."""
    if lam == 0:
        if separable is None:
            separable = _unpenalized_logistic(Phi, y)[0]
        if not separable:
            return _hinge_lp(Phi, y)
    C = HARD_MARGIN_C if lam == 0 else 1.0 / lam
    svm = LinearSVC(loss="hinge", C=C, fit_intercept=False, dual=True, tol=1e-6,
                    max_iter=1_000_000, random_state=0)
    theta = svm.fit(Phi, y).coef_.ravel()
    if lam == 0:  # a soft margin with huge C is the hard margin iff every margin is >= 1
        margin = np.min(y * (Phi @ theta))
        if margin < 1 - 1e-3:
            raise RuntimeError(f"hard-margin SVM not reached (min margin {margin:.3g})")
    return theta


def _logistic_grad(Phi, y, lam, theta):
    return -(Phi.T @ (y * expit(-y * (Phi @ theta)))) + lam * theta


def _fit_logistic(Phi, y, lam, linear, separable=None):
    """lam > 0: penalized minimizer.  lam = 0: max-margin direction if separable (the
    lam -> 0+ limit; only sign-based errors are meaningful), else the finite minimizer."""
    if lam == 0:
        if not separable:  # unknown (None) or False: the unpenalized fit decides
            separable, theta = _unpenalized_logistic(Phi, y)
        if separable:
            return _fit_hinge(Phi, y, 0.0, separable=True)
    elif linear:  # linear learner: scikit-learn, (1/2)|w|^2 + C sum loss
        lr = LogisticRegression(C=1.0 / lam, fit_intercept=False, solver="lbfgs",
                                tol=1e-10, max_iter=10_000)
        theta = lr.fit(Phi, y).coef_.ravel()
    else:  # kernel learner: L-BFGS on (w, u)
        def fun(theta):
            h = Phi @ theta
            return (np.logaddexp(0.0, -y * h).sum() + 0.5 * lam * theta @ theta,
                    _logistic_grad(Phi, y, lam, theta))
        res = minimize(fun, np.zeros(Phi.shape[1]), jac=True, method="L-BFGS-B",
                       options={"maxiter": 20_000, "gtol": 1e-9, "ftol": 1e-15})
        theta = res.x
    g = np.linalg.norm(_logistic_grad(Phi, y, lam, theta))
    if g > 1e-4 * np.sqrt(len(y)):
        raise RuntimeError(f"logistic solver not converged: |grad| = {g:.3g}")
    return theta


# ----------------------------------------------------------------------------- driver

def _errors(h, y):
    """Fraction of sign errors; an output of exactly 0 counts as an error."""
    return float(np.mean(~(y * h > 0))) if len(y) else np.nan


def simulate(setting, d, seed, separable=None):
    """One finite-size sample of ``setting`` (a :class:`rafmodel.Setting`) at dimension ``d``.

    Returns a dict with ``gen_error`` (exact, on the rule distribution: see the module
    docstring), ``mem_error``, ``rule_error``, and ``m = w.w*/d``, ``q = |w|^2/d`` of the
    weight ``w`` of the linear part (for the kernel learner: of the feature
    ``mu1 x/sqrt d``, i.e. ``ms, qs`` of docs/theory.md).

    ``separable=True`` (hinge/logistic at ``lam = 0``) skips the separability
    check and goes straight to the hard-margin SVM, whose margins are verified
    anyway (a wrong hint raises, it cannot give a wrong answer).
    """
    rng = np.random.default_rng(seed)
    X, y, is_fact, w_star = sample_raf(d, setting.alpha, setting.eps, rng)
    n = len(y)
    lam, loss = setting.lam, setting.loss.name
    Z = X / np.sqrt(d)
    linear = setting.learner.name == "linear"
    if linear:
        mu1 = 1.0
        Phi = Z
    else:
        mu1, mustar = float(setting.learner.mu1), float(setting.learner.mustar)
        Phi = sp.hstack([sp.csr_matrix(mu1 * Z), mustar * sp.identity(n, format="csr")],
                        format="csr")
    # The kernel with mustar > 0 separates any labels (u alone does); else check at lam = 0.
    if not linear and mustar > 0:
        separable = True
    if loss == "square":
        theta = _fit_square(Phi, y, lam) if linear else _fit_square_kernel(Z, y, lam, mu1, mustar)
    elif loss == "hinge":
        theta = _fit_hinge(Phi, y, lam, separable)
    elif loss == "logistic":
        theta = _fit_logistic(Phi, y, lam, linear, separable)
    else:
        raise ValueError(f"unknown loss {loss!r}")
    h_train = np.asarray(Phi @ theta).ravel()
    w = theta[:d]
    m, q = float(w @ w_star / d), float(w @ w / d)
    # test output mu1 x.w / sqrt d (mu1 > 0) against sign(x.w*): jointly Gaussian
    rho = np.clip(m / np.sqrt(q), -1.0, 1.0) if q > 0 else 0.0
    return {
        "gen_error": float(np.arccos(rho) / np.pi),
        "mem_error": _errors(h_train[is_fact], y[is_fact]),
        "rule_error": _errors(h_train[~is_fact], y[~is_fact]),
        "m": m,
        "q": q,
    }


def simulate_seeds(setting, d, seeds, separable=None):
    """Mean and standard error over seeds of every metric: ``{name: (mean, se)}``."""
    runs = [simulate(setting, d, s, separable) for s in seeds]
    out = {}
    for k in runs[0]:
        v = np.array([r[k] for r in runs])
        out[k] = (float(v.mean()), float(v.std(ddof=1) / np.sqrt(len(v))) if len(v) > 1 else np.nan)
    return out
