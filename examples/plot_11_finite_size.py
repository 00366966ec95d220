"""
Finite-size check
=================

Figure ``finite-size`` of the report: gen_error and mem_error of simulations at growing d against 1/d, for one setting per learner (linear, kernel, random features) and loss (square, hinge), with the weighted least-squares extrapolation to d -> inf and its 95 % interval beside the theory.

The same figure at full resolution (d = 100, 200, 400, 800, 1600, 8 seeds each):
``raf figure finite-size --out figures`` (or
``rafmodel.figures.write_figure("finite-size", "figures")``).
"""

# %%
# Compute the figure at reduced resolution. ``make_figure`` returns the matplotlib figure
# (object-oriented, no pyplot state), the plotted numbers as a DataFrame, and the caption.
import textwrap

from rafmodel.figures import make_figure

result = make_figure("finite-size", quick=True)
fig = result.figure
print(textwrap.fill(result.caption, 88))

# %%
# The extrapolations to 1/d = 0: the value, its standard error, the slope in 1/d, the theory
# and the z-score (measured standard errors, no floor; "agree" in the caption means abs(z) <= 3).
t = result.table
t[t["source"] == "extrapolation"][["series", "curve", "gen_error", "gen_error_se", "gen_error_theory",
                                   "gen_error_z", "mem_error", "mem_error_se", "mem_error_theory",
                                   "mem_error_z"]]

# %%
# The parameters used here (the ``quick`` ones where they differ from the defaults).
# Any of them can be given to ``make_figure`` or as an option of ``raf figure finite-size``.
result.params
