"""The results store of a sweep: one SQLite file, every finished point committed as it completes.

Tables: ``meta`` (``name, value``: format name, schema version, kind, spec hash, number of
points, the spec, creation time and package version), ``points`` (one row per finished point:
exact ``key`` (primary key), ``idx``, ``record`` (its parameters, JSON), ``status`` (``done``,
``failed``, ``not converged``), ``error``, ``results`` (JSON), ``version``, ``seconds``,
``finished``) and ``runs`` (one row per ``run``: start, end, workers, backend, points).  Floats
go through JSON in their shortest round-trip form, so they read back bit for bit.  Only the
process that runs the sweep writes, one transaction per task, so a killed sweep leaves whole
points only.

A store is recognised positively before anything is written to it: its SQLite header carries
:data:`APPLICATION_ID` and its ``meta`` table the format name :data:`FORMAT` (stores written
before the format name existed are recognised by their exact tables and schema row).  Any other
file, an SQLite database of another program included, is refused and left as it was, byte for
byte: it is inspected read-only (:func:`check_store`).  ``status`` and ``export`` open a store
read-only, so a read-only store can still be read.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import sqlite3
import stat
import tempfile
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .._files import check_file as check_writable_file, temp_beside
from ..exceptions import ParameterError

__all__ = ["SweepStore", "STATUSES", "APPLICATION_ID", "FORMAT", "StoreCheck", "check_store",
           "check_writable_file"]

SCHEMA = "1"
STATUSES = ("done", "failed", "not converged")
#: ``spec_hash`` of a store that accepts any points (``raf simulate --out``).
OPEN = "open"
#: The SQLite ``application_id`` of a sweep store (the bytes ``RAFS``).
APPLICATION_ID = 0x52414653
#: The format name in a store's ``meta`` table.
FORMAT = "rafmodel sweep store"

_SQLITE_MAGIC = b"SQLite format 3\x00"

_DDL = """
CREATE TABLE meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE points (
    key TEXT PRIMARY KEY, idx INTEGER NOT NULL, record TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('done', 'failed', 'not converged')),
    error TEXT, results TEXT NOT NULL, version TEXT NOT NULL, seconds REAL NOT NULL, finished REAL NOT NULL);
CREATE TABLE runs (
    id INTEGER PRIMARY KEY, started REAL NOT NULL, ended REAL NOT NULL, workers INTEGER NOT NULL,
    backend TEXT NOT NULL, points INTEGER NOT NULL);
"""
#: The columns of each table of a store, in order.
_COLUMNS = {
    "meta": ("name", "value"),
    "points": ("key", "idx", "record", "status", "error", "results", "version", "seconds", "finished"),
    "runs": ("id", "started", "ended", "workers", "backend", "points"),
}


@dataclass(frozen=True)
class StoreCheck:
    """What :func:`check_store` found.

    Attributes
    ----------
    path : str
        The store file.
    exists : bool
        False for a new path (to be created).
    meta : dict
        The store's ``meta`` table (empty for a new path).
    recover : bool
        The store holds the unfinished transaction of a killed writer (its ``-journal`` file):
        a writer rolls it back; a reader reads the store as it was before that transaction.
    """

    path: str
    exists: bool
    meta: dict
    recover: bool = False


class _NotOurs(Exception):
    """A readable SQLite database that is not a sweep store (the message says why)."""


def _refuse(name: str, path: str, why: str) -> ParameterError:
    return ParameterError(name, f"{path!r} {why}; give another file (it was left as it was)")


def _ro_uri(path: str) -> str:
    return Path(os.path.abspath(path)).as_uri() + "?mode=ro"


def _verify(conn: sqlite3.Connection) -> dict[str, str]:
    """The meta table of a sweep store, or _NotOurs; reads only."""
    ok = conn.execute("PRAGMA quick_check").fetchone()[0]
    if ok != "ok":
        raise sqlite3.DatabaseError(ok)
    objects = conn.execute("SELECT type, name FROM sqlite_master").fetchall()
    tables = sorted(n for t, n in objects if t == "table")
    other = [n for t, n in objects if t != "table" and not (t == "index" and str(n).startswith("sqlite_autoindex_"))]
    if tables != sorted(_COLUMNS) or other:
        shown = ", ".join(map(str, tables[:6])) + (" ..." if len(tables) > 6 else "")
        raise _NotOurs(f"its tables ({shown or 'none'}) are not those of a sweep store"
                       + (f", and it has {len(other)} other objects (views, triggers or indexes)" if other else ""))
    for table, cols in _COLUMNS.items():
        got = tuple(r[1] for r in conn.execute(f"PRAGMA table_info({table})"))
        if got != cols:
            raise _NotOurs(f"its table {table!r} has the columns {', '.join(map(str, got))}, not those of a sweep store")
    meta = {}
    for k, v in conn.execute("SELECT name, value FROM meta"):
        meta[str(k)] = v if isinstance(v, str) else str(v)
    app = conn.execute("PRAGMA application_id").fetchone()[0]
    if app == APPLICATION_ID:
        if meta.get("format") != FORMAT:
            raise _NotOurs(f"its meta table names the format {meta.get('format')!r}, not {FORMAT!r}")
    elif "format" in meta or "schema" not in meta or "kind" not in meta or "spec_hash" not in meta:
        # a store of rafmodel 0.3 (no application_id yet): schema, kind and spec_hash from its first run
        raise _NotOurs("it has no sweep store's marks (application_id, format name)")
    return meta


def _inspect(path: str, name: str) -> tuple[dict[str, str], bool]:
    """Read-only: the meta table of the sweep store at ``path`` and whether a killed writer left a journal."""
    try:
        conn = sqlite3.connect(_ro_uri(path), uri=True, timeout=30)
    except sqlite3.Error as e:
        raise _refuse(name, path, f"cannot be opened ({e})") from None
    try:
        try:
            return _verify(conn), False
        finally:
            conn.close()
    except _NotOurs as e:
        raise _refuse(name, path, f"is an SQLite database but not a sweep store: {e}") from None
    except sqlite3.DatabaseError as e:
        if getattr(e, "sqlite_errorname", "") != "SQLITE_READONLY_ROLLBACK":
            raise _refuse(name, path, f"is damaged or not a sweep store ({e})") from None
    with _rolled_back_copy(path, name) as copy:  # a hot journal: look at a copy, rolled back
        c = sqlite3.connect(copy, isolation_level=None)
        try:
            return _verify(c), True
        except _NotOurs as e:
            raise _refuse(name, path, f"is an SQLite database but not a sweep store: {e}") from None
        except sqlite3.DatabaseError as e:
            raise _refuse(name, path, f"is damaged or not a sweep store ({e})") from None
        finally:
            c.close()


@contextlib.contextmanager
def _rolled_back_copy(path: str, name: str) -> Iterator[str]:
    """A private copy of ``path`` and its journal (which SQLite rolls back on opening it), removed on exit."""
    tmp = tempfile.mkdtemp(prefix="raf-store-")
    try:
        copy = os.path.join(tmp, "store.sqlite")
        try:
            shutil.copyfile(path, copy)
            if os.path.exists(path + "-journal"):
                shutil.copyfile(path + "-journal", copy + "-journal")
        except OSError as e:
            raise _refuse(name, path, f"cannot be read ({e.strerror or e})") from None
        yield copy
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def check_store(path: str | os.PathLike[str], *, write: bool, name: str = "store") -> StoreCheck:
    """Check, read-only and before any work, that ``path`` is a sweep store (or, to write, a new file).

    The one check behind every entry point that takes a store: :func:`~rafmodel.sweep.run_sweep`,
    :func:`~rafmodel.sweep.sweep_status`, :func:`~rafmodel.sweep.load_results`,
    :func:`~rafmodel.sweep.export_results`, ``raf sweep`` and ``raf simulate --out``.  Nothing
    is written to an existing file: it is read with a read-only connection, so a file that is not
    a store is left exactly as it was.

    Parameters
    ----------
    path : str or path-like
        The store file.
    write : bool
        The caller will write the store: a missing file is created (its folder must take new
        files) and an existing store must be writable, file and folder (SQLite keeps its journal
        beside the file).
    name : str, default="store"
        The parameter named in the error (``"out"`` for ``raf simulate --out``).

    Returns
    -------
    StoreCheck
        What was found.

    Raises
    ------
    ParameterError
        A missing file (to read), a directory or special file, an empty file, a file that is
        not SQLite, an SQLite database of another program (another ``application_id``, other
        tables, no format name), a damaged store, another schema, or (to write) a read-only
        store or folder: one line naming the file.
    """
    try:
        path = os.fspath(path)
    except TypeError:
        raise ParameterError(name, f"must be a file name, got {path!r}") from None
    if not isinstance(path, str) or not path:
        raise ParameterError(name, f"must be a file name, got {path!r}")
    try:
        st = os.stat(path)
    except FileNotFoundError:
        if not write:
            raise ParameterError(name, f"{path!r} does not exist") from None
        check_writable_file(path, name)
        return StoreCheck(path, False, {})
    except OSError as e:
        raise ParameterError(name, f"{path!r} cannot be read ({e.strerror or e})") from None
    if stat.S_ISDIR(st.st_mode):
        raise ParameterError(name, f"{path!r} is a directory; give a file name")
    if not stat.S_ISREG(st.st_mode):
        raise _refuse(name, path, "is not a regular file, not a sweep store")
    if st.st_size == 0:
        raise _refuse(name, path, "is an empty file, not a sweep store (a store is created only at a new path)")
    try:
        with open(path, "rb") as fh:
            head = fh.read(100)
    except OSError as e:
        raise ParameterError(name, f"{path!r} cannot be read ({e.strerror or e})") from None
    if len(head) < 100 or not head.startswith(_SQLITE_MAGIC):
        raise _refuse(name, path, "is not a sweep store (not an SQLite database)")
    app = int.from_bytes(head[68:72], "big")
    if app not in (0, APPLICATION_ID):
        raise _refuse(name, path, f"is the SQLite database of another program (application_id {app:#010x}), "
                                  "not a sweep store")
    if head[18] == 2 or head[19] == 2:  # write-ahead log: never a sweep store's journal mode
        raise _refuse(name, path, "is an SQLite database in WAL mode, not a sweep store")
    meta, recover = _inspect(path, name)
    if meta.get("schema") != SCHEMA:
        raise ParameterError(name, f"{path!r} has store schema {meta.get('schema')!r}; this rafmodel reads "
                                   f"schema {SCHEMA}")
    if write:
        folder = os.path.dirname(os.path.abspath(path))
        if not os.access(path, os.W_OK):
            raise ParameterError(name, f"{path!r} is read-only: it cannot take new points (raf sweep status and "
                                       "export can still read it)")
        try:
            check_writable_file(path, name)
        except ParameterError:
            raise ParameterError(name, f"{path!r} cannot take new points: its folder {folder!r} is read-only and "
                                       "SQLite keeps its journal there (raf sweep status and export can still "
                                       "read it)") from None
    return StoreCheck(path, True, meta, recover)


def _point_name(idx: Any, key: Any) -> str:
    """``point 3 (alpha=1.0, eps=0.2, lam=0.1)`` from a stored row's index and exact key."""
    try:
        _, items = json.loads(key)
        vals = []
        for k, v in items:
            if isinstance(v, str) and v.lstrip("-").startswith("0x"):
                v = float.fromhex(v)
            if k in ("alpha", "eps", "lam", "kappa", "mu1", "mustar", "d", "activation", "kernel"):
                vals.append(f"{k}={v}")
        return f"point {idx} ({', '.join(vals)})"
    except (ValueError, TypeError, RecursionError):
        return f"point {idx}"


class SweepStore:
    """A sweep's SQLite store.

    Parameters
    ----------
    path : str or path-like
        The store file.
    create : bool, default=False
        Create it if it does not exist (else a missing file is an error).
    write : bool, optional
        Open for writing (default: ``create``).  Otherwise the store is opened read-only
        and nothing can change it.
    name : str, default="store"
        The parameter named in errors.

    Raises
    ------
    ParameterError
        As :func:`check_store`: a missing file (without ``create``), a file that is not a sweep
        store, a damaged one, or (to write) a read-only one; one line naming the file, before
        anything is written.
    """

    def __init__(self, path: str | os.PathLike[str], create: bool = False, write: bool | None = None,
                 name: str = "store") -> None:
        write = create if write is None else write
        chk = check_store(path, write=write, name=name)
        if not chk.exists and not create:
            raise ParameterError(name, f"{chk.path!r} does not exist")
        self.path, self.name, self.writable = chk.path, name, write
        self._copy: Any = None
        try:
            if not chk.exists:
                self._create()
            if write:
                self.conn = sqlite3.connect(self.path, timeout=30, isolation_level=None)
                self.conn.execute("PRAGMA synchronous=FULL")
                self.meta = _verify(self.conn)  # rolls back a killed writer's journal first
                if self.conn.execute("PRAGMA application_id").fetchone()[0] != APPLICATION_ID:
                    with self._write() as c:  # a store of rafmodel 0.3: marked as ours from now on
                        c.execute(f"PRAGMA application_id = {APPLICATION_ID}")
                        c.execute("INSERT INTO meta VALUES ('format', ?)", (FORMAT,))
                    self.meta["format"] = FORMAT
            elif chk.recover:  # read the store as it was before the killed writer's transaction
                self._copy = _rolled_back_copy(self.path, name)
                copy = self._copy.__enter__()
                c = sqlite3.connect(copy)
                try:
                    c.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()  # rolls the copy's journal back
                finally:
                    c.close()
                self.conn = sqlite3.connect(_ro_uri(copy), uri=True, timeout=30, isolation_level=None)
                self.meta = chk.meta
            else:
                self.conn = sqlite3.connect(_ro_uri(self.path), uri=True, timeout=30, isolation_level=None)
                self.meta = _verify(self.conn)
        except _NotOurs as e:
            self._close_quietly()
            raise _refuse(name, self.path, f"is an SQLite database but not a sweep store: {e}") from None
        except sqlite3.DatabaseError as e:
            self._close_quietly()
            raise _refuse(name, self.path, f"is damaged or not a sweep store ({e})") from None

    def _create(self) -> None:
        """Write a new, empty store beside ``path`` and move it in place (never a half-made file)."""
        try:
            tmp = temp_beside(self.path, ".new")
        except OSError as e:
            raise ParameterError(self.name, f"cannot create {self.path!r} ({e.strerror or e})") from None
        try:
            from .. import __version__

            c = sqlite3.connect(tmp, isolation_level=None)
            try:
                c.execute(f"PRAGMA application_id = {APPLICATION_ID}")
                c.executescript("BEGIN;" + _DDL + "COMMIT;")
                c.executemany("INSERT INTO meta VALUES (?, ?)",
                              [("format", FORMAT), ("schema", SCHEMA), ("created", repr(time.time())),
                               ("version", __version__)])
            finally:
                c.close()
            try:
                os.link(tmp, self.path)  # never over a file that appeared meanwhile
            except FileExistsError:
                raise ParameterError(self.name, f"{self.path!r} was created by another program meanwhile; "
                                                "run again") from None
            except OSError:  # a file system without hard links
                os.replace(tmp, self.path)
        except sqlite3.Error as e:
            raise ParameterError(self.name, f"cannot create {self.path!r} ({e})") from None
        finally:
            for f in (tmp, tmp + "-journal"):
                with contextlib.suppress(OSError):
                    os.remove(f)

    def _close_quietly(self) -> None:
        conn = getattr(self, "conn", None)
        if conn is not None:
            with contextlib.suppress(Exception):
                conn.close()
        self._drop_copy()

    def _drop_copy(self) -> None:
        if self._copy is not None:
            self._copy.__exit__(None, None, None)
            self._copy = None

    def close(self) -> None:
        """Close the connection."""
        self.conn.close()
        self._drop_copy()

    def __enter__(self) -> SweepStore:
        """Use as a context manager (closes on exit).

        Returns
        -------
        SweepStore
            ``self``.
        """
        return self

    def __exit__(self, *exc: Any) -> None:
        """Close the store.

        Parameters
        ----------
        *exc
            The exception, if any (not suppressed).
        """
        self.close()

    @contextlib.contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One write transaction; a store that cannot be written is one line, not a traceback."""
        if not self.writable:
            raise ParameterError(self.name, f"{self.path!r} was opened read-only")
        try:
            with self.conn:
                self.conn.execute("BEGIN IMMEDIATE")
                yield self.conn
        except sqlite3.OperationalError as e:
            raise ParameterError(self.name, f"cannot write {self.path!r} ({e}); the points stored before are "
                                            "kept") from None

    def bind(self, kind: str, spec_hash: str, n_points: int, spec: dict[str, Any]) -> None:
        """Tie a new store to a spec, or check that an existing one holds the same spec.

        Parameters
        ----------
        kind : str
            ``"theory"`` or ``"simulate"``.
        spec_hash : str
            :attr:`SweepSpec.spec_hash`, or ``"open"`` for a store that takes any points.
        n_points : int
            Points of the spec.
        spec : dict
            The spec's options, kept for ``status``.

        Raises
        ------
        ParameterError
            The store holds another spec (or another kind of store), or cannot be written.
        """
        if "kind" in self.meta:
            old = self.meta.get("spec_hash")
            if old != spec_hash or self.meta.get("kind") != kind:
                what = "any points (raf simulate --out)" if old == OPEN else f"spec {str(old)[:12]}"
                this = "raf simulate --out" if spec_hash == OPEN else f"spec {spec_hash[:12]}"
                raise ParameterError(self.name, f"{self.path!r} holds the points of another sweep "
                                                f"({self.meta.get('kind')}, {what}), not of this {kind} {this}; "
                                                "give another store file, or the spec it was made with")
            return
        meta = {"kind": kind, "spec_hash": spec_hash, "n_points": str(n_points),
                "spec": json.dumps(spec, sort_keys=True)}
        with self._write() as c:
            c.executemany("INSERT OR REPLACE INTO meta VALUES (?, ?)", meta.items())
        self.meta = {**self.meta, **meta}

    def finished_keys(self) -> set[str]:
        """Keys of the points stored.

        Returns
        -------
        set of str
            Every stored point (done, failed or not converged), damaged ones included.
        """
        return {k for (k,) in self.conn.execute("SELECT key FROM points")}

    def damaged(self, keys: set[str] | None = None) -> list[tuple[int, str]]:
        """Stored points whose parameters or results cannot be read (not JSON objects).

        Parameters
        ----------
        keys : set of str, optional
            Only these.

        Returns
        -------
        list of tuple
            ``(idx, key)`` of each, in the spec's order.
        """
        out = []
        for key, idx, rec, res in self.conn.execute("SELECT key, idx, record, results FROM points ORDER BY idx, key"):
            if keys is not None and key not in keys:
                continue
            if _parse(rec) is None or _parse(res) is None:
                out.append((idx, key))
        return out

    def forget_failed(self) -> int:
        """Remove the failed points, so that the next run computes them again.

        Returns
        -------
        int
            Points removed.
        """
        with self._write() as c:
            return c.execute("DELETE FROM points WHERE status = 'failed'").rowcount

    def start_run(self, workers: int, backend: str) -> int:
        """Record the start of a run.

        Parameters
        ----------
        workers : int
            Processes or Dask workers.
        backend : str
            ``"local"`` or ``"dask"``.

        Returns
        -------
        int
            The run's id.
        """
        now = time.time()
        with self._write() as c:
            cur = c.execute("INSERT INTO runs (started, ended, workers, backend, points) VALUES (?, ?, ?, ?, 0)",
                            (now, now, workers, backend))
        return int(cur.lastrowid)

    def commit(self, rows: Iterable[dict[str, Any]], run: int | None = None, replace: set[str] | None = None) -> int:
        """Store finished points, all in one transaction.

        Parameters
        ----------
        rows : iterable of dict
            ``key, idx, record, status, error, results, version, seconds``.
        run : int, optional
            The run (from :meth:`start_run`) whose point count and end time to update.
        replace : set of str, optional
            Keys whose stored row is replaced (damaged rows computed again); any other key
            already stored (e.g. from a retried Dask task) is ignored.

        Returns
        -------
        int
            Points added or replaced.
        """
        now = time.time()
        replace = replace or set()
        vals = [(r["key"], r["idx"], json.dumps(r["record"]), r["status"], r["error"], json.dumps(r["results"]),
                 r["version"], float(r["seconds"]), now) for r in rows]
        with self._write() as c:
            before = c.total_changes
            c.executemany("INSERT OR IGNORE INTO points VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                          [v for v in vals if v[0] not in replace])
            c.executemany("INSERT OR REPLACE INTO points VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                          [v for v in vals if v[0] in replace])
            added = c.total_changes - before
            if run is not None:
                c.execute("UPDATE runs SET ended = ?, points = points + ? WHERE id = ?", (now, added, run))
        return added

    def rows(self, keys: set[str] | None = None) -> list[dict[str, Any]]:
        """The stored points.

        Parameters
        ----------
        keys : set of str, optional
            Only these.

        Returns
        -------
        list of dict
            ``key, idx, record, status, error, results, version, seconds`` (``record`` and
            ``results`` as dicts), in the spec's order.

        Raises
        ------
        ParameterError
            Some of these points are damaged (parameters or results that are not JSON): one
            line naming the first and how many; running the sweep again computes them again.
        """
        out, bad = [], []
        cur = self.conn.execute("SELECT key, idx, record, status, error, results, version, seconds FROM points "
                                "ORDER BY idx, key")
        for key, idx, rec, status, error, res, version, seconds in cur:
            if keys is not None and key not in keys:
                continue
            rec, res = _parse(rec), _parse(res)
            if rec is None or res is None:
                bad.append((idx, key))
                continue
            out.append({"key": key, "idx": idx, "record": rec, "status": status, "error": error,
                        "results": res, "version": version, "seconds": seconds})
        if bad:
            more = f" and {len(bad) - 1} more" if len(bad) > 1 else ""
            raise ParameterError(self.name, f"{self.path!r}: {_point_name(*bad[0])}{more} "
                                            f"{'is' if len(bad) == 1 else 'are'} damaged (stored values "
                                            "that are not JSON); the same raf sweep run (or raf simulate --out) "
                                            "computes them again, keeping the other points")
        return out

    def counts(self) -> dict[str, int]:
        """Stored points by status.

        Returns
        -------
        dict of str to int
            ``{"done": ..., "failed": ..., "not converged": ...}``.
        """
        out = dict.fromkeys(STATUSES, 0)
        out.update(dict(self.conn.execute("SELECT status, COUNT(*) FROM points GROUP BY status")))
        return out

    def seconds(self) -> float:
        """Compute time of the stored points, summed.

        Returns
        -------
        float
            Seconds.
        """
        return float(self.conn.execute("SELECT COALESCE(SUM(seconds), 0) FROM points").fetchone()[0])

    def runs(self) -> list[dict[str, Any]]:
        """The runs so far.

        Returns
        -------
        list of dict
            ``started, ended, workers, backend, points``, oldest first.
        """
        cur = self.conn.execute("SELECT started, ended, workers, backend, points FROM runs ORDER BY id")
        return [dict(zip(("started", "ended", "workers", "backend", "points"), r)) for r in cur]


def _parse(text: Any) -> dict[str, Any] | None:
    """A stored JSON object, or None where it is not one."""
    if not isinstance(text, (str, bytes)):
        return None
    try:
        v = json.loads(text)
    except (ValueError, RecursionError):
        return None
    return v if isinstance(v, dict) else None
