"""rafmodel: the Rules-and-Facts model of simultaneous generalization and memorization.

Farné, Boncoraglio, Zdeborová, arXiv:2603.25579.
"""

from ._validation import ParameterError
from .learners import Kernel, Learner, Linear, RandomFeatures
from .losses import Hinge, Logistic, Loss, Square
from .setting import Setting, grid
from .theory import ConvergenceError, TheoryResult, TheoryResults, solve, solve_many

__version__ = "0.1.0"


_LAZY = {"activation_coefficients": "equivalence", "kernel_coefficients": "equivalence",
         "simulate": "simulation", "simulate_many": "simulation", "lam_path": "simulation",
         "sample_raf": "data", "compare": "experiments"}


def __getattr__(name):  # imported on first use, to keep `import rafmodel` fast
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
    raise AttributeError(f"module 'rafmodel' has no attribute {name!r}")

__all__ = ["Setting", "grid", "solve", "solve_many", "Linear", "Kernel", "RandomFeatures", "Learner",
           "Square", "Hinge", "Logistic", "Loss", "TheoryResult", "TheoryResults",
           "ConvergenceError", "ParameterError", "activation_coefficients", "kernel_coefficients",
           "simulate", "simulate_many", "lam_path", "sample_raf", "compare", "__version__"]
