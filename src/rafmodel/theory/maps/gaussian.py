"""Gaussian integrals of the closed-form channels (docs/theory.md, the hinge's closed form).

``phi`` is the standard normal density, ``Phi`` its CDF.  For a pair ``(xi, z)`` of standard
normals with correlation ``rho`` the *truncated moments* ``A_k(h) = E[xi^k 1{xi < h} 1{z > 0}]``
(``k = 0, 1, 2``) have closed forms in ``Phi``, ``phi`` and Owen's T function.  A map module
(:mod:`rafmodel.theory.maps`): one source for the batch and the compiled routes.
"""

from __future__ import annotations

import math

from ._ops import exp, ndtr, owens_t

__map_module__ = True
__all__ = ["interval_moments", "truncated_moments", "SQRT_2PI", "SQRT_2_OVER_PI", "BIG", "RHO_CLIP"]

SQRT_2PI = math.sqrt(2.0 * math.pi)
SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)
#: Stand-in for an infinite integration bound that keeps every product finite
#: (``BIG * phi(BIG) == 0`` exactly, while ``inf * 0`` would be ``nan``).
BIG = 1e150
#: A correlation is kept inside ``[-RHO_CLIP, RHO_CLIP]`` so that ``1 - rho^2 > 0``.
RHO_CLIP = 1.0 - 1e-15


def interval_moments(lo, hi):
    """``E[x^k 1{lo <= x <= hi}]`` for ``x ~ N(0, 1)``, ``k = 0, 1, 2``."""
    plo = exp(-0.5 * lo * lo) / SQRT_2PI
    phi_ = exp(-0.5 * hi * hi) / SQRT_2PI
    M0 = ndtr(hi) - ndtr(lo)
    return M0, plo - phi_, M0 + lo * plo - hi * phi_


def truncated_moments(rho, s, c, h):
    """``(A0(h), A1(h), A2(h))`` for the correlation ``rho`` (clipped), ``s = sqrt(1 - rho^2)``, ``c = rho / s``."""
    ph = exp(-0.5 * h * h) / SQRT_2PI
    Pch = ndtr(c * h)
    A0 = 0.5 * ndtr(h) - owens_t(h, c)
    hs = h / s
    A1 = -ph * Pch + (rho / SQRT_2PI) * ndtr(hs)
    A2 = -h * ph * Pch + A0 - (rho * s / (2.0 * math.pi)) * exp(-0.5 * hs * hs)
    return A0, A1, A2
