"""Anderson mixing: the one rule shared by the batch solver and the scalar fast path.

With the last ``k`` differences of iterates ``dY_i`` and of residuals ``dG_i`` (the
residual is ``g(y) = F(y) - y``) and the current residual ``g``, the mixed step is

    gamma = argmin_gamma |g - sum_i gamma_i dG_i|^2,
    step  = beta g - sum_i gamma_i (dY_i + beta dG_i),

with ``gamma`` from the normal equations, Tikhonov-regularized by
``REG * trace + TINY``.  :func:`anderson_step` states this once; the two
representations supply their own linear algebra: :data:`POINT` for one point in
plain Python lists (numpy's per-call overhead would dominate there), and
:class:`Batch` for numpy arrays with the points last, histories of shape ``(M, K, B)``
with a per-point mask of valid history columns.
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["anderson_step", "POINT", "Batch", "MAX_STEP"]

#: Relative Tikhonov regularization of the normal equations, and its absolute floor.
REG = 1e-12
TINY = 1e-300
#: Largest accepted step in any solver coordinate.
MAX_STEP = 2.0


def anderson_step(la, dY, dG, g, step, beta):
    """The Anderson-mixed step from the plain step ``step = beta g``; ``None`` if the system is singular.

    ``la`` is the linear algebra of the representation (:data:`POINT` or a :class:`Batch`).
    """
    A = la.gram(dG)
    A = la.regularize(A, REG * la.trace(A) + TINY)
    gamma = la.solve(A, la.project(dG, g))
    if gamma is None:
        return None
    return la.mix(step, gamma, dY, dG, beta)


def _dot(u, v):
    return math.fsum(x * y for x, y in zip(u, v)) if len(u) != 3 else u[0] * v[0] + u[1] * v[1] + u[2] * v[2]


def _solve_small(A, b):
    """Solve the small dense system ``A x = b`` (lists) by Gaussian elimination; ``None`` if singular."""
    n = len(b)
    A = [row[:] + [b[i]] for i, row in enumerate(A)]
    for k in range(n):
        p = max(range(k, n), key=lambda i: abs(A[i][k]))
        A[k], A[p] = A[p], A[k]
        piv = A[k][k]
        if piv == 0.0:
            return None
        for i in range(k + 1, n):
            f = A[i][k] / piv
            for j in range(k, n + 1):
                A[i][j] -= f * A[k][j]
    x = [0.0] * n
    for i in range(n - 1, -1, -1):
        x[i] = (A[i][n] - sum(A[i][j] * x[j] for j in range(i + 1, n))) / A[i][i]
    return x


class _Point:
    """One point: vectors are lists of ``K`` floats, the history lists of ``k`` vectors."""

    @staticmethod
    def gram(G):
        k = len(G)
        return [[_dot(G[i], G[j]) for j in range(k)] for i in range(k)]

    @staticmethod
    def trace(A):
        return sum(A[i][i] for i in range(len(A)))

    @staticmethod
    def regularize(A, reg):
        for i in range(len(A)):
            A[i][i] += reg
        return A

    solve = staticmethod(_solve_small)

    @staticmethod
    def project(G, g):
        return [_dot(Gi, g) for Gi in G]

    @staticmethod
    def mix(step, gamma, Y, G, beta):
        k = len(gamma)
        return [step[t] - sum(gamma[i] * (Y[i][t] + beta * G[i][t]) for i in range(k)) for t in range(len(step))]


POINT = _Point()


class Batch:
    """``B`` points, points last: vectors ``(K, B)``, histories ``(M, K, B)``.

    The histories are zero outside the valid columns ``cols`` ``(M, B)``.

    Every product and sum runs along the leading axes, over rows of ``B`` contiguous numbers, and
    the ``M x M`` systems are solved by a Cholesky factorization written out on those rows (a
    handful of numpy calls for the whole batch instead of a LAPACK call per point); each point's
    numbers depend on its own arrays only.
    """

    def __init__(self, cols):
        self.cols = cols

    @staticmethod
    def gram(G):
        M, K = G.shape[:2]
        A = np.empty((M, M) + G.shape[2:])
        for i in range(M):
            for j in range(i + 1):
                s = G[i, 0] * G[j, 0]
                for k in range(1, K):
                    s += G[i, k] * G[j, k]
                A[i, j] = A[j, i] = s
        return A

    @staticmethod
    def trace(A):
        t = A[0, 0].copy()
        for i in range(1, A.shape[0]):
            t += A[i, i]
        return t  # (B,)

    def regularize(self, A, reg):
        d = np.arange(A.shape[0])
        A[d, d] += reg + ~self.cols  # unused columns: an identity row, so gamma = 0
        return A

    def solve(self, A, b):
        M = A.shape[0]
        L = [[None] * M for _ in range(M)]
        for j in range(M):
            s = A[j, j]
            for k in range(j):
                s = s - L[j][k] * L[j][k]
            d = np.sqrt(s)
            L[j][j] = d
            for i in range(j + 1, M):
                s = A[i, j]
                for k in range(j):
                    s = s - L[i][k] * L[j][k]
                L[i][j] = s / d
        z = [None] * M
        for i in range(M):
            s = b[i]
            for k in range(i):
                s = s - L[i][k] * z[k]
            z[i] = s / L[i][i]
        x = [None] * M
        for i in range(M - 1, -1, -1):
            s = z[i]
            for k in range(i + 1, M):
                s = s - L[k][i] * x[k]
            x[i] = s / L[i][i]
        return np.array(x) * self.cols  # not positive definite to rounding: nan, and the caller takes the plain step

    @staticmethod
    def project(G, g):
        b = G[:, 0] * g[0]
        for k in range(1, G.shape[1]):
            b += G[:, k] * g[k]
        return b  # (M, B)

    @staticmethod
    def mix(step, gamma, Y, G, beta):
        W = Y + beta * G
        out = step - gamma[0] * W[0]
        for i in range(1, W.shape[0]):
            out -= gamma[i] * W[i]
        return out
