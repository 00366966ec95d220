"""Closed-form channels: an optional fast path, registered per loss type.

A closed-form channel is a function ``f(loss, m, q, V, eps, limit)`` that returns
``(mhat, qhat, Vhat) / a`` -- what :func:`rafmodel.theory.channel.channel_quadrature`
computes by quadrature -- for training-time overlaps ``m, q``, response ``V``, fact
fraction ``eps`` (arrays of the same shape) and ``limit`` the interpolating limit at
``lam = 0`` (then ``V`` is ``lam V``).

The built-in ones (square, hinge) are the map modules :mod:`rafmodel.theory.maps.square` and
:mod:`rafmodel.theory.maps.hinge`, which the compiled route compiles too; a loss whose channel is
written as such a module (:func:`rafmodel.theory.maps.register_loss_map`) gets both routes.  A
loss with none still works everywhere through the quadrature route; a closed form registered
here instead is used on the batch route only::

    @register_closed_form(MyLoss)
    def my_channel(loss, m, q, V, eps, limit):
        ...

A subclass of a registered loss type inherits its closed form (unless it registers
its own).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Callable, TypeVar

import numpy as np

from ..losses import Hinge, Square
from .maps import hinge as _hinge_map
from .maps import square as _square_map

if TYPE_CHECKING:  # for the annotations only
    from ..losses import Loss

    # Arguments of a channel: arrays of one shape (or floats).
    Value = float | np.ndarray

_F = TypeVar("_F", bound=Callable)

__all__ = ["register_closed_form", "closed_form", "square_channel", "hinge_channel"]

#: The hinge's region-2 constants (now in :mod:`rafmodel.theory.maps.hinge`).
_NARROW, _REGION2_NODES = _hinge_map.NARROW, _hinge_map.REGION2_NODES

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
    """Square loss: :func:`rafmodel.theory.maps.square.channel` (second order: only ``E[y z]`` and ``E[y^2]`` enter).

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
    with np.errstate(all="ignore"):
        return _square_map.channel(m, q, V, eps, limit)


@register_closed_form(Hinge)
def hinge_channel(loss: Loss, m: Value, q: Value, V: Value, eps: Value, limit: bool) -> tuple[Value, Value, Value]:
    """Hinge loss: :func:`rafmodel.theory.maps.hinge.channel` (``Phi``, ``phi``, Owen's T; a narrow margin region integrated directly).

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
    with np.errstate(all="ignore"):
        return _hinge_map.channel(m, q, V, eps, limit)
