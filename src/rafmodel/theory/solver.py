"""Batch fixed-point solver for the replica-symmetric equations.

One solver serves every learner x loss: it only calls the learner's map
(:class:`rafmodel.theory.maps.LearnerMap`: ``to_channel``, ``update``) and
:func:`rafmodel.theory.channel.channel`.  A batch of ``B``
points is iterated at once, vectorized, with a per-point convergence status; a
point leaves the active set as soon as it converges, so a grid costs about as
much as its slowest points.

Iteration: damped fixed-point steps accelerated by Anderson mixing (switching to
Newton's method for points where that stalls; early, after a few iterations, when the
channel is in closed form and a map evaluation is cheap), in the unconstrained
coordinates ``(atanh(m / sqrt(q)), log q, log V)`` (so an extrapolated step can never
leave the domain ``q > 0, V > 0, m^2 < q``).  A point is converged when one more
application of the map moves each of these coordinates by less than ``tol``.  A point
that does not converge within ``max_iter`` iterations, or whose iterate stops being
finite, is reported with ``converged = False`` and ``nan`` in place of every order
parameter and error.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._validation import validate_params
from .anderson import MAX_STEP, Batch, anderson_step
from .capacity import interpolation_threshold
from .channel import DEFAULT_NODES, channel
from ._iteration import (FD_SKIP, FD_STEP, MAX_NEWTON_STEP, NEWTON_AFTER, NEWTON_AFTER_SLOW, NEWTON_R, NEWTON_R_SLOW,
                         NEWTON_SHIFT, NEWTON_SLOW)
from .backend import resolve
from .closed_form import closed_form
from .gaussian import H, sign_error
from .initial import start_state
from .maps import learner_map

__all__ = ["solve_arrays", "SolverOptions"]

_MAX_BACKTRACKS = 40
_STALL = 12
#: A residual that grows by more than this factor in one Anderson step resets the history (a
#: slower growth is kept: along a slow mode the residual may rise while the iterate approaches).
_GROW = 1.5
_PLAIN_STEPS = 10
_NEWTON_AFTER = NEWTON_AFTER_SLOW
_NEWTON_R = NEWTON_R_SLOW
#: The same switch in the first attempt when the channel is in closed form (that of the scalar
#: fast path): a map evaluation costs about a microsecond per point there, so the Newton finish
#: (``K + 1`` evaluations per step) is cheaper than the tens of Anderson iterations that slow
#: points take otherwise.
_NEWTON_AFTER_CHEAP = NEWTON_AFTER
_NEWTON_R_CHEAP = NEWTON_R
_GIVE_UP = 100
#: Newton phases that end in backtracking before an attempt is given up (restarted plainly).
_NEWTON_LOSSES = 2
#: Most solves of the continuation towards points near their interpolation threshold.
_CONTINUATION_STEPS = 60
#: Smallest fraction of alpha where the continuation may start (halved from 0.7 on failure).
_FIRST_MIN = 0.05
#: Map evaluations of Powell's method per point, per unknown plus one (at most ``max_iter``).
_POWELL_EVALS = 60
_NEWTON_BACKTRACKS = 8
_MAX_NEWTON_STEP = MAX_NEWTON_STEP
_FD_STEP = FD_STEP
_FD_SKIP = FD_SKIP


class SolverOptions:
    """Numerical options of the fixed-point solver.

    Parameters
    ----------
    tol : float, default=1e-11
        Convergence tolerance on the change of ``atanh(m/sqrt q)``, ``log q``, ``log V``,
        in ``(0, 1e-3]`` (a looser one would call a point converged that is not).
    max_iter : int, default=1000
        Maximum number of iterations per point.
    damping : float, default=1.0
        Weight of the new iterate in a plain step, in (0, 1].
    memory : int, default=3
        Anderson memory (0 disables acceleration).
    method : {"auto", "closed", "quadrature"}, default="auto"
        Channel evaluation: closed form when available, or Gauss quadrature.
    n_nodes : int, default=12
        Gauss-Legendre nodes per panel of the quadrature route, ``>= 2``.
    backend : {"auto", "compiled", "numpy"}, default="auto"
        The route (:mod:`rafmodel.theory.backend`): ``"compiled"`` iterates every point on its
        own, compiled with numba, and leaves the points it gives back to the batch solver;
        ``"numpy"`` is the batch solver alone; ``"auto"`` is compiled unless the environment
        variable ``RAFMODEL_NUMBA`` is ``0`` or numba cannot run here.  Both compute the map from
        one source (:mod:`rafmodel.theory.maps`) and agree far below ``tol``.
    **unknown
        Any other name is refused (a :class:`rafmodel.ParameterError` naming it), so
        that ``rafmodel.solve(setting, tol=...)`` and the other entry points that pass
        solver options through name a misspelt option in one line.

    Raises
    ------
    ParameterError
        An option out of range, or a name that is not an option (the error is also a
        ``TypeError``).

    Notes
    -----
    :func:`rafmodel.solve` and :func:`rafmodel.solve_many` take these options as
    keyword arguments and build the :class:`SolverOptions` themselves.

    Examples
    --------
    >>> import rafmodel as rm
    >>> opts = rm.SolverOptions(tol=1e-10, method="quadrature")
    >>> opts.tol, opts.max_iter, opts.damping, opts.memory, opts.method, opts.n_nodes, opts.backend
    (1e-10, 1000, 1.0, 3, 'quadrature', 12, 'auto')
    >>> r = rm.solve(rm.Setting(alpha=2.0, eps=0.2, lam=0.1), tol=1e-10, method="quadrature")
    >>> round(r.gen_error, 4)
    0.2682
    """

    @validate_params("SolverOptions", exempt={"unknown": "every name here is refused, naming the options"})
    def __init__(self, *, tol: float = 1e-11, max_iter: int = 1000, damping: float = 1.0, memory: int = 3,
                 method: str = "auto", n_nodes: int = DEFAULT_NODES, backend: str = "auto", **unknown: Any) -> None:
        if unknown:
            from ..exceptions import ParameterError

            raise ParameterError(next(iter(unknown)), "not a solver option; the options: tol, max_iter, damping, "
                                                      "memory, method, n_nodes, backend")
        self.tol, self.max_iter, self.damping = tol, max_iter, damping  # checked at the signature
        self.memory, self.method, self.n_nodes = memory, method, n_nodes
        self.backend = backend


def _take(P, idx):
    return {k: v[idx] for k, v in P.items()}


def _replace(opts, **changes):
    """A copy of the :class:`SolverOptions` ``opts`` with some options changed."""
    kw = {k: getattr(opts, k) for k in ("tol", "max_iter", "damping", "memory", "method", "n_nodes", "backend")}
    return SolverOptions(**{**kw, **changes})


def _unsolved(B, width):
    """``final (B, width)`` (nan), ``converged``, ``iterations`` and ``residual`` of ``B`` points not solved yet."""
    return np.full((B, width), np.nan), np.zeros(B, bool), np.zeros(B, int), np.full(B, np.inf)


def _map(lmap, loss, y, a, eps, lam, limit, P, opts):
    """One application of the fixed-point map on a subset: the new state, then the hats."""
    state = lmap.decode(y)
    n = y.shape[0]
    if n and (limit[0] and limit.all() or not (limit[0] or limit.any())):  # one mode: no selection
        mc, qc, Vc = lmap.to_channel(state, lam, P)
        mh, qh, vh = channel(loss, mc, qc, Vc, eps, limit=bool(limit[0]), method=opts.method, n_nodes=opts.n_nodes,
                             backend=opts.backend)
        state2, hats = lmap.update(a * mh, a * qh, a * vh, lam, P)
        return [v if np.shape(v) == (n,) else np.broadcast_to(v, (n,)).astype(float) for v in (*state2, *hats)]
    out = [np.empty(n) for _ in range(len(lmap.state_names) + len(lmap.hat_names))]
    for mode in (False, True):
        sel = limit == mode
        if not np.any(sel):
            continue
        Ps = _take(P, sel)
        mc, qc, Vc = lmap.to_channel(tuple(x[sel] for x in state), lam[sel], Ps)
        mh, qh, vh = channel(loss, mc, qc, Vc, eps[sel], limit=mode, method=opts.method,
                             n_nodes=opts.n_nodes, backend=opts.backend)
        state2, hats = lmap.update(a[sel] * mh, a[sel] * qh, a[sel] * vh, lam[sel], Ps)
        for o, v in zip(out, (*state2, *hats)):
            o[sel] = v
    return out


def _stack_args(a, eps, lam, limit, P, idx, reps):
    take = lambda v: np.concatenate([v[idx]] + [v[r] for r in reps])  # noqa: E731
    return take(a), take(eps), take(lam), take(limit), {k: take(v) for k, v in P.items()}


def solve_arrays(learner, loss, alpha, eps, lam, P, opts, progress=None, inputs=None):
    """Solve ``B`` points; every argument is an array of shape ``(B,)``.

    ``inputs`` is the points' input model (:class:`rafmodel.Inputs`; ``None``: isotropic).

    Returns a dict of arrays of shape ``(B,)`` with the order parameters, the
    conjugates, the errors, ``converged``, ``iterations``, ``residual`` and
    ``interpolating``.

    On the compiled route (``opts.backend``, :mod:`rafmodel.theory.backend`) every point is
    first iterated on its own by the compiled solver (:mod:`rafmodel.theory._compiled_solver`),
    whatever the batch; the points it gives back go on below, as every point does on the numpy
    route.  Each point starts with damped Anderson-accelerated iteration; a point that
    converges slowly near its fixed point finishes with Newton's method on
    ``F(y) - y`` (finite-difference Jacobian, reused after a step below ``1e-4``; capped and
    backtracked steps).  With a closed-form channel the switch comes after 5 iterations at
    any residual (otherwise after 20, below ``1e-2``).
    Points that still fail are restarted with plain (undamped, then damped)
    iteration, which is slow but the most robust.  ``iterations`` counts all
    attempts.
    """
    lmap = learner_map(learner).with_inputs(inputs)
    opts = _replace(opts, backend=resolve(opts.backend))
    B = alpha.shape[0]
    zero = lam == 0
    limit = np.zeros(B, bool)
    if np.any(zero):  # the threshold is only needed (and can be costly) at lam = 0
        thr = np.broadcast_to(interpolation_threshold(learner, loss, eps[zero], _take(P, zero), inputs),
                              (int(zero.sum()),))
        if inputs is not None and not inputs.isotropic:  # p = directions x d features: thresholds scale with p
            thr = thr * inputs.directions
        limit[zero] = alpha[zero] < thr
    lam_eff = np.where(limit, 1.0, lam)
    a = np.broadcast_to(lmap.sample_ratio(alpha, P), (B,)).astype(float)
    with np.errstate(all="ignore"):
        y0 = lmap.encode(start_state(learner, loss, a, eps, lam_eff, limit, P))
    k, h = len(lmap.state_names), len(lmap.hat_names)

    bar, own_bar = None, False
    if hasattr(progress, "update"):  # a bar shared by several calls (solve_many's chunks)
        bar = progress
    elif progress:
        from tqdm.auto import tqdm

        bar, own_bar = tqdm(total=B, desc="theory", unit="pt", leave=False), True
    n0 = bar.n if bar is not None else 0
    final, converged, iterations, residual = _unsolved(B, k + h)
    todo = np.arange(B)
    if opts.backend == "compiled":
        from . import _compiled_solver as cs

        if cs.compiled_for(lmap, loss, opts):  # every point: the compiled solver first
            f0, it0, r0 = cs.solve_points(lmap, loss, y0, a, eps, lam_eff, limit, P, opts)
            won = it0 > 0
            final[won], iterations[won], residual[won], converged[won] = f0[won], it0[won], r0[won], True
            if bar is not None:
                bar.update(int(np.count_nonzero(won)))
            todo = np.flatnonzero(~won)
    if todo.size:
        f1, c1, it1, r1 = _iterate(lmap, loss, y0[todo], a[todo], eps[todo], lam_eff[todo],
                                   limit[todo], _take(P, todo), opts, bar, give_up=True,
                                   cheap=opts.method != "quadrature" and closed_form(loss) is not None)
        final[todo], converged[todo], iterations[todo], residual[todo] = f1, c1, it1, r1
    # Powell's hybrid method (trust-region dogleg on F(y) - y) on each point still unsolved:
    # it handles nearly neutral directions that the iteration drifts along (the max-margin at
    # eps = 0, where the response lam V -> 0 and the V-map's slope -> 1); the same criterion decides.
    bad = np.flatnonzero(~converged)
    for i in bad:
        out = _powell(lmap, loss, y0[i], a[i:i + 1], eps[i:i + 1], lam_eff[i:i + 1], limit[i:i + 1],
                      _take(P, slice(i, i + 1)), opts)
        iterations[i] += out[2]
        if out[0] is not None:
            final[i], converged[i], residual[i] = out[0], True, out[1]
    for damping in (1.0, 0.5):  # fallbacks: plain iteration from the start
        bad = np.flatnonzero(~converged)
        if bad.size == 0 or opts.memory == 0 and damping == opts.damping:
            continue
        plain = _replace(opts, damping=damping, memory=0)
        f2, c2, it2, r2 = _iterate(lmap, loss, y0[bad], a[bad], eps[bad], lam_eff[bad],
                                   limit[bad], _take(P, bad), plain, None)
        final[bad], converged[bad], residual[bad] = f2, c2, r2
        iterations[bad] += it2
    # Interpolating points close to their threshold (the max-margin norm diverges there and
    # the iteration slows down critically): continuation in alpha from 0.7 alpha (from a
    # smaller fraction where that first solve fails), each solution starting the next solve
    # (by iteration, else Powell's method), with a step that halves on failure and grows on success.
    bad = np.flatnonzero(~converged & limit)
    if bad.size:
        y = y0[bad].copy()
        f_cur = np.full(bad.size, 0.0)  # 0: not started yet
        f_first = np.full(bad.size, 0.7)
        step = np.full(bad.size, 0.1)
        alive = np.ones(bad.size, bool)
        its = np.zeros(bad.size, int)
        cont = _replace(opts, max_iter=min(opts.max_iter, 300))
        Pb = _take(P, bad)
        for _ in range(_CONTINUATION_STEPS):
            sel = np.flatnonzero(alive & (f_cur < 1.0))
            if sel.size == 0:
                break
            f_next = np.where(f_cur[sel] == 0.0, f_first[sel], np.minimum(1.0, f_cur[sel] + step[sel]))
            Ps = _take(Pb, sel)
            a_f = np.broadcast_to(lmap.sample_ratio(alpha[bad][sel] * f_next, Ps), (sel.size,)).astype(float)
            f3, c3, it3, r3 = _iterate(lmap, loss, y[sel], a_f, eps[bad][sel], lam_eff[bad][sel],
                                       limit[bad][sel], Ps, cont, None)
            its[sel] += it3
            for j in np.flatnonzero(~c3):  # Powell's method from the last solution
                i = bad[sel[j]]
                out = _powell(lmap, loss, y[sel[j]], a_f[j:j + 1], eps[i:i + 1], lam_eff[i:i + 1],
                              limit[i:i + 1], _take(P, slice(i, i + 1)), opts)
                its[sel[j]] += out[2]
                if out[0] is not None:
                    f3[j], c3[j], r3[j] = out[0], True, out[1]
            won, lost = sel[c3], sel[~c3]
            y[won] = lmap.encode([f3[c3, j] for j in range(k)])
            f_cur[won] = f_next[c3]
            step[won] = np.minimum(step[won] * 1.5, 0.1)
            first = f_cur[lost] == 0.0
            f_first[lost[first]] /= 2.0
            step[lost[~first]] /= 2.0
            alive[lost[first & (f_first[lost] < _FIRST_MIN)]] = False
            alive[lost[~first & (step[lost] < 1e-4)]] = False
            done_now = won[f_cur[won] == 1.0]
            final[bad[done_now]] = f3[c3][f_cur[won] == 1.0]
            converged[bad[done_now]] = True
            residual[bad[done_now]] = r3[c3][f_cur[won] == 1.0]
        iterations[bad] += its
    if bar is not None:
        bar.update(int(B - (bar.n - n0)))
        if own_bar:
            bar.close()
    return _finish(lmap, loss, final, converged, iterations, residual, limit, lam_eff, P)


def _powell(lmap, loss, y0, a, eps, lam_eff, limit, P, opts):
    """One point by Powell's hybrid method on ``F(y) - y`` (:func:`scipy.optimize.root`, ``hybr``).

    Returns ``(final, residual, evaluations)``: ``final`` (the map's output at the root, as
    :func:`_iterate` reports it) is ``None`` unless one more application of the map moves every
    coordinate by less than ``opts.tol`` there (the solver's one convergence criterion).
    """
    from scipy.optimize import root

    K = y0.shape[0]
    count = [0]
    budget = min(_POWELL_EVALS * (K + 1), opts.max_iter)  # the options' bound on the work per point
    if budget < 2 * (K + 1):
        return None, np.inf, 0

    def G(y):
        count[0] += 1
        out = _map(lmap, loss, y[None, :], a, eps, lam_eff, limit, P, opts)
        g = lmap.encode(out[:K])[0] - y
        return np.where(np.isfinite(g), g, 1e6)

    with np.errstate(all="ignore"):
        try:
            sol = root(G, y0, method="hybr", options={"xtol": 1e-14, "maxfev": budget})
        except (ValueError, np.linalg.LinAlgError):  # pragma: no cover - defensive
            return None, np.inf, count[0]
        y = sol.x
        out = _map(lmap, loss, y[None, :], a, eps, lam_eff, limit, P, opts)
        fy = lmap.encode(out[:K])[0]
    count[0] += 1
    vals = np.array([o[0] for o in out])
    r = float(np.max(np.abs(fy - y)))
    if not (np.all(np.isfinite(vals)) and np.all(np.isfinite(fy)) and r < opts.tol):
        return None, np.inf, count[0]
    return vals, r, count[0]


def _iterate(lmap, loss, y0, a, eps, lam_eff, limit, P, opts, bar, give_up=False, cheap=False):
    """The iteration loop; returns ``final (B, k + h), converged, iterations, residual``.

    ``cheap``: the channel is in closed form, and slow points switch to Newton's method early.
    The per-point arrays hold the active points only (compacted whenever points leave); the
    Anderson histories are stored points last, ``(M, K, n)``, as a ring of ``M`` columns.
    """
    newton_r, newton_after = (_NEWTON_R_CHEAP, _NEWTON_AFTER_CHEAP) if cheap else (_NEWTON_R, _NEWTON_AFTER)
    y = y0.copy()
    B, K = y.shape
    final, converged, iterations, residual = _unsolved(B, K + len(lmap.hat_names))
    M, beta, tol = opts.memory, opts.damping, opts.tol
    pos = np.arange(B)  # each active point's row in the outputs
    dY = np.zeros((M, K, B))
    dG = np.zeros((M, K, B))
    head = np.zeros(B, int)  # ring position of the newest history column
    nhist = np.zeros(B, int)  # valid Anderson history columns per point (the others are kept zero)
    prev_y = y.copy()  # last accepted iterate (where the map was finite)
    prev_g = np.zeros((B, K))
    prev_r = np.full(B, np.inf)
    best_r = np.full(B, np.inf)
    best_it = np.zeros(B, int)
    backtracks = np.zeros(B, int)
    newton = np.zeros(B, bool)
    nstep = np.zeros(B, bool)  # the last step was a Newton step (judged by the residual it reaches)
    jac = np.zeros((B, K, K))  # Newton points: the last Jacobian of F(y) - y (by differences)
    need_fd = np.zeros(B, bool)  # Newton points whose next evaluation includes the differences
    losses = np.zeros(B, int)  # Newton phases lost to backtracking
    plain_until = np.zeros(B, int)
    gain_r = np.full(B, np.inf)  # residual at the last 10% improvement, and when
    gain_it = np.zeros(B, int)
    fd = _FD_STEP * np.eye(K)
    ring = np.arange(M)[:, None]

    with np.errstate(all="ignore"):
        for it in range(1, opts.max_iter + 1):
            n = y.shape[0]
            nw = np.flatnonzero(newton & need_fd)
            # one batched map evaluation: the iterates, plus K perturbations per Newton point that needs a new Jacobian
            if nw.size:
                rows = np.concatenate([np.arange(n)] + [nw] * K)
                allout = _map(lmap, loss, np.concatenate([y] + [y[nw] + fd[j] for j in range(K)]), a[rows],
                              eps[rows], lam_eff[rows], limit[rows], {k: v[rows] for k, v in P.items()}, opts)
                out = [o[:n] for o in allout]
            else:
                out = allout = _map(lmap, loss, y, a, eps, lam_eff, limit, P, opts)
            fy = lmap.encode(out[:K])
            g = fy - y
            stacked = np.stack(out)  # (k + h, n)
            r = np.abs(g).max(axis=1)
            ok = np.isfinite(r) & np.isfinite(stacked).all(axis=0)
            r[~ok] = np.inf
            iterations[pos] = it
            residual[pos] = r
            done = r < tol
            if done.any():
                final[pos[done]] = stacked[:, done].T
                converged[pos[done]] = True
                if bar is not None:
                    bar.update(int(np.count_nonzero(done)))

            # Backtrack halfway to the last accepted iterate where the map was not
            # finite, or where a Newton step increased the residual.
            worse = nstep & ok & ~done & (r > prev_r)
            back = ~ok | worse
            failed = None
            if back.any():
                bi = np.flatnonzero(back)
                backtracks[bi] += 1
                need_fd[bi] = True
                y[bi] = prev_y[bi] + 0.5 * (y[bi] - prev_y[bi])
                nhist[bi] = 0
                dY[:, :, bi] = dG[:, :, bi] = 0.0
                # Newton that keeps backtracking is in the wrong basin: back to Anderson.
                lost = bi[worse[bi] & (backtracks[bi] > _NEWTON_BACKTRACKS)]
                newton[lost] = False
                nstep[lost] = False
                losses[lost] += 1
                best_it[lost] = it
                plain_until[lost] = it + _PLAIN_STEPS
                backtracks[lost] = 0
                failed = back & (backtracks > _MAX_BACKTRACKS)
            # no 10% progress for _GIVE_UP iterations: this attempt is lost (drifting along a
            # nearly neutral direction); the caller restarts it with plain iteration
            gained = r < 0.9 * gain_r
            gain_r = np.where(gained, r, gain_r)
            gain_it = np.where(gained, it, gain_it)
            if give_up:
                lapsed = ((it - gain_it) > _GIVE_UP) | (losses >= _NEWTON_LOSSES)
                failed = lapsed if failed is None else failed | lapsed
            keep = ~done if failed is None else ~done & ~failed
            if not keep.any():
                break
            step_mask = ~back & ~done

            # ---- Newton points
            jn = np.flatnonzero(step_mask & newton)
            if jn.size:
                jf = jn[need_fd[jn]]
                if jf.size:
                    pj = np.searchsorted(nw, jf)  # row of each such point within nw
                    J = np.stack([(lmap.encode([o[n + j * nw.size + pj] for o in allout[:K]]) - fy[jf]) / _FD_STEP
                                  for j in range(K)], axis=-1)
                    jac[jf] = J - np.eye(K)
                A = jac[jn]
                delta = np.linalg.solve(A + NEWTON_SHIFT * np.eye(K), -g[jn][..., None])[..., 0]
                bad = ~np.all(np.isfinite(delta), axis=1)
                delta[bad] = beta * g[jn][bad]
                size = np.max(np.abs(delta), axis=1, keepdims=True)
                delta *= np.minimum(1.0, _MAX_NEWTON_STEP / np.maximum(size, 1e-300))
                prev_y[jn], prev_g[jn], prev_r[jn] = y[jn], g[jn], r[jn]
                backtracks[jn] = 0
                nstep[jn] = True
                # after a tiny step the next evaluation most likely converges: no differences there
                # (if not, the step from it reuses this Jacobian)
                need_fd[jn] = size[:, 0] >= _FD_SKIP
                y[jn] = y[jn] + delta

            # ---- Anderson points
            am = step_mask & ~newton
            if am.any():
                improved = am & (r < best_r)
                best_it = np.where(improved, it, best_it)
                best_r = np.where(improved, r, best_r)
                stalled = am & ((it - best_it) > _STALL)
                grew = am & (r > _GROW * prev_r)
                plain_until = np.where(stalled, it + _PLAIN_STEPS, plain_until)
                best_it = np.where(stalled, it, best_it)
                # close to the fixed point but converging slowly: finish with Newton
                slow = am & (r < newton_r) & (r > NEWTON_SLOW * prev_r) & (it > newton_after)
                if slow.any():
                    newton |= slow
                    need_fd |= slow
                    backtracks[slow] = 0
                fresh = grew | stalled
                if fresh.any():
                    nhist[fresh] = 0
                    dY[:, :, fresh] = dG[:, :, fresh] = 0.0
                if M > 0:
                    ju = np.flatnonzero(am & (prev_r < np.inf) & ~fresh)
                    if ju.size:
                        h = (head[ju] + 1) % M
                        head[ju] = h
                        dY[h, :, ju] = y[ju] - prev_y[ju]
                        dG[h, :, ju] = g[ju] - prev_g[ju]
                        nhist[ju] = np.minimum(nhist[ju] + 1, M)
                am2 = am[:, None]
                prev_y = np.where(am2, y, prev_y)
                prev_g = np.where(am2, g, prev_g)
                prev_r = np.where(am, r, prev_r)
                step = beta * g
                use = am & (nhist > 0) & (plain_until <= it) if M > 0 else am & False
                if use.any():  # the mixed step of every point (cheaper than selecting), taken where used
                    cols = (head - ring) % M < nhist  # (M, n): the valid ring columns (the others are zero)
                    acc = anderson_step(Batch(cols), dY, dG, g.T, step.T, beta).T
                    good = np.isfinite(acc).all(axis=1) & (np.abs(acc).max(axis=1) < MAX_STEP)
                    step = np.where((use & good)[:, None], acc, step)
                    lost = use & ~good
                    if lost.any():
                        nhist[lost] = 0
                        dY[:, :, lost] = dG[:, :, lost] = 0.0
                y = np.where(am2, y + np.clip(step, -MAX_STEP, MAX_STEP), y)

            if not keep.all():  # compact: drop the points that left
                kk = np.flatnonzero(keep)
                pos, y, prev_y, prev_g, prev_r = pos[kk], y[kk], prev_y[kk], prev_g[kk], prev_r[kk]
                best_r, best_it, backtracks = best_r[kk], best_it[kk], backtracks[kk]
                newton, nstep, jac, need_fd = newton[kk], nstep[kk], jac[kk], need_fd[kk]
                losses, plain_until, gain_r, gain_it = losses[kk], plain_until[kk], gain_r[kk], gain_it[kk]
                head, nhist, dY, dG = head[kk], nhist[kk], dY[:, :, kk], dG[:, :, kk]
                a, eps, lam_eff, limit = a[kk], eps[kk], lam_eff[kk], limit[kk]
                P = {k: v[kk] for k, v in P.items()}
    return final, converged, iterations, residual


def _finish(lmap, loss, final, converged, iterations, residual, limit, lam_eff, P):
    """Errors at the fixed points; ``nan`` wherever the solve failed."""
    k = len(lmap.state_names)
    names = (*lmap.state_names, *lmap.hat_names)
    res = {name: final[:, i] for i, name in enumerate(names)}
    state = tuple(final[:, i] for i in range(k))
    mt, qt = lmap.test_overlaps(state, P)
    with np.errstate(all="ignore"):
        res["gen_error"] = np.arccos(np.clip(mt / np.sqrt(qt), -1.0, 1.0)) / np.pi
        mc, qc, Vc = lmap.to_channel(state, lam_eff, P)
        t = loss.slope0 * Vc / np.sqrt(qc)
        res["mem_error"] = np.where(limit, 0.0, H(t))
        res["rule_error"] = np.where(limit, 0.0, sign_error(t, mc / np.sqrt(qc)))
    for name in ("gen_error", "mem_error", "rule_error"):
        res[name] = np.where(converged, res[name], np.nan)
    res.update(converged=converged, iterations=iterations, residual=residual, interpolating=limit)
    return res
