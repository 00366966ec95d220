"""Regression tests: learner identity, non-convergence policy, and bad input of the theory API."""

import math
import warnings

import numpy as np
import pytest

import rafmodel as rm
from rafmodel import ConvergenceError, ConvergenceWarning, Kernel, ParameterError, RandomFeatures
from rafmodel.equivalence import ACTIVATIONS, activation_coefficients, kernel_coefficients, rf_kernel
from rafmodel.theory import solve_many
from rafmodel.theory.bayes import bayes_optimal, bayes_rate
from rafmodel.theory.capacity import alpha_c
from rafmodel.theory.optimal import large_alpha_rate, optimal_lambda, ridge_lam_opt, square_rate_constant


# ------------------------------------------------- 1. equal objects are the same learner

def test_real_kernel_is_not_its_gaussian_equivalent():
    real = Kernel.from_kernel("rbf", c=1)
    gem = Kernel(mu1=real.mu1, mustar=real.mustar)  # same coefficients, simulates another kernel
    assert real != gem and gem != real
    assert hash(real) != hash(gem)
    assert len({real, gem}) == 2
    assert "rbf" in repr(real) and repr(real) != repr(gem)
    s = rm.Setting(alpha=1.0, eps=0.2, lam=0.1, learner=real)
    assert s != s.replace(learner=gem) and hash(s) != hash(s.replace(learner=gem))


def test_the_same_real_kernel_is_equal():
    a, b = Kernel.from_kernel("rbf", c=1), Kernel.from_kernel("rbf", c=1)
    assert a == b and hash(a) == hash(b) and repr(a) == repr(b)
    # the same kernel spelled differently: int/float, case, default parameters, alias
    for other in (Kernel.from_kernel("rbf", c=1.0), Kernel.from_kernel("RBF"),
                  Kernel.from_kernel(" rbf ", c=1)):
        assert a == other and hash(a) == hash(other)
    assert Kernel.from_kernel("relu") == Kernel.from_kernel("arccos")
    assert Kernel.from_kernel("polynomial", degree=3) == Kernel.from_kernel("poly", degree=3, c=1.0)
    assert Kernel.from_kernel("polynomial", degree=3) != Kernel.from_kernel("polynomial", degree=3, c=0.5)
    act = Kernel.from_kernel("activation", activation="relu")
    assert act == Kernel.from_kernel("activation", activation="ReLU")
    assert act != Kernel.from_kernel("arccos")  # same coefficients, another route and spec


def test_callable_kernels_compare_by_identity():
    def k(rho):
        return np.exp(rho - 1.0)

    def k_copy(rho):
        return np.exp(rho - 1.0)

    a, b = Kernel.from_kernel(k), Kernel.from_kernel(k)
    assert a == b and hash(a) == hash(b)
    c = Kernel.from_kernel(k_copy)
    assert (c.mu1, c.mustar) == (a.mu1, a.mustar) and c != a
    # keyword arguments of a callable kernel are part of it (unhashable ones too)
    def kp(rho, w):
        return np.exp(np.asarray(w)[0] * (rho - 1.0))

    assert Kernel.from_kernel(kp, w=[1.0]) == Kernel.from_kernel(kp, w=[1.0])
    assert Kernel.from_kernel(kp, w=[1.0]) != Kernel.from_kernel(kp, w=[2.0])
    hash(Kernel.from_kernel(kp, w=np.array([1.0])))


def test_activation_is_part_of_random_features():
    real = RandomFeatures.from_activation("relu", kappa=2)
    gem = RandomFeatures(kappa=2, mu1=real.mu1, mustar=real.mustar)
    assert real != gem and hash(real) != hash(gem) and len({real, gem}) == 2
    assert "relu" in repr(real) and repr(real) != repr(gem)
    same = RandomFeatures.from_activation("ReLU", kappa=2.0)
    assert real == same and hash(real) == hash(same)
    assert real == RandomFeatures.from_activation(ACTIVATIONS["relu"], kappa=2)  # the very function
    assert real != RandomFeatures.from_activation("relu", kappa=3)
    f = lambda x: np.maximum(x, 0.0)  # noqa: E731
    assert RandomFeatures.from_activation(f, kappa=2) == RandomFeatures.from_activation(f, kappa=2)
    assert RandomFeatures.from_activation(f, kappa=2) != real


# ------------------------------------------------- 2. non-convergence is never silent

def test_bayes_optimal_batch_warns_and_flags():
    with pytest.warns(ConvergenceWarning, match="1 of 2"):
        r = bayes_optimal([1.0, 1e10], 0.0)
    assert r.converged.tolist() == [True, False]
    assert np.isfinite(r.gen_error[0]) and np.isnan(r.gen_error[1]) and np.isnan(r.q[1])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        r = bayes_optimal([1.0, 1e10], 0.0, warn=False)  # silenced on request
    assert not r.converged[1]


def test_bayes_optimal_one_point_raises():
    with pytest.raises(ConvergenceError) as info:
        bayes_optimal(1e10, 0.0)
    assert info.value.result.converged is False and math.isnan(info.value.result.gen_error)
    with pytest.raises(ConvergenceError):
        bayes_optimal(2.0, 0.2, max_iter=2)


def test_optimal_lambda_flags_an_optimum_at_the_top_of_its_range():
    # the optimum lam = pi / (2 (1 - eps)^2) - 1 = 1.6e6 lies beyond lam_max = 1e4
    r = optimal_lambda(learner="linear", loss="square", alpha=2.0, eps=0.999)
    assert r.at_boundary is True and r.lam_opt == pytest.approx(1e4, rel=1e-3)
    assert r.to_dict()["at_boundary"] is True
    r = optimal_lambda(learner="linear", loss="square", alpha=2.0, eps=0.2, lam_max=0.5)
    assert r.at_boundary and r.lam_opt == pytest.approx(0.5, rel=1e-3)


def test_optimal_lambda_interior_optimum_is_not_flagged():
    r = optimal_lambda(learner="linear", loss="square", alpha=2.0, eps=0.2)
    assert r.at_boundary is False and r.to_dict()["at_boundary"] is False
    assert r.lam_opt == pytest.approx(math.pi / (2 * 0.64) - 1, rel=1e-4)


def test_optimal_lambda_lam_zero_limit_is_legitimate_but_lam_min_is_not():
    # square kernel with mustar^2 / mu1^2 above pi/(2(1-eps)^2) - 1: the optimum is lam -> 0+
    K = Kernel(mu1=0.5, mustar=0.7)
    r = optimal_lambda(learner=K, loss="square", alpha=2.0, eps=0.2)
    assert r.lam_opt == 0.0 and r.at_boundary is False and r.interpolates_at_optimum
    # linear: the optimum 1.45 is below lam_min = 5 and lam = 0 is worse: the search hit its range
    r = optimal_lambda(learner="linear", loss="square", alpha=2.0, eps=0.2, lam_min=5.0, lam_max=100.0)
    assert r.at_boundary is True and r.lam_opt == pytest.approx(5.0, rel=1e-3)
    assert r.gen_error < r.gen_error_at_zero


def test_optimal_lambda_unresolvable_optimum_raises():
    # at alpha = 1e8 gen_error does not depend on lam within the resolution of the fixed point
    with pytest.raises(ConvergenceError) as info:
        optimal_lambda(learner="linear", loss="square", alpha=1e8, eps=0.2)
    assert info.value.result.at_boundary is True


def test_optimal_lambda_no_point_converges_raises_convergence_error():
    # max_iter = 1 converges nowhere for the hinge loss (the logistic's start is its fixed point to
    # the tolerance at lam >= 3e3): lam = 0 is left out with a warning, then the grid fails
    with pytest.warns(ConvergenceWarning, match="lam = 0"), pytest.raises(ConvergenceError, match="no lam"):
        optimal_lambda(learner="linear", loss="hinge", alpha=0.5, eps=0.2, max_iter=1)


def test_optimal_lambda_without_lam_zero_still_finds_the_optimum():
    # alpha = 1 is the square loss's interpolation threshold: lam = 0 has no fixed point there
    with pytest.warns(ConvergenceWarning, match="lam = 0"):
        r = optimal_lambda(learner="linear", loss="square", alpha=1.0, eps=0.2)
    assert r.lam_opt == pytest.approx(math.pi / (2 * 0.64) - 1, rel=1e-4) and not r.at_boundary
    assert math.isnan(r.gen_error_at_zero) and math.isnan(r.memorization_cost)


def test_optimal_lambda_does_not_swallow_unexpected_errors(monkeypatch):
    import rafmodel.theory as th

    grid = set(np.geomspace(1e-7, 1e4, 45).tolist())
    real_solve = th.solve

    def solve(setting, **options):  # a bug anywhere off the grid: it must surface
        if setting.lam != 0.0 and setting.lam not in grid:
            raise ZeroDivisionError("bug")
        return real_solve(setting, **options)

    monkeypatch.setattr(th, "solve", solve)
    with pytest.raises(ZeroDivisionError):
        optimal_lambda(learner="linear", loss="square", alpha=2.0, eps=0.2)


def test_large_alpha_rate_non_convergence_is_a_convergence_error():
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)  # one error, not a warning and an error
        with pytest.raises(ConvergenceError):
            large_alpha_rate(learner="bayes", eps=0.0, alphas=(1e3, 1e10))
        with pytest.raises(ConvergenceError):
            large_alpha_rate(loss="logistic", eps=0.2, lam=1.0, max_iter=1)


@pytest.mark.parametrize("loss", ["square", "hinge"])
def test_large_alpha_rate_of_random_features_at_fixed_kappa_saturates(loss):
    # p = kappa d features: gen_error tends to a positive limit, so the closed-form exponent is 0
    # (0.3.0 reported the linear learner's 1/2 for the square loss); the measured one agrees
    import rafmodel as rm

    rf = rm.RandomFeatures(kappa=2.0, mu1=0.5, mustar=0.5)
    r = large_alpha_rate(learner=rf, loss=loss, eps=0.2, lam=0.1)
    assert r.exponent_closed_form == 0.0
    assert abs(r.exponent - r.exponent_closed_form) < 0.01 and r.gen_errors[-1] > 0.05
    lin = large_alpha_rate(learner=rm.Kernel(mu1=0.5, mustar=0.5), loss="square", eps=0.2, lam=0.1)
    assert lin.exponent_closed_form == 0.5 and abs(lin.exponent - 0.5) < 0.01


# ------------------------------------------------- 3. bad input: ParameterError naming it

def _rf(**kw):
    return RandomFeatures.from_activation(**kw)


BAD = [
    ("c", lambda: Kernel.from_kernel("rbf", c=710)),
    ("c", lambda: Kernel.from_kernel("rbf", c=1e6)),
    ("c", lambda: kernel_coefficients("rbf", c=1e-200)),
    ("degree", lambda: Kernel.from_kernel("polynomial", degree=2000)),
    ("degree", lambda: kernel_coefficients("polynomial", degree=1024)),
    ("c", lambda: kernel_coefficients("polynomial", degree=2, c=1e200)),
    ("c", lambda: kernel_coefficients("polynomial", degree=50, c=1e-10)),
    ("c", lambda: kernel_coefficients("polynomial", degree=1100, c=0.01)),
    ("activation", lambda: activation_coefficients("")),
    ("activation", lambda: activation_coefficients("   ")),
    ("activation", lambda: _rf(activation="", kappa=1)),
    ("kernel", lambda: kernel_coefficients("")),
    ("n_nodes", lambda: rf_kernel("relu", 0.5, n_nodes=1)),
    ("eps", lambda: alpha_c(1.5)),
    ("eps", lambda: alpha_c(-0.1)),
    ("eps", lambda: alpha_c(float("nan"))),
    ("eps", lambda: alpha_c([0.2, np.inf])),
    ("alpha", lambda: bayes_optimal(np.inf, 0.2)),
    ("alpha", lambda: bayes_optimal([1.0, np.nan], 0.2)),
    ("eps", lambda: bayes_optimal(1.0, np.nan)),
    ("tol", lambda: bayes_optimal(1.0, 0.2, tol=np.nan)),
    ("tol", lambda: bayes_optimal(1.0, 0.2, tol=0.0)),
    ("tol", lambda: bayes_optimal(1.0, 0.2, tol=np.inf)),
    ("max_iter", lambda: bayes_optimal(1.0, 0.2, max_iter=0)),
    ("max_iter", lambda: bayes_optimal(1.0, 0.2, max_iter=2.5)),
    ("eps", lambda: bayes_rate(np.nan)),
    ("alpha", lambda: optimal_lambda(learner="linear", loss="square", alpha=np.inf, eps=0.2)),
    ("eps", lambda: optimal_lambda(learner="linear", loss="square", alpha=1.0, eps=np.nan)),
    ("eps", lambda: optimal_lambda(learner="linear", loss="square", alpha=1.0, eps=1.5)),
    ("lam_min", lambda: optimal_lambda(learner="linear", loss="square", alpha=1.0, eps=0.2, lam_min=0.0)),
    ("lam_min", lambda: optimal_lambda(learner="linear", loss="square", alpha=1.0, eps=0.2, lam_min=np.nan)),
    ("lam_max", lambda: optimal_lambda(learner="linear", loss="square", alpha=1.0, eps=0.2, lam_max=np.inf)),
    ("lam_max", lambda: optimal_lambda(learner="linear", loss="square", alpha=1.0, eps=0.2,
                                       lam_min=1.0, lam_max=1.0)),
    ("xtol", lambda: optimal_lambda(learner="linear", loss="square", alpha=1.0, eps=0.2, xtol=np.nan)),
    ("tol", lambda: optimal_lambda(learner="linear", loss="square", alpha=1.0, eps=0.2, tol=np.inf)),
    ("n_nodes", lambda: optimal_lambda(learner="linear", loss="square", alpha=1.0, eps=0.2, n_nodes=1)),
    ("max_iter", lambda: optimal_lambda(learner="linear", loss="square", alpha=1.0, eps=0.2, max_iter=0)),
    ("damping", lambda: optimal_lambda(learner="linear", loss="square", alpha=1.0, eps=0.2, damping=np.nan)),
    ("eps", lambda: large_alpha_rate(eps=np.nan)),
    ("eps", lambda: large_alpha_rate(eps=1.0)),
    ("lam", lambda: large_alpha_rate(eps=0.2, lam=np.nan)),
    ("lam", lambda: large_alpha_rate(eps=0.2, lam=-1.0)),
    ("alphas", lambda: large_alpha_rate(eps=0.2, alphas=(1e3, np.inf))),
    ("alphas", lambda: large_alpha_rate(eps=0.2, alphas=(1e3,))),
    ("alphas", lambda: large_alpha_rate(eps=0.2, alphas=(1e3, 1e3))),
    ("alphas", lambda: large_alpha_rate(learner="bayes", eps=0.2, alphas=())),
    ("tol", lambda: large_alpha_rate(eps=0.2, tol=np.nan)),
    ("eps", lambda: ridge_lam_opt(np.nan)),
    ("eps", lambda: ridge_lam_opt(1.5)),
    ("eps", lambda: square_rate_constant(np.nan)),
    ("eps", lambda: square_rate_constant(-0.5)),
]


@pytest.mark.parametrize("param,call", BAD, ids=[f"{p}-{i}" for i, (p, _) in enumerate(BAD)])
def test_bad_input_raises_a_parameter_error_naming_the_parameter(param, call):
    with pytest.raises(ParameterError) as info:
        call()
    assert str(info.value).startswith(f"{param}: ")
    assert info.value.param == param


def test_kernel_limits_are_the_range_of_doubles():
    # the ends of the allowed ranges still give finite, non-zero coefficients
    for c in (708.0, 1e-150):
        co = kernel_coefficients("rbf", c=c)
        assert all(math.isfinite(v) and v > 0 for v in co)
    co = kernel_coefficients("polynomial", degree=1023)  # 2^1023 is the largest power of 2
    assert co.mustar**2 == pytest.approx(2.0**1023 - 1 - 1023, rel=1e-12)
    # binomial coefficients beyond the range of doubles with a small offset: computed, not overflowing
    co = kernel_coefficients("polynomial", degree=1030, c=0.6)
    assert co.mustar**2 == pytest.approx(1.6**1030, rel=1e-10)
    assert co.mu1**2 == pytest.approx(1030 * 0.6**1029, rel=1e-12)
    co = kernel_coefficients("polynomial", degree=2000, c=0.0)
    assert tuple(co) == (0.0, 0.0, 1.0)
    # unchanged where it always worked
    assert tuple(kernel_coefficients("polynomial", degree=2, c=1.0)) == (1.0, math.sqrt(2.0), 1.0)
    assert square_rate_constant(1.0) == math.inf and ridge_lam_opt(1.0) == math.inf


def test_solve_many_of_nothing_is_empty():
    res = solve_many([])
    assert len(res) == 0 and list(res) == [] and res.to_records() == []
    for name in ("gen_error", "mem_error", "rule_error", "m", "q", "V", "residual"):
        col = getattr(res, name)
        assert isinstance(col, np.ndarray) and col.shape == (0,) and col.dtype == float
    assert res.converged.shape == (0,) and res.converged.dtype == bool
    assert res.iterations.dtype.kind == "i" and res.interpolating.dtype == bool
    assert res.all_converged


@pytest.mark.parametrize("alpha", [2.0, 8.0])
def test_optimal_lambda_finds_a_narrow_dip_between_plateaus(alpha):
    # kernel SVM with mustar^2 / mu1^2 = 100: gen_error is flat for lam below about 0.8 (every
    # sample on the margin) and above about 1.3 (every sample inside it), with a narrow dip just
    # below lam = 1 that the 45-point grid used to step over (0.1 found lam_opt = 0, "memorizes").
    # Independent route: a 400-point grid, no search.
    learner = rm.Kernel(mu1=0.1, mustar=1.0)
    lams = np.geomspace(1e-2, 1e3, 400)
    res = rm.solve_many([rm.Setting(alpha=alpha, eps=0.25, lam=lam, learner=learner, loss="hinge") for lam in lams])
    assert res.all_converged
    g_fine = float(np.min(res.gen_error))
    plateau = float(res.gen_error[0])
    assert g_fine < plateau - 5e-7  # the dip exists
    o = rm.optimal_lambda(learner=learner, loss="hinge", alpha=alpha, eps=0.25)
    assert o.gen_error <= g_fine + 1e-9
    assert 0.5 < o.lam_opt < 1.2 and not o.interpolates_at_optimum


# ------------------------------------------------- max-margin at eps = 0 (a nearly neutral direction)

@pytest.mark.parametrize("alpha", [20.0, 50.0])
def test_max_margin_without_facts_converges_at_large_alpha(alpha):
    # At eps = 0 the linear max-margin's response lam V -> 0 and the iteration drifts along
    # log V; Powell's method finishes it.  Second route: the hinge at lam = 1e-5 (finite V,
    # the non-limit channel) is already the max-margin classifier; known limit: the
    # maximal-stability perceptron's gen_error ~ 0.5 / alpha (Opper et al.).
    r0 = solve_many([rm.Setting(alpha=alpha, eps=0.0, lam=0.0, loss="hinge")])
    r1 = solve_many([rm.Setting(alpha=alpha, eps=0.0, lam=1e-5, loss="hinge")])
    assert r0.converged[0] and r1.converged[0]
    assert float(r0.gen_error[0]) == pytest.approx(float(r1.gen_error[0]), rel=1e-8)
    assert float(r0.m[0]) == pytest.approx(float(r1.m[0]), rel=1e-8)
    assert 0.49 < alpha * float(r0.gen_error[0]) < 0.51


def test_max_margin_without_facts_needs_the_new_stages(monkeypatch):
    # the test above has power: without the Powell stage and with the continuation starting
    # only at 0.7 alpha (the solver before 0.5), the same point is not converged
    import sys

    solver = sys.modules["rafmodel.theory.solver"]
    monkeypatch.setattr(solver, "_powell", lambda *args: (None, np.inf, 0))
    monkeypatch.setattr(solver, "_FIRST_MIN", 0.7)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        r = solve_many([rm.Setting(alpha=20.0, eps=0.0, lam=0.0, loss="hinge")])
    assert not r.converged[0] and math.isnan(float(r.gen_error[0]))
