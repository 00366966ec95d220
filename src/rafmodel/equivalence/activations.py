"""Named activations and the Gaussian-equivalence coefficients of an activation.

The registry :data:`ACTIVATIONS` (names, aliases, closed forms of the built-in functions),
the resolution of a name or a callable (``_resolve_activation``, also used by the
simulations' random features and by trained networks), the vectorized evaluation of a
user's callable, and :func:`activation_coefficients`, which integrates
``E sigma(g)``, ``E g sigma(g)`` and ``E sigma(g)^2`` under ``g ~ N(0, 1)`` (closed forms,
Gauss-Hermite, piecewise Gauss-Legendre or adaptive quadrature).
"""

from __future__ import annotations

import functools
import math
import warnings
from collections.abc import Callable
from functools import lru_cache
from numbers import Integral

import numpy as np
from scipy.integrate import quad_vec
from scipy.special import erf as _sp_erf
from scipy.special import expit as _sp_expit
from scipy.special import ndtr as _sp_ndtr
from scipy.special import roots_hermitenorm

from .._math.quadrature import legendre_panels
from ..exceptions import ParameterError
from .coefficients import Coefficients, _from_moments

__all__ = ["ACTIVATIONS", "activation_coefficients"]

_TWO_PI = 2.0 * math.pi
_INV_SQRT_2PI = 1.0 / math.sqrt(_TWO_PI)

# Integration range of the Gaussian weight: phi(16) ~ 1e-56, negligible against any
# polynomially (or moderately exponentially) growing activation.
_X_MAX = 16.0
# Gauss-Legendre nodes per unit-width panel of the piecewise rule.
_PANEL_NODES = 20
_METHODS = ("auto", "hermite", "piecewise", "adaptive")


def _takes_numbers(func):
    """``func`` (an activation of the registry) with a :class:`ParameterError` naming ``x``
    where its input is not real numbers; valid input goes through unchanged."""
    @functools.wraps(func)
    def activation(x):
        try:
            if x is None:  # numpy would make it nan
                raise TypeError
            return func(x)
        except (TypeError, ValueError):
            raise ParameterError("x", f"an activation takes real numbers, got {x!r:.80}") from None
    return activation


@_takes_numbers
def _linear(x):
    return np.array(x, dtype=float, copy=True)


@_takes_numbers
def _relu(x):
    return np.maximum(x, 0.0)


@_takes_numbers
def _abs(x):
    return np.abs(x)


@_takes_numbers
def _erf(x):
    return _sp_erf(x)


@_takes_numbers
def _tanh(x):
    return np.tanh(x)


@_takes_numbers
def _sign(x):
    return np.sign(x)


@_takes_numbers
def _sigmoid(x):
    return _sp_expit(x)


@_takes_numbers
def _quadratic(x):
    x = np.asarray(x, dtype=float)
    return x * x


@_takes_numbers
def _gelu(x):
    x = np.asarray(x, dtype=float)
    return x * _sp_ndtr(x)


@_takes_numbers
def _step(x):
    return np.heaviside(x, 0.5)


_linear.__doc__ = "Identity ``sigma(x) = x``."
_relu.__doc__ = "Rectified linear unit ``max(x, 0)``."
_abs.__doc__ = "Absolute value ``|x|``."
_erf.__doc__ = "Error function ``erf(x)``."
_tanh.__doc__ = "Hyperbolic tangent."
_sign.__doc__ = "Sign function (``sign(0) = 0``)."
_sigmoid.__doc__ = "Logistic sigmoid ``1 / (1 + exp(-x))``."
_quadratic.__doc__ = "Square ``x^2``."
_gelu.__doc__ = "Gaussian error linear unit ``x Phi(x)``."
_step.__doc__ = "Heaviside step (``step(0) = 1/2``)."

#: Named activations: lower-case name -> numpy function (vectorized over arrays; an input
#: that is not real numbers raises :class:`~rafmodel.exceptions.ParameterError` naming ``x``).
#: Closed forms are used for the built-in functions only, so an entry added here is
#: integrated numerically.
ACTIVATIONS = {
    "linear": _linear,
    "relu": _relu,
    "abs": _abs,
    "erf": _erf,
    "tanh": _tanh,
    "sign": _sign,
    "sigmoid": _sigmoid,
    "quadratic": _quadratic,
    "gelu": _gelu,
    "step": _step,
}

# Built-in activations without a closed form, analytic in a strip: Gauss-Hermite.
_SMOOTH = frozenset({_tanh, _sigmoid})

_ACTIVATION_ALIASES = {"identity": "linear", "logistic": "sigmoid", "heaviside": "step"}

# Closed forms (E sigma, E g sigma, E sigma^2), keyed by the built-in function object.
_CLOSED_FORMS = {
    _linear: (0.0, 1.0, 1.0),
    _relu: (_INV_SQRT_2PI, 0.5, 0.5),
    _abs: (math.sqrt(2.0 / math.pi), 0.0, 1.0),
    # E g erf(g) = E erf'(g) = (2/sqrt pi) E exp(-g^2) = 2/sqrt(3 pi)
    _erf: (0.0, 2.0 / math.sqrt(3.0 * math.pi), (2.0 / math.pi) * math.asin(2.0 / 3.0)),
    _sign: (0.0, math.sqrt(2.0 / math.pi), 1.0),
    _quadratic: (1.0, 0.0, 3.0),
    # E g Phi(g) = E phi(g) = 1/(2 sqrt pi); E g^2 Phi(g) = 1/2 by symmetry;
    # E g^2 Phi(g)^2 = E Phi^2 + 2 E g Phi phi = 1/3 + 1/(2 pi sqrt 3) (Stein's lemma twice)
    _gelu: (0.5 / math.sqrt(math.pi), 0.5,
            1.0 / 3.0 + 1.0 / (2.0 * math.pi * math.sqrt(3.0))),
    _step: (0.5, _INV_SQRT_2PI, 0.5),
}


def _allowed(names):
    return ", ".join(sorted(names))


def _resolve_activation(activation):
    """``(name or None, function)`` for a name or a callable, or raise."""
    if isinstance(activation, str):
        key = activation.strip().lower()
        key = _ACTIVATION_ALIASES.get(key, key)
        if not key:
            raise ParameterError("activation", f"must be a non-empty name ({_allowed(ACTIVATIONS)}) "
                                               f"or a callable, got {activation!r}")
        if key not in ACTIVATIONS:
            raise ParameterError(
                "activation",
                f"unknown activation {activation!r}; allowed: {_allowed(ACTIVATIONS)} "
                "or a callable")
        return key, ACTIVATIONS[key]
    if callable(activation):
        return None, activation
    raise ParameterError(
        "activation",
        f"must be a name ({_allowed(ACTIVATIONS)}) or a callable, got {activation!r}")


def _vectorized(func):
    """A function evaluating ``func`` elementwise on float arrays.

    ``func`` is first called on an array; if that fails, returns the wrong shape, or
    disagrees with scalar calls, ``np.vectorize`` is used instead.
    """
    probe = np.array([-2.25, -0.75, 0.0, 0.5, 1.75])
    use_vectorize = False
    try:
        with np.errstate(all="ignore"):
            out = np.asarray(func(probe.copy()))
        if out.shape not in ((), probe.shape):
            raise ValueError
        out = np.broadcast_to(out, probe.shape)
    except Exception:
        use_vectorize = True
    else:
        try:
            with np.errstate(all="ignore"):
                ref = np.array([np.asarray(func(float(p))).reshape(()) for p in probe])
        except Exception:
            ref = None  # accepts arrays only: trust the array call
        try:
            if ref is not None and not np.allclose(out, ref, rtol=1e-12, atol=1e-14, equal_nan=True):
                use_vectorize = True
        except (TypeError, ValueError):  # not numbers: the scalar route says so, in one line
            use_vectorize = True
    if use_vectorize:
        def scalar(t):
            value = np.asarray(func(float(t)))
            if value.size != 1:
                raise ParameterError("activation", f"must return one number for a number, "
                                                   f"got shape {value.shape}")
            return complex(value.reshape(()))
        impl = np.vectorize(scalar, otypes=[complex])
    else:
        impl = func

    def evaluate(x):
        x = np.asarray(x, dtype=float)
        try:
            with np.errstate(all="ignore"):
                y = np.asarray(impl(x.copy()))
        except ParameterError:
            raise
        except Exception as exc:  # the user's function failed: say so in one line, naming the parameter
            raise ParameterError("activation", f"evaluating it failed: {type(exc).__name__}: {exc}") from exc
        if y.dtype.kind in "USVmM":  # text, bytes, dates: not numbers
            raise ParameterError("activation", f"must return numbers, got values of type {y.dtype}")
        if np.iscomplexobj(y):
            if np.any(y.imag != 0):
                raise ParameterError("activation", "must return real values")
            y = y.real
        try:
            y = np.broadcast_to(np.asarray(y, dtype=float), x.shape)
        except (TypeError, ValueError):
            raise ParameterError(
                "activation", f"must return numbers of the input's shape {x.shape}, "
                              f"got shape {np.shape(y)}") from None
        bad = ~np.isfinite(y)
        if np.any(bad):
            raise ParameterError(
                "activation", f"returned a non-finite value at x = {float(x[bad].flat[0])!r}")
        return y

    return evaluate


@lru_cache(maxsize=None)
def _hermite_rule(n):
    """Gauss-Hermite nodes and weights for the standard normal density."""
    x, w = roots_hermitenorm(n)
    return x, w / math.sqrt(_TWO_PI)


@lru_cache(maxsize=None)
def _panel_rule(width):
    """Composite Gauss-Legendre rule on ``[-_X_MAX, _X_MAX]`` times the normal density.

    Panels of the given width with a breakpoint at 0, so functions that are smooth on
    each side of 0 (relu, abs, sign, ...) are integrated to machine precision.
    """
    x, w = legendre_panels(np.arange(0.0, _X_MAX + 0.5 * width, width), _PANEL_NODES)
    x = np.concatenate([-x[::-1], x])
    w = np.concatenate([w[::-1], w]) * np.exp(-0.5 * x * x) * _INV_SQRT_2PI
    return x, w


def _check_tails(x, y, second):
    """Raise unless ``sigma(x)^2 phi(x)`` is negligible at the ends of the range."""
    tail = np.max(y * y * np.exp(-0.5 * x * x)) * _INV_SQRT_2PI
    if not tail <= 1e-14 * max(1.0, abs(second)):
        raise ParameterError(
            "activation", f"sigma(x)^2 phi(x) = {tail:.3g} is not negligible at "
                          f"|x| = {np.max(np.abs(x)):.3g}: the activation grows too fast to "
                          "be square-integrable under N(0, 1), or to be integrated here")


def _moments_rule(evaluate, rule):
    """``[E sigma, E g sigma, E sigma^2, E (sigma - mu0 - mu1 g)^2]`` by a fixed rule."""
    x, w = rule
    y = evaluate(x)
    _check_tails(x[[0, -1]], y[[0, -1]], w @ (y * y))
    m0, m1 = w @ y, w @ (x * y)
    resid = y - m0 - m1 * x
    return np.array([m0, m1, w @ (y * y), w @ (resid * resid)])


def _moments_adaptive(evaluate):
    """Same as :func:`_moments_rule` by adaptive quadrature (two passes)."""
    def quad(integrand):
        res, err = quad_vec(integrand, -_X_MAX, _X_MAX, points=[0.0], epsabs=1e-13,
                            epsrel=1e-12, limit=4000)
        if err > 1e-8 * max(1.0, float(np.max(np.abs(res)))):
            warnings.warn(f"activation: adaptive quadrature error estimate {err:.2g}; the "
                          "coefficients may be inaccurate", RuntimeWarning, stacklevel=4)
        return res

    def weight(x):
        return math.exp(-0.5 * x * x) * _INV_SQRT_2PI

    def first(x):
        y = evaluate(np.array([x]))[0]
        return np.array([y, x * y, y * y]) * weight(x)

    m0, m1, second = quad(first)
    ends = np.array([-_X_MAX, _X_MAX])
    _check_tails(ends, evaluate(ends), second)

    def residual(x):
        r = evaluate(np.array([x]))[0] - m0 - m1 * x
        return r * r * weight(x)

    return np.array([m0, m1, second, quad(residual)])


def _check_method(method):
    if not isinstance(method, str) or method.lower() not in _METHODS:
        raise ParameterError("method", f"must be one of {', '.join(map(repr, _METHODS))}, "
                                       f"got {method!r}")
    return method.lower()


def _check_n_nodes(n_nodes):
    if (isinstance(n_nodes, bool) or not isinstance(n_nodes, Integral)
            or not 2 <= n_nodes <= 100_000):
        raise ParameterError("n_nodes", f"must be an integer in [2, 100000], got {n_nodes!r}")
    return int(n_nodes)


def activation_coefficients(activation: str | Callable[[np.ndarray], np.ndarray], *, n_nodes: int = 200,
                            method: str = "auto") -> Coefficients:
    """Gaussian-equivalence coefficients of a random-features activation.

    With ``g ~ N(0, 1)``::

        mu0 = E sigma(g),  mu1 = E g sigma(g),  mustar^2 = E sigma(g)^2 - mu0^2 - mu1^2.

    Parameters
    ----------
    activation : str or callable
        A name from :data:`ACTIVATIONS` (case-insensitive: ``'linear'``, ``'relu'``,
        ``'abs'``, ``'erf'``, ``'tanh'``, ``'sign'``, ``'sigmoid'`` (logistic),
        ``'quadratic'`` (``x^2``), ``'gelu'`` (``x Phi(x)``), ``'step'`` (Heaviside);
        aliases ``'identity'``, ``'logistic'``, ``'heaviside'``), or a function of one
        real variable.  A callable should accept a numpy array and act elementwise; if
        it does not, it is wrapped in :func:`numpy.vectorize`.
    n_nodes : int, default=200
        Number of Gauss-Hermite nodes, used by ``method='hermite'`` (and by
        ``'auto'`` for the named smooth activations without a closed form, ``'tanh'``
        and ``'sigmoid'``).  Ignored by the other routes.
    method : {'auto', 'hermite', 'piecewise', 'adaptive'}, default='auto'
        How to compute the Gaussian expectations:

        - ``'auto'``: closed forms for the built-in activations that have one (all
          but ``'tanh'`` and ``'sigmoid'``, which use ``'hermite'``); for a callable,
          ``'piecewise'``, checked against the same rule on panels half as wide and
          replaced by ``'adaptive'`` if the two disagree (a kink or jump away from
          the panel edges).
        - ``'hermite'``: Gauss-Hermite quadrature with ``n_nodes`` nodes; spectrally
          accurate for smooth activations (about ``1e-15`` for ``tanh`` with 200
          nodes), poor for kinks or jumps.
        - ``'piecewise'``: composite Gauss-Legendre rule on unit panels over
          ``[-16, 16]`` with a breakpoint at 0; exact to rounding for activations
          that are smooth on either side of 0 (``relu``, ``abs``, ``sign``, ...).
        - ``'adaptive'``: :func:`scipy.integrate.quad_vec` (error target ``1e-13``);
          robust to kinks and jumps anywhere, slower.

        Any method other than ``'auto'`` bypasses the closed forms.

    Returns
    -------
    Coefficients
        ``(mu0, mu1, mustar)``, with ``mustar >= 0``.

    Raises
    ------
    ParameterError
        (a ``ValueError``) for an unknown name, a non-callable, a bad ``n_nodes`` or
        ``method``, an activation returning non-finite or complex values, or one that
        grows too fast to be square-integrable under the normal density
        (``sigma(x)^2 phi(x)`` not negligible at the end of the integration range).

    See Also
    --------
    rafmodel.equivalence.kernel_coefficients : the same coefficients for a dot-product kernel.
    rafmodel.equivalence.rf_kernel : the kernel that random features with this activation converge to.

    Notes
    -----
    The numerical routes compute ``mustar^2`` as ``E (sigma - mu0 - mu1 g)^2`` rather
    than ``E sigma^2 - mu0^2 - mu1^2``, so a small ``mustar`` is accurate to rounding
    (a difference of moments would leave ``mustar ~ 1e-8`` for a linear activation).

    Examples
    --------
    >>> c = activation_coefficients("relu")
    >>> round(c.mu0, 6), c.mu1, round(c.mustar ** 2, 6)
    (0.398942, 0.5, 0.090845)
    >>> mu0, mu1, mustar = activation_coefficients(lambda x: x ** 3)
    >>> round(mu1, 12), round(mustar ** 2, 12)
    (3.0, 6.0)
    """
    _, func = _resolve_activation(activation)
    n_nodes = _check_n_nodes(n_nodes)
    method = _check_method(method)
    hint = ("the activation may not be square-integrable under N(0, 1)"
            + ("; try method='adaptive'" if method != "adaptive" else ""))

    if method == "auto":
        # look-up by identity: a user's callable need not be hashable
        closed = next((v for f, v in _CLOSED_FORMS.items() if f is func), None)
        if closed is not None:
            return _from_moments(*closed, what="activation", hint=hint)
        method = "hermite" if any(f is func for f in _SMOOTH) else "auto"

    evaluate = _vectorized(func)
    if method == "hermite":
        moments = _moments_rule(evaluate, _hermite_rule(n_nodes))
    elif method == "piecewise":
        moments = _moments_rule(evaluate, _panel_rule(1.0))
    elif method == "adaptive":
        moments = _moments_adaptive(evaluate)
    else:  # auto, callable
        moments = _moments_rule(evaluate, _panel_rule(1.0))
        finer = _moments_rule(evaluate, _panel_rule(0.5))
        scale = max(1.0, abs(float(finer[2])))
        if np.max(np.abs(moments[:3] - finer[:3])) > 1e-11 * scale:
            moments = _moments_adaptive(evaluate)
        else:
            moments = finer
    m0, m1, second, var = (float(v) for v in moments)
    return _from_moments(m0, m1, second, var, what="activation", hint=hint)
