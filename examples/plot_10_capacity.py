"""
The capacity alpha_c(eps)
=========================

Figure ``capacity`` of the report: alpha_c(eps): the Gardner capacity extended to rules plus facts, for the linear learner and random features at several kappa, with linear-programming separability tests on samples.

The same figure at full resolution: ``raf figure capacity --out figures`` (or
``rafmodel.figures.write_figure("capacity", "figures")``).
"""

# %%
# Compute the figure at reduced resolution. ``make_figure`` returns the matplotlib figure
# (object-oriented, no pyplot state), the plotted numbers as a DataFrame, and the caption.
import textwrap

from rafmodel.figures import make_figure

result = make_figure("capacity", quick=True)
fig = result.figure
print(textwrap.fill(result.caption, 88))

# %%
# The plotted numbers, one row per point, in the package vocabulary (``source`` says
# theory, simulation or bayes; simulations carry standard errors ``*_se``).
result.table.head(10)

# %%
# The parameters used here (the ``quick`` ones where they differ from the defaults).
# Any of them can be given to ``make_figure`` or as an option of ``raf figure capacity``.
result.params
