"""Running a sweep's tasks: in local processes, or on a Dask distributed cluster.

A task is ``(kind, [(key, setting, extra), ...], options)`` (:meth:`SweepSpec.tasks`); :func:`run_task`
computes it anywhere and returns one row per point.  Both backends hand each task's rows to a
callback in the calling process as the task finishes; that process is the only one that writes
to the store.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any

from ..exceptions import ParameterError

__all__ = ["run_task", "run_local", "run_dask", "dask_client", "dask_workers"]

#: How long to wait for a Dask scheduler to answer.
CONNECT_TIMEOUT = "10s"

#: Dask retries of a task whose worker died or which raised unexpectedly.
DASK_RETRIES = 3

_IDENTITY = frozenset(("model", "loss", "activation", "kernel", "bandwidth", "degree", "offset", "alpha", "eps",
                       "lam", "kappa", "mu1", "mustar", "d", "seeds", "n_test", "seed"))


def _failed(key: str, error: BaseException, seconds: float) -> dict[str, Any]:
    return {"key": key, "status": "failed", "error": f"{type(error).__name__}: {error}".strip(), "results": {},
            "seconds": seconds}


def _theory(items: list, options: dict) -> list[dict[str, Any]]:
    import warnings

    from ..exceptions import ConvergenceWarning
    from ..theory import solve_many

    t0 = time.perf_counter()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            recs = solve_many([s for _, s, _ in items], warn=False, **options).to_records()
    except Exception as e:  # noqa: BLE001 - one bad point must not sink its batch mates
        if len(items) == 1:
            return [_failed(items[0][0], e, time.perf_counter() - t0)]
        return [row for item in items for row in _theory([item], options)]
    each = (time.perf_counter() - t0) / len(items)
    out = []
    for (key, _, _), rec in zip(items, recs):
        res = {k: v for k, v in rec.items() if k not in _IDENTITY and k != "converged"}
        ok = bool(rec.get("converged", True))
        out.append({"key": key, "status": "done" if ok else "not converged",
                    "error": None if ok else "the fixed point did not converge", "results": res, "seconds": each})
    return out


def _simulate(items: list) -> list[dict[str, Any]]:
    from ..simulation import simulate

    out = []
    for key, setting, extra in items:
        t0 = time.perf_counter()
        try:
            sim = simulate(setting, n_jobs=1, **extra)
        except Exception as e:  # noqa: BLE001 - recorded as the point's error
            out.append(_failed(key, e, time.perf_counter() - t0))
            continue
        rec = sim.to_dict()
        res = {k: v for k, v in rec.items() if k not in _IDENTITY}
        status, error = "done", None
        if sim.n_failed:
            errs = sorted({i["error"] for i in sim.info if "error" in i})
            status, error = "failed", f"{sim.n_failed} of {sim.n_seeds} repetitions failed: {'; '.join(errs)}"
        out.append({"key": key, "status": status, "error": error, "results": res,
                    "seconds": time.perf_counter() - t0})
    return out


def run_task(task: tuple) -> list[dict[str, Any]]:
    """Compute one task, wherever it runs.

    Parameters
    ----------
    task : tuple
        ``(kind, [(key, setting, extra), ...], options)``.

    Returns
    -------
    list of dict
        One row per point: ``key, status, error, results, seconds, version``.  A point that
        raises is a ``failed`` row with its error; a theory batch that raises is solved point
        by point.
    """
    from .. import __version__

    kind, items, options = task
    rows = _theory(items, options) if kind == "theory" else _simulate(items)
    for r in rows:
        r["version"] = __version__
        r["results"] = {k: (float(v) if isinstance(v, float) or (hasattr(v, "dtype") and v.dtype.kind == "f")
                            else int(v) if hasattr(v, "dtype") and v.dtype.kind in "iub" and not isinstance(v, bool)
                            else v) for k, v in r["results"].items()}
    return rows


def run_local(tasks: Sequence[tuple], jobs: int, on_rows: Callable[[list], None]) -> None:
    """Run tasks in this process (``jobs = 1``) or in ``jobs`` spawned worker processes.

    Parameters
    ----------
    tasks : sequence of tuple
        From :meth:`SweepSpec.tasks`.
    jobs : int
        Processes (already capped at the cores and tasks).
    on_rows : callable
        Called in this process with each task's rows, as tasks finish.

    Notes
    -----
    The workers die with this process, even on SIGKILL (``PR_SET_PDEATHSIG`` on Linux); on
    Ctrl-C or an error the pending tasks are cancelled and the workers killed.
    """
    if jobs <= 1:
        for t in tasks:
            on_rows(run_task(t))
        return
    from concurrent.futures import FIRST_COMPLETED, wait

    from .._parallel import worker_pool

    with worker_pool(jobs) as pool:
        queue = iter(tasks)
        running = set()
        window = 4 * jobs  # a few tasks ahead per worker: results stream in the spec's order, roughly
        while True:
            while len(running) < window:
                t = next(queue, None)
                if t is None:
                    break
                running.add(pool.submit(run_task, t))
            if not running:
                break
            done, running = wait(running, return_when=FIRST_COMPLETED)
            for fut in done:
                on_rows(fut.result())


def dask_client(scheduler: Any) -> tuple[Any, bool]:
    """A ``distributed.Client`` for a scheduler address, a cluster or a client.

    Parameters
    ----------
    scheduler : str, cluster or Client
        ``"tcp://HOST:PORT"``, an object with a ``scheduler_address`` (e.g. ``LocalCluster``),
        or a ``Client``.

    Returns
    -------
    tuple
        ``(client, owned)``: ``owned`` is True when the client was opened here (close it).

    Raises
    ------
    ParameterError
        Dask is not installed, or the scheduler cannot be reached.
    """
    try:
        from distributed import Client
    except ImportError:
        raise ParameterError("scheduler", "Dask is not installed; install it with pip install 'rafmodel[dask]'") from None
    if isinstance(scheduler, Client):
        return scheduler, False
    address = getattr(scheduler, "scheduler_address", scheduler)
    if not isinstance(address, str) or not address:
        raise ParameterError("scheduler", f"must be an address tcp://HOST:PORT, a cluster or a Client, got {scheduler!r}")
    try:
        return Client(address, timeout=CONNECT_TIMEOUT), True
    except (OSError, TimeoutError, ValueError) as e:
        raise ParameterError("scheduler", f"cannot connect to {address}: {e}") from None


def dask_workers(client: Any) -> int:
    """Workers of a Dask cluster now.

    Parameters
    ----------
    client : distributed.Client
        Connected client.

    Returns
    -------
    int
        At least 1.
    """
    return max(1, len(client.scheduler_info().get("workers", {})))


def run_dask(tasks: Sequence[tuple], client: Any, on_rows: Callable[[list], None]) -> None:
    """Run tasks on a Dask cluster; their rows come back to ``on_rows`` in this process.

    Parameters
    ----------
    tasks : sequence of tuple
        From :meth:`SweepSpec.tasks`.
    client : distributed.Client
        Connected client.
    on_rows : callable
        Called with each task's rows as tasks finish.

    Notes
    -----
    A task whose worker is lost is run again on another worker (Dask reschedules it; up to
    :data:`DASK_RETRIES` retries for a task that raises); since only this process writes and
    keys are unique, a task's rows are stored once.
    """
    from distributed import as_completed

    futures = client.map(run_task, list(tasks), pure=False, retries=DASK_RETRIES)
    try:
        for fut in as_completed(futures):
            on_rows(fut.result())
            fut.release()
    except BaseException:
        client.cancel(futures)
        raise

