"""Starting point of the fixed-point solver, per learner type.

:func:`initial_state` dispatches on the learner's type; a new learner may register
its own start with ``@initial_state.register(MyLearner)``, and otherwise starts from
a neutral point.
"""

from __future__ import annotations

from functools import singledispatch

import numpy as np

from ..learners import Kernel, Linear
from ..losses import Square
from .closed_form import square_channel
from .gaussian import SQRT_2_OVER_PI

__all__ = ["initial_state"]

_SQUARE = Square()


@singledispatch
def initial_state(learner, a, eps, lam, limit, P):
    """Starting state of the solver, ordered as ``learner.state_names`` (default: a neutral point).

    ``a`` is the channel's sample ratio, ``lam`` the effective penalty (``1`` where
    ``limit``, the interpolating limit at ``lam = 0``), all arrays of shape ``(B,)``,
    and ``P`` the learner's parameters.
    """
    one = np.ones_like(a)
    return (0.5 * one, one, one, *(one for _ in learner.state_names[3:]))


@initial_state.register(Linear)
@initial_state.register(Kernel)
def ridge_initial_state(learner, a, eps, lam, limit, P):
    """Solver start for ridge-type learners: the exact square-loss fixed point.

    ``learner.square_response(a, lam, delta, P)`` gives the training-time response of
    the square loss, whose channel is ``Vhat = a / (delta + V)`` (``delta = 0`` at the
    interpolating limit) independently of ``m, q``.

    The square loss is second order, so ``V`` decouples from ``(m, q)`` and ``q``
    enters its own update linearly: both are solved directly.
    """
    delta = np.where(limit, 0.0, 1.0)
    V = learner.square_response(a, lam, delta, P)
    # learner-side response Vs with to_channel(..., Vs) = V: invert the affine map
    _, _, V0 = learner.to_channel((0.0, 0.0, 0.0), lam, P)
    _, _, V1 = learner.to_channel((0.0, 0.0, 1.0), lam, P)
    Vs = (V - V0) / (V1 - V0)
    ones = np.ones_like(a)
    out = []
    for qs in (0.0, 1.0):
        mc, qc, Vc = learner.to_channel((ones, qs * ones, Vs), lam, P)
        mh = square_channel(_SQUARE, 0.0 * mc, qc, Vc, eps, False)[0] * (Vc + 1.0) / (Vc + delta)
        qh = (1.0 + qc) / (Vc + delta) ** 2
        vh = 1.0 / (Vc + delta)
        (m2, q2, _), _ = learner.update(a * mh, a * qh, a * vh, lam, P)
        out.append((m2, q2))
    m = out[0][0]
    # q2 = A + B qs  (the m-dependent term of qhat is added through m2 below)
    mc, _, Vc = learner.to_channel((m, 0.0 * m, Vs), lam, P)
    corr = -2.0 * SQRT_2_OVER_PI * (1.0 - eps) * mc / (Vc + delta) ** 2
    (_, qcorr, _), _ = learner.update(0.0 * a, a * corr, a / (Vc + delta), lam, P)
    A, Bq = out[0][1] + qcorr, out[1][1] - out[0][1]
    q = np.where(Bq < 1.0, A / np.maximum(1.0 - Bq, 1e-12), 1.0)
    q = np.where(np.isfinite(q) & (q > 0), q, 1.0)
    m = np.where(np.isfinite(m), m, 0.0)
    V = np.where(np.isfinite(Vs) & (Vs > 0), Vs, 1.0)
    return m, q, V
