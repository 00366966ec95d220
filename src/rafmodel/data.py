"""RAF data: Gaussian inputs labelled by a teacher rule, with a fraction of random facts.

THEORY.md section 1: ``x ~ N(0, I_d)``, teacher ``w*`` with ``|w*|^2 = d``;
``n = round(alpha d)`` training samples of which exactly ``round(eps n)`` (a random
subset) are **facts** with labels uniform on ``{-1, +1}`` independent of ``x``; the
others are **rule** samples with ``y = sign(w*.x / sqrt d)``.  Test samples are
fresh rule samples.  All randomness comes from an explicit numpy ``Generator``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._validation import ParameterError, check_positive_finite, check_positive_int, check_unit_interval

__all__ = ["RAFData", "sample_raf", "sample_rule", "as_generator"]


def as_generator(seed) -> np.random.Generator:
    """A numpy ``Generator`` from a seed, a ``SeedSequence`` or a ``Generator``."""
    if isinstance(seed, np.random.Generator):
        return seed
    if seed is None:
        raise ParameterError("seed", "an explicit seed is required (an int, a SeedSequence or a Generator)")
    return np.random.default_rng(seed)


@dataclass(frozen=True)
class RAFData:
    """A sampled RAF training set.

    Attributes
    ----------
    X : ndarray of shape (n, d)
        Inputs.
    y : ndarray of shape (n,)
        Labels in ``{-1, +1}``.
    is_fact : ndarray of shape (n,), bool
        Which samples are facts (random labels).
    w_star : ndarray of shape (d,)
        The teacher, ``|w*|^2 = d``.
    """

    X: np.ndarray
    y: np.ndarray
    is_fact: np.ndarray
    w_star: np.ndarray

    @property
    def n(self) -> int:
        return self.X.shape[0]

    @property
    def d(self) -> int:
        return self.X.shape[1]


def _sign(v):
    # the teacher's label; w*.x = 0 has probability zero, map it to +1
    return np.where(v >= 0, 1.0, -1.0)


def sample_raf(*, d, alpha, eps, rng) -> RAFData:
    """Sample a RAF training set.

    Parameters
    ----------
    d : int
        Input dimension.
    alpha : float
        Samples per dimension; ``n = round(alpha d)`` (at least 1).
    eps : float
        Fraction of facts; exactly ``round(eps n)`` of them.
    rng : numpy.random.Generator or int
        Source of randomness (an int is used as a seed).

    Returns
    -------
    RAFData
    """
    d = check_positive_int("d", d)
    alpha = check_positive_finite("alpha", alpha)
    eps = check_unit_interval("eps", eps)
    rng = as_generator(rng)
    n = max(1, int(round(alpha * d)))
    w_star = rng.standard_normal(d)
    w_star *= np.sqrt(d) / np.linalg.norm(w_star)
    X = rng.standard_normal((n, d))
    y = _sign(X @ w_star)
    is_fact = np.zeros(n, dtype=bool)
    n_facts = int(round(eps * n))
    is_fact[rng.choice(n, size=n_facts, replace=False)] = True
    y[is_fact] = rng.choice([-1.0, 1.0], size=n_facts)
    return RAFData(X, y, is_fact, w_star)


def sample_rule(*, w_star, n, rng):
    """``n`` fresh rule samples ``(X, y)`` of the teacher ``w_star``."""
    n = check_positive_int("n_test", n)
    rng = as_generator(rng)
    X = rng.standard_normal((n, len(w_star)))
    return X, _sign(X @ w_star)
