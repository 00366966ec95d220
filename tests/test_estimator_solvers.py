"""The estimators' solvers (SVM, logistic Newton, the ridge path): each against an independent route, and
certificates that name the solver that ran and are not reported converged when truncated."""

import numpy as np
import pytest

from rafmodel import Kernel, Linear, Setting
from rafmodel.data import sample_raf
from rafmodel.estimators import fit, solvers


def _gap(Z, y, C, alpha):
    w = Z.T @ (alpha * y)
    primal = 0.5 * w @ w + C * np.maximum(0.0, 1.0 - y * (Z @ w)).sum()
    return (primal - (alpha.sum() - 0.5 * w @ w)) / primal


def test_projected_newton_svm_matches_the_lbfgsb_dual():
    # two algorithms that share no code: projected Newton (liblinear warm start) and the
    # L-BFGS-B dual on the Gram matrix, at a size where both run in a moment
    d, lam = 80, 0.1
    data = sample_raf(d=d, alpha=4.0, eps=0.2, rng=3)
    Z = data.X / np.sqrt(d)
    fitted = fit(Setting(alpha=4.0, eps=0.2, lam=lam, loss="hinge", learner=Linear()), data, rng=0)
    assert fitted.info["solver"].startswith("projected Newton")
    assert fitted.info["duality_gap"] < 1e-7
    theta, gap, name = solvers._svm("kernel", Z @ Z.T, data.y, 1.0 / lam)
    assert name == "SVM dual (L-BFGS-B)" and gap < 1e-7
    np.testing.assert_allclose(fitted.h_train, Z @ Z.T @ theta, atol=1e-4)


def test_a_truncated_projected_newton_is_not_reported_converged(monkeypatch):
    d, lam = 80, 0.1
    data = sample_raf(d=d, alpha=4.0, eps=0.2, rng=3)
    Z, y, C = data.X / np.sqrt(d), data.y, 1.0 / lam
    alpha = solvers._svm_projected_newton(Z, y, C, np.zeros(len(y)), 1e-7, max_iter=1)
    assert _gap(Z, y, C, alpha) > 1e-7  # one step from zero is far from the optimum
    truncated = solvers._svm_projected_newton

    monkeypatch.setattr(solvers.hinge, "_svm_projected_newton",
                        lambda A, y, C, a, tol: truncated(A, y, C, np.zeros(len(y)), tol, max_iter=1))
    fitted = fit(Setting(alpha=4.0, eps=0.2, lam=lam, loss="hinge"), data, rng=0)
    assert not fitted.info["solver"].startswith("projected Newton")  # the fallback ran and says so
    assert fitted.info["duality_gap"] < 1e-7


@pytest.mark.parametrize("mu1,mustar,alpha", [(0.6, 0.5, 2.0), (1.0, 0.0, 2.0), (0.8, 0.3, 0.5)])
def test_kernel_ridge_path_from_the_svd_matches_separate_solves(mu1, mustar, alpha):
    # the path never forms K; each separate fit is a Cholesky solve (lstsq at lam = 0) on K
    from rafmodel.estimators import ridge_path

    d = 50
    s = Setting(alpha=alpha, eps=0.2, lam=0.1, loss="square", learner=Kernel(mu1=mu1, mustar=mustar))
    data = sample_raf(d=d, alpha=alpha, eps=0.2, rng=1)
    X_test = sample_raf(d=d, alpha=1.0, eps=0.2, rng=2).X
    lams = [0.0, 1e-3, 0.1, 3.0]
    H_train, H_test = ridge_path(s, data, lams, rng=0, X_test=X_test)
    for j, lam in enumerate(lams):
        f = fit(s.replace(lam=lam), data, rng=0)
        np.testing.assert_allclose(H_train[j], f.h_train, atol=1e-9)
        np.testing.assert_allclose(H_test[j], f.decision(X_test), atol=1e-9)


def test_logistic_newton_matches_scikit_learn_newton():
    from sklearn.linear_model import LogisticRegression

    d, lam = 60, 0.1
    data = sample_raf(d=d, alpha=4.0, eps=0.2, rng=5)
    Z = data.X / np.sqrt(d)
    fitted = fit(Setting(alpha=4.0, eps=0.2, lam=lam, loss="logistic"), data, rng=0)
    assert fitted.info["solver"] == "Newton-CG (primal, mixed precision)"
    assert fitted.info["grad_norm"] < 1e-4 * np.sqrt(data.n)
    w_ref = LogisticRegression(fit_intercept=False, solver="newton-cholesky", tol=1e-12, max_iter=1000,
                               C=1.0 / lam).fit(Z, data.y).coef_.ravel()
    # strong convexity (modulus lam): |w - w*| <= |gradient| / lam
    assert np.linalg.norm(fitted.w - w_ref) <= fitted.info["grad_norm"] / lam + 1e-8


def test_a_truncated_logistic_newton_is_not_reported_converged(monkeypatch):
    real = solvers._logistic_newton

    def two_steps(*args, **kwargs):
        return real(*args, **{**kwargs, "max_outer": 2})

    monkeypatch.setattr(solvers.logistic, "_logistic_newton", two_steps)
    data = sample_raf(d=60, alpha=4.0, eps=0.2, rng=5)
    fitted = fit(Setting(alpha=4.0, eps=0.2, lam=0.1, loss="logistic"), data, rng=0)
    assert fitted.info["solver"].startswith("scikit-learn")  # the fallback ran and says so
    assert fitted.info["grad_norm"] < 1e-4 * np.sqrt(data.n)


def _tight_logistic(Phi, y, lam):
    """An independent route: scikit-learn's Newton-Cholesky run to its floor."""
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(fit_intercept=False, solver="newton-cholesky", tol=1e-14, max_iter=1000,
                              C=1.0 / lam).fit(Phi, y).coef_.ravel()


@pytest.mark.parametrize("d,alpha,lam", [(200, 4.0, 0.1), (150, 2.0, 1e-3), (100, 0.5, 1e-2), (120, 3.0, 10.0)])
def test_logistic_newton_coefficients_match_a_tight_reference(d, alpha, lam):
    data = sample_raf(d=d, alpha=alpha, eps=0.2, rng=11)
    Z = data.X / np.sqrt(d)
    fitted = fit(Setting(alpha=alpha, eps=0.2, lam=lam, loss="logistic"), data, rng=0)
    assert fitted.info["solver"] == "Newton-CG (primal, mixed precision)"
    # the reported certificate is the float64 gradient norm at the returned coefficients
    w = fitted.w
    g = lam * w - Z.T @ (data.y / (1.0 + np.exp(data.y * (Z @ w))))
    assert fitted.info["grad_norm"] == pytest.approx(np.linalg.norm(g), rel=1e-6, abs=1e-14)
    assert fitted.info["grad_norm"] < 1e-4 * np.sqrt(data.n)
    w_ref = _tight_logistic(Z, data.y, lam)
    assert np.linalg.norm(w - w_ref) <= 1e-7 * np.linalg.norm(w_ref)


def test_logistic_newton_stops_at_the_relative_accuracy_it_guarantees():
    # lam-strong convexity: |w - w*| <= |g| / lam, and the solver stops at |g| <= rtol lam |w|
    d, lam = 150, 0.05
    data = sample_raf(d=d, alpha=3.0, eps=0.2, rng=3)
    Z = data.X / np.sqrt(d)
    A = solvers._Design(Z)
    gtol = 1e-3 * 1e-4 * np.sqrt(data.n)
    for rtol in (1e-4, 1e-8):
        w, gn, h = solvers._logistic_newton(A, data.y, lam, gtol, rtol=rtol)
        assert gn <= min(gtol, rtol * lam * np.linalg.norm(w))
        np.testing.assert_allclose(h, Z @ w, rtol=1e-12, atol=1e-12)
    w_ref = _tight_logistic(Z, data.y, lam)
    assert np.linalg.norm(w - w_ref) <= 1e-8 * np.linalg.norm(w_ref) * (1 + 1e-6) + 1e-12


def test_design_blocks_agree_with_dense_products():
    rng = np.random.default_rng(0)
    n, p, r = 1000, 300, 0.7
    B = rng.standard_normal((n, p)) / np.sqrt(p)
    A = solvers._Design(B, r)
    assert len(A._blocks) > 1
    dense = np.hstack([B, r * np.eye(n)])
    x, D, y = rng.standard_normal(p + n), rng.random(n), rng.choice([-1.0, 1.0], n)
    Aq, HAq = A.hessp32(x, D)
    np.testing.assert_allclose(Aq, dense @ x, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(HAq, dense.T @ (D * (dense @ x)), rtol=1e-5, atol=1e-5)
    h, sig, Ats = A.margins_grad(x, y)
    np.testing.assert_allclose(h, dense @ x, rtol=1e-13, atol=1e-13)
    np.testing.assert_allclose(Ats, dense.T @ (y / (1.0 + np.exp(y * h))), rtol=1e-13, atol=1e-13)


def _primal_svm_slsqp(Z, y, lam):
    """min (lam/2)|w|^2 + sum xi  s.t.  y_i w.z_i >= 1 - xi_i, xi >= 0, by SLSQP (a second algorithm
    that shares nothing with liblinear or the L-BFGS-B dual)."""
    from scipy.optimize import minimize

    n, p = Z.shape
    x0 = np.r_[np.zeros(p), np.ones(n)]
    cons = [{"type": "ineq", "fun": lambda x: y * (Z @ x[:p]) - 1 + x[p:], "jac": lambda x: np.c_[y[:, None] * Z, np.eye(n)]},
            {"type": "ineq", "fun": lambda x: x[p:], "jac": lambda x: np.c_[np.zeros((n, p)), np.eye(n)]}]
    res = minimize(lambda x: 0.5 * lam * x[:p] @ x[:p] + x[p:].sum(), x0,
                   jac=lambda x: np.r_[lam * x[:p], np.ones(n)], constraints=cons, method="SLSQP",
                   options={"maxiter": 2000, "ftol": 1e-13})
    assert res.success, res.message
    return res.x[:p]


@pytest.mark.parametrize("learner,expected_solver", [(Linear(), "projected Newton"),
                                                     (Kernel(mu1=0.7, mustar=0.0), "projected Newton")])
def test_svm_names_the_solver_that_ran_and_matches_an_independent_algorithm(learner, expected_solver):
    d, lam = 15, 0.3
    data = sample_raf(d=d, alpha=2.0, eps=0.3, rng=11)
    fitted = fit(Setting(alpha=2.0, eps=0.3, lam=lam, loss="hinge", learner=learner), data, rng=0)
    assert expected_solver in fitted.info["solver"]
    Z = data.X / np.sqrt(d)
    mu1 = learner.params().get("mu1", 1.0)
    w_ref = _primal_svm_slsqp(mu1 * Z, data.y, lam)  # the Gaussian-equivalent kernel with mustar = 0: features mu1 Z
    h_ref = mu1 * Z @ w_ref
    np.testing.assert_allclose(fitted.h_train, h_ref, atol=2e-5)


def test_the_fallback_svm_certificate_names_the_dual_lbfgsb(monkeypatch):
    # force the fallback (liblinear and projected Newton give nothing): the certificate must then
    # name the dual L-BFGS-B that ran
    monkeypatch.setattr(solvers.hinge, "_svm_projected_newton", lambda A, y, C, alpha, tol: None)
    monkeypatch.setattr(solvers.hinge, "_liblinear_dual", lambda A, y, C, tol: np.zeros(len(y)))
    data = sample_raf(d=15, alpha=2.0, eps=0.3, rng=11)
    fitted = fit(Setting(alpha=2.0, eps=0.3, lam=0.3, loss="hinge"), data, rng=0)
    assert fitted.info["solver"] == "SVM dual (L-BFGS-B)"
