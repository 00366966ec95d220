"""The estimators' entry points: bad input named before any work, one solver module per loss,
and a solver that misses its certificate raising a ConvergenceError."""

import numpy as np
import pytest

import rafmodel as rm
from rafmodel import ConvergenceError, ParameterError, SolverError
from rafmodel.data import as_generator, sample_raf
from rafmodel.estimators import (PenalizedERM, estimator_for, fit, register_estimator, register_representation,
                                 register_solver, represent, ridge_path, solvers)
from rafmodel.estimators.base import _SOLVERS, lookup, sign_errors

DATA = sample_raf(d=10, alpha=2.0, eps=0.1, rng=0)
SETTING = rm.Setting(alpha=2.0, eps=0.1, lam=0.1)


@pytest.mark.parametrize("call,param", [
    (lambda: fit("linear", DATA, rng=0), "setting"),
    (lambda: fit(SETTING, DATA.X, rng=0), "data"),
    (lambda: fit(SETTING, DATA, rng=-1), "seed"),
    (lambda: fit(SETTING, DATA, rng=1j), "seed"),
    (lambda: estimator_for(None), "setting"),
    (lambda: represent(rm.Linear(), [1.0, 2.0], np.random.default_rng(0)), "X"),
    (lambda: represent(rm.Linear(), [["a"]], np.random.default_rng(0)), "X"),
    (lambda: PenalizedERM(rm.Linear(), "square", 0.1), "loss"),
    (lambda: PenalizedERM(rm.Linear(), rm.losses.Square(), -1.0), "lam"),
    (lambda: PenalizedERM(rm.Linear(), rm.losses.Square(), 0.1).fit(DATA.X, np.random.default_rng(0)), "train"),
    (lambda: ridge_path(SETTING, DATA, [0.1, -1.0], rng=0, X_test=DATA.X), "lams"),
    (lambda: ridge_path(SETTING, DATA, [0.1, np.nan], rng=0, X_test=DATA.X), "lams"),
    (lambda: ridge_path(SETTING, DATA, [["a"]], rng=0, X_test=DATA.X), "lams"),
    (lambda: ridge_path(SETTING, DATA, 0.1, rng=0, X_test=DATA.X), "lams"),
    (lambda: ridge_path(SETTING, DATA, [0.1], rng=0, X_test=DATA.X[:, :3]), "X_test"),
    (lambda: ridge_path(SETTING, DATA, [0.1], rng=0, X_test=None), "X_test"),
    (lambda: register_solver("square"), "loss_type"),
    (lambda: register_solver(rm.Linear), "loss_type"),
    (lambda: register_representation(rm.losses.Square, columns=lambda learner, n, d: d), "learner_type"),
    (lambda: register_representation(rm.Linear, columns=3), "columns"),
    (lambda: register_estimator(None), "learner_type"),
    (lambda: sign_errors([1.0, -1.0], [1.0, 1.0, -1.0]), "h"),
    (lambda: sign_errors(["a"], [1.0]), "h"),
])
def test_bad_input_is_a_parameter_error_naming_the_parameter(call, param):
    with pytest.raises(ParameterError) as info:
        call()
    assert info.value.param == param and str(info.value).startswith(f"{param}: ")


def test_valid_input_gives_what_it_gave():
    fitted = fit(SETTING, DATA, rng=0)
    H_train, H_test = ridge_path(SETTING, DATA, [0.1], rng=0, X_test=DATA.X)
    np.testing.assert_allclose(H_train[0], fitted.h_train, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(H_test[0], fitted.h_train, rtol=1e-10, atol=1e-12)
    assert sign_errors(np.array([0.5, -2.0, 0.0, 1.0]), [1, 1, 1, -1]) == 0.75
    assert int(as_generator(np.uint8(3)).integers(100)) == int(np.random.default_rng(3).integers(100))


@pytest.mark.parametrize("loss,module", [("square", "square"), ("hinge", "hinge"), ("logistic", "logistic")])
def test_each_loss_is_served_by_its_own_solver_module(loss, module):
    solver = lookup(_SOLVERS, rm.losses.get_loss(loss))
    assert solver.__module__ == f"rafmodel.estimators.solvers.{module}"
    assert getattr(solvers, f"solve_{loss}") is solver  # still importable from the package


def test_a_new_loss_gets_the_generic_solver_module():
    class Cubic(rm.losses.Loss):
        name = "cubic-test"

    assert lookup(_SOLVERS, Cubic()).__module__ == "rafmodel.estimators.solvers.generic"


def test_a_missed_certificate_is_a_convergence_error(monkeypatch):
    # an SVM whose dual solvers all stop at once misses its duality gap
    monkeypatch.setattr(solvers.hinge, "_svm_projected_newton", lambda *a, **k: None)
    monkeypatch.setattr(solvers.hinge, "_liblinear_dual", lambda A, y, C, tol: np.zeros(len(y)))
    monkeypatch.setattr(solvers.hinge, "_svm_lowrank", lambda *a, **k: None)
    import scipy.optimize

    real = scipy.optimize.minimize
    monkeypatch.setattr(scipy.optimize, "minimize",
                        lambda *a, **k: real(*a, **{**k, "options": {**k.get("options", {}), "maxiter": 1}}))
    with pytest.raises(SolverError) as info:
        fit(rm.Setting(alpha=2.0, eps=0.3, lam=0.01, loss="hinge"), sample_raf(d=15, alpha=2.0, eps=0.3, rng=1),
            rng=0)
    assert isinstance(info.value, ConvergenceError) and isinstance(info.value, RuntimeError)
    assert "duality gap" in str(info.value)
