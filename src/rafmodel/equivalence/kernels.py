"""Named dot-product kernels and the Gaussian-equivalence coefficients of a kernel.

The registry :data:`KERNELS` of named kernels ``k(rho)`` (linear, polynomial, rbf, the
arc-cosine kernels, sign, erf) with their exact Taylor data ``(k(0), k'(0), k(1) - k(0) -
k'(0))`` and the ranges where those are full-precision doubles, and
:func:`kernel_coefficients`, which turns a named kernel, a callable ``k(rho)`` or the
random-features kernel of an activation into ``(mu0, mu1, mustar)``.
"""

from __future__ import annotations

import dataclasses
import functools
import math
import sys
import warnings
from collections.abc import Callable
from numbers import Integral, Real
from typing import Any

import numpy as np

from .._deprecation import renamed
from ..exceptions import ParameterError
from .activations import _TWO_PI, activation_coefficients
from .coefficients import Coefficients

__all__ = ["KERNELS", "kernel_coefficients"]


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


def _rho(rho):
    """``np.asarray(rho, dtype=float)``, or a :class:`ParameterError` naming ``rho``."""
    try:
        if rho is None:  # numpy would make it nan
            raise TypeError
        return np.asarray(rho, dtype=float)
    except (TypeError, ValueError):
        raise ParameterError("rho", f"a kernel takes real numbers in [-1, 1], got {rho!r:.80}") from None


#: Parameters of named kernels renamed in 0.5, kernel -> {old name: new name}: ``c`` was both the
#: rbf kernel's width and the polynomial kernel's offset.  The old name works until 0.6, with a
#: DeprecationWarning naming the new one.
_RENAMED_PARAMS = {"rbf": {"c": "bandwidth"}, "polynomial": {"c": "offset"}}

_UNSET = object()  # "not given": any value beside an old name is an error


def _canonical_params(key, params):
    """``params`` of the named kernel ``key`` (canonical) under their current names, silently.

    For kernel specs stored by hand or before 0.5 (``("rbf", {"c": 2.0})``); identity keys and
    simulations read them through this, so the spelling never changes what a kernel is.
    """
    names = _RENAMED_PARAMS.get(key, {})
    if not any(k in params for k in names):
        return dict(params)
    return {names.get(k, k): v for k, v in params.items()}


def _renamed_params(where, key, params, stacklevel):
    """``params`` of the named kernel ``key`` (canonical), an old name replaced by its new name.

    Parameters
    ----------
    where : str
        The function, as the DeprecationWarning names it.
    key : str
        The kernel's canonical name (``"rbf"``, ``"polynomial"`` ...).
    params : dict
        The keyword arguments received; returned unchanged (a copy) when no old name is among them.
    stacklevel : int
        Of the warning, counted from the caller of this function (3: the caller's caller).

    Raises
    ------
    ParameterError
        An old name given beside its new name (``bandwidth: give bandwidth or its deprecated name
        c, not both``).
    """
    names = _RENAMED_PARAMS.get(key, {})
    old = {k: params[k] for k in names if k in params}
    if not old:
        return dict(params)
    news = [names[k] for k in old]
    renamed(where, old, names, {n: params.get(n, _UNSET) for n in news}, dict.fromkeys(news, _UNSET),
            stacklevel=stacklevel + 1)  # warns; an old name beside its new name is an error
    return {names.get(k, k): v for k, v in params.items()}


def _accepts_old_names(key):
    """Decorator: the kernel function ``KERNELS[key]`` also takes the old parameter names."""
    def deco(func):
        @functools.wraps(func)
        def kernel(rho, **params):
            return func(rho, **_renamed_params(f"KERNELS[{key!r}]", key, params, 3))
        return kernel
    return deco


def _linear_kernel(rho):
    """Linear kernel ``k(rho) = rho``."""
    return _rho(rho) * 1.0


@_accepts_old_names("polynomial")
def _polynomial_kernel(rho, *, degree=3, offset=1.0):
    """Polynomial kernel ``k(rho) = (offset + rho)^degree``."""
    degree = _check_degree(degree)
    offset = _check_real("offset", offset, positive=False, what="polynomial offset")
    return (offset + _rho(rho)) ** degree


@_accepts_old_names("rbf")
def _rbf_kernel(rho, *, bandwidth=1.0):
    """RBF kernel ``exp(-bandwidth |x - x'|^2 / (2d)) = exp(-bandwidth (1 - rho))``."""
    bandwidth = _check_real("bandwidth", bandwidth, positive=True, what="rbf bandwidth")
    return np.exp(-bandwidth * (1.0 - _rho(rho)))


def _arccos_kernel(rho):
    """Arc-cosine kernel of order 1, ``E[relu(u) relu(v)]``.

    ``k(rho) = (sqrt(1 - rho^2) + rho (pi - arccos rho)) / (2 pi)``: half of Cho and
    Saul's normalization.
    """
    rho = np.clip(_rho(rho), -1.0, 1.0)
    return (np.sqrt(1.0 - rho * rho) + rho * (math.pi - np.arccos(rho))) / _TWO_PI


def _arccos0_kernel(rho):
    """Arc-cosine kernel of order 0, ``E[step(u) step(v)] = (pi - arccos rho) / (2 pi)``."""
    rho = np.clip(_rho(rho), -1.0, 1.0)
    return (math.pi - np.arccos(rho)) / _TWO_PI


def _sign_kernel(rho):
    """Arcsine kernel ``E[sign(u) sign(v)] = (2/pi) arcsin(rho)``."""
    rho = np.clip(_rho(rho), -1.0, 1.0)
    return (2.0 / math.pi) * np.arcsin(rho)


def _erf_kernel(rho):
    """Kernel of the erf activation, ``E[erf(u) erf(v)] = (2/pi) arcsin(2 rho / 3)``."""
    return (2.0 / math.pi) * np.arcsin((2.0 / 3.0) * _rho(rho))


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
#: Allowed rbf bandwidths c: exp(-c) = k(0) and c^2/2 ~ mustar^2 (small c) stay normal doubles.
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


def _poly_taylor(degree=3, offset=1.0):
    degree = _check_degree(degree)
    c = _check_real("offset", offset, positive=False, what="polynomial offset")
    rng = "where (offset + 1)^degree = k(1) stays within the range of doubles"
    if not _pow_is_finite(1.0 + c, degree):
        if c <= 1.0:
            dmax = int(_LOG_MAX / math.log1p(c))
            while not _pow_is_finite(1.0 + c, dmax):
                dmax -= 1
            while _pow_is_finite(1.0 + c, dmax + 1):
                dmax += 1
            raise ParameterError("degree", f"must be <= {dmax} with offset = {c!r}, {rng}, got {degree}")
        c_hi = math.expm1(_LOG_MAX / degree) * (1.0 - 1e-9)
        raise ParameterError("offset", f"polynomial offset must be <= {c_hi:.6g} with degree = {degree}, "
                                       f"{rng}, got {c!r}")
    k0 = c ** degree
    k1 = degree * c ** (degree - 1)  # 0.0 ** 0 == 1.0: (0 + rho)^1 has k'(0) = 1
    if c > 0.0 and min(k0, k1) < _TINY:
        c_lo = math.exp(_LOG_TINY / degree) * (1.0 + 1e-9)
        raise ParameterError("offset", f"polynomial offset must be 0 or >= {c_lo:.6g} with degree = "
                                       f"{degree}, where offset^degree = k(0) stays within the range "
                                       f"of doubles (below, mu0 loses all precision), got {c!r}")
    # k(1) - k(0) - k'(0) = sum_{j >= 2} binom(degree, j) c^(degree - j): no cancellation
    try:
        kstar = _poly_kstar(degree, c)
    except OverflowError:  # only at the very edge of the range: k(1) rounds beyond it
        raise ParameterError("degree", f"(offset + 1)^degree overflows with offset = {c!r}, degree = "
                                       f"{degree}; use a smaller degree or offset") from None
    return k0, k1, kstar


def _rbf_taylor(bandwidth=1.0):
    c = _check_real("bandwidth", bandwidth, positive=True, what="rbf bandwidth")
    if not _RBF_C_MIN <= c <= _RBF_C_MAX:
        raise ParameterError("bandwidth", f"rbf bandwidth must be in [{_RBF_C_MIN:g}, {_RBF_C_MAX:g}], "
                                          "where the coefficients exp(-c), c exp(-c) and 1 - (1 + c) "
                                          f"exp(-c) (c = bandwidth) are doubles of full precision, got {c!r}")
    e = math.exp(-c)
    return e, c * e, e * _expm1_minus_x(c)


@dataclasses.dataclass(frozen=True)
class _KernelSpec:
    func: object     # k(rho, **params)
    taylor: object   # (**params) -> (k(0), k'(0), k(1) - k(0) - k'(0))
    params: tuple


_KERNEL_SPECS = {
    "linear": _KernelSpec(_linear_kernel, lambda: (0.0, 1.0, 0.0), ()),
    "polynomial": _KernelSpec(_polynomial_kernel, _poly_taylor, ("degree", "offset")),
    "rbf": _KernelSpec(_rbf_kernel, _rbf_taylor, ("bandwidth",)),
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

#: Named dot-product kernels: name -> ``k(rho, **params)`` (numpy, vectorized in rho; an
#: input that is not real numbers raises :class:`~rafmodel.exceptions.ParameterError`
#: naming ``rho``).  ``KERNELS["rbf"]`` takes ``bandwidth``, ``KERNELS["polynomial"]`` ``degree``
#: and ``offset`` (their old name ``c`` works until 0.6, with a DeprecationWarning).
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
        - ``'polynomial'`` (alias ``'poly'``): ``k = (offset + rho)^degree``; ``degree``
          a positive integer (default 3), ``offset >= 0`` (default 1).
          ``(offset + 1)^degree`` must not overflow a double (``degree <= 1023`` for
          ``offset = 1``), and for ``offset > 0``, ``offset^degree`` must not underflow
          (``offset^degree >= 2.2e-308``).
        - ``'rbf'``: ``exp(-c |x - x'|^2 / (2d)) = exp(-c (1 - rho))`` with ``c =
          bandwidth`` in ``[2.2e-154, 708.39]`` (default 1): ``mu0^2 = e^-c``,
          ``mu1^2 = c e^-c``, ``mustar^2 = 1 - e^-c (1 + c)`` (beyond that range a
          coefficient leaves the normal doubles and loses its precision).
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

        Until 0.6 both kernels still take their parameter under its old name ``c``
        (``bandwidth`` of ``'rbf'``, ``offset`` of ``'polynomial'``), with a
        DeprecationWarning.

        For a callable, ``k(0)`` and ``k(1)`` are evaluated directly and ``k'(0)`` by
        Richardson-extrapolated central differences with steps ``<= 0.1`` (accurate to
        about ``1e-10`` for a kernel analytic near 0; a warning is issued if the error
        estimate exceeds ``1e-7``).
    **params
        Parameters of the named kernel (``bandwidth``, ``degree``, ``offset``), or keyword
        arguments passed to the callable.

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
        ``'activation'`` without ``activation=``, or a deprecated name beside its new name
        (``c`` and ``bandwidth``).

    See Also
    --------
    activation_coefficients, rafmodel.equivalence.rf_kernel, KERNELS

    Examples
    --------
    >>> c = kernel_coefficients("rbf", bandwidth=1.0)
    >>> round(c.mu1 ** 2, 12) == round(math.exp(-1), 12)
    True
    >>> kernel_coefficients("polynomial", degree=2, offset=1.0)
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
        params = _renamed_params(f"kernel_coefficients({key!r})", key, params, 3)
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
