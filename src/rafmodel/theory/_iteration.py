"""The constants of the fixed-point iteration, shared by the batch and the compiled solvers.

The Newton finish of a cheap map (a closed-form channel): a point switches after
``NEWTON_AFTER`` iterations once its residual is below ``NEWTON_R`` and shrinks by less than
``NEWTON_SLOW`` per iteration; otherwise (a quadrature channel) after ``NEWTON_AFTER_SLOW``
iterations below ``NEWTON_R_SLOW``.  Steps are capped at ``MAX_NEWTON_STEP`` (largest
coordinate); the Jacobian is by forward differences of step ``FD_STEP``, recomputed for every step
except after a step smaller than ``FD_SKIP`` (the next evaluation most likely converges; if not,
the step from it reuses the last Jacobian).  The compiled route gives a point back to the batch
solver after ``FAST_MAX_ITER`` iterations.
"""

from __future__ import annotations

__all__ = ["NEWTON_AFTER", "NEWTON_R", "NEWTON_SLOW", "NEWTON_AFTER_SLOW", "NEWTON_R_SLOW", "MAX_NEWTON_STEP",
           "FD_STEP", "FD_SKIP", "NEWTON_SHIFT", "FAST_MAX_ITER"]

NEWTON_AFTER = 5
NEWTON_R = 10.0
NEWTON_SLOW = 0.3
NEWTON_AFTER_SLOW = 20
NEWTON_R_SLOW = 1e-2
MAX_NEWTON_STEP = 1.0
FD_STEP = 1e-7
FD_SKIP = 1e-4
#: Diagonal shift of the Newton system ``(J - I + NEWTON_SHIFT I) delta = -g``.
NEWTON_SHIFT = 1e-14
FAST_MAX_ITER = 100
