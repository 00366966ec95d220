"""Low-level numerical helpers shared by the model layer and the theory engine.

Nothing here imports from the rest of :mod:`rafmodel`, so any layer may use it:
:mod:`~rafmodel._math.quadrature` (the Gauss-Legendre panels), :mod:`~rafmodel._math.ops` (the
elementwise operations that formulas for both routes of the theory are written in) and
:mod:`~rafmodel._math.logistic` (the logistic loss's formulas, written once in them).
"""
