"""The square-loss solver: ridge and kernel ridge in closed form.

Cholesky (``lstsq`` for the min-norm solution at ``lam = 0``, or one Cholesky where the shape
makes that well posed and a residual check certifies it); for the Gaussian-equivalent kernel
``K = B B' + mustar^2 I`` (``B = mu1 Z``, ``n x d``,
:class:`~rafmodel.estimators.base.LowRankKernel`) Woodbury's identity, a ``d x d`` Cholesky.
"""

from __future__ import annotations

import numpy as np

from ...losses import Square
from ..base import register_solver
from ._numerics import _chol_solve, _lowrank_solve

__all__ = ["solve_square"]


@register_solver(Square)
def solve_square(rep, y, lam, loss):
    """Ridge / kernel ridge in closed form; ``lam = 0``: the min-norm least-squares solution."""
    n = len(y)
    lr = rep.lowrank
    if lr is not None and lr.B.shape[1] < n and (
            lr.s2 + lam > 1e-6 * np.einsum("ij,ij->", lr.B, lr.B) / lr.B.shape[1]):
        # K + lam I = B B' + (s2 + lam) I: Woodbury, an r x r Cholesky (K never formed); a shift
        # below 1e-6 of B'B's mean eigenvalue (mustar ~ lam ~ 0) would lose digits to the
        # subtraction in Woodbury's formula: the n x n route then
        return _lowrank_solve(lr.B, lr.s2 + lam, y), {"solver": "cholesky (Woodbury, low-rank kernel)"}
    A = rep.train
    if rep.kind == "kernel":
        theta = _chol_solve(A + lam * np.eye(n), y) if lam > 0 else np.linalg.lstsq(A, y, rcond=None)[0]
    elif lam == 0:
        theta = _min_norm_fast(A, y)
        if theta is not None:
            return theta, {"solver": "cholesky (min-norm, certified residual)"}
        theta = np.linalg.lstsq(A, y, rcond=None)[0]  # min-norm interpolator / least squares
    elif A.shape[1] <= n:
        theta = _chol_solve(A.T @ A + lam * np.eye(A.shape[1]), A.T @ y)
    else:
        theta = A.T @ _chol_solve(A @ A.T + lam * np.eye(n), y)
    return theta, {"solver": "cholesky" if lam > 0 else "lstsq (min-norm)"}


def _min_norm_fast(A, y):
    """The ``lam = 0`` square-loss solution by one Cholesky where the shape makes it well posed.

    ``p >= 2 n`` (many more features than samples): the min-norm interpolator
    ``A' (A A')^{-1} y``, accepted only if it interpolates (``|A theta - y| <= 1e-8 |y|``);
    ``n >= 2 p``: least squares from the normal equations, accepted only if the gradient
    ``A'(A theta - y)`` is below ``1e-9 |A|_F^2 |theta|``.  Far from ``n = p`` both systems are
    well conditioned and this is several times faster than an SVD-based ``lstsq``; ``None``
    (the caller runs ``lstsq``) otherwise or where the check fails.
    """
    from scipy.linalg import LinAlgError, cho_factor, cho_solve

    n, p = A.shape
    try:
        if p >= 2 * n:
            theta = A.T @ cho_solve(cho_factor(A @ A.T, lower=True, check_finite=False), y, check_finite=False)
            ok = np.linalg.norm(A @ theta - y) <= 1e-8 * np.linalg.norm(y)
        elif n >= 2 * p:
            theta = cho_solve(cho_factor(A.T @ A, lower=True, check_finite=False), A.T @ y, check_finite=False)
            ok = (np.linalg.norm(A.T @ (A @ theta - y))
                  <= 1e-9 * float(np.einsum("ij,ij->", A, A)) * max(np.linalg.norm(theta), 1e-300))
        else:
            return None
    except (LinAlgError, ValueError):
        return None
    return theta if ok and np.all(np.isfinite(theta)) else None
