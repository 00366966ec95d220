"""Closed-form channels: an optional fast path, registered per loss type.

A closed-form channel is a function ``f(loss, m, q, V, eps, limit)`` that returns
``(mhat, qhat, Vhat) / a`` -- what :func:`rafmodel.theory.channel.channel_quadrature`
computes by quadrature -- for training-time overlaps ``m, q``, response ``V``, fact
fraction ``eps`` (all arrays of the same shape, or all plain Python floats: the
scalar fast path of the solver calls it with floats) and ``limit`` the interpolating
limit at ``lam = 0`` (then ``V`` is ``lam V``).

A loss with none still works everywhere through the quadrature route; to give a new
loss one::

    @register_closed_form(MyLoss)
    def my_channel(loss, m, q, V, eps, limit):
        ...

A subclass of a registered loss type inherits its closed form (unless it registers
its own).
"""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING, Callable, TypeVar

import numpy as np
from scipy.special import ndtr as _ndtr

from .._math.quadrature import legendre_panels, legendre_unit
from ..losses import Hinge, Square
from .gaussian import BIG, MATH, SQRT_2_OVER_PI, SQRT_2PI, TruncatedMoments, gauss_interval_moments, ops

if TYPE_CHECKING:  # for the annotations only
    from ..losses import Loss

    # Arguments of a channel: all plain floats (scalar fast path) or all arrays of one shape.
    Value = float | np.ndarray

_F = TypeVar("_F", bound=Callable)

__all__ = ["register_closed_form", "closed_form", "square_channel", "hinge_channel"]

_REGISTRY: dict[type, Callable] = {}
_LOOKUP: dict[type, Callable | None] = {}  # loss type -> its closed form (through the MRO)


def register_closed_form(loss_type: type) -> Callable[[_F], _F]:
    """Register ``f(loss, m, q, V, eps, limit)`` as the closed-form channel of ``loss_type`` (a decorator).

    Parameters
    ----------
    loss_type : type
        A :class:`rafmodel.Loss` subclass; its subclasses inherit the closed form
        unless they register their own.

    Returns
    -------
    callable
        The decorator; it registers ``f`` (replacing an earlier registration) and
        returns it unchanged.  ``f`` returns ``(mhat, qhat, Vhat) / a`` like
        :func:`rafmodel.theory.channel.channel_quadrature`, for arguments that are all
        plain floats or all arrays of one shape.
    """
    def deco(f):
        _REGISTRY[loss_type] = f
        _LOOKUP.clear()
        return f
    return deco


def closed_form(loss: Loss) -> Callable | None:
    """The closed-form channel of ``loss`` (or of the nearest registered base class), or ``None``.

    Parameters
    ----------
    loss : Loss
        A loss instance.

    Returns
    -------
    callable or None
        ``f(loss, m, q, V, eps, limit)``, or ``None``: the channel is computed by quadrature.

    Examples
    --------
    >>> from rafmodel import Hinge, Logistic
    >>> closed_form(Hinge()) is hinge_channel, closed_form(Logistic())
    (True, None)
    """
    t = type(loss)
    try:
        return _LOOKUP[t]
    except KeyError:
        f = _LOOKUP[t] = next((_REGISTRY[c] for c in t.__mro__ if c in _REGISTRY), None)
        return f


@register_closed_form(Square)
def square_channel(loss: Loss, m: Value, q: Value, V: Value, eps: Value, limit: bool) -> tuple[Value, Value, Value]:
    """Square loss: second order, so only ``E[y z] = (1-eps) sqrt(2/pi)`` and ``E[y^2] = 1`` enter.

    Parameters
    ----------
    loss : Loss
        The square loss (unused: the closed form is that of its type).
    m, q, V, eps : float or ndarray of shape (B,)
        Training-time overlaps, response and fact fraction.
    limit : bool
        The interpolating limit at ``lam = 0`` (``V`` is then ``lam V``).

    Returns
    -------
    mh : float or ndarray of shape (B,)
        ``mhat / a``.
    qh : float or ndarray of shape (B,)
        ``qhat / a``.
    vh : float or ndarray of shape (B,)
        ``Vhat / a``.

    Examples
    --------
    >>> from rafmodel import Square
    >>> [round(x, 4) for x in square_channel(Square(), 0.5, 1.0, 1.0, 0.2, False)]
    [0.3192, 0.3404, 0.5]
    """
    D = V if limit else 1.0 + V
    mh = (1.0 - eps) * SQRT_2_OVER_PI / D
    qh = (1.0 + q - 2.0 * SQRT_2_OVER_PI * (1.0 - eps) * m) / D**2
    vh = 1.0 / D
    return mh, qh, vh


@register_closed_form(Hinge)
def hinge_channel(loss: Loss, m: Value, q: Value, V: Value, eps: Value, limit: bool) -> tuple[Value, Value, Value]:
    """Hinge loss, in ``Phi``, ``phi`` and Owen's T (a narrow margin region is integrated directly).

    Parameters
    ----------
    loss : Loss
        The hinge loss (unused: the closed form is that of its type).
    m, q, V, eps : float or ndarray of shape (B,)
        Training-time overlaps, response and fact fraction (``m^2 < q``).
    limit : bool
        The interpolating (max-margin) limit at ``lam = 0`` (``V`` is then ``lam V``).

    Returns
    -------
    mh : float or ndarray of shape (B,)
        ``mhat / a``.
    qh : float or ndarray of shape (B,)
        ``qhat / a``.
    vh : float or ndarray of shape (B,)
        ``Vhat / a``.
    """
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


@lru_cache(maxsize=1)
def _region2_floats():
    """The region-2 rule on ``[0, 1]`` as lists of floats, for the scalar path (built on first use)."""
    return tuple(a.tolist() for a in legendre_unit(_REGION2_NODES))


def _hinge_region2(m, q, V, sq, s, o):
    """Region-2 integrals of the hinge channel by Gauss-Legendre in ``v = 1 - omega`` on ``[0, V]``.

    Returns ``M0, mid2, d0, J, N0, Nv`` (see :func:`hinge_channel`).
    """
    c = m / s
    if o is MATH:
        acc = [0.0] * 6
        for t, w in zip(*_region2_floats()):
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
