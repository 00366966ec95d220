"""The solver of any other loss: L-BFGS on the primal objective, certified by the gradient norm.

The gradient comes from the loss's ``derivative(y, h)`` if it has one, else from central
differences of its ``value``; ``lam > 0`` is required (the ``lam -> 0`` limits of a new loss
are not known in general).
"""

from __future__ import annotations

import numpy as np

from ...exceptions import ParameterError, SolverError
from ...losses import Loss
from ..base import register_solver
from ._numerics import _grad_tol

__all__ = ["solve_generic"]


def _derivative(loss, y, h):
    """``d loss(y, h) / dh``: the loss's own ``derivative`` if it has one, else central differences."""
    own = getattr(loss, "derivative", None)
    if own is not None:
        return np.asarray(own(y, h), dtype=float)
    step = 1e-6 * (1.0 + np.abs(h))
    return (np.asarray(loss.value(y, h + step)) - np.asarray(loss.value(y, h - step))) / (2.0 * step)


@register_solver(Loss)
def solve_generic(rep, y, lam, loss):
    """Any loss with a ``value``: L-BFGS on the primal objective, certified by the gradient norm.

    Needs ``lam > 0`` (the ``lam -> 0`` limits of a new loss are not known in general).
    """
    from scipy.optimize import minimize

    if lam == 0:
        raise ParameterError("lam", f"simulating the {loss.name!r} loss needs lam > 0 (only square, hinge "
                                    "and logistic have their lam -> 0 limits implemented), got 0")
    A = rep.train
    kernel = rep.kind == "kernel"

    def fun(theta):
        h = A @ theta
        g_h = _derivative(loss, y, h)
        if kernel:  # penalty (lam/2) c'Kc
            return float(np.sum(loss.value(y, h))) + 0.5 * lam * theta @ h, A @ (g_h + lam * theta)
        return float(np.sum(loss.value(y, h))) + 0.5 * lam * theta @ theta, A.T @ g_h + lam * theta

    theta = minimize(fun, np.zeros(A.shape[1]), jac=True, method="L-BFGS-B",
                     options={"maxiter": 50_000, "gtol": 1e-10, "ftol": 1e-16, "maxcor": 30}).x
    g = fun(theta)[1]
    if kernel:  # the gradient with respect to the function values, in the RKHS metric
        gh = _derivative(loss, y, A @ theta) + lam * theta
        gn = float(np.sqrt(max(gh @ A @ gh, 0.0)))
    else:
        gn = float(np.linalg.norm(g))
    if gn > _grad_tol(len(y)):
        raise SolverError(f"{loss.name} solver not converged (gradient norm {gn:.3g})")
    return theta, {"solver": "L-BFGS-B (primal, generic loss)", "grad_norm": gn}
