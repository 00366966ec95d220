"""The paper's findings as figures: one function per figure, a registry, files and a cache.

Each figure is a function registered under a name (:data:`FIGURES`); it returns a
:class:`matplotlib.figure.Figure` built with the object-oriented API, the table of the
plotted numbers (a pandas DataFrame in the package vocabulary) and a caption stating the
finding with numbers taken from the computation.

* :func:`make_figure` computes one figure (for notebooks: compose, restyle, save);
* :func:`write_figure` writes ``NAME.png``, ``NAME.pdf``, ``NAME.csv`` and ``NAME.json``
  (caption, parameters, command, version, cache key) to a folder, and returns at once when
  the folder already holds the same figure (same key: figure, parameters, ``quick``,
  ``sim`` and the package version);
* :func:`list_figures` names them, with a one-line description each.

To add a figure, write one function in a module of this package and decorate it with
:func:`register_figure`.
"""

from __future__ import annotations

import json
import os
import tempfile

from ..exceptions import ParameterError
from ._registry import FIGURES, Context, FigureResult, FigureSpec, get_figure, register_figure
from . import finite_size_figures as _finite_size_figures  # noqa: F401
from . import network_figures as _network_figures  # noqa: F401  (needs rafmodel[nn] only when drawn)
from . import rate_figures as _rate_figures  # noqa: F401  (each module registers its figures)
from . import realdata_figures as _realdata_figures  # noqa: F401
from . import rf_figures as _rf_figures  # noqa: F401
from . import theory_figures as _theory_figures  # noqa: F401
from . import tradeoff_figures as _tradeoff_figures  # noqa: F401

#: The figures in the order of the paper's story (and of the report).
ORDER = ("linear-alpha", "tradeoff", "kernel-lambda", "rf-kappa", "network-kappa", "large-alpha", "phase-kernel",
         "phase-rf", "realdata", "capacity", "finite-size")

__all__ = ["FIGURES", "FigureResult", "FigureSpec", "make_figure", "write_figure", "list_figures",
           "register_figure", "figure_command"]

FILES = ("png", "pdf", "csv", "json")


def list_figures() -> dict:
    """``{name: one-line description}`` of every registered figure, in report order."""
    names = [n for n in ORDER if n in FIGURES] + [n for n in FIGURES if n not in ORDER]
    return {name: FIGURES[name].description for name in names}


def make_figure(name, *, quick=False, sim=True, progress=False, n_jobs=None, **params) -> FigureResult:
    """Compute figure ``name``.

    Parameters
    ----------
    name : str
        A registered figure (see :func:`list_figures`).
    quick : bool
        Reduced resolution (tests, previews).
    sim : bool
        Draw the simulation points where the figure has them.
    progress : bool
        Progress bars on stderr.
    n_jobs : int, optional
        Processes for the simulations (``-1``: all cores); the numbers do not depend on it.
    **params
        The figure's parameters (e.g. ``eps=0.2``, ``kappa=[0.5, 1, 2]``, ``d=200``).

    Returns
    -------
    FigureResult
        ``.figure``, ``.table``, ``.caption``, ``.params``.

    Raises
    ------
    ParameterError
        Unknown figure, or a parameter the figure does not take or out of range.
    """
    spec = get_figure(name)
    _check_requires(spec, sim)
    ctx = Context(quick=bool(quick), sim=bool(sim), progress=bool(progress), n_jobs=n_jobs)
    p = spec.resolve(params, ctx)
    fig, table, caption = spec.func(p, ctx)
    return FigureResult(name, fig, table, caption, p)


def _check_requires(spec, sim):
    hint = spec.install_hint(bool(sim))
    if hint:
        raise ParameterError("figure", f"{spec.name} {hint}")


def figure_command(name, out, *, quick=False, sim=True, **params) -> str:
    """The ``raf figure`` command that regenerates this figure."""
    parts = ["raf", "figure", name, "--out", str(out)]
    if quick:
        parts.append("--quick")
    if not sim:
        parts.append("--no-sim")
    for k, v in params.items():
        vals = v if isinstance(v, (list, tuple)) else [v]
        parts += [f"--{k.replace('_', '-')}", ",".join(f"{x:g}" if isinstance(x, float) else str(x) for x in vals)]
    return " ".join(parts)


def _check_out(out):
    out = os.fspath(out)
    if os.path.exists(out) and not os.path.isdir(out):
        raise ParameterError("out", f"{out!r} exists and is not a folder")
    parent = os.path.dirname(os.path.abspath(out))
    if not os.path.isdir(out) and not os.path.isdir(parent):
        raise ParameterError("out", f"cannot create {out!r}: folder {parent!r} does not exist")
    target = out if os.path.isdir(out) else parent
    if not os.access(target, os.W_OK):
        raise ParameterError("out", f"cannot write in {target!r}: permission denied")
    return out


def _atomic_write(path, write):
    folder = os.path.dirname(path) or "."
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".tmp-", suffix=os.path.splitext(path)[1])
    os.close(fd)
    try:
        write(tmp)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def read_meta(out, name) -> dict | None:
    """The metadata of figure ``name`` in folder ``out`` (``None`` if absent or unreadable)."""
    try:
        with open(os.path.join(out, f"{name}.json"), encoding="utf-8") as fh:
            meta = json.load(fh)
        return meta if isinstance(meta, dict) else None
    except (OSError, ValueError):
        return None


def write_figure(name, out, *, quick=False, sim=True, progress=False, force=False, n_jobs=None,
                 **params) -> dict:
    """Write figure ``name`` to folder ``out`` (created if needed), unless it is already there.

    Parameters
    ----------
    name : str
    out : str or path-like
        The folder.
    quick, sim, progress, n_jobs, **params
        As for :func:`make_figure`.
    force : bool
        Recompute even if the folder holds the same figure.

    Returns
    -------
    dict
        The metadata written to ``NAME.json``: ``name``, ``description``, ``caption``,
        ``params``, ``command``, ``version``, ``key``, ``files``, and ``cached`` (whether it was
        read back instead of computed).
    """
    from .. import __version__

    spec = get_figure(name)
    _check_requires(spec, sim)
    out = _check_out(out)
    ctx = Context(quick=bool(quick), sim=bool(sim), progress=bool(progress), n_jobs=n_jobs)
    p = spec.resolve(params, ctx)
    key = spec.key(p, ctx)
    files = {ext: f"{name}.{ext}" for ext in FILES}
    meta = read_meta(out, name)
    if (not force and meta is not None and meta.get("key") == key
            and all(os.path.exists(os.path.join(out, f)) for f in files.values())):
        return {**meta, "cached": True}
    os.makedirs(out, exist_ok=True)
    fig, table, caption = spec.func(p, ctx)
    for ext in ("png", "pdf"):
        _atomic_write(os.path.join(out, files[ext]),
                      lambda path, ext=ext: fig.savefig(path, format=ext, dpi=200 if ext == "png" else None))
    _atomic_write(os.path.join(out, files["csv"]), lambda path: table.to_csv(path, index=False))
    meta = {"name": name, "description": spec.description, "caption": caption,
            "params": {k: v for k, v in p.items() if sim or k not in spec.sim_params},
            "quick": ctx.quick, "sim": ctx.sim,
            "command": figure_command(name, out, quick=quick, sim=sim, **params),
            "version": __version__, "key": key, "files": files}

    def dump(path):
        with open(path, "w", encoding="utf-8") as fh:
            json.dump(meta, fh, indent=1, default=repr)
    _atomic_write(os.path.join(out, files["json"]), dump)  # written last: it marks the figure complete
    return {**meta, "cached": False}
