"""Starting point of the fixed-point solver: the learner-independent starts.

A learner's map module (:mod:`rafmodel.theory.maps`) chooses its start by what it defines, read
through its :class:`~rafmodel.theory.maps.LearnerMap` (never by the learner's type):

* ``square_response(a, lam, delta, p)``, the square loss's training-time response in closed form
  (ridge-type learners: linear, kernel): :func:`square_response_start`;
* else ``training_response(vh, lam, p)``, that response after an update with ``Vhat = vh``
  (random features): :func:`training_response_start`, which solves for ``Vhat``;
* else :func:`neutral_state`.

:func:`start_state` adapts the start to a smooth loss (its quadratic expansion at 0).  Starts are
computed on the batch (numpy) route only, for both routes of the solver.  (The way of rafmodel
0.5, ``@initial_state.register(MyLearner)``, still works until 0.6, with a DeprecationWarning.)
"""

from __future__ import annotations

import numpy as np

from .._deprecation import deprecated_register, registered_for
from ..losses import Loss, Square
from .closed_form import square_channel
from .gaussian import SQRT_2_OVER_PI
from .maps import LearnerMap, learner_map

__all__ = ["initial_state", "start_state", "neutral_state", "square_response_start", "training_response_start"]

_SQUARE = Square()
_HUGE = 1e8  # largest response / norm accepted from the square-loss start solved for Vhat


def initial_state(learner, a, eps, lam, limit, P):
    """Starting state of the solver, ordered as the map's ``state_names``: the start its map module chooses.

    Parameters
    ----------
    learner : Learner
        A learner with an exact theory (its map is found by type).
    a : ndarray of shape (B,)
        The channel's sample ratio.
    eps : ndarray of shape (B,)
        Fraction of facts.
    lam : ndarray of shape (B,)
        The effective penalty (``1`` where ``limit``).
    limit : ndarray of bool, shape (B,)
        The interpolating limit at ``lam = 0``.
    P : dict of str to float or ndarray
        The learner's parameters.

    Returns
    -------
    tuple of ndarray
        One array of shape ``(B,)`` per order parameter.
    """
    legacy = registered_for(_REGISTERED, learner)
    if legacy is not None:
        return legacy(learner, a, eps, lam, limit, P)
    lmap = learner_map(learner)
    if lmap.extra("square_response") is not None:
        return square_response_start(lmap, a, eps, lam, limit, P)
    if lmap.extra("training_response") is not None:
        return training_response_start(lmap, a, eps, lam, limit, P)
    return neutral_state(lmap, a, eps, lam, limit, P)


#: Starts registered the way of rafmodel 0.5, ``@initial_state.register(MyLearner)`` (deprecated:
#: the learner's map module chooses its start; gone in 0.6).
_REGISTERED: dict = {}
initial_state.register = deprecated_register(
    _REGISTERED, "initial_state", "define square_response or training_response in the learner's map module")


def neutral_state(lmap: LearnerMap, a, eps, lam, limit, P):
    """A neutral start, ``m = 1/2`` and every other order parameter ``1`` (arguments as :func:`initial_state`)."""
    one = np.ones_like(a)
    return (0.5 * one, one, one, *(one for _ in lmap.state_names[3:]))


def square_response_start(lmap: LearnerMap, a, eps, lam, limit, P):
    """Solver start for ridge-type learners: the exact square-loss fixed point.

    The map module's ``square_response(a, lam, delta, p)`` gives the training-time response of
    the square loss, whose channel is ``Vhat = a / (delta + V)`` (``delta = 0`` at the
    interpolating limit) independently of ``m, q``.  For a map with the three order parameters
    ``(m, q, V)`` and a ``to_channel`` affine in them (arguments otherwise as :func:`initial_state`).

    The square loss is second order, so ``V`` decouples from ``(m, q)`` and ``q``
    enters its own update linearly: both are solved directly.
    """
    delta = np.where(limit, 0.0, 1.0)
    V = lmap.extra("square_response")(a, lam, delta, P)
    # learner-side response Vs with to_channel(..., Vs) = V: invert the affine map
    _, _, V0 = lmap.to_channel((0.0, 0.0, 0.0), lam, P)
    _, _, V1 = lmap.to_channel((0.0, 0.0, 1.0), lam, P)
    Vs = (V - V0) / (V1 - V0)
    ones = np.ones_like(a)
    out = []
    for qs in (0.0, 1.0):
        mc, qc, Vc = lmap.to_channel((ones, qs * ones, Vs), lam, P)
        mh = square_channel(_SQUARE, 0.0 * mc, qc, Vc, eps, False)[0] * (Vc + 1.0) / (Vc + delta)
        qh = (1.0 + qc) / (Vc + delta) ** 2
        vh = 1.0 / (Vc + delta)
        (m2, q2, _), _ = lmap.update(a * mh, a * qh, a * vh, lam, P)
        out.append((m2, q2))
    m = out[0][0]
    # q2 = A + B qs  (the m-dependent term of qhat is added through m2 below)
    mc, _, Vc = lmap.to_channel((m, 0.0 * m, Vs), lam, P)
    corr = -2.0 * SQRT_2_OVER_PI * (1.0 - eps) * mc / (Vc + delta) ** 2
    (_, qcorr, _), _ = lmap.update(0.0 * a, a * corr, a / (Vc + delta), lam, P)
    A, Bq = out[0][1] + qcorr, out[1][1] - out[0][1]
    q = np.where(Bq < 1.0, A / np.maximum(1.0 - Bq, 1e-12), 1.0)
    q = np.where(np.isfinite(q) & (q > 0), q, 1.0)
    m = np.where(np.isfinite(m), m, 0.0)
    V = np.where(np.isfinite(Vs) & (Vs > 0), Vs, 1.0)
    return m, q, V


def training_response_start(lmap: LearnerMap, a, eps, lam, limit, P):
    """Solver start from the map's ``training_response``: the exact square-loss fixed point.

    The square-loss channel gives ``Vhat = a / (delta + V_tr)`` whatever ``m, q``
    (``delta = 0`` at the interpolating limit), and the learner's responses ``V, V_w``
    depend on ``Vhat`` only, so ``Vhat`` solves the scalar equation
    ``Vhat (delta + V_tr(Vhat)) = a``, whose left side increases with ``Vhat``:
    safeguarded Newton steps in ``log Vhat`` (finite-difference slope) inside a bracket.
    Then ``mhat`` follows, ``m`` is linear in ``mhat`` and ``q_tr`` affine in ``qhat``,
    so ``qhat`` solves a linear equation.  Points where this fails (not finite, or the
    scalar solve did not settle) start from the neutral point instead; the solver decides
    convergence either way.  Arguments as :func:`initial_state`.
    """
    training_response = lmap.extra("training_response")
    delta = np.where(limit, 0.0, 1.0)
    a = np.asarray(a, float)
    zero = np.zeros_like(a)

    lam2, delta2, loga2 = np.concatenate([lam, lam]), np.concatenate([delta, delta]), np.log(np.concatenate([a, a]))
    P2 = {k: np.concatenate([np.broadcast_to(v, a.shape)] * 2) for k, v in P.items()}

    def vtr(Vh):
        return training_response(Vh, lam, P)

    def g2(x, h):  # log(Vhat (delta + V_tr)) - log a at x and x + h (x = log Vhat), in one call
        Vh = np.exp(np.concatenate([x, x + h]))
        out = np.log(Vh * (delta2 + training_response(Vh, lam2, P2))) - loga2
        return out[:x.size], out[x.size:]

    # bracket: V_tr <= V_tr(0) = (mu1^2 + mustar^2) / lam, and V_tr > 0
    T0 = vtr(zero)
    lo = np.log(a) - np.log(delta + T0)  # -inf where lam = 0 on the non-interpolating side
    hi = np.where(delta > 0, np.log(a), np.inf)
    x = np.where(np.isfinite(lo), lo, np.log(a) - 1.0)
    done = np.zeros(a.shape, bool)
    h = 1e-6
    for _ in range(60):
        gx, gh = g2(x, h)
        lo = np.where(gx < 0, x, lo)
        hi = np.where(gx > 0, x, hi)
        slope = (gh - gx) / h
        step = -gx / slope
        good = np.isfinite(step) & (slope > 0)
        step = np.where(good, np.clip(step, -5.0, 5.0), 0.0)
        done = done | (gx == 0.0) | good & (np.abs(step) < 1e-13 * np.maximum(1.0, np.abs(x)))
        new = x + step
        out = ~((new > lo) & (new < hi)) | ~good
        both = np.isfinite(lo) & np.isfinite(hi)
        bis = np.where(both, 0.5 * (lo + hi), np.where(np.isfinite(hi), hi - 1.0, lo + 1.0))
        new = np.where(out, bis, new)
        x = np.where(done, x, new)
        if done.all():
            break
    Vh = np.exp(x)
    Vt = vtr(Vh)
    den = delta + Vt
    mh = a * (1.0 - eps) * SQRT_2_OVER_PI / den
    ms = lmap.update(mh, zero, Vh, lam, P)[0][0]
    q0 = lmap.to_channel(lmap.update(mh, zero, Vh, lam, P)[0], lam, P)[1]
    q1 = lmap.to_channel(lmap.update(mh, np.ones_like(a), Vh, lam, P)[0], lam, P)[1]
    mtr = lmap.to_channel((ms, *(zero for _ in lmap.state_names[1:])), lam, P)[0]
    k = q1 - q0  # q_tr = q0 + k qhat
    c = a / (den * den)
    qh = c * (1.0 + q0 - 2.0 * SQRT_2_OVER_PI * (1.0 - eps) * mtr) / (1.0 - c * k)
    state, _ = lmap.update(mh, qh, Vh, lam, P)
    ok = done & (c * k < 1.0) & (qh > 0)
    for i, v in enumerate(state):
        ok &= np.isfinite(v) & (v != 0 if i else True)
    for v in state[1:]:  # q, V and the further norms and responses
        ok &= v > 0
    mtr, qtr, Vtr = lmap.to_channel(state, lam, P)
    ok &= mtr ** 2 < qtr  # m_tr^2 < q_tr
    # no finite fixed point at a threshold (e.g. lam = 0, alpha = kappa): the scalar solve then
    # ends at a numerically huge response, a spurious fixed point "at infinity" that the solver
    # would accept; such points start from the neutral point, which never converges there
    ok &= (Vtr < _HUGE) & (qtr < _HUGE)
    return tuple(np.where(ok, v, d) for v, d in zip(state, neutral_state(lmap, a, eps, lam, limit, P)))

def start_state(learner, loss, a, eps, lam, limit, P):
    """Starting state of the solver for ``learner`` and ``loss`` (arguments as :func:`initial_state`).

    For a loss with :meth:`~rafmodel.Loss.derivatives` (the logistic), the square-loss start of
    its quadratic expansion at 0: ``ell(h) ~ ell(0) + ell'(0) h + ell''(0) h^2 / 2``, that is
    ``c (t - h)^2 / 2`` up to a constant, with ``c = ell''(0)`` and ``t = -ell'(0) / c``.  The
    training objective is then ``c`` times a square-loss ridge objective with targets ``t y``
    and penalty ``lam / c``, whose minimizer is ``t`` times that with labels ``y``: the overlaps
    ``m`` scale by ``t``, ``q`` (and every state named ``q...``) by ``t^2`` and the responses
    ``V...`` by ``1 / c``; other states are kept.  It is exact as ``lam -> infinity``; for the
    logistic loss (``c = 1/4``, ``t = 2``) the 40 x 40 grids take 9-13 % fewer iterations than
    from the plain square-loss start.  Interpolating points (``limit``) and other losses start
    from :func:`initial_state`.
    """
    if type(loss).derivatives is Loss.derivatives:
        return initial_state(learner, a, eps, lam, limit, P)
    d1, d2 = (float(np.asarray(v).reshape(-1)[0]) for v in loss.derivatives(np.zeros(1)))
    if not (d2 > 0 and np.isfinite(d1)):  # no usable curvature at 0
        return initial_state(learner, a, eps, lam, limit, P)
    t = -d1 / d2
    state = initial_state(learner, a, eps, np.where(limit, lam, lam / d2), limit, P)
    scale = {"m": t, "q": t * t, "V": 1.0 / d2}
    return tuple(np.where(limit, v, v * scale.get(name[0], 1.0)) for name, v in zip(learner_map(learner).state_names, state))
