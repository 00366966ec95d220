"""Gaussian-equivalence coefficients, each checked against an independent route.

Routes: hand-derived closed forms, the generic quadrature (an anonymous function, so
the closed forms are bypassed), scipy's adaptive quadrature, a tensor Gauss-Hermite
rule, finite differences of the random-features kernel, and Monte Carlo.
"""

import inspect
import math
import warnings

import numpy as np
import pytest
from scipy import integrate, special, stats

from rafmodel import ParameterError
from rafmodel.equivalence import (ACTIVATIONS, KERNELS, Coefficients, activation_coefficients,
                                  kernel_coefficients, rf_kernel)

from _power import Stat, compare, record

SQ = np.square

# Hand-derived (E sigma, E g sigma, E sigma^2), written independently of the module.
HAND = {
    "linear": (0.0, 1.0, 1.0),
    "relu": (1 / math.sqrt(2 * math.pi), 0.5, 0.5),
    "abs": (math.sqrt(2 / math.pi), 0.0, 1.0),
    "erf": (0.0, 2 / math.sqrt(3 * math.pi), 2 / math.pi * math.asin(2 / 3)),
    "sign": (0.0, math.sqrt(2 / math.pi), 1.0),
    "quadratic": (1.0, 0.0, 3.0),
    "gelu": (1 / (2 * math.sqrt(math.pi)), 0.5, 1 / 3 + 1 / (2 * math.pi * math.sqrt(3))),
    "step": (0.5, 1 / math.sqrt(2 * math.pi), 0.5),
}

# The same functions, written out here (not taken from ACTIVATIONS).
LAMBDAS = {
    "linear": lambda x: x,
    "relu": lambda x: np.where(x > 0, x, 0.0),
    "abs": lambda x: np.sqrt(x * x),
    "erf": lambda x: special.erf(x),
    "sign": lambda x: np.where(x > 0, 1.0, np.where(x < 0, -1.0, 0.0)),
    "quadratic": lambda x: x ** 2,
    "gelu": lambda x: x * stats.norm.cdf(x),
    "step": lambda x: np.where(x > 0, 1.0, np.where(x < 0, 0.0, 0.5)),
    "tanh": lambda x: np.tanh(x),
    "sigmoid": lambda x: 1 / (1 + np.exp(-x)),
}


def squares(c):
    return np.array([c.mu0 ** 2, c.mu1 ** 2, c.mustar ** 2])


def gauss_expect(f):
    """E f(g) by scipy's adaptive quadrature, split at 0."""
    pdf = stats.norm.pdf
    return sum(integrate.quad(lambda x: f(x) * pdf(x), a, b, epsabs=1e-14, epsrel=1e-13,
                              limit=200)[0] for a, b in ((-40, 0), (0, 40)))


# ----------------------------------------------------------------------------- activations

@pytest.mark.parametrize("name", sorted(HAND))
def test_closed_forms_match_hand_values(name):
    m0, m1, second = HAND[name]
    c = activation_coefficients(name)
    assert c.mu0 == pytest.approx(m0, abs=1e-15)
    assert c.mu1 == pytest.approx(m1, abs=1e-15)
    assert c.mustar ** 2 == pytest.approx(second - m0 ** 2 - m1 ** 2, abs=1e-15)


@pytest.mark.parametrize("name", sorted(HAND))
def test_closed_forms_match_generic_quadrature(name):
    closed = activation_coefficients(name)
    generic = activation_coefficients(LAMBDAS[name])  # anonymous: no closed form
    tol = 1e-8 if name in ("relu", "abs", "sign", "step") else 1e-10
    assert np.allclose(list(generic), list(closed), rtol=0, atol=tol)
    assert np.allclose(squares(generic), squares(closed), rtol=0, atol=1e-13)


@pytest.mark.parametrize("name", sorted(LAMBDAS))
@pytest.mark.parametrize("method", ["piecewise", "adaptive"])
def test_every_method_matches_scipy_quad(name, method):
    f = LAMBDAS[name]
    m0 = gauss_expect(f)
    m1 = gauss_expect(lambda x: x * f(x))
    var = gauss_expect(lambda x: (f(x) - m0 - m1 * x) ** 2)
    c = activation_coefficients(name, method=method)
    assert [c.mu0, c.mu1, c.mustar ** 2] == pytest.approx([m0, m1, var], abs=1e-10)


@pytest.mark.parametrize("name", ["tanh", "sigmoid", "erf", "gelu", "linear", "quadratic"])
def test_hermite_route_is_spectrally_accurate_for_smooth_activations(name):
    ref = activation_coefficients(LAMBDAS[name])
    gh = activation_coefficients(name, method="hermite")
    assert list(gh) == pytest.approx(list(ref), abs=1e-12)
    # and the default number of nodes is converged
    assert list(activation_coefficients(name, method="hermite", n_nodes=400)) == \
        pytest.approx(list(gh), abs=1e-13)


def test_named_smooth_activations_against_scipy_quad():
    for name, f in (("tanh", np.tanh), ("sigmoid", special.expit)):
        c = activation_coefficients(name)
        m1 = gauss_expect(lambda x: x * f(x))
        assert c.mu0 == pytest.approx(gauss_expect(f), abs=1e-12)
        assert c.mu1 == pytest.approx(m1, abs=1e-12)
        assert c.mustar ** 2 + c.mu0 ** 2 + c.mu1 ** 2 == \
            pytest.approx(gauss_expect(lambda x: f(x) ** 2), abs=1e-12)
    # exact symmetries: tanh is odd, sigmoid - 1/2 is odd
    assert abs(activation_coefficients("tanh").mu0) < 1e-15
    assert activation_coefficients("sigmoid").mu0 == pytest.approx(0.5, abs=1e-15)


def test_kink_away_from_zero_uses_the_adaptive_route():
    a = 0.3  # relu(x - a): E = phi(a) - a H(a), E g sigma = H(a), E sigma^2 = (1+a^2)H(a) - a phi(a)
    H, phi = stats.norm.sf(a), stats.norm.pdf(a)
    m0, m1, second = phi - a * H, H, (1 + a * a) * H - a * phi
    c = activation_coefficients(lambda x: np.maximum(x - a, 0.0))
    assert [c.mu0, c.mu1, c.mustar ** 2] == pytest.approx(
        [m0, m1, second - m0 ** 2 - m1 ** 2], abs=1e-10)


def test_polynomial_activations_match_gaussian_moments():
    # sigma = x^3: mu0 = 0, mu1 = E g^4 = 3, E sigma^2 = E g^6 = 15
    c = activation_coefficients(lambda x: x ** 3)
    assert list(c) == pytest.approx([0.0, 3.0, math.sqrt(6.0)], abs=1e-12)
    # sigma = 1 + 2x: purely linear, no memory part
    c = activation_coefficients(lambda x: 1 + 2 * x)
    assert list(c) == pytest.approx([1.0, 2.0, 0.0], abs=1e-12)
    # a constant returned as a scalar is broadcast
    assert list(activation_coefficients(lambda x: 0.7)) == pytest.approx([0.7, 0.0, 0.0],
                                                                         abs=1e-14)


def test_scalar_only_callables_are_vectorized():
    ref = activation_coefficients("tanh")
    assert list(activation_coefficients(math.tanh)) == pytest.approx(list(ref), abs=1e-13)
    relu = lambda x: x if x > 0 else 0.0  # noqa: E731 - raises on arrays
    assert list(activation_coefficients(relu)) == pytest.approx(
        list(activation_coefficients("relu")), abs=1e-13)
    # accepts arrays but is not elementwise (x - mean(x) is 0 for one number): detected,
    # and evaluated point by point
    assert list(activation_coefficients(lambda x: x - np.mean(x))) == [0.0, 0.0, 0.0]


def test_unhashable_callable_objects_are_accepted():
    class Scaled:
        __hash__ = None  # e.g. a dataclass with eq=True

        def __init__(self, a):
            self.a = a

        def __call__(self, x):
            return self.a * np.maximum(x, 0.0)

    c = activation_coefficients(Scaled(2.0))
    relu = activation_coefficients("relu")
    assert list(c) == pytest.approx([2 * v for v in relu], abs=1e-14)


def test_names_are_case_insensitive_and_aliases_resolve():
    assert activation_coefficients(" ReLU ") == activation_coefficients("relu")
    assert activation_coefficients("Logistic") == activation_coefficients("sigmoid")
    assert activation_coefficients("identity") == activation_coefficients("linear")


def test_registered_activation_uses_the_generic_route(monkeypatch):
    monkeypatch.setitem(ACTIVATIONS, "cube", lambda x: x ** 3)
    assert activation_coefficients("cube").mu1 == pytest.approx(3.0, abs=1e-12)


@pytest.mark.parametrize("name", ["tanh", "sigmoid", "gelu"])
def test_monte_carlo(name):
    rng = np.random.default_rng(20260501)
    n = 10 ** 6
    g = rng.standard_normal(n)
    s = LAMBDAS[name](g)
    c = activation_coefficients(name)
    resid2 = (s - c.mu0 - c.mu1 * g) ** 2  # E resid2 = mustar^2 given the exact mu0, mu1
    sim = {k: Stat(v.mean(), v.std() / math.sqrt(n)) for k, v in (("mu0", s), ("mu1", g * s), ("mustar2", resid2))}
    # the same comparison (|z| <= 5) rejects mu1 x 1.3 and mustar x 1.3
    exact = {"mu0": c.mu0, "mu1": c.mu1, "mustar2": c.mustar ** 2}
    true = compare(exact, sim, k=5)
    assert true.ok, str(true)
    for label, wrong in (("mu1 x 1.3", dict(exact, mu1=1.3 * c.mu1)),
                         ("mustar x 1.3", dict(exact, mustar2=1.69 * c.mustar ** 2))):
        pert = compare(wrong, sim, k=5)
        record(f"Monte Carlo coefficients {name}", perturbation=label, k=5, true=true.z, perturbed=pert.z)
        assert not pert.ok, (label, str(pert))


# ----------------------------------------------------------------------------- kernels

@pytest.mark.parametrize("degree,c", [(1, 0.0), (1, 2.0), (2, 0.0), (2, 1.0), (3, 0.5), (5, 3.0)])
def test_polynomial_kernel_matches_taylor_expansion(degree, c):
    # (c + rho)^degree = sum_j binom(degree, j) c^(degree - j) rho^j, expanded by hand
    coef = [math.comb(degree, j) * c ** (degree - j) for j in range(degree + 1)]
    k = kernel_coefficients("polynomial", degree=degree, offset=c)
    assert squares(k) == pytest.approx([coef[0], coef[1], sum(coef[2:])], rel=1e-14, abs=1e-15)


def test_polynomial_kernel_hand_values():
    # (0.5 + rho)^3 = 0.125 + 0.75 rho + 1.5 rho^2 + rho^3
    assert squares(kernel_coefficients("polynomial", degree=3, offset=0.5)) == \
        pytest.approx([0.125, 0.75, 2.5], rel=1e-15)
    assert squares(kernel_coefficients("linear")) == pytest.approx([0.0, 1.0, 0.0], abs=0)


@pytest.mark.parametrize("c", [1e-9, 1e-3, 0.1, 1.0, 3.0, 50.0])
def test_rbf_matches_closed_form(c):
    k = kernel_coefficients("rbf", bandwidth=c)
    e = math.exp(-c)
    assert k.mu0 ** 2 == pytest.approx(e, rel=1e-14)
    assert k.mu1 ** 2 == pytest.approx(c * e, rel=1e-14)
    # 1 - e^-c (1 + c) = c^2/2 - c^3/3 + ... : compare with the series at small c
    ref = c * c / 2 - c ** 3 / 3 + c ** 4 / 8 if c < 1e-2 else 1 - e * (1 + c)
    assert k.mustar ** 2 == pytest.approx(ref, rel=1e-10)


def test_rbf_default_and_kernel_function_agree():
    assert kernel_coefficients("rbf") == kernel_coefficients("RBF", bandwidth=1.0)
    # the callable route (finite differences) on the registered function
    fd = kernel_coefficients(KERNELS["rbf"], bandwidth=2.0)
    assert squares(fd) == pytest.approx(squares(kernel_coefficients("rbf", bandwidth=2.0)), abs=1e-10)


def test_the_kernels_parameters_are_bandwidth_and_offset():
    # c was the rbf kernel's width and the polynomial kernel's offset: each now says which
    assert list(inspect.signature(KERNELS["rbf"]).parameters) == ["rho", "bandwidth"]
    assert list(inspect.signature(KERNELS["polynomial"]).parameters) == ["rho", "degree", "offset"]
    assert kernel_coefficients("rbf", bandwidth=0.7) != kernel_coefficients("rbf")
    assert kernel_coefficients("polynomial", offset=0.7) != kernel_coefficients("polynomial")
    np.testing.assert_allclose(KERNELS["rbf"](np.array([0.0, 0.5]), bandwidth=2.0), np.exp([-2.0, -1.0]), rtol=1e-15)


def test_a_kernel_key_does_not_depend_on_the_spelling_of_its_parameters():
    from rafmodel.equivalence import _kernel_key

    key = _kernel_key("rbf", {"bandwidth": 2.0})
    # int or float, case and blanks, c (the name before 0.5, in a spec stored by hand) -- no warning
    with warnings.catch_warnings():
        warnings.simplefilter("error", DeprecationWarning)
        assert _kernel_key(" RBF", {"bandwidth": 2}) == _kernel_key("rbf", {"c": 2.0}) == key
        assert _kernel_key("poly", {"c": 0.5}) == _kernel_key("polynomial", {"degree": 3, "offset": 0.5})
    assert key != _kernel_key("rbf", {}) == _kernel_key("rbf", {"bandwidth": 1.0})
    assert _kernel_key("polynomial", {"offset": 0.5}) != _kernel_key("polynomial", {})


@pytest.mark.parametrize("name", ["relu", "erf", "sign", "step", "linear"])
def test_named_kernels_are_the_random_feature_limits(name):
    kname = {"relu": "arccos", "step": "arccos0"}.get(name, name)
    rho = np.array([-1.0, -0.8, -0.3, 0.0, 0.1, 0.5, 0.9, 0.999, 1.0])
    assert KERNELS[kname](rho) == pytest.approx(rf_kernel(name, rho), abs=1e-13)
    # and their coefficients are the activation's
    assert squares(kernel_coefficients(kname)) == \
        pytest.approx(squares(activation_coefficients(name)), abs=1e-15)


def test_arccos_kernel_is_the_relu_kernel():
    rho = np.linspace(-1, 1, 41)
    arc = (np.sqrt(1 - rho ** 2) + rho * (np.pi - np.arccos(rho))) / (2 * np.pi)
    assert rf_kernel("relu", rho) == pytest.approx(arc, abs=1e-13)
    assert KERNELS["arccos"](rho) == pytest.approx(arc, abs=1e-15)
    assert kernel_coefficients("relu") == kernel_coefficients("arccos")


@pytest.mark.parametrize("name", sorted(LAMBDAS))
def test_infinite_width_kernel_has_the_activation_coefficients(name):
    # kappa -> infinity: coefficients of k(rho) = E sigma(u) sigma(v) from its values
    # (k(0), k(1) and a finite-difference k'(0) of the 2-D quadrature) equal the
    # activation's one-dimensional Gaussian moments.
    from_kernel = kernel_coefficients(lambda r: rf_kernel(name, r))
    act = activation_coefficients(name)
    assert squares(from_kernel) == pytest.approx(squares(act), abs=1e-9)
    direct = kernel_coefficients("activation", activation=name)
    assert list(direct) == pytest.approx([abs(act.mu0), abs(act.mu1), act.mustar], abs=1e-15)
    assert squares(direct) == pytest.approx(squares(from_kernel), abs=1e-9)


def test_rf_kernel_matches_tensor_gauss_hermite_for_a_smooth_activation():
    x, w = special.roots_hermitenorm(120)
    w = w / w.sum()
    for rho in (-0.6, 0.0, 0.35, 0.95):
        v = rho * x[:, None] + math.sqrt(1 - rho ** 2) * x[None, :]
        ref = w @ (np.tanh(x)[:, None] * np.tanh(v)) @ w
        assert rf_kernel("tanh", rho) == pytest.approx(ref, abs=1e-12)


def test_rf_kernel_closed_form_for_exponential():
    rho = np.array([[-0.5, 0.0], [0.5, 1.0]])
    out = rf_kernel(np.exp, rho)  # E e^(u + v) = e^(1 + rho)
    assert out.shape == (2, 2)
    assert out == pytest.approx(np.exp(1 + rho), rel=1e-13)
    assert isinstance(rf_kernel("relu", 0.5), float)


def test_rf_kernel_endpoints():
    for name in ("tanh", "abs", "gelu"):
        c = activation_coefficients(name)
        assert rf_kernel(name, 0.0) == pytest.approx(c.mu0 ** 2, abs=1e-14)
        assert rf_kernel(name, 1.0) == pytest.approx(c.mu0 ** 2 + c.mu1 ** 2 + c.mustar ** 2,
                                                     abs=1e-13)


def test_callable_kernel_gets_params_and_finite_differences():
    k = lambda rho, a: a + 0.3 * rho + 0.2 * rho ** 2 + 0.05 * np.sin(rho) ** 3  # noqa: E731
    c = kernel_coefficients(k, a=0.4)
    assert squares(c) == pytest.approx([0.4, 0.3, 0.2 + 0.05 * math.sin(1) ** 3], abs=1e-12)


def test_coefficients_is_a_frozen_unpackable_triple():
    c = Coefficients(mu0=0.1, mu1=np.float64(0.2), mustar=0)
    mu0, mu1, mustar = c
    assert (mu0, mu1, mustar) == (0.1, 0.2, 0.0) and type(mu1) is float
    with pytest.raises(AttributeError):
        c.mu0 = 1.0
    with pytest.raises(ParameterError, match="mustar: must be >= 0"):
        Coefficients(0.0, 1.0, -0.1)
    with pytest.raises(ParameterError, match="mu1: must be finite"):
        Coefficients(0.0, np.nan, 0.1)


# ----------------------------------------------------------------------------- bad input

@pytest.mark.parametrize("call,exc,msg", [
    (lambda: activation_coefficients("foo"), ParameterError,
     "activation: unknown activation 'foo'; allowed: abs, erf, gelu, linear, quadratic, relu, "
     "sigmoid, sign, step, tanh"),
    (lambda: activation_coefficients(3), ParameterError, "activation: must be a name"),
    (lambda: activation_coefficients("relu", method="simpson"), ParameterError,
     "method: must be one of 'auto', 'hermite', 'piecewise', 'adaptive', got 'simpson'"),
    (lambda: activation_coefficients("tanh", n_nodes=0), ParameterError, "n_nodes: must be an integer"),
    (lambda: activation_coefficients("tanh", n_nodes=20.0), ParameterError, "n_nodes:"),
    (lambda: activation_coefficients(lambda x: np.log(x)), ParameterError,
     "activation: returned a non-finite value"),
    (lambda: activation_coefficients(lambda x: np.exp(x * x / 4)), ParameterError,
     "activation: sigma(x)^2 phi(x)"),
    (lambda: activation_coefficients(lambda x: 1j * x), ParameterError,
     "activation: must return real values"),
    (lambda: activation_coefficients("relu", 200), TypeError, "positional"),
    (lambda: kernel_coefficients("laplace"), ParameterError,
     "kernel: unknown kernel 'laplace'; allowed: activation, arccos, arccos0"),
    (lambda: kernel_coefficients(None), ParameterError, "kernel: must be a name"),
    (lambda: kernel_coefficients("rbf", bandwidth=0.0), ParameterError,
     "bandwidth: rbf bandwidth must be > 0, got 0.0"),
    (lambda: kernel_coefficients("rbf", bandwidth=-1), ParameterError, "bandwidth: rbf bandwidth must be > 0"),
    (lambda: kernel_coefficients("rbf", bandwidth=np.inf), ParameterError,
     "bandwidth: rbf bandwidth must be a finite"),
    (lambda: kernel_coefficients("rbf", offset=1.0), ParameterError,
     "offset: not a parameter of kernel 'rbf'; allowed: 'bandwidth'"),
    (lambda: kernel_coefficients("polynomial", bandwidth=1.0), ParameterError,
     "bandwidth: not a parameter of kernel 'polynomial'; allowed: 'degree', 'offset'"),
    (lambda: kernel_coefficients("polynomial", degree=0), ParameterError,
     "degree: must be a positive integer, got 0"),
    (lambda: kernel_coefficients("polynomial", degree=2.5), ParameterError,
     "degree: must be a positive integer, got 2.5"),
    (lambda: kernel_coefficients("polynomial", degree=True), ParameterError, "degree:"),
    (lambda: kernel_coefficients("polynomial", offset=-0.5), ParameterError,
     "offset: polynomial offset must be >= 0, got -0.5"),
    (lambda: kernel_coefficients("linear", c=1.0), TypeError, "allowed: none"),  # also a TypeError
    (lambda: kernel_coefficients("activation"), ParameterError, "activation: required by kernel 'activation'"),
    (lambda: kernel_coefficients("activation", activation="foo"), ParameterError,
     "activation: unknown activation 'foo'"),
    (lambda: kernel_coefficients(lambda r: 1 + r - 0.5 * r ** 2), ParameterError,
     "kernel: k(1) - k(0) - k'(0) = -0.5 < 0"),
    (lambda: kernel_coefficients(lambda r: 1 - r), ParameterError, "kernel: k'(0) = -1 < 0"),
    (lambda: kernel_coefficients(lambda r: r - 0.2), ParameterError, "kernel: k(0) = -0.2 < 0"),
    (lambda: kernel_coefficients(lambda r: math.sqrt(r)), ParameterError,
     "kernel: evaluating k(-0.1) failed: math domain error"),
    (lambda: kernel_coefficients(lambda r: math.inf if r == 1 else 1 / (1 - r)), ParameterError,
     "kernel: k(1.0) = inf is not finite"),
    (lambda: rf_kernel("relu", 1.5), ParameterError, "rho: must be in [-1, 1], got 1.5"),
    (lambda: rf_kernel("relu", [0.1, np.nan]), ParameterError, "rho: must be in [-1, 1]"),
    (lambda: rf_kernel("relu", "0.5"), ParameterError, "rho: must be a number"),
])
def test_bad_input_is_named(call, exc, msg):
    with pytest.raises(exc) as info:
        call()
    assert msg in str(info.value)


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
@pytest.mark.parametrize("bad", ["x", None, [1.0, "a"], {"a": 1}])
def test_a_registered_activation_names_x_when_given_no_numbers(name, bad):
    with pytest.raises(ParameterError) as info:
        ACTIVATIONS[name](bad)
    assert info.value.param == "x" and str(info.value).startswith("x: an activation takes real numbers")


@pytest.mark.parametrize("name", sorted(KERNELS))
@pytest.mark.parametrize("bad", ["x", None, [0.5, "a"], {"a": 1}])
def test_a_registered_kernel_names_rho_when_given_no_numbers(name, bad):
    with pytest.raises(ParameterError) as info:
        KERNELS[name](bad)
    assert info.value.param == "rho" and str(info.value).startswith("rho: a kernel takes real numbers")


def test_registered_functions_keep_their_results_and_dtypes():
    # the checks of the input add nothing on valid input: same values, same dtypes as numpy's own
    x = np.array([-1.5, 0.0, 2.0])
    assert ACTIVATIONS["sign"](np.array([3, -2, 0])).tolist() == [1, -1, 0]
    assert ACTIVATIONS["tanh"](x.astype(np.float32)).dtype == np.float32
    np.testing.assert_array_equal(ACTIVATIONS["relu"](x), [0.0, 0.0, 2.0])
    np.testing.assert_array_equal(ACTIVATIONS["step"](x), [0.0, 0.5, 1.0])
    np.testing.assert_array_equal(KERNELS["polynomial"](x / 2, degree=2, offset=1.0), (1.0 + x / 2) ** 2)


# ----------------------------------------------------------------------------- the package's shape

#: Every name that code outside the package imports from ``rafmodel.equivalence``
#: (src/, tests/, docs/): the split into modules must keep each of them.
IMPORTED_NAMES = ("ACTIVATIONS", "KERNELS", "Coefficients", "activation_coefficients", "kernel_coefficients",
                  "rf_kernel", "_KERNEL_ALIASES", "_resolve_activation", "_kernel_key", "_activation_key")


def test_the_package_keeps_every_name_its_callers_import():
    import rafmodel.equivalence as eq

    for name in IMPORTED_NAMES:
        assert hasattr(eq, name), name
    assert callable(eq.rf_kernel) and not isinstance(eq.rf_kernel, type(eq))  # the function, not a module


@pytest.mark.parametrize("module", ["coefficients", "activations", "random_features", "kernels", "keys"])
def test_each_module_of_the_package_says_what_it_is(module):
    import importlib

    mod = importlib.import_module(f"rafmodel.equivalence.{module}")
    first = (mod.__doc__ or "").strip().splitlines()
    assert first and first[0].endswith("."), module
def test_kernel_coefficients_hold_up_to_the_ends_of_the_allowed_ranges():
    # the ends of the allowed ranges (the range of doubles) still give the closed forms:
    # rbf mu0^2 = e^-c, mu1^2 = c e^-c, mustar^2 = 1 - e^-c (1 + c) (~ c^2 / 2 as c -> 0)
    co = kernel_coefficients("rbf", bandwidth=708.0)
    assert co.mu0**2 == pytest.approx(math.exp(-708.0), rel=1e-12) and co.mu0 > 0
    assert co.mu1**2 == pytest.approx(708.0 * math.exp(-708.0), rel=1e-12) and co.mustar == pytest.approx(1.0)
    co = kernel_coefficients("rbf", bandwidth=1e-150)
    assert co.mu0 == pytest.approx(1.0, rel=1e-15) and co.mu1**2 == pytest.approx(1e-150, rel=1e-12)
    assert co.mustar**2 == pytest.approx(0.5e-300, rel=1e-12)
    co = kernel_coefficients("polynomial", degree=1023)  # 2^1023 is the largest power of 2
    assert co.mustar**2 == pytest.approx(2.0**1023 - 1 - 1023, rel=1e-12)
    # binomial coefficients beyond the range of doubles with a small offset: computed, not overflowing
    co = kernel_coefficients("polynomial", degree=1030, offset=0.6)
    assert co.mustar**2 == pytest.approx(1.6**1030, rel=1e-10)
    assert co.mu1**2 == pytest.approx(1030 * 0.6**1029, rel=1e-12)
    co = kernel_coefficients("polynomial", degree=2000, offset=0.0)
    assert tuple(co) == (0.0, 0.0, 1.0)
    # unchanged where it always worked
    assert tuple(kernel_coefficients("polynomial", degree=2, offset=1.0)) == (1.0, math.sqrt(2.0), 1.0)
