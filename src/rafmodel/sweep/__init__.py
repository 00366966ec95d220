"""Sweeps at scale: a spec, a resumable SQLite store, local processes or a Dask cluster.

:func:`run_sweep` computes the points of a spec (:func:`load_spec`: a TOML file with the
command line's option names) that its store does not hold yet, committing each finished
point as it completes; :func:`sweep_status` counts done / failed / pending points;
:func:`load_results` returns the stored points as a pandas DataFrame in the package
vocabulary, sorted by parameters.  A point's numbers do not depend on how the sweep is run:
alone, resumed, with any number of processes, or on Dask.

Examples
--------
>>> import os, tempfile
>>> from rafmodel.sweep import run_sweep, sweep_status
>>> spec = {"kind": "theory", "learner": "linear", "loss": "square", "alpha": [1, 2], "eps": 0.2, "lam": 0.1}
>>> store = os.path.join(tempfile.mkdtemp(), "s.sqlite")
>>> df = run_sweep(spec, store, progress=False)
>>> list(df["alpha"]), list(df["status"])
([1.0, 2.0], ['done', 'done'])
>>> sweep_status(store).pending
0
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import sys
import warnings
from dataclasses import dataclass
from typing import Any

from ..exceptions import ParameterError
from .spec import Point, SweepSpec, load_spec, point_key
from .._deprecation import renamed
from .._files import atomic_write
from .store import OPEN, SweepStore, _point_name, check_store, check_writable_file

__all__ = ["run_sweep", "sweep_status", "load_results", "export_results", "simulate_into_store", "simulate_to_file",
           "export_frame_to_csv", "load_spec", "SweepSpec", "SweepStatus", "SweepStore", "StoreWarning",
           "check_store", "check_writable_file", "check_output_file", "Point", "point_key"]


class StoreWarning(UserWarning):
    """Damaged points of a store that a run computes again (the other points are kept)."""

#: Columns that identify a point, in the order exports sort by.
PARAM_COLUMNS = ("model", "loss", "activation", "kernel", "bandwidth", "degree", "offset", "alpha", "eps", "lam",
                 "kappa", "mu1", "mustar", "d", "seeds", "n_test", "seed")
_LEAD = ("m", "q", "V", "gen_error", "mem_error", "rule_error")
_TAIL = ("status", "error", "version", "seconds")


@dataclass(frozen=True)
class SweepStatus:
    """Where a sweep stands.

    Attributes
    ----------
    store : str
        The store file.
    kind : str
        ``"theory"`` or ``"simulate"``.
    spec_hash : str
        The spec's hash (``"open"`` for a ``raf simulate --out`` store).
    total : int or None
        Points of the spec (None for an open store).
    done, failed, not_converged : int
        Stored points by status.
    pending : int or None
        Points not yet stored.
    seconds : float
        Compute time of the stored points, summed over workers.
    wall : float
        Wall time of the runs so far.
    eta : float or None
        Estimated wall time left, at the last run's rate (None if unknown).
    damaged : int
        Stored points whose values cannot be read (counted in ``done``, ``failed`` ...
        by their stored status); the next run computes them again.
    """

    store: str
    kind: str
    spec_hash: str
    total: int | None
    done: int
    failed: int
    not_converged: int
    pending: int | None
    seconds: float
    wall: float
    eta: float | None
    damaged: int = 0

    def summary(self) -> str:
        """A few lines for the terminal.

        Returns
        -------
        str
            Points by status, time spent and estimated time left.
        """
        spec = "any points (raf simulate --out)" if self.spec_hash == OPEN else f"spec {self.spec_hash[:12]}"
        stored = self.done + self.failed + self.not_converged
        total = self.total if self.total is not None else stored
        lines = [f"store    {self.store} ({self.kind}, {spec})",
                 f"points   {total}: {self.done} done, {self.failed} failed, {self.not_converged} not converged, "
                 f"{self.pending if self.pending is not None else 0} pending",
                 f"time     {_duration(self.wall)} wall, {_duration(self.seconds)} of compute"]
        if self.damaged:
            lines.append(f"damaged  {self.damaged} points whose stored values cannot be read; the same run "
                         "computes them again")
        if self.pending:
            lines.append(f"left     {'~' + _duration(self.eta) if self.eta is not None else 'unknown'}"
                         " (at the last run's rate)")
        return "\n".join(lines)


def _duration(s: float) -> str:
    if s < 100:
        return f"{s:.1f} s"
    if s < 6000:
        return f"{s / 60:.1f} min"
    return f"{s / 3600:.1f} h"


def _open_store(store: str | os.PathLike[str] | SweepStore, create: bool = False) -> tuple[SweepStore, bool]:
    """A store to read (opened read-only), or to write with ``create``; one passed in is used as is."""
    if isinstance(store, SweepStore):
        return store, False
    return SweepStore(store, create=create), True


def _check_run_options(jobs: int | None, scheduler: Any) -> None:
    """Refuse bad ``n_jobs`` / ``scheduler`` before a store is opened or created."""
    from .._parallel import effective_jobs

    if jobs is not None and scheduler is not None and jobs not in (1, None):
        raise ParameterError("n_jobs", "give either n_jobs (local processes) or scheduler (Dask), not both")
    effective_jobs(jobs, 1)  # validates


def run_sweep(spec: str | os.PathLike[str] | dict[str, Any] | SweepSpec, store: str | os.PathLike[str],
              *, n_jobs: int | None = 1, scheduler: Any = None, progress: bool | None = None,
              retry_failed: bool = False, **deprecated: Any) -> Any:
    """Compute the points of ``spec`` that ``store`` does not hold yet, and return every point.

    Parameters
    ----------
    spec : str, path-like, dict or SweepSpec
        A TOML spec file or its table (see :func:`load_spec`).
    store : str or path-like
        The SQLite store (created if absent).  A store made for another spec is refused.
    n_jobs : int, optional
        Local processes (1: this process; -1: all cores; capped at the cores and tasks).
    scheduler : str, cluster or Client, optional
        Run on Dask instead: a scheduler address ``tcp://HOST:PORT``, a ``LocalCluster``
        or a ``Client`` (needs ``rafmodel[dask]``).
    progress : bool, optional
        A progress bar with ETA on stderr (default: on a terminal).
    retry_failed : bool, default=False
        Compute the failed points again (they are kept as failed otherwise).
    **deprecated
        ``jobs``, the name of ``n_jobs`` before 0.5: it works until 0.6, with a
        :class:`DeprecationWarning`.

    Returns
    -------
    pandas.DataFrame
        The spec's points, as :func:`load_results`.

    Raises
    ------
    ParameterError
        A bad spec, a bad ``n_jobs``, Dask missing or unreachable, a store that is not a sweep
        store (left as it was), a damaged or read-only store: before any work, and before the
        store is created.

    Warns
    -----
    StoreWarning
        Stored points whose values cannot be read: they are computed again.
    """
    jobs = renamed("run_sweep", deprecated, {"jobs": "n_jobs"}, {"n_jobs": n_jobs}, {"n_jobs": 1})["n_jobs"]
    spec = load_spec(spec)
    _check_run_options(jobs, scheduler)
    if not isinstance(store, SweepStore):
        check_store(store, write=True)
    client = owned_client = None
    if scheduler is not None:
        from .executors import dask_client

        client, owned_client = dask_client(scheduler)
    try:
        st, owned = _open_store(store, create=True)
        try:
            st.bind(spec.kind, spec.spec_hash, len(spec.points), spec.options)
            _run(spec.tasks, {p.key: p for p in spec.points}, st, jobs=jobs, client=client, progress=progress,
                 retry_failed=retry_failed)
            return load_results(st, keys={p.key for p in spec.points})
        finally:
            if owned:
                st.close()
    finally:
        if owned_client:
            client.close()


def _run(make_tasks: Any, points: dict[str, Point], st: SweepStore, *, jobs: int | None, client: Any,
         progress: bool | None, retry_failed: bool = False, on_rows: Any = None) -> int:
    """Run the pending points of ``points`` into ``st`` (on Dask with ``client``); returns the points computed."""
    from .._parallel import effective_jobs

    damaged = st.damaged(set(points))
    if damaged:
        more = f" and {len(damaged) - 1} more" if len(damaged) > 1 else ""
        warnings.warn(f"{st.path!r}: {_point_name(*damaged[0])}{more} {'is' if len(damaged) == 1 else 'are'} "
                      "damaged (stored values that are not JSON); computing again", StoreWarning, stacklevel=3)
    replace = {k for _, k in damaged}
    if retry_failed:
        st.forget_failed()
    pending = set(points) - (st.finished_keys() - replace)
    tasks = make_tasks(pending)
    n_pending = sum(len(t[1]) for t in tasks)
    if client is not None:
        from .executors import dask_workers

        workers, backend = dask_workers(client), "dask"
    else:
        workers, backend = effective_jobs(jobs, max(1, len(tasks))), "local"
    bar = None
    if progress is None:
        progress = sys.stderr.isatty()
    if progress and n_pending:
        from tqdm.auto import tqdm

        bar = tqdm(total=n_pending, desc="sweep", unit="pt", file=sys.stderr, smoothing=0.05)
    run = st.start_run(workers, backend) if n_pending else None

    def commit(rows: list) -> None:
        for r in rows:
            p = points[r["key"]]
            r["idx"], r["record"] = p.index, p.record
        st.commit(rows, run, replace=replace)
        if on_rows is not None:
            on_rows(rows)
        if bar is not None:
            bar.update(len(rows))

    try:
        if not tasks:
            return 0
        if client is not None:
            from .executors import run_dask

            run_dask(tasks, client, commit)
        else:
            from .executors import run_local

            run_local(tasks, workers, commit)
    finally:
        if bar is not None:
            bar.close()
    return n_pending


def _frame(rows: list[dict[str, Any]], sort: bool = True) -> Any:
    import pandas as pd

    recs = []
    for r in rows:
        rec = dict(r["record"])
        rec.update(r["results"])
        rec.update(status=r["status"], error=r["error"], version=r["version"], seconds=r["seconds"])
        recs.append(rec)
    cols: list[str] = []
    for rec in recs:
        for k in rec:
            if k not in cols:
                cols.append(k)
    sim = any("d" in r["record"] for r in rows)
    for c in _LEAD + (tuple(f"{m}_se" for m in _LEAD if m != "V") + ("failed",) if sim else ()):
        if c not in cols and not (sim and c == "V"):
            cols.append(c)  # a point that raised has no results: its values are nan
    params = [c for c in PARAM_COLUMNS if c in cols]
    lead = [c for c in _LEAD if c in cols]
    rest = [c for c in cols if c not in params and c not in lead and c not in _TAIL]
    rest.sort(key=lambda c: (c.removesuffix("_se"), c.endswith("_se")))
    lead_se = []
    for c in lead:
        lead_se += [c] + ([c + "_se"] if c + "_se" in rest else [])
    rest = [c for c in rest if c not in lead_se]
    order = params + lead_se + rest + list(_TAIL)
    df = pd.DataFrame.from_records(recs, columns=order)
    if len(df) and sort:
        df = df.sort_values(params, kind="mergesort", na_position="first").reset_index(drop=True)
    return df


def load_results(store: str | os.PathLike[str] | SweepStore, *, keys: set[str] | None = None) -> Any:
    """The stored points as a DataFrame, sorted by parameters.

    Parameters
    ----------
    store : str, path-like or SweepStore
        The store.
    keys : set of str, optional
        Only these points.

    Returns
    -------
    pandas.DataFrame
        One row per point: the parameters (``model, loss, activation | kernel ..., alpha, eps,
        lam, kappa, mu1, mustar``; simulations ``d, seeds, n_test, seed``), the results
        (``m, q, V, gen_error, mem_error, rule_error``, simulations with ``*_se`` and
        ``failed``), then ``status`` (``done``, ``failed``, ``not converged``), ``error``,
        ``version``, ``seconds``.  Failed and non-converged points carry ``nan`` values.

    Raises
    ------
    ParameterError
        A missing file, a file that is not a sweep store (left as it was), a damaged store or
        damaged points (one line naming the first).  The store is opened read-only.
    """
    st, owned = _open_store(store)
    try:
        with _reading(st):
            return _frame(st.rows(keys))
    finally:
        if owned:
            st.close()


@contextlib.contextmanager
def _reading(st: SweepStore) -> Any:
    """Reads of a store: an SQLite error (e.g. the store changed under us) is one line, not a traceback."""
    try:
        yield
    except sqlite3.Error as e:
        raise ParameterError("store", f"cannot read {st.path!r} ({e}); try again") from None


def export_results(store: str | os.PathLike[str], out: str | os.PathLike[str] | None = None,
                   format: str | None = None) -> Any:
    """Write the stored points as CSV or Parquet.

    Parameters
    ----------
    store : str or path-like
        The store (opened read-only: a read-only store can be exported).
    out : str or path-like, optional
        The file (default: return the CSV text).  Written whole or not at all: a temporary file
        beside it, renamed over it once complete.
    format : {"csv", "parquet"}, optional
        Default: from ``out``'s extension, else CSV.

    Returns
    -------
    str or None
        The CSV text when ``out`` is None.

    Raises
    ------
    ParameterError
        A bad format, Parquet without ``out`` or without pyarrow, a bad store; an ``out``
        that is a directory, in a missing or read-only folder, read-only, or the store itself;
        before any work.
    """
    if format is None:
        format = "parquet" if out is not None and os.fspath(out).lower().endswith(".parquet") else "csv"
    if format not in ("csv", "parquet"):
        raise ParameterError("format", f"must be csv or parquet, got {format!r}")
    if format == "parquet":
        if out is None:
            raise ParameterError("out", "parquet needs a file (--out FILE.parquet)")
        try:
            import pyarrow  # noqa: F401
        except ImportError:
            raise ParameterError("format", "parquet needs pyarrow; install it with pip install 'rafmodel[dask]'") from None
    check_store(store, write=False)
    if out is not None:
        out = check_output_file(out, store)
    df = load_results(store)
    if format == "parquet":
        atomic_write(out, lambda tmp: df.to_parquet(tmp, index=False))
        return None
    text = df.to_csv(index=False, float_format=None, lineterminator="\n")
    if out is None:
        return text

    def write(tmp: str) -> None:
        with open(tmp, "w", newline="") as fh:
            fh.write(text)

    atomic_write(out, write)
    return None


def check_output_file(out: str | os.PathLike[str], *stores: str | os.PathLike[str]) -> str:
    """Check, before any work, that ``out`` can be written and is none of ``stores``.

    Parameters
    ----------
    out : str or path-like
        The file to write (as :func:`check_writable_file`).
    *stores : str or path-like
        Files it must not be, also under another name (a link).

    Returns
    -------
    str
        ``out`` as a string.

    Raises
    ------
    ParameterError
        ``out`` (named ``"out"``) cannot be written, or is one of ``stores``.
    """
    out = check_writable_file(out, "out")
    for store in stores:
        store = os.fspath(store)
        same = os.path.realpath(out) == os.path.realpath(store)
        if not same and os.path.exists(out) and os.path.exists(store):
            with contextlib.suppress(OSError):
                same = os.path.samefile(out, store)
        if same:
            raise ParameterError("out", f"{out!r} is the store itself ({store!r}); give another file")
    return out


def export_frame_to_csv(df: Any, out: str | os.PathLike[str]) -> None:
    """Write a results DataFrame as CSV, atomically (a temporary file renamed over ``out``).

    Parameters
    ----------
    df : pandas.DataFrame
        From :func:`load_results`.
    out : str or path-like
        The CSV file.

    Raises
    ------
    ParameterError
        The file cannot be written (nothing is left half written).
    """
    atomic_write(os.fspath(out), lambda tmp: df.to_csv(tmp, index=False, lineterminator="\n"))


def simulate_into_store(settings: list[Any], store: str | os.PathLike[str], *, d: int = 500, seeds: int = 4,
                        n_test: int = 10_000, seed: int = 0, n_jobs: int | None = 1, progress: bool | None = None,
                        on_update: Any = None, **deprecated: Any) -> tuple[Any, int]:
    """Simulate settings into an open store (any points, as ``raf simulate --out``), reading back those stored.

    Parameters
    ----------
    settings : list of Setting
        The points.
    store : str or path-like
        The store (created if absent; a store of ``raf sweep``, and any file that is not a
        sweep store, is refused and left as it was).
    d, seeds, n_test, seed : int
        As for :func:`rafmodel.simulate`.
    n_jobs : int, optional
        Local processes over the points.
    progress : bool, optional
        A progress bar on stderr.
    on_update : callable, optional
        Called with the DataFrame of the points stored so far (in ``settings`` order) at the
        start and after every finished point.
    **deprecated
        ``jobs``, the name of ``n_jobs`` before 0.5: it works until 0.6, with a
        :class:`DeprecationWarning`.

    Returns
    -------
    tuple
        ``(DataFrame of every point in settings order, points computed now)``.

    Raises
    ------
    ParameterError
        Bad sizes, a foreign, damaged or read-only store (as :func:`check_store`), before any work.
    """
    from ..simulation import check_simulation
    from .spec import _record

    jobs = renamed("simulate_into_store", deprecated, {"jobs": "n_jobs"}, {"n_jobs": n_jobs},
                   {"n_jobs": 1})["n_jobs"]
    check_simulation(settings, d=d, seeds=seeds, n_test=n_test, seed=seed, n_jobs=jobs)
    extra = {"d": d, "seeds": seeds, "n_test": n_test, "seed": seed}
    points = []
    for s in settings:
        rec = _record(s, extra)
        points.append(Point(len(points), s, rec, point_key("simulate", rec)))
    keys = [p.key for p in points]
    if len(set(keys)) != len(keys):
        raise ParameterError("alpha", "some points are given twice (a repeated value in a list)")
    spec = SweepSpec("simulate", {}, points)
    order = {k: i for i, k in enumerate(keys)}
    check_store(store, write=True)
    with SweepStore(store, create=True) as st:
        st.bind("simulate", OPEN, 0, {})

        def frame() -> Any:
            rows = st.rows(set(keys))
            rows.sort(key=lambda r: order[r["key"]])
            for r in rows:  # the index in this command, not in the first command that stored it
                r["idx"] = order[r["key"]]
            return _frame(rows, sort=False)

        if on_update is not None:
            on_update(frame())
        update = None if on_update is None else (lambda rows: on_update(frame()))
        computed = _run(spec.tasks, {p.key: p for p in points}, st, jobs=jobs, client=None, progress=progress,
                        on_rows=update)
        return frame(), computed


def simulate_to_file(settings: list[Any], path: str | os.PathLike[str], *, d: int = 500, seeds: int = 4,
                     n_test: int = 10_000, seed: int = 0, n_jobs: int | None = 1, progress: bool | None = None,
                     name: str = "path") -> tuple[Any, int, str]:
    """Simulate settings into the store behind a file, as ``raf simulate --out``; stored points are read back.

    ``FILE.csv`` keeps the store in ``FILE.csv.sqlite`` and is rewritten (atomically, these
    settings' points only) after every point; ``FILE.sqlite`` (or ``.db``) is the store itself.
    The store is checked as every store is (:func:`check_store`): a file that is not a sweep
    store is refused and left as it was, before any work.

    Parameters
    ----------
    settings : list of Setting
        The points.
    path : str or path-like
        ``FILE.csv``, ``FILE.sqlite`` or ``FILE.db``.
    d, seeds, n_test, seed, n_jobs, progress
        As for :func:`simulate_into_store`.
    name : str, default="path"
        The parameter that errors name (``"out"`` for the command line).

    Returns
    -------
    tuple
        ``(DataFrame of every point in settings order, points computed now, the store's path)``.

    Raises
    ------
    ParameterError
        Another extension, a file that cannot be written, a CSV file without its store (of
        rafmodel < 0.3 or of another program), and whatever :func:`simulate_into_store`
        refuses, before any work; named ``name``.
    """
    from .._files import check_file

    path = check_file(path, name, ("csv", "sqlite", "db"))
    store = path if path.lower().endswith((".sqlite", ".db")) else path + ".sqlite"
    csv_out = None if store == path else path
    try:
        check_store(store, write=True, name=name)
        if csv_out:
            check_output_file(csv_out, store)
            if os.path.exists(csv_out) and os.path.getsize(csv_out) > 0 and not os.path.exists(store):
                raise ParameterError(name, f"{csv_out!r} exists without its store {store!r} (a file of rafmodel "
                                           "< 0.3 or of another program): give a new file or remove it")
        on_rows = (lambda df: export_frame_to_csv(df, csv_out)) if csv_out else None
        df, computed = simulate_into_store(settings, store, d=d, seeds=seeds, n_test=n_test, seed=seed,
                                           n_jobs=n_jobs, progress=progress, on_update=on_rows)
    except ParameterError as e:
        if e.param not in ("store", "out") or e.param == name:
            raise
        raise ParameterError(name, str(e).split(": ", 1)[-1]) from None
    return df, computed, store


def sweep_status(store: str | os.PathLike[str]) -> SweepStatus:
    """Points done, failed and pending, time spent and estimated time left.

    Parameters
    ----------
    store : str or path-like
        The store.

    Returns
    -------
    SweepStatus
        The counts and times.

    Raises
    ------
    ParameterError
        A missing file, a file that is not a sweep store (left as it was), a damaged store, or
        one that no sweep has started.  The store is opened read-only.
    """
    with SweepStore(store) as st, _reading(st):
        if "kind" not in st.meta:
            raise ParameterError("store", f"{st.path!r} holds no sweep yet")
        c = st.counts()
        stored = sum(c.values())
        try:
            total = None if st.meta["spec_hash"] == OPEN else int(st.meta["n_points"])
        except (KeyError, ValueError):
            raise ParameterError("store", f"{st.path!r} is damaged (its meta table has no number of points); "
                                          "give another file") from None
        pending = None if total is None else max(0, total - stored)
        runs = st.runs()
        wall = sum(r["ended"] - r["started"] for r in runs)
        eta = None
        if pending:
            last = next((r for r in reversed(runs) if r["points"]), None)
            if last is not None and last["ended"] > last["started"]:
                eta = pending * (last["ended"] - last["started"]) / last["points"]
            elif stored:
                eta = pending * st.seconds() / stored
        return SweepStatus(st.path, st.meta["kind"], st.meta["spec_hash"], total, c["done"], c["failed"],
                           c["not converged"], pending, st.seconds(), wall, eta, len(st.damaged()))

