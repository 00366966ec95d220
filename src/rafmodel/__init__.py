"""rafmodel: the Rules-and-Facts model of simultaneous generalization and memorization.

Farné, Boncoraglio, Zdeborová, arXiv:2603.25579.

Everything public is importable from here: settings and their ingredients
(:class:`Setting`, :func:`grid`, the learners and losses), the theory
(:func:`solve`, :func:`solve_many`, :func:`bayes_optimal`, :func:`alpha_c`,
:func:`interpolation_capacity`, :func:`optimal_lambda`, :func:`large_alpha_rate`),
simulations (:func:`simulate`, :func:`simulate_many`, :func:`lam_path`, :class:`SimulationResults`),
their comparison (:func:`compare`), resumable sweeps (:func:`run_sweep`, :func:`sweep_status`,
:func:`load_results`), trained networks (:class:`Network`, :func:`train_network`), the
real-data experiment (:func:`realdata`), the result classes and the exceptions; ``explore()``
opens the interactive explorer (:mod:`rafmodel.explore`, needs rafmodel[explore]).

Examples
--------
>>> import rafmodel as rm
>>> r = rm.solve(rm.Setting(alpha=2.0, eps=0.2, lam=0.1, learner="linear", loss="square"))
>>> r.converged, round(r.gen_error, 4)
(True, 0.2682)
"""

from . import _interrupt  # noqa: F401  (first: Ctrl-C while the raf command starts exits 130)
from .exceptions import ConvergenceError, ConvergenceWarning, ParameterError, SolverError
from .inputs import Inputs, Isotropic, Mixture, PowerLaw, Spectrum, Spiked
from .learners import BayesOptimal, Kernel, Learner, Linear, Network, RandomFeatures
from .losses import Hinge, Logistic, Loss, Square
from .setting import Setting, grid
from .theory import SolverOptions, TheoryResult, TheoryResults, alpha_c, solve, solve_many

__version__ = "0.4.0"


_LAZY = {"activation_coefficients": "equivalence", "kernel_coefficients": "equivalence",
         "simulate": "simulation", "simulate_many": "simulation", "lam_path": "simulation",
         "SimulationResult": "simulation", "SimulationResults": "simulation", "sample_raf": "data", "compare": "experiments",
         "Comparison": "experiments", "realdata": "real_data", "RealDataResults": "real_data",
         "bayes_optimal": "theory.bayes", "BayesResult": "theory.bayes",
         "interpolation_capacity": "theory.capacity",
         "optimal_lambda": "theory.optimal", "OptimalLambda": "theory.optimal",
         "large_alpha_rate": "theory.optimal", "LargeAlphaRate": "theory.optimal",
         "run_sweep": "sweep", "sweep_status": "sweep", "load_results": "sweep", "SweepStatus": "sweep",

         "train_network": "network", "NetworkResult": "network", "explore": "explore",
         "amp": "estimators.amp", "AMPResult": "estimators.amp",
         "fact_detection": "facts", "FactDetection": "facts"}


def __getattr__(name):  # imported on first use, to keep `import rafmodel` fast
    if name in _LAZY:
        import importlib

        module = importlib.import_module(f".{_LAZY[name]}", __name__)
        return module if name == "explore" else getattr(module, name)  # rm.explore(): a callable package
    raise AttributeError(f"module 'rafmodel' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_LAZY))


__all__ = ["Setting", "grid", "Linear", "Kernel", "RandomFeatures", "Network", "BayesOptimal", "Learner",
           "Square", "Hinge", "Logistic", "Loss", "Inputs", "Isotropic", "Spectrum", "PowerLaw", "Spiked", "Mixture",
           "solve", "solve_many", "SolverOptions", "TheoryResult", "TheoryResults",
           "bayes_optimal", "BayesResult", "alpha_c", "interpolation_capacity",
           "optimal_lambda", "OptimalLambda", "large_alpha_rate", "LargeAlphaRate",
           "simulate", "simulate_many", "lam_path", "SimulationResult", "SimulationResults", "sample_raf",
           "compare", "Comparison", "run_sweep", "sweep_status", "load_results", "SweepStatus", "train_network",
           "NetworkResult", "realdata", "amp", "AMPResult", "fact_detection", "FactDetection",
           "RealDataResults",
           "activation_coefficients", "kernel_coefficients",
           "ConvergenceError", "ConvergenceWarning", "ParameterError", "SolverError", "__version__"]
