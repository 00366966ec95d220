"""Gaussian integrals shared by the closed-form channels and the error formulas.

Notation (docs/theory.md): ``phi`` is the standard normal density, ``Phi`` its CDF and
``H = 1 - Phi``.  For a pair ``(xi, z)`` of standard normals with correlation ``rho``
the *truncated moments*

    A_k(h) = E[ xi^k 1{xi < h} 1{z > 0} ],   k = 0, 1, 2,

have closed forms in ``Phi``, ``phi`` and Owen's T function; every hinge-loss
expectation and the rule training error reduce to them.

Every function accepts numpy arrays (broadcasting) or plain Python floats; floats
are computed with the ``math`` module, which is an order of magnitude faster for
one point than numpy's per-call overhead (the scalar fast path of the solver).
"""

from __future__ import annotations

import math

import numpy as np
from scipy.special import ndtr as _np_ndtr
from scipy.special import owens_t as _np_owens_t

SQRT_2PI = math.sqrt(2.0 * math.pi)
SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)
_SQRT1_2 = math.sqrt(0.5)

#: Stand-in for an infinite integration bound that keeps every product finite
#: (``BIG * phi(BIG) == 0`` exactly, while ``inf * 0`` would be ``nan``).
BIG = 1e150
RHO_CLIP = 1.0 - 1e-15


class _NumpyOps:
    sqrt = staticmethod(np.sqrt)
    exp = staticmethod(np.exp)
    ndtr = staticmethod(_np_ndtr)
    owens_t = staticmethod(_np_owens_t)
    maximum = staticmethod(np.maximum)

    @staticmethod
    def clip(x, lo, hi):
        return np.clip(x, lo, hi)


def _math_ndtr(x):
    return 0.5 * math.erfc(-x * _SQRT1_2)


def _math_exp(x):
    return math.exp(x) if x > -745.0 else 0.0


class _MathOps:
    sqrt = staticmethod(math.sqrt)
    exp = staticmethod(_math_exp)
    ndtr = staticmethod(_math_ndtr)
    maximum = staticmethod(max)

    @staticmethod
    def owens_t(h, a):
        return float(_np_owens_t(h, a))

    @staticmethod
    def clip(x, lo, hi):
        return min(max(x, lo), hi)


NUMPY, MATH = _NumpyOps, _MathOps


def ops(*xs):
    """``MATH`` if every argument is a Python float (or int), else ``NUMPY``."""
    for x in xs:
        t = type(x)
        if t is not float and t is not int:
            return NUMPY
    return MATH


def Phi(x):
    """Standard normal CDF."""
    return ops(x).ndtr(x)


def H(x):
    """Gaussian tail ``P(N(0,1) > x)``."""
    return ops(x).ndtr(-x)


def phi(x):
    """Standard normal density."""
    return ops(x).exp(-0.5 * x * x) / SQRT_2PI


def clip_rho(rho):
    """Keep a correlation strictly inside (-1, 1) so that ``1 - rho**2 > 0``."""
    return ops(rho).clip(rho, -RHO_CLIP, RHO_CLIP)


class TruncatedMoments:
    """``A_k(h) = E[xi^k 1{xi < h} 1{z > 0}]`` for correlation ``rho`` (broadcasting).

    Parameters
    ----------
    rho : float or ndarray
        Correlation between ``xi`` and ``z``; clipped into (-1, 1).
    """

    def __init__(self, rho):
        self.ops = o = ops(rho)
        rho = o.clip(rho, -RHO_CLIP, RHO_CLIP)
        self.rho = rho
        self.s = o.sqrt(1.0 - rho * rho)  # sqrt(1 - rho^2)
        self.c = rho / self.s  # slope of P(z > 0 | xi) = Phi(c xi)

    def all(self, h):
        """Return ``(A0(h), A1(h), A2(h))`` for bounds ``h`` (broadcasting)."""
        o = self.ops if ops(h) is MATH else NUMPY
        ph = o.exp(-0.5 * h * h) / SQRT_2PI
        Pch = o.ndtr(self.c * h)
        A0 = 0.5 * o.ndtr(h) - o.owens_t(h, self.c)
        hs = h / self.s
        A1 = -ph * Pch + (self.rho / SQRT_2PI) * o.ndtr(hs)
        A2 = -h * ph * Pch + A0 - (self.rho * self.s / (2.0 * math.pi)) * o.exp(-0.5 * hs * hs)
        return A0, A1, A2


def gauss_interval_moments(lo, hi):
    """``E[x^k 1{lo <= x <= hi}]`` for ``x ~ N(0,1)``, ``k = 0, 1, 2`` (broadcasting)."""
    o = ops(lo, hi)
    plo = o.exp(-0.5 * lo * lo) / SQRT_2PI
    phi_ = o.exp(-0.5 * hi * hi) / SQRT_2PI
    M0 = o.ndtr(hi) - o.ndtr(lo)
    M1 = plo - phi_
    M2 = M0 + lo * plo - hi * phi_
    return M0, M1, M2


def sign_error(t_over_sqrt_q, rho):
    """``P[sign(z) omega < -t]`` for unit ``z`` and ``omega`` with ``corr(z, omega) = rho``.

    The argument is ``t / sqrt(q)``; this is the rule training error of a learner
    whose trained output has the sign of ``omega + t``.
    """
    h = t_over_sqrt_q
    o = ops(h, rho)
    rho = o.clip(rho, -RHO_CLIP, RHO_CLIP)
    c = rho / o.sqrt(1.0 - rho * rho)
    # a probability: clip the rounding of the difference of two tiny numbers
    return o.clip(o.ndtr(-h) - 2.0 * o.owens_t(h, c), 0.0, 1.0)
