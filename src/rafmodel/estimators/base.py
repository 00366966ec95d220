"""The estimator protocol, the fitted model, and the registries that reach an estimator
through a setting's learner and loss."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Protocol, TypeVar, runtime_checkable

import numpy as np

from ..exceptions import ParameterError

if TYPE_CHECKING:  # for the annotations only
    from numpy.typing import ArrayLike

    from ..data import Dataset

_F = TypeVar("_F", bound=Callable)

__all__ = ["sign_errors", "Estimator", "Fitted", "Representation", "LowRankKernel", "register_estimator",
           "register_representation", "register_solver", "lookup"]


@dataclass
class Fitted:
    """A trained learner.

    Attributes
    ----------
    h_train : ndarray of shape (n,)
        Outputs on the training inputs.
    decision : callable
        ``decision(X)`` -> outputs of shape ``(m,)`` on inputs ``X`` of shape ``(m, d)``.
    w : ndarray of shape (d,) or None
        Weight of the linear part ``x / sqrt d`` of the predictor (linear learner: ``w``;
        Gaussian-equivalent kernel: the weight of ``mu1 x / sqrt d``), for ``m = w.w*/d``,
        ``q = |w|^2/d``; ``None`` when not defined.
    info : dict
        The certificate: ``solver`` (the algorithm that ran) and its measure of
        optimality, ``duality_gap`` (hinge, relative to the primal objective) or
        ``grad_norm`` (smooth losses), and ``separable`` at ``lam = 0``.
    """

    h_train: np.ndarray
    decision: Callable
    w: np.ndarray | None = None
    info: dict = field(default_factory=dict)


@runtime_checkable
class Estimator(Protocol):
    """Anything that trains on a dataset: ``fit(train, rng) -> Fitted``.

    ``train`` is a :class:`rafmodel.data.Dataset`; ``rng`` a numpy ``Generator``
    for the estimator's own randomness (random features, initializations).
    ``fit`` raises :class:`rafmodel.SolverError` when it cannot certify its solution.
    """

    def fit(self, train: Dataset, rng: np.random.Generator) -> Fitted:
        """Train on ``train``; return the fitted model and its certificate.

        Parameters
        ----------
        train : Dataset
            The training set.
        rng : numpy.random.Generator
            The estimator's own randomness.

        Returns
        -------
        Fitted
            The trained model, with its certificate in ``info``.

        Raises
        ------
        SolverError
            The solution could not be certified.
        """
        ...


@dataclass
class LowRankKernel:
    """A kernel matrix ``K = B B' + s2 I`` kept in factored form (never formed).

    The Gaussian-equivalent kernel ``mu1^2 Z Z' + mustar^2 I`` is the Gram matrix of the
    explicit features ``[mu1 Z, mustar I_n]``: ``B = mu1 Z`` (``n x d``), ``s2 = mustar^2``.

    Attributes
    ----------
    B : ndarray of shape (n, r)
        The low-rank factor.
    s2 : float
        The multiple of the identity, ``>= 0``.
    test_factor : callable
        ``test_factor(X)`` of shape ``(m, r)``: the cross kernel of new inputs is
        ``test_factor(X) @ B.T`` (the identity part does not reach new inputs).
    """

    B: np.ndarray
    s2: float
    test_factor: Callable

    def matvec(self, c: np.ndarray) -> np.ndarray:
        """``K c`` in ``O(n r)``.

        Parameters
        ----------
        c : ndarray of shape (n,)
            Coefficients.

        Returns
        -------
        ndarray of shape (n,)
            ``B (B' c) + s2 c``.
        """
        return self.B @ (self.B.T @ c) + self.s2 * c

    def dense(self) -> np.ndarray:
        """The ``n x n`` matrix ``K`` (for the routes that need it).

        Returns
        -------
        ndarray of shape (n, n)
            ``B B' + s2 I``.
        """
        K = self.B @ self.B.T
        K[np.diag_indices_from(K)] += self.s2
        return K


@dataclass
class Representation:
    """A learner's representation of a training set.

    Attributes
    ----------
    kind : {"features", "kernel"}
        ``"features"``: ``train`` is the ``(n, p)`` feature matrix ``A`` and the
        predictor is ``h = A theta`` with penalty ``(lam/2)|theta|^2``;
        ``"kernel"``: ``train`` is the ``(n, n)`` kernel matrix ``K`` and ``h = K c``
        with penalty ``(lam/2) c'Kc``.
    train : ndarray or None
        ``A`` or ``K``.  ``None`` with ``lowrank``: ``K`` is then formed from the factor
        on first access (only the routes that need the dense matrix touch it).
    test_map : callable
        ``test_map(X)``: the features ``(m, p)`` or the cross kernel ``(m, n)`` of new inputs.
    lin : callable or None
        Maps the coefficients to the weight of the linear part (for ``m, q``).
    full_rank : bool
        The representation fits any labels (e.g. a kernel with ``mustar > 0``):
        the data are separable whatever the labels.
    lowrank : LowRankKernel or None
        A kernel in the factored form ``B B' + s2 I``: the solvers use it to work in
        ``O(n r)`` per product and ``r x r`` factorizations instead of ``n x n`` ones.
    """

    kind: str
    train: np.ndarray | None = field(repr=False)
    test_map: Callable
    lin: Callable | None = None
    full_rank: bool = False
    lowrank: LowRankKernel | None = field(default=None, repr=False)

    def apply(self, theta: np.ndarray) -> np.ndarray:
        """The training outputs ``h = train @ theta`` (through the factor when there is one).

        Parameters
        ----------
        theta : ndarray of shape (p,) or (n,)
            Coefficients.

        Returns
        -------
        ndarray of shape (n,)
            The outputs on the training inputs.
        """
        if self.lowrank is not None:
            return self.lowrank.matvec(theta)
        return self.train @ theta

    def decision(self, theta: np.ndarray) -> Callable:
        """``X -> test_map(X) @ theta``, through the factor (``O(m r)``) when there is one.

        Parameters
        ----------
        theta : ndarray of shape (p,) or (n,)
            Coefficients.

        Returns
        -------
        callable
            ``decision(X)``: outputs of shape ``(m,)`` on inputs ``X`` of shape ``(m, d)``.
        """
        if self.lowrank is not None:
            lr, v = self.lowrank, self.lowrank.B.T @ theta
            return lambda X: lr.test_factor(X) @ v
        test_map = self.test_map
        return lambda X: test_map(X) @ theta


def _get_train(self) -> np.ndarray | None:
    t = self.__dict__.get("_train")
    if t is None and self.__dict__.get("lowrank") is not None:
        t = self.__dict__["_train"] = self.lowrank.dense()
    return t


def _set_train(self, value: np.ndarray | None) -> None:
    self.__dict__["_train"] = value


# ``train`` is formed lazily from a low-rank factor: a property over the dataclass field
Representation.train = property(_get_train, _set_train, doc="``A`` or ``K`` (formed on first access "
                                                            "from ``lowrank`` when given as ``None``).")


_REPRESENTATIONS: dict[type, Callable] = {}
_SOLVERS: dict[type, Callable] = {}
_ESTIMATORS: dict[type, Callable] = {}


def _check_type(name, value, base):
    """Refuse ``value`` unless it is a subclass of ``rafmodel.<base>`` (``Learner`` or ``Loss``)."""
    from .. import learners, losses

    cls = {"Learner": learners.Learner, "Loss": losses.Loss}[base]
    if not (isinstance(value, type) and issubclass(value, cls)):
        raise ParameterError(name, f"must be a subclass of rafmodel.{base}, got {value!r:.80}")


def register_representation(learner_type: type,
                            *, columns: Callable[[Any, int, int], int]) -> Callable[[_F], _F]:
    """Register ``func(learner, X, rng) -> Representation`` for a learner type (a decorator).

    Parameters
    ----------
    learner_type : type
        A :class:`rafmodel.Learner` subclass; its subclasses use the same function
        unless they register their own.
    columns : callable
        ``columns(learner, n, d)``: the number of columns of the representation of
        ``n`` inputs of dimension ``d`` (features: ``p``; a kernel: ``n``), so that its
        size is checked before any work.

    Returns
    -------
    callable
        The decorator; it registers ``func`` and returns it unchanged (with
        ``func.columns = columns``).

    Raises
    ------
    ParameterError
        ``learner_type`` is not a :class:`rafmodel.Learner` subclass, or ``columns`` is not
        callable.
    """
    _check_type("learner_type", learner_type, "Learner")
    if not callable(columns):
        raise ParameterError("columns", f"must be a callable columns(learner, n, d), got {columns!r:.80}")

    def deco(func):
        func.columns = columns
        _REPRESENTATIONS[learner_type] = func
        return func
    return deco


def register_solver(loss_type: type) -> Callable[[_F], _F]:
    """Register ``func(rep, y, lam, loss) -> (theta, info)`` for a loss type (a decorator).

    The solver minimizes ``sum_i loss(y_i, h_i) + (lam/2) penalty`` on a
    :class:`Representation`; the most specific registered base class of a loss
    serves it, so a new loss without a solver of its own gets the generic one
    registered for :class:`rafmodel.Loss`.

    Parameters
    ----------
    loss_type : type
        A :class:`rafmodel.Loss` subclass.

    Returns
    -------
    callable
        The decorator; it registers ``func`` and returns it unchanged.  ``func`` gets the
        :class:`Representation`, labels ``y`` of shape ``(n,)``, ``lam`` and the loss,
        and returns the coefficients ``theta`` (shape ``(p,)`` for features, ``(n,)``
        for a kernel) and the certificate dict.

    Raises
    ------
    ParameterError
        ``loss_type`` is not a :class:`rafmodel.Loss` subclass.
    """
    _check_type("loss_type", loss_type, "Loss")

    def deco(func):
        _SOLVERS[loss_type] = func
        return func
    return deco


def register_estimator(learner_type: type) -> Callable[[_F], _F]:
    """Register ``factory(setting) -> Estimator`` for a learner type, as a decorator.

    For learners that are not a representation plus a convex solver (e.g. trained
    networks); it takes precedence over a registered representation.

    Parameters
    ----------
    learner_type : type
        A :class:`rafmodel.Learner` subclass.

    Returns
    -------
    callable
        The decorator; it registers ``factory`` and returns it unchanged.

    Raises
    ------
    ParameterError
        ``learner_type`` is not a :class:`rafmodel.Learner` subclass.
    """
    _check_type("learner_type", learner_type, "Learner")

    def deco(factory):
        _ESTIMATORS[learner_type] = factory
        return factory
    return deco


def lookup(table, obj):
    """The entry of ``table`` for the most specific class of ``obj`` (its MRO), or ``None``."""
    for cls in type(obj).__mro__:
        if cls in table:
            return table[cls]
    return None


def sign_errors(h: ArrayLike, y: ArrayLike) -> float:
    """Fraction of ``sign(h) != y``; an output of exactly 0 counts as an error (``nan`` if empty).

    Parameters
    ----------
    h : array_like of shape (n,)
        Outputs of the predictor.
    y : array_like of shape (n,)
        Labels in ``{-1, +1}``.

    Returns
    -------
    float
        The fraction of ``y h <= 0``; ``nan`` for no samples.

    Raises
    ------
    ParameterError
        ``h`` or ``y`` is not numbers, or their shapes differ.

    Examples
    --------
    >>> sign_errors([0.5, -2.0, 0.0, 1.0], [1, 1, 1, -1])
    0.75
    """
    try:
        h, y = np.asarray(h, dtype=float), np.asarray(y, dtype=float)
    except (TypeError, ValueError):
        raise ParameterError("h", f"outputs and labels must be numbers, got h = {h!r:.80}, y = {y!r:.80}") from None
    if h.shape != y.shape:
        raise ParameterError("h", f"must have the shape of the labels y {y.shape}, got {h.shape}")
    return float(np.mean(~(y * h > 0))) if y.size else math.nan
