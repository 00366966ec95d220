"""The scalar fast path, compiled with numba (the optional ``fast`` extra).

:mod:`rafmodel.theory.fastpath` iterates one point with a closed-form channel in plain Python
floats; this module is the same iteration compiled, point by point over a batch, for the learners
:class:`~rafmodel.Linear`, :class:`~rafmodel.Kernel` and :class:`~rafmodel.RandomFeatures` with
the :class:`~rafmodel.Square` and :class:`~rafmodel.Hinge` losses and the
:class:`~rafmodel.Logistic` loss (whose channel is
:func:`rafmodel.theory._numba_channel.logistic_point`, the compiled channel's own).  The map is
written out here once more (the learners' ``to_channel`` and ``update``, the closed forms of
:mod:`rafmodel.theory.closed_form`), term by term as in those functions, and tested against them
(tests/test_numba_fastpath.py).  The iteration is that of
:func:`rafmodel.theory.fastpath.solve_point`: the same coordinates and convergence criterion,
Anderson mixing by the rule of :mod:`rafmodel.theory.anderson`, the Newton finish for slow points,
and a point that does anything unusual (a non-finite value, a Newton step that increases the
residual, no convergence within ``FAST_MAX_ITER`` iterations) is left to the batch solver.
With the logistic loss the first iterations use a coarse rule (``COARSE_NODES`` Gauss-Legendre
nodes per piece instead of ``n_nodes``) until the residual falls below ``COARSE_SWITCH``; the
Anderson history carries over, and convergence is only ever decided on the full rule.

Two things differ from the Python route, both below rounding in the map:

* ``Phi`` is ``erfc`` of the C library (scipy's ``ndtr`` chooses ``erf`` or ``erfc`` by the
  argument);
* Owen's ``T(h, a)`` is computed here (:func:`_owens_t`): for ``|a| <= 1`` as
  ``a exp(-h^2/2) / (2 pi) int_0^1 exp(-(a h t)^2 / 2) / (1 + a^2 t^2) dt`` by 24-point
  Gauss-Legendre on ``t <= min(1, 9 / |a h|)`` (beyond, the integrand is below ``e^-40`` of its
  peak), and for ``|a| > 1`` by ``T(h, a) = H(h)/2 + H(a h)/2 - H(h) H(a h) - T(a h, 1/a)``
  (``H = 1 - Phi``; for ``h >= 0``, and ``T`` is even in ``h``).  It agrees with
  ``scipy.special.owens_t`` to about 1e-17, and for ``|a| <= 1`` it is accurate to about 3e-14
  relative (tested against 30-digit quadrature; scipy's is off by up to 2e-11 relative at small
  ``a``).

Each point's numbers depend on its own inputs only, never on the batch it is solved in.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from .._math.quadrature import legendre_unit
from ..learners import _RHO_MAX
from ._numba_channel import _exp, logistic_point
from .closed_form import _NARROW, _REGION2_NODES
from .gaussian import BIG as _BIG
from .gaussian import RHO_CLIP as _RHO_CLIP

__all__ = ["solve_points", "owens_t", "point_map", "LEARNERS", "LOSSES", "COARSE_NODES", "COARSE_SWITCH",
           "COARSE_MAX"]

#: No fused multiply-adds: with numba's ``contract`` flag the code loaded from numba's cache
#: rounded differently from the code compiled in the process (1e-14 apart on random-features
#: points), so a point's numbers depended on whether the cache existed (tested).
_JIT = dict(fastmath=False, error_model="numpy", boundscheck=False, nogil=True, cache=True)

#: Learner and loss codes of the compiled map (by exact type name).
LEARNERS = {"Linear": 0, "Kernel": 1, "RandomFeatures": 2}
LOSSES = {"Square": 0, "Hinge": 1, "Logistic": 2}

_SQRT_2PI = math.sqrt(2.0 * math.pi)
_SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)
_SQRT1_2 = math.sqrt(0.5)
_INV_2PI = 1.0 / (2.0 * math.pi)
#: Owen's T: 24-point Gauss-Legendre on [0, 1] (nodes, weights), and the cut in units of 1/|a h|.
_T_NODES, _T_WEIGHTS = legendre_unit(24)
#: The hinge's region-2 rule (closed_form's, on [0, 1]).
_R_NODES, _R_WEIGHTS = legendre_unit(_REGION2_NODES)
_T_CUT = 9.0
#: The logistic's coarse stage: Gauss-Legendre nodes per piece (the full rule has ``n_nodes``,
#: 12), and the residual below which (or the iteration after which) the full rule takes over.
#: The coarse map is within about 1e-6 of the full one, far below the switch; on the 40 x 40
#: grids the iterations per point are unchanged and the time falls by 12-15 %.
COARSE_NODES = 6
COARSE_SWITCH = 1e-2
COARSE_MAX = 8


@njit(**_JIT)
def _ndtr(x):
    return 0.5 * math.erfc(-x * _SQRT1_2)


@njit(**{**_JIT, "fastmath": {"reassoc"}})  # the sum over nodes vectorizes
def _t_small(h, a):
    """``T(h, a)`` for ``h >= 0``, ``0 <= a <= 1`` (Gauss-Legendre, see the module docstring)."""
    if a == 0.0:
        return 0.0
    k = h * a
    tmax = 1.0 if k <= _T_CUT else _T_CUT / k
    k2 = -0.5 * (k * tmax) ** 2
    a2 = (a * tmax) ** 2
    acc = 0.0
    for i in range(_T_NODES.shape[0]):
        t2 = _T_NODES[i] * _T_NODES[i]
        acc += _T_WEIGHTS[i] * _exp(k2 * t2) / (1.0 + a2 * t2)
    return a * tmax * math.exp(-0.5 * h * h) * _INV_2PI * acc


@njit(**_JIT)
def _owens_t(h, a):
    h = abs(h)
    sign = 1.0
    if a < 0.0:
        a, sign = -a, -1.0
    if a <= 1.0:
        return sign * _t_small(h, a)
    ah = a * h
    Hh, Ha = _ndtr(-h), _ndtr(-ah)
    return sign * (0.5 * Hh + 0.5 * Ha - Hh * Ha - _t_small(ah, 1.0 / a))


@njit(**_JIT)
def _owens_t_array(h, a):
    out = np.empty(h.shape[0])
    for i in range(h.shape[0]):
        out[i] = _owens_t(h[i], a[i])
    return out


def owens_t(h, a):
    """Owen's ``T(h, a)`` of the compiled route, elementwise on two 1-d arrays (for the tests)."""
    h, a = np.broadcast_arrays(np.asarray(h, float), np.asarray(a, float))
    return _owens_t_array(np.ascontiguousarray(h.ravel()), np.ascontiguousarray(a.ravel())).reshape(h.shape)


# ---------------------------------------------------------------- the closed-form channels

@njit(inline="always", **_JIT)
def _interval(lo, hi):
    """``gaussian.gauss_interval_moments``."""
    plo = math.exp(-0.5 * lo * lo) / _SQRT_2PI
    phi_ = math.exp(-0.5 * hi * hi) / _SQRT_2PI
    M0 = _ndtr(hi) - _ndtr(lo)
    return M0, plo - phi_, M0 + lo * plo - hi * phi_


@njit(inline="always", **_JIT)
def _truncated(rho, s, c, h):
    """``gaussian.TruncatedMoments(rho).all(h)`` with ``rho`` clipped, ``s = sqrt(1 - rho^2)``, ``c = rho / s``."""
    ph = math.exp(-0.5 * h * h) / _SQRT_2PI
    Pch = _ndtr(c * h)
    A0 = 0.5 * _ndtr(h) - _owens_t(h, c)
    hs = h / s
    A1 = -ph * Pch + (rho / _SQRT_2PI) * _ndtr(hs)
    A2 = -h * ph * Pch + A0 - (rho * s / (2.0 * math.pi)) * math.exp(-0.5 * hs * hs)
    return A0, A1, A2


@njit(inline="always", **_JIT)
def _square(m, q, V, eps, limit):
    """``closed_form.square_channel``."""
    D = V if limit else 1.0 + V
    return ((1.0 - eps) * _SQRT_2_OVER_PI / D, (1.0 + q - 2.0 * _SQRT_2_OVER_PI * (1.0 - eps) * m) / D ** 2,
            1.0 / D)


@njit(inline="always", **_JIT)
def _hinge(m, q, V, eps, limit):
    """``closed_form.hinge_channel`` (with its Gauss-Legendre region 2 on ``_R_NODES``)."""
    sq = math.sqrt(q)
    s = math.sqrt(max(q - m * m, 1e-300))
    lo = -_BIG if limit else 1.0 - V
    L, U = lo / sq, 1.0 / sq
    M0, M1, M2 = _interval(L, U)
    below = 0.0 if limit else _ndtr(L)
    mid2 = M0 - 2.0 * sq * M1 + q * M2
    rho = min(max(m / sq, -_RHO_CLIP), _RHO_CLIP)
    sr = math.sqrt(1.0 - rho * rho)
    cr = rho / sr
    A0U, A1U, A2U = _truncated(rho, sr, cr, U)
    A0L = A1L = A2L = 0.0
    if not limit:
        A0L, A1L, A2L = _truncated(rho, sr, cr, L)
    d0 = A0U - A0L
    J = d0 - 2.0 * sq * (A1U - A1L) + q * (A2U - A2L)
    Ls, Us = lo / s, 1.0 / s
    N0, N1, _ = _interval(Ls, Us)
    Nv = N0 - s * N1
    if not limit and V * (1.0 + max(1.0, abs(m) / s) / sq + 1.0 / s) < _NARROW:
        c = m / s
        M0 = mid2 = d0 = J = N0 = Nv = 0.0
        for i in range(_R_NODES.shape[0]):
            v = V * _R_NODES[i]
            ww = V * _R_WEIGHTS[i]
            pf = math.exp(-0.5 * ((1.0 - v) / sq) ** 2) / (_SQRT_2PI * sq)
            pr = pf * _ndtr(c * (1.0 - v) / sq)
            pm = math.exp(-0.5 * ((1.0 - v) / s) ** 2) / (_SQRT_2PI * s)
            M0 += ww * pf
            mid2 += ww * (pf * v * v)
            d0 += ww * pr
            J += ww * (pr * v * v)
            N0 += ww * pm
            Nv += ww * (pm * v)
    facts_q = below + mid2 / (V * V)
    facts_v = M0 / V
    rule_q = 2.0 * (A0L + J / (V * V))
    rule_v = 2.0 * d0 / V
    Eg = (0.0 if limit else _ndtr(Ls)) + Nv / V
    mh = (1.0 - eps) * 2.0 * Eg / _SQRT_2PI
    return mh, eps * facts_q + (1.0 - eps) * rule_q, eps * facts_v + (1.0 - eps) * rule_v


# ---------------------------------------------------------------- the learners

@njit(inline="always", **_JIT)
def _ridge(mh, qh, Vh, lam, out):
    d = lam + Vh
    out[0] = mh / d
    out[1] = (mh * mh + qh) / (d * d)
    out[2] = 1.0 / d


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


@njit(inline="always", **_JIT)
def _map(learner, loss, y, a, eps, lam, limit, p, x, out, lg, lf, coarse):
    """One application of the map at ``y``: ``out`` = (state, hats); ``x`` is scratch of length ``K``.

    ``lg, lf``: the logistic channel's arrays ``(t, wt, fixed, breaks, scratch, t_coarse,
    wt_coarse)`` and floats ``(xmax, panel, support)``
    (:func:`rafmodel.theory._numba_channel.logistic_point`), or ``None`` for the closed forms (a
    separate compilation without the logistic branch, which makes the closed forms 1.3-2x slower
    where it is compiled in).  ``coarse``: the logistic channel with the coarse rule.
    """
    K = y.shape[0]
    _decode(y, x)
    mu1, mus, kappa = p[0], p[1], p[2]
    if learner == 0:
        mc, qc, Vc = x[0], x[1], x[2]
    elif learner == 1:
        mem = mus * mus / lam if mus > 0 else 0.0
        mc, qc, Vc = mu1 * x[0], mu1 * mu1 * x[1], mu1 * mu1 * x[2] + mem
    else:
        mc, qc, Vc = mu1 * x[0], mu1 * mu1 * x[1] + mus * mus * x[3], mu1 * mu1 * x[2] + mus * mus * x[4]
    if lg is None:  # a closed form: lg's type is None, so numba compiles this branch alone
        if loss == 0:
            mh, qh, vh = _square(mc, qc, Vc, eps, limit)
        else:
            mh, qh, vh = _hinge(mc, qc, Vc, eps, limit)
    else:
        if coarse:
            mh, qh, vh = logistic_point(mc, qc, Vc, eps, lg[5], lg[6], lg[2], lg[3], lf[0], lf[1], lf[2], lg[4])
        else:
            mh, qh, vh = logistic_point(mc, qc, Vc, eps, lg[0], lg[1], lg[2], lg[3], lf[0], lf[1], lf[2], lg[4])
    mh, qh, vh = a * mh, a * qh, a * vh
    if learner == 0:
        out[K], out[K + 1], out[K + 2] = mh, qh, vh
        _ridge(mh, qh, vh, lam, out)
    elif learner == 1:
        out[K], out[K + 1], out[K + 2] = mu1 * mh, mu1 * mu1 * qh, mu1 * mu1 * vh
        _ridge(out[K], out[K + 1], out[K + 2], lam, out)
    else:  # RandomFeatures.update, term by term
        gam = 1.0 / kappa
        msh, qsh, Vsh = mu1 * kappa * mh, mu1 * mu1 * kappa * qh, mu1 * mu1 * kappa * vh
        qwh, Vwh = mus * mus * qh, mus * mus * vh
        L = lam + Vwh
        S = Vsh * (1.0 + gam) + L
        D = math.sqrt((Vsh * (1.0 - gam)) ** 2 + 2.0 * (1.0 + gam) * Vsh * L + L * L)
        SD = S + D
        b = Vsh * (1.0 - gam) - L
        Vw = (b + D) / (2.0 * L * Vsh) if b >= 0 else 2.0 / (D - b)
        Vs = 2.0 / SD
        e = 4.0 * gam * Vsh / SD
        P2 = msh * msh + qsh
        X = Vsh * (1.0 - gam) ** 2 + (1.0 + gam) * L
        if gam <= 1.0:
            C = (X + (1.0 - gam) * D) / (2.0 * L * L * D)
        else:
            C = 2.0 * gam / (D * (X + (gam - 1.0) * D))
        qs = 2.0 * (P2 * (1.0 + gam - e) + qwh) / (SD * D)
        qw = qwh * C + 2.0 * gam * P2 / (SD * D)
        if mus == 0:
            qw = Vw = 1.0
        out[0], out[1], out[2], out[3], out[4] = msh * Vs, qs, Vs, qw, Vw
        out[5], out[6], out[7], out[8], out[9] = msh, qsh, Vsh, qwh, Vwh


def _logistic_args(loss, n_nodes):
    """The logistic channel's ``(t, wt, fixed, breaks, scratch, t_coarse, wt_coarse)`` and ``(xmax, panel,
    support)``; ``(None, None)`` for the closed forms (see :func:`_map`)."""
    if type(loss).__name__ != "Logistic":
        return None, None
    from .._math.quadrature import FIXED_EDGES, XMAX
    from .channel import _KERNEL_BREAKS
    from ._numba_channel import scratch

    t, wt = legendre_unit(n_nodes)
    tc, wtc = legendre_unit(min(COARSE_NODES, n_nodes))
    ws = scratch(t.shape[0], FIXED_EDGES.shape[0] + _KERNEL_BREAKS.shape[0], loss.prox_panel, loss.prox_support)
    return ((t, wt, FIXED_EDGES, _KERNEL_BREAKS, ws, tc, wtc),
            (float(XMAX), float(loss.prox_panel), float(loss.prox_support)))


def point_map(learner, loss, y, a, eps, lam, limit, p, n_nodes=12, coarse=False):
    """One map evaluation of the compiled route at ``y`` (encoded), for the tests: ``(state, hats)``.

    ``learner`` and ``loss`` are instances of the built-in types; ``p`` is ``(mu1, mustar, kappa)``.
    """
    y = np.ascontiguousarray(y, float)
    K = y.shape[0]
    x, out = np.empty(K), np.empty(2 * K)
    lg, lf = _logistic_args(loss, n_nodes)
    _map(LEARNERS[type(learner).__name__], LOSSES[type(loss).__name__], y, float(a), float(eps), float(lam),
         bool(limit), np.asarray(p, float), x, out, lg, lf, coarse)
    return out[:K].copy(), out[K:].copy()


# ---------------------------------------------------------------- the iteration

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


@njit(**_JIT)
def _solve_point(learner, loss, y, a, eps, lam, limit, p, tol, max_iter, beta, M, reg, tiny, max_step,
                 newton_after, newton_r, newton_slow, max_newton, fd_step, fd_skip, shift, final, lg, lf,
                 W, dY, dG, A, J, G):
    """:func:`rafmodel.theory.fastpath.solve_point` on one point; returns ``(iterations, residual)``.

    ``iterations`` is 0 where the point is left to the batch solver; ``final`` gets
    ``(state, hats)`` at convergence.  ``W, dY, dG, A, J, G`` are work arrays (:func:`_solve_all`).
    """
    K = y.shape[0]
    x, out, fout, fy, fj = W[0, :K], W[1, :2 * K], W[2, :2 * K], W[3, :K], W[4, :K]
    g, step, prev_y, prev_g, yj = W[5, :K], W[6, :K], W[7, :K], W[8, :K], W[9, :K]
    rhs, sol = W[10], W[11]  # of length max(K, M)
    if loss == 2 and limit:  # the logistic's interpolating limit: the batch solver's
        return 0, np.inf
    nh = 0
    have_prev = False
    prev_r = np.inf
    newton = nstep = False
    need_fd = True
    # the logistic starts with the coarse rule, until the residual is below COARSE_SWITCH (or for
    # at most COARSE_MAX iterations); only an evaluation by the full rule can converge
    coarse = lg is not None
    for it in range(1, max_iter + 1):
        _map(learner, loss, y, a, eps, lam, limit, p, x, out, lg, lf, coarse)
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
            if nstep and r > prev_r:  # the batch solver backtracks
                return 0, np.inf
            if need_fd:
                for j in range(K):
                    yj[:] = y
                    yj[j] += fd_step
                    _map(learner, loss, yj, a, eps, lam, limit, p, x, fout, lg, lf, coarse)
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


@njit(**_JIT)
def _solve_all(learner, loss, y0, a, eps, lam, limit, P, tol, max_iter, beta, M, reg, tiny, max_step,
               newton_after, newton_r, newton_slow, max_newton, fd_step, fd_skip, shift, final, iterations,
               residual, lg, lf):
    K = y0.shape[1]
    # work arrays, once for the batch (each point overwrites what it reads)
    W = np.empty((12, max(2 * K, M)))
    dY, dG = np.zeros((max(M, 1), K)), np.zeros((max(M, 1), K))
    A, J, G = np.empty((K, K)), np.empty((K, K)), np.empty((max(M, 1), max(M, 1)))
    y = np.empty(K)
    for b in range(y0.shape[0]):
        y[:] = y0[b]
        it, r = _solve_point(learner, loss, y, a[b], eps[b], lam[b], limit[b], P[b], tol, max_iter, beta, M, reg,
                             tiny, max_step, newton_after, newton_r, newton_slow, max_newton, fd_step, fd_skip,
                             shift, final[b], lg, lf, W, dY, dG, A, J, G)
        iterations[b] = it
        residual[b] = r


def solve_points(learner, loss, y0, a, eps, lam_eff, limit, P, opts):
    """Solve ``B`` points by the compiled fast path.

    Parameters are those of :func:`rafmodel.theory.fastpath.solve_point`, as arrays of shape
    ``(B,)`` (``y0``: ``(B, K)``; ``P``: the learner's parameter dict).  Returns
    ``(final (B, 2K), iterations, residual)``; ``iterations`` is 0 where a point is left to the
    batch solver (``final`` there is ``nan``).
    """
    from .anderson import MAX_STEP, REG, TINY
    from .fastpath import (FAST_MAX_ITER, FD_SKIP, FD_STEP, MAX_NEWTON_STEP, NEWTON_AFTER, NEWTON_R, NEWTON_SHIFT,
                           NEWTON_SLOW)
    from .solver import _NEWTON_AFTER, _NEWTON_R

    B, K = y0.shape
    par = np.zeros((B, 3))
    for j, name in enumerate(("mu1", "mustar", "kappa")):
        if name in P:
            par[:, j] = np.broadcast_to(P[name], (B,))
    final = np.full((B, 2 * K), np.nan)
    iterations = np.zeros(B, np.int64)
    residual = np.full(B, np.inf)
    f = lambda v: np.ascontiguousarray(np.broadcast_to(v, (B,)), float)  # noqa: E731
    code = LOSSES[type(loss).__name__]
    # the Newton finish: early where a map evaluation is cheap (closed forms), the batch solver's
    # late switch where it is not (the logistic's quadrature)
    after, below = (NEWTON_AFTER, NEWTON_R) if code < 2 else (_NEWTON_AFTER, _NEWTON_R)
    lg, lf = _logistic_args(loss, opts.n_nodes)
    _solve_all(LEARNERS[type(learner).__name__], code, np.ascontiguousarray(y0, float), f(a), f(eps), f(lam_eff),
               np.ascontiguousarray(limit, np.bool_), par, float(opts.tol), int(min(opts.max_iter, FAST_MAX_ITER)),
               float(opts.damping), int(opts.memory), REG, TINY, MAX_STEP, after, below, NEWTON_SLOW,
               MAX_NEWTON_STEP, FD_STEP, FD_SKIP, NEWTON_SHIFT, final, iterations, residual, lg, lf)
    return final, iterations, residual
