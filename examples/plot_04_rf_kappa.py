"""
Random features along kappa
===========================

Figure ``rf-kappa`` of the report: random features (relu, tanh): gen_error and mem_error vs kappa = p/d at fixed alpha, square and hinge, at lam = 0 and a small lam, with the kernel limit and the interpolation thresholds.

The same figure at full resolution: ``raf figure rf-kappa --out figures`` (or
``rafmodel.figures.write_figure("rf-kappa", "figures")``).
"""

# %%
# Compute the figure at reduced resolution. ``make_figure`` returns the matplotlib figure
# (object-oriented, no pyplot state), the plotted numbers as a DataFrame, and the caption.
import textwrap

from rafmodel.figures import make_figure

result = make_figure("rf-kappa", quick=True)
fig = result.figure
print(textwrap.fill(result.caption, 88))

# %%
# The plotted numbers, one row per point, in the package vocabulary (``source`` says
# theory, simulation or bayes; simulations carry standard errors ``*_se``).
result.table.head(10)

# %%
# The parameters used here (the ``quick`` ones where they differ from the defaults).
# Any of them can be given to ``make_figure`` or as an option of ``raf figure rf-kappa``.
result.params
