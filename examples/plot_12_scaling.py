"""
Learning curves on a power-law spectrum
=======================================

Figure ``scaling`` of the report: structured inputs: gen_error and mem_error vs alpha (log-log) on a power-law spectrum, ridge and the SVM at their optimal lam, with and without facts, with fitted exponents and the isotropic curve for comparison (docs/theory.md section 3.11).

The same figure at full resolution: ``raf figure scaling --out figures`` (or
``rafmodel.figures.write_figure("scaling", "figures")``).
"""

# %%
# Compute the figure at reduced resolution. ``make_figure`` returns the matplotlib figure
# (object-oriented, no pyplot state), the plotted numbers as a DataFrame, and the caption.
import textwrap

from rafmodel.figures import make_figure

result = make_figure("scaling", quick=True)
fig = result.figure
print(textwrap.fill(result.caption, 88))

# %%
# The plotted numbers, one row per point, in the package vocabulary (``source`` says
# theory, simulation or bayes; simulations carry standard errors ``*_se``).
result.table.head(10)

# %%
# The parameters used here (the ``quick`` ones where they differ from the defaults).
# Any of them can be given to ``make_figure`` or as an option of ``raf figure scaling``.
result.params
