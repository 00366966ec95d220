"""The data-source protocol and the dataset container."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import numpy as np

__all__ = ["Dataset", "DataSource", "child_seed"]


@dataclass(frozen=True)
class Dataset:
    """Inputs and labels, with which samples are facts.

    Attributes
    ----------
    X : ndarray of shape (n, d)
        Inputs.
    y : ndarray of shape (n,)
        Labels in ``{-1, +1}``.
    is_fact : ndarray of shape (n,), bool
        Which samples are facts (labels independent of the inputs); all ``False``
        for a test set of rule samples.
    w_star : ndarray of shape (d,) or None
        The teacher (``|w*|^2 = d``) where there is one, for the overlaps ``m, q``.
    """

    X: np.ndarray
    y: np.ndarray
    is_fact: np.ndarray
    w_star: np.ndarray | None = None

    @property
    def n(self) -> int:
        """Number of samples."""
        return self.X.shape[0]

    @property
    def d(self) -> int:
        """Input dimension."""
        return self.X.shape[1]


@runtime_checkable
class DataSource(Protocol):
    """Where a simulation's training and test sets come from (see :mod:`rafmodel.data`)."""

    def sample(self, setting, seed: np.random.SeedSequence) -> tuple[Dataset, Dataset]:
        """Training and test sets for ``setting`` from the streams of ``seed``."""
        ...

    def shape(self, setting) -> tuple[int, int, int]:
        """``(n, d, n_test)``: training samples, input dimension and test samples for ``setting``."""
        ...

    def check(self, setting) -> None:
        """Raise :class:`rafmodel.ParameterError` if ``setting`` cannot be sampled (sizes)."""
        ...

    def key(self) -> tuple:
        """Plain values identifying what the source draws."""
        ...


def child_seed(seed: np.random.SeedSequence, *path: int) -> np.random.SeedSequence:
    """The child ``path`` of ``seed``, as a pure function (``seed`` is not modified).

    ``SeedSequence.spawn`` counts the children already spawned, so two callers
    sharing one object get different streams; this never does.

    Examples
    --------
    >>> import numpy as np
    >>> s = np.random.SeedSequence(7)
    >>> child_seed(s, 1).generate_state(1) == child_seed(s, 1).generate_state(1)
    array([ True])
    >>> bool(np.all(child_seed(s, 1).generate_state(2) == s.spawn(2)[1].generate_state(2)))
    True
    """
    return np.random.SeedSequence(seed.entropy, spawn_key=tuple(seed.spawn_key) + tuple(int(p) for p in path),
                                  pool_size=seed.pool_size)
