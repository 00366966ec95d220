"""Worker processes for the parallel parts of rafmodel: the one pool that ends with the command.

:func:`worker_pool` is a pool of spawned processes that die with their parent (even on
SIGKILL) and stop on Ctrl-C; :func:`effective_jobs` turns ``n_jobs`` into a number of
processes.  The theory (:func:`rafmodel.solve_many`), the simulations and the sweeps use them.

The workers do not run the user's script.  Python's ``spawn`` start method imports the
parent's ``__main__`` module in every worker, so that a script calling ``rm.simulate(...,
n_jobs=2)`` at its top level, without ``if __name__ == "__main__":``, would start the
simulation again in each worker and fail ("An attempt has been made to start a new process
before the current process has finished its bootstrapping phase").  rafmodel's tasks are
functions of rafmodel on picklable settings, so the workers are started without the
parent's ``__main__`` (:class:`_ScriptFreeProcess`): the quickstart runs as a script, in a
notebook and in an interactive session alike.  Only when a task carries an object whose class
or function is defined in ``__main__`` (a user's own loss or learner, written in the
script or notebook) do the workers need it; then the ordinary ``spawn`` is used, and where it
cannot work one line says what to do (:func:`_main_check`).
"""

from __future__ import annotations

import contextlib
import os
import pickle
import signal
import sys
import threading
import types
from multiprocessing import context as _mp_context

from ._validation import CONSTRAINTS, NONNEGATIVE_INT, validate_params
from .exceptions import ParameterError

__all__ = ["worker_pool", "effective_jobs"]

_GUARD_HINT = ("put the script's top-level code under `if __name__ == \"__main__\":`, "
               "define the loss or learner in an importable module, or use n_jobs=1")


class _ScriptFreeProcess(_mp_context.SpawnProcess):
    """A spawned process that does not import the parent's ``__main__`` module.

    ``spawn`` reads ``sys.modules["__main__"]`` when it starts a process, to tell the child
    which script or module to import first; for the moment of the start it sees a bare module
    instead, so the child imports nothing of the user's.  Used only when no task refers to
    ``__main__`` (:func:`_refers_to_main`), so nothing the child receives needs it.
    """

    _lock = threading.Lock()

    @staticmethod
    def _Popen(process_obj):
        with _ScriptFreeProcess._lock, _sigint_blocked():
            main = sys.modules.get("__main__")
            sys.modules["__main__"] = types.ModuleType("__main__")
            try:
                return _mp_context.SpawnProcess._Popen(process_obj)
            finally:
                if main is None:
                    del sys.modules["__main__"]
                else:
                    sys.modules["__main__"] = main


@contextlib.contextmanager
def _sigint_blocked():
    """Defer Ctrl-C while a worker is started, so that the worker starts with it blocked.

    A worker inherits the signal mask: a Ctrl-C sent to the whole process group while the
    worker still imports its modules then waits, and is discarded once :func:`_worker_init`
    ignores it (the parent handles Ctrl-C), instead of printing the worker's traceback.  In
    the parent the signal is only deferred, never lost: a Ctrl-C that arrives meanwhile (on
    another thread) is raised again, with the handler restored, once the worker has its data.
    """
    block = getattr(signal, "pthread_sigmask", None)
    if block is None or threading.current_thread() is not threading.main_thread():
        yield  # only the main thread may set handlers; elsewhere Ctrl-C is not deferred
        return
    pending = []
    handler = signal.signal(signal.SIGINT, lambda signum, frame: pending.append(signum))
    old = block(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        yield
    finally:
        block(signal.SIG_SETMASK, old)
        signal.signal(signal.SIGINT, handler)
        if pending:
            signal.raise_signal(signal.SIGINT)


class _ScriptFreeContext(_mp_context.SpawnContext):
    """The ``spawn`` context with :class:`_ScriptFreeProcess` as its process."""

    Process = _ScriptFreeProcess


class _Discard:
    """A file that keeps nothing (the payload's bytes are not needed, only what it refers to)."""

    def write(self, data):
        return len(data)


class _MainFinder(pickle.Pickler):
    """Pickles into nothing, noting whether any object's class or function lives in ``__main__``."""

    def __init__(self):
        super().__init__(_Discard(), protocol=pickle.HIGHEST_PROTOCOL)
        self.found = None

    def persistent_id(self, obj):
        if self.found is None:
            owner = obj if isinstance(obj, (type, types.FunctionType)) else type(obj)
            if getattr(owner, "__module__", None) == "__main__":
                self.found = getattr(owner, "__qualname__", repr(owner))
        return None


def _refers_to_main(payload):
    """The name of the first class or function of ``__main__`` that ``payload`` carries, or ``None``.

    An object that cannot be pickled at all is left for the pool to report as it would.
    """
    finder = _MainFinder()
    try:
        finder.dump(payload)
    except Exception:  # noqa: BLE001 - not picklable: the pool raises its own error on submit
        return finder.found
    return finder.found


def _main_check(name):
    """Refuse, in one line, a payload with ``__main__``'s object ``name`` where workers cannot import it.

    An interactive session or notebook has no file the workers could import.
    """
    main = sys.modules.get("__main__")
    if getattr(main, "__file__", None) is None and getattr(getattr(main, "__spec__", None), "name", None) is None:
        raise ParameterError("n_jobs", f"{name} is defined in this interactive session, where worker processes "
                                       "cannot find it; define it in an importable module or use n_jobs=1")


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
def worker_pool(jobs, payload=()):
    """A pool of ``jobs`` spawned worker processes that end with the command.

    The workers die with this process, even on SIGKILL (``PR_SET_PDEATHSIG`` on Linux,
    see :func:`_worker_init`); on Ctrl-C or an error in the block, pending tasks are
    cancelled and the workers killed. Used by the theory, the simulations and the sweeps.

    Parameters
    ----------
    jobs : int
        Worker processes.
    payload : object
        What the tasks will carry (settings, data sources). Where nothing in it is defined in
        ``__main__``, the workers start without importing the parent's script, so that
        scripts need no ``if __name__ == "__main__":`` guard (see the module's docstring).

    Raises
    ------
    ParameterError
        The payload carries a class or function defined in an interactive session (workers
        cannot import it), or the workers could not import the parent's script.
    """
    import multiprocessing as mp
    from concurrent.futures import ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool

    if getattr(mp.current_process(), "_inheriting", False):
        # a worker importing the parent's script, which starts workers from its top level: the
        # parent reports it (BrokenProcessPool -> ParameterError below); this worker just stops
        sys.stderr.write(f"rafmodel: a worker process cannot run this script's top level: {_GUARD_HINT}\n")
        sys.stderr.flush()
        os._exit(2)
    in_main = _refers_to_main(payload)
    if in_main is None:
        ctx = _ScriptFreeContext()
    else:
        _main_check(in_main)
        ctx = mp.get_context("spawn")
    pool = ProcessPoolExecutor(max_workers=jobs, mp_context=ctx, initializer=_worker_init,
                               initargs=(os.getpid(),))
    try:
        yield pool
    except BrokenProcessPool:
        _kill(pool)
        if in_main is not None:
            raise ParameterError("n_jobs", f"worker processes could not start with {in_main}, defined in the "
                                           f"script: {_GUARD_HINT}") from None
        raise
    except BaseException:
        _kill(pool)
        raise
    pool.shutdown()


def _kill(pool):
    """Cancel the pending tasks and kill the workers."""
    procs = list((getattr(pool, "_processes", None) or {}).values())  # None once shut down
    pool.shutdown(wait=False, cancel_futures=True)
    for proc in procs:
        proc.kill()


@validate_params({"n_jobs": CONSTRAINTS["simulate"]["n_jobs"], "n_tasks": NONNEGATIVE_INT})
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
        ``n_jobs`` is not a positive integer, ``-1`` or ``None`` (the simulations' constraint), or
        ``n_tasks`` is not a nonnegative integer.
    """
    n_jobs = n_jobs or 1
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        cores = os.cpu_count() or 1
    want = cores if n_jobs == -1 else n_jobs
    return max(1, min(want, cores, n_tasks))
