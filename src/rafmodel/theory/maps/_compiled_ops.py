"""The operations of :mod:`rafmodel.theory.maps._ops` on one float each, compiled with numba.

The compiled route of a map (:mod:`rafmodel.theory.maps._compile`) takes these in place of the
numpy operations of the same names.  Two of them are computed here rather than by a library:

* ``ndtr`` is ``erfc`` of the C library (scipy's ``ndtr`` chooses ``erf`` or ``erfc`` by the
  argument; the two agree to rounding);
* Owen's ``T(h, a)``: for ``|a| <= 1`` as
  ``a exp(-h^2/2) / (2 pi) int_0^1 exp(-(a h t)^2 / 2) / (1 + a^2 t^2) dt`` by 24-point
  Gauss-Legendre on ``t <= min(1, 9 / |a h|)`` (beyond, the integrand is below ``e^-40`` of its
  peak), and for ``|a| > 1`` by ``T(h, a) = H(h)/2 + H(a h)/2 - H(h) H(a h) - T(a h, 1/a)``
  (``H = 1 - Phi``; for ``h >= 0``, and ``T`` is even in ``h``).  It agrees with
  ``scipy.special.owens_t`` to about 1e-17, and for ``|a| <= 1`` it is accurate to about 3e-14
  relative (tested against 30-digit quadrature; scipy's is off by up to 2e-11 relative at small
  ``a``).

``where(c, a, b)`` is ``a if c else b`` and ``any_(c)`` is ``c``: a point's branch is its own.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from ..._math.quadrature import legendre_unit

__all__ = ["OPS", "JIT", "owens_t_array"]

#: numba flags of the maps: no fused multiply-adds (with numba's ``contract`` flag the code
#: loaded from numba's cache rounded differently from the code compiled in the process, 1e-14
#: apart on random-features points, so a point's numbers depended on whether the cache existed).
JIT = dict(fastmath=False, error_model="numpy", boundscheck=False, nogil=True)

_SQRT1_2 = math.sqrt(0.5)
_INV_2PI = 1.0 / (2.0 * math.pi)
#: Owen's T: 24-point Gauss-Legendre on [0, 1] (nodes, weights), and the cut in units of 1/|a h|.
_T_NODES, _T_WEIGHTS = legendre_unit(24)
_T_CUT = 9.0


@njit(inline="always", **JIT)
def _ndtr(x):
    return 0.5 * math.erfc(-x * _SQRT1_2)


@njit(**{**JIT, "fastmath": {"reassoc"}, "cache": True})  # the sum over nodes vectorizes
def _t_small(h, a):
    """``T(h, a)`` for ``h >= 0``, ``0 <= a <= 1`` (Gauss-Legendre, see the module docstring)."""
    if a == 0.0:
        return 0.0
    k = h * a
    tmax = 1.0 if k <= _T_CUT else _T_CUT / k
    k2 = -0.5 * (k * tmax) ** 2
    a2 = (a * tmax) ** 2
    acc = 0.0
    for i in range(_T_NODES.shape[0]):
        t2 = _T_NODES[i] * _T_NODES[i]
        acc += _T_WEIGHTS[i] * math.exp(k2 * t2) / (1.0 + a2 * t2)
    return a * tmax * math.exp(-0.5 * h * h) * _INV_2PI * acc


@njit(**JIT, cache=True)
def _owens_t(h, a):
    h = abs(h)
    sign = 1.0
    if a < 0.0:
        a, sign = -a, -1.0
    if a <= 1.0:
        return sign * _t_small(h, a)
    ah = a * h
    Hh, Ha = _ndtr(-h), _ndtr(-ah)
    return sign * (0.5 * Hh + 0.5 * Ha - Hh * Ha - _t_small(ah, 1.0 / a))


@njit(**JIT, cache=True)
def _owens_t_loop(h, a):
    out = np.empty(h.shape[0])
    for i in range(h.shape[0]):
        out[i] = _owens_t(h[i], a[i])
    return out


def owens_t_array(h, a):
    """Owen's ``T(h, a)`` of the compiled route, elementwise (broadcasting; for the tests)."""
    h, a = np.broadcast_arrays(np.asarray(h, float), np.asarray(a, float))
    return _owens_t_loop(np.ascontiguousarray(h.ravel()), np.ascontiguousarray(a.ravel())).reshape(h.shape)


@njit(inline="always", **JIT)
def _where(c, a, b):
    return a if c else b


@njit(inline="always", **JIT)
def _any(c):
    return c


@njit(inline="always", **JIT)
def _clip(x, lo, hi):
    return min(max(x, lo), hi)


@njit(inline="always", **JIT)
def _maximum(a, b):
    return max(a, b)


@njit(**{**JIT, "fastmath": {"reassoc"}, "cache": True})  # the sum over the spectrum vectorizes
def _spectral_sums(vh, lam, s):
    """The resolvent sums of :func:`rafmodel.theory.maps._ops.spectral_sums` for one point."""
    v = m = qm = qq = e = et = 0.0
    for k in range(s.shape[1]):
        den = lam + vh * s[1, k]
        r = s[1, k] / den
        fr = s[0, k] * r
        v += fr
        m += fr * s[2, k]
        qm += fr * r * s[2, k]
        qq += fr * r
        e += fr / den
        et += fr * s[2, k] / den
    return v, m, qm, qq, e, et


#: The compiled operations, by the names of :data:`rafmodel.theory.maps._ops.NAMES`.
OPS = {"sqrt": math.sqrt, "exp": math.exp, "log": math.log, "tanh": math.tanh, "atanh": math.atanh,
       "ndtr": _ndtr, "owens_t": _owens_t, "where": _where, "any_": _any, "maximum": _maximum, "fabs": abs,
       "clip": _clip, "spectral_sums": _spectral_sums}
