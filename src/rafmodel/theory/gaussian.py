"""Gaussian integrals shared by the closed-form channels and the error formulas.

Notation (THEORY.md): ``phi`` is the standard normal density, ``Phi`` its CDF and
``H = 1 - Phi``.  For a pair ``(xi, z)`` of standard normals with correlation ``rho``
the *truncated moments*

    A_k(h) = E[ xi^k 1{xi < h} 1{z > 0} ],   k = 0, 1, 2,

have closed forms in ``Phi``, ``phi`` and Owen's T function; every hinge-loss
expectation and the rule training error reduce to them.
"""

from __future__ import annotations

import numpy as np
from scipy.special import ndtr, owens_t

SQRT_2PI = float(np.sqrt(2.0 * np.pi))
SQRT_2_OVER_PI = float(np.sqrt(2.0 / np.pi))

#: Stand-in for an infinite integration bound that keeps every product finite
#: (``BIG * phi(BIG) == 0`` exactly, while ``inf * 0`` would be ``nan``).
BIG = 1e150


def Phi(x):
    """Standard normal CDF."""
    return ndtr(x)


def H(x):
    """Gaussian tail ``P(N(0,1) > x)``."""
    return ndtr(-np.asarray(x, dtype=float))


def phi(x):
    """Standard normal density."""
    x = np.asarray(x, dtype=float)
    return np.exp(-0.5 * x * x) / SQRT_2PI


def clip_rho(rho):
    """Keep a correlation strictly inside (-1, 1) so that ``1 - rho**2 > 0``."""
    return np.clip(rho, -1.0 + 1e-15, 1.0 - 1e-15)


class TruncatedMoments:
    """``A_k(h) = E[xi^k 1{xi < h} 1{z > 0}]`` for correlation ``rho`` (broadcasting).

    Parameters
    ----------
    rho : array_like
        Correlation between ``xi`` and ``z``; clipped into (-1, 1).
    """

    def __init__(self, rho):
        rho = clip_rho(np.asarray(rho, dtype=float))
        self.rho = rho
        self.s = np.sqrt(1.0 - rho * rho)  # sqrt(1 - rho^2)
        self.c = rho / self.s  # slope of P(z > 0 | xi) = Phi(c xi)

    def all(self, h):
        """Return ``(A0(h), A1(h), A2(h))`` for bounds ``h`` (broadcasting)."""
        h = np.asarray(h, dtype=float)
        ph = phi(h)
        Pch = ndtr(self.c * h)
        A0 = 0.5 * ndtr(h) - owens_t(h, self.c)
        A1 = -ph * Pch + (self.rho / SQRT_2PI) * ndtr(h / self.s)
        A2 = (-h * ph * Pch + A0
              - (self.rho * self.s / (2.0 * np.pi)) * np.exp(-0.5 * (h / self.s) ** 2))
        return A0, A1, A2


def gauss_interval_moments(lo, hi):
    """``E[x^k 1{lo <= x <= hi}]`` for ``x ~ N(0,1)``, ``k = 0, 1, 2`` (broadcasting)."""
    lo = np.asarray(lo, dtype=float)
    hi = np.asarray(hi, dtype=float)
    plo, phi_ = phi(lo), phi(hi)
    M0 = ndtr(hi) - ndtr(lo)
    M1 = plo - phi_
    M2 = M0 + lo * plo - hi * phi_
    return M0, M1, M2


def sign_error(t_over_sqrt_q, rho):
    """``P[sign(z) omega < -t]`` for unit ``z`` and ``omega`` with ``corr(z, omega) = rho``.

    The argument is ``t / sqrt(q)``; this is the rule training error of a learner
    whose trained output has the sign of ``omega + t``.
    """
    h = np.asarray(t_over_sqrt_q, dtype=float)
    rho = clip_rho(np.asarray(rho, dtype=float))
    c = rho / np.sqrt(1.0 - rho * rho)
    return ndtr(-h) - 2.0 * owens_t(h, c)
