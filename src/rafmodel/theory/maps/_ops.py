"""The operations the maps are written in: :mod:`rafmodel._math.ops`, under the theory's name.

They live in :mod:`rafmodel._math` (which imports nothing of :mod:`rafmodel`) so that the model
layer can write formulas in them too (:mod:`rafmodel._math.logistic`); see there for the rules.
"""

from __future__ import annotations

from ..._math.ops import (NAMES, any_, atanh, clip, exp, fabs, log, maximum, ndtr, owens_t, spectral_sums, sqrt,
                          tanh, where)

__all__ = ["NAMES", "sqrt", "exp", "log", "tanh", "atanh", "ndtr", "owens_t", "where", "any_", "maximum", "fabs",
           "clip", "spectral_sums"]
