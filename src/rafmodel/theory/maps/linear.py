"""The linear learner's side of the map (docs/theory.md section 3), and the ridge algebra.

State ``(m, q, V)``: ``m = w.w*/d``, ``q = |w|^2/d``, ``V`` the response; no parameters.  The
ridge (Gaussian-prior) update on the inputs' spectrum (:func:`prior`: isotropic inputs, or
structured ones, docs/theory.md section 3.11) and the square loss's closed-form response are
shared with the kernel learner.  A map module (:mod:`rafmodel.theory.maps`): one source for the batch and the
compiled routes.
"""

from __future__ import annotations

from ._ops import spectral_sums, sqrt, where

__map_module__ = True
__all__ = ["sample_ratio", "to_channel", "update", "test_overlaps", "ridge", "prior", "ridge_response",
           "square_response", "exact_threshold", "square_lam_opt"]

#: The learner's map knows structured inputs (its ``update`` reads the spectrum ``s``).
STRUCTURED_INPUTS = True

#: The learner's parameters, in the order ``p`` holds them; its state and its conjugates.
PARAMS = ()
STATE = ("m", "q", "V")
HATS = ("mhat", "qhat", "Vhat")
#: Separability at ``lam = 0`` is Gardner's capacity ``rafmodel.alpha_c(eps)`` (rafmodel.theory.capacity).
SEPARABILITY = "alpha_c"
PI = 3.141592653589793


def sample_ratio(alpha, p):
    """Samples per trained parameter: ``alpha``."""
    return alpha


def to_channel(x, lam, p):
    """Training-time ``(m, q, V)`` the channel sees: the state itself."""
    return x[0], x[1], x[2]


def ridge(mh, qh, vh, lam):
    """Gaussian-prior (ridge) side: ``m = mhat / (lam + Vhat)``, ``q = (mhat^2 + qhat) / (lam + Vhat)^2``, ``V = 1 / (lam + Vhat)``."""
    d = lam + vh
    return mh / d, (mh * mh + qh) / (d * d), 1.0 / d


def prior(mh, qh, vh, lam, s):
    """The ridge side on inputs with spectrum ``s`` (shape ``(3, K)``; ``K = 0``: isotropic, :func:`ridge`).

    With ``r_k = omega_k / (lam + Vhat omega_k)``: ``m = mhat sum f t r``, ``q = mhat^2 sum f t r^2
    + qhat sum f r^2``, ``V = sum f r`` (docs/theory.md section 3.11).
    """
    if s.shape[1] == 0:
        return ridge(mh, qh, vh, lam)
    v, tr, tr2, r2 = spectral_sums(vh, lam, s)[:4]
    return mh * tr, mh * mh * tr2 + qh * r2, v


def update(mh, qh, vh, lam, p, s):
    """New state and the learner's conjugates, ``(m, q, V, mhat, qhat, Vhat)``, from the channel's hats (times ``a``)."""
    m, q, V = prior(mh, qh, vh, lam, s)
    return m, q, V, mh, qh, vh


def test_overlaps(x, p):
    """``(m, q)`` of the predictor at a fresh test point."""
    return x[0], x[1]


def ridge_response(a, lam, delta, mu1, c):
    """Positive root ``V`` of ``V = mu1^2 (delta + V) / (lam (delta + V) + mu1^2 a) + c``.

    The square-loss response of a ridge-type learner (``c = mustar^2 / lam`` for a kernel; the
    linear learner is ``mu1 = 1, c = 0``); ``delta = 0`` at the interpolating limit.
    """
    m2 = mu1 * mu1
    A = lam
    B = lam * delta + m2 * a - lam * c - m2
    C = c * (lam * delta + m2 * a) + m2 * delta  # the root solves A V^2 + B V - C = 0
    disc = sqrt(B * B + 4.0 * A * C)
    return where(B >= 0, 2.0 * C / (B + disc), (disc - B) / (2.0 * A))


def square_response(a, lam, delta, p):
    """Training-time response ``V`` of the square loss, in closed form (the solver's start)."""
    return ridge_response(a, lam, delta, 1.0, 0.0)


def exact_threshold(p):
    """``alpha`` below which the min-norm interpolator fits every label exactly: ``1`` (``n < d``)."""
    return 1.0


def square_lam_opt(eps, p):
    """The square loss's optimal ``lam`` (docs/theory.md): ``pi / (2 (1 - eps)^2) - 1``, any ``alpha`` (``eps < 1``)."""
    return PI / (2.0 * (1.0 - eps) ** 2) - 1.0
