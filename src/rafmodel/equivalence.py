"""Gaussian-equivalence coefficients of activations and dot-product kernels.

Kernel and random-features learners enter the theory of docs/theory.md (section 2) only
through three numbers ``(mu0, mu1, mustar)``:

* an **activation** ``sigma`` (random features ``f(x) = a.sigma(F x / sqrt d) / sqrt p``)
  has, with ``g ~ N(0, 1)``,

      mu0 = E sigma(g),   mu1 = E g sigma(g),   mustar^2 = E sigma(g)^2 - mu0^2 - mu1^2;

* a **dot-product kernel** ``K(x, x') = k(x.x'/d)`` on inputs with ``|x|^2 ~ d`` has

      mu0^2 = k(0),   mu1^2 = k'(0),   mustar^2 = k(1) - k(0) - k'(0).

The two are linked by the infinite-width limit of random features (``kappa = p/d ->
infinity``): the kernel is ``k(rho) = E[sigma(u) sigma(v)]`` for a standard bivariate
normal pair ``(u, v)`` with correlation ``rho`` (see :func:`rf_kernel`).  By Mehler's
formula ``k(rho) = sum_n c_n^2 rho^n / n!`` with the Hermite coefficients
``c_n = E[sigma(g) He_n(g)]``, so ``k(0) = mu0^2``, ``k'(0) = mu1^2`` and
``k(1) = E sigma(g)^2``: both definitions give the same coefficients, up to the signs of
``mu0`` and ``mu1``, which a kernel does not determine (kernel coefficients are reported
non-negative).

Public API
----------
:class:`Coefficients`
    Frozen ``(mu0, mu1, mustar)`` triple.
:func:`activation_coefficients`
    Coefficients of an activation, by name or callable.
:func:`kernel_coefficients`
    Coefficients of a dot-product kernel, by name or callable ``k(rho)``.
:func:`rf_kernel`
    The infinite-width random-features kernel ``k(rho)`` of an activation, by quadrature.
:data:`ACTIVATIONS`, :data:`KERNELS`
    Registries of the named activations and kernel functions.
"""

from __future__ import annotations

import dataclasses
import math
import sys
import warnings
from collections.abc import Callable
from functools import lru_cache
from numbers import Integral, Real
from typing import TYPE_CHECKING, Any

import numpy as np
from scipy.integrate import quad_vec
from scipy.special import erf as _sp_erf
from scipy.special import expit as _sp_expit
from scipy.special import ndtr as _sp_ndtr
from scipy.special import roots_hermitenorm

from ._math.quadrature import legendre_panels
from ._validation import ParameterError, as_float_array

if TYPE_CHECKING:  # for the annotations only
    from numpy.typing import ArrayLike

__all__ = ["Coefficients", "activation_coefficients", "kernel_coefficients", "rf_kernel",
           "ACTIVATIONS", "KERNELS"]

_TWO_PI = 2.0 * math.pi
_INV_SQRT_2PI = 1.0 / math.sqrt(_TWO_PI)

# Integration range of the Gaussian weight: phi(16) ~ 1e-56, negligible against any
# polynomially (or moderately exponentially) growing activation.
_X_MAX = 16.0
# Gauss-Legendre nodes per unit-width panel of the piecewise rule.
_PANEL_NODES = 20
_METHODS = ("auto", "hermite", "piecewise", "adaptive")


# --------------------------------------------------------------------------------------
# The result type
# --------------------------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class Coefficients:
    """Gaussian-equivalence coefficients ``(mu0, mu1, mustar)``.

    A learner with these coefficients acts like the kernel
    ``mu0^2 + mu1^2 x.x'/d + mustar^2 delta(x, x')``.

    Parameters
    ----------
    mu0 : float
        Constant coefficient (``E sigma(g)``, or ``sqrt(k(0))`` for a kernel).
    mu1 : float
        Linear coefficient (``E g sigma(g)``, or ``sqrt(k'(0))`` for a kernel).
    mustar : float
        Non-linear ("memory") coefficient, ``mustar >= 0``.

    Raises
    ------
    ParameterError
        A coefficient that is not a finite real number, or ``mustar < 0``.

    Notes
    -----
    The triple unpacks: ``mu0, mu1, mustar = activation_coefficients("relu")``.

    Examples
    --------
    >>> mu0, mu1, mustar = Coefficients(0.0, 1.0, 0.5)
    >>> mu1, mustar
    (1.0, 0.5)
    """

    mu0: float
    mu1: float
    mustar: float

    def __post_init__(self):
        for name in ("mu0", "mu1", "mustar"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, Real):
                raise ParameterError(name, f"must be a real number, got {value!r}")
            value = float(value)
            if not math.isfinite(value):
                raise ParameterError(name, f"must be finite, got {value!r}")
            object.__setattr__(self, name, value)
        if self.mustar < 0:
            raise ParameterError("mustar", f"must be >= 0, got {self.mustar!r}")

    def __iter__(self):
        return iter((self.mu0, self.mu1, self.mustar))


def _from_moments(m0, m1, second, var=None, *, what, hint):
    """``Coefficients`` from ``E sigma``, ``E g sigma``, ``E sigma^2``.

    ``var``, if given, is ``E (sigma - mu0 - mu1 g)^2`` computed directly (no
    cancellation, so ``mustar`` is accurate even when it is tiny); otherwise it is
    ``E sigma^2 - mu0^2 - mu1^2``.
    """
    if var is None:
        var = second - m0 * m0 - m1 * m1
    if var < 0:
        # Bessel's inequality makes var >= 0 exactly; allow for rounding only.
        if var < -1e-10 * max(1.0, abs(second)):
            raise ParameterError(
                what, f"the quadrature gave E sigma^2 - mu0^2 - mu1^2 = {var:.3g} < 0; "
                      f"{hint}")
        var = 0.0
    return Coefficients(m0, m1, math.sqrt(var))


# --------------------------------------------------------------------------------------
# Activations
# --------------------------------------------------------------------------------------

def _linear(x):
    return np.array(x, dtype=float, copy=True)


def _relu(x):
    return np.maximum(x, 0.0)


def _abs(x):
    return np.abs(x)


def _erf(x):
    return _sp_erf(x)


def _tanh(x):
    return np.tanh(x)


def _sign(x):
    return np.sign(x)


def _sigmoid(x):
    return _sp_expit(x)


def _quadratic(x):
    x = np.asarray(x, dtype=float)
    return x * x


def _gelu(x):
    x = np.asarray(x, dtype=float)
    return x * _sp_ndtr(x)


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

#: Named activations: lower-case name -> numpy function (vectorized over arrays).
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
    kernel_coefficients : the same coefficients for a dot-product kernel.
    rf_kernel : the kernel that random features with this activation converge to.

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


# --------------------------------------------------------------------------------------
# The infinite-width random-features kernel
# --------------------------------------------------------------------------------------

_ANGULAR_PANELS = 4     # Gauss-Legendre panels per angular wedge
_RADIAL_MAX = 14        # radial range [0, 14]: r e^{-r^2/2} < 1e-40 beyond
_RHO_CHUNK = 16         # rho values per vectorized block (bounds memory)


@lru_cache(maxsize=None)
def _radial_rule(n_nodes):
    r, w = legendre_panels(np.arange(_RADIAL_MAX + 1.0), n_nodes)
    return r, w * r * np.exp(-0.5 * r * r) / _TWO_PI


@lru_cache(maxsize=None)
def _unit_rule(n_nodes):
    """Composite Gauss-Legendre rule on [0, 1] with ``_ANGULAR_PANELS`` panels."""
    return legendre_panels(np.arange(_ANGULAR_PANELS + 1.0) / _ANGULAR_PANELS, n_nodes)


def _rf_kernel_block(evaluate, rho, n_nodes):
    """``E[sigma(u) sigma(v)]`` for a 1-D array of correlations ``rho``."""
    # (u, v) = (r cos t, r cos(t - phi)) with (r, t) the polar coordinates of a standard
    # normal pair and cos(phi) = rho.  sigma(u) and sigma(v) change form only where
    # u = 0 (t = +-pi/2) or v = 0 (t = phi +- pi/2): four wedges in t, each integrated
    # with its own Gauss-Legendre panels, and a smooth radial integral.
    phi = np.arccos(rho)[:, None]
    half = np.full_like(phi, 0.5 * math.pi)
    starts = np.concatenate([-half, phi - half, half, phi + half], axis=1)
    lengths = np.concatenate([phi, math.pi - phi, phi, math.pi - phi], axis=1)
    s, ws = _unit_rule(n_nodes)
    theta = (starts[:, :, None] + lengths[:, :, None] * s).reshape(len(rho), -1)
    wtheta = (lengths[:, :, None] * ws).reshape(len(rho), -1)
    r, wr = _radial_rule(n_nodes)
    su = evaluate(np.cos(theta)[:, :, None] * r)
    sv = evaluate(np.cos(theta - phi)[:, :, None] * r)
    return np.einsum("kt,ktr,r->k", wtheta, su * sv, wr)


def rf_kernel(activation: str | Callable[[np.ndarray], np.ndarray], rho: ArrayLike, *,
              n_nodes: int = 16) -> float | np.ndarray:
    """Infinite-width random-features kernel ``k(rho) = E[sigma(u) sigma(v)]``.

    ``(u, v)`` is a standard bivariate normal pair with correlation ``rho``.  Random
    features ``sigma(F x / sqrt d)`` with ``p / d -> infinity`` give the kernel
    ``K(x, x') = k(x.x' / d)`` on inputs with ``|x|^2 = d``.  Always computed by
    quadrature (never from a closed form), so it can cross-check
    :func:`kernel_coefficients`.

    Parameters
    ----------
    activation : str or callable
        As in :func:`activation_coefficients`.
    rho : float or array_like
        Correlation(s) in ``[-1, 1]``.
    n_nodes : int, default=16
        Gauss-Legendre nodes per panel (4 panels per angular wedge, 14 unit panels in
        the radius).

    Returns
    -------
    float or ndarray
        ``k(rho)``, a float for a scalar ``rho``, else an array of ``rho``'s shape.

    Raises
    ------
    ParameterError
        (a ``ValueError``) for a ``rho`` outside ``[-1, 1]`` or not finite, a bad
        ``n_nodes``, or an invalid activation (as in :func:`activation_coefficients`).

    Notes
    -----
    The 2-D Gaussian integral is done in polar coordinates ``(r, t)`` of ``(u, w)``
    with ``v = rho u + sqrt(1 - rho^2) w``: then ``u = r cos t`` and
    ``v = r cos(t - arccos rho)``, and the lines ``u = 0``, ``v = 0`` where a
    non-smooth activation (relu, sign, ...) changes form are fixed angles.  Splitting
    the angle there and integrating each wedge and the radius with Gauss-Legendre
    panels is accurate to about ``1e-14`` for activations smooth on either side of 0,
    for every ``rho`` including ``+-1`` (a tensor Gauss-Hermite rule converges only
    algebraically across those lines).  A kink or jump away from 0 limits the accuracy.

    Examples
    --------
    >>> import numpy as np
    >>> rho = np.array([0.0, 0.5, 1.0])
    >>> np.allclose(rf_kernel("relu", rho), KERNELS["arccos"](rho), atol=1e-13)
    True
    """
    _, func = _resolve_activation(activation)
    n_nodes = _check_n_nodes(n_nodes)
    arr = as_float_array("rho", rho)
    bad = ~np.isfinite(arr) | (np.abs(arr) > 1)
    if np.any(bad):
        raise ParameterError("rho", f"must be in [-1, 1], got {float(arr[bad].flat[0])!r}")
    evaluate = _vectorized(func)
    flat = arr.reshape(-1)
    out = np.concatenate([_rf_kernel_block(evaluate, flat[i:i + _RHO_CHUNK], n_nodes)
                          for i in range(0, flat.size, _RHO_CHUNK)])
    if arr.ndim == 0 and not isinstance(rho, np.ndarray):
        return float(out[0])
    return out.reshape(arr.shape)


# --------------------------------------------------------------------------------------
# Dot-product kernels
# --------------------------------------------------------------------------------------

def _check_degree(degree):
    if isinstance(degree, bool) or not isinstance(degree, Integral) or degree < 1:
        raise ParameterError("degree", f"must be a positive integer, got {degree!r}")
    return int(degree)


def _check_real(name, value, *, positive, what):
    if isinstance(value, bool) or not isinstance(value, Real) or not math.isfinite(value):
        raise ParameterError(name, f"{what} must be a finite real number, got {value!r}")
    value = float(value)
    if positive and value <= 0:
        raise ParameterError(name, f"{what} must be > 0, got {value!r}")
    if not positive and value < 0:
        raise ParameterError(name, f"{what} must be >= 0, got {value!r}")
    return value


def _linear_kernel(rho):
    """Linear kernel ``k(rho) = rho``."""
    return np.asarray(rho, dtype=float) * 1.0


def _polynomial_kernel(rho, *, degree=3, c=1.0):
    """Polynomial kernel ``k(rho) = (c + rho)^degree``."""
    degree = _check_degree(degree)
    c = _check_real("c", c, positive=False, what="polynomial offset")
    return (c + np.asarray(rho, dtype=float)) ** degree


def _rbf_kernel(rho, *, c=1.0):
    """RBF kernel ``exp(-c |x - x'|^2 / (2d)) = exp(-c (1 - rho))``."""
    c = _check_real("c", c, positive=True, what="rbf bandwidth")
    return np.exp(-c * (1.0 - np.asarray(rho, dtype=float)))


def _arccos_kernel(rho):
    """Arc-cosine kernel of order 1, ``E[relu(u) relu(v)]``.

    ``k(rho) = (sqrt(1 - rho^2) + rho (pi - arccos rho)) / (2 pi)``: half of Cho and
    Saul's normalization.
    """
    rho = np.clip(np.asarray(rho, dtype=float), -1.0, 1.0)
    return (np.sqrt(1.0 - rho * rho) + rho * (math.pi - np.arccos(rho))) / _TWO_PI


def _arccos0_kernel(rho):
    """Arc-cosine kernel of order 0, ``E[step(u) step(v)] = (pi - arccos rho) / (2 pi)``."""
    rho = np.clip(np.asarray(rho, dtype=float), -1.0, 1.0)
    return (math.pi - np.arccos(rho)) / _TWO_PI


def _sign_kernel(rho):
    """Arcsine kernel ``E[sign(u) sign(v)] = (2/pi) arcsin(rho)``."""
    rho = np.clip(np.asarray(rho, dtype=float), -1.0, 1.0)
    return (2.0 / math.pi) * np.arcsin(rho)


def _erf_kernel(rho):
    """Kernel of the erf activation, ``E[erf(u) erf(v)] = (2/pi) arcsin(2 rho / 3)``."""
    return (2.0 / math.pi) * np.arcsin((2.0 / 3.0) * np.asarray(rho, dtype=float))


def _expm1_minus_x(c):
    """``e^c - 1 - c`` without cancellation for small ``c``."""
    if c > 0.5:
        return math.expm1(c) - c
    term, total, n = c * c / 2.0, 0.0, 2
    while term > 1e-17 * (total + term):
        total += term
        n += 1
        term *= c / n
    return total + term


# Every coefficient of a named kernel must be a normal double (or exactly 0 where the
# formula gives 0): beyond, a coefficient overflows, or underflows and loses all precision.
_TINY = sys.float_info.min  # 2.2e-308, the smallest normal double
_LOG_MAX = math.log(sys.float_info.max)  # 709.78
_LOG_TINY = math.log(_TINY)  # -708.40
#: Allowed rbf bandwidths: exp(-c) = k(0) and c^2/2 ~ mustar^2 (small c) stay normal doubles.
_RBF_C_MIN, _RBF_C_MAX = 2.2e-154, 708.39


def _pow_is_finite(base, degree):
    try:
        base ** degree
    except OverflowError:
        return False
    return True


def _poly_kstar(degree, c):
    """``sum_{j >= 2} binom(degree, j) c^(degree - j)``; in log space if a binomial overflows."""
    try:
        return math.fsum(math.comb(degree, j) * c ** (degree - j) for j in range(2, degree + 1))
    except OverflowError:  # binom(degree, j) beyond the range of doubles (degree > 1029)
        pass
    if c == 0.0:
        return 1.0 if degree >= 2 else 0.0
    lc = math.log(c)
    return math.fsum(math.exp(math.log(math.comb(degree, j)) + (degree - j) * lc)
                     for j in range(2, degree + 1))


def _poly_taylor(degree=3, c=1.0):
    degree = _check_degree(degree)
    c = _check_real("c", c, positive=False, what="polynomial offset")
    rng = "where (c + 1)^degree = k(1) stays within the range of doubles"
    if not _pow_is_finite(1.0 + c, degree):
        if c <= 1.0:
            dmax = int(_LOG_MAX / math.log1p(c))
            while not _pow_is_finite(1.0 + c, dmax):
                dmax -= 1
            while _pow_is_finite(1.0 + c, dmax + 1):
                dmax += 1
            raise ParameterError("degree", f"must be <= {dmax} with c = {c!r}, {rng}, got {degree}")
        c_hi = math.expm1(_LOG_MAX / degree) * (1.0 - 1e-9)
        raise ParameterError("c", f"polynomial offset must be <= {c_hi:.6g} with degree = {degree}, "
                                  f"{rng}, got {c!r}")
    k0 = c ** degree
    k1 = degree * c ** (degree - 1)  # 0.0 ** 0 == 1.0: (0 + rho)^1 has k'(0) = 1
    if c > 0.0 and min(k0, k1) < _TINY:
        c_lo = math.exp(_LOG_TINY / degree) * (1.0 + 1e-9)
        raise ParameterError("c", f"polynomial offset must be 0 or >= {c_lo:.6g} with degree = "
                                  f"{degree}, where c^degree = k(0) stays within the range of "
                                  f"doubles (below, mu0 loses all precision), got {c!r}")
    # k(1) - k(0) - k'(0) = sum_{j >= 2} binom(degree, j) c^(degree - j): no cancellation
    try:
        kstar = _poly_kstar(degree, c)
    except OverflowError:  # only at the very edge of the range: k(1) rounds beyond it
        raise ParameterError("degree", f"(c + 1)^degree overflows with c = {c!r}, degree = "
                                       f"{degree}; use a smaller degree or offset") from None
    return k0, k1, kstar


def _rbf_taylor(c=1.0):
    c = _check_real("c", c, positive=True, what="rbf bandwidth")
    if not _RBF_C_MIN <= c <= _RBF_C_MAX:
        raise ParameterError("c", f"rbf bandwidth must be in [{_RBF_C_MIN:g}, {_RBF_C_MAX:g}], where "
                                  "the coefficients exp(-c), c exp(-c) and 1 - (1 + c) exp(-c) are "
                                  f"doubles of full precision, got {c!r}")
    e = math.exp(-c)
    return e, c * e, e * _expm1_minus_x(c)


@dataclasses.dataclass(frozen=True)
class _KernelSpec:
    func: object     # k(rho, **params)
    taylor: object   # (**params) -> (k(0), k'(0), k(1) - k(0) - k'(0))
    params: tuple


_KERNEL_SPECS = {
    "linear": _KernelSpec(_linear_kernel, lambda: (0.0, 1.0, 0.0), ()),
    "polynomial": _KernelSpec(_polynomial_kernel, _poly_taylor, ("degree", "c")),
    "rbf": _KernelSpec(_rbf_kernel, _rbf_taylor, ("c",)),
    "arccos": _KernelSpec(_arccos_kernel,
                          lambda: (1.0 / _TWO_PI, 0.25, 0.25 - 1.0 / _TWO_PI), ()),
    "arccos0": _KernelSpec(_arccos0_kernel,
                           lambda: (0.25, 1.0 / _TWO_PI, 0.25 - 1.0 / _TWO_PI), ()),
    "sign": _KernelSpec(_sign_kernel, lambda: (0.0, 2.0 / math.pi, 1.0 - 2.0 / math.pi), ()),
    "erf": _KernelSpec(_erf_kernel, lambda: (
        0.0, 4.0 / (3.0 * math.pi),
        (2.0 / math.pi) * math.asin(2.0 / 3.0) - 4.0 / (3.0 * math.pi)), ()),
}

_KERNEL_ALIASES = {"relu": "arccos", "arccos1": "arccos", "step": "arccos0",
                   "arcsin": "sign", "poly": "polynomial"}

#: Named dot-product kernels: name -> ``k(rho, **params)`` (numpy, vectorized in rho).
KERNELS = {name: spec.func for name, spec in _KERNEL_SPECS.items()}

_KERNEL_NAMES = tuple(sorted([*_KERNEL_SPECS, *_KERNEL_ALIASES, "activation"]))


def _derivative_at_zero(k):
    """``k'(0)`` by Richardson-extrapolated central differences, and an error estimate.

    Steps ``h = 0.1 / 2^i``; the central difference has an error series in ``h^2``,
    which the tableau eliminates order by order.  The entry whose change from its
    neighbours is smallest is returned, and the loop stops once rounding makes the
    tableau diverge.
    """
    h, levels = 0.1, 10
    prev_row = [(k(h) - k(-h)) / (2.0 * h)]
    best, best_err = prev_row[0], math.inf
    for _ in range(1, levels):
        h *= 0.5
        row = [(k(h) - k(-h)) / (2.0 * h)]
        factor = 4.0
        for j in range(1, len(prev_row) + 1):
            row.append(row[j - 1] + (row[j - 1] - prev_row[j - 1]) / (factor - 1.0))
            factor *= 4.0
            err = max(abs(row[j] - row[j - 1]), abs(row[j] - prev_row[j - 1]))
            if err <= best_err:
                best, best_err = row[j], err
        if abs(row[-1] - prev_row[-1]) >= 2.0 * best_err:
            break
        prev_row = row
    return best, best_err


def _callable_kernel_taylor(kernel, params):
    def k(rho):
        try:
            value = kernel(rho, **params)
            value = float(np.asarray(value, dtype=float).reshape(()))
        except ParameterError:
            raise
        except Exception as exc:
            raise ParameterError("kernel", f"evaluating k({rho!r}) failed: {exc}") from exc
        if not math.isfinite(value):
            raise ParameterError("kernel", f"k({rho!r}) = {value!r} is not finite")
        return value

    k0, kone = k(0.0), k(1.0)
    k1, err = _derivative_at_zero(k)
    scale = max(1.0, abs(k0), abs(k1), abs(kone))
    if err > 1e-7 * scale:
        warnings.warn(f"kernel: k'(0) = {k1:.10g} from finite differences has an estimated "
                      f"error {err:.2g}", RuntimeWarning, stacklevel=4)
    # rounding slack: exact zeros (e.g. k(0) of an odd activation's kernel) may come out
    # as tiny negatives
    tol = 1e-12 * scale + 10.0 * err
    return k0, k1, kone - k0 - k1, tol


def kernel_coefficients(kernel: str | Callable[..., Any], **params: Any) -> Coefficients:
    """Gaussian-equivalence coefficients of a dot-product kernel ``K(x, x') = k(x.x'/d)``.

    On inputs with ``|x|^2 ~ d`` the kernel acts like
    ``mu0^2 + mu1^2 x.x'/d + mustar^2 delta(x, x')`` with::

        mu0^2 = k(0),  mu1^2 = k'(0),  mustar^2 = k(1) - k(0) - k'(0).

    Parameters
    ----------
    kernel : str or callable
        A name (case-insensitive) or a function ``k(rho, **params)`` of a scalar
        ``rho`` in ``[-1, 1]``.  Names and their parameters:

        - ``'linear'``: ``k = rho``.
        - ``'polynomial'`` (alias ``'poly'``): ``k = (c + rho)^degree``; ``degree``
          a positive integer (default 3), ``c >= 0`` (default 1).  ``(c + 1)^degree``
          must not overflow a double (``degree <= 1023`` for ``c = 1``), and for
          ``c > 0``, ``c^degree`` must not underflow (``c^degree >= 2.2e-308``).
        - ``'rbf'``: ``exp(-c |x - x'|^2 / (2d)) = exp(-c (1 - rho))``, bandwidth
          ``c`` in ``[2.2e-154, 708.39]`` (default 1): ``mu0^2 = e^-c``, ``mu1^2 = c e^-c``,
          ``mustar^2 = 1 - e^-c (1 + c)`` (beyond that range a coefficient leaves the
          normal doubles and loses its precision).
        - ``'arccos'`` (aliases ``'relu'``, ``'arccos1'``): arc-cosine kernel of order
          1 normalized as the random-features limit of relu,
          ``k = (sqrt(1 - rho^2) + rho (pi - arccos rho)) / (2 pi)``.
        - ``'arccos0'`` (alias ``'step'``): order 0, the limit of the Heaviside step,
          ``k = (pi - arccos rho) / (2 pi)``.
        - ``'sign'`` (alias ``'arcsin'``): ``k = (2/pi) arcsin(rho)``, the limit of sign.
        - ``'erf'``: ``k = (2/pi) arcsin(2 rho / 3)``, the limit of erf.
        - ``'activation'``: the infinite-width random-features kernel
          ``k(rho) = E[sigma(u) sigma(v)]`` of ``activation=`` (name or callable, see
          :func:`activation_coefficients`; ``n_nodes`` and ``method`` are passed on).
          Its coefficients are those of the activation (Mehler's formula), with
          ``mu0`` and ``mu1`` replaced by their absolute values.

        For a callable, ``k(0)`` and ``k(1)`` are evaluated directly and ``k'(0)`` by
        Richardson-extrapolated central differences with steps ``<= 0.1`` (accurate to
        about ``1e-10`` for a kernel analytic near 0; a warning is issued if the error
        estimate exceeds ``1e-7``).
    **params
        Parameters of the named kernel, or keyword arguments passed to the callable.

    Returns
    -------
    Coefficients
        ``(mu0, mu1, mustar)``, all ``>= 0``.

    Raises
    ------
    ParameterError
        (a ``ValueError``) for an unknown or empty name, an invalid parameter value
        (including one whose coefficients would overflow or underflow a double), or a
        kernel with ``k(0) < 0``, ``k'(0) < 0`` or ``k(1) < k(0) + k'(0)`` (not a
        positive-definite dot-product kernel in high dimension), a parameter the named
        kernel does not take (named as ``param``; the error is also a ``TypeError``), or
        ``'activation'`` without ``activation=``.

    See Also
    --------
    activation_coefficients, rf_kernel, KERNELS

    Examples
    --------
    >>> c = kernel_coefficients("rbf", c=1.0)
    >>> round(c.mu1 ** 2, 12) == round(math.exp(-1), 12)
    True
    >>> kernel_coefficients("polynomial", degree=2, c=1.0)
    Coefficients(mu0=1.0, mu1=1.4142135623730951, mustar=1.0)
    """
    if isinstance(kernel, str):
        key = kernel.strip().lower()
        key = _KERNEL_ALIASES.get(key, key)
        if key == "activation":
            unknown = sorted(set(params) - {"activation", "n_nodes", "method"})
            if unknown:
                raise ParameterError(unknown[0], "not a parameter of kernel 'activation'; allowed: "
                                                 "'activation', 'n_nodes', 'method'")
            if "activation" not in params:
                raise ParameterError("activation", "required by kernel 'activation' (a name or a callable)")
            mu0, mu1, mustar = activation_coefficients(**params)
            return Coefficients(abs(mu0), abs(mu1), mustar)
        spec = _KERNEL_SPECS.get(key)
        if not key:
            raise ParameterError("kernel", f"must be a non-empty name ({', '.join(_KERNEL_NAMES)}) "
                                           f"or a callable k(rho), got {kernel!r}")
        if spec is None:
            raise ParameterError("kernel", f"unknown kernel {kernel!r}; allowed: "
                                           f"{', '.join(_KERNEL_NAMES)} or a callable k(rho)")
        unknown = sorted(set(params) - set(spec.params))
        if unknown:
            allowed = ", ".join(map(repr, spec.params)) or "none"
            raise ParameterError(unknown[0], f"not a parameter of kernel {key!r}; allowed: {allowed}")
        k0, k1, kstar = spec.taylor(**params)
        tol = 0.0
    elif callable(kernel):
        k0, k1, kstar, tol = _callable_kernel_taylor(kernel, params)
    else:
        raise ParameterError("kernel", f"must be a name ({', '.join(_KERNEL_NAMES)}) or a "
                                       f"callable k(rho), got {kernel!r}")

    not_pd = "not a positive-definite dot-product kernel"
    if k0 < -tol:
        raise ParameterError("kernel", f"k(0) = {k0:.6g} < 0: {not_pd}")
    if k1 < -tol:
        raise ParameterError("kernel", f"k'(0) = {k1:.6g} < 0: {not_pd}")
    if kstar < -tol:
        raise ParameterError("kernel", f"k(1) - k(0) - k'(0) = {kstar:.6g} < 0, so "
                                       f"mustar^2 would be negative: {not_pd}")
    return Coefficients(math.sqrt(max(k0, 0.0)), math.sqrt(max(k1, 0.0)),
                        math.sqrt(max(kstar, 0.0)))


# --------------------------------------------------------------------------------------
# Identity of a real kernel or activation (for the equality of learners)
# --------------------------------------------------------------------------------------

class _ById:
    """Wraps an object so that it compares and hashes by identity (a user's callable)."""

    __slots__ = ("obj",)

    def __init__(self, obj):
        self.obj = obj

    def __eq__(self, other):
        return isinstance(other, _ById) and self.obj is other.obj

    def __hash__(self):
        return id(self.obj)

    def __repr__(self):
        return f"_ById({self.obj!r})"


def _value_key(value):
    """A hashable key of a parameter value: equal keys for values that act the same."""
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, Real):
        return float(value)  # c=1 and c=1.0 are the same kernel
    if isinstance(value, np.ndarray):
        return ("ndarray", value.dtype.str, value.shape, value.tobytes())
    if isinstance(value, (list, tuple)):
        return (type(value).__name__, tuple(_value_key(v) for v in value))
    if isinstance(value, dict):
        return ("dict", tuple(sorted((str(k), _value_key(v)) for k, v in value.items())))
    if callable(value):
        return _ById(value)
    try:
        hash(value)
    except TypeError:
        return _ById(value)
    return value


def _activation_key(activation):
    """Key of an activation: its canonical name, or the callable itself (by identity).

    A registered function (``ACTIVATIONS["relu"]``) has the key of its name: it is the
    function a simulation uses for that name.
    """
    if isinstance(activation, str):
        key = activation.strip().lower()
        return _ACTIVATION_ALIASES.get(key, key)
    name = next((k for k, f in ACTIVATIONS.items() if f is activation), None)
    return name if name is not None else _ById(activation)


def _defaults(func):
    import inspect

    return {k: p.default for k, p in inspect.signature(func).parameters.items()
            if p.default is not inspect.Parameter.empty}


def _kernel_key(kernel, params):
    """Key of a dot-product kernel spec ``(name or callable, params)``.

    Names are canonical (case, surrounding blanks and aliases do not matter) and
    default parameters are filled in, so ``("RBF", {})`` and ``("rbf", {"c": 1})`` have
    the same key; a callable is compared by identity, with its keyword arguments.
    """
    params = dict(params)
    if isinstance(kernel, str):
        name = kernel.strip().lower()
        name = _KERNEL_ALIASES.get(name, name)
        if name == "activation":
            full = {"n_nodes": 200, "method": "auto", **params}
            if isinstance(full["method"], str):
                full["method"] = full["method"].lower()
            act = _activation_key(full.pop("activation", None))
            return (name, ("activation", act),
                    tuple(sorted((k, _value_key(v)) for k, v in full.items())))
        spec = _KERNEL_SPECS.get(name)
        if spec is not None:
            params = {**_defaults(spec.taylor), **params}
        return (name, tuple(sorted((k, _value_key(v)) for k, v in params.items())))
    return (_ById(kernel), tuple(sorted((k, _value_key(v)) for k, v in params.items())))
