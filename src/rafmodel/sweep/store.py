"""The results store of a sweep: one SQLite file, every finished point committed as it completes.

Tables: ``meta`` (``name, value``: schema version, kind, spec hash, number of points, the spec,
creation time and package version), ``points`` (one row per finished point: exact ``key``
(primary key), ``idx``, ``record`` (its parameters, JSON), ``status`` (``done``, ``failed``,
``not converged``), ``error``, ``results`` (JSON), ``version``, ``seconds``, ``finished``) and
``runs`` (one row per ``run``: start, end, workers, backend, points).  Floats go through JSON in
their shortest round-trip form, so they read back bit for bit.  Only the process that runs the
sweep writes, one transaction per task, so a killed sweep leaves whole points only.
"""

from __future__ import annotations

import json
import os
import sqlite3
import time
from collections.abc import Iterable
from typing import Any

from ..exceptions import ParameterError

__all__ = ["SweepStore", "STATUSES"]

SCHEMA = "1"
STATUSES = ("done", "failed", "not converged")
#: ``spec_hash`` of a store that accepts any points (``raf simulate --out``).
OPEN = "open"

_DDL = """
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS points (
    key TEXT PRIMARY KEY, idx INTEGER NOT NULL, record TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('done', 'failed', 'not converged')),
    error TEXT, results TEXT NOT NULL, version TEXT NOT NULL, seconds REAL NOT NULL, finished REAL NOT NULL);
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY, started REAL NOT NULL, ended REAL NOT NULL, workers INTEGER NOT NULL,
    backend TEXT NOT NULL, points INTEGER NOT NULL);
"""


class SweepStore:
    """A sweep's SQLite store.

    Parameters
    ----------
    path : str or path-like
        The store file.
    create : bool, default=False
        Create it if it does not exist (else a missing file is an error).

    Raises
    ------
    ParameterError
        A missing file (without ``create``), a file that is not a sweep store, or a damaged
        (e.g. truncated) one: one line naming the file.
    """

    def __init__(self, path: str | os.PathLike[str], create: bool = False) -> None:
        self.path = os.fspath(path)
        exists = os.path.exists(self.path)
        if os.path.isdir(self.path):
            raise ParameterError("store", f"{self.path!r} is a directory; give a file name")
        if not exists and not create:
            raise ParameterError("store", f"{self.path!r} does not exist")
        if exists and os.path.getsize(self.path) > 0:
            with open(self.path, "rb") as fh:
                if fh.read(16) != b"SQLite format 3\x00":
                    raise ParameterError("store", f"{self.path!r} is not a sweep store (not an SQLite file); "
                                                  "give another file or remove it")
        folder = os.path.dirname(os.path.abspath(self.path))
        if not os.path.isdir(folder):
            raise ParameterError("store", f"cannot create {self.path!r}: folder {folder!r} does not exist")
        try:
            self.conn = sqlite3.connect(self.path, timeout=30, isolation_level=None)
            self.conn.execute("PRAGMA synchronous=FULL")
            if exists:
                ok = self.conn.execute("PRAGMA quick_check").fetchone()[0]
                if ok != "ok":
                    raise sqlite3.DatabaseError(ok)
            self.conn.executescript(_DDL)
            meta = dict(self.conn.execute("SELECT name, value FROM meta"))
        except sqlite3.DatabaseError as e:
            self._close_quietly()
            raise ParameterError("store", f"{self.path!r} is damaged or not a sweep store ({e}); "
                                          "give another file or remove it") from None
        if meta and meta.get("schema") != SCHEMA:
            self.conn.close()
            raise ParameterError("store", f"{self.path!r} has store schema {meta.get('schema')!r}, this "
                                          f"rafmodel reads schema {SCHEMA}")
        self.meta = meta

    def _close_quietly(self) -> None:
        try:
            self.conn.close()
        except Exception:  # noqa: BLE001 - best effort on a broken file
            pass

    def close(self) -> None:
        """Close the connection."""
        self.conn.close()

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
            The store holds another spec (or another kind of store).
        """
        if self.meta:
            old = self.meta.get("spec_hash")
            if old != spec_hash or self.meta.get("kind") != kind:
                what = "any points (raf simulate --out)" if old == OPEN else f"spec {str(old)[:12]}"
                this = "raf simulate --out" if spec_hash == OPEN else f"spec {spec_hash[:12]}"
                raise ParameterError("store", f"{self.path!r} holds the points of another sweep ({self.meta.get('kind')}, "
                                              f"{what}), not of this {kind} {this}; give another store file, "
                                              "or the spec it was made with")
            return
        from .. import __version__

        meta = {"schema": SCHEMA, "kind": kind, "spec_hash": spec_hash, "n_points": str(n_points),
                "spec": json.dumps(spec, sort_keys=True), "created": repr(time.time()), "version": __version__}
        with self.conn:
            self.conn.execute("BEGIN IMMEDIATE")
            self.conn.executemany("INSERT INTO meta VALUES (?, ?)", meta.items())
        self.meta = meta

    def finished_keys(self) -> set[str]:
        """Keys of the points stored.

        Returns
        -------
        set of str
            Every stored point (done, failed or not converged).
        """
        return {k for (k,) in self.conn.execute("SELECT key FROM points")}

    def forget_failed(self) -> int:
        """Remove the failed points, so that the next run computes them again.

        Returns
        -------
        int
            Points removed.
        """
        with self.conn:
            self.conn.execute("BEGIN IMMEDIATE")
            return self.conn.execute("DELETE FROM points WHERE status = 'failed'").rowcount

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
        with self.conn:
            self.conn.execute("BEGIN IMMEDIATE")
            cur = self.conn.execute("INSERT INTO runs (started, ended, workers, backend, points) VALUES (?, ?, ?, ?, 0)",
                                    (now, now, workers, backend))
        return int(cur.lastrowid)

    def commit(self, rows: Iterable[dict[str, Any]], run: int | None = None) -> int:
        """Store finished points, all in one transaction.

        Parameters
        ----------
        rows : iterable of dict
            ``key, idx, record, status, error, results, version, seconds``.
        run : int, optional
            The run (from :meth:`start_run`) whose point count and end time to update.

        Returns
        -------
        int
            Points added (a key already stored, e.g. from a retried Dask task, is ignored).
        """
        now = time.time()
        vals = [(r["key"], r["idx"], json.dumps(r["record"]), r["status"], r["error"], json.dumps(r["results"]),
                 r["version"], float(r["seconds"]), now) for r in rows]
        with self.conn:
            self.conn.execute("BEGIN IMMEDIATE")
            before = self.conn.total_changes
            self.conn.executemany("INSERT OR IGNORE INTO points VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", vals)
            added = self.conn.total_changes - before
            if run is not None:
                self.conn.execute("UPDATE runs SET ended = ?, points = points + ? WHERE id = ?", (now, added, run))
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
        """
        out = []
        cur = self.conn.execute("SELECT key, idx, record, status, error, results, version, seconds FROM points "
                                "ORDER BY idx, key")
        for key, idx, rec, status, error, res, version, seconds in cur:
            if keys is not None and key not in keys:
                continue
            out.append({"key": key, "idx": idx, "record": json.loads(rec), "status": status, "error": error,
                        "results": json.loads(res), "version": version, "seconds": seconds})
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
