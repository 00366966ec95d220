"""rafmodel: the Rules-and-Facts model of simultaneous generalization and memorization.

Farné, Boncoraglio, Zdeborová, arXiv:2603.25579.
"""

from ._validation import ParameterError
from .learners import Kernel, Learner, Linear, RandomFeatures
from .losses import Hinge, Logistic, Loss, Square
from .setting import Setting, grid
from .theory import ConvergenceError, TheoryResult, TheoryResults, solve, solve_many

__version__ = "0.1.0"


def __getattr__(name):  # imported on first use: scipy.integrate is slow to import
    if name in ("activation_coefficients", "kernel_coefficients"):
        from . import equivalence

        return getattr(equivalence, name)
    raise AttributeError(f"module 'rafmodel' has no attribute {name!r}")

__all__ = ["Setting", "grid", "solve", "solve_many", "Linear", "Kernel", "RandomFeatures", "Learner",
           "Square", "Hinge", "Logistic", "Loss", "TheoryResult", "TheoryResults",
           "ConvergenceError", "ParameterError", "activation_coefficients", "kernel_coefficients",
           "__version__"]
