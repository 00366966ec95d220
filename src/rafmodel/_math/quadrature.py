"""Composite Gauss-Legendre rules: the one panel builder of the package.

:func:`legendre_panels` builds the nodes and weights of Gauss-Legendre panels between
given edges (a batch of them at once); :func:`normal_rule` and
:func:`normal_expectation` use it for expectations over a standard normal variable,
with panels split where the integrand is not smooth.
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np
from scipy.special import roots_legendre

__all__ = ["legendre_unit", "legendre_panels", "normal_edges", "normal_rule", "normal_expectation", "XMAX",
           "FIXED_EDGES"]

_SQRT_2PI = math.sqrt(2.0 * math.pi)

#: Integration range of :func:`normal_rule`, in units of the standard deviation.
XMAX = 10.0
#: Panel edges of every :func:`normal_rule` (the Gaussian weight varies on these scales).
FIXED_EDGES = np.array([-XMAX, -7.0, -5.0, -3.5, -2.0, -1.0, 0.0, 1.0, 2.0, 3.5, 5.0, 7.0, XMAX])


@lru_cache(maxsize=64)
def legendre_unit(n):
    """Nodes ``t`` and weights ``w`` of the ``n``-point Gauss-Legendre rule on ``[0, 1]`` (read-only)."""
    t, w = roots_legendre(n)
    t, w = 0.5 * (t + 1.0), 0.5 * w
    t.flags.writeable = w.flags.writeable = False
    return t, w


def legendre_panels(edges, n):
    """Composite Gauss-Legendre rule on the panels between consecutive ``edges``.

    Parameters
    ----------
    edges : array_like of shape (..., P)
        Sorted panel edges along the last axis (a batch of rules over the other axes).
    n : int
        Nodes per panel.

    Returns
    -------
    x, w : ndarray of shape (..., (P - 1) n)
        Nodes and weights, panel by panel.
    """
    t, w = legendre_unit(n)
    edges = np.asarray(edges, dtype=float)
    lo, width = edges[..., :-1], np.diff(edges, axis=-1)
    x = lo[..., None] + width[..., None] * t
    wt = width[..., None] * w
    shape = (*edges.shape[:-1], -1)
    return x.reshape(shape), wt.reshape(shape)


def normal_edges(breaks):
    """Sorted panel edges (B, P) of :func:`normal_rule`: the fixed edges and ``breaks`` (B, k), clipped to the range."""
    B = breaks.shape[0]
    edges = np.concatenate([np.broadcast_to(FIXED_EDGES, (B, len(FIXED_EDGES))), breaks], axis=1)
    return np.sort(np.clip(edges, -XMAX, XMAX), axis=1)


def normal_rule(breaks, n):
    """Nodes ``x`` and weights ``w`` (B, K) for ``E_x[.]``, ``x ~ N(0,1)``, on ``[-XMAX, XMAX]``.

    The panels are split at fixed edges and at ``breaks`` (B, k) (clipped to the range).
    """
    x, w = legendre_panels(normal_edges(breaks), n)
    return x, w * np.exp(-0.5 * x * x) / _SQRT_2PI


def normal_expectation(f, breaks, n):
    """``E_x[f(x)]`` for ``x ~ N(0,1)``, with panels split at ``breaks`` (B, k); shape (B,)."""
    x, w = normal_rule(breaks, n)
    return np.sum(w * f(x), axis=1)
