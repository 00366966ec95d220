"""The logistic loss's formulas, written once: its sigmoid, derivatives and proximal Newton step.

``ell(x) = log(1 + e^-x)`` on the margin ``x``; ``ell'(x) = -sigmoid(-x)``,
``ell''(x) = sigmoid(x) sigmoid(-x)``, and the proximal point ``x = prox(u, V)`` is the root of
``f(x) = x - u + V ell'(x)``, which increases (``f' = 1 + V ell''``).  Everything here is in the
elementwise operations of :mod:`rafmodel._math.ops`, so the one source is both routes:

* numpy, on arrays (or floats): :class:`rafmodel.Logistic` (its ``derivatives``, ``prox``,
  ``dprox``), and through it the numpy channel of the theory
  (:func:`rafmodel.theory.channel.channel_quadrature`);
* compiled, one float at a time: the compiled logistic channel
  (:mod:`rafmodel.theory._numba_channel`) compiles these functions with
  :func:`rafmodel.theory.maps._compile.compiled_module`, its own fast ``exp`` as the operation.

The sigmoid is computed from ``e = exp(-|x|)`` (one exponential for ``sigmoid(x)``,
``sigmoid(-x)`` and their product, to full relative precision in both tails, and no overflow).

The two routes iterate the proximal map differently (numpy: Newton safeguarded by a bracket from
:func:`prox_start`; compiled: plain Newton from :func:`newton_start`, all panel edges of a point
in lockstep), but each takes its steps, and its stopping rule, from :func:`newton`.

A module of formulas (``__map_module__``): it imports nothing of :mod:`rafmodel` outside
:mod:`rafmodel._math`.
"""

from __future__ import annotations

from .ops import exp, fabs, log, maximum, where

__map_module__ = True
__all__ = ["SLOPE0", "sigmoid", "derivatives", "newton", "newton_start", "bracket", "w_exp", "prox_start"]

#: ``-ell'(0) = sigmoid(0)``.
SLOPE0 = 0.5
#: The proximal Newton stops when its step is below this times ``1 + |x| - V ell'(x)`` (rounding).
STEP_TOL = 1e-15


def tails(x):
    """``e = exp(-|x|)`` and ``r = 1 / (1 + e) = sigmoid(|x|)``: ``sigmoid(-|x|) = e r``."""
    e = exp(-fabs(x))
    return e, 1.0 / (1.0 + e)


def sigmoid_of(up, e, r):
    """``sigmoid(y) = 1 / (1 + e^-y)`` from :func:`tails` of ``y`` (they depend on ``|y|``), ``up = y >= 0``."""
    return where(up, r, e * r)


def sigmoid(x):
    """``sigmoid(x) = 1 / (1 + e^-x)``, to full relative precision in both tails."""
    e, r = tails(x)
    return sigmoid_of(x >= 0.0, e, r)


def derivatives(x):
    """``ell'(x) = -sigmoid(-x)`` and ``ell''(x) = sigmoid(x) sigmoid(-x) = e / (1 + e)^2`` (one ``exp``)."""
    e, r = tails(x)
    return -sigmoid_of(x <= 0.0, e, r), e * r * r


def newton(x, u, V):
    """At ``x``: the residual ``f = x - u + V ell'(x)``, the Newton step ``f / f'`` and its tolerance.

    The proximal point ``prox(u, V)`` is the root of ``f``; the iteration stops when the step is
    at most the tolerance, ``STEP_TOL (1 + |x| - V ell'(x))`` (the root to rounding).
    """
    d1, d2 = derivatives(x)
    g = -V * d1  # x - u at the root
    f = x - u - g
    return f, f / (1.0 + V * d2), STEP_TOL * (1.0 + fabs(x) + g)


def newton_start(u, V):
    """A start from which plain Newton steps on ``f`` move monotonically to the root.

    ``f`` is convex for ``x < 0`` and concave for ``x > 0``: from between the inflection point
    ``0`` and the root the tangent stays on one side of ``f``, so no bracket is needed.  The
    start is ``max(0, u)`` when ``f(0) < 0`` (the root is above both, since
    ``x - u = V sigmoid(-x) > 0``) and ``min(0, u + V)`` otherwise.
    """
    return where(u + SLOPE0 * V > 0.0, where(u > 0.0, u, 0.0), where(u + V < 0.0, u + V, 0.0))


def bracket(u, V):
    """``(lo, hi)`` around the root: ``sigmoid(-x)`` decreases and ``x`` is in ``(u, u + V)``."""
    return u + V * sigmoid(-u - V), u + V * sigmoid(-u)


def w_exp(L):
    """Lambert ``W(e^L)`` for real ``L`` (the root ``w > 0`` of ``w + log w = L``), to about 1e-12."""
    small = L < -20.0  # W(z) = z to rounding
    Lc = maximum(L, -20.0)
    w = where(Lc > 1.0, Lc - log(maximum(Lc, 1.0)), sigmoid(Lc))
    for _ in range(4):  # Newton on w + log w = L, from above the root for L > 1
        w = maximum(w - (w + log(w) - Lc) / (1.0 + 1.0 / w), 1e-300)
    return where(small, exp(maximum(L, -745.0)), w)


def prox_start(u, V):
    """A start close to the root: the better (by residual) of two Lambert-W roots.

    ``x - u = V sigmoid(-x)`` is ``(x - u) e^(x - u) = V e^(-u)`` where ``sigmoid(-x) ~ e^(-x)``
    (``x > 0``) and ``(u + V - x) e^(u + V - x) = V e^(u + V)`` where
    ``sigmoid(-x) ~ 1 - e^x`` (``x < 0``); from the better one a safeguarded Newton takes at
    most about 5 steps, about 3 on average, for any ``V`` (from :func:`newton_start` plain
    Newton takes about ``log V`` steps when ``V`` is large).
    """
    logV = log(V)
    xa = u + w_exp(logV - u)
    xb = u + V - w_exp(logV + u + V)
    fa = fabs(newton(xa, u, V)[0])
    fb = fabs(newton(xb, u, V)[0])
    return where(fb < fa, xb, xa)
