"""The figure registry: one function per figure, its parameters, defaults and description."""

from __future__ import annotations

import functools
import hashlib
import json
import os
from dataclasses import dataclass, field
from typing import Callable

from .._validation import Constraint
from ..exceptions import ParameterError

__all__ = ["FigureSpec", "FigureResult", "Context", "register_figure", "FIGURES", "get_figure"]


@dataclass
class Context:
    """How a figure is computed: ``quick`` (reduced resolution), ``sim`` (simulations on), ``progress``,
    ``n_jobs`` for the simulations (results do not depend on it), and ``no_sim``: where ``sim`` is
    false, why (the extra the simulations need is absent, or they were turned off), in words a
    figure can show in place of its simulation panels."""

    quick: bool = False
    sim: bool = True
    progress: bool = False
    n_jobs: int | None = None
    no_sim: str = ""


@dataclass
class FigureResult:
    """A computed figure.

    Attributes
    ----------
    name : str
        The figure's registered name.
    figure : matplotlib.figure.Figure
        The figure (object-oriented; no pyplot state).
    table : pandas.DataFrame
        The plotted numbers, one row per plotted point, in the package vocabulary, with a
        ``source`` column (``theory``, ``simulation``, ``bayes``; ``extrapolation`` for the
        finite-size fits) and ``*_se`` for simulations; where a simulation is compared with the
        theory, ``*_theory`` and the z-score ``*_z`` (measured standard error, no floor).
    caption : str
        The finding, with numbers taken from the computation.
    params : dict
        The parameters used.
    """

    name: str
    figure: object
    table: object
    caption: str
    params: dict = field(default_factory=dict)


@dataclass
class FigureSpec:
    """A registered figure: ``func(params, ctx) -> (Figure, DataFrame, caption)``.

    Attributes
    ----------
    name, description : str
    func : callable
    defaults : dict
        Default values of the user-settable parameters (numbers or lists of numbers).
    quick : dict
        Overrides for ``--quick`` (reduced resolution).
    constraints : dict
        ``{parameter: Constraint}`` for the settable parameters.
    sim_params : tuple of str
        Parameters that only matter when simulations are drawn (``d``, ``seeds``).
    requires : tuple of str
        Modules the figure's simulations need beyond the base install (e.g. ``("jax", "optax")``,
        the extra ``rafmodel[nn]``); :meth:`missing` names those absent.  Without simulations
        (``sim=False``) the figure needs nothing more.
    """

    name: str
    description: str
    func: Callable
    defaults: dict
    quick: dict
    constraints: dict
    sim_params: tuple = ("d", "seeds")
    requires: tuple = ()

    def missing(self) -> list:
        """The modules of ``requires`` that cannot be imported here."""
        import importlib.util

        out = []
        for mod in self.requires:
            try:
                found = importlib.util.find_spec(mod) is not None
            except (ImportError, ValueError):
                found = False
            if not found:
                out.append(mod)
        return out

    def install_hint(self, sim: bool = True) -> str:
        """What to install for the missing modules (``""`` if none is missing, or ``sim`` is false)."""
        miss = self.missing() if sim else []
        if not miss:
            return ""
        return f"needs rafmodel[nn] ({', '.join(miss)} missing): pip install 'rafmodel[nn]'"

    def resolve(self, overrides: dict, ctx: Context) -> dict:
        """The parameters of one run: defaults, then ``quick`` ones, then the user's (validated).

        Every size is checked before any work, by its name, against the limits of
        :mod:`rafmodel._validation` (the same as the command line's): ``d``, ``seeds``,
        each ``n_*`` resolution and their product, and the memory of the
        simulations' data (``n = alpha d`` samples of ``d``, or ``kappa d``, numbers).

        Raises
        ------
        ParameterError
            An unknown parameter, a value its constraint refuses, or a size beyond the limits.
        """
        params = dict(self.defaults)
        if ctx.quick:
            params.update(self.quick)
        for k, v in overrides.items():
            if k not in self.constraints:
                allowed = ", ".join(sorted(self.constraints)) or "none"
                raise ParameterError(k, f"not a parameter of figure {self.name!r} (its parameters: {allowed})")
            c: Constraint = self.constraints[k]
            vals = v if isinstance(v, (list, tuple)) else [v]
            if not vals:
                raise ParameterError(k, "must not be empty")
            checked = [c.check(k, x) for x in vals]
            params[k] = checked if isinstance(self.defaults.get(k), (list, tuple)) else (
                checked[0] if len(checked) == 1 else _one(k, checked))
        _check_sizes(params, ctx)
        return params

    def key(self, params: dict, ctx: Context) -> str:
        """A hash of everything that changes the result: the figure, its parameters, ``quick``,
        ``sim``, the package version and the package's source code (:func:`source_digest`)."""
        from .. import __version__

        used = {k: v for k, v in params.items() if ctx.sim or k not in self.sim_params}
        what = {"figure": self.name, "params": used, "quick": ctx.quick, "sim": ctx.sim, "version": __version__,
                "source": source_digest()}
        if not ctx.sim and ctx.no_sim:  # the figure says why it has no simulations: a new reason, a new figure
            what["no_sim"] = ctx.no_sim
        blob = json.dumps(what, sort_keys=True, default=repr)
        return hashlib.sha256(blob.encode()).hexdigest()[:20]


@functools.lru_cache(maxsize=1)
def source_digest() -> str:
    """The sha256 of the package's Python source (every ``.py`` file under ``rafmodel``, by path).

    Part of every figure's cache key: a figure computed by other code (an edited checkout, a
    development version between releases) is recomputed, not read back.
    """
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    h = hashlib.sha256()
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d != "__pycache__")
        for f in sorted(files):
            if f.endswith(".py"):
                path = os.path.join(folder, f)
                h.update(os.path.relpath(path, root).replace(os.sep, "/").encode() + b"\0")
                with open(path, "rb") as fh:
                    h.update(hashlib.sha256(fh.read()).digest())
    return h.hexdigest()


#: Test samples per repetition of the figures' simulations (for the memory estimate).
_FIGURE_N_TEST = 4000


def _largest(params, *names):
    vals = []
    for k in names:
        v = params.get(k)
        vals += [float(x) for x in (v if isinstance(v, (list, tuple)) else [v]) if isinstance(x, (int, float))]
    return max(vals) if vals else None


def _check_sizes(params, ctx):
    """The limits of one call, by parameter name (see :meth:`FigureSpec.resolve`)."""
    import math

    from .._validation import MAX_POINTS, check_count, check_size_option
    from ..data.gaussian import MAX_ARRAY_BYTES

    for k, v in params.items():
        check_size_option(k, v)
    res = {k: v for k, v in params.items() if k.startswith("n_") and isinstance(v, int) and not isinstance(v, bool)}
    if res:
        check_count(next(iter(res)), math.prod(res.values()), MAX_POINTS,
                    what=f"points ({' x '.join(res)})", hint="use a coarser resolution")
    d = params.get("d")
    if not ctx.sim or not isinstance(d, int):
        return
    alpha = _largest(params, "sim_alpha") or _largest(params, "alpha")
    kappa = _largest(params, "sim_kappa", "curve_kappa") or _largest(params, "kappa")
    n = math.ceil(alpha * d) if alpha else 0
    width = max(d, math.ceil(kappa * d) if kappa else 0)
    for what, rows in (("training set", n), ("test set", _FIGURE_N_TEST)):
        size = 8.0 * rows * width
        if size > MAX_ARRAY_BYTES:
            raise ParameterError("d", f"the simulations' {what} ({rows} x {width}) needs {size / 2**30:.1f} GiB, "
                                      f"more than {MAX_ARRAY_BYTES / 2**30:.0f} GiB; use a smaller d")


def _one(name, values):
    raise ParameterError(name, f"takes one value here, got {len(values)}")


FIGURES: dict[str, FigureSpec] = {}


def register_figure(name, description, *, defaults, constraints, quick=None, sim_params=("d", "seeds"),
                    requires=()):
    """Register a figure function under ``name`` (a decorator).

    The function takes ``(params, ctx)`` and returns ``(Figure, DataFrame, caption)``;
    ``requires`` names the optional modules it needs (the report skips it, with a note,
    where they are absent).
    """
    def deco(func):
        FIGURES[name] = FigureSpec(name, description, func, dict(defaults), dict(quick or {}), dict(constraints),
                                   tuple(sim_params), tuple(requires))
        return func
    return deco


def get_figure(name) -> FigureSpec:
    """The registered figure ``name``, or a :class:`ParameterError` listing the names."""
    if name not in FIGURES:
        raise ParameterError("figure", f"unknown figure {name!r}; allowed: {', '.join(FIGURES)}")
    return FIGURES[name]
