"""Losses: value, proximal map and its derivative, one object per loss.

Every loss here is a *margin* loss, ``l(y, h) = ell(y * h)`` with ``y = +-1``; the
replica channel then needs the proximal map only for ``y = +1``:

    P(y, omega, V) = y * prox(y * omega, V),
    prox(u, V)     = argmin_h [ ell(h) + (h - u)^2 / (2 V) ].

``prox_limit`` is the ``V -> infinity`` limit used at ``lam = 0`` when the learner
interpolates (docs/theory.md section 3, "lam = 0"): the projection of ``u`` on the set of
minimizers of ``ell`` (``h = 1`` for the square loss, ``h >= 1`` for the hinge).

To add a loss, subclass :class:`Loss`, implement ``value``, ``prox`` and ``dprox``
(and ``prox_limit``/``dprox_limit`` if it can interpolate), and register it with
:func:`register_loss`.  Nothing in the solver needs to change.  A closed-form
channel is an optional fast path, registered on the theory side
(``rafmodel.theory.closed_form.register_closed_form``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ._math import logistic as _logistic
from .exceptions import ParameterError

if TYPE_CHECKING:  # for the annotations only
    from numpy.typing import ArrayLike

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
    prox_panel : float
        For a loss with :meth:`derivatives`: the widest panel, in the proximal point
        ``x``, of the channel's Gauss-Legendre rule (``ell'`` must be analytic in a strip of
        half-width about ``prox_panel`` around the real axis for 12 nodes per panel to
        reach rounding; the logistic's poles are at distance ``pi``).
    prox_support : float
        For a loss with :meth:`derivatives`: ``ell''(x)`` is negligible (to rounding) for
        ``|x| > prox_support``; panels are cut to ``prox_panel`` only inside.

    Notes
    -----
    The methods broadcast: ``u`` and ``V`` (or ``y`` and ``h``) may be numbers or
    arrays of any shapes that broadcast together, e.g. ``(B, 1)`` against ``(B, K)``
    in the quadrature of the channel.

    Examples
    --------
    >>> import numpy as np
    >>> from rafmodel import Hinge, Square
    >>> float(Square().value(1.0, 0.5)), float(Hinge().value(-1.0, 0.5))
    (0.125, 1.5)
    >>> Hinge().prox(np.array([0.0, 0.9, 2.0]), 0.5)  # u + V, 1, u
    array([0.5, 1. , 2. ])
    """

    name = "loss"
    slope0 = 1.0
    interpolation = "exact"
    prox_panel: float = 3.0
    prox_support: float = 40.0

    def value(self, y: ArrayLike, h: ArrayLike) -> float | np.ndarray:
        """Loss ``l(y, h)`` (broadcasting).

        Parameters
        ----------
        y : float or array_like
            Labels in ``{-1, +1}``.
        h : float or array_like
            Outputs of the predictor, broadcasting with ``y``.

        Returns
        -------
        float or ndarray
            ``ell(y h)``, of the broadcast shape of ``y`` and ``h``.
        """
        raise NotImplementedError

    def prox(self, u: float | np.ndarray, V: float | np.ndarray) -> float | np.ndarray:
        """``argmin_h ell(h) + (h - u)^2 / (2 V)`` for margin ``u`` and ``V > 0``.

        Parameters
        ----------
        u : float or ndarray
            Margins (the label ``+1`` times the pre-activation ``omega``).
        V : float or ndarray
            Response, ``V > 0``, broadcasting with ``u``.

        Returns
        -------
        float or ndarray
            The proximal point, of the broadcast shape of ``u`` and ``V``.
        """
        raise NotImplementedError

    def dprox(self, u: float | np.ndarray, V: float | np.ndarray) -> float | np.ndarray:
        """Derivative of :meth:`prox` with respect to ``u``.

        Parameters
        ----------
        u : float or ndarray
            Margins.
        V : float or ndarray
            Response, ``V > 0``, broadcasting with ``u``.

        Returns
        -------
        float or ndarray
            ``d prox(u, V) / du``, in ``[0, 1]``, of the broadcast shape of ``u`` and ``V``.
        """
        raise NotImplementedError

    def derivatives(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``ell'(x)`` and ``ell''(x)``, each to full relative precision.

        For a loss with two continuous derivatives the proximal map is the inverse of
        ``x -> x + V ell'(x)``, which is explicit: the channel then integrates over the
        proximal point instead of the margin and needs no root finding (only the panel
        edges are mapped by :meth:`prox`).  The channel takes ``x - u = -V ell'(x)`` and
        ``1 + V ell''(x)`` from here rather than by subtraction, which would cancel where
        ``V ell'`` is small against ``x``.  Losses with kinks do not override this.

        Parameters
        ----------
        x : ndarray
            Margins (proximal points).

        Returns
        -------
        d1, d2 : ndarray
            ``ell'(x)`` and ``ell''(x)``.
        """
        raise NotImplementedError

    def prox_inverse(self, x: np.ndarray, V: float | np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The margin whose proximal point is ``x``, and its derivative: ``u = x + V ell'(x)``.

        From :meth:`derivatives` where the loss has them (a loss may override this instead,
        and the channel then subtracts); losses with kinks have neither.

        Parameters
        ----------
        x : ndarray
            Proximal points.
        V : float or ndarray
            Response, ``V > 0``, broadcasting with ``x``.

        Returns
        -------
        u : ndarray
            ``x + V ell'(x)``, the margins with ``prox(u, V) = x``.
        dudx : ndarray
            ``1 + V ell''(x) = 1 / dprox(u, V)``.
        """
        if type(self).derivatives is Loss.derivatives:
            raise NotImplementedError
        d1, d2 = self.derivatives(x)
        return x + V * d1, 1.0 + V * d2

    def prox_and_dprox(self, u: float | np.ndarray,
                       V: float | np.ndarray) -> tuple[float | np.ndarray, float | np.ndarray]:
        """``(prox(u, V), dprox(u, V))``; override when both share work.

        Parameters
        ----------
        u : float or ndarray
            Margins.
        V : float or ndarray
            Response, ``V > 0``, broadcasting with ``u``.

        Returns
        -------
        prox : float or ndarray
            :meth:`prox` at ``(u, V)``.
        dprox : float or ndarray
            :meth:`dprox` at ``(u, V)``.
        """
        return self.prox(u, V), self.dprox(u, V)

    def prox_limit(self, u: float | np.ndarray) -> np.ndarray:
        """Limit of :meth:`prox` as ``V -> infinity`` (projection on ``argmin ell``).

        Parameters
        ----------
        u : float or ndarray
            Margins.

        Returns
        -------
        ndarray
            The projection of ``u`` on the minimizers of ``ell``, of ``u``'s shape.

        Raises
        ------
        NotImplementedError
            For a loss that cannot interpolate (no minimizer of ``ell``).
        """
        raise NotImplementedError(f"loss {self.name!r} has no interpolating limit")

    def dprox_limit(self, u: float | np.ndarray) -> np.ndarray:
        """Derivative of :meth:`prox_limit` with respect to ``u``.

        Parameters
        ----------
        u : float or ndarray
            Margins.

        Returns
        -------
        ndarray
            ``d prox_limit(u) / du``, of ``u``'s shape.

        Raises
        ------
        NotImplementedError
            For a loss that cannot interpolate.
        """
        raise NotImplementedError(f"loss {self.name!r} has no interpolating limit")

    def kinks(self, V: ArrayLike, limit: bool) -> np.ndarray | None:
        """Margins ``u`` where :meth:`prox` (or :meth:`prox_limit`) is not smooth.

        The quadrature route splits its panels there.

        Parameters
        ----------
        V : array_like of shape (B,)
            Responses of ``B`` points.
        limit : bool
            Whether the interpolating limit :meth:`prox_limit` is used.

        Returns
        -------
        ndarray of shape (B, k) or None
            ``k`` kinks per point, or ``None`` for a smooth loss.
        """
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

    def value(self, y: ArrayLike, h: ArrayLike) -> float | np.ndarray:
        return 0.5 * (np.asarray(y) - np.asarray(h)) ** 2

    def prox(self, u: float | np.ndarray, V: float | np.ndarray) -> float | np.ndarray:
        return (u + V) / (1.0 + V)

    def dprox(self, u: float | np.ndarray, V: float | np.ndarray) -> float | np.ndarray:
        return np.broadcast_to(1.0 / (1.0 + V), np.broadcast_shapes(np.shape(u), np.shape(V)))

    def prox_limit(self, u: float | np.ndarray) -> np.ndarray:
        return np.ones_like(np.asarray(u, dtype=float))

    def dprox_limit(self, u: float | np.ndarray) -> np.ndarray:
        return np.zeros_like(np.asarray(u, dtype=float))


class Hinge(Loss):
    """Hinge loss ``max(0, 1 - y h)``; at ``lam = 0`` the max-margin classifier."""

    name = "hinge"
    slope0 = 1.0
    interpolation = "margin"

    def value(self, y: ArrayLike, h: ArrayLike) -> float | np.ndarray:
        return np.maximum(0.0, 1.0 - np.asarray(y) * np.asarray(h))

    def prox(self, u: float | np.ndarray, V: float | np.ndarray) -> float | np.ndarray:
        return np.where(u < 1.0 - V, u + V, np.where(u <= 1.0, 1.0, u))

    def dprox(self, u: float | np.ndarray, V: float | np.ndarray) -> float | np.ndarray:
        return np.where((u >= 1.0 - V) & (u <= 1.0), 0.0, 1.0)

    def prox_limit(self, u: float | np.ndarray) -> np.ndarray:
        return np.maximum(u, 1.0)

    def dprox_limit(self, u: float | np.ndarray) -> np.ndarray:
        return np.where(u <= 1.0, 0.0, 1.0)

    def kinks(self, V: ArrayLike, limit: bool) -> np.ndarray | None:
        V = np.asarray(V, dtype=float).reshape(-1, 1)
        return np.ones_like(V) if limit else np.concatenate([1.0 - V, np.ones_like(V)], axis=1)


class Logistic(Loss):
    """Logistic loss ``log(1 + exp(-y h))``.

    At ``lam = 0`` on separable data the minimizer does not exist (its norm
    diverges) but its direction converges to the max-margin classifier; rafmodel
    then reports the max-margin fixed point, whose ``gen_error``, ``mem_error``,
    ``rule_error`` and ``m / sqrt(q)`` are those of logistic regression as
    ``lam -> 0+``.

    Its formulas (the sigmoid, ``ell'`` and ``ell''``, the proximal Newton step, bracket and
    start) are written once, in :mod:`rafmodel._math.logistic`; the theory's compiled logistic
    channel compiles the same functions.
    """

    name = "logistic"
    slope0 = _logistic.SLOPE0
    interpolation = "margin"
    prox_panel = 3.0  # ell' = -sigmoid(-x) has its poles at x = +-i pi
    prox_support = 40.0  # ell''(x) = sigmoid(x) sigmoid(-x) < 5e-18 beyond
    newton_iterations = 100

    def value(self, y: ArrayLike, h: ArrayLike) -> float | np.ndarray:
        return np.logaddexp(0.0, -np.asarray(y) * np.asarray(h))

    def prox(self, u: float | np.ndarray, V: float | np.ndarray) -> float | np.ndarray:
        # Root of f(x) = x - u - V sigmoid(-x), increasing, by Newton steps safeguarded
        # by bisection (rtsafe); iterations continue only on the unconverged entries.  The
        # formulas (bracket, start, step, stopping rule) are rafmodel._math.logistic's.
        u, V = np.broadcast_arrays(np.asarray(u, dtype=float), np.asarray(V, dtype=float))
        shape = u.shape
        u, V = u.ravel(), V.ravel()
        with np.errstate(all="ignore"):
            lo, hi = _logistic.bracket(u, V)
            x = np.clip(_logistic.prox_start(u, V), lo, hi)
        out = x.copy()
        act = np.arange(x.size)
        last = np.full(x.size, np.inf)
        for _ in range(self.newton_iterations):
            f, step, tol = _logistic.newton(x, u[act], V[act])
            neg = f < 0
            lo = np.where(neg, x, lo)
            hi = np.where(neg, hi, x)
            x_new = x - step
            newton = (x_new >= lo) & (x_new <= hi) & (np.abs(step) <= 0.5 * last)
            x_new = np.where(newton, x_new, 0.5 * (lo + hi))
            done = np.abs(step) <= tol  # root to rounding
            out[act[done]] = x[done]
            keep = ~done
            last = np.abs(x_new - x)[keep]
            act, x, lo, hi = act[keep], x_new[keep], lo[keep], hi[keep]
            if act.size == 0:
                break
        out[act] = x
        return out.reshape(shape)

    def dprox(self, u: float | np.ndarray, V: float | np.ndarray) -> float | np.ndarray:
        return self.prox_and_dprox(u, V)[1]

    def prox_and_dprox(self, u: float | np.ndarray,
                       V: float | np.ndarray) -> tuple[float | np.ndarray, float | np.ndarray]:
        x = self.prox(u, V)
        return x, 1.0 / (1.0 + V * _logistic.derivatives(x)[1])

    def derivatives(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return _logistic.derivatives(np.asarray(x, dtype=float))

    # lam -> 0 on separable data: direction of the max-margin classifier.
    prox_limit = Hinge.prox_limit
    dprox_limit = Hinge.dprox_limit

    def kinks(self, V: ArrayLike, limit: bool) -> np.ndarray | None:
        return np.ones((np.size(V), 1)) if limit else None


LOSSES: dict[str, type[Loss]] = {"square": Square, "hinge": Hinge, "logistic": Logistic}


def register_loss(cls: type[Loss]) -> type[Loss]:
    """Register a :class:`Loss` subclass under ``cls.name`` (usable as a decorator).

    Parameters
    ----------
    cls : type
        A subclass of :class:`Loss` with its own ``name``; a registered name is replaced.

    Returns
    -------
    type
        ``cls`` itself, so that it can decorate the class definition.
    """
    LOSSES[cls.name] = cls
    return cls


def get_loss(loss: str | Loss) -> Loss:
    """Return a :class:`Loss` instance from a name or an instance.

    Parameters
    ----------
    loss : str or Loss
        A registered name (``"square"``, ``"hinge"``, ``"logistic"``, case-insensitive)
        or a loss, returned as is.

    Returns
    -------
    Loss
        A new loss, or ``loss`` itself.

    Raises
    ------
    ParameterError
        An unknown name.

    Examples
    --------
    >>> get_loss("Hinge")
    Hinge()
    """
    if isinstance(loss, Loss):
        return loss
    if isinstance(loss, str) and loss.lower() in LOSSES:
        return LOSSES[loss.lower()]()
    allowed = ", ".join(sorted(LOSSES))
    raise ParameterError("loss", f"unknown loss {loss!r}; allowed: {allowed}")
