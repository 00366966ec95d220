"""The elementwise operations that formulas written once for both routes are written in (numpy).

A map module of the theory (:mod:`rafmodel.theory.maps`) or a loss's formulas
(:mod:`rafmodel._math.logistic`) import their elementary operations from here by name --
``sqrt, exp, log, tanh, atanh, ndtr, owens_t, where, any_, maximum, fabs, clip,
spectral_sums`` -- and use
nothing else but arithmetic, comparisons, ``if`` on a scalar flag, ``for`` over a constant
array or a ``range``, tuples and the other functions of such modules.  Written so, the same source
is the batch route (these numpy operations, on arrays, e.g. of shape ``(B,)``) and the compiled
route (:mod:`rafmodel.theory.maps._compile` substitutes
:mod:`rafmodel.theory.maps._compiled_ops`, the same names on one float each, and compiles the
function with numba).  This module imports nothing of :mod:`rafmodel`, so that the model layer
(:mod:`rafmodel.losses`) can use such formulas too; :mod:`rafmodel.theory.maps._ops` is the
theory's name for it.

Two operations exist for branches that depend on a point's values: ``where(c, a, b)`` (both
values are computed; numpy selects elementwise, the compiled route picks one) and ``any_(c)``
(a whole-batch guard in numpy, the point's own flag compiled), used as::

    if any_(narrow):
        x = where(narrow, special(...), x)
"""

from __future__ import annotations

import numpy as np
from scipy.special import ndtr, owens_t

__all__ = ["NAMES", "sqrt", "exp", "log", "tanh", "atanh", "ndtr", "owens_t", "where", "any_", "maximum", "fabs",
           "clip", "spectral_sums"]

sqrt = np.sqrt
exp = np.exp
log = np.log
tanh = np.tanh
atanh = np.arctanh
where = np.where
any_ = np.any
maximum = np.maximum
fabs = np.abs
clip = np.clip


def spectral_sums(vh, lam, s):
    """Resolvent sums of a spectrum ``s`` (rows: fractions ``f``, eigenvalues ``omega``, teacher power ``t``).

    With ``r = omega / (lam + vh omega)``: ``(sum f r, sum f t r, sum f t r^2, sum f r^2, sum f r /
    (lam + vh omega), sum f t r / (lam + vh omega))`` (the last two: ``-d/dlam`` of the first two),
    for each point of the batch (``vh`` and ``lam`` of shape ``(B,)`` or scalars; docs/theory.md
    sections 3.11-3.12).
    """
    f, w, t = s[0], s[1], s[2]
    vh, lam = np.broadcast_arrays(np.asarray(vh, float), np.asarray(lam, float))
    shape, vh, lam = vh.shape, vh.ravel(), lam.ravel()
    out = [np.empty(vh.size) for _ in range(6)]
    step = max(1, _SPECTRAL_CELLS // max(w.size, 1))  # points per block: a bounded (points x spectrum) array
    for i in range(0, vh.size, step):
        den = lam[i:i + step, None] + vh[i:i + step, None] * w
        r = w / den
        fr = f * r
        out[0][i:i + step], out[1][i:i + step] = fr.sum(-1), (fr * t).sum(-1)
        out[2][i:i + step], out[3][i:i + step] = (fr * r * t).sum(-1), (fr * r).sum(-1)
        out[4][i:i + step], out[5][i:i + step] = (fr / den).sum(-1), (fr * t / den).sum(-1)
    return tuple(o.reshape(shape) for o in out)


#: Most entries of one block of :func:`spectral_sums` (32 MB of float64 per temporary).
_SPECTRAL_CELLS = 4_000_000


#: The names a map module takes from here, replaced as a whole on the compiled route.
NAMES = ("sqrt", "exp", "log", "tanh", "atanh", "ndtr", "owens_t", "where", "any_", "maximum", "fabs", "clip",
         "spectral_sums")
