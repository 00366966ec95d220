"""The hinge loss's side of the map: its channel in closed form (docs/theory.md section 6.1).

In ``Phi``, ``phi`` and Owen's T (:mod:`rafmodel.theory.maps.gaussian`); a narrow margin region
is integrated directly by Gauss-Legendre, where the differences of the closed form would cancel.
A map module (:mod:`rafmodel.theory.maps`): one source for the batch and the compiled routes.
"""

from __future__ import annotations

from ..._math.quadrature import legendre_unit
from ._ops import any_, clip, exp, fabs, maximum, ndtr, sqrt, where
from .gaussian import BIG, RHO_CLIP, SQRT_2PI, interval_moments, truncated_moments

__map_module__ = True
__all__ = ["channel", "NARROW", "REGION2_NODES"]

#: Region 2 of the hinge is integrated by Gauss-Legendre below this narrowness.
NARROW = 0.2
#: Gauss-Legendre nodes of that integral (on ``[0, 1]``).
REGION2_NODES = 16
_R_NODES, _R_WEIGHTS = legendre_unit(REGION2_NODES)


def region2(m, q, V, sq, s):
    """Region-2 integrals by Gauss-Legendre in ``v = 1 - omega`` on ``[0, V]``: ``M0, mid2, d0, J, Nv``."""
    c = m / s
    M0 = mid2 = d0 = J = Nv = 0.0 * V
    for i in range(_R_NODES.shape[0]):
        v = V * _R_NODES[i]
        ww = V * _R_WEIGHTS[i]
        pf = exp(-0.5 * ((1.0 - v) / sq) ** 2) / (SQRT_2PI * sq)
        pr = pf * ndtr(c * (1.0 - v) / sq)
        pm = exp(-0.5 * ((1.0 - v) / s) ** 2) / (SQRT_2PI * s)
        M0 = M0 + ww * pf
        mid2 = mid2 + ww * (pf * v * v)
        d0 = d0 + ww * pr
        J = J + ww * (pr * v * v)
        Nv = Nv + ww * (pm * v)
    return M0, mid2, d0, J, Nv


def channel(m, q, V, eps, limit):
    """``(mhat, qhat, Vhat) / a`` of the hinge loss at training-time ``(m, q, V)`` (``m^2 < q``).

    For ``y = +1``: ``g = 1`` on ``u < lo = 1 - V``, ``g = (1 - u)/V`` on ``[lo, 1]``, ``0`` above;
    ``-dg = 1/V`` on ``[lo, 1]``.  At the interpolating (max-margin) limit ``lo = -infinity`` and
    ``V`` is ``lam V``.
    """
    sq = sqrt(q)
    s = sqrt(maximum(q - m * m, 1e-300))
    lo = -BIG if limit else 1.0 - V
    # facts: omega = sqrt(q) xi, weight eps (both labels give the same by symmetry)
    L, U = lo / sq, 1.0 / sq
    M0, M1, M2 = interval_moments(L, U)
    below = 0.0 if limit else ndtr(L)
    mid2 = M0 - 2.0 * sq * M1 + q * M2  # E[(1 - sqrt(q) xi)^2 1{L<=xi<=U}]
    # rules: 2 E[1{z>0} G(omega)], corr(xi, z) = m / sqrt(q)
    rho = clip(m / sq, -RHO_CLIP, RHO_CLIP)
    sr = sqrt(1.0 - rho * rho)
    cr = rho / sr
    A0U, A1U, A2U = truncated_moments(rho, sr, cr, U)
    if limit:
        A0L = A1L = A2L = 0.0
    else:
        A0L, A1L, A2L = truncated_moments(rho, sr, cr, L)
    d0 = A0U - A0L
    J = d0 - 2.0 * sq * (A1U - A1L) + q * (A2U - A2L)  # E[1{z>0}(1-omega)^2 1{region 2}]
    # mhat: conditional on z = 0, omega ~ N(0, s^2) with s^2 = q - m^2
    Ls, Us = lo / s, 1.0 / s
    N0, N1, _ = interval_moments(Ls, Us)
    Nv = N0 - s * N1  # E[(1 - s eta) 1{region 2}]
    if not limit:
        # A narrow region 2 (V small against the Gaussian scales) makes the differences above
        # cancel catastrophically; it is integrated directly there.
        narrow = V * (1.0 + maximum(1.0, fabs(m) / s) / sq + 1.0 / s) < NARROW
        if any_(narrow):
            r = region2(m, q, V, sq, s)
            M0 = where(narrow, r[0], M0)
            mid2 = where(narrow, r[1], mid2)
            d0 = where(narrow, r[2], d0)
            J = where(narrow, r[3], J)
            Nv = where(narrow, r[4], Nv)
    facts_q = below + mid2 / (V * V)
    facts_v = M0 / V
    rule_q = 2.0 * (A0L + J / (V * V))
    rule_v = 2.0 * d0 / V
    Eg = (0.0 if limit else ndtr(Ls)) + Nv / V
    mh = (1.0 - eps) * 2.0 * Eg / SQRT_2PI
    return mh, eps * facts_q + (1.0 - eps) * rule_q, eps * facts_v + (1.0 - eps) * rule_v
