"""Interpolation thresholds: where a learner can fit every training label at lam = 0."""

from __future__ import annotations

from functools import lru_cache

import numpy as np

__all__ = ["alpha_c", "capacity_denominator"]


def capacity_denominator(R, eps):
    """``(1-eps) E(-(R|z| + sqrt(1-R^2) g))_+^2 + eps/2`` in closed form.

    With ``W = R|z| + sqrt(1-R^2) g``: ``E(-W)_+^2 = 1/2 - (arcsin R + R sqrt(1-R^2)) / pi``.
    """
    R = np.asarray(R, dtype=float)
    return (1.0 - eps) * (0.5 - (np.arcsin(R) + R * np.sqrt(1.0 - R * R)) / np.pi) + 0.5 * eps


@lru_cache(maxsize=4096)
def _alpha_c_scalar(eps):
    if eps <= 0.0:
        return np.inf
    # R = cos(theta); the maximizer approaches R = 1 (theta = 0) as eps -> 0.
    def neg(log_theta):
        th = np.exp(log_theta)
        R = np.cos(th)
        return -np.sin(th) ** 2 / capacity_denominator(R, eps)

    grid = np.linspace(np.log(1e-9), np.log(np.pi / 2), 400)
    vals = np.array([neg(t) for t in grid])
    i = int(np.argmin(vals))
    lo, hi = grid[max(i - 1, 0)], grid[min(i + 1, len(grid) - 1)]
    if hi <= lo:
        return -vals[i]
    from scipy.optimize import minimize_scalar

    res = minimize_scalar(neg, bounds=(lo, hi), method="bounded", options={"xatol": 1e-12})
    return float(-min(res.fun, vals[i]))


def alpha_c(eps):
    """Capacity of the linear classifier on RAF data (THEORY.md section 3).

    ``alpha_c(eps) = max_R (1-R^2) / [(1-eps) E(-(R|z| + sqrt(1-R^2) g))_+^2 + eps/2]``;
    the max-margin classifier exists iff ``alpha < alpha_c``.  ``alpha_c(1) = 2``
    (Cover/Gardner) and ``alpha_c(0) = inf``.

    Parameters
    ----------
    eps : float or array_like
        Fraction of facts, in [0, 1].

    Returns
    -------
    float or ndarray
    """
    e = np.asarray(eps, dtype=float)
    uniq, inv = np.unique(e.reshape(-1), return_inverse=True)
    vals = np.array([_alpha_c_scalar(float(u)) for u in uniq])[inv].reshape(e.shape)
    return float(vals) if np.ndim(vals) == 0 else vals
