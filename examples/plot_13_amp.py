"""
AMP per iteration and the Bayes-optimal error on data
=====================================================

Figure ``amp`` of the report: AMP on data: the overlap m_t per iteration against state evolution, and AMP's test error against the Bayes-optimal error along alpha.

The same figure at full resolution: ``raf figure amp --out figures`` (or
``rafmodel.figures.write_figure("amp", "figures")``).
"""

# %%
# Compute the figure at reduced resolution. ``make_figure`` returns the matplotlib figure
# (object-oriented, no pyplot state), the plotted numbers as a DataFrame, and the caption.
import textwrap

from rafmodel.figures import make_figure

result = make_figure("amp", quick=True)
fig = result.figure
print(textwrap.fill(result.caption, 88))

# %%
# The plotted numbers, one row per point, in the package vocabulary (``source`` says
# theory, simulation or bayes; simulations carry standard errors ``*_se`` and z-scores ``*_z``).
result.table.head(10)

# %%
# The parameters used here (the ``quick`` ones where they differ from the defaults).
# Any of them can be given to ``make_figure`` or as an option of ``raf figure amp``.
result.params
