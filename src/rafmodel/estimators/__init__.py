"""Estimators: learners trained on data (the finite-size counterpart of the theory).

An estimator is any object with ``fit(train, rng) -> Fitted`` (:class:`Estimator`).
:func:`estimator_for` reaches the estimator of a :class:`rafmodel.Setting` through
its learner and loss, never through a switch on names:

* a learner type may register a whole estimator (:func:`register_estimator`,
  e.g. a trained network);
* otherwise the estimator is :class:`PenalizedERM`: the learner's
  **representation** of the data (:func:`register_representation`: explicit
  features or a kernel matrix) and the loss's **solver** of the penalized
  empirical risk on it (:func:`register_solver`).  A new loss needs neither: the
  generic solver registered for :class:`rafmodel.Loss` minimizes any loss with a
  ``value``.

Every fit carries a certificate (``Fitted.info``) naming the algorithm that ran.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ..data import Dataset, as_generator
from ..exceptions import ParameterError, SolverError
from ..learners import Kernel
from . import amp as _amp  # noqa: F401  (registers the BayesOptimal estimator: AMP)
from . import network as _network  # noqa: F401  (registers the Network estimator; jax only on use)
from . import representations as _representations  # noqa: F401  (registers the learners)
from . import solvers as _solvers  # noqa: F401  (registers the losses)
from .base import (_ESTIMATORS, _REPRESENTATIONS, _SOLVERS, Estimator, Fitted, Representation, lookup,
                   register_estimator, register_representation, register_solver)

if TYPE_CHECKING:  # for the annotations only
    from numpy.typing import ArrayLike

    from ..learners import Learner
    from ..losses import Loss
    from ..setting import Setting

    # What a seed may be: an int, a SeedSequence or a Generator.
    Seed = int | np.random.SeedSequence | np.random.Generator

__all__ = ["Estimator", "Fitted", "Representation", "PenalizedERM", "estimator_for", "fit", "represent",
           "ridge_path", "register_estimator", "register_representation", "register_solver", "SolverError"]


def _check_setting(setting):
    from ..setting import Setting

    if not isinstance(setting, Setting):
        raise ParameterError("setting", f"must be a rafmodel.Setting, got {type(setting).__name__}: {setting!r:.80}")


def _check_dataset(name, data):
    if not isinstance(data, Dataset):
        raise ParameterError(name, f"must be a rafmodel.data.Dataset (inputs X and labels y), got "
                                   f"{type(data).__name__}: {data!r:.80}")


def _check_inputs(name, X, d=None):
    """``X`` as a 2-D array of numbers (``d`` columns if given), or a ParameterError naming ``name``.

    An array of real numbers is returned as it is (its dtype kept); anything else is converted
    to float.
    """
    if isinstance(X, np.ndarray) and X.dtype.kind in "fiu":
        arr = X
    else:
        try:
            arr = np.asarray(X, dtype=float)
        except (TypeError, ValueError):
            raise ParameterError(name, f"must be a 2-D array of numbers (n, d), got {X!r:.80}") from None
    if arr.ndim != 2:
        raise ParameterError(name, f"must be a 2-D array of shape (n, d), got shape {arr.shape}")
    if d is not None and arr.shape[1] != d:
        raise ParameterError(name, f"must have d = {d} columns (the training inputs'), got {arr.shape[1]}")
    return arr


def represent(learner: Learner, X: np.ndarray, rng: np.random.Generator) -> Representation:
    """The representation of inputs ``X`` (shape ``(n, d)``) by ``learner``.

    Parameters
    ----------
    learner : Learner
        A learner with a registered representation (:func:`register_representation`).
    X : ndarray of shape (n, d)
        Training inputs.
    rng : numpy.random.Generator
        The learner's own randomness (the random-features weights).

    Returns
    -------
    Representation
        Features of shape ``(n, p)`` or a kernel matrix of shape ``(n, n)``, and the map
        of new inputs.

    Raises
    ------
    ParameterError
        No representation is registered for the learner's type, or ``X`` is not a 2-D
        array of numbers.
    """
    func = lookup(_REPRESENTATIONS, learner)
    if func is None:
        raise ParameterError("learner", f"no simulation for learner {type(learner).__name__}: register a "
                                        "representation or an estimator for it")
    X = _check_inputs("X", X)
    return func(learner, X, rng)


class PenalizedERM:
    """Minimize ``sum_i loss(y_i, h(x_i)) + (lam/2) penalty`` on a learner's representation.

    Parameters
    ----------
    learner : Learner
        A learner with a registered representation.
    loss : Loss
        The loss; the solver registered for its type (or nearest base class) is used.
    lam : float
        ``lam >= 0``; ``0`` is the ``lam -> 0+`` limit (min-norm, max-margin, or the
        unregularized minimizer where the data cannot be fitted).

    Raises
    ------
    ParameterError
        ``loss`` is not a :class:`rafmodel.Loss`, or ``lam`` is negative or not finite.

    Examples
    --------
    >>> import numpy as np
    >>> from rafmodel import Linear, Square
    >>> from rafmodel.data import sample_raf
    >>> train = sample_raf(d=20, alpha=2.0, eps=0.1, rng=0)
    >>> fitted = PenalizedERM(Linear(), Square(), 0.1).fit(train, np.random.default_rng(0))
    >>> fitted.info["solver"], fitted.w.shape
    ('cholesky', (20,))
    """

    def __init__(self, learner: Learner, loss: Loss, lam: float) -> None:
        from .._validation import check_nonnegative_finite

        self.learner, self.loss, self.lam = learner, loss, check_nonnegative_finite("lam", lam)
        self._solver = lookup(_SOLVERS, loss)
        if self._solver is None:
            raise ParameterError("loss", f"must be a rafmodel.Loss (a name is resolved by rafmodel.Setting), "
                                         f"got {loss!r:.80}")

    def __repr__(self):
        return f"PenalizedERM({self.learner!r}, {self.loss!r}, lam={self.lam!r})"

    def check(self, n: int, d: int, n_test: int, max_bytes: float) -> None:
        """Refuse, before any work, sizes whose matrices exceed ``max_bytes`` each.

        The representation of the training set (``n`` x columns) and of the test set
        (``n_test`` x columns), and the ``n x n`` Gram matrix of the SVM dual (hinge,
        and the margin losses at ``lam = 0``).  The logistic loss's Newton solver also holds a
        float32 copy of the training representation: half its size, so within the same bound
        per matrix (the peak memory is then 1.5 times the training representation).

        Parameters
        ----------
        n, d, n_test : int
            Training samples, input dimension, test samples.
        max_bytes : float
            Largest size of one matrix of float64, in bytes.

        Raises
        ------
        ParameterError
            A matrix would exceed ``max_bytes`` (named ``d``: a smaller ``d`` fixes it).
        """
        cols = lookup(_REPRESENTATIONS, self.learner).columns(self.learner, n, d)
        need = [("training representation", n, cols), ("test representation", n_test, cols)]
        if self.loss.name == "hinge" or (self.lam == 0 and self.loss.interpolation == "margin"):
            need.append(("SVM dual matrix", n, n))
        for what, rows, c in need:
            size = 8.0 * rows * c
            if size > max_bytes:
                raise ParameterError("d", f"the {what} ({rows} x {c}) needs {size / 2**30:.1f} GiB, more than "
                                          f"{max_bytes / 2**30:.0f} GiB; use a smaller d"
                                     + (" or n_test" if what.startswith("test") else ""))

    def fit(self, train: Dataset, rng: Seed) -> Fitted:
        """Train on ``train``; raises :class:`rafmodel.SolverError` if the certificate fails.

        Parameters
        ----------
        train : Dataset
            ``X`` of shape ``(n, d)`` and labels ``y`` of shape ``(n,)``.
        rng : int, numpy.random.SeedSequence or numpy.random.Generator
            The learner's own randomness (random-features weights).

        Returns
        -------
        Fitted
            Training outputs of shape ``(n,)``, the decision function, the weight of the
            linear part where defined, and the certificate ``info``.

        Raises
        ------
        SolverError
            The solver failed or its certificate (duality gap, gradient norm) is not met.
        ParameterError
            ``train`` is not a :class:`~rafmodel.data.Dataset`, or a loss without a solver for
            ``lam = 0`` (the generic solver needs ``lam > 0``).
        """
        _check_dataset("train", train)
        rep = represent(self.learner, train.X, as_generator(rng))
        theta, info = self._solver(rep, train.y, self.lam, self.loss)
        h_train = rep.apply(theta)
        decision = rep.decision(theta)
        w = rep.lin(theta) if rep.lin is not None else None
        return Fitted(h_train=h_train, decision=decision, w=w, info=info)


def estimator_for(setting: Setting) -> Estimator:
    """The estimator of ``setting``'s learner, loss and ``lam``.

    Parameters
    ----------
    setting : Setting
        The learner, loss and ``lam`` to train.

    Returns
    -------
    Estimator
        The estimator registered for the learner's type (:func:`register_estimator`),
        else a :class:`PenalizedERM`.

    Raises
    ------
    ParameterError
        ``setting`` is not a :class:`rafmodel.Setting`, or the learner's type has neither an
        estimator nor a representation.
    """
    _check_setting(setting)
    factory = lookup(_ESTIMATORS, setting.learner)
    if factory is not None:
        return factory(setting)
    if lookup(_REPRESENTATIONS, setting.learner) is None:
        raise ParameterError("learner", f"no simulation for learner {type(setting.learner).__name__}: register "
                                        "a representation or an estimator for it")
    return PenalizedERM(setting.learner, setting.loss, setting.lam)


def fit(setting: Setting, data: Dataset, *, rng: Seed) -> Fitted:
    """Train ``setting``'s learner with its loss and ``lam`` on ``data``.

    Parameters
    ----------
    setting : Setting
        The learner, loss and ``lam``.
    data : Dataset
        The training set.
    rng : numpy.random.Generator, SeedSequence or int
        Randomness of the learner itself (random-features weights).

    Returns
    -------
    Fitted
        The trained model and its certificate.

    Raises
    ------
    SolverError
        If a solver fails or its certificate is not met.
    ParameterError
        ``setting`` is not a :class:`rafmodel.Setting`, ``data`` not a
        :class:`~rafmodel.data.Dataset`, or ``rng`` not a seed.

    Examples
    --------
    >>> from rafmodel import Kernel, Setting
    >>> from rafmodel.data import sample_raf
    >>> train = sample_raf(d=20, alpha=2.0, eps=0.1, rng=0)
    >>> setting = Setting(alpha=2.0, eps=0.1, lam=0.1, learner=Kernel(mu1=1.0, mustar=0.5))
    >>> fitted = fit(setting, train, rng=0)
    >>> fitted.h_train.shape, fitted.w.shape, fitted.info["solver"]
    ((40,), (20,), 'cholesky (Woodbury, low-rank kernel)')
    """
    _check_setting(setting)
    _check_dataset("data", data)
    rng = as_generator(rng)
    return estimator_for(setting).fit(data, rng)


def ridge_path(setting: Setting, data: Dataset, lams: ArrayLike, *, rng: Seed,
               X_test: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Square-loss outputs for many ``lam`` from one eigendecomposition.

    ``lam = 0`` gives the min-norm interpolator / least squares (eigenvalues below
    ``1e-10`` times the largest are treated as zero).  The loss and ``lam`` of
    ``setting`` are not used: the square loss is assumed.

    Parameters
    ----------
    setting : Setting
        Gives the learner.
    data : Dataset
        The training set, ``X`` of shape ``(n, d)``.
    lams : array_like of shape (L,)
        Penalties ``>= 0``.
    rng : int, numpy.random.SeedSequence or numpy.random.Generator
        The learner's own randomness (random-features weights).
    X_test : ndarray of shape (m, d)
        Test inputs.

    Returns
    -------
    H_train : ndarray of shape (L, n)
        Training outputs, one row per ``lam``.
    H_test : ndarray of shape (L, m)
        Test outputs, one row per ``lam``.

    Raises
    ------
    ParameterError
        ``setting`` is not a :class:`rafmodel.Setting`, ``data`` not a
        :class:`~rafmodel.data.Dataset`, ``lams`` not a 1-D array of finite numbers
        ``>= 0``, or ``X_test`` not an array of shape ``(m, d)``.
    """
    from .._validation import as_float_array

    _check_setting(setting)
    _check_dataset("data", data)
    lams = as_float_array("lams", lams)
    if lams.ndim != 1:
        raise ParameterError("lams", f"must be a 1-D array of penalties, got shape {lams.shape}")
    bad = ~(np.isfinite(lams) & (lams >= 0))
    if np.any(bad):
        raise ParameterError("lams", f"must be finite and >= 0, got {float(lams[bad][0])!r}")
    X_test = _check_inputs("X_test", X_test, d=data.X.shape[1])
    y = data.y
    learner = setting.learner
    if isinstance(learner, Kernel) and learner.kernel is None:
        return _gaussian_kernel_ridge_path(learner.mu1, learner.mustar, data.X, y, lams, X_test)
    rep = represent(learner, data.X, as_generator(rng))
    if rep.kind == "features":
        U, s, Vt = np.linalg.svd(rep.train, full_matrices=False)
        s2 = s * s
        cut = s2 > 1e-10 * s2.max()
        uy = U.T @ y
        T = rep.test_map(X_test) @ Vt.T  # (m, r)
        H_train, H_test = [], []
        for lam in lams:
            f = np.where(cut, s2 / (s2 + lam) if lam > 0 else 1.0, 0.0)
            H_train.append(U @ (f * uy))
            g = np.where(cut, s / (s2 + lam) if lam > 0 else 1.0 / np.where(cut, s, 1.0), 0.0)
            H_test.append(T @ (g * uy))
        return np.array(H_train), np.array(H_test)
    ev, U = np.linalg.eigh(rep.train)
    cut = ev > 1e-10 * ev.max()
    uy = U.T @ y
    Kx = rep.test_map(X_test) @ U
    H_train, H_test = [], []
    for lam in lams:
        inv = np.where(cut, 1.0 / np.where(cut, ev + lam, 1.0), 0.0)
        H_train.append(U @ (ev * inv * uy))
        H_test.append(Kx @ (inv * uy))
    return np.array(H_train), np.array(H_test)


def _gaussian_kernel_ridge_path(mu1, mustar, X, y, lams, X_test):
    """:func:`ridge_path` for the Gaussian-equivalent kernel ``K = mu1^2 Z Z' + mustar^2 I``
    without forming ``K``: its eigendecomposition comes from the thin SVD ``Z = U S V'``
    (``O(n d min(n, d))`` instead of ``O(n^3)``): eigenvalues ``mu1^2 s^2 + mustar^2`` on
    the columns of ``U`` and ``mustar^2`` on their orthogonal complement."""
    n, d = X.shape
    Z = X / np.sqrt(d)
    U, s, Vt = np.linalg.svd(Z, full_matrices=False)
    ev = mu1 * mu1 * s * s + mustar * mustar
    ev_perp = mustar * mustar  # on the complement of range(U), of dimension n - len(s)
    top = max(float(ev.max()) if ev.size else 0.0, ev_perp)
    cut = ev > 1e-10 * top
    cut_perp = ev_perp > 1e-10 * top and n > len(s)
    uy = U.T @ y
    y_perp = y - U @ uy  # the part of y in the complement
    T = mu1 * mu1 * (X_test / np.sqrt(d)) @ (Vt.T * s)  # test kernel rows in the eigenbasis: Kx U
    H_train, H_test = [], []
    for lam in lams:
        inv = np.where(cut, 1.0 / np.where(cut, ev + lam, 1.0), 0.0)
        h = U @ (ev * inv * uy)
        if cut_perp:
            h = h + ev_perp / (ev_perp + lam) * y_perp
        H_train.append(h)
        H_test.append(T @ (inv * uy))  # the complement is orthogonal to the test kernel rows
    return np.array(H_train), np.array(H_test)
