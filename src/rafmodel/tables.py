"""One serialization path for every result: records -> table, CSV, JSON or a pandas DataFrame.

Results are lists of flat dicts (records) in the package vocabulary; the command
line prints them with :func:`format_records`, and every result class offers the
same through :class:`Tabular` (``to_frame()``, ``to_csv()``, ``to_json()``,
``to_table()``).  JSON has no ``nan``/``inf``: a value that did not converge is
``null``, an infinite threshold ``"inf"``.  CSV writes ``nan`` as an empty field.
"""

from __future__ import annotations

import csv
import io
import json
import math

import numpy as np

__all__ = ["Tabular", "format_records", "jsonable", "records_to_frame"]


def _plain(v):
    """numpy scalars to Python scalars."""
    if isinstance(v, np.generic):
        return v.item()
    return v


def jsonable(record: dict) -> dict:
    """A record with ``nan`` -> ``None`` and ``+-inf`` -> ``"inf"``/``"-inf"``."""
    def conv(v):
        v = _plain(v)
        if isinstance(v, float) and not math.isfinite(v):
            return None if math.isnan(v) else ("inf" if v > 0 else "-inf")
        return v
    return {k: conv(v) for k, v in record.items()}


def _cell(v):
    v = _plain(v)
    if isinstance(v, bool):
        return "yes" if v else "NO"
    if isinstance(v, float):
        return "" if math.isnan(v) else f"{v:.6g}"
    return v


def format_records(records, columns=None, fmt="table", *, single=None) -> str:
    """Records as text.

    Parameters
    ----------
    records : list of dict
    columns : list of str, optional
        Columns to show (default: the keys of the first record); JSON always has every key.
    fmt : {"table", "csv", "json"}
    single : bool, optional
        JSON: one object instead of an array (default: when there is one record).

    Returns
    -------
    str

    Examples
    --------
    >>> print(format_records([{"alpha": 1.0, "gen_error": float("nan")}], fmt="json"))
    {
      "alpha": 1.0,
      "gen_error": null
    }
    """
    records = list(records)
    if columns is None:
        columns = list(records[0]) if records else []
    if fmt == "json":
        recs = [jsonable(r) for r in records]
        one = len(recs) == 1 if single is None else single
        return json.dumps(recs[0] if one else recs, indent=2 if one else None)
    if fmt == "csv":
        buf = io.StringIO()
        w = csv.DictWriter(buf, fieldnames=columns, extrasaction="ignore", lineterminator="\n")
        w.writeheader()
        for r in records:
            w.writerow({k: ("" if isinstance(r.get(k), float) and math.isnan(r[k]) else _plain(r.get(k, "")))
                        for k in columns})
        return buf.getvalue().rstrip("\n")
    if fmt == "table":
        from tabulate import tabulate

        return tabulate([[_cell(r.get(k, "")) for k in columns] for r in records], headers=columns,
                        disable_numparse=True)
    raise ValueError(f"fmt: must be one of table, csv, json, got {fmt!r}")


def records_to_frame(records, columns=None):
    """Records as a :class:`pandas.DataFrame` (one row per record)."""
    import pandas as pd

    return pd.DataFrame.from_records([{k: _plain(v) for k, v in r.items()} for r in records], columns=columns)


class Tabular:
    """Mixin: ``to_frame``, ``to_csv``, ``to_json``, ``to_table`` from ``to_records()``."""

    def to_records(self) -> list[dict]:  # pragma: no cover - implemented by subclasses
        raise NotImplementedError

    def to_frame(self):
        """The results as a :class:`pandas.DataFrame`, one row per point."""
        return records_to_frame(self.to_records())

    def to_csv(self, path=None) -> str:
        """CSV text (a header and one line per point); written to ``path`` if given."""
        return _write(format_records(self.to_records(), fmt="csv") + "\n", path)

    def to_json(self, path=None) -> str:
        """JSON text (an array of objects; ``null`` where not converged); written to ``path`` if given."""
        return _write(format_records(self.to_records(), fmt="json", single=False) + "\n", path)

    def to_table(self, columns=None) -> str:
        """A plain-text table."""
        return format_records(self.to_records(), columns, fmt="table")


def _write(text, path):
    if path is not None:
        with open(path, "w", encoding="utf-8", newline="") as fh:
            fh.write(text)
    return text
