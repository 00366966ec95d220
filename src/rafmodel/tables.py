"""One serialization path for every result: records -> table, CSV, JSON or a pandas DataFrame.

Results are lists of flat dicts (records) in the package vocabulary; the command
line prints them with :func:`format_records`, and every result class offers the
same through :class:`Tabular` (``to_frame()``, ``to_csv()``, ``to_json()``,
``to_table()``).  JSON has no ``nan``/``inf``: a value that did not converge is
``null``, an infinite threshold ``"inf"``.  CSV writes ``nan`` as an empty field.
Bad input (records that are not dicts, an unknown format, a file that cannot be written)
raises :class:`~rafmodel.exceptions.ParameterError` naming the parameter.
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from ._files import atomic_write
from .exceptions import ParameterError

if TYPE_CHECKING:  # for the annotations only
    import pandas as pd

__all__ = ["Tabular", "format_records", "jsonable", "records_to_frame"]

#: The text formats of :func:`format_records`.
FORMATS = ("table", "csv", "json")


def _check_records(records):
    """``records`` as a list of dicts, or a ParameterError naming ``records``."""
    if isinstance(records, (str, bytes, Mapping)) or not isinstance(records, Iterable):
        raise ParameterError("records", f"must be an iterable of dicts (one per row), got {records!r:.80}")
    records = list(records)
    for i, r in enumerate(records):
        if not isinstance(r, Mapping):
            raise ParameterError("records", f"row {i} must be a dict, got {type(r).__name__}: {r!r:.80}")
    return records


def _check_columns(columns):
    """``columns`` as a list of str (``None`` kept), or a ParameterError naming ``columns``."""
    if columns is None:
        return None
    if isinstance(columns, (str, bytes, Mapping)) or not isinstance(columns, Iterable):
        raise ParameterError("columns", f"must be a list of column names, got {columns!r:.80}")
    columns = list(columns)
    bad = [c for c in columns if not isinstance(c, str)]
    if bad:
        raise ParameterError("columns", f"must be a list of column names (str), got {bad[0]!r:.80}")
    return columns


def _plain(v):
    """numpy scalars to Python scalars."""
    if isinstance(v, np.generic):
        return v.item()
    return v


def jsonable(record: dict[str, Any]) -> dict[str, Any]:
    """A record with ``nan`` -> ``None`` and ``+-inf`` -> ``"inf"``/``"-inf"``.

    Parameters
    ----------
    record : dict
        A flat record; numpy scalars are converted to Python scalars.

    Returns
    -------
    dict
        A new record that :func:`json.dumps` writes as strict JSON.

    Raises
    ------
    ParameterError
        ``record`` is not a dict.

    Examples
    --------
    >>> jsonable({"a": float("nan"), "b": float("-inf"), "c": 1.5})
    {'a': None, 'b': '-inf', 'c': 1.5}
    """
    if not isinstance(record, Mapping):
        raise ParameterError("record", f"must be a dict, got {type(record).__name__}: {record!r:.80}")

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


def format_records(records: Iterable[dict[str, Any]], columns: Sequence[str] | None = None, fmt: str = "table",
                   *, single: bool | None = None) -> str:
    """Records as text.

    Parameters
    ----------
    records : iterable of dict
        Flat records, one per row.
    columns : list of str, optional
        Columns to show (default: the keys of the first record); JSON always has every key.
    fmt : {"table", "csv", "json"}, default="table"
        A plain-text table (``nan`` blank, booleans ``yes``/``NO``), CSV (``nan`` as an
        empty field) or JSON (``nan`` as ``null``, see :func:`jsonable`).
    single : bool, optional
        JSON: one object instead of an array (default: when there is one record).

    Returns
    -------
    str
        The text, without a final newline.

    Raises
    ------
    ParameterError
        (a ``ValueError``) ``records`` not an iterable of dicts, ``columns`` not a list of
        names, an unknown ``fmt``, or ``single`` not a bool.

    Examples
    --------
    >>> print(format_records([{"alpha": 1.0, "gen_error": float("nan")}], fmt="json"))
    {
      "alpha": 1.0,
      "gen_error": null
    }
    """
    if not isinstance(fmt, str) or fmt not in FORMATS:
        raise ParameterError("fmt", f"must be one of {', '.join(FORMATS)}, got {fmt!r:.80}")
    if single is not None and not isinstance(single, (bool, np.bool_)):
        raise ParameterError("single", f"must be True, False or None, got {single!r:.80}")
    records = _check_records(records)
    columns = _check_columns(columns)
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
    from tabulate import tabulate

    return tabulate([[_cell(r.get(k, "")) for k in columns] for r in records], headers=columns,
                    disable_numparse=True)


def records_to_frame(records: Iterable[dict[str, Any]], columns: Sequence[str] | None = None) -> pd.DataFrame:
    """Records as a :class:`pandas.DataFrame` (one row per record).

    Parameters
    ----------
    records : iterable of dict
        Flat records; numpy scalars are converted to Python scalars.
    columns : list of str, optional
        The columns, in order (default: every key, in order of appearance).

    Returns
    -------
    pandas.DataFrame
        One row per record.

    Raises
    ------
    ParameterError
        ``records`` not an iterable of dicts, or ``columns`` not a list of names.
    """
    import pandas as pd

    records, columns = _check_records(records), _check_columns(columns)
    return pd.DataFrame.from_records([{k: _plain(v) for k, v in r.items()} for r in records], columns=columns)


class Tabular:
    """Mixin: ``to_frame``, ``to_csv``, ``to_json``, ``to_table`` from ``to_records()``.

    A subclass implements :meth:`to_records`; every result class of rafmodel does.
    """

    def to_records(self) -> list[dict[str, Any]]:
        """The results as flat records, one dict per point.

        A single result (one with ``to_dict()``) is one record; collections override this.

        Returns
        -------
        list of dict
            One record per point, in the package vocabulary.
        """
        return [self.to_dict()]

    def to_frame(self) -> pd.DataFrame:
        """The results as a :class:`pandas.DataFrame`, one row per point.

        Returns
        -------
        pandas.DataFrame
            One row per record of :meth:`to_records`.
        """
        return records_to_frame(self.to_records())

    def to_csv(self, path: str | os.PathLike[str] | None = None) -> str:
        """CSV text (a header and one line per point); written to ``path`` if given.

        Parameters
        ----------
        path : str or path-like, optional
            A file to write (UTF-8, replaced if it exists).

        Returns
        -------
        str
            The CSV text, ending with a newline (``nan`` as an empty field).

        Raises
        ------
        ParameterError
            ``path`` is not a file name, or the file cannot be written (nothing is written then).
        """
        return _write(format_records(self.to_records(), fmt="csv") + "\n", path)

    def to_json(self, path: str | os.PathLike[str] | None = None) -> str:
        """JSON text (an array of objects; ``null`` where not converged); written to ``path`` if given.

        Parameters
        ----------
        path : str or path-like, optional
            A file to write (UTF-8, replaced if it exists).

        Returns
        -------
        str
            The JSON text, ending with a newline.

        Raises
        ------
        ParameterError
            ``path`` is not a file name, or the file cannot be written (nothing is written then).
        """
        return _write(format_records(self.to_records(), fmt="json", single=False) + "\n", path)

    def to_table(self, columns: Sequence[str] | None = None) -> str:
        """A plain-text table.

        Parameters
        ----------
        columns : list of str, optional
            Columns to show (default: every key of the first record).

        Returns
        -------
        str
            One row per point.

        Raises
        ------
        ParameterError
            ``columns`` is not a list of column names.
        """
        return format_records(self.to_records(), columns, fmt="table")


def _write(text, path):
    """Write ``text`` to ``path`` (if given) whole or not at all; return ``text``."""
    if path is None:
        return text
    try:
        path = os.fspath(path)
    except TypeError:
        raise ParameterError("path", f"must be a file name, got {path!r:.80}") from None
    if not isinstance(path, str) or not path or "\0" in path:
        raise ParameterError("path", f"must be a file name, got {path!r:.80}")

    def write(tmp):
        with open(tmp, "w", encoding="utf-8", newline="") as fh:
            fh.write(text)
    atomic_write(path, write, name="path")
    return text
