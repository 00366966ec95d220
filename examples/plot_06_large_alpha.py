"""
Rates at large alpha
====================

Figure ``large-alpha`` of the report: large alpha: gen_error vs alpha (log-log) for ridge at its optimal lam, the SVM, logistic regression and the Bayes-optimal, with fitted exponents and alpha^-1/2, alpha^-1 guides.

The same figure at full resolution: ``raf figure large-alpha --out figures`` (or
``rafmodel.figures.write_figure("large-alpha", "figures")``).
"""

# %%
# Compute the figure at reduced resolution. ``make_figure`` returns the matplotlib figure
# (object-oriented, no pyplot state), the plotted numbers as a DataFrame, and the caption.
import textwrap

from rafmodel.figures import make_figure

result = make_figure("large-alpha", quick=True)
fig = result.figure
print(textwrap.fill(result.caption, 88))

# %%
# The plotted numbers, one row per point, in the package vocabulary (``source`` says
# theory, simulation or bayes; simulations carry standard errors ``*_se``).
result.table.head(10)

# %%
# The parameters used here (the ``quick`` ones where they differ from the defaults).
# Any of them can be given to ``make_figure`` or as an option of ``raf figure large-alpha``.
result.params
