"""
The linear learner along alpha
==============================

Figure ``linear-alpha`` of the report: linear learner: gen_error and mem_error vs alpha, square and hinge, at lam = 0, a small lam and the optimal lam, with the Bayes-optimal error and alpha_c(eps).

The same figure at full resolution: ``raf figure linear-alpha --out figures`` (or
``rafmodel.figures.write_figure("linear-alpha", "figures")``).
"""

# %%
# Compute the figure at reduced resolution. ``make_figure`` returns the matplotlib figure
# (object-oriented, no pyplot state), the plotted numbers as a DataFrame, and the caption.
import textwrap

from rafmodel.figures import make_figure

result = make_figure("linear-alpha", quick=True)
fig = result.figure
print(textwrap.fill(result.caption, 88))

# %%
# The plotted numbers, one row per point, in the package vocabulary (``source`` says
# theory, simulation or bayes; simulations carry standard errors ``*_se``).
result.table.head(10)

# %%
# The parameters used here (the ``quick`` ones where they differ from the defaults).
# Any of them can be given to ``make_figure`` or as an option of ``raf figure linear-alpha``.
result.params
