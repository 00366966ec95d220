"""Which route computes the theory: the compiled one (numba) or the batch numpy one.

Both routes compute the same map from one source (:mod:`rafmodel.theory.maps`); they agree far
below the solver's tolerance (tests/test_routes.py), not bit for bit.  The route is the solver
option ``backend`` (:class:`rafmodel.SolverOptions`, and every function that takes solver
options):

* ``"auto"`` (the default): compiled, unless the environment variable ``RAFMODEL_NUMBA`` is ``0``
  or numba cannot compile here (then a :class:`RuntimeWarning`, once, and numpy);
* ``"compiled"``: every point first iterated on its own by the compiled solver
  (:mod:`rafmodel.theory._compiled_solver`), the points it gives back by the batch solver with the
  compiled logistic channel; a :class:`~rafmodel.ParameterError` where numba cannot run;
* ``"numpy"``: the batch solver alone, in numpy.
"""

from __future__ import annotations

import importlib
import os
import warnings

__all__ = ["BACKENDS", "resolve"]

#: The values of the ``backend`` option.
BACKENDS = ("auto", "compiled", "numpy")
_STATE: list = []  # [None] once the compiled route loaded, or [reason] where it cannot


def _load_error():
    """``None`` if the compiled route loads here, else why not (numba imported on the first call)."""
    if not _STATE:
        try:
            importlib.import_module(f"{__package__}._compiled_solver").solve_points  # noqa: B018
            _STATE.append(None)
        except ImportError as exc:
            _STATE.append(f"numba is not installed ({exc})")
        except Exception as exc:  # numba is there but cannot compile or cache here
            _STATE.append(f"{type(exc).__name__}: {exc}")
            warnings.warn(f"the compiled route is unavailable ({_STATE[0]}); using numpy (the same fixed points "
                          "within the tolerance, slower)", RuntimeWarning, stacklevel=4)
    return _STATE[0]


def resolve(backend: str) -> str:
    """``"compiled"`` or ``"numpy"``: the route that ``backend`` takes here.

    Parameters
    ----------
    backend : {"auto", "compiled", "numpy"}
        The option's value.

    Returns
    -------
    str
        The route.

    Raises
    ------
    ParameterError
        ``backend="compiled"`` where numba cannot run.
    """
    if backend == "numpy" or backend == "auto" and os.environ.get("RAFMODEL_NUMBA", "1") == "0":
        return "numpy"
    err = _load_error()
    if err is None:
        return "compiled"
    if backend == "compiled":
        from ..exceptions import ParameterError

        raise ParameterError("backend", f"'compiled' needs numba, which cannot run here ({err}); use 'numpy' "
                                        "or 'auto'")
    return "numpy"
