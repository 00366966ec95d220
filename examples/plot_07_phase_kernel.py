"""
When the interpolator is kernel ridge's optimum
===============================================

Figure ``phase-kernel`` of the report: the (eps, mustar^2/mu1^2) plane: where kernel ridge's optimal lam is 0 (the interpolator; closed-form boundary, checked numerically), whether the facts are stored at the optimum, and what interpolating costs the kernel SVM.

The same figure at full resolution: ``raf figure phase-kernel --out figures`` (or
``rafmodel.figures.write_figure("phase-kernel", "figures")``).
"""

# %%
# Compute the figure at reduced resolution. ``make_figure`` returns the matplotlib figure
# (object-oriented, no pyplot state), the plotted numbers as a DataFrame, and the caption.
import textwrap

from rafmodel.figures import make_figure

result = make_figure("phase-kernel", quick=True)
fig = result.figure
print(textwrap.fill(result.caption, 88))

# %%
# The plotted numbers, one row per point, in the package vocabulary (``source`` says
# theory, simulation or bayes; simulations carry standard errors ``*_se``).
result.table.head(10)

# %%
# The parameters used here (the ``quick`` ones where they differ from the defaults).
# Any of them can be given to ``make_figure`` or as an option of ``raf figure phase-kernel``.
result.params
