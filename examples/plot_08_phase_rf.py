"""
Random features: the (alpha, kappa) plane
=========================================

Figure ``phase-rf`` of the report: random features (relu, square loss): the (alpha, kappa) plane, the interpolation threshold kappa = alpha and where the lam -> 0+ learner generalizes within 1 % of the optimally regularized one.

The same figure at full resolution: ``raf figure phase-rf --out figures`` (or
``rafmodel.figures.write_figure("phase-rf", "figures")``).
"""

# %%
# Compute the figure at reduced resolution. ``make_figure`` returns the matplotlib figure
# (object-oriented, no pyplot state), the plotted numbers as a DataFrame, and the caption.
import textwrap

from rafmodel.figures import make_figure

result = make_figure("phase-rf", quick=True)
fig = result.figure
print(textwrap.fill(result.caption, 88))

# %%
# The plotted numbers, one row per point, in the package vocabulary (``source`` says
# theory, simulation or bayes; simulations carry standard errors ``*_se``).
result.table.head(10)

# %%
# The parameters used here (the ``quick`` ones where they differ from the defaults).
# Any of them can be given to ``make_figure`` or as an option of ``raf figure phase-rf``.
result.params
