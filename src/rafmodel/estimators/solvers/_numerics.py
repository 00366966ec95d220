"""Numerics the solvers share: Cholesky and Woodbury solves, and the gradient-norm certificate."""

from __future__ import annotations

import numpy as np

__all__: list[str] = []


def _grad_tol(n):
    return 1e-4 * np.sqrt(n)


def _chol_solve(M, b):
    from scipy.linalg import cho_factor, cho_solve

    try:
        return cho_solve(cho_factor(M, lower=True, check_finite=False), b, check_finite=False)
    except np.linalg.LinAlgError:
        return np.linalg.solve(M, b)


def _lowrank_solve(B, t, b):
    """``(B B' + t I)^{-1} b`` for ``t > 0`` by Woodbury: ``(b - B (B'B + t I)^{-1} B'b) / t``,
    one ``r x r`` Cholesky (``O(n r^2)``) instead of an ``n x n`` one."""
    M = B.T @ B
    M[np.diag_indices_from(M)] += t
    return (b - B @ _chol_solve(M, B.T @ b)) / t
