"""The square loss's side of the map: its channel in closed form (docs/theory.md section 6.1).

A map module (:mod:`rafmodel.theory.maps`): one source for the batch and the compiled routes.
"""

from __future__ import annotations

from .gaussian import SQRT_2_OVER_PI

__map_module__ = True
__all__ = ["channel"]


def channel(m, q, V, eps, limit):
    """``(mhat, qhat, Vhat) / a`` of the square loss at training-time ``(m, q, V)``.

    Second order, so only ``E[y z] = (1 - eps) sqrt(2/pi)`` and ``E[y^2] = 1`` enter; at the
    interpolating limit (``limit``) ``V`` is ``lam V`` and the ``1 +`` of ``1 + V`` drops.
    """
    D = V if limit else 1.0 + V
    return ((1.0 - eps) * SQRT_2_OVER_PI / D, (1.0 + q - 2.0 * SQRT_2_OVER_PI * (1.0 - eps) * m) / (D * D),
            1.0 / D)
