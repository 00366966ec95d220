"""The paper's findings as figures: one function per figure, a registry, files and a cache.

Each figure is a function registered under a name (:data:`FIGURES`); it returns a
:class:`matplotlib.figure.Figure` built with the object-oriented API, the table of the
plotted numbers (a pandas DataFrame in the package vocabulary) and a caption stating the
finding with numbers taken from the computation.

* :func:`make_figure` computes one figure (for notebooks: compose, restyle, save);
* :func:`write_figure` writes ``NAME.png``, ``NAME.pdf``, ``NAME.csv`` and ``NAME.json``
  (caption, parameters, command, version, cache key, content hashes) to a folder, and
  returns at once when the folder already holds the same figure (same key: figure,
  parameters, ``quick``, ``sim`` and the package version) and that figure verifies
  (:func:`read_meta`: every field of the JSON of its type, file names exactly ``NAME.ext``,
  the sha256 of every file and of the metadata as written); anything else is recomputed;
* :func:`list_figures` names them, with a one-line description each.

To add a figure, write one function in a module of this package and decorate it with
:func:`register_figure`.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import stat

from .._validation import CONSTRAINTS
from .._files import atomic_write, check_folder, folder_path
from ..exceptions import ParameterError
from ._registry import FIGURES, Context, FigureResult, FigureSpec, get_figure, register_figure
from . import amp_figures as _amp_figures  # noqa: F401
from . import finite_size_figures as _finite_size_figures  # noqa: F401
from . import network_figures as _network_figures  # noqa: F401  (needs rafmodel[nn] only when drawn)
from . import rate_figures as _rate_figures  # noqa: F401  (each module registers its figures)
from . import realdata_figures as _realdata_figures  # noqa: F401
from . import rf_figures as _rf_figures  # noqa: F401
from . import structured_figures as _structured_figures  # noqa: F401
from . import theory_figures as _theory_figures  # noqa: F401
from . import tradeoff_figures as _tradeoff_figures  # noqa: F401

#: The figures in the order of the paper's story (and of the report).
ORDER = ("linear-alpha", "tradeoff", "kernel-lambda", "rf-kappa", "network-kappa", "large-alpha", "phase-kernel",
         "phase-rf", "realdata", "capacity", "finite-size", "scaling", "amp", "fact-detection")

__all__ = ["FIGURES", "FigureResult", "FigureSpec", "make_figure", "write_figure", "list_figures",
           "register_figure", "figure_command", "read_meta", "check_out", "figure_files"]

FILES = ("png", "pdf", "csv", "json")


def list_figures() -> dict:
    """``{name: one-line description}`` of every registered figure, in report order."""
    names = [n for n in ORDER if n in FIGURES] + [n for n in FIGURES if n not in ORDER]
    return {name: FIGURES[name].description for name in names}



#: Figure parameters renamed for the package's one vocabulary (old -> new): the old names work until
#: 0.6, with a DeprecationWarning (``raf figure``: a note on stderr).
RENAMED_PARAMETERS = {"eta": "bandwidth", "repeats": "seeds"}


def _setup(name, quick, sim, progress, n_jobs, params):
    """Validate everything a figure is asked for (before any work): its spec, context and parameters."""
    spec = get_figure(name)
    old = {k: params[k] for k in params if k in RENAMED_PARAMETERS and k not in spec.constraints}
    if old:
        from .._deprecation import renamed

        params = {k: v for k, v in params.items() if k not in old}
        news = {RENAMED_PARAMETERS[k] for k in old}
        params.update(renamed(f"figure {name!r}", old, RENAMED_PARAMETERS, {n: params.get(n) for n in news},
                              {n: None for n in news}, stacklevel=4))
    _check_requires(spec, sim)
    n_jobs = CONSTRAINTS["simulate"]["n_jobs"].check("n_jobs", n_jobs)
    ctx = Context(quick=bool(quick), sim=bool(sim), progress=bool(progress), n_jobs=n_jobs,
                  no_sim="" if sim else _no_sim_reason(spec))
    return spec, ctx, spec.resolve(params, ctx)


def _no_sim_reason(spec):
    """Why a figure has no simulation points (the extra they need is absent, or they were turned off),
    in lines short enough for a panel."""
    miss = spec.missing()
    if miss:
        return f"no simulations:\nthey need rafmodel[nn]\n({', '.join(miss)} not installed)"
    return "simulations turned off\n(sim=False / --no-sim)"


def _compute(spec, p, ctx):
    fig, table, caption = spec.func(p, ctx)
    miss = spec.missing() if not ctx.sim else []
    if miss:  # say why the points are absent, never as if the user chose it
        caption = (f"{caption} Simulations not drawn: they need rafmodel[nn] ({', '.join(miss)} not installed; "
                   f"pip install 'rafmodel[nn]').")
    return fig, table, caption


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
        Unknown figure, ``n_jobs`` not a positive integer or -1, or a parameter the figure does
        not take or out of range.
    """
    spec, ctx, p = _setup(name, quick, sim, progress, n_jobs, params)
    fig, table, caption = _compute(spec, p, ctx)
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


def check_out(out, files=()) -> str:
    """Make sure folder ``out`` can take ``files``, before any work; returns ``out`` as a string.

    The folder is created if absent (its parent must exist); a probe file is written in it
    and removed (permissions alone do not say whether ``/proc`` or a read-only mount can be
    written); none of ``files`` (names inside the folder) may be a folder
    (:func:`rafmodel._files.check_folder`).

    Raises
    ------
    ParameterError
        ``out``: one line naming what cannot be written and why.
    """
    return check_folder(out, files, "out")


def _sha256_file(path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


#: The fields of ``NAME.json`` and their types (``digest``: sha256 of all the others as written).
META_SCHEMA = {"name": str, "description": str, "caption": str, "params": dict, "quick": bool, "sim": bool,
               "command": str, "version": str, "key": str, "files": dict, "sha256": dict, "digest": str}
_HASHED = ("png", "pdf", "csv")
_HEX64 = re.compile(r"[0-9a-f]{64}")
_MAX_META_BYTES = 1 << 20


def _canonical(meta) -> bytes:
    return json.dumps(meta, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode()


def _meta_digest(meta) -> str:
    return hashlib.sha256(_canonical({k: v for k, v in meta.items() if k != "digest"})).hexdigest()


def _scalar(v):
    return isinstance(v, (str, int, float, bool)) or v is None


def _regular_file(path):
    try:
        return stat.S_ISREG(os.lstat(path).st_mode)
    except OSError:
        return False


def _verify(out, name, meta):
    """Why ``meta`` (read from ``out/NAME.json``) cannot be trusted, or ``""`` if it verifies."""
    if not isinstance(meta, dict) or set(meta) != set(META_SCHEMA):
        return "its fields are not those written"
    for k, typ in META_SCHEMA.items():
        if not isinstance(meta[k], typ) or (typ is not bool and isinstance(meta[k], bool)):
            return f"field {k!r} is not a {typ.__name__}"
    if meta["name"] != name:
        return "it names another figure"
    if not all(isinstance(k, str) and (_scalar(v) or (isinstance(v, list) and all(map(_scalar, v))))
               for k, v in meta["params"].items()):
        return "its parameters are not numbers or lists of numbers"
    if meta["files"] != {ext: f"{name}.{ext}" for ext in FILES}:
        return f"its file names are not exactly {name}.png, .pdf, .csv, .json"
    if set(meta["sha256"]) != set(_HASHED) or not all(
            isinstance(h, str) and _HEX64.fullmatch(h) for h in meta["sha256"].values()):
        return "its content hashes are missing or malformed"
    if meta["digest"] != _meta_digest(meta):
        return "the metadata were edited after they were written"
    for ext in _HASHED:
        path = os.path.join(out, meta["files"][ext])
        if not _regular_file(path):
            return f"{meta['files'][ext]} is missing or not a plain file"
        try:
            if _sha256_file(path) != meta["sha256"][ext]:
                return f"{meta['files'][ext]} changed since it was written"
        except OSError:
            return f"{meta['files'][ext]} cannot be read"
    return ""


def read_meta(out, name) -> dict | None:
    """The metadata of figure ``name`` in folder ``out``, if they verify; ``None`` otherwise.

    They verify when ``NAME.json`` is a plain file of at most 1 MiB holding exactly the fields
    of :data:`META_SCHEMA`, each of its type; its file names are exactly ``NAME.png``,
    ``NAME.pdf``, ``NAME.csv``, ``NAME.json`` in ``out``; each of the first three is a plain
    file whose sha256 is the one recorded when it was written; and the digest of the metadata
    themselves (caption, parameters, command, hashes) is the one recorded. An entry that was
    damaged, edited or replaced does not verify, and :func:`write_figure` recomputes it.
    """
    path = os.path.join(os.fspath(out), f"{name}.json")
    try:
        if not _regular_file(path) or os.path.getsize(path) > _MAX_META_BYTES:
            return None
        with open(path, encoding="utf-8") as fh:
            meta = json.load(fh)
    except (OSError, ValueError, RecursionError):
        return None
    return meta if not _verify(os.fspath(out), name, meta) else None


def figure_files(name) -> dict:
    """``{ext: "NAME.ext"}``: the files :func:`write_figure` writes for figure ``name``."""
    return {ext: f"{name}.{ext}" for ext in FILES}


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
        ``params``, ``quick``, ``sim``, ``command``, ``version``, ``key``, ``files``,
        ``sha256`` (of the png, pdf and csv), ``digest`` (of the metadata), and ``cached``
        (whether it was read back instead of computed).

    Raises
    ------
    ParameterError
        As for :func:`make_figure`, and ``out`` when the folder cannot be created or written, or
        one of the figure's files there is a folder: all before any computation. A figure
        already there is read back only if it verifies (:func:`read_meta`).
    """
    from .. import __version__

    spec, ctx, p = _setup(name, quick, sim, progress, n_jobs, params)
    out = folder_path(out, "out")
    key = spec.key(p, ctx)
    files = figure_files(name)
    if not force and os.path.isdir(out):
        meta = read_meta(out, name)
        if meta is not None and meta["key"] == key:
            return {**meta, "cached": True}
    out = check_out(out, files.values())
    fig, table, caption = _compute(spec, p, ctx)
    sha = {}
    for ext in ("png", "pdf"):
        sha[ext] = atomic_write(os.path.join(out, files[ext]), lambda path, ext=ext: fig.savefig(
            path, format=ext, dpi=200 if ext == "png" else None))
    sha["csv"] = atomic_write(os.path.join(out, files["csv"]), lambda path: table.to_csv(path, index=False))
    meta = {"name": name, "description": spec.description, "caption": caption,
            "params": {k: v for k, v in p.items() if sim or k not in spec.sim_params},
            "quick": ctx.quick, "sim": ctx.sim,
            "command": figure_command(name, out, quick=quick, sim=sim,
                                      **{RENAMED_PARAMETERS.get(k, k): v for k, v in params.items()}),
            "version": __version__, "key": key, "files": files, "sha256": sha}
    meta = json.loads(json.dumps(meta, default=repr))  # exactly what will be read back
    meta["digest"] = _meta_digest(meta)

    def dump(path):
        with open(path, "w", encoding="utf-8") as fh:
            json.dump(meta, fh, indent=1)
    atomic_write(os.path.join(out, files["json"]), dump)  # written last: it marks the figure complete
    return {**meta, "cached": False}
