"""
Kernels: errors along lam
=========================

Figure ``kernel-lambda`` of the report: kernel learner: gen_error and mem_error vs lam for several mustar^2/mu1^2, square and hinge, with lam_opt (and the square-loss closed form), the memorize-for-free case lam_opt = 0, and square-loss simulations.

The same figure at full resolution: ``raf figure kernel-lambda --out figures`` (or
``rafmodel.figures.write_figure("kernel-lambda", "figures")``).
"""

# %%
# Compute the figure at reduced resolution. ``make_figure`` returns the matplotlib figure
# (object-oriented, no pyplot state), the plotted numbers as a DataFrame, and the caption.
import textwrap

from rafmodel.figures import make_figure

result = make_figure("kernel-lambda", quick=True)
fig = result.figure
print(textwrap.fill(result.caption, 88))

# %%
# The plotted numbers, one row per point, in the package vocabulary (``source`` says
# theory, simulation or bayes; simulations carry standard errors ``*_se``).
result.table.head(10)

# %%
# The parameters used here (the ``quick`` ones where they differ from the defaults).
# Any of them can be given to ``make_figure`` or as an option of ``raf figure kernel-lambda``.
result.params
