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


def test_solve_many_of_nothing_is_empty():
    res = solve_many([])
    assert len(res) == 0 and list(res) == [] and res.to_records() == []
    for name in ("gen_error", "mem_error", "rule_error", "m", "q", "V", "residual"):
        col = getattr(res, name)
        assert isinstance(col, np.ndarray) and col.shape == (0,) and col.dtype == float
    assert res.converged.shape == (0,) and res.converged.dtype == bool
    assert res.iterations.dtype.kind == "i" and res.interpolating.dtype == bool
    assert res.all_converged
