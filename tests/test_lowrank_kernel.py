"""The Gaussian-equivalent kernel kept factored (K = B B' + s2 I, the Gram matrix of [mu1 Z, mustar I]):
each kernel solver's low-rank route against the dense n x n route or scikit-learn, and honest certificates."""

import numpy as np
import pytest

from rafmodel import Kernel, Setting
from rafmodel.data import sample_raf
from rafmodel.estimators import PenalizedERM, fit, represent, solvers
from rafmodel.exceptions import SolverError


def _dense_K(data, mu1, mustar):
    Z = data.X / np.sqrt(data.d)
    return mu1**2 * Z @ Z.T + mustar**2 * np.eye(data.n)


def test_the_factored_representation_is_the_dense_kernel():
    data = sample_raf(d=30, alpha=3.0, eps=0.2, rng=0)
    X_new = sample_raf(d=30, alpha=1.0, eps=0.2, rng=1).X
    rep = represent(Kernel(mu1=0.6, mustar=0.5), data.X, np.random.default_rng(0))
    assert rep.lowrank is not None
    K = _dense_K(data, 0.6, 0.5)
    c = np.random.default_rng(2).standard_normal(data.n)
    np.testing.assert_allclose(rep.train, K, rtol=0, atol=1e-14)  # formed lazily, on access
    np.testing.assert_allclose(rep.apply(c), K @ c, rtol=1e-12)
    np.testing.assert_allclose(rep.decision(c)(X_new), rep.test_map(X_new) @ c, rtol=1e-12)


@pytest.mark.parametrize("mu1,mustar,alpha,lam", [(0.6, 0.5, 4.0, 0.1), (0.6, 0.5, 4.0, 0.0),
                                                  (1.0, 0.0, 2.0, 1e-2), (0.8, 0.3, 1.5, 3.0),
                                                  (0.7, 0.03, 1.2, 0.0)])
def test_woodbury_kernel_ridge_matches_the_n_by_n_cholesky(mu1, mustar, alpha, lam):
    data = sample_raf(d=40, alpha=alpha, eps=0.2, rng=3)
    X_test = sample_raf(d=40, alpha=1.0, eps=0.2, rng=4).X
    fitted = fit(Setting(alpha=alpha, eps=0.2, lam=lam, loss="square", learner=Kernel(mu1=mu1, mustar=mustar)),
                 data, rng=0)
    assert fitted.info["solver"] == "cholesky (Woodbury, low-rank kernel)"
    # the former route: the n x n system (Cholesky; at lam = 0 with mustar > 0, K is invertible)
    K = _dense_K(data, mu1, mustar)
    c = np.linalg.solve(K + lam * np.eye(data.n), data.y)
    np.testing.assert_allclose(fitted.h_train, K @ c, rtol=1e-10, atol=1e-12)
    Kx = mu1**2 * (X_test / np.sqrt(40)) @ (data.X / np.sqrt(40)).T
    h_test = Kx @ c
    np.testing.assert_allclose(fitted.decision(X_test), h_test, rtol=1e-10, atol=1e-10 * np.abs(h_test).max())


def test_kernel_ridge_without_a_usable_factor_keeps_the_dense_route():
    # n <= d (the factor is no thinner than K), and mustar = lam = 0 (min-norm): the n x n routes
    data = sample_raf(d=40, alpha=0.5, eps=0.2, rng=3)
    f = fit(Setting(alpha=0.5, eps=0.2, lam=0.1, loss="square", learner=Kernel(mu1=0.6, mustar=0.5)), data, rng=0)
    assert f.info["solver"] == "cholesky"
    data = sample_raf(d=40, alpha=2.0, eps=0.2, rng=3)
    f = fit(Setting(alpha=2.0, eps=0.2, lam=0.0, loss="square", learner=Kernel(mu1=0.6, mustar=0.0)), data, rng=0)
    assert f.info["solver"] == "lstsq (min-norm)"
    # a shift too small for Woodbury's subtraction (mustar = 0, lam = 1e-9): the n x n Cholesky
    data = sample_raf(d=40, alpha=1.1, eps=0.2, rng=3)
    f = fit(Setting(alpha=1.1, eps=0.2, lam=1e-9, loss="square", learner=Kernel(mu1=0.6, mustar=0.0)), data, rng=0)
    assert f.info["solver"] == "cholesky"


@pytest.mark.parametrize("mu1,mustar,lam", [(0.6, 0.5, 0.1), (0.8, 0.3, 3e-2), (0.7, 0.0, 0.3)])
def test_lowrank_kernel_svm_matches_the_dense_lbfgsb_dual(mu1, mustar, lam):
    # projected Newton on the factored kernel against the L-BFGS-B dual on the n x n Gram matrix:
    # two algorithms sharing no code, both certified by the duality gap
    d, alpha = 60, 4.0
    data = sample_raf(d=d, alpha=alpha, eps=0.2, rng=7)
    y, C = data.y, 1.0 / lam
    rep = represent(Kernel(mu1=mu1, mustar=mustar), data.X, np.random.default_rng(0))
    c, info = solvers.solve_hinge(rep, y, lam, None)
    assert info["solver"].startswith("projected Newton on the SVM dual (kernel as features")
    assert info["duality_gap"] < 1e-7
    K = _dense_K(data, mu1, mustar)
    c_ref, gap, name = solvers._svm("kernel", K, y, C)
    assert name == "SVM dual (L-BFGS-B)" and gap < 1e-6
    # the reported gap is the gap of the returned coefficients, recomputed here on the dense K
    def primal_dual(c):
        return (0.5 * c @ K @ c + C * np.maximum(0.0, 1.0 - y * (K @ c)).sum(),
                (c * y).sum() - 0.5 * c @ K @ c)  # alpha = c * y

    P, D = primal_dual(c)
    assert (P - D) / P == pytest.approx(info["duality_gap"], rel=1e-3, abs=1e-12)
    # the primal is 1-strongly convex in f (RKHS norm): |h - h*| <= sqrt(2 |K| (P - D)) for each
    P_ref, D_ref = primal_dual(c_ref)
    normK = np.linalg.norm(K, 2)
    bound = np.sqrt(2 * normK * (P - D)) + np.sqrt(2 * normK * (P_ref - D_ref))
    assert np.linalg.norm(K @ c - K @ c_ref) <= bound
    np.testing.assert_allclose(K @ c, K @ c_ref, atol=1e-3)
    assert np.all(c * y >= 0.0) and np.all(c * y <= C)  # a feasible dual point


def test_a_truncated_lowrank_svm_is_not_reported_converged(monkeypatch):
    truncated = solvers._svm_projected_newton
    monkeypatch.setattr(solvers.hinge, "_svm_projected_newton",
                        lambda A, y, C, a, tol, ridge=0.0: truncated(A, y, C, np.zeros(len(y)), tol, max_iter=1,
                                                                     ridge=ridge))
    data = sample_raf(d=40, alpha=4.0, eps=0.2, rng=7)
    fitted = fit(Setting(alpha=4.0, eps=0.2, lam=0.1, loss="hinge", learner=Kernel(mu1=0.6, mustar=0.5)), data, rng=0)
    assert fitted.info["solver"] == "SVM dual (L-BFGS-B)"  # the dense fallback ran and says so
    assert fitted.info["duality_gap"] < 1e-7


@pytest.mark.parametrize("mu1,mustar,lam", [(0.6, 0.5, 0.1), (0.8, 0.3, 1e-2), (0.7, 0.0, 0.3)])
def test_lowrank_kernel_logistic_matches_scikit_learn_on_the_features(mu1, mustar, lam):
    from sklearn.linear_model import LogisticRegression

    d, alpha = 40, 4.0
    data = sample_raf(d=d, alpha=alpha, eps=0.2, rng=5)
    fitted = fit(Setting(alpha=alpha, eps=0.2, lam=lam, loss="logistic", learner=Kernel(mu1=mu1, mustar=mustar)),
                 data, rng=0)
    assert fitted.info["solver"] == "Newton-CG (primal, kernel as features [B, mustar I], mixed precision)"
    assert fitted.info["grad_norm"] < 1e-4 * np.sqrt(data.n)
    # the same problem on the explicit features [mu1 Z, mustar I_n], by scikit-learn's Newton
    Z = data.X / np.sqrt(d)
    Phi = np.hstack([mu1 * Z, mustar * np.eye(data.n)]) if mustar > 0 else mu1 * Z
    w_ref = LogisticRegression(fit_intercept=False, solver="newton-cholesky", tol=1e-12, max_iter=1000,
                               C=1.0 / lam).fit(Phi, data.y).coef_.ravel()
    h_ref = Phi @ w_ref
    # strong convexity (modulus lam): |Phi'c - w*| <= grad_norm / lam, hence the bound on h
    bound = np.linalg.norm(Phi, 2) * fitted.info["grad_norm"] / lam + 1e-8
    assert np.linalg.norm(fitted.h_train - h_ref) <= bound
    np.testing.assert_allclose(fitted.h_train, h_ref, atol=1e-5)
    # the certificate is the kernel route's, recomputed here on the dense K
    K = _dense_K(data, mu1, mustar)
    c = np.linalg.lstsq(K, fitted.h_train, rcond=None)[0]
    g = -data.y / (1.0 + np.exp(data.y * (K @ c))) + lam * c
    # (abs: the solver now stops near |g| ~ 1e-8, where the dense lstsq on a singular K
    # (mustar = 0) recomputes the norm only to a few 1e-9)
    assert np.sqrt(g @ K @ g) == pytest.approx(fitted.info["grad_norm"], rel=1e-3, abs=2e-8)


def test_a_truncated_lowrank_logistic_is_not_reported_converged(monkeypatch):
    import scipy.optimize

    real_newton, real = solvers._logistic_newton, scipy.optimize.minimize
    monkeypatch.setattr(solvers.logistic, "_logistic_newton", lambda *a, **k: real_newton(*a, **{**k, "max_outer": 2}))
    data = sample_raf(d=30, alpha=4.0, eps=0.2, rng=5)
    s = Setting(alpha=4.0, eps=0.2, lam=0.1, loss="logistic", learner=Kernel(mu1=0.6, mustar=0.5))
    fitted = fit(s, data, rng=0)
    assert fitted.info["solver"] == "L-BFGS-B (representer coefficients)"  # the dense fallback ran
    assert fitted.info["grad_norm"] < 1e-4 * np.sqrt(data.n)
    # and with the fallback truncated too, nothing is reported converged
    monkeypatch.setattr(scipy.optimize, "minimize", lambda *a, **k: real(*a, **{**k, "options": {
        **k.get("options", {}), "maxiter": 2}}))
    with pytest.raises(SolverError):
        PenalizedERM(s.learner, s.loss, 0.1).fit(data, 0)


def test_the_ridge_warm_start_eliminates_the_identity_features_exactly():
    # the smoothed hinge on [B, sqrt(s2) I_n] with all n + r variables, solved tightly here,
    # against the closed-form elimination of the n identity variables (width mu + C s2 on B)
    from scipy.optimize import minimize

    data = sample_raf(d=20, alpha=4.0, eps=0.2, rng=9)
    B, y, C, s2, mu = 0.6 * data.X / np.sqrt(20), data.y, 10.0, 0.25, 0.03
    Phi = np.hstack([B, np.sqrt(s2) * np.eye(data.n)]) * y[:, None]

    def fun(x):
        z = 1.0 - Phi @ x
        loss = np.where(z >= mu, z - 0.5 * mu, np.where(z > 0, 0.5 * z * z / mu, 0.0))
        return 0.5 * x @ x + C * loss.sum(), x - C * Phi.T @ np.clip(z / mu, 0.0, 1.0)

    x = minimize(fun, np.zeros(Phi.shape[1]), jac=True, method="L-BFGS-B",
                 options={"maxiter": 100_000, "gtol": 1e-12, "ftol": 0.0, "maxcor": 50}).x
    alpha_full = C * np.clip((1.0 - Phi @ x) / mu, 0.0, 1.0)
    alpha = solvers._smoothed_warm_start(B, y, C, max_iter=100_000, ridge=s2)
    np.testing.assert_allclose(alpha, alpha_full, atol=1e-4 * C)
    assert np.abs(alpha - alpha_full).max() < 0.1 * np.abs(alpha - solvers._smoothed_warm_start(B, y, C)).max()
