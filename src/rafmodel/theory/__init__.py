"""Exact asymptotic theory: replica-symmetric fixed point of the RAF model.

Entry points
------------
solve(setting)        one point -> :class:`TheoryResult` (raises if not converged)
solve_many(settings)  a list of settings, solved as vectorized batches -> :class:`TheoryResults`
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from operator import attrgetter
from typing import TYPE_CHECKING, Any

import numpy as np

from ..exceptions import ConvergenceWarning, ParameterError
from .capacity import alpha_c
from .maps import has_theory
from .channel import channel, channel_quadrature
from .result import RESULT_FIELDS, ConvergenceError, TheoryResult, TheoryResults
from .solver import SolverOptions, solve_arrays

if TYPE_CHECKING:  # for the annotations only
    from ..setting import Setting

__all__ = ["solve", "solve_many", "alpha_c", "channel", "channel_quadrature", "SolverOptions",
           "TheoryResult", "TheoryResults", "ConvergenceError", "has_theory"]


#: Points per vectorized batch of :func:`solve_many`: large enough to amortize numpy's
#: per-call cost, small enough that the batch's arrays stay in cache, so that the cost per
#: point does not grow with the grid.
CHUNK = 2048


#: Fewest points per batch of a parallel :func:`solve_many` (smaller ones pay numpy's per-call cost).
_PARALLEL_MIN = 256


def _chunks(idx, size=None):
    """``idx`` in consecutive chunks of about ``size`` (default :data:`CHUNK`).

    A point's numbers are the same in any chunk, so the chunking only sets memory and speed.
    """
    n = len(idx)
    k = max(1, -(-n // (size or CHUNK)))
    bounds = np.linspace(0, n, k + 1).round().astype(int)
    return [idx[a:b] for a, b in zip(bounds[:-1], bounds[1:])]


def solve_many(settings: Sequence[Setting], *, progress: bool | None = None, warn: bool = True,
               n_jobs: int | None = None, **options: Any) -> TheoryResults:
    """Solve many settings at once.

    Settings sharing a learner type and a loss are solved in vectorized batches of
    about :data:`CHUNK` points (the cost per point does not grow with the grid, and a
    point's numbers do not depend on which batch it is in).  Non-converged points are kept, flagged ``converged = False`` and
    carry ``nan`` values; a :class:`rafmodel.ConvergenceWarning` says how many (``warn=False``
    silences it).

    Parameters
    ----------
    settings : sequence of Setting
        The points (e.g. from :func:`rafmodel.grid`), of any learners and losses.
    progress : bool, optional
        Show a progress bar.
    warn : bool, default=True
        Warn when some points did not converge.
    n_jobs : int, optional
        Worker processes for the batches (``None``: 1, this process; ``-1``: all cores).
        The numbers are the same for any ``n_jobs``: a point's numbers do not depend on its
        batch.  Starting the workers costs about a second, so it pays for large grids.
    **options
        Solver options, see :class:`rafmodel.theory.SolverOptions`
        (``tol``, ``max_iter``, ``damping``, ``memory``, ``method``, ``n_nodes``).

    Returns
    -------
    TheoryResults
        In the order of ``settings``; every column an array of shape ``(N,)``.
        Empty (``len 0``, empty columns) for an empty ``settings``.

    Raises
    ------
    ParameterError
        A bad or unknown solver option (the error is also a ``TypeError``),
        ``method="closed"`` for a loss without a closed-form channel, or ``settings`` is one
        :class:`rafmodel.Setting` or holds something else.

    Warns
    -----
    ConvergenceWarning
        Some points did not converge (unless ``warn=False``).

    See Also
    --------
    solve : one point, raising if it does not converge.

    Examples
    --------
    >>> import rafmodel as rm
    >>> res = rm.solve_many(rm.grid(alpha=[1, 2, 4], eps=0.2, lam=0.1, loss="hinge"))
    >>> res.converged, res.gen_error.round(4)
    (array([ True,  True,  True]), array([0.3364, 0.2689, 0.1861]))
    >>> round(res[1].gen_error, 4)
    0.2689
    """
    from ..setting import Setting

    if isinstance(settings, Setting):
        raise ParameterError("settings", "must be a sequence of rafmodel.Setting; use solve() for one")
    try:
        settings = list(settings)
    except TypeError:
        raise ParameterError("settings", f"must be a sequence of rafmodel.Setting, got {settings!r:.60}") from None
    bad = next((s for s in settings if not isinstance(s, Setting)), None)
    if bad is not None:
        raise ParameterError("settings", f"must be a sequence of rafmodel.Setting, got an element {bad!r:.60}")
    from .._parallel import effective_jobs

    opts = SolverOptions(**options)
    _check_method(settings, opts)
    jobs = effective_jobs(n_jobs, -(-len(settings) // _PARALLEL_MIN))
    return _solve(settings, opts, progress=progress, warn=warn, jobs=jobs)


def _check_method(settings, opts):
    """``method="closed"`` needs a closed-form channel for every loss of ``settings`` (before any work)."""
    if opts.method != "closed":
        return
    from .closed_form import closed_form

    seen = set()
    for s in settings:
        if id(s.loss) in seen:
            continue
        seen.add(id(s.loss))
        if closed_form(s.loss) is None:
            raise ParameterError("method", f"the {s.loss.name} loss has no closed-form channel; use "
                                           "method='auto' or 'quadrature'")


def _solve(settings, opts, progress=None, warn=True, jobs=1):
    """:func:`solve_many` on checked ``settings``."""
    from .backend import resolve
    from .maps import learner_map

    opts.backend = resolve(opts.backend)  # before any work: "compiled" where numba cannot run is an error
    N = len(settings)
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=N, desc="theory", unit="pt", leave=False)
    groups: dict = {}
    last_loss = last_type = group = None
    last_inputs = None
    for i, s in enumerate(settings):
        if s.loss is not last_loss or type(s.learner) is not last_type or s.inputs is not last_inputs:  # a grid repeats one object
            last_loss, last_type, last_inputs = s.loss, type(s.learner), s.inputs
            group = groups.setdefault((last_type, last_loss, last_inputs), [])
        group.append(i)
    # the learner "bayes" (AMP) has no map: its theory is the Bayes-optimal fixed point (theory.amp_se)
    bayes = {key: idx for key, idx in groups.items() if getattr(key[0], "name", None) == "bayes"}
    groups = {key: idx for key, idx in groups.items() if key not in bayes}
    tasks = []
    maps = {key: learner_map(settings[idx[0]].learner).with_inputs(key[2])  # no theory: an error now
            for key, idx in groups.items()}
    for (key, idx), lmap in zip(groups.items(), maps.values()):
        loss, inputs = key[1], (None if key[2].isotropic else key[2])
        learner = settings[idx[0]].learner
        size = CHUNK if jobs == 1 else max(_PARALLEL_MIN, min(CHUNK, -(-len(idx) // (4 * jobs))))
        for chunk in _chunks(np.asarray(idx), size):
            sub = [settings[i] for i in chunk]
            learners = [s.learner for s in sub]
            P = {k: np.fromiter(map(attrgetter(k), learners), float, len(sub)) for k in lmap.params}
            tasks.append((chunk, (learner, loss, *(np.fromiter(map(attrgetter(name), sub), float, len(sub))
                                                   for name in ("alpha", "eps", "lam")), P, opts, None, inputs)))
    cols: dict = {}

    def store(chunk, res):
        for k, v in res.items():
            if k not in cols:
                cols[k] = np.full(N, np.nan) if v.dtype.kind == "f" else np.zeros(N, dtype=v.dtype)
            cols[k][chunk] = v

    for idx in bayes.values():
        from .amp_se import bayes_columns

        store(np.asarray(idx), bayes_columns([settings[i].alpha for i in idx], [settings[i].eps for i in idx]))
        if bar is not None:
            bar.update(len(idx))
    if jobs == 1:
        for chunk, args in tasks:
            store(chunk, solve_arrays(*args[:7], progress=bar, inputs=args[8]))
    else:  # the same batches' numbers in worker processes (a point's numbers do not depend on its batch)
        from concurrent.futures import as_completed

        from .._parallel import worker_pool

        with worker_pool(jobs, payload=[args[:2] for _, args in tasks]) as pool:
            futures = {pool.submit(solve_arrays, *args): chunk for chunk, args in tasks}
            for fut in as_completed(futures):
                store(futures[fut], fut.result())
                if bar is not None:
                    bar.update(len(futures[fut]))
    if bar is not None:
        bar.close()
    if N == 0:  # nothing to solve: every column, empty
        cols = {k: np.zeros(0) for k in (*RESULT_FIELDS, "residual")}
        cols.update(converged=np.zeros(0, bool), iterations=np.zeros(0, int),
                    interpolating=np.zeros(0, bool))
    out = TheoryResults(settings, cols)
    n_bad = int(N - np.sum(cols.get("converged", np.ones(0, bool))))
    if warn and n_bad:
        warnings.warn(f"{n_bad} of {N} points did not converge (converged=False, values nan)",
                      ConvergenceWarning, stacklevel=3)
    return out


def solve(setting: Setting, **options: Any) -> TheoryResult:
    """Solve one setting.

    Parameters
    ----------
    setting : Setting
        The point: ``alpha, eps, lam``, the learner and the loss.
    **options
        Solver options, see :class:`rafmodel.theory.SolverOptions`.

    Returns
    -------
    TheoryResult
        The order parameters, their conjugates and the three errors.

    Raises
    ------
    ConvergenceError
        If the fixed point was not reached within ``max_iter`` iterations; the
        exception's ``result`` attribute carries the diagnostics.
    ParameterError
        A bad or unknown solver option (the error is also a ``TypeError``),
        ``method="closed"`` for a loss without a closed-form channel, or ``setting`` is not a
        :class:`rafmodel.Setting`.

    Notes
    -----
    The point is solved exactly as a point of :func:`solve_many` is, on the route of the
    ``backend`` option (:mod:`rafmodel.theory.backend`): the numbers are the same, bit for bit.

    See Also
    --------
    solve_many : many points at once, vectorized.

    Examples
    --------
    >>> import rafmodel as rm
    >>> r = rm.solve(rm.Setting(alpha=0.5, eps=0.2, lam=0.0, loss="hinge"))  # max-margin
    >>> r.interpolating, round(r.gen_error, 4), r.mem_error
    (True, 0.3739, 0.0)
    """
    from ..setting import Setting

    if not isinstance(setting, Setting):
        raise ParameterError("setting", f"must be a rafmodel.Setting, got {setting!r:.60}")
    opts = SolverOptions(**options)
    _check_method([setting], opts)
    res = _solve([setting], opts, warn=False)[0]
    if not res.converged:
        raise ConvergenceError(
            f"fixed point not reached for {setting.params()} after {res.iterations} iterations "
            f"(residual {res.residual:.3g})", res)
    return res
