"""A cheap stand-in for registered figures, for the checks that do not depend on what a figure draws
(the cache, where the files go, what is checked before any work)."""

from __future__ import annotations

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
