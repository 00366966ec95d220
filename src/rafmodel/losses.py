"""Losses: value, proximal map and its derivative, one object per loss.

Every loss here is a *margin* loss, ``l(y, h) = ell(y * h)`` with ``y = +-1``; the
replica channel then needs the proximal map only for ``y = +1``:

    P(y, omega, V) = y * prox(y * omega, V),
    prox(u, V)     = argmin_h [ ell(h) + (h - u)^2 / (2 V) ].

``prox_limit`` is the ``V -> infinity`` limit used at ``lam = 0`` when the learner
interpolates (THEORY.md section 3, "lam = 0"): the projection of ``u`` on the set of
minimizers of ``ell`` (``h = 1`` for the square loss, ``h >= 1`` for the hinge).

To add a loss, subclass :class:`Loss`, implement ``value``, ``prox`` and ``dprox``
(and ``prox_limit``/``dprox_limit`` if it can interpolate), and register it with
:func:`register_loss`.  Nothing in the solver needs to change.  A closed-form
channel (``channel_closed_form``) is an optional fast path.
"""

from __future__ import annotations

import numpy as np

from scipy.special import ndtr as _ndtr

from ._math.quadrature import legendre_panels, legendre_unit
from .theory.gaussian import (BIG, MATH, SQRT_2_OVER_PI, SQRT_2PI, TruncatedMoments, gauss_interval_moments,
                              ops)

__all__ = ["Loss", "Square", "Hinge", "Logistic", "get_loss", "register_loss", "LOSSES"]


class Loss:
    """Base class of a margin loss ``ell(y h)``.

    Attributes
    ----------
    name : str
        Name used by the CLI and in outputs.
    slope0 : float
        ``-ell'(0)``: the trained output on a training point of label ``+1`` is
        negative iff ``omega < -slope0 * V`` (used by ``mem_error`` and ``rule_error``).
    interpolation : {"exact", "margin"}
        What interpolating means at ``lam = 0``: ``"exact"`` fits ``h_i = y_i``
        (min-norm interpolator, possible for a linear model iff ``alpha < 1``),
        ``"margin"`` fits ``y_i h_i >= 1`` (max-margin, possible iff the data are
        linearly separable, ``alpha < alpha_c(eps)``).
    """

    name = "loss"
    slope0 = 1.0
    interpolation = "exact"

    def value(self, y, h):
        """Loss ``l(y, h)`` (broadcasting)."""
        raise NotImplementedError

    def prox(self, u, V):
        """``argmin_h ell(h) + (h - u)^2 / (2 V)`` for margin ``u`` and ``V > 0``."""
        raise NotImplementedError

    def dprox(self, u, V):
        """Derivative of :meth:`prox` with respect to ``u``."""
        raise NotImplementedError

    def prox_and_dprox(self, u, V):
        """``(prox(u, V), dprox(u, V))``; override when both share work."""
        return self.prox(u, V), self.dprox(u, V)

    def prox_limit(self, u):
        """Limit of :meth:`prox` as ``V -> infinity`` (projection on ``argmin ell``)."""
        raise NotImplementedError(f"loss {self.name!r} has no interpolating limit")

    def dprox_limit(self, u):
        """Derivative of :meth:`prox_limit` with respect to ``u``."""
        raise NotImplementedError(f"loss {self.name!r} has no interpolating limit")

    def kinks(self, V, limit):
        """Margins ``u`` where :meth:`prox` (or :meth:`prox_limit`) is not smooth.

        Returns ``None`` (smooth loss) or an array of shape ``(B, k)`` for ``V`` of
        shape ``(B,)``; the quadrature route splits its panels there.
        """
        return None

    def channel_closed_form(self, m, q, V, eps, limit):
        """Closed-form channel ``(mhat, qhat, Vhat) / a``, or ``None`` if there is none."""
        return None

    def __repr__(self):
        return f"{type(self).__name__}()"

    def __eq__(self, other):
        return type(self) is type(other)

    def __hash__(self):
        return hash(type(self))


class Square(Loss):
    """Square loss ``(y - h)^2 / 2``."""

    name = "square"
    slope0 = 1.0

    def value(self, y, h):
        return 0.5 * (np.asarray(y) - np.asarray(h)) ** 2

    def prox(self, u, V):
        return (u + V) / (1.0 + V)

    def dprox(self, u, V):
        return np.broadcast_to(1.0 / (1.0 + V), np.broadcast_shapes(np.shape(u), np.shape(V)))

    def prox_limit(self, u):
        return np.ones_like(np.asarray(u, dtype=float))

    def dprox_limit(self, u):
        return np.zeros_like(np.asarray(u, dtype=float))

    def channel_closed_form(self, m, q, V, eps, limit):
        # Second-order loss: only E[y z] = (1-eps) sqrt(2/pi) and E[y^2] = 1 enter.
        D = V if limit else 1.0 + V
        mh = (1.0 - eps) * SQRT_2_OVER_PI / D
        qh = (1.0 + q - 2.0 * SQRT_2_OVER_PI * (1.0 - eps) * m) / D**2
        vh = 1.0 / D
        return mh, qh, vh


class Hinge(Loss):
    """Hinge loss ``max(0, 1 - y h)``; at ``lam = 0`` the max-margin classifier."""

    name = "hinge"
    slope0 = 1.0
    interpolation = "margin"

    def value(self, y, h):
        return np.maximum(0.0, 1.0 - np.asarray(y) * np.asarray(h))

    def prox(self, u, V):
        return np.where(u < 1.0 - V, u + V, np.where(u <= 1.0, 1.0, u))

    def dprox(self, u, V):
        return np.where((u >= 1.0 - V) & (u <= 1.0), 0.0, 1.0)

    def prox_limit(self, u):
        return np.maximum(u, 1.0)

    def dprox_limit(self, u):
        return np.where(u <= 1.0, 0.0, 1.0)

    def kinks(self, V, limit):
        V = np.asarray(V, dtype=float).reshape(-1, 1)
        return np.ones_like(V) if limit else np.concatenate([1.0 - V, np.ones_like(V)], axis=1)

    def channel_closed_form(self, m, q, V, eps, limit):
        # For y = +1:  g = 1 on u < lo = 1 - V, g = (1 - u)/V on [lo, 1], 0 above;
        # -dg = 1/V on [lo, 1].  At the interpolating limit lo = -infinity.
        o = ops(m, q, V, eps)
        sq = o.sqrt(q)
        s = o.sqrt(o.maximum(q - m * m, 1e-300))
        lo = -BIG if limit else 1.0 - V
        # facts: omega = sqrt(q) xi, weight eps (both labels give the same by symmetry)
        L, U = lo / sq, 1.0 / sq
        M0, M1, M2 = gauss_interval_moments(L, U)
        below = 0.0 if limit else o.ndtr(L)
        mid2 = M0 - 2.0 * sq * M1 + q * M2  # E[(1 - sqrt(q) xi)^2 1{L<=xi<=U}]
        # rules: 2 E[1{z>0} G(omega)], corr(xi, z) = m / sqrt(q)
        tm = TruncatedMoments(m / sq)
        A0U, A1U, A2U = tm.all(U)
        if limit:
            A0L = A1L = A2L = 0.0
        else:
            A0L, A1L, A2L = tm.all(L)
        d0 = A0U - A0L
        J = d0 - 2.0 * sq * (A1U - A1L) + q * (A2U - A2L)  # E[1{z>0}(1-omega)^2 1{region 2}]
        # mhat: conditional on z = 0, omega ~ N(0, s^2) with s^2 = q - m^2
        Ls, Us = lo / s, 1.0 / s
        N0, N1, _ = gauss_interval_moments(Ls, Us)
        Nv = N0 - s * N1  # E[(1 - s eta) 1{region 2}]
        if not limit:
            # A narrow region 2 (V small against the Gaussian scales) makes the
            # differences above cancel catastrophically; integrate it directly there.
            narrow = V * (1.0 + o.maximum(1.0, abs(m) / s) / sq + 1.0 / s) < _NARROW
            if o is MATH:
                if narrow:
                    M0, mid2, d0, J, N0, Nv = _hinge_region2(m, q, V, sq, s, o)
            elif np.any(narrow):
                alt = _hinge_region2(m, q, V, sq, s, o)
                M0, mid2, d0, J, N0, Nv = (np.where(narrow, a, b) for a, b in
                                           zip(alt, (M0, mid2, d0, J, N0, Nv)))
        facts_q = below + mid2 / (V * V)
        facts_v = M0 / V
        rule_q = 2.0 * (A0L + J / (V * V))
        rule_v = 2.0 * d0 / V
        Eg = (0.0 if limit else o.ndtr(Ls)) + Nv / V
        mh = (1.0 - eps) * 2.0 * Eg / SQRT_2PI
        qh = eps * facts_q + (1.0 - eps) * rule_q
        vh = eps * facts_v + (1.0 - eps) * rule_v
        return mh, qh, vh


#: Region 2 of the hinge is integrated by Gauss-Legendre below this narrowness.
_NARROW = 0.2
#: Gauss-Legendre nodes of that integral.
_REGION2_NODES = 16
_GL_T, _GL_W = (a.tolist() for a in legendre_unit(_REGION2_NODES))  # floats, for the scalar path


def _hinge_region2(m, q, V, sq, s, o):
    """Region-2 integrals of the hinge channel by Gauss-Legendre in ``v = 1 - omega`` on ``[0, V]``.

    Returns ``M0, mid2, d0, J, N0, Nv`` (see ``Hinge.channel_closed_form``).
    """
    c = m / s
    if o is MATH:
        acc = [0.0] * 6
        for t, w in zip(_GL_T, _GL_W):
            v = V * t
            ww = V * w
            pf = o.exp(-0.5 * ((1.0 - v) / sq) ** 2) / (SQRT_2PI * sq)
            pr = pf * o.ndtr(c * (1.0 - v) / sq)
            pm = o.exp(-0.5 * ((1.0 - v) / s) ** 2) / (SQRT_2PI * s)
            for i, val in enumerate((pf, pf * v * v, pr, pr * v * v, pm, pm * v)):
                acc[i] += ww * val
        return tuple(acc)
    v, ww = legendre_panels(np.stack([np.zeros_like(V), V], axis=-1), _REGION2_NODES)
    sq_, s_, c_ = sq[..., None], s[..., None], c[..., None]
    pf = np.exp(-0.5 * ((1.0 - v) / sq_) ** 2) / (SQRT_2PI * sq_)
    pr = pf * _ndtr(c_ * (1.0 - v) / sq_)
    pm = np.exp(-0.5 * ((1.0 - v) / s_) ** 2) / (SQRT_2PI * s_)
    v2 = v * v
    return tuple(np.sum(ww * f, axis=-1) for f in (pf, pf * v2, pr, pr * v2, pm, pm * v))


class Logistic(Loss):
    """Logistic loss ``log(1 + exp(-y h))``.

    At ``lam = 0`` on separable data the minimizer does not exist (its norm
    diverges) but its direction converges to the max-margin classifier; rafmodel
    then reports the max-margin fixed point, whose ``gen_error``, ``mem_error``,
    ``rule_error`` and ``m / sqrt(q)`` are those of logistic regression as
    ``lam -> 0+``.
    """

    name = "logistic"
    slope0 = 0.5
    interpolation = "margin"
    newton_iterations = 100

    def value(self, y, h):
        return np.logaddexp(0.0, -np.asarray(y) * np.asarray(h))

    def prox(self, u, V):
        # Root of f(x) = x - u - V sigmoid(-x), increasing, by Newton steps safeguarded
        # by bisection (rtsafe); iterations continue only on the unconverged entries.
        u, V = np.broadcast_arrays(np.asarray(u, dtype=float), np.asarray(V, dtype=float))
        shape = u.shape
        u, V = u.ravel(), V.ravel()
        # bracket: sigmoid(-x) is decreasing and x is in (u, u + V)
        lo, hi = u + V * _sigmoid(-u - V), u + V * _sigmoid(-u)
        s = _sigmoid(-u)
        x = np.clip(u + V * s / (1.0 + V * s * (1.0 - s)), lo, hi)  # one Newton step from u
        out = x.copy()
        act = np.arange(x.size)
        last = np.full(x.size, np.inf)
        for _ in range(self.newton_iterations):
            ua, Va = u[act], V[act]
            s = _sigmoid(-x)
            f = x - ua - Va * s
            neg = f < 0
            lo = np.where(neg, x, lo)
            hi = np.where(neg, hi, x)
            step = f / (1.0 + Va * s * (1.0 - s))
            x_new = x - step
            newton = (x_new >= lo) & (x_new <= hi) & (np.abs(step) <= 0.5 * last)
            x_new = np.where(newton, x_new, 0.5 * (lo + hi))
            done = np.abs(step) <= 1e-15 * (1.0 + np.abs(x) + Va * s)  # root to rounding
            out[act[done]] = x[done]
            keep = ~done
            last = np.abs(x_new - x)[keep]
            act, x, lo, hi = act[keep], x_new[keep], lo[keep], hi[keep]
            if act.size == 0:
                break
        out[act] = x
        return out.reshape(shape)

    def dprox(self, u, V):
        return self.prox_and_dprox(u, V)[1]

    def prox_and_dprox(self, u, V):
        x = self.prox(u, V)
        s = _sigmoid(-x)
        return x, 1.0 / (1.0 + V * s * (1.0 - s))

    # lam -> 0 on separable data: direction of the max-margin classifier.
    prox_limit = Hinge.prox_limit
    dprox_limit = Hinge.dprox_limit

    def kinks(self, V, limit):
        return np.ones((np.size(V), 1)) if limit else None


def _sigmoid(x):
    return 0.5 * (1.0 + np.tanh(0.5 * x))


LOSSES: dict[str, type[Loss]] = {"square": Square, "hinge": Hinge, "logistic": Logistic}


def register_loss(cls: type[Loss]) -> type[Loss]:
    """Register a :class:`Loss` subclass under ``cls.name`` (usable as a decorator)."""
    LOSSES[cls.name] = cls
    return cls


def get_loss(loss) -> Loss:
    """Return a :class:`Loss` instance from a name or an instance."""
    if isinstance(loss, Loss):
        return loss
    if isinstance(loss, str) and loss.lower() in LOSSES:
        return LOSSES[loss.lower()]()
    allowed = ", ".join(sorted(LOSSES))
    raise ValueError(f"loss: unknown loss {loss!r}; allowed: {allowed}")
