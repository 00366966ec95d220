"""Experiments: theory and simulation of the same settings side by side, and their plots.

Plots are built with matplotlib's object-oriented API (:class:`matplotlib.figure.Figure`):
nothing here touches the backend or pyplot's global state, so they work the same
in scripts, in Jupyter and in worker processes.
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from ._files import check_file
from .tables import Tabular

if TYPE_CHECKING:  # for the annotations only
    from matplotlib.figure import Figure

    from .data import DataSource
    from .setting import Setting
    from .simulation import SimulationResult, SimulationResults
    from .theory import TheoryResults

__all__ = ["compare", "Comparison", "plot_comparison", "plot_theory", "save_figure", "check_output_path",
           "COMPARED", "FIGURE_FORMATS"]

#: Metrics compared between theory and simulation.
COMPARED = ("gen_error", "mem_error", "rule_error")

#: File formats a figure can be saved as (by the extension of the path).
FIGURE_FORMATS = ("png", "pdf", "svg")


@dataclass
class Comparison(Tabular):
    """Theory and simulation of the same settings, side by side.

    Attributes
    ----------
    records : list of dict
        One per setting: the parameters, ``d``, ``seeds``, ``converged`` (theory) and,
        for each of ``gen_error, mem_error, rule_error``: ``<metric>_theory``,
        ``<metric>_sim``, ``<metric>_se`` and ``<metric>_z = (sim - theory) / se``.
    theory : TheoryResults
        The theory of every setting.
    sims : SimulationResults
        The simulation of every setting.

    Unpacks as ``records, theory, sims = compare(...)``.
    """

    records: list[dict[str, Any]]
    theory: TheoryResults
    sims: SimulationResults

    def __iter__(self):
        return iter((self.records, self.theory, self.sims))

    def to_records(self) -> list[dict[str, Any]]:
        """The side-by-side records.

        Returns
        -------
        list of dict
            A copy of ``records``, one per setting.
        """
        return list(self.records)

    def z(self, metric: str = "gen_error") -> np.ndarray:
        """``(sim - theory) / se`` of ``metric`` at every point, shape ``(N,)``.

        Parameters
        ----------
        metric : {"gen_error", "mem_error", "rule_error"}, default="gen_error"
            The compared metric.

        Returns
        -------
        ndarray of shape (N,)
            One value per setting (``nan`` where the theory did not converge).

        Raises
        ------
        KeyError
            A metric that is not compared.
        """
        return np.array([r[f"{metric}_z"] for r in self.records], dtype=float)


def compare(settings: Setting | Sequence[Setting], *, d: int = 500, seeds: int = 4, n_test: int = 10_000,
            seed: int = 0, n_jobs: int | None = None, data: DataSource | None = None, progress: bool | None = None,
            **options: Any) -> Comparison:
    """Theory and finite-size simulation of each setting, with the distance in standard errors.

    Parameters
    ----------
    settings : Setting or sequence of Setting
        The points.
    d, seeds, n_test, seed : int
        As for :func:`rafmodel.simulate`.
    n_jobs : int, optional
        As for :func:`rafmodel.simulate`.
    data : DataSource, optional
        As for :func:`rafmodel.simulate`.
    progress : bool, optional
        As for :func:`rafmodel.simulate`.
    **options
        Solver options of the theory (see :class:`rafmodel.SolverOptions`).

    Returns
    -------
    Comparison
        ``z = (sim - theory) / se`` per metric; ``z = 0`` when simulation and theory
        agree exactly with zero spread, ``nan`` when the theory did not converge.

    Raises
    ------
    ParameterError
        A bad solver option or simulation argument.
    TypeError
        An element of ``settings`` that is not a :class:`rafmodel.Setting`, or an
        unknown solver option.

    Examples
    --------
    >>> import rafmodel as rm
    >>> c = rm.compare(rm.Setting(alpha=2.0, eps=0.2, lam=0.1), d=60, seeds=3, n_test=1000)
    >>> bool(abs(c.z("gen_error")[0]) < 5)
    True
    """
    from .setting import Setting
    from .simulation import simulate_many
    from .theory import solve_many

    if isinstance(settings, Setting):
        settings = [settings]
    settings = list(settings)
    from .simulation import check_simulation

    check_simulation(settings, d=d, seeds=seeds, n_test=n_test, seed=seed, n_jobs=n_jobs, data=data)
    if data is None:
        _warn_without_gaussian_equivalence(settings, d)
    theory = solve_many(settings, warn=False, **options)
    sims = simulate_many(settings, d=d, seeds=seeds, n_test=n_test, seed=seed, n_jobs=n_jobs, data=data,
                         progress=progress)
    records = []
    for s, th, sim in zip(settings, theory, sims):
        rec = {"model": s.learner.name, "loss": s.loss.name, **s.labels(), **s.params(), "d": sim.d,
               "seeds": sim.n_seeds, "converged": th.converged}
        for k in COMPARED:
            t, m, se = getattr(th, k), sim.mean(k), sim.se(k)
            rec[f"{k}_theory"] = t
            rec[f"{k}_sim"] = m
            rec[f"{k}_se"] = se
            rec[f"{k}_z"] = (m - t) / se if se > 0 else (0.0 if abs(m - t) <= 1e-9 else math.nan)
        records.append(rec)
    return Comparison(records, theory, sims)


def _warn_without_gaussian_equivalence(settings, d):
    """Warn once if random features on structured inputs are compared at a ``d`` too small for their theory."""
    import warnings

    from .inputs import SECOND_MOMENT_LIMIT
    from .learners import RandomFeatures

    worst = max((s.inputs.second_moment / d for s in settings
                 if isinstance(s.learner, RandomFeatures) and not s.inputs.isotropic), default=0.0)
    if worst > SECOND_MOMENT_LIMIT:
        warnings.warn(f"random features on these inputs at d = {d}: tr(Sigma^2)/d^2 = {worst:.3g} > "
                      f"{SECOND_MOMENT_LIMIT:g}, so the features' pre-activations do not concentrate and the theory "
                      "(Gaussian equivalence, docs/theory.md 3.12) is not expected to match the simulations; "
                      "use a larger d or a spectrum without a few dominant directions", RuntimeWarning, stacklevel=3)


def check_output_path(path: str | os.PathLike[str], name: str = "plot",
                      formats: Sequence[str] = FIGURE_FORMATS) -> str:
    """Check, before any work, that ``path`` can be written as one of ``formats``.

    Parameters
    ----------
    path : str or path-like
        The file to be written.
    name : str, default="plot"
        The parameter named in the error message (the CLI option).
    formats : sequence of str, default=FIGURE_FORMATS
        Allowed extensions, lower case without the dot; empty: any extension.

    Returns
    -------
    str
        ``path`` as a string.

    Raises
    ------
    ParameterError
        The extension is not one of ``formats``, the path is a directory, or its
        folder does not exist or cannot be written.
    """
    return check_file(path, name, tuple(formats))


def save_figure(fig: Figure, path: str | os.PathLike[str]) -> str:
    """Save ``fig`` to exactly ``path``, in the format its extension names (png, pdf, svg).

    Parameters
    ----------
    fig : matplotlib.figure.Figure
        The figure.
    path : str or path-like
        The file, ending in ``.png``, ``.pdf`` or ``.svg`` (at 150 dpi for png).

    Returns
    -------
    str
        ``path`` as a string.

    Raises
    ------
    ParameterError
        As for :func:`check_output_path`.
    """
    path = check_output_path(path)
    fig.savefig(path, format=os.path.splitext(path)[1].lower().lstrip("."), dpi=150)
    return path


def _log_spaced(xs):
    """Whether the values were given log-spaced (then the plot uses a log axis)."""
    x = np.sort(np.unique(np.asarray(xs, dtype=float)))
    if x.size < 3 or x[0] <= 0:
        return False
    r = np.diff(np.log(x))
    return bool(np.allclose(r, r.mean(), rtol=1e-6) and x[-1] / x[0] > 20)


def _new_axes():
    from matplotlib.figure import Figure

    fig = Figure(figsize=(5.5, 3.8), layout="constrained")
    return fig, fig.add_subplot()


_COLORS = {"gen_error": "C0", "mem_error": "C3", "rule_error": "C2"}


def _finish_axes(fig, ax, base, var, logx, path):
    if logx:
        ax.set_xscale("log")
    ax.set_xlabel(var)
    ax.set_ylabel("error")
    fixed = {k: v for k, v in base.params().items() if k != var}
    ax.set_title(f"{base.learner.name}, {base.loss.name} loss; "
                 + ", ".join(f"{k} = {v:.3g}" for k, v in fixed.items()), fontsize=9)
    ax.legend(fontsize=7, frameon=False)
    if path is not None:
        save_figure(fig, path)
    return fig


def plot_theory(settings: Sequence[Setting], results: TheoryResults, var: str,
                path: str | os.PathLike[str] | None = None) -> Figure:
    """``gen_error``, ``mem_error``, ``rule_error`` of the theory along ``var``.

    Parameters
    ----------
    settings : sequence of Setting
        Settings that differ only in ``var``.
    results : TheoryResults
        Their solutions.
    var : str
        The parameter along the x axis (``alpha``, ``eps``, ``lam`` or a learner parameter).
    path : str or path-like, optional
        Save the figure there (``.png``, ``.pdf`` or ``.svg``).

    Returns
    -------
    matplotlib.figure.Figure
        Points that did not converge are left out of the curves (gaps, marked ``x``), never drawn.

    Raises
    ------
    ParameterError
        A ``path`` that cannot be written (checked after drawing).
    """
    xs = np.array([s.params()[var] for s in settings])
    order = np.argsort(xs)
    logx = _log_spaced(xs)
    fig, ax = _new_axes()
    conv = np.asarray(results.converged)[order]
    for k in COMPARED:
        y = np.where(conv, np.asarray(getattr(results, k))[order], np.nan)
        ax.plot(xs[order], y, "-o", ms=2.5, lw=1.4, color=_COLORS[k], label=k)
    if not conv.all():
        ax.plot(xs[order][~conv], np.zeros((~conv).sum()), "x", color="k", label="not converged")
    return _finish_axes(fig, ax, settings[0], var, logx, path)


def plot_comparison(settings: Sequence[Setting], sims: Sequence[SimulationResult], var: str,
                    path: str | os.PathLike[str] | None = None, *, n_points: int = 200) -> Figure:
    """Theory curves along ``var`` and simulation points with error bars.

    Parameters
    ----------
    settings : sequence of Setting
        Settings that differ only in ``var`` (``alpha``, ``eps``, ``lam`` or a learner parameter).
    sims : sequence of SimulationResult
        Their simulations.
    var : str
        The parameter along the x axis.
    path : str or path-like, optional
        Save the figure there (``.png``, ``.pdf`` or ``.svg``).
    n_points : int, default=200
        The theory is drawn on this many values between the extremes of ``var``
        (log-spaced when the settings are).

    Returns
    -------
    matplotlib.figure.Figure
        Theory points that did not converge are left out of the curves (gaps).

    Raises
    ------
    ParameterError
        A ``path`` that cannot be written (checked after drawing).
    """
    from .learners import get_learner
    from .theory import solve_many

    base = settings[0]
    xs = np.array([s.params()[var] for s in settings])
    lo, hi = xs.min(), xs.max()
    logx = _log_spaced(xs)
    dense = np.geomspace(lo, hi, n_points) if logx else np.linspace(lo, hi, n_points)
    if var in ("alpha", "eps", "lam"):
        curve = [base.replace(**{var: float(v)}) for v in dense]
    else:
        p0 = {k: float(v) for k, v in base.learner.params().items()}
        curve = [base.replace(learner=get_learner(base.learner.name, **{**p0, var: float(v)})) for v in dense]
    th = solve_many(curve, warn=False)
    fig, ax = _new_axes()
    for k in COMPARED:
        ax.plot(dense, np.where(th.converged, getattr(th, k), np.nan), color=_COLORS[k], lw=1.6,
                label=f"{k} (theory)")
        ax.errorbar(xs, [s.mean(k) for s in sims], yerr=[s.se(k) for s in sims], fmt="o", ms=4, capsize=2,
                    color=_COLORS[k], label=f"{k} (d = {sims[0].d}, {sims[0].n_seeds} seeds)")
    return _finish_axes(fig, ax, base, var, logx, path)
