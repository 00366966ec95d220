"""The data-source protocol and the dataset container."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol, runtime_checkable

import numpy as np

if TYPE_CHECKING:  # for the annotations only
    from ..setting import Setting

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
    variances : ndarray of shape (d,) or None
        The variance of each input coordinate where the inputs are structured (their
        covariance is diagonal in these coordinates, :mod:`rafmodel.inputs`); ``None``:
        isotropic.  The overlaps are then ``m = w.Sigma w*/d``, ``q = w.Sigma w/d``.
    """

    X: np.ndarray
    y: np.ndarray
    is_fact: np.ndarray
    w_star: np.ndarray | None = None
    variances: np.ndarray | None = None

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
    """Where a simulation's training and test sets come from (see :mod:`rafmodel.data`).

    A protocol: any object with these four methods is a data source (checked with
    ``isinstance(obj, DataSource)``); :class:`rafmodel.data.GaussianRAF` is the model's own.
    """

    def sample(self, setting: Setting, seed: np.random.SeedSequence) -> tuple[Dataset, Dataset]:
        """Training and test sets for ``setting`` from the streams of ``seed``.

        Parameters
        ----------
        setting : Setting
            Gives ``alpha`` (the number of training samples) and ``eps`` (the facts).
        seed : numpy.random.SeedSequence
            The repetition's seed; the same ``(setting, seed)`` gives the same data.

        Returns
        -------
        train : Dataset
            The training set, ``X`` of shape ``(n, d)``.
        test : Dataset
            The test set, ``X`` of shape ``(n_test, d)``.
        """
        ...

    def shape(self, setting: Setting) -> tuple[int, int, int]:
        """``(n, d, n_test)``: training samples, input dimension and test samples for ``setting``.

        Parameters
        ----------
        setting : Setting
            The point to be sampled.

        Returns
        -------
        n : int
            Training samples :meth:`sample` will draw.
        d : int
            Input dimension.
        n_test : int
            Test samples.
        """
        ...

    def check(self, setting: Setting) -> None:
        """Raise :class:`rafmodel.ParameterError` if ``setting`` cannot be sampled (sizes).

        Parameters
        ----------
        setting : Setting
            The point to be sampled.

        Raises
        ------
        ParameterError
            Sizes that cannot be drawn or would not fit in memory.
        """
        ...

    def key(self) -> tuple:
        """Plain values identifying what the source draws.

        Returns
        -------
        tuple
            Hashable plain values (for caches and stores); equal keys draw the same data.
        """
        ...


def child_seed(seed: np.random.SeedSequence, *path: int) -> np.random.SeedSequence:
    """The child ``path`` of ``seed``, as a pure function (``seed`` is not modified).

    ``SeedSequence.spawn`` counts the children already spawned, so two callers
    sharing one object get different streams; this never does.

    Parameters
    ----------
    seed : numpy.random.SeedSequence
        The parent.
    *path : int
        Indices of the child, the grandchild, ... (``child_seed(s, 1)`` is the stream of
        ``s.spawn(2)[1]`` on a fresh ``s``).

    Returns
    -------
    numpy.random.SeedSequence
        The descendant, with ``spawn_key = seed.spawn_key + path``.

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
