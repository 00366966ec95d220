"""Penalized empirical risk minimization on a representation, one solver per loss.

Each solver minimizes ``sum_i loss(y_i, h_i) + (lam/2) penalty`` on a
:class:`~rafmodel.estimators.base.Representation` and returns the coefficients
with a certificate naming the algorithm that ran:

* square loss: closed form (Cholesky; ``lstsq`` for the min-norm solution at ``lam = 0``);
  for the Gaussian-equivalent kernel ``K = B B' + mustar^2 I`` (``B = mu1 Z``, ``n x d``,
  :class:`~rafmodel.estimators.base.LowRankKernel`) Woodbury's identity, a ``d x d`` Cholesky;
* hinge loss: the SVM without intercept (``C = 1/lam``), on explicit features by
  projected Newton on the dual warm-started by a loosely solved smoothed hinge (then, should it
  miss the gap, liblinear run tight with its dual variables rebuilt from the KKT
  conditions); the Gaussian-equivalent kernel the same way, as the explicit features
  ``[B, mustar I_n]`` (``K`` never formed); otherwise, and should those miss the gap,
  L-BFGS-B on the box-constrained dual (real kernels, the hard margin); certified by the
  relative **duality gap**;
* logistic loss: inexact Newton on the primal, conjugate gradients with float32
  Hessian-vector products and float64 gradients (:func:`_logistic_newton`; explicit features
  and the Gaussian-equivalent kernel as the features ``[B, mustar I_n]``, ``lam > 0``), stopped
  below ``1e-3`` of the certificate and at a gradient that bounds the coefficients' relative
  error by ``LOGISTIC_RTOL``; otherwise, or if the certificate is not reached, scikit-learn's
  Newton for explicit features and L-BFGS on the representer coefficients for kernels;
  certified by the gradient norm (for a kernel, of the returned representer coefficients in
  the RKHS metric);
* any other loss: L-BFGS on the primal objective, certified by the gradient norm
  (the loss's ``derivative(y, h)`` if it has one, else central differences of ``value``).

At ``lam = 0`` a linear program decides separability for the margin losses:
separable data get the hard-margin SVM (hinge, and the logistic ``lam -> 0+``

One module per solver: :mod:`~rafmodel.estimators.solvers.square`,
:mod:`~rafmodel.estimators.solvers.hinge`, :mod:`~rafmodel.estimators.solvers.logistic` and
:mod:`~rafmodel.estimators.solvers.generic`; importing this package registers all four
(:func:`~rafmodel.estimators.base.register_solver`).  Every name is importable from
``rafmodel.estimators.solvers`` itself, as before the split; to replace a private function
in a test, patch it in the module that defines it (e.g. ``solvers.hinge``).
"""

from __future__ import annotations

# The public names, and every private one the module had before the split (tests and the
# figures import some of them from here).
from . import generic, hinge, logistic, square  # noqa: F401  (registers the solvers)
from ._numerics import _chol_solve, _grad_tol, _lowrank_solve  # noqa: F401
from .generic import _derivative, solve_generic  # noqa: F401
from .hinge import (  # noqa: F401
    DUALITY_GAP_TOL, _hard_margin, _hinge_lp, _liblinear_dual, _separability, _smoothed_warm_start, _svm,
    _svm_lowrank, _svm_projected_newton, solve_hinge)
from .logistic import LOGISTIC_RTOL, _Design, _logistic_lowrank, _logistic_newton, solve_logistic  # noqa: F401
from .square import _min_norm_fast, solve_square  # noqa: F401

__all__ = ["solve_square", "solve_hinge", "solve_logistic", "solve_generic", "DUALITY_GAP_TOL"]
