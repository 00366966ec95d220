"""A learner's map module written outside the package, for tests/test_new_learner.py.

The *scaled linear* learner ``f(x) = s w.x / sqrt(d)`` with penalty ``(lam/2)|w|^2``: with
``u = s w`` the objective is the linear learner's with penalty ``(lam / s^2)/2 |u|^2``, so its
predictor, and hence its errors, are the linear learner's at ``lam / s^2`` -- an exact relation
the test checks against the package's linear learner.  Written as any map module is
(:mod:`rafmodel.theory.maps`): parameters ``PARAMS``, state ``STATE``, conjugates ``HATS``, the
map's four functions, and what the solver's set-up reads (``exact_threshold``; the square loss's
response ``square_response`` for the start; the square loss's optimal ``lam`` in closed form,
``square_lam_opt``, for :func:`rafmodel.optimal_lambda`; no ``SEPARABILITY``, so separability is the map's
zero-margin capacity solved by :func:`rafmodel.interpolation_capacity`).
"""

from rafmodel.theory.maps.linear import ridge, ridge_response
from rafmodel.theory.maps.linear import square_lam_opt as linear_square_lam_opt

__map_module__ = True

PARAMS = ("s",)
STATE = ("m", "q", "V")
HATS = ("mhat", "qhat", "Vhat")
S = PARAMS.index("s")


def sample_ratio(alpha, p):
    """Samples per trained parameter: ``alpha``."""
    return alpha


def to_channel(x, lam, p):
    """Training-time ``(m, q, V)``: ``(s m, s^2 q, s^2 V)``."""
    s = p[S]
    return s * x[0], s * s * x[1], s * s * x[2]


def update(mh, qh, vh, lam, p, spectrum):
    """The ridge update of ``w`` from the channel's hats seen through ``s`` (isotropic inputs: ``spectrum`` unread)."""
    s = p[S]
    mh1, qh1, vh1 = s * mh, s * s * qh, s * s * vh
    m, q, V = ridge(mh1, qh1, vh1, lam)
    return m, q, V, mh1, qh1, vh1


def test_overlaps(x, p):
    """``(m, q)`` at a fresh test point: ``(s m, s^2 q)``."""
    s = p[S]
    return s * x[0], s * s * x[1]


def exact_threshold(p):
    """Exact fit below ``n = d``: ``1``."""
    return 1.0


def square_response(a, lam, delta, p):
    """The square loss's training-time response (the solver's start)."""
    return ridge_response(a, lam, delta, p[S], 0.0)


def square_lam_opt(eps, p):
    """The square loss's optimal ``lam``: ``s^2`` times the linear learner's."""
    return p[S] * p[S] * linear_square_lam_opt(eps, p)
