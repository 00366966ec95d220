"""
The rule-fact trade-off
=======================

Figure ``tradeoff`` of the report: the rule-fact trade-off: mem_error vs gen_error as lam runs from 0 to large, for the linear learner and kernels of increasing mustar^2/mu1^2, square and hinge, with the lam = 0 end and the optimal lam marked.

The same figure at full resolution: ``raf figure tradeoff --out figures`` (or
``rafmodel.figures.write_figure("tradeoff", "figures")``).
"""

# %%
# Compute the figure at reduced resolution. ``make_figure`` returns the matplotlib figure
# (object-oriented, no pyplot state), the plotted numbers as a DataFrame, and the caption.
import textwrap

from rafmodel.figures import make_figure

result = make_figure("tradeoff", quick=True)
fig = result.figure
print(textwrap.fill(result.caption, 88))

# %%
# The plotted numbers, one row per point, in the package vocabulary (``source`` says
# theory, simulation or bayes; simulations carry standard errors ``*_se``).
result.table.head(10)

# %%
# The parameters used here (the ``quick`` ones where they differ from the defaults).
# Any of them can be given to ``make_figure`` or as an option of ``raf figure tradeoff``.
result.params
