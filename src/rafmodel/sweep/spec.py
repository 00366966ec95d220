"""Sweep specs: a TOML file (or a dict) with the command line's option names -> the points of a sweep.

A spec holds ``kind`` (``"theory"`` or ``"simulate"``), the model options of ``raf theory``
(``learner``, ``loss``, ``alpha``, ``eps``, ``lam``, ``mu1``, ``mustar``, ``kappa``, ``activation``,
``kernel``, ``bandwidth``, ``degree``, ``offset``), for theory the solver options ``tol``,
``max_iter``, ``method``, and for simulations ``d``, ``seeds``, ``n_test``, ``seed``.  Each value
is a number, a list, or a text as the command line takes it (``"0.5,1,2"``, ``"1e-3:10:40:log"``);
the sweep is every combination.  Every point has an exact key (floats by their hex form) and the
spec a hash of its points, so that a store can refuse the points of another spec.

The key ``model`` (the name of ``learner`` before 0.5) still works until 0.6, with a
DeprecationWarning.  A point's record keeps the column name ``model`` for the learner's name:
it is part of every stored point's key, so renaming it would orphan the points of every store.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import os
import stat
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

from .._options import MAX_POINTS, UsageError, parse_values, settings_from_args
from ..exceptions import ParameterError
from ..setting import Setting

__all__ = ["SweepSpec", "Point", "load_spec", "point_key"]

KINDS = ("theory", "simulate")
MODEL_KEYS = ("learner", "loss", "alpha", "eps", "lam", "mu1", "mustar", "kappa", "activation", "kernel",
              "bandwidth", "degree", "offset")
THEORY_KEYS = ("tol", "max_iter", "method")
SIMULATION_KEYS = ("d", "seeds", "n_test", "seed")
SIMULATION_DEFAULTS = {"d": 500, "seeds": 4, "n_test": 10_000, "seed": 0}

#: The largest spec file read (a spec is a few lines; a larger file is refused before it is read).
MAX_SPEC_BYTES = 16 << 20

#: Theory points solved together in one task (and committed together).  Fixed, so that the
#: batches, hence the numbers, do not depend on how the sweep is run or resumed.
THEORY_CHUNK = 250


def _exact(v: Any) -> Any:
    """A value as it enters a key: floats by their exact hex form, the rest unchanged."""
    if isinstance(v, float):
        return v.hex()
    if isinstance(v, (list, tuple)):
        return [_exact(x) for x in v]
    return v


@dataclass(frozen=True)
class Point:
    """One point of a sweep.

    Attributes
    ----------
    index : int
        Position in the spec's order.
    setting : Setting
        The model point.
    record : dict
        Its identity in the package vocabulary: ``model`` (the learner's name), ``loss``, the learner's labels
        (``activation``, ``kernel`` ...), the parameters and, for simulations, ``d, seeds,
        n_test, seed``.
    key : str
        Exact key: the record with every float written in hex.
    """

    index: int
    setting: Setting
    record: dict = field(repr=False)
    key: str = field(repr=False)


def point_key(kind: str, record: dict[str, Any]) -> str:
    """The exact key of a point: its kind and record, floats in hex, as compact JSON.

    Parameters
    ----------
    kind : str
        ``"theory"`` or ``"simulate"``.
    record : dict
        The point's identity (see :class:`Point`).

    Returns
    -------
    str
        ``json.dumps([kind, sorted record items with exact values])``.
    """
    return json.dumps([kind, [[k, _exact(record[k])] for k in sorted(record)]], separators=(",", ":"))


def _record(setting: Setting, extra: dict[str, Any]) -> dict[str, Any]:
    rec = {"model": setting.learner.name, "loss": setting.loss.name}
    rec.update(setting.labels())
    rec.update(setting.params())
    rec.update(extra)
    return rec


@dataclass(frozen=True)
class SweepSpec:
    """A validated sweep: its kind, options and points.

    Attributes
    ----------
    kind : str
        ``"theory"`` or ``"simulate"``.
    options : dict
        The options as given (the spec file's table).
    points : list of Point
        Every combination, in order (``alpha`` slowest; simulation sizes fastest).
    solver : dict
        Theory: the solver options (``tol``, ``max_iter``, ``method``) given.
    source : str or None
        The spec file, if read from one.
    """

    kind: str
    options: dict
    points: list = field(repr=False)
    solver: dict = field(default_factory=dict)
    source: str | None = None

    @property
    def spec_hash(self) -> str:
        """SHA-256 of the kind, the solver options and every point's key, in order.

        Returns
        -------
        str
            64 hex digits; two specs with the same points (however written) share it.
        """
        h = hashlib.sha256()
        h.update(json.dumps([self.kind, sorted((k, _exact(v)) for k, v in self.solver.items())]).encode())
        for p in self.points:
            h.update(b"\n" + p.key.encode())
        return h.hexdigest()

    def tasks(self, pending: set[str] | None = None) -> list[tuple]:
        """The units of work for the points not yet finished.

        Parameters
        ----------
        pending : set of str, optional
            Keys still to compute (default: all).

        Returns
        -------
        list of tuple
            ``(kind, [(key, setting, extra), ...], options)``: theory points in fixed chunks of
            :data:`THEORY_CHUNK` consecutive points (only the pending ones of each), simulations
            one point per task.
        """
        out = []
        if self.kind == "theory":
            for i in range(0, len(self.points), THEORY_CHUNK):
                items = [(p.key, p.setting, {}) for p in self.points[i:i + THEORY_CHUNK]
                         if pending is None or p.key in pending]
                if items:
                    out.append(("theory", items, dict(self.solver)))
        else:
            for p in self.points:
                if pending is None or p.key in pending:
                    extra = {k: p.record[k] for k in SIMULATION_KEYS}
                    out.append(("simulate", [(p.key, p.setting, extra)], {}))
        return out


def _shown(v: Any) -> str:
    """A value as an error message shows it: at most a line, however large or deeply nested."""
    import reprlib

    r = reprlib.Repr()
    r.maxlevel, r.maxstring, r.maxother, r.maxlist, r.maxdict = 2, 60, 60, 6, 4
    return r.repr(v)


def _name(k: Any) -> str:
    """A spec key as an error message names it (a huge key is cut)."""
    k = str(k)
    return k if len(k) <= 40 else k[:40] + "..."


def _text(name: str, v: Any, inner: bool = False) -> str:
    if isinstance(v, bool):
        raise ParameterError(name, f"must be a number, a list of numbers or a text, got {_shown(v)}")
    if isinstance(v, (int, float)):
        return repr(v)
    if isinstance(v, str):
        return v
    if isinstance(v, list) and not inner:
        if not v:
            raise ParameterError(name, "must not be an empty list")
        return ",".join(_text(name, x, inner=True) for x in v)
    what = "a list inside a list" if isinstance(v, list) else _shown(v)
    raise ParameterError(name, f"must be a number, a list of numbers or a text, got {what}")


def _integers(name: str, v: Any) -> list[int]:
    try:
        vals = parse_values(name, _text(name, v))
    except UsageError as e:
        raise ParameterError(name, str(e).split(": ", 1)[-1]) from None
    out = []
    for x in vals:
        if x != int(x):
            raise ParameterError(name, f"must be an integer, got {x!r}")
        out.append(int(x))
    return out


def load_spec(spec: str | os.PathLike[str] | dict[str, Any] | SweepSpec) -> SweepSpec:
    """Read and validate a sweep spec.

    Parameters
    ----------
    spec : str, path-like, dict or SweepSpec
        A TOML file, or its table as a dict (a :class:`SweepSpec` is returned as is).

    Returns
    -------
    SweepSpec
        Validated: every parameter, every simulation size (arrays that fit in memory).

    Raises
    ------
    ParameterError
        A file that cannot be read or is not TOML, an unknown or missing key, a bad value
        (one line naming the key).

    Examples
    --------
    >>> s = load_spec({"kind": "theory", "learner": "linear", "loss": "square",
    ...                "alpha": "1:2:3", "eps": 0.2, "lam": [0.1, 1]})
    >>> len(s.points), s.points[0].record["alpha"]
    (6, 1.0)
    """
    if isinstance(spec, SweepSpec):
        return spec
    source = None
    if isinstance(spec, (str, os.PathLike)):
        import tomllib

        source = os.fspath(spec)
        try:
            if os.path.exists(source) and not os.path.isdir(source):
                if not stat.S_ISREG(os.stat(source).st_mode):
                    raise ParameterError("spec", f"{source!r} is not a regular file")
                if os.path.getsize(source) > MAX_SPEC_BYTES:
                    raise ParameterError("spec", f"{source!r} is larger than {MAX_SPEC_BYTES // 2**20} MiB; "
                                                 "a sweep spec is a few lines")
            with open(source, "rb") as fh:
                table = tomllib.load(fh)
        except OSError as e:
            raise ParameterError("spec", f"cannot read {source!r}: {e.strerror or e}") from None
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
            raise ParameterError("spec", f"{source!r} is not valid TOML: {e}") from None
        except RecursionError:
            raise ParameterError("spec", f"{source!r} is not a sweep spec: values nested too deeply") from None
    elif isinstance(spec, dict):
        table = dict(spec)
    else:
        raise ParameterError("spec", f"must be a TOML file, a dict or a SweepSpec, got {_shown(spec)}")
    try:
        return _build(table, source)
    except RecursionError:
        raise ParameterError("spec", f"{source + ': ' if source else ''}values nested too deeply") from None
    except ParameterError as e:
        if source is None:
            raise
        raise ParameterError("spec", f"{source}: {e}") from None


#: Spec keys renamed for the package's one vocabulary (old -> new).
RENAMED_KEYS = {"model": "learner"}


def _build(table: dict[str, Any], source: str | None) -> SweepSpec:
    for old, new in RENAMED_KEYS.items():
        if old in table:
            import warnings

            from .._deprecation import REMOVED_IN

            if new in table:
                raise ParameterError(new, f"give {new} or its deprecated name {old}, not both")
            warnings.warn(f"sweep spec: the key {old} is deprecated and will be removed in {REMOVED_IN}; use {new}",
                          DeprecationWarning, stacklevel=4)
            table = {(new if k == old else k): v for k, v in table.items()}
    kind = table.get("kind")
    if kind not in KINDS:
        raise ParameterError("kind", f"must be \"theory\" or \"simulate\", got {_shown(kind)}")
    allowed = ("kind",) + MODEL_KEYS + (THEORY_KEYS if kind == "theory" else SIMULATION_KEYS)
    unknown = [k for k in table if k not in allowed]
    if unknown:
        raise ParameterError(_name(unknown[0]), f"not an option of a {kind} sweep; allowed: {', '.join(allowed)}")
    for k in ("learner", "loss", "alpha", "eps", "lam"):
        if k not in table:
            raise ParameterError(k, f"required in a {kind} sweep spec")
    args = SimpleNamespace(**{k: (_text(k, table[k]) if k in table else None) for k in MODEL_KEYS})
    try:
        settings, labels, _, _ = settings_from_args(args)
    except UsageError as e:
        name, _, msg = str(e).partition(": ")
        raise ParameterError(name, msg) from None
    solver: dict[str, Any] = {}
    combos: list[dict[str, Any]] = [{}]
    if kind == "theory":
        from ..theory import SolverOptions

        for k in THEORY_KEYS:
            if k in table:
                v = table[k]
                if isinstance(v, bool) or not isinstance(v, (int, float, str)):
                    raise ParameterError(k, f"must be one value, got {_shown(v)}")
                solver[k] = v
        SolverOptions(**solver)  # validates
    else:
        from ..simulation import check_simulation

        sizes = {k: _integers(k, table.get(k, SIMULATION_DEFAULTS[k])) for k in SIMULATION_KEYS}
        combos = [dict(zip(SIMULATION_KEYS, c)) for c in itertools.product(*sizes.values())]
        n = len(settings) * len(combos)
        if n > MAX_POINTS:
            raise ParameterError("spec", f"{n} points, more than the {MAX_POINTS} one sweep may hold; split it")
        for d in sorted(set(sizes["d"])):
            for n_test in sorted(set(sizes["n_test"])):
                check_simulation(settings, d=d, seeds=max(sizes["seeds"]), n_test=n_test, seed=min(sizes["seed"]))
        for k in ("seeds", "seed"):
            for v in sizes[k]:
                check_simulation([], **{k: v})
    points = []
    for s in settings:
        for extra in combos:
            rec = _record(s, extra)
            points.append(Point(len(points), s, rec, point_key(kind, rec)))
    keys = {p.key for p in points}
    if len(keys) != len(points):
        raise ParameterError("spec", "some points are given twice (a repeated value in a list)")
    del labels
    options = {k: table[k] for k in table}
    return SweepSpec(kind, options, points, solver, source)
