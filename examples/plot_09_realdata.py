"""
Real images: digits
===================

Figure ``realdata`` of the report: real images: kernel ridge (RBF) on digits 3 vs 5 with images of 8 as facts; gen_error and mem_error vs lam for several bandwidths, and the trade-off curve, with the mixture theory (the classes as Gaussian clouds in the kernel's feature space) and the isotropic Gaussian theory of the same kernel.

The same figure at full resolution: ``raf figure realdata --out figures`` (or
``rafmodel.figures.write_figure("realdata", "figures")``).
"""

# %%
# Compute the figure at reduced resolution. ``make_figure`` returns the matplotlib figure
# (object-oriented, no pyplot state), the plotted numbers as a DataFrame, and the caption.
import textwrap

from rafmodel.figures import make_figure

result = make_figure("realdata", quick=True)
fig = result.figure
print(textwrap.fill(result.caption, 88))

# %%
# The plotted numbers, one row per point, in the package vocabulary (``source`` says
# theory, simulation or bayes; simulations carry standard errors ``*_se``).
result.table.head(10)

# %%
# The parameters used here (the ``quick`` ones where they differ from the defaults).
# Any of them can be given to ``make_figure`` or as an option of ``raf figure realdata``.
result.params
