"""Figures in the tests: a cheap stand-in for registered figures, for the checks that do not depend
on what a figure draws (the cache, where the files go, what is checked before any work), and the
check that a figure's table rows are what the theory returns."""

from __future__ import annotations

import pytest

import rafmodel as rm
import rafmodel.report as report
from rafmodel._validation import POSITIVE_INT
from rafmodel.figures import FIGURES
from rafmodel.figures._registry import FigureSpec


def small_figure(p, ctx):
    """A 2 x 2 inch figure of ``p["n"]`` points, its table and caption; it shows whether simulations
    were asked for, so that a figure made with and without them differs as a real one does."""
    import pandas as pd
    from matplotlib.figure import Figure

    fig = Figure(figsize=(2, 2))
    fig.add_subplot().plot(range(p["n"]))
    fig.text(0.1, 0.1, getattr(ctx, "no_sim", "") or "sim")
    table = pd.DataFrame({"source": "theory", "x": range(p["n"])})
    return fig, table, f"Stand-in: {p['n']} points."


def stand_in(monkeypatch, names=("capacity",), computed=None, listed_only=False):
    """Register :func:`small_figure` under each of ``names`` (one parameter ``n``, 3 by default).

    ``computed``: a list that gets the parameters of every figure computed.  ``listed_only``: the
    report lists these figures only.
    """

    def func(p, ctx):
        if computed is not None:
            computed.append(p)
        return small_figure(p, ctx)

    for name in names:
        spec = FigureSpec(name, FIGURES[name].description, func, {"n": 3}, {}, {"n": POSITIVE_INT})
        monkeypatch.setitem(FIGURES, name, spec)
    if listed_only:
        monkeypatch.setattr(report, "list_figures", lambda: {n: FIGURES[n].description for n in names})
    return computed


def assert_rows_are_the_theory(rows, learner_of):
    """Each row of a figure's table (at least one) has the errors :func:`rafmodel.solve` gives at its
    own ``alpha, eps, lam, loss`` and the learner ``learner_of(row)`` rebuilds from the row."""
    assert len(rows) > 0, "no rows to check"
    for _, r in rows.iterrows():
        th = rm.solve(rm.Setting(alpha=r["alpha"], eps=r["eps"], lam=r["lam"], loss=r["loss"], learner=learner_of(r)))
        for k in ("gen_error", "mem_error", "rule_error"):
            assert getattr(th, k) == pytest.approx(r[k], abs=1e-9), (k, dict(r))
