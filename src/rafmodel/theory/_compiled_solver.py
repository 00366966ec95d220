"""The compiled route of the solver: every point iterated on its own, compiled with numba.

The iteration of one point with a cheap map: the solver's coordinates and convergence criterion
(:mod:`rafmodel.theory.solver`), Anderson mixing by the rule of :mod:`rafmodel.theory.anderson`,
and a Newton finish for slow points.  A point that does anything unusual (a non-finite value, a
Newton step that increases the residual, no convergence within ``FAST_MAX_ITER`` iterations) is
left to the batch solver, so this route never decides a failure.

The map it iterates is not written here: ``to_channel``, ``update`` and ``channel`` are the
learner's and the loss's map modules (:mod:`rafmodel.theory.maps`) compiled, and
:func:`solver_for` compiles this module's iteration once per learner and loss with them
(:func:`rafmodel.theory.maps._compile.specialize`).  The logistic loss's channel is the compiled
quadrature of :mod:`rafmodel.theory._numba_channel`; its first iterations use a coarse rule
(``COARSE_NODES`` Gauss-Legendre nodes per piece instead of ``n_nodes``) until the residual falls
below ``COARSE_SWITCH``; the Anderson history carries over, and convergence is only ever decided
on the full rule.

Each point's numbers depend on its own inputs only, never on the batch it is solved in.
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np
from numba import njit

from .._math.quadrature import legendre_unit
from ._iteration import (FAST_MAX_ITER, FD_SKIP, FD_STEP, MAX_NEWTON_STEP, NEWTON_AFTER, NEWTON_AFTER_SLOW, NEWTON_R,
                         NEWTON_R_SLOW, NEWTON_SHIFT, NEWTON_SLOW)
from ._numba_channel import logistic_point
from .maps import RHO_MAX as _RHO_MAX
from .maps._compiled_ops import JIT as _JIT

__all__ = ["solve_points", "point_map", "solver_for", "compiled_for", "FAST_MAX_ITER", "COARSE_NODES",
           "COARSE_SWITCH", "COARSE_MAX"]

#: The logistic's coarse stage: Gauss-Legendre nodes per piece (the full rule has ``n_nodes``,
#: 12), and the residual below which (or the iteration after which) the full rule takes over.
#: The coarse map is within about 1e-6 of the full one, far below the switch; on the 40 x 40
#: grids the iterations per point are unchanged and the time falls by 12-15 %.
#: Newton steps that increase the residual are halved, at most this many times in a row, before
#: the point is left to the batch solver.
MAX_BACKTRACK = 6
COARSE_NODES = 6
COARSE_SWITCH = 1e-2
COARSE_MAX = 8



# ---------------------------------------------------------------- the channels, as the iteration calls them
# (compiled per learner and loss by solver_for: ``closed`` is a closed-form map module's channel)

def _closed_channel(m, q, V, eps, limit, data, coarse):
    return closed(m, q, V, eps, limit)  # noqa: F821 (a global of the specialized module)


def _logistic_channel(m, q, V, eps, limit, data, coarse):
    if coarse:
        return logistic_point(m, q, V, eps, data[5], data[6], data[2], data[3], data[7], data[8], data[9], data[4])
    return logistic_point(m, q, V, eps, data[0], data[1], data[2], data[3], data[7], data[8], data[9], data[4])


# ---------------------------------------------------------------- the coordinates

@njit(inline="always", **_JIT)
def _decode(y, x):
    q = math.exp(y[1])
    x[0] = math.tanh(y[0]) * math.sqrt(q)
    x[1] = q
    for i in range(2, y.shape[0]):
        x[i] = math.exp(y[i])


@njit(inline="always", **_JIT)
def _encode(x, y):
    rho = min(max(x[0] / math.sqrt(x[1]), -_RHO_MAX), _RHO_MAX)
    y[0] = math.atanh(rho)
    y[1] = math.log(x[1])
    for i in range(2, x.shape[0]):
        y[i] = math.log(x[i])


# ---------------------------------------------------------------- one map evaluation (specialized)

def _map(y, a, eps, lam, limit, p, s, x, out, data, coarse):
    """One application of the map at ``y``: ``out`` = (state, hats); ``x`` is scratch of length ``K``, ``s`` the inputs' spectrum."""
    _decode(y, x)
    mc, qc, Vc = to_channel(x, lam, p)  # noqa: F821 (globals of the specialized module)
    mh, qh, vh = channel(mc, qc, Vc, eps, limit, data, coarse)  # noqa: F821
    res = update(a * mh, a * qh, a * vh, lam, p, s)  # noqa: F821
    for i in range(len(res)):
        out[i] = res[i]


def _point_map(y, a, eps, lam, limit, p, s, data, coarse):
    K = y.shape[0]
    x, out = np.empty(K), np.empty(2 * K)
    _map(y, a, eps, lam, limit, p, s, x, out, data, coarse)
    return out


@njit(inline="always", **_JIT)
def _solve_small(A, b, n, x):
    """Solve ``A[:n, :n] x = b[:n]`` in place by Gaussian elimination with partial pivoting; False if singular."""
    for k in range(n):
        p = k
        for i in range(k + 1, n):
            if abs(A[i, k]) > abs(A[p, k]):
                p = i
        if p != k:
            for j in range(n):
                A[k, j], A[p, j] = A[p, j], A[k, j]
            b[k], b[p] = b[p], b[k]
        piv = A[k, k]
        if piv == 0.0:
            return False
        for i in range(k + 1, n):
            f = A[i, k] / piv
            for j in range(k, n):
                A[i, j] -= f * A[k, j]
            b[i] -= f * b[k]
    for i in range(n - 1, -1, -1):
        acc = b[i]
        for j in range(i + 1, n):
            acc -= A[i, j] * x[j]
        x[i] = acc / A[i, i]
    return True


def _solve_point(y, a, eps, lam, limit, p, s, tol, max_iter, beta, M, reg, tiny, max_step, newton_after, newton_r,
                 newton_slow, max_newton, fd_step, fd_skip, shift, final, data, coarse_start, W, dY, dG, A, J, G):
    """One point; returns ``(iterations, residual)``.

    ``iterations`` is 0 where the point is left to the batch solver; ``final`` gets ``(state,
    hats)`` at convergence.  ``W, dY, dG, A, J, G`` are work arrays (:func:`_solve_all`).
    """
    K = y.shape[0]
    x, out, fout, fy, fj = W[0, :K], W[1, :2 * K], W[2, :2 * K], W[3, :K], W[4, :K]
    g, step, prev_y, prev_g, yj = W[5, :K], W[6, :K], W[7, :K], W[8, :K], W[9, :K]
    rhs, sol = W[10], W[11]  # of length max(K, M)
    nh = nback = 0
    have_prev = False
    prev_r = np.inf
    newton = nstep = False
    need_fd = True
    # a channel with a coarse stage starts with it, until the residual is below COARSE_SWITCH (or
    # for at most COARSE_MAX iterations); only an evaluation by the full rule can converge
    coarse = coarse_start
    for it in range(1, max_iter + 1):
        _map(y, a, eps, lam, limit, p, s, x, out, data, coarse)
        for i in range(2 * K):
            if not math.isfinite(out[i]):
                return 0, np.inf
        _encode(out[:K], fy)
        r = 0.0
        for i in range(K):
            g[i] = fy[i] - y[i]
            r = max(r, abs(g[i]))
        if not math.isfinite(r):
            return 0, np.inf
        if coarse:
            if r < COARSE_SWITCH or it >= COARSE_MAX:
                coarse = False
        elif r < tol:
            final[:] = out
            return it, r
        if newton:
            if nstep and r > prev_r:  # backtrack: half the step, from the point before it (as the batch solver)
                nback += 1
                if nback > MAX_BACKTRACK:
                    return 0, np.inf
                for i in range(K):
                    y[i] = prev_y[i] + 0.5 * (y[i] - prev_y[i])
                continue
            nback = 0
            if need_fd:
                for j in range(K):
                    yj[:] = y
                    yj[j] += fd_step
                    _map(yj, a, eps, lam, limit, p, s, x, fout, data, coarse)
                    _encode(fout[:K], fj)
                    for i in range(K):
                        v = (fj[i] - fy[i]) / fd_step
                        if not math.isfinite(v):
                            return 0, np.inf
                        A[i, j] = v - 1.0 + shift if i == j else v
            J[:, :] = A
            for i in range(K):
                rhs[i] = -g[i]
            ok = _solve_small(J, rhs, K, sol)
            for i in range(K):
                ok = ok and math.isfinite(sol[i])
            size = 0.0
            for i in range(K):
                if not ok:
                    sol[i] = beta * g[i]
                size = max(size, abs(sol[i]))
            scale = min(1.0, max_newton / max(size, 1e-300))
            prev_r, nstep, need_fd = r, True, size >= fd_skip
            for i in range(K):
                prev_y[i] = y[i]
                y[i] += sol[i] * scale
            continue
        newton = r < newton_r and r > newton_slow * prev_r and it > newton_after
        if r > prev_r:  # extrapolation misled us: restart the history
            nh = 0
        elif have_prev and M > 0:
            if nh == M:  # drop the oldest column
                for c in range(M - 1):
                    dY[c, :] = dY[c + 1, :]
                    dG[c, :] = dG[c + 1, :]
                nh -= 1
            for i in range(K):
                dY[nh, i] = y[i] - prev_y[i]
                dG[nh, i] = g[i] - prev_g[i]
            nh += 1
        prev_y[:] = y
        prev_g[:] = g
        have_prev = True
        prev_r = r
        for i in range(K):
            step[i] = beta * g[i]
        if nh > 0:  # anderson.anderson_step with the POINT algebra
            trace = 0.0
            for i in range(nh):
                for j in range(nh):
                    acc = 0.0
                    for t in range(K):
                        acc += dG[i, t] * dG[j, t]
                    G[i, j] = acc
                trace += G[i, i]
            for i in range(nh):
                G[i, i] += reg * trace + tiny
                acc = 0.0
                for t in range(K):
                    acc += dG[i, t] * g[t]
                rhs[i] = acc
            ok = _solve_small(G, rhs, nh, sol)
            if ok:
                for t in range(K):
                    v = step[t]
                    for i in range(nh):
                        v -= sol[i] * (dY[i, t] + beta * dG[i, t])
                    if not (math.isfinite(v) and abs(v) < max_step):
                        ok = False
                    fj[t] = v
            if ok:
                step[:] = fj
            else:
                nh = 0
        for t in range(K):
            y[t] += min(max(step[t], -max_step), max_step)
    return 0, np.inf


def _solve_all(y0, a, eps, lam, limit, P, s, todo, tol, max_iter, beta, M, reg, tiny, max_step, newton_after, newton_r,
               newton_slow, max_newton, fd_step, fd_skip, shift, final, iterations, residual, data, coarse_start):
    K = y0.shape[1]
    # work arrays, once for the batch (each point overwrites what it reads)
    W = np.empty((12, max(2 * K, M)))
    dY, dG = np.zeros((max(M, 1), K)), np.zeros((max(M, 1), K))
    A, J, G = np.empty((K, K)), np.empty((K, K)), np.empty((max(M, 1), max(M, 1)))
    y = np.empty(K)
    for b in range(y0.shape[0]):
        if not todo[b]:
            continue
        y[:] = y0[b]
        it, r = _solve_point(y, a[b], eps[b], lam[b], limit[b], P[b], s, tol, max_iter, beta, M, reg, tiny, max_step,
                             newton_after, newton_r, newton_slow, max_newton, fd_step, fd_skip, shift, final[b],
                             data, coarse_start, W, dY, dG, A, J, G)
        iterations[b] = it
        residual[b] = r


# ---------------------------------------------------------------- building and calling

def _logistic_data(loss, n_nodes):
    """The compiled logistic channel's ``(t, wt, fixed, breaks, scratch, t_coarse, wt_coarse, xmax, panel, support)``."""
    from .._math.quadrature import FIXED_EDGES, XMAX
    from ._numba_channel import scratch
    from .channel import _KERNEL_BREAKS

    t, wt = legendre_unit(n_nodes)
    tc, wtc = legendre_unit(min(COARSE_NODES, n_nodes))
    ws = scratch(t.shape[0], FIXED_EDGES.shape[0] + _KERNEL_BREAKS.shape[0], loss.prox_panel, loss.prox_support)
    return (t, wt, FIXED_EDGES, _KERNEL_BREAKS, ws, tc, wtc, float(XMAX), float(loss.prox_panel),
            float(loss.prox_support))


def _loss_kind(loss):
    """``("closed", map module)``, ``("logistic", None)`` or ``None`` (no compiled channel)."""
    from ..losses import Logistic
    from .maps import loss_map

    module = loss_map(loss)
    if module is not None:
        return "closed", module
    if type(loss) is Logistic:
        return "logistic", None
    return None


@lru_cache(maxsize=None)
def _build(lmodule, kind, cmodule):
    from .maps._compile import compiled_module, specialize

    lm = compiled_module(lmodule)
    overrides = {"to_channel": lm.to_channel, "update": lm.update}
    functions = {"_map": "_map", "_point_map": "_point_map", "_solve_point": "_solve_point",
                 "_solve_all": "_solve_all"}
    if kind == "closed":
        overrides["closed"] = compiled_module(cmodule).channel
        functions = {"channel": "_closed_channel", **functions}
        tag = f"{lmodule.rsplit('.', 1)[-1]}_{cmodule.rsplit('.', 1)[-1]}"
    else:
        functions = {"channel": "_logistic_channel", **functions}
        tag = f"{lmodule.rsplit('.', 1)[-1]}_logistic"
    tag += "".join(_outside_digest(m) for m in (lmodule, cmodule) if m is not None)
    return specialize(__name__, functions, overrides, tag)


def _outside_digest(module):
    """``"_" + digest`` of the source of a map module outside the package (``""`` for the package's own).

    The package's map modules are in the digest of :func:`rafmodel.theory.maps._compile.source_digest`;
    a learner's or loss's map module written elsewhere is not, and numba's cache would otherwise
    give a solver compiled from an older version of it.
    """
    if module.startswith(__package__ + ".maps."):
        return ""
    import hashlib
    import inspect
    import sys

    return "_" + hashlib.sha256(inspect.getsource(sys.modules[module]).encode()).hexdigest()[:10]


def solver_for(lmap, loss):
    """The compiled functions for ``lmap`` and ``loss``: ``(functions, kind)``, or ``None`` (no compiled channel)."""
    kind = _loss_kind(loss)
    if kind is None:
        return None
    return _build(lmap.module.__name__, kind[0], None if kind[1] is None else kind[1].__name__), kind[0]


def compiled_for(lmap, loss, opts):
    """Whether the compiled route solves ``lmap`` with ``loss`` under ``opts`` (not a quadrature request for a closed form)."""
    kind = _loss_kind(loss)
    if kind is None:
        return False
    if kind[0] == "closed":
        return opts.method != "quadrature"
    return opts.method != "closed"


def _data(kind, loss, n_nodes):
    return _logistic_data(loss, n_nodes) if kind == "logistic" else None


def point_map(lmap, loss, y, a, eps, lam, limit, P, n_nodes=12, coarse=False):
    """One map evaluation of the compiled route at ``y`` (encoded), for the tests: ``(state..., hats...)``."""
    fns, kind = solver_for(lmap, loss)
    p = np.array([float(P[k]) for k in lmap.params] or [0.0])
    return fns["_point_map"](np.ascontiguousarray(y, float), float(a), float(eps), float(lam), bool(limit), p,
                             lmap.s, _data(kind, loss, n_nodes), bool(coarse))


def solve_points(lmap, loss, y0, a, eps, lam_eff, limit, P, opts):
    """Solve ``B`` points by the compiled route.

    Arguments are arrays of shape ``(B,)`` (``y0``: ``(B, K)``; ``P``: the learner's parameter
    dict).  Returns ``(final (B, 2K), iterations, residual)``; ``iterations`` is 0 where a point
    is left to the batch solver (``final`` there is ``nan``): every point where the iteration
    does anything unusual, and the logistic loss's interpolating points (no compiled limit).
    """
    from .anderson import MAX_STEP, REG, TINY

    fns, kind = solver_for(lmap, loss)
    B, K = y0.shape
    par = np.zeros((B, max(len(lmap.params), 1)))
    for j, name in enumerate(lmap.params):
        par[:, j] = np.broadcast_to(P[name], (B,))
    final = np.full((B, 2 * K), np.nan)
    iterations = np.zeros(B, np.int64)
    residual = np.full(B, np.inf)
    f = lambda v: np.ascontiguousarray(np.broadcast_to(v, (B,)), float)  # noqa: E731
    limit = np.ascontiguousarray(limit, np.bool_)
    todo = ~limit if kind == "logistic" else np.ones(B, np.bool_)
    # the Newton finish: early where a map evaluation is cheap (closed forms), the batch solver's
    # late switch where it is not (the logistic's quadrature)
    after, below = (NEWTON_AFTER, NEWTON_R) if kind == "closed" else (NEWTON_AFTER_SLOW, NEWTON_R_SLOW)
    fns["_solve_all"](np.ascontiguousarray(y0, float), f(a), f(eps), f(lam_eff), limit, par, lmap.s, todo,
                      float(opts.tol),
                      int(min(opts.max_iter, FAST_MAX_ITER)), float(opts.damping), int(opts.memory), REG, TINY,
                      MAX_STEP, after, below, NEWTON_SLOW, MAX_NEWTON_STEP, FD_STEP, FD_SKIP, NEWTON_SHIFT, final,
                      iterations, residual, _data(kind, loss, opts.n_nodes), kind == "logistic")
    return final, iterations, residual
