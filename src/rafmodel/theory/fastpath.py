"""Scalar fast path: one point with a closed-form channel, in plain Python floats.

numpy's per-call overhead (about a microsecond) dominates a one-point solve, so a
single point is iterated with Python floats and the ``math`` module instead: the
same map (the learner's methods and the loss's closed-form channel, which accept
floats), the same coordinates and convergence criterion as
:mod:`rafmodel.theory.solver`, with plain Anderson acceleration (the same mixing,
:mod:`rafmodel.theory.anderson`) and the batch solver's Newton finish for slow points
(the same switch, finite-difference Jacobian and capped step).  Anything unusual (no
closed form, a non-finite iterate, a Newton step that increases the residual, or no
convergence within ``FAST_MAX_ITER`` iterations) returns ``None`` and the point is
solved by the robust batch solver instead, so the fast path never decides a failure.

Where numba is installed (the ``fast`` extra), :func:`compiled` gives the same iteration
compiled (:mod:`rafmodel.theory._numba_fastpath`) for the built-in learners with the square,
hinge and logistic losses; the solver then takes it for every point of every batch (and
:func:`rafmodel.solve` too), so that a point's numbers never depend on the batch it is solved in.
"""

from __future__ import annotations

import math

from ..learners import _RHO_MAX  # the same coordinates as Learner.encode
from ._compiled import load
from .anderson import MAX_STEP, POINT, _solve_small, anderson_step
from .closed_form import closed_form

__all__ = ["solve_point", "compiled", "FAST_MAX_ITER"]

FAST_MAX_ITER = 100

# The Newton finish of a closed-form channel, shared with :mod:`rafmodel.theory.solver`: a point
# switches after ``NEWTON_AFTER`` iterations once its residual is below ``NEWTON_R`` and shrinks
# by less than ``NEWTON_SLOW`` per iteration.  Steps are capped at ``MAX_NEWTON_STEP`` (largest
# coordinate); the Jacobian is by forward differences of step ``FD_STEP``, recomputed for every
# step except after a step smaller than ``FD_SKIP`` (the next evaluation most likely converges;
# if not, the step from it reuses the last Jacobian).
NEWTON_AFTER = 5
NEWTON_R = 10.0
NEWTON_SLOW = 0.3
MAX_NEWTON_STEP = 1.0
FD_STEP = 1e-7
FD_SKIP = 1e-4
#: Diagonal shift of the Newton system ``(J - I + NEWTON_SHIFT I) delta = -g``.
NEWTON_SHIFT = 1e-14


def _encode(state):
    m, q, *rest = state
    rho = min(max(m / math.sqrt(q), -_RHO_MAX), _RHO_MAX)
    return [math.atanh(rho), math.log(q), *(math.log(r) for r in rest)]


def _decode(y):
    q = math.exp(y[1])
    return (math.tanh(y[0]) * math.sqrt(q), q, *(math.exp(v) for v in y[2:]))


def solve_point(learner, loss, alpha, eps, lam, P, opts, y0, limit):
    """Solve one point: ``(final, iterations, residual)`` or ``None`` (use the batch solver).

    ``final`` is ``[m, q, V, mhat, qhat, Vhat]``.
    ``y0`` is the starting point in encoded coordinates and ``limit`` whether the
    point is on the interpolating side at ``lam = 0`` (both as the batch solver
    computes them).
    """
    cf = closed_form(loss)
    if cf is None:
        return None
    lam_eff = 1.0 if limit else lam
    a = float(learner.sample_ratio(alpha, P))
    y = [float(v) for v in y0]
    K = len(y)
    beta, M, tol = opts.damping, opts.memory, opts.tol
    dY, dG = [], []
    prev_y = prev_g = None
    prev_r = math.inf
    newton = nstep = False
    need_fd, A = True, None

    def F(y):
        mc, qc, Vc = learner.to_channel(_decode(y), lam_eff, P)
        mh, qh, vh = cf(loss, mc, qc, Vc, eps, limit)
        state, hats = learner.update(a * mh, a * qh, a * vh, lam_eff, P)
        return _encode(state), state, hats

    for it in range(1, min(opts.max_iter, FAST_MAX_ITER) + 1):
        try:
            fy, state, hats = F(y)
        except (ValueError, ZeroDivisionError, OverflowError):
            return None
        g = [fy[i] - y[i] for i in range(K)]
        r = max(abs(v) for v in g)
        if not math.isfinite(r):
            return None
        if r < tol:
            return [*(float(v) for v in state), *(float(h) for h in hats)], it, r
        if newton:
            if nstep and r > prev_r:  # the batch solver backtracks
                return None
            if need_fd:
                try:
                    cols = []
                    for j in range(K):
                        yj = list(y)
                        yj[j] += FD_STEP
                        fj = F(yj)[0]
                        cols.append([(fj[i] - fy[i]) / FD_STEP for i in range(K)])
                except (ValueError, ZeroDivisionError, OverflowError):
                    return None
                A = [[cols[j][i] - 1.0 + NEWTON_SHIFT if i == j else cols[j][i] for j in range(K)] for i in range(K)]
            delta = _solve_small(A, [-v for v in g])
            if delta is None or not all(math.isfinite(v) for v in delta):
                delta = [beta * v for v in g]
            size = max(abs(v) for v in delta)
            scale = min(1.0, MAX_NEWTON_STEP / max(size, 1e-300))
            prev_r, nstep, need_fd = r, True, size >= FD_SKIP
            y = [y[t] + delta[t] * scale for t in range(K)]
            continue
        newton = r < NEWTON_R and r > NEWTON_SLOW * prev_r and it > NEWTON_AFTER
        if r > prev_r:  # extrapolation misled us: restart the history
            dY, dG = [], []
        elif prev_y is not None and M > 0:
            dY.append([y[i] - prev_y[i] for i in range(K)])
            dG.append([g[i] - prev_g[i] for i in range(K)])
            if len(dY) > M:
                dY.pop(0)
                dG.pop(0)
        prev_y, prev_g, prev_r = y, g, r
        step = [beta * v for v in g]
        if dG:
            acc = anderson_step(POINT, dY, dG, g, step, beta)
            if acc is not None and all(math.isfinite(v) and abs(v) < MAX_STEP for v in acc):
                step = acc
            else:
                dY, dG = [], []
        y = [y[t] + min(max(step[t], -MAX_STEP), MAX_STEP) for t in range(K)]
    return None


_COMPILED = []  # the compiled fast path once looked for: [solve_points or None]


def compiled(learner, loss, opts):
    """The compiled fast path's ``solve_points`` for this learner and loss, or ``None``.

    It exists for exactly :class:`~rafmodel.Linear`, :class:`~rafmodel.Kernel` and
    :class:`~rafmodel.RandomFeatures` (not their subclasses) with exactly
    :class:`~rafmodel.Square` and :class:`~rafmodel.Hinge` (their closed forms: not with
    ``opts.method = "quadrature"``) and :class:`~rafmodel.Logistic` (its compiled channel,
    :mod:`rafmodel.theory._numba_channel`; away from the interpolating limit), where numba is
    installed (the ``fast`` extra) and the environment variable ``RAFMODEL_NUMBA`` is not ``0``
    (:mod:`rafmodel.theory._compiled`).  numba is imported, and the variable read, on
    the first such solve of the process.  A numba that is installed but cannot compile or
    cache here gives a :class:`RuntimeWarning` and the Python routes.
    """
    from ..learners import Kernel, Linear, RandomFeatures
    from ..losses import Hinge, Logistic, Square

    if type(learner) not in (Linear, Kernel, RandomFeatures):
        return None
    if type(loss) in (Square, Hinge):
        if opts.method == "quadrature":
            return None
    elif type(loss) is not Logistic or opts.method == "closed":
        return None
    if not _COMPILED:
        _COMPILED.append(load("_numba_fastpath", "solve_points", "compiled fast path",
                              "the Python routes (the same fixed points within the tolerance, slower)"))
    return _COMPILED[0]
