"""Publication defaults, applied per figure (never through global rcParams)."""

from __future__ import annotations

__all__ = ["PALETTE", "COLORS", "new_figure", "finish", "LABELS"]

#: Okabe-Ito colour-blind-safe palette.
PALETTE = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#F0E442", "#000000")

#: One colour per quantity, the same in every figure.
COLORS = {"gen_error": PALETTE[0], "mem_error": PALETTE[1], "rule_error": PALETTE[2], "bayes": "#000000"}

#: Axis labels in the package notation.
LABELS = {"alpha": r"$\alpha = n/d$", "eps": r"$\varepsilon$ (fraction of facts)", "lam": r"$\lambda$",
          "kappa": r"$\kappa = p/d$", "gen_error": "gen_error", "mem_error": "mem_error",
          "rule_error": "rule_error", "ratio": r"$\mu_\star^2/\mu_1^2$", "alpha_c": r"$\alpha_c$"}

FONT = 9


def new_figure(ncols=1, nrows=1, *, width=3.4, height=2.7, sharey=False):
    """A constrained-layout :class:`matplotlib.figure.Figure` and its axes (a list)."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width * ncols, height * nrows), layout="constrained")
    axes = fig.subplots(nrows, ncols, sharey=sharey, squeeze=False).ravel().tolist()
    for ax in axes:
        ax.tick_params(labelsize=FONT - 1)
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
    return fig, axes


def finish(ax, *, xlabel=None, ylabel=None, title=None, legend=True, logx=False, logy=False):
    """Labels, scales and a frameless legend in the house style."""
    from matplotlib.ticker import FuncFormatter, LogFormatterSciNotation, LogLocator, NullFormatter

    for on, axis, setter, lim in ((logx, ax.xaxis, ax.set_xscale, ax.get_xlim),
                                  (logy, ax.yaxis, ax.set_yscale, ax.get_ylim)):
        if on:
            setter("log")
            lo, hi = lim()
            if lo > 0 and hi / lo < 1e3:  # a few decades: plain numbers at 1, 2, 5 x 10^k
                axis.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
                axis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
            else:
                axis.set_major_formatter(LogFormatterSciNotation(labelOnlyBase=True))
            axis.set_minor_formatter(NullFormatter())
    if xlabel:
        ax.set_xlabel(LABELS.get(xlabel, xlabel), fontsize=FONT)
    if ylabel:
        ax.set_ylabel(LABELS.get(ylabel, ylabel), fontsize=FONT)
    if title:
        ax.set_title(title, fontsize=FONT)
    if legend and ax.get_legend_handles_labels()[0]:
        ax.legend(fontsize=FONT - 2, frameon=False)
