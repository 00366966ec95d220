"""The kernel learner's side of the map (docs/theory.md section 3).

Parameters ``(mu1, mustar)``, the kernel's Gaussian-equivalent coefficients.  State ``(m, q, V)``
of the weight of the linear part ``mu1 x / sqrt(d)`` of the feature map (``ms, qs, Vs`` in
docs/theory.md); the memory part ``mustar`` only enters through ``V_train = mu1^2 V + mustar^2 /
lam``.  A map module (:mod:`rafmodel.theory.maps`): one source for the batch and the compiled routes.
"""

from __future__ import annotations

from ._ops import maximum, where
from .linear import prior, ridge_response
from .linear import square_lam_opt as linear_square_lam_opt

__map_module__ = True
__all__ = ["sample_ratio", "to_channel", "update", "test_overlaps", "square_response", "exact_threshold",
           "square_lam_opt", "interpolator_margin"]


#: The learner's parameters, in the order ``p`` holds them; its state and its conjugates.
PARAMS = ("mu1", "mustar")
STATE = ("m", "q", "V")
HATS = ("mhat", "qhat", "Vhat")
MU1, MUSTAR = PARAMS.index("mu1"), PARAMS.index("mustar")
#: The learner's map knows structured inputs: the linear part's ridge runs on the inputs' spectrum.
STRUCTURED_INPUTS = True
#: Without a memory part (``mustar = 0``) separability is the linear learner's, ``rafmodel.alpha_c(eps)``
#: (the map rescales the linear one by ``mu1``); with one, :func:`exact_threshold` is already infinite.
SEPARABILITY = "alpha_c"
INF = float("inf")


def sample_ratio(alpha, p):
    """Samples per trained parameter: ``alpha``."""
    return alpha


def to_channel(x, lam, p):
    """Training-time ``(m, q, V)``: ``(mu1 m, mu1^2 q, mu1^2 V + mustar^2 / lam)`` (``0`` for ``mustar = 0``)."""
    mu1, mus = p[MU1], p[MUSTAR]
    mem = where(mus > 0.0, mus * mus / lam, 0.0)
    return mu1 * x[0], mu1 * mu1 * x[1], mu1 * mu1 * x[2] + mem


def update(mh, qh, vh, lam, p, s):
    """New state and conjugates ``(m, q, V, mhat, qhat, Vhat)``: the ridge update of the linear part (on the spectrum ``s``)."""
    mu1 = p[MU1]
    mh1, qh1, vh1 = mu1 * mh, mu1 * mu1 * qh, mu1 * mu1 * vh
    m, q, V = prior(mh1, qh1, vh1, lam, s)
    return m, q, V, mh1, qh1, vh1


def test_overlaps(x, p):
    """``(m, q)`` at a fresh test point: ``(mu1 m, mu1^2 q)``."""
    mu1 = p[MU1]
    return mu1 * x[0], mu1 * mu1 * x[1]


def square_response(a, lam, delta, p):
    """Training-time response ``V`` of the square loss, in closed form (the solver's start)."""
    mus = p[MUSTAR]
    return ridge_response(a, lam, delta, p[MU1], where(mus > 0.0, mus * mus / lam, 0.0))


def exact_threshold(p):
    """``alpha`` below which every label is fitted exactly: ``inf`` with a memory part (``mustar > 0``), else ``1``."""
    return where(p[MUSTAR] > 0.0, INF, 1.0)


def square_lam_opt(eps, p):
    """The square loss's optimal ``lam``: ``max(0, mu1^2 (pi / (2 (1-eps)^2) - 1) - mustar^2)`` (``eps < 1``)."""
    return maximum(0.0, p[MU1] ** 2 * linear_square_lam_opt(eps, p) - p[MUSTAR] ** 2)


def interpolator_margin(eps, p):
    """``mustar^2 / mu1^2 - (pi / (2 (1-eps)^2) - 1)``: ``>= 0`` exactly when the square loss's best ``lam`` is 0."""
    return p[MUSTAR] ** 2 / p[MU1] ** 2 - linear_square_lam_opt(eps, p)
