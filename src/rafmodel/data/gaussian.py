"""The RAF model's own data: Gaussian inputs labelled by a teacher rule, with random facts.

docs/theory.md section 1: ``x ~ N(0, I_d)``, teacher ``w*`` with ``|w*|^2 = d``;
``n = round(alpha d)`` training samples of which exactly ``round(eps n)`` (a random
subset) are **facts** with labels uniform on ``{-1, +1}`` independent of ``x``; the
others are **rule** samples with ``y = sign(w*.x / sqrt d)``.  Test samples are
fresh rule samples.  All randomness comes from an explicit seed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from .._validation import check_positive_finite, check_positive_int, check_unit_interval, validate_params
from ..exceptions import ParameterError
from ..inputs import Inputs, get_inputs
from .base import Dataset, child_seed

if TYPE_CHECKING:  # for the annotations only
    from numpy.typing import ArrayLike

    from ..setting import Setting

    # What a seed may be: an int, a SeedSequence or a Generator (never None).
    Seed = int | np.random.SeedSequence | np.random.Generator

__all__ = ["GaussianRAF", "RAFData", "sample_raf", "sample_rule", "as_generator", "MAX_ARRAY_BYTES"]

#: A sampled RAF training set (the :class:`~rafmodel.data.Dataset` of this source).
RAFData = Dataset

#: Largest array (bytes) a simulation may allocate: data, features, kernel matrices.
MAX_ARRAY_BYTES = 4 * 2**30


def as_generator(seed: Seed) -> np.random.Generator:
    """A numpy ``Generator`` from a seed, a ``SeedSequence`` or a ``Generator``.

    Parameters
    ----------
    seed : int, numpy.random.SeedSequence or numpy.random.Generator
        An explicit seed (``None`` is refused: results must be reproducible).

    Returns
    -------
    numpy.random.Generator
        ``seed`` itself if it is a ``Generator``, else ``numpy.random.default_rng(seed)``.

    Raises
    ------
    ParameterError
        ``seed`` is ``None``, a bool, a float, a string, or anything else numpy does not take
        as a seed (a negative int, a complex number, ...).

    Examples
    --------
    >>> int(as_generator(0).integers(10)) == int(as_generator(np.random.SeedSequence(0)).integers(10))
    True
    """
    if isinstance(seed, np.random.Generator):
        return seed
    if seed is None or isinstance(seed, (bool, float, str)):
        raise ParameterError("seed", f"an explicit seed is required (an int, a SeedSequence or a Generator), "
                                     f"got {seed!r}")
    try:
        return np.random.default_rng(seed)
    except (TypeError, ValueError) as e:
        raise ParameterError("seed", f"must be a non-negative int, a SeedSequence or a Generator, got {seed!r:.80} "
                                     f"({e})") from None


def _sign(v):
    # the teacher's label; w*.x = 0 has probability zero, map it to +1
    return np.where(v >= 0, 1.0, -1.0)


def n_train(alpha: float, d: int) -> int:
    """Number of training samples, ``round(alpha d)``."""
    return int(round(alpha * d))


def sample_raf(*, d: int, alpha: float, eps: float, rng: Seed, inputs: Inputs | str | None = None) -> Dataset:
    """Sample a RAF training set.

    Parameters
    ----------
    d : int
        Input dimension.
    alpha : float
        Samples per dimension; ``n = round(alpha d)`` must be at least 2.
    eps : float
        Fraction of facts; exactly ``round(eps n)`` of them.
    rng : numpy.random.Generator, SeedSequence or int
        Source of randomness.
    inputs : Inputs or str, optional
        The input model (:mod:`rafmodel.inputs`); default isotropic, ``x ~ N(0, I_d)``.  Structured
        inputs have a diagonal covariance with the spectrum's eigenvalues (each atom on ``f d``
        coordinates) and a teacher with ``w*_i^2 = t_i / omega_i`` and random signs, so that the
        teacher's field has unit variance and the share ``t`` of it on each direction.

    Returns
    -------
    Dataset
        ``X`` of shape ``(n, d)``, ``y`` and ``is_fact`` of shape ``(n,)``, and the
        teacher ``w_star`` of shape ``(d,)`` (and ``variances`` for structured inputs).

    Raises
    ------
    ParameterError
        A bad ``d``, ``alpha``, ``eps`` or ``rng``, ``n < 2``, or data beyond
        :data:`MAX_ARRAY_BYTES` (before any is drawn).

    Examples
    --------
    >>> data = sample_raf(d=50, alpha=2.0, eps=0.3, rng=1)
    >>> data.X.shape, int(data.is_fact.sum())
    ((100, 50), 30)
    """
    d = check_positive_int("d", d)
    alpha = check_positive_finite("alpha", alpha)
    eps = check_unit_interval("eps", eps)
    n = _check_n(alpha, d)
    if 8.0 * n * d > MAX_ARRAY_BYTES:
        raise ParameterError("d", f"the data ({n} x {d}) need {8.0 * n * d / 2**30:.1f} GiB, more than "
                                  f"{MAX_ARRAY_BYTES / 2**30:.0f} GiB; use a smaller d or alpha")
    inputs = get_inputs(inputs)
    variances = None if inputs.isotropic else inputs.coordinates(d)  # an unfit d refused before any work
    rng = as_generator(rng)
    if variances is None:
        w_star = rng.standard_normal(d)
        w_star *= np.sqrt(d) / np.linalg.norm(w_star)
        X = rng.standard_normal((n, d))
    else:
        variances, power = variances
        w_star = np.sqrt(power / variances) * rng.choice([-1.0, 1.0], size=d)
        X = rng.standard_normal((n, d))
        X *= np.sqrt(variances)
    y = _sign(X @ w_star)
    is_fact = np.zeros(n, dtype=bool)
    n_facts = int(round(eps * n))
    is_fact[rng.choice(n, size=n_facts, replace=False)] = True
    y[is_fact] = rng.choice([-1.0, 1.0], size=n_facts)
    return Dataset(X, y, is_fact, w_star, variances)


def sample_rule(*, w_star: ArrayLike, n: int, rng: Seed,
                variances: ArrayLike | None = None) -> tuple[np.ndarray, np.ndarray]:
    """``n`` fresh rule samples ``(X, y)`` of the teacher ``w_star`` (shapes ``(n, d)``, ``(n,)``).

    Parameters
    ----------
    w_star : array_like of shape (d,)
        The teacher.
    n : int
        Number of samples, ``>= 1``.
    rng : int, numpy.random.SeedSequence or numpy.random.Generator
        Source of randomness.
    variances : array_like of shape (d,), optional
        The inputs' variance per coordinate (structured inputs, :attr:`Dataset.variances`).

    Returns
    -------
    X : ndarray of shape (n, d)
        Gaussian inputs.
    y : ndarray of shape (n,)
        Labels ``sign(X @ w_star)`` in ``{-1, +1}`` (``+1`` for a zero argument).

    Raises
    ------
    ParameterError
        A bad ``n`` (named ``n_test``, as the simulations call it) or ``rng``.
    """
    n = check_positive_int("n_test", n)
    rng = as_generator(rng)
    X = rng.standard_normal((n, len(w_star)))
    if variances is not None:
        X *= np.sqrt(np.asarray(variances, float))
    return X, _sign(X @ w_star)


def _check_n(alpha, d):
    n = n_train(alpha, d)
    if n < 2:
        raise ParameterError("alpha", f"alpha d = {alpha * d:.3g} gives n = {n} training samples; "
                                      "a training set needs at least 2 (increase alpha or d)")
    return n


class GaussianRAF:
    """RAF data with Gaussian inputs (the data of the theory).

    Parameters
    ----------
    d : int
        Input dimension; ``n = round(alpha d)`` training samples.
    n_test : int
        Fresh rule samples in the test set.

    Raises
    ------
    ParameterError
        ``d`` or ``n_test`` not a positive integer.

    Notes
    -----
    Given a repetition's ``SeedSequence`` ``s``, the training set is drawn from
    child ``(0,)`` of ``s`` and the test set from child ``(2,)`` (child ``(1,)`` is
    the learner's own randomness).  The streams do not depend on ``alpha``,
    ``eps`` or ``lam``: two settings with the same seed share the teacher and,
    at equal ``n``, the inputs (common random numbers: smooth curves, and a
    ``lam`` path equal to separate fits).

    Examples
    --------
    >>> import numpy as np
    >>> from rafmodel import Setting
    >>> train, test = GaussianRAF(d=20, n_test=100).sample(Setting(alpha=2, eps=0.5, lam=0.1),
    ...                                                    np.random.SeedSequence(0))
    >>> train.X.shape, int(train.is_fact.sum()), test.X.shape
    ((40, 20), 20, (100, 20))
    """

    @validate_params("GaussianRAF")
    def __init__(self, *, d: int = 500, n_test: int = 10_000) -> None:
        self.d, self.n_test = d, n_test  # checked at the signature

    def __repr__(self):
        return f"GaussianRAF(d={self.d}, n_test={self.n_test})"

    def key(self) -> tuple:
        """``("gaussian", d, n_test)``.

        Returns
        -------
        tuple
            What identifies the data this source draws.
        """
        return ("gaussian", self.d, self.n_test)

    def shape(self, setting: Setting) -> tuple[int, int, int]:
        """``(n, d, n_test)`` with ``n = round(alpha d)``.

        Parameters
        ----------
        setting : Setting
            Gives ``alpha``.

        Returns
        -------
        n : int
            Training samples, ``round(alpha d)``.
        d : int
            Input dimension.
        n_test : int
            Test samples.
        """
        return n_train(setting.alpha, self.d), self.d, self.n_test

    def check(self, setting: Setting) -> None:
        """Refuse, before any work, a setting whose arrays would not fit.

        Parameters
        ----------
        setting : Setting
            Gives ``alpha``.

        Raises
        ------
        ParameterError
            ``n < 2`` training samples, or data, test set, features or kernel
            matrices beyond :data:`MAX_ARRAY_BYTES`.
        """
        n = _check_n(setting.alpha, self.d)
        setting.inputs.coordinates(self.d)  # structured inputs that do not fit d: refused now
        for what, rows in (("training set", n), ("test set", self.n_test)):
            size = 8.0 * rows * self.d
            if size > MAX_ARRAY_BYTES:
                raise ParameterError("d", f"the {what} ({rows} x {self.d}) needs {size / 2**30:.1f} GiB, more "
                                          f"than {MAX_ARRAY_BYTES / 2**30:.0f} GiB; use a smaller d"
                                     + (" or n_test" if what == "test set" else ""))

    def sample(self, setting: Setting, seed: np.random.SeedSequence) -> tuple[Dataset, Dataset]:
        """Training and test sets of ``setting`` from the streams of ``seed`` (see Notes).

        Parameters
        ----------
        setting : Setting
            Gives ``alpha`` and ``eps``.
        seed : numpy.random.SeedSequence
            The repetition's seed.

        Returns
        -------
        train : Dataset
            ``round(alpha d)`` samples, exactly ``round(eps n)`` of them facts.
        test : Dataset
            ``n_test`` fresh rule samples of the same teacher (no facts).
        """
        train = sample_raf(d=self.d, alpha=setting.alpha, eps=setting.eps, rng=child_seed(seed, 0),
                           inputs=setting.inputs)
        X, y = sample_rule(w_star=train.w_star, n=self.n_test, rng=child_seed(seed, 2), variances=train.variances)
        return train, Dataset(X, y, np.zeros(len(y), dtype=bool), train.w_star, train.variances)
