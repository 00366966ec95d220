"""Experiments: theory and simulation of the same settings, side by side, and their plot."""

from __future__ import annotations

import math

import numpy as np

__all__ = ["compare", "plot_comparison", "plot_theory", "COMPARED"]

#: Metrics compared between theory and simulation.
COMPARED = ("gen_error", "mem_error", "rule_error")


def compare(settings, *, d=500, seeds=4, n_test=10_000, seed=0, n_jobs=None, progress=None):
    """Theory and finite-size simulation of each setting, with the distance in standard errors.

    Parameters
    ----------
    settings : Setting or sequence of Setting
    d, seeds, n_test, seed, n_jobs, progress
        As for :func:`rafmodel.simulation.simulate`.

    Returns
    -------
    records : list of dict
        One per setting: the parameters, ``d``, ``seeds``, ``converged`` (theory) and,
        for each of ``gen_error, mem_error, rule_error``: ``<metric>_theory``,
        ``<metric>_sim``, ``<metric>_se`` and ``<metric>_z = (sim - theory) / se``.
    theory : TheoryResults
    sims : list of SimulationResult
    """
    from .setting import Setting
    from .simulation import simulate_many
    from .theory import solve_many

    if isinstance(settings, Setting):
        settings = [settings]
    settings = list(settings)
    theory = solve_many(settings, warn=False)
    sims = simulate_many(settings, d=d, seeds=seeds, n_test=n_test, seed=seed, n_jobs=n_jobs, progress=progress)
    records = []
    for s, th, sim in zip(settings, theory, sims):
        rec = {"model": s.learner.name, "loss": s.loss.name, **s.params(), "d": sim.d, "seeds": sim.n_seeds,
               "converged": th.converged}
        for k in COMPARED:
            t, m, se = getattr(th, k), sim.mean(k), sim.se(k)
            rec[f"{k}_theory"] = t
            rec[f"{k}_sim"] = m
            rec[f"{k}_se"] = se
            rec[f"{k}_z"] = (m - t) / se if se > 0 else (0.0 if abs(m - t) <= 1e-9 else math.nan)
        records.append(rec)
    return records, theory, sims


def _log_spaced(xs):
    """Whether the values were given log-spaced (then the plot uses a log axis)."""
    x = np.sort(np.unique(np.asarray(xs, dtype=float)))
    if x.size < 3 or x[0] <= 0:
        return False
    r = np.diff(np.log(x))
    return bool(np.allclose(r, r.mean(), rtol=1e-6) and x[-1] / x[0] > 20)


def _new_axes():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt, *plt.subplots(figsize=(5.5, 3.8), constrained_layout=True)


_COLORS = {"gen_error": "C0", "mem_error": "C3", "rule_error": "C2"}


def _finish_axes(plt, fig, ax, base, var, logx, path):
    if logx:
        ax.set_xscale("log")
    ax.set_xlabel(var)
    ax.set_ylabel("error")
    fixed = {k: v for k, v in base.params().items() if k != var}
    ax.set_title(f"{base.learner.name}, {base.loss.name} loss; "
                 + ", ".join(f"{k} = {v:.3g}" for k, v in fixed.items()), fontsize=9)
    ax.legend(fontsize=7, frameon=False)
    try:
        fig.savefig(path, dpi=150)
    finally:
        plt.close(fig)
    return path


def plot_theory(settings, results, var, path):
    """``gen_error``, ``mem_error``, ``rule_error`` of the theory along ``var``; saved to ``path``.

    Points that did not converge are left out of the curves (gaps), never drawn.
    """
    xs = np.array([s.params()[var] for s in settings])
    order = np.argsort(xs)
    logx = _log_spaced(xs)
    plt, fig, ax = _new_axes()
    conv = np.asarray(results.converged)[order]
    for k in COMPARED:
        y = np.where(conv, np.asarray(getattr(results, k))[order], np.nan)
        ax.plot(xs[order], y, "-o", ms=2.5, lw=1.4, color=_COLORS[k], label=k)
    if not conv.all():
        ax.plot(xs[order][~conv], np.zeros((~conv).sum()), "x", color="k", label="not converged")
    return _finish_axes(plt, fig, ax, settings[0], var, logx, path)


def plot_comparison(settings, sims, var, path, *, n_points=200):
    """Theory curves along ``var`` and simulation points with error bars; saved to ``path``.

    ``settings`` differ only in ``var`` (``alpha``, ``eps``, ``lam`` or a learner
    parameter); the theory is drawn on ``n_points`` values between their extremes.
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
    plt, fig, ax = _new_axes()
    for k in COMPARED:
        ax.plot(dense, np.where(th.converged, getattr(th, k), np.nan), color=_COLORS[k], lw=1.6,
                label=f"{k} (theory)")
        ax.errorbar(xs, [s.mean(k) for s in sims], yerr=[s.se(k) for s in sims], fmt="o", ms=4, capsize=2,
                    color=_COLORS[k], label=f"{k} (d = {sims[0].d}, {sims[0].n_seeds} seeds)")
    return _finish_axes(plt, fig, ax, base, var, logx, path)
