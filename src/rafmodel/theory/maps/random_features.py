"""The random-features learner's side of the map (docs/theory.md section 3, random features).

Parameters ``(kappa, mu1, mustar)``.  State ``(m, q, V, qw, Vw)``: ``m, q, V`` are ``ms, qs, Vs``
of docs/theory.md (the part of the predictor along the linear component ``mu1``), ``qw, Vw`` those
of the nonlinear component ``mustar``.  A map module (:mod:`rafmodel.theory.maps`): one source for
the batch and the compiled routes.
"""

from __future__ import annotations

from ._ops import any_, fabs, spectral_sums, sqrt, where

__map_module__ = True
__all__ = ["sample_ratio", "to_channel", "update", "structured_update", "feature_scale", "test_overlaps",
           "responses", "training_response", "exact_threshold", "represents_rule"]


#: The learner's parameters, in the order ``p`` holds them; its state and its conjugates.
PARAMS = ("kappa", "mu1", "mustar")
STATE = ("m", "q", "V", "qw", "Vw")
HATS = ("mhat", "qhat", "Vhat", "qwhat", "Vwhat")
KAPPA, MU1, MUSTAR = PARAMS.index("kappa"), PARAMS.index("mu1"), PARAMS.index("mustar")
#: The learner's map knows structured inputs: the features' covariance from the inputs' spectrum
#: (a deterministic equivalent over the random projection; :func:`structured_update`).
STRUCTURED_INPUTS = True
#: ... on spectra of one direction per input dimension (``sum f = 1``: the projection ``F x`` sees all
#: of them).  Its zero-margin capacity on them is solved from this map, as on isotropic inputs.
STRUCTURED_DIRECTIONS = 1.0
#: Newton steps at most for the projection's scale ``y`` (each is one pass over the spectrum).
NEWTON_STEPS = 200


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

    On structured inputs (``s`` with atoms) this is :func:`structured_update`; on isotropic ones,
    the closed form below.

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
    msh, qsh, Vsh = mu1 * kappa * mh, mu1 * mu1 * kappa * qh, mu1 * mu1 * kappa * vh
    qwh, Vwh = mus * mus * qh, mus * mus * vh
    if s.shape[1] > 0:
        ms, qs, Vs, qw, Vw = structured_update(mh, qh, vh, lam, p, s)
        return ms, qs, Vs, qw, Vw, msh, qsh, Vsh, qwh, Vwh
    gam = 1.0 / kappa
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


def feature_scale(c, L, kappa, s):
    """The scale ``y`` of the random projection's resolvent, and ``kappa - S2`` (its slope).

    The root of ``y (kappa - S1(y)) = L`` with ``S1 = sum f c omega / (c omega + y)``, ``S2 = sum f
    (c omega / (c omega + y))^2``: the deterministic equivalent ``(F Sigma F'/d + zeta)^-1 ~ 1 /
    (kappa kt)`` per feature, ``zeta = L / c``, ``kt = y / c`` (docs/theory.md section 3.12).  The
    left side is convex and increasing in ``y`` on the branch of the root, so Newton's method from
    ``y0 = (L + c) / kappa`` (where it is ``>= 0``) decreases to the root without overshooting.
    """
    y = (L + c) / kappa
    slope = kappa + 0.0 * y
    for _ in range(NEWTON_STEPS):
        sums = spectral_sums(c, y, s)
        slope = kappa - c * c * sums[3]
        step = (y * (kappa - c * sums[0]) - L) / slope
        y = y - step
        if not any_(fabs(step) > 1e-15 * y):
            break
    return y, slope


def structured_update(mh, qh, vh, lam, p, s):
    """:func:`update` on inputs of spectrum ``s``: the ridge of the features' Gaussian equivalent.

    The features ``u = mu1 F x / sqrt(d) + mustar xi`` have covariance ``Omega = mu1^2 F Sigma F'/d
    + mustar^2 I`` and covariance ``Phi = mu1 F Sigma w* / d`` with the teacher's field; the trained
    weights see ``R = (lam + Vhat Omega)^-1``.  Over the random ``F`` every trace is a sum over the
    inputs' spectrum at the scale ``y`` of :func:`feature_scale` (``c = mu1^2 Vhat``, ``L = lam +
    mustar^2 Vhat``), with ``rho = omega / (c omega + y)``:

    * ``V = sum f rho / kappa``, ``Vw = 1 / (kappa y)``, ``m = mu1 mhat sum f t rho``;
    * ``q_total = mu1^2 q + mustar^2 qw = mhat^2 Phi' R Omega R Phi + qhat tr(Omega^2 R^2) / p``, each
      the derivative of ``Phi' R Phi`` or ``tr(Omega R) / p`` in ``Vhat``; ``qw = |a|^2 / p`` from
      their derivatives in ``lam``.

    All terms are sums of positive parts (no cancellation as ``Vhat -> 0``).  Exact for a flat
    spectrum (the isotropic closed form).  Returns the state ``(m, q, V, qw, Vw)``; :func:`update`
    adds the conjugates, the same on any inputs.
    """
    kappa, mu1, mus = p[KAPPA], p[MU1], p[MUSTAR]
    m2, s2 = mu1 * mu1, mus * mus
    c, L = m2 * vh, lam + s2 * vh
    y, slope = feature_scale(c, L, kappa, s)
    # sum f rho, sum f t rho, sum f t rho^2, sum f rho^2, sum f omega / (c omega + y)^2, the same with t
    a0, a1, a2, b2, e0, e1 = spectral_sums(c, y, s)
    dy = (s2 + y * y * e0 * m2) / slope  # dy / dVhat; dy / dlam = 1 / slope
    mem = where(mus == 0.0, 0.0, s2 / (y * y))  # mustar^2 / y^2 (y = 0 without a memory part at lam = 0)
    ms = mu1 * mh * a1
    Vs = a0 / kappa
    Vw = where(mus == 0.0, 1.0, 1.0 / (kappa * y))
    q_tot = mh * mh * m2 * (m2 * a2 + e1 * dy) + qh * (m2 * (m2 * b2 + e0 * dy) + mem * dy) / kappa
    qw = (mh * mh * m2 * e1 + qh * (m2 * e0 + mem) / kappa) / slope
    qs = (q_tot - s2 * qw) / m2
    qw = where(mus == 0.0, 1.0, qw)
    return ms, qs, Vs, qw, Vw


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
