"""The faster simulation paths (issue 13): each against an independent route, and honest certificates."""

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

    monkeypatch.setattr(solvers, "_svm_projected_newton",
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


def test_logistic_lbfgs_matches_scikit_learn_newton():
    from sklearn.linear_model import LogisticRegression

    d, lam = 60, 0.1
    data = sample_raf(d=d, alpha=4.0, eps=0.2, rng=5)
    Z = data.X / np.sqrt(d)
    fitted = fit(Setting(alpha=4.0, eps=0.2, lam=lam, loss="logistic"), data, rng=0)
    assert fitted.info["solver"] == "L-BFGS-B (primal)"
    assert fitted.info["grad_norm"] < 1e-4 * np.sqrt(data.n)
    w_ref = LogisticRegression(fit_intercept=False, solver="newton-cholesky", tol=1e-12, max_iter=1000,
                               C=1.0 / lam).fit(Z, data.y).coef_.ravel()
    # strong convexity (modulus lam): |w - w*| <= |gradient| / lam
    assert np.linalg.norm(fitted.w - w_ref) <= fitted.info["grad_norm"] / lam + 1e-8


def test_a_truncated_logistic_lbfgs_is_not_reported_converged(monkeypatch):
    import scipy.optimize

    real = scipy.optimize.minimize

    def two_steps(*args, **kwargs):
        kwargs["options"] = {**kwargs.get("options", {}), "maxiter": 2}
        return real(*args, **kwargs)

    monkeypatch.setattr(scipy.optimize, "minimize", two_steps)
    data = sample_raf(d=60, alpha=4.0, eps=0.2, rng=5)
    fitted = fit(Setting(alpha=4.0, eps=0.2, lam=0.1, loss="logistic"), data, rng=0)
    assert fitted.info["solver"].startswith("scikit-learn")  # the fallback ran and says so
    assert fitted.info["grad_norm"] < 1e-4 * np.sqrt(data.n)
