"""The random-features learner's side of the map (docs/theory.md section 3, random features).

Parameters ``(kappa, mu1, mustar)``.  State ``(m, q, V, qw, Vw)``: ``m, q, V`` are ``ms, qs, Vs``
of docs/theory.md (the part of the predictor along the linear component ``mu1``), ``qw, Vw`` those
of the nonlinear component ``mustar``.  A map module (:mod:`rafmodel.theory.maps`): one source for
the batch and the compiled routes.
"""

from __future__ import annotations

from ._ops import sqrt, where

__map_module__ = True
__all__ = ["sample_ratio", "to_channel", "update", "test_overlaps", "responses", "training_response",
           "exact_threshold", "represents_rule"]


#: The learner's parameters, in the order ``p`` holds them; its state and its conjugates.
PARAMS = ("kappa", "mu1", "mustar")
STATE = ("m", "q", "V", "qw", "Vw")
HATS = ("mhat", "qhat", "Vhat", "qwhat", "Vwhat")
KAPPA, MU1, MUSTAR = PARAMS.index("kappa"), PARAMS.index("mu1"), PARAMS.index("mustar")


def sample_ratio(alpha, p):
    """Samples per trained parameter: ``alpha / kappa``."""
    return alpha / p[KAPPA]


def to_channel(x, lam, p):
    """Training-time ``(m, q, V)``: ``(mu1 m, mu1^2 q + mustar^2 qw, mu1^2 V + mustar^2 Vw)``."""
    mu1, mus = p[MU1], p[MUSTAR]
    return mu1 * x[0], mu1 * mu1 * x[1] + mus * mus * x[3], mu1 * mu1 * x[2] + mus * mus * x[4]


def test_overlaps(x, p):
    """``(m, q)`` at a fresh test point: ``(mu1 m, mu1^2 q + mustar^2 qw)``."""
    mu1, mus = p[MU1], p[MUSTAR]
    return mu1 * x[0], mu1 * mu1 * x[1] + mus * mus * x[3]


def responses(Vsh, L, gam):
    """Responses ``Vs, Vw`` from ``Vshat`` and ``L = lam + Vwhat`` (also ``S + D``, ``D``); see :func:`update`."""
    S = Vsh * (1.0 + gam) + L
    D = sqrt((Vsh * (1.0 - gam)) ** 2 + 2.0 * (1.0 + gam) * Vsh * L + L * L)
    SD = S + D
    b = Vsh * (1.0 - gam) - L
    Vw = where(b >= 0.0, (b + D) / (2.0 * L * Vsh), 2.0 / (D - b))
    return 2.0 / SD, Vw, SD, D


def training_response(vh, lam, p):
    """Training-time response ``mu1^2 Vs + mustar^2 Vw`` after an update with ``Vhat = vh`` (times ``a``).

    The responses do not depend on ``mhat, qhat``; the solver's square-loss start solves
    ``Vhat (delta + V_tr(Vhat)) = a`` with it.
    """
    kappa, mu1, mus = p[KAPPA], p[MU1], p[MUSTAR]
    r = responses(mu1 * mu1 * kappa * vh, lam + mus * mus * vh, 1.0 / kappa)
    return mu1 * mu1 * r[0] + mus * mus * where(mus == 0.0, 1.0, r[1])


def update(mh, qh, vh, lam, p, s):
    """New state and conjugates ``(m, q, V, qw, Vw, mhat, qhat, Vhat, qwhat, Vwhat)`` from the channel's hats.

    Isotropic inputs only (``s`` is not read: the module does not declare ``STRUCTURED_INPUTS``).

    docs/theory.md's expressions, multiplied through by ``Vshat`` and rewritten without
    cancellations, so that they stay finite as ``z = L / Vshat -> infinity`` (a hinge channel can
    give ``Vhat = 0`` exactly) and accurate over many decades.  With ``S = Vshat S_th = Vshat (1 +
    gam) + L`` and ``D = Vshat D_th``:

    * ``Vs = 2 / (S + D)``, ``ms = mshat Vs``,
    * ``Vw = 2 / (D - b)``, or ``(b + D) / (2 L Vshat)`` when ``b >= 0``, ``b = Vshat (1 - gam) - L``,
    * ``qs = 2 [(mshat^2 + qshat)(1 + gam - e) + qwhat] / ((S + D) D)``, ``e = 4 gam Vshat / (S + D)``,
    * ``qw = qwhat C + 2 gam (mshat^2 + qshat) / ((S + D) D)``,
    * ``C = (X + (1 - gam) D) / (2 L^2 D)`` (``gam <= 1``) or ``2 gam / (D (X + (gam - 1) D))``,
      ``X = Vshat (1 - gam)^2 + (1 + gam) L``.

    Without a nonlinear part (``mustar = 0``) ``qw, Vw`` are irrelevant placeholders, ``1``.
    """
    kappa, mu1, mus = p[KAPPA], p[MU1], p[MUSTAR]
    gam = 1.0 / kappa
    msh, qsh, Vsh = mu1 * kappa * mh, mu1 * mu1 * kappa * qh, mu1 * mu1 * kappa * vh
    qwh, Vwh = mus * mus * qh, mus * mus * vh
    L = lam + Vwh
    Vs, Vw, SD, D = responses(Vsh, L, gam)
    e = 4.0 * gam * Vsh / SD
    ms = msh * Vs
    P2 = msh * msh + qsh
    X = Vsh * (1.0 - gam) ** 2 + (1.0 + gam) * L
    C = where(gam <= 1.0, (X + (1.0 - gam) * D) / (2.0 * L * L * D), 2.0 * gam / (D * (X + (gam - 1.0) * D)))
    qs = 2.0 * (P2 * (1.0 + gam - e) + qwh) / (SD * D)
    qw = qwh * C + 2.0 * gam * P2 / (SD * D)
    qw = where(mus == 0.0, 1.0, qw)
    Vw = where(mus == 0.0, 1.0, Vw)
    return ms, qs, Vs, qw, Vw, msh, qsh, Vsh, qwh, Vwh


def exact_threshold(p):
    """``alpha`` below which every label is fitted exactly: ``n < p`` (``kappa``), ``n < min(p, d)`` for ``mustar = 0``.

    Separability (a margin loss) is the zero-margin capacity of this map, solved by
    :func:`rafmodel.theory.capacity.interpolation_capacity` (no ``SEPARABILITY`` here).
    """
    kappa = p[KAPPA]
    return where(p[MUSTAR] > 0.0, kappa, where(kappa < 1.0, kappa, 1.0))


def represents_rule(p):
    """Whether the features can represent the teacher: only the linear learner's (``mustar = 0``, ``kappa >= 1``).

    Otherwise ``p = kappa d`` features leave part of the rule unlearnable and ``gen_error`` tends
    to a positive limit as ``alpha -> infinity`` (docs/theory.md section 3.9), whatever the loss.
    """
    return where(p[MUSTAR] == 0.0, p[KAPPA] >= 1.0, False)
