"""
Which examples are facts
========================

Figure ``fact-detection`` of the report: which training examples are facts: ROC curves of AMP's fact posterior (theory and data), the SVM margin and the ridge residual, and their AUC along alpha.

The same figure at full resolution: ``raf figure fact-detection --out figures`` (or
``rafmodel.figures.write_figure("fact-detection", "figures")``).
"""

# %%
# Compute the figure at reduced resolution. ``make_figure`` returns the matplotlib figure
# (object-oriented, no pyplot state), the plotted numbers as a DataFrame, and the caption.
import textwrap

from rafmodel.figures import make_figure

result = make_figure("fact-detection", quick=True)
fig = result.figure
print(textwrap.fill(result.caption, 88))

# %%
# The plotted numbers, one row per point, in the package vocabulary (``source`` says
# theory, simulation or bayes; simulations carry standard errors ``*_se`` and z-scores ``*_z``).
result.table.head(10)

# %%
# The parameters used here (the ``quick`` ones where they differ from the defaults).
# Any of them can be given to ``make_figure`` or as an option of ``raf figure fact-detection``.
result.params
