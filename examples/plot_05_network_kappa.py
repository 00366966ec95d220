"""
Trained networks along kappa
============================

Figure ``network-kappa`` of the report: trained two-layer networks (relu, square loss): gen_error and mem_error vs kappa = p/d for the lazy and mean-field scalings, next to the random-features theory and the kernel limit, and training curves.

The same figure at full resolution: ``raf figure network-kappa --out figures`` (or
``rafmodel.figures.write_figure("network-kappa", "figures")``).
"""

# %%
# Compute the figure at reduced resolution. ``make_figure`` returns the matplotlib figure
# (object-oriented, no pyplot state), the plotted numbers as a DataFrame, and the caption.
import importlib.util
import textwrap

from rafmodel.figures import make_figure

# the trained networks need the optional extra rafmodel[nn] (jax, optax); without it, the
# theory panels only
result = make_figure("network-kappa", quick=True, sim=importlib.util.find_spec("jax") is not None)
fig = result.figure
print(textwrap.fill(result.caption, 88))

# %%
# The plotted numbers, one row per point, in the package vocabulary (``source`` says
# theory, simulation or bayes; simulations carry standard errors ``*_se``).
result.table.head(10)

# %%
# The parameters used here (the ``quick`` ones where they differ from the defaults).
# Any of them can be given to ``make_figure`` or as an option of ``raf figure network-kappa``.
result.params
