"""Scalar fast path: one point with a closed-form channel, in plain Python floats.

numpy's per-call overhead (about a microsecond) dominates a one-point solve, so a
single point is iterated with Python floats and the ``math`` module instead: the
same map (the learner's and the loss's own methods, which accept floats), the same
coordinates and convergence criterion as :mod:`rafmodel.theory.solver`, with plain
Anderson acceleration.  Anything unusual (no closed form, a non-finite iterate, or
no convergence within ``FAST_MAX_ITER`` iterations) returns ``None`` and the point is
solved by the robust batch solver instead, so the fast path never decides a failure.
"""

from __future__ import annotations

import math

from ..losses import Loss

__all__ = ["solve_point", "FAST_MAX_ITER"]

FAST_MAX_ITER = 100
_RHO_MAX = 1.0 - 1e-16
_MAX_STEP = 2.0


def has_closed_form(loss) -> bool:
    return type(loss).channel_closed_form is not Loss.channel_closed_form


def _encode(m, q, V):
    rho = min(max(m / math.sqrt(q), -_RHO_MAX), _RHO_MAX)
    return [math.atanh(rho), math.log(q), math.log(V)]


def _solve_small(A, b):
    """Solve the small dense system ``A x = b`` (lists) by Gaussian elimination."""
    n = len(b)
    A = [row[:] + [b[i]] for i, row in enumerate(A)]
    for k in range(n):
        p = max(range(k, n), key=lambda i: abs(A[i][k]))
        A[k], A[p] = A[p], A[k]
        piv = A[k][k]
        if piv == 0.0:
            return None
        for i in range(k + 1, n):
            f = A[i][k] / piv
            for j in range(k, n + 1):
                A[i][j] -= f * A[k][j]
    x = [0.0] * n
    for i in range(n - 1, -1, -1):
        x[i] = (A[i][n] - sum(A[i][j] * x[j] for j in range(i + 1, n))) / A[i][i]
    return x


def solve_point(learner, loss, alpha, eps, lam, P, opts, y0, limit):
    """Solve one point: ``(final, iterations, residual)`` or ``None`` (use the batch solver).

    ``final`` is ``[m, q, V, mhat, qhat, Vhat]``.
    ``y0`` is the starting point in encoded coordinates and ``limit`` whether the
    point is on the interpolating side at ``lam = 0`` (both as the batch solver
    computes them).
    """
    if not has_closed_form(loss):
        return None
    lam_eff = 1.0 if limit else lam
    a = float(learner.sample_ratio(alpha, P))
    y = [float(v) for v in y0]
    beta, M, tol = opts.damping, opts.memory, opts.tol
    dY, dG = [], []
    prev_y = prev_g = None
    prev_r = math.inf
    for it in range(1, min(opts.max_iter, FAST_MAX_ITER) + 1):
        q = math.exp(y[1])
        m, V = math.tanh(y[0]) * math.sqrt(q), math.exp(y[2])
        try:
            mc, qc, Vc = learner.to_channel(m, q, V, lam_eff, P)
            mh, qh, vh = loss.channel_closed_form(mc, qc, Vc, eps, limit)
            (m2, q2, V2), hats = learner.update(a * mh, a * qh, a * vh, lam_eff, P)
            fy = _encode(m2, q2, V2)
        except (ValueError, ZeroDivisionError, OverflowError):
            return None
        g = [fy[i] - y[i] for i in range(3)]
        r = max(abs(v) for v in g)
        if not math.isfinite(r):
            return None
        if r < tol:
            return [m2, q2, V2, *(float(h) for h in hats)], it, r
        if r > prev_r:  # extrapolation misled us: restart the history
            dY, dG = [], []
        elif prev_y is not None and M > 0:
            dY.append([y[i] - prev_y[i] for i in range(3)])
            dG.append([g[i] - prev_g[i] for i in range(3)])
            if len(dY) > M:
                dY.pop(0)
                dG.pop(0)
        prev_y, prev_g, prev_r = y, g, r
        step = [beta * v for v in g]
        k = len(dG)
        if k:
            A = [[sum(dG[i][t] * dG[j][t] for t in range(3)) for j in range(k)] for i in range(k)]
            reg = 1e-12 * sum(A[i][i] for i in range(k)) + 1e-300
            for i in range(k):
                A[i][i] += reg
            gamma = _solve_small(A, [sum(dG[i][t] * g[t] for t in range(3)) for i in range(k)])
            if gamma is not None:
                acc = [step[t] - sum(gamma[i] * (dY[i][t] + beta * dG[i][t]) for i in range(k))
                       for t in range(3)]
                if all(math.isfinite(v) and abs(v) < _MAX_STEP for v in acc):
                    step = acc
                else:
                    dY, dG = [], []
        y = [y[t] + min(max(step[t], -_MAX_STEP), _MAX_STEP) for t in range(3)]
    return None
