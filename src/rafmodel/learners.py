"""Learners: their side of the fixed-point equations (docs/theory.md section 3).

A learner maps its own order parameters ``(m, q, V)`` to the *training-time*
overlaps the channel sees, maps the channel's conjugates back to its own, and
says which overlaps a fresh test point sees.  The solver only talks to this
interface, so adding a learner does not touch it.

Meaning of ``m, q, V`` reported for each learner:

========  ==============================================================
learner   m, q, V
========  ==============================================================
linear    ``m = w.w*/d``, ``q = |w|^2/d``, ``V`` the response (ridge: ``tr (X'X/d + lam)^-1 / d``)
kernel    the same for the weight ``w`` of the linear part ``mu1 x/sqrt(d)`` of the
          kernel's feature map (``ms, qs, Vs`` in docs/theory.md); the memory part
          ``mustar`` only enters through ``V_train = mu1^2 Vs + mustar^2 / lam``
========  ==============================================================

At ``lam = 0`` on the interpolating side, ``V``, ``mhat``, ``qhat``, ``Vhat`` are the
rescaled ``lam V``, ``mhat / lam``, ``qhat / lam^2``, ``Vhat / lam`` (finite limits).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:  # names for the annotations only (nothing is imported at run time)
    from numpy.typing import ArrayLike

    # A float (the solver's scalar fast path) or an array of shape (B,) (a batch).
    Value = float | np.ndarray
    # A learner's parameters, {name: float or ndarray of shape (B,)}.
    Params = dict[str, float | np.ndarray]

from ._validation import ParameterError, check_nonnegative_finite, check_positive_finite

_RHO_MAX = 1.0 - 1e-16

__all__ = ["Learner", "Linear", "Kernel", "RandomFeatures", "Network", "get_learner", "LEARNERS"]


class Learner:
    """Base class of a learner.

    Subclasses set ``name`` and ``param_names`` and implement the methods below.
    Every method is vectorized over a batch: parameters arrive as a dict ``P``
    of arrays of shape ``(B,)`` (or of floats, on the solver's scalar fast path),
    and so do the order parameters and their conjugates.

    What the solver computes per learner type beyond this algebra lives with the
    theory engine, where a new learner registers it: its interpolation threshold at
    ``lam = 0`` (``rafmodel.theory.capacity.interpolation_threshold``) and, optionally,
    the solver's starting point (``rafmodel.theory.initial.initial_state``).
    """

    name = "learner"
    param_names: tuple[str, ...] = ()
    #: Order parameters of the learner; the first three are always ``m, q, V``.
    state_names: tuple[str, ...] = ("m", "q", "V")
    #: Their conjugates, in the same order.
    hat_names: tuple[str, ...] = ("mhat", "qhat", "Vhat")

    def params(self) -> dict[str, float | np.ndarray]:
        """Learner parameters as a dict of floats or arrays.

        Returns
        -------
        dict of str to float or ndarray
            ``{name: value}`` for each name of ``param_names`` (empty for :class:`Linear`).
        """
        return {k: getattr(self, k) for k in self.param_names}

    def sample_ratio(self, alpha: Value, P: Params) -> Value:
        """Sample ratio ``a`` seen by the channel.

        Parameters
        ----------
        alpha : float or ndarray of shape (B,)
            Samples per input dimension.
        P : dict of str to float or ndarray of shape (B,)
            The learner's parameters.

        Returns
        -------
        float or ndarray of shape (B,)
            ``a``: samples per trained parameter dimension (``alpha`` for the linear and
            kernel learners, ``alpha / kappa`` for random features).
        """
        return alpha

    def to_channel(self, state: tuple[Value, ...], lam: Value, P: Params) -> tuple[Value, Value, Value]:
        """Training-time ``(m, q, V)`` seen by the channel, from the learner's state tuple.

        Parameters
        ----------
        state : tuple of float or ndarray of shape (B,)
            The learner's order parameters, ordered as ``state_names``.
        lam : float or ndarray of shape (B,)
            Ridge penalty (the solver passes ``1`` at the interpolating ``lam = 0`` limit, where ``V`` is
            the rescaled ``lam V``).
        P : dict of str to float or ndarray of shape (B,)
            The learner's parameters.

        Returns
        -------
        m : float or ndarray of shape (B,)
            Overlap of the predictor with the teacher at a training point.
        q : float or ndarray of shape (B,)
            Its squared norm.
        V : float or ndarray of shape (B,)
            Its response.
        """
        raise NotImplementedError

    def update(self, mhat: Value, qhat: Value, Vhat: Value, lam: Value,
               P: Params) -> tuple[tuple[Value, ...], tuple[Value, ...]]:
        """New state and the learner's conjugates from the channel's hats.

        Parameters
        ----------
        mhat, qhat, Vhat : float or ndarray of shape (B,)
            The channel's conjugates, already multiplied by the sample ratio ``a``.
        lam : float or ndarray of shape (B,)
            Ridge penalty (the solver passes ``1`` at the interpolating ``lam = 0`` limit).
        P : dict of str to float or ndarray of shape (B,)
            The learner's parameters.

        Returns
        -------
        state : tuple of float or ndarray of shape (B,)
            The new order parameters, ordered as ``state_names``.
        hats : tuple of float or ndarray of shape (B,)
            The learner's own conjugates, ordered as ``hat_names``.
        """
        raise NotImplementedError

    def test_overlaps(self, state: tuple[Value, ...], P: Params) -> tuple[Value, Value]:
        """``(m, q)`` of the predictor at a fresh test point.

        Parameters
        ----------
        state : tuple of float or ndarray of shape (B,)
            The learner's order parameters, ordered as ``state_names``.
        P : dict of str to float or ndarray of shape (B,)
            The learner's parameters.

        Returns
        -------
        m : float or ndarray of shape (B,)
            Overlap of the test output with the teacher.
        q : float or ndarray of shape (B,)
            Its squared norm; ``gen_error = arccos(m / sqrt(q)) / pi``.
        """
        raise NotImplementedError

    def encode(self, state: tuple[np.ndarray, ...]) -> np.ndarray:
        """Unconstrained solver coordinates ``(atanh(m/sqrt q), log q, log V, log ...)``.

        Parameters
        ----------
        state : tuple of k ndarray of shape (B,)
            Order parameters ordered as ``state_names`` (``q``, ``V`` and the rest positive).

        Returns
        -------
        ndarray of shape (B, k)
            The coordinates; ``m / sqrt(q)`` is clipped to ``(-1, 1)`` first.
        """
        m, q, V, *rest = state
        rho = np.clip(m / np.sqrt(q), -_RHO_MAX, _RHO_MAX)
        return np.stack([np.arctanh(rho), np.log(q), np.log(V), *(np.log(r) for r in rest)], axis=-1)

    def decode(self, y: np.ndarray) -> tuple[np.ndarray, ...]:
        """Inverse of :meth:`encode`.

        Parameters
        ----------
        y : ndarray of shape (B, k)
            Solver coordinates.

        Returns
        -------
        tuple of k ndarray of shape (B,)
            The order parameters, ordered as ``state_names``.
        """
        q = np.exp(y[:, 1])
        return (np.tanh(y[:, 0]) * np.sqrt(q), q, *(np.exp(y[:, i]) for i in range(2, y.shape[1])))

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in self.params().items())
        return f"{type(self).__name__}({args})"

    def __eq__(self, other):
        return type(self) is type(other) and all(
            np.array_equal(np.asarray(a), np.asarray(b))
            for a, b in zip(self.params().values(), other.params().values()))

    def __hash__(self):
        return hash((type(self), tuple(np.asarray(v).tobytes() for v in self.params().values())))


def _ridge_update(mhat, qhat, Vhat, lam):
    """Gaussian-prior (ridge) side: ``m = mhat/(lam+Vhat)`` etc."""
    d = lam + Vhat
    return mhat / d, (mhat * mhat + qhat) / (d * d), 1.0 / d


def _ridge_response(a, lam, delta, mu1, c):
    """Positive root ``V`` of ``V = mu1^2 (delta + V) / (lam (delta + V) + mu1^2 a) + c``.

    This is the square-loss response of a kernel learner (``c = mustar^2 / lam``);
    the linear learner is ``mu1 = 1, c = 0``.
    """
    m2 = mu1 * mu1
    A = lam
    B = lam * delta + m2 * a - lam * c - m2
    C = c * (lam * delta + m2 * a) + m2 * delta  # the root solves A V^2 + B V - C = 0
    disc = np.sqrt(B * B + 4.0 * A * C)
    with np.errstate(divide="ignore", invalid="ignore"):
        pos = 2.0 * C / (B + disc)
        neg = (disc - B) / (2.0 * A)
    return np.where(B >= 0, pos, neg)


class Linear(Learner):
    """Linear learner ``f(x) = w.x / sqrt(d)`` with penalty ``(lam/2)|w|^2``.

    It has no parameters; ``m = w.w*/d``, ``q = |w|^2/d`` and ``V`` is the ridge response.

    Examples
    --------
    >>> from rafmodel import Linear, Setting
    >>> Setting(alpha=2.0, eps=0.1, lam=0.1, learner=Linear()).learner == Setting(
    ...     alpha=2.0, eps=0.1, lam=0.1, learner="linear").learner
    True
    """

    name = "linear"
    param_names = ()

    def to_channel(self, state: tuple[Value, ...], lam: Value, P: Params) -> tuple[Value, Value, Value]:
        return state

    def update(self, mhat: Value, qhat: Value, Vhat: Value, lam: Value,
               P: Params) -> tuple[tuple[Value, ...], tuple[Value, ...]]:
        return _ridge_update(mhat, qhat, Vhat, lam), (mhat, qhat, Vhat)

    def test_overlaps(self, state: tuple[Value, ...], P: Params) -> tuple[Value, Value]:
        return state[0], state[1]

    def square_response(self, a: Value, lam: Value, delta: Value, P: Params) -> Value:
        """Training-time response ``V`` of the square loss, in closed form.

        The positive root of ``V = mu1^2 (delta + V) / (lam (delta + V) + mu1^2 a) + c``
        (``mu1 = 1``, ``c = 0`` for the linear learner); the solver starts there
        (``rafmodel.theory.initial``).

        Parameters
        ----------
        a : float or ndarray of shape (B,)
            Sample ratio seen by the channel.
        lam : float or ndarray of shape (B,)
            Ridge penalty (the solver passes ``1`` at the interpolating limit).
        delta : float or ndarray of shape (B,)
            ``1``, or ``0`` at the interpolating ``lam = 0`` limit (square-loss channel
            ``Vhat = a / (delta + V)``).
        P : dict of str to float or ndarray of shape (B,)
            The learner's parameters.

        Returns
        -------
        float or ndarray of shape (B,)
            The response ``V`` the channel sees.
        """
        return _ridge_response(a, lam, delta, 1.0, 0.0)


class Kernel(Learner):
    """Kernel learner with Gaussian-equivalent coefficients ``mu1`` and ``mustar``.

    Acts like the kernel ``mu0^2 + mu1^2 x.x'/d + mustar^2 delta(x, x')``.

    Parameters
    ----------
    mu1 : float or array_like
        Linear coefficient, ``mu1 > 0``.
    mustar : float or array_like
        Memory coefficient, ``mustar >= 0``.

    Raises
    ------
    ParameterError
        ``mu1 <= 0``, ``mustar < 0``, or a value that is not finite.

    See Also
    --------
    from_kernel : the coefficients of a real dot-product kernel.

    Examples
    --------
    >>> from rafmodel import Kernel
    >>> Kernel(mu1=1.0, mustar=0.5)
    Kernel(mu1=1.0, mustar=0.5)
    """

    name = "kernel"
    param_names = ("mu1", "mustar")
    #: ``(name or callable, params)`` of a real kernel (set by :meth:`from_kernel`);
    #: ``None``: simulations use the Gaussian-equivalent kernel ``mu1^2 x.x'/d + mustar^2 delta``.
    kernel = None

    def __init__(self, *, mu1: ArrayLike, mustar: ArrayLike) -> None:
        self.mu1 = check_positive_finite("mu1", mu1)
        self.mustar = check_nonnegative_finite("mustar", mustar)

    @classmethod
    def from_kernel(cls, kernel: str | Callable[..., Any], **params: Any) -> Kernel:
        """The kernel learner of a dot-product kernel by name or callable.

        ``Kernel.from_kernel("rbf", c=2.0)``, ``Kernel.from_kernel("polynomial",
        degree=3, c=1.0)``, ``Kernel.from_kernel("arccos")``,
        ``Kernel.from_kernel("activation", activation="tanh")`` -- see
        :func:`rafmodel.equivalence.kernel_coefficients`.

        Parameters
        ----------
        kernel : str or callable
            A kernel name, or a function ``k(rho, **params)``, as in
            :func:`rafmodel.kernel_coefficients`.
        **params
            The kernel's parameters (``c``, ``degree``, ``activation`` ...).

        Returns
        -------
        Kernel
            The learner with the kernel's ``mu1`` and ``mustar``; it remembers the kernel
            (``kernel`` attribute), which simulations then use instead of the
            Gaussian-equivalent kernel.

        Raises
        ------
        ParameterError
            An invalid kernel or parameter (see :func:`rafmodel.kernel_coefficients`),
            a kernel with ``mu1 = 0`` (no linear component: it cannot learn the rule), or a
            parameter the named kernel does not take (the error is also a ``TypeError``).

        Examples
        --------
        >>> from rafmodel import Kernel
        >>> k = Kernel.from_kernel("rbf", c=1.0)
        >>> round(k.mu1, 4), round(k.mustar, 4), k.kernel
        (0.6065, 0.514, ('rbf', {'c': 1.0}))
        """
        from .equivalence import kernel_coefficients

        c = kernel_coefficients(kernel, **params)
        if c.mu1 <= 0:
            raise ParameterError("kernel", f"{kernel!r} has mu1 = 0: it carries no linear component "
                                           "and cannot learn the rule")
        out = cls(mu1=c.mu1, mustar=c.mustar)
        out.kernel = (kernel, dict(params))  # simulations use the real kernel
        return out

    def __eq__(self, other):
        # the real kernel a simulation uses is part of the learner (compared by name and
        # parameters, a callable by identity): equal coefficients are not enough
        from .equivalence import _kernel_key

        return (Learner.__eq__(self, other)
                and (self.kernel is None) == (other.kernel is None)
                and (self.kernel is None or _kernel_key(*self.kernel) == _kernel_key(*other.kernel)))

    def __hash__(self):
        from .equivalence import _kernel_key

        return hash((Learner.__hash__(self), None if self.kernel is None else _kernel_key(*self.kernel)))

    def __repr__(self):
        base = Learner.__repr__(self)
        return base if self.kernel is None else f"{base[:-1]}, kernel={self.kernel!r})"

    def to_channel(self, state: tuple[Value, ...], lam: Value, P: Params) -> tuple[Value, Value, Value]:
        m, q, V = state
        mu1, ms = P["mu1"], P["mustar"]
        if type(ms) is float and type(lam) is float:  # scalar fast path
            mem = ms * ms / lam if ms > 0 else 0.0
        else:  # mustar^2 / lam, with 0 when mustar = 0 (also at lam = 0)
            mem = np.divide(ms * ms, lam, out=np.zeros(np.broadcast_shapes(np.shape(ms), np.shape(lam))),
                            where=np.asarray(ms) > 0)
        return mu1 * m, mu1 * mu1 * q, mu1 * mu1 * V + mem

    def update(self, mhat: Value, qhat: Value, Vhat: Value, lam: Value,
               P: Params) -> tuple[tuple[Value, ...], tuple[Value, ...]]:
        mu1 = P["mu1"]
        hats = (mu1 * mhat, mu1 * mu1 * qhat, mu1 * mu1 * Vhat)
        return _ridge_update(*hats, lam), hats

    def test_overlaps(self, state: tuple[Value, ...], P: Params) -> tuple[Value, Value]:
        mu1 = P["mu1"]
        return mu1 * state[0], mu1 * mu1 * state[1]

    def square_response(self, a: Value, lam: Value, delta: Value, P: Params) -> Value:
        """Training-time response ``V`` of the square loss, in closed form.

        The positive root of ``V = mu1^2 (delta + V) / (lam (delta + V) + mu1^2 a) + c``
        with ``c = mustar^2 / lam`` (``0`` when ``mustar = 0``); the solver starts there
        (``rafmodel.theory.initial``).

        Parameters
        ----------
        a : float or ndarray of shape (B,)
            Sample ratio seen by the channel.
        lam : float or ndarray of shape (B,)
            Ridge penalty (the solver passes ``1`` at the interpolating limit).
        delta : float or ndarray of shape (B,)
            ``1``, or ``0`` at the interpolating ``lam = 0`` limit (square-loss channel
            ``Vhat = a / (delta + V)``).
        P : dict of str to float or ndarray of shape (B,)
            The learner's parameters ``mu1``, ``mustar``.

        Returns
        -------
        float or ndarray of shape (B,)
            The response ``V`` the channel sees.
        """
        return _ridge_response(a, lam, delta, P["mu1"], self.to_channel((0.0, 0.0, 0.0), lam, P)[2])


def _rf_responses(Vsh, L, gam):
    """Random-features responses ``Vs, Vw`` from ``Vshat`` and ``L = lam + Vwhat`` (also ``S + D, D``).

    They depend on ``Vhat`` only (not on ``mhat, qhat``); see :meth:`RandomFeatures.update`.
    """
    S = Vsh * (1.0 + gam) + L
    D = np.sqrt((Vsh * (1.0 - gam)) ** 2 + 2.0 * (1.0 + gam) * Vsh * L + L * L)
    SD = S + D
    b = Vsh * (1.0 - gam) - L
    Vw = np.where(b >= 0, (b + D) / (2.0 * L * Vsh), 2.0 / (D - b))
    return 2.0 / SD, Vw, SD, D


class RandomFeatures(Learner):
    """Random-features learner ``f(x) = a.sigma(F x/sqrt d)/sqrt p``, ``p = kappa d``.

    ``F`` has i.i.d. N(0,1) entries and is fixed; only ``a`` is trained, with
    penalty ``(lam/2)|a|^2``.  The activation enters through its Gaussian-
    equivalence coefficients ``mu1`` and ``mustar`` (docs/theory.md section 2).

    Order parameters: ``m, q, V`` are ``ms, qs, Vs`` of docs/theory.md (the part of the
    predictor along the linear component ``mu1``), ``qw, Vw`` those of the
    nonlinear component ``mustar``.  At a test point the predictor has overlaps
    ``(mu1 m, mu1^2 q + mustar^2 qw)``; at a training point the response is
    ``mu1^2 V + mustar^2 Vw``.

    Parameters
    ----------
    kappa : float or array_like
        Features per input dimension, ``kappa = p/d > 0``.
    mu1 : float or array_like
        Linear coefficient of the activation, ``mu1 > 0``.
    mustar : float or array_like
        Nonlinear coefficient, ``mustar >= 0``.

    Raises
    ------
    ParameterError
        ``kappa <= 0``, ``mu1 <= 0``, ``mustar < 0``, or a value that is not finite.

    See Also
    --------
    from_activation : the coefficients of a real activation.

    Examples
    --------
    >>> from rafmodel import RandomFeatures
    >>> RandomFeatures(kappa=2.0, mu1=0.5, mustar=0.3)
    RandomFeatures(kappa=2.0, mu1=0.5, mustar=0.3)
    """

    name = "rf"
    param_names = ("kappa", "mu1", "mustar")
    #: Activation used by simulations (set by :meth:`from_activation`); ``None``: the
    #: polynomial ``mu1 t + mustar (t^2 - 1)/sqrt 2`` with exactly these coefficients.
    activation = None
    state_names = ("m", "q", "V", "qw", "Vw")
    hat_names = ("mhat", "qhat", "Vhat", "qwhat", "Vwhat")

    def __init__(self, *, kappa: ArrayLike, mu1: ArrayLike, mustar: ArrayLike) -> None:
        self.kappa = check_positive_finite("kappa", kappa)
        self.mu1 = check_positive_finite("mu1", mu1)
        self.mustar = check_nonnegative_finite("mustar", mustar)

    @classmethod
    def from_activation(cls, activation: str | Callable[[np.ndarray], np.ndarray], *,
                        kappa: float) -> RandomFeatures:
        """Random features with an activation by name (``"relu"``, ``"tanh"`` ...) or callable.

        See :func:`rafmodel.equivalence.activation_coefficients`.

        Parameters
        ----------
        activation : str or callable
            An activation name or an elementwise function, as in
            :func:`rafmodel.activation_coefficients`.
        kappa : float
            Features per input dimension, ``kappa = p/d > 0``.

        Returns
        -------
        RandomFeatures
            The learner with ``mu1 = |E g sigma(g)|`` (the sign of the linear part is
            absorbed by the trained weights) and ``mustar``; it remembers the activation
            (``activation`` attribute), which simulations then use.

        Raises
        ------
        ParameterError
            An invalid activation (see :func:`rafmodel.activation_coefficients`; one that
            raises or returns values that are not finite numbers is refused too), an
            activation with ``mu1 = 0`` (no linear component: it cannot learn the rule),
            or an invalid ``kappa``.

        Examples
        --------
        >>> from rafmodel import RandomFeatures
        >>> rf = RandomFeatures.from_activation("relu", kappa=2.0)
        >>> rf.kappa, rf.mu1, round(rf.mustar, 4), rf.activation
        (2.0, 0.5, 0.3014, 'relu')
        """
        from .equivalence import activation_coefficients

        c = activation_coefficients(activation)
        if abs(c.mu1) <= 0:
            raise ParameterError("activation", f"{activation!r} has mu1 = 0: random features with it "
                                               "carry no linear component and cannot learn the rule")
        out = cls(kappa=kappa, mu1=abs(c.mu1), mustar=c.mustar)
        out.activation = activation  # simulations use the real activation
        return out

    def __eq__(self, other):
        # the activation a simulation uses is part of the learner (a callable by identity)
        from .equivalence import _activation_key

        return (Learner.__eq__(self, other)
                and (self.activation is None) == (other.activation is None)
                and (self.activation is None
                     or _activation_key(self.activation) == _activation_key(other.activation)))

    def __hash__(self):
        from .equivalence import _activation_key

        return hash((Learner.__hash__(self),
                     None if self.activation is None else _activation_key(self.activation)))

    def __repr__(self):
        base = Learner.__repr__(self)
        return base if self.activation is None else f"{base[:-1]}, activation={self.activation!r})"

    def sample_ratio(self, alpha: Value, P: Params) -> Value:
        return alpha / P["kappa"]

    def to_channel(self, state: tuple[Value, ...], lam: Value, P: Params) -> tuple[Value, Value, Value]:
        ms, qs, Vs, qw, Vw = state
        mu1, mus = P["mu1"], P["mustar"]
        return mu1 * ms, mu1 * mu1 * qs + mus * mus * qw, mu1 * mu1 * Vs + mus * mus * Vw

    def test_overlaps(self, state: tuple[Value, ...], P: Params) -> tuple[Value, Value]:
        ms, qs, _, qw, _ = state
        mu1, mus = P["mu1"], P["mustar"]
        return mu1 * ms, mu1 * mu1 * qs + mus * mus * qw

    def training_response(self, Vhat: Value, lam: Value, P: Params) -> Value:
        """Training-time response ``V_tr = mu1^2 Vs + mustar^2 Vw`` after an update with this ``Vhat``.

        The responses do not depend on ``mhat, qhat``; the solver's square-loss start
        (``rafmodel.theory.initial``) solves ``Vhat (delta + V_tr(Vhat)) = a`` with it.

        Parameters
        ----------
        Vhat : float or ndarray of shape (B,)
            The channel's ``Vhat``, already multiplied by the sample ratio ``a``.
        lam : float or ndarray of shape (B,)
            Ridge penalty (the solver passes ``1`` at the interpolating limit).
        P : dict of str to float or ndarray of shape (B,)
            The learner's parameters ``kappa``, ``mu1``, ``mustar``.

        Returns
        -------
        float or ndarray of shape (B,)
            The response ``V`` the channel sees after the update.
        """
        kappa, mu1, mus = P["kappa"], P["mu1"], P["mustar"]
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            Vs, Vw, _, _ = _rf_responses(mu1 * mu1 * kappa * Vhat, lam + mus * mus * Vhat, 1.0 / kappa)
        return mu1 * mu1 * Vs + mus * mus * np.where(np.asarray(mus) == 0, 1.0, Vw)

    def update(self, mhat: Value, qhat: Value, Vhat: Value, lam: Value,
               P: Params) -> tuple[tuple[Value, ...], tuple[Value, ...]]:
        kappa, mu1, mus = P["kappa"], P["mu1"], P["mustar"]
        gam = 1.0 / kappa
        msh, qsh, Vsh = mu1 * kappa * mhat, mu1 * mu1 * kappa * qhat, mu1 * mu1 * kappa * Vhat
        qwh, Vwh = mus * mus * qhat, mus * mus * Vhat
        L = lam + Vwh
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            # docs/theory.md's expressions, multiplied through by Vshat and rewritten without
            # cancellations, so that they stay finite as z = L / Vshat -> infinity (a
            # hinge channel can give Vhat = 0 exactly) and accurate over many decades.
            # With S = Vshat S_th = Vshat (1 + gam) + L and D = Vshat D_th:
            #   Vs = 2 / (S + D),   ms = mshat Vs,
            #   Vw = 2 / (D - b)  or  (b + D) / (2 L Vshat) when b >= 0,  b = Vshat (1 - gam) - L,
            #   qs = 2 [(mshat^2 + qshat)(1 + gam - e) + qwhat] / ((S + D) D),  e = 4 gam Vshat / (S + D),
            #   qw = qwhat C + 2 gam (mshat^2 + qshat) / ((S + D) D),
            #   C = (X + (1 - gam) D) / (2 L^2 D)  (gam <= 1)  or  2 gam / (D (X + (gam - 1) D)),
            #   X = Vshat (1 - gam)^2 + (1 + gam) L.
            Vs, Vw, SD, D = _rf_responses(Vsh, L, gam)
            e = 4.0 * gam * Vsh / SD
            ms = msh * Vs
            P2 = msh * msh + qsh
            X = Vsh * (1.0 - gam) ** 2 + (1.0 + gam) * L
            C = np.where(gam <= 1.0, (X + (1.0 - gam) * D) / (2.0 * L * L * D),
                         2.0 * gam / (D * (X + (gam - 1.0) * D)))
            qs = 2.0 * (P2 * (1.0 + gam - e) + qwh) / (SD * D)
            qw = qwh * C + 2.0 * gam * P2 / (SD * D)
        if np.any(np.asarray(mus) == 0):  # no nonlinear part: qw, Vw are irrelevant placeholders
            lin = np.asarray(mus) == 0
            qw = np.where(lin, 1.0, qw)
            Vw = np.where(lin, 1.0, Vw)
        return (ms, qs, Vs, qw, Vw), (msh, qsh, Vsh, qwh, Vwh)


#: Activations with a zero derivative almost everywhere (no gradient reaches the first layer).
_FLAT_ACTIVATIONS = ("sign", "step")


class Network(Learner):
    """A two-layer network ``f(x) = sum_k a_k sigma(w_k.x / sqrt d) / s(p)``, ``p = kappa d``.

    A pure description (no training code, no jax): the estimator registered for it
    (``rafmodel.estimators.network``) trains it.  The first layer starts at i.i.d.
    N(0, 1) entries, exactly the random-features learner's ``F``.

    * ``train="readout"``: the first layer stays at its initialization and only ``a`` is
      trained, to the certified minimizer of ``sum_i loss(y_i, f(x_i)) + (lam/2)|a|^2``:
      this *is* :class:`RandomFeatures` with the same activation (``s(p) = sqrt p``).
    * ``train="all"``: both layers, by full-batch gradient descent or Adam for ``steps``
      steps on ``[sum_i loss(y_i, f(x_i)) + (lam/2)(|a|^2 + |W|^2/d)] / n``;
      ``scaling="lazy"``: ``s(p) = sqrt p``, learning rate ``lr``; ``"mean-field"``:
      ``s(p) = p``, learning rate ``lr p`` (so that one step moves the outputs by the
      same order at initialization in both).

    No exact theory exists for ``train="all"`` (docs/theory.md section 7).

    Parameters
    ----------
    kappa : float
        Hidden units per input dimension, ``p = max(1, round(kappa d))``; ``kappa > 0``.
    activation : str or callable, default="relu"
        An activation name of :data:`rafmodel.equivalence.ACTIVATIONS`, or an elementwise
        function written with ``jax.numpy`` (``train="all"`` differentiates it).
    train : {"readout", "all"}, default="readout"
        Which layers are trained.
    scaling : {"lazy", "mean-field"}, default="lazy"
        Output scaling of ``train="all"`` (readout always uses ``1/sqrt p``).
    optimizer : {"gd", "adam"}, default="gd"
        Optimizer of ``train="all"``.
    steps : int, default=2000
        Full-batch steps of ``train="all"``, ``>= 1``.
    lr : float, default=1.0
        Base learning rate of ``train="all"``, ``> 0``.
    device : {"auto", "cpu", "gpu"}, default="auto"
        Where jax runs (``auto``: a GPU when one is visible).

    Raises
    ------
    ParameterError
        A value out of range or an unknown choice, or ``train="all"`` with a piecewise-constant
        activation (``sign``, ``step``), whose zero derivative would leave the first layer
        where it started.

    Examples
    --------
    >>> from rafmodel import Network
    >>> Network(kappa=2.0, activation="tanh", train="all", scaling="mean-field")
    Network(kappa=2.0, activation='tanh', train='all', scaling='mean-field', optimizer='gd', steps=2000, lr=1.0)
    """

    name = "network"
    param_names = ("kappa",)
    #: Names of the descriptive options, reported as labels.
    option_names = ("activation", "train", "scaling", "optimizer", "steps", "lr")

    def __init__(self, *, kappa: float, activation: str | Callable[[Any], Any] = "relu", train: str = "readout",
                 scaling: str = "lazy", optimizer: str = "gd", steps: int = 2000, lr: float = 1.0,
                 device: str = "auto") -> None:
        from ._validation import validate
        from .equivalence import _resolve_activation

        v = validate("Network", kappa=kappa, train=train, scaling=scaling, optimizer=optimizer, steps=steps, lr=lr,
                     device=device)
        if np.ndim(v["kappa"]) != 0:
            raise ParameterError("kappa", "a Network holds one kappa; build one per value")
        self.kappa = float(v["kappa"])
        key = _resolve_activation(activation)[0]
        if v["train"] == "all" and key in _FLAT_ACTIVATIONS:
            raise ParameterError("activation", f"{key!r} has a zero derivative almost everywhere, so train='all' "
                                               "could not move the first layer; use train='readout' or a smooth "
                                               "activation")
        self.activation = key if key is not None else activation
        self.train, self.scaling, self.optimizer = v["train"], v["scaling"], v["optimizer"]
        self.steps, self.lr, self.device = int(v["steps"]), float(v["lr"]), v["device"]

    def options(self) -> dict[str, Any]:
        """The descriptive options, ``{name: value}`` (the activation by name).

        Returns
        -------
        dict
            ``activation, train, scaling, optimizer, steps, lr``.
        """
        act = self.activation
        return {"activation": act if isinstance(act, str) else getattr(act, "__name__", "callable"),
                "train": self.train, "scaling": self.scaling, "optimizer": self.optimizer,
                "steps": self.steps, "lr": self.lr}

    def random_features(self) -> RandomFeatures:
        """The random-features learner that ``train="readout"`` is.

        Returns
        -------
        RandomFeatures
            ``RandomFeatures.from_activation(activation, kappa=kappa)``.
        """
        return RandomFeatures.from_activation(self.activation, kappa=self.kappa)

    def __repr__(self):
        opts = self.options()
        if not isinstance(self.activation, str):
            opts["activation"] = self.activation
        return f"Network(kappa={self.kappa!r}, " + ", ".join(f"{k}={v!r}" for k, v in opts.items()) + ")"

    def __eq__(self, other):
        from .equivalence import _activation_key

        return (type(self) is type(other) and self.kappa == other.kappa and self.device == other.device
                and _activation_key(self.activation) == _activation_key(other.activation)
                and all(getattr(self, k) == getattr(other, k) for k in self.option_names[1:]))

    def __hash__(self):
        return hash((type(self), self.kappa, self.train, self.scaling, self.optimizer, self.steps, self.lr))

    def to_channel(self, state: tuple[Value, ...], lam: Value, P: Params) -> tuple[Value, Value, Value]:
        raise NotImplementedError(_NO_NETWORK_THEORY)

    def update(self, mhat: Value, qhat: Value, Vhat: Value, lam: Value,
               P: Params) -> tuple[tuple[Value, ...], tuple[Value, ...]]:
        raise NotImplementedError(_NO_NETWORK_THEORY)

    def test_overlaps(self, state: tuple[Value, ...], P: Params) -> tuple[Value, Value]:
        raise NotImplementedError(_NO_NETWORK_THEORY)


_NO_NETWORK_THEORY = ("a trained Network has no exact theory; its readout mode is Network.random_features() "
                      "(rafmodel.solve on that learner)")


LEARNERS = {"linear": Linear, "kernel": Kernel, "rf": RandomFeatures}


def get_learner(learner: str | Learner, **params: ArrayLike) -> Learner:
    """Return a :class:`Learner` from a name (with its parameters) or an instance.

    Parameters
    ----------
    learner : str or Learner
        ``"linear"``, ``"kernel"`` or ``"rf"`` (case-insensitive), or a learner,
        returned as is.
    **params : float or array_like
        The named learner's parameters (``mu1``, ``mustar``; ``kappa`` for ``"rf"``).

    Returns
    -------
    Learner
        A new learner, or ``learner`` itself.

    Raises
    ------
    ParameterError
        An unknown name, a missing or unexpected parameter for the named learner, or a
        parameter out of range.

    Examples
    --------
    >>> get_learner("kernel", mu1=1.0, mustar=0.0)
    Kernel(mu1=1.0, mustar=0.0)
    """
    if isinstance(learner, Learner):
        return learner
    if isinstance(learner, str) and learner.lower() in LEARNERS:
        cls = LEARNERS[learner.lower()]
        sig = inspect.signature(cls)
        allowed = [k for k, p in sig.parameters.items() if p.kind is p.KEYWORD_ONLY]
        for k in params:
            if k not in allowed:
                raise ParameterError(k, f"not a parameter of the learner {learner.lower()!r}; its parameters: "
                                        f"{', '.join(allowed) or 'none'}")
        for k in allowed:
            if sig.parameters[k].default is inspect.Parameter.empty and k not in params:
                raise ParameterError(k, f"required by the learner {learner.lower()!r}")
        return cls(**params)
    allowed = ", ".join(sorted(LEARNERS))
    raise ParameterError("learner", f"unknown learner {learner!r}; allowed: {allowed}")
