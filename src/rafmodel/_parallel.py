"""Worker processes for the parallel parts of rafmodel: the one pool that ends with the command.

:func:`worker_pool` is a pool of spawned processes that die with their parent (even on
SIGKILL) and stop on Ctrl-C; :func:`effective_jobs` turns ``n_jobs`` into a number of
processes.  The theory (:func:`rafmodel.solve_many`), the simulations and the sweeps use them.
"""

from __future__ import annotations

import contextlib
import os

from ._validation import validate

__all__ = ["worker_pool", "effective_jobs"]


def _worker_init(parent):
    """Worker processes: die with their parent (even on SIGKILL), one BLAS thread each."""
    import signal
    import sys

    if sys.platform.startswith("linux"):
        import ctypes

        try:
            ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
        except OSError:  # pragma: no cover - no glibc
            pass
    if os.getppid() != parent:  # the parent died while this worker was starting
        os._exit(1)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    try:
        from threadpoolctl import threadpool_limits

        threadpool_limits(limits=1)
    except ImportError:  # pragma: no cover
        pass


@contextlib.contextmanager
def worker_pool(jobs):
    """A pool of ``jobs`` spawned worker processes that end with the command.

    The workers die with this process, even on SIGKILL (``PR_SET_PDEATHSIG`` on Linux,
    see :func:`_worker_init`); on Ctrl-C or an error in the block, pending tasks are
    cancelled and the workers killed. Used by the theory, the simulations and the sweeps.
    """
    import multiprocessing as mp
    from concurrent.futures import ProcessPoolExecutor

    pool = ProcessPoolExecutor(max_workers=jobs, mp_context=mp.get_context("spawn"), initializer=_worker_init,
                               initargs=(os.getpid(),))
    try:
        yield pool
    except BaseException:
        procs = list((getattr(pool, "_processes", None) or {}).values())  # None once shut down
        pool.shutdown(wait=False, cancel_futures=True)
        for proc in procs:
            proc.kill()
        raise
    pool.shutdown()


def effective_jobs(n_jobs: int | None, n_tasks: int) -> int:
    """Processes actually used, capped at the available cores and at the number of tasks.

    Parameters
    ----------
    n_jobs : int or None
        Processes asked for (``None``: 1, ``-1``: all cores).
    n_tasks : int
        Number of tasks to run.

    Returns
    -------
    int
        ``max(1, min(n_jobs, cores, n_tasks))``, with the cores this process may use.

    Raises
    ------
    ParameterError
        ``n_jobs`` is not a positive integer, ``-1`` or ``None``.
    """
    n_jobs = validate("simulate", n_jobs=n_jobs)["n_jobs"] or 1
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        cores = os.cpu_count() or 1
    want = cores if n_jobs == -1 else n_jobs
    return max(1, min(want, cores, n_tasks))
