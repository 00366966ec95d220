"""Input models measured on data: a kernel's spectrum and the rule's alignment with it, or the classes as a mixture.

The structured theory (docs/theory.md section 3.11) needs the spectrum of the learner's features
and the share of the rule on each eigendirection.  On images these come from the data
(docs/theory.md section 4.1): on a pool of ``N`` rule-class images, preprocessed as the training
inputs are (:class:`rafmodel.data.ImageRAF`), the kernel matrix ``K`` of the learner gives
eigenvalues ``eta_k`` of ``K / N`` (estimates of the kernel operator's) and unit eigenvectors
``psi_k``; the rule labels ``y`` (``+-1``) project as ``a_k = psi_k . y / sqrt(N)``.  The input
model is then :class:`rafmodel.Spectrum` with eigenvalues ``d eta_k`` on ``N`` directions of
weight ``1 / d`` each (``directions = N / d``) and teacher power proportional to ``a_k^2``: a
Gaussian teacher whose field has the labels' alignment with the kernel's eigenfunctions.

Computed once per dataset, classes, kernel, pool and seed, and cached as a ``.npz`` file (read
with ``allow_pickle=False``: no code is ever loaded from it) under ``$RAFMODEL_CACHE`` or
``~/.cache/rafmodel/spectra``.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from pathlib import Path
from typing import Any

import numpy as np

from .exceptions import ParameterError
from .inputs import Mixture, Spectrum

__all__ = ["data_spectrum", "data_mixture", "mixture_pool_size", "spectrum_cache_dir"]

#: Eigenvalues below this fraction of the largest are dropped (numerical zeros of ``K / N``).
_RELATIVE_FLOOR = 1e-12
#: The pool's default size: every rule image up to this many (the eigendecomposition is ``O(N^3)``).
DEFAULT_POOL = 4000


def spectrum_cache_dir() -> Path:
    """The folder of the cached spectra: ``$RAFMODEL_CACHE/spectra`` or ``~/.cache/rafmodel/spectra``.

    Returns
    -------
    pathlib.Path
        The folder (not created here).
    """
    root = os.environ.get("RAFMODEL_CACHE")
    return (Path(root) if root else Path.home() / ".cache" / "rafmodel") / "spectra"


def _pool(source, pool, seed):
    """``(X, y)``: up to ``pool`` rule images, balanced, preprocessed as a training set is."""
    from .data.real import _preprocess

    rng = np.random.default_rng(seed)
    per = min(pool // 2, *(source._idx[c].size for c in source.rule))
    a, b = (rng.choice(source._idx[c], size=per, replace=False) for c in source.rule)
    X = source._X[np.concatenate([a, b])].astype(float)
    y = np.concatenate([np.ones(per), -np.ones(per)])
    if source.standardize:
        X, _ = _preprocess(X, X[:1])
    return X, y


def _check_pool_arguments(learner, pool, seed, smallest_pool):
    """Refuse, in one line, a learner without a real kernel, a pool below ``smallest_pool`` or a bad seed."""
    from .learners import Kernel

    if not isinstance(learner, Kernel) or learner.kernel is None:
        raise ParameterError("learner", "needs a kernel learner with a real kernel, e.g. "
                                        "Kernel.from_kernel('rbf', bandwidth=1.0)")
    if isinstance(pool, bool) or not isinstance(pool, (int, np.integer)) or pool < smallest_pool:
        raise ParameterError("pool", f"must be an integer >= {smallest_pool}, got {pool!r}")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ParameterError("seed", f"must be a non-negative integer, got {seed!r}")


def _save(path, **arrays):
    """Write ``arrays`` to the ``.npz`` cache file ``path`` through a temporary file (a read-only home: skipped)."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp.npz")
        np.savez(tmp, **arrays)
        os.replace(tmp, path)
    except OSError:
        pass  # the result is still returned


def _key(source, learner, pool, seed) -> str:
    spec = {"dataset": source.dataset, "data_dir": source.data_dir, "rule": list(source.rule),
            "standardize": source.standardize, "learner": repr(learner), "pool": int(pool), "seed": int(seed),
            "version": 1}
    return hashlib.sha256(json.dumps(spec, sort_keys=True).encode()).hexdigest()[:20]


def data_spectrum(source: Any, learner: Any, *, pool: int = DEFAULT_POOL, seed: int = 0,
                  cache: bool = True) -> Spectrum:
    """The input model of a kernel learner on real images: its spectrum and the rule's alignment.

    Parameters
    ----------
    source : rafmodel.data.ImageRAF
        The images (its rule classes give the pool and the labels).
    learner : rafmodel.Kernel
        A kernel learner with a real kernel (``Kernel.from_kernel(...)``), whose kernel is
        evaluated on the pool as the simulations evaluate it.
    pool : int, default=4000
        Rule images in the pool (at most; balanced; every image of the smaller class if fewer).
        Use a pool at least twice the largest training set the theory is compared with.
    seed : int, default=0
        Which images form the pool.
    cache : bool, default=True
        Read and write the result under :func:`spectrum_cache_dir`.

    Returns
    -------
    Spectrum
        Eigenvalues ``d eta_k``, teacher power ``a_k^2`` (normalized), ``directions = N / d``;
        for :class:`rafmodel.Setting` with ``learner=rafmodel.Linear()`` (the kernel's features
        are the inputs of a linear learner).

    Raises
    ------
    ParameterError
        ``learner`` without a real kernel, ``pool`` below 4, or ``seed`` not a non-negative integer.
    """
    from .estimators.representations import represent_kernel

    _check_pool_arguments(learner, pool, seed, smallest_pool=4)
    d = source.d
    path = spectrum_cache_dir() / f"{_key(source, learner, pool, seed)}.npz"
    if cache and path.is_file():
        try:
            with np.load(path, allow_pickle=False) as z:
                omega, power, n = z["omega"], z["power"], int(z["n"])
            return Spectrum(omega, teacher_power=power, weights=np.full(omega.size, 1.0), directions=n / d)
        except (OSError, ValueError, KeyError, ParameterError):
            pass  # a damaged or foreign file: computed again and replaced
    X, y = _pool(source, int(pool), int(seed))
    N = X.shape[0]
    K = represent_kernel(learner, X, None).train
    evals, evecs = np.linalg.eigh(K / N)
    keep = evals > _RELATIVE_FLOOR * evals.max()
    eta, psi = evals[keep], evecs[:, keep]
    a = psi.T @ y / np.sqrt(N)
    omega, power, n = d * eta, a * a, int(keep.sum())
    if cache:
        _save(path, omega=omega, power=power, n=n)
    return Spectrum(omega, teacher_power=power, weights=np.full(omega.size, 1.0), directions=n / d)


def _step(bar):
    if bar is not None:
        bar.update()


def _mixture_classes(source):
    """The classes of a mixture's pool: the rule's two, and the facts' class unless the facts are rule images."""
    return [*source.rule] + ([] if source.facts == "rule" else [source.facts])


def mixture_pool_size(source: Any, pool: int) -> int:
    """The images :func:`data_mixture` puts in a pool of at most ``pool``: ``pool // k`` per class, or all it has.

    Parameters
    ----------
    source : rafmodel.data.ImageRAF
        The images (``k`` = 3 classes with a facts class, 2 with ``facts="rule"``).
    pool : int
        The pool asked for.

    Returns
    -------
    int
        The pool's size ``N``: the mixture's feature space has ``N`` directions.

    Examples
    --------
    >>> from rafmodel.data import ImageRAF
    >>> src = ImageRAF("digits", rule=(3, 5), facts=8)
    >>> mixture_pool_size(src, 300), mixture_pool_size(src, 10**6)
    (300, 539)
    """
    classes = _mixture_classes(source)
    per = int(pool) // len(classes)
    return int(sum(min(per, source._idx[c].size) for c in classes))


def _mixture_pool(source, pool, eps, seed):
    """``(Z, labels)``: up to ``pool`` images (labels 0, 1: the rule; 2: the facts' class), preprocessed.

    Preprocessed as a training set with a fraction ``eps`` of facts is (z-score with that mix's
    statistics, then the factor that makes the median squared distance ``2 d``).
    """
    from .data.real import median_sq_distance

    rng = np.random.default_rng(seed)
    classes = _mixture_classes(source)
    per = pool // len(classes)
    idx = [rng.choice(source._idx[c], size=min(per, source._idx[c].size), replace=False) for c in classes]
    X = source._X[np.concatenate(idx)].astype(float)
    labels = np.concatenate([np.full(i.size, k) for k, i in enumerate(idx)])
    share = np.array([(1 - eps) / 2, (1 - eps) / 2, eps]) if len(classes) == 3 else np.array([0.5, 0.5])
    w = share[labels] / np.array([i.size for i in idx])[labels]  # the weight of an image in a training set
    w = w / w.sum()
    if source.standardize:  # as rafmodel.data.real._preprocess, with the statistics of a training set's mix
        mean = w @ X
        std = np.sqrt(w @ (X - mean) ** 2)
        std = np.where(std > 1e-12 * max(float(std.max()), 1.0), std, 1.0)
        X = (X - mean) / std
        sample = rng.choice(X.shape[0], size=min(1000, X.shape[0]), replace=False, p=w)
        med = median_sq_distance(X[sample])
        if med > 0:
            X = X * np.sqrt(2.0 * X.shape[1] / med)
    return X, labels


def data_mixture(source: Any, learner: Any, *, eps: float, pool: int = DEFAULT_POOL, seed: int = 0,
                 cache: bool = True, progress: bool | None = None) -> Mixture:
    """The classes of real images as a Gaussian mixture in a kernel's feature space.

    On a pool of images of the rule classes (and of the facts' class), preprocessed as a
    training set with a fraction ``eps`` of facts is, the kernel matrix ``K = U diag(k) U'``
    gives features ``x_i = sqrt(d) (U diag(k)^{1/2})_i`` with ``x_i . x_j / d = K_ij`` (the
    learner is linear on them, as a kernel learner is on its features).  The class means of the
    features and the covariance within the classes (each class's, averaged with its share of a
    training set: ``(1 - eps)/2`` for each rule class, ``eps`` for the facts' class) in its
    eigenbasis make the :class:`rafmodel.Mixture` of docs/theory.md section 4.2.  Computed once
    per dataset, classes, kernel, ``eps``, pool and seed and cached as a ``.npz`` file (read
    without pickle) beside :func:`data_spectrum`'s.

    Parameters
    ----------
    source : rafmodel.data.ImageRAF
        The images; its ``facts`` (a class, or ``"rule"``) gives the mixture's ``facts``.
    learner : rafmodel.Kernel
        A kernel learner with a real kernel (``Kernel.from_kernel(...)``).
    eps : float
        The fraction of facts of the training sets the theory is compared with (it sets the
        preprocessing's statistics), in ``[0, 1)``.
    pool : int, default=4000
        Images in the pool (at most; an equal share per class, all of a class if it has fewer:
        :func:`mixture_pool_size`).  The feature space has as many directions as the pool has
        images, so a training set of ``n`` images on it is a ridge regression with ``n`` samples
        in ``N`` dimensions: its small-``lam`` interpolation peak at ``n = N`` is the pool's, not
        the images'.  Keep ``N`` at least 4 times the largest training set (``rafmodel.realdata``
        chooses that by default, docs/user_guide/real_data.md).  The cost grows as ``N^3`` in
        time and ``N^2`` in memory (two ``N x N`` eigendecompositions, about ``4.5 N^2`` floats
        at the peak): ``N = 4,000`` took 1.5 min on two shared cores, ``N = 7,998`` 23 min and
        2.3 GB, so ``N = 12,500`` takes an hour or more and about 6 GB.  Computed once and cached.
    seed : int, default=0
        Which images form the pool.
    cache : bool, default=True
        Read and write the result under :func:`spectrum_cache_dir`.
    progress : bool, optional
        A progress bar on stderr over the four steps (kernel matrix, its eigendecomposition,
        the covariance, its eigendecomposition); default (None): when the pool is computed (not
        read from the cache), has more than 2,000 images and stderr is a terminal.

    Returns
    -------
    Mixture
        Eigenvalues of the within-class covariance and the class means, ``d`` the number of
        pixels; for :func:`rafmodel.theory.mixture.solve_mixture` with ``learner=rafmodel.Linear()``.

    Raises
    ------
    ParameterError
        ``learner`` without a real kernel, ``eps`` outside ``[0, 1)``, ``pool`` below 6, or
        ``seed`` not a non-negative integer.
    """
    from .estimators.representations import represent_kernel

    _check_pool_arguments(learner, pool, seed, smallest_pool=6)
    if isinstance(eps, bool) or not isinstance(eps, (int, float, np.floating, np.integer)) or not 0 <= eps < 1:
        raise ParameterError("eps", f"must be a number in [0, 1), got {eps!r}")
    d = source.d
    facts = "rule" if source.facts == "rule" else "class"
    key = _key(source, learner, pool, seed) + hashlib.sha256(f"mixture-v2|{float(eps)!r}|{source.facts}".encode()
                                                             ).hexdigest()[:8]
    path = spectrum_cache_dir() / f"mixture-{key}.npz"
    if cache and path.is_file():
        try:
            with np.load(path, allow_pickle=False) as z:
                return Mixture(z["omega"], z["means"], d=d, facts=facts)
        except (OSError, ValueError, KeyError, ParameterError):
            pass  # a damaged or foreign file: computed again and replaced
    X, labels = _mixture_pool(source, int(pool), float(eps), int(seed))
    bar = None
    if progress or (progress is None and X.shape[0] > 2000 and sys.stderr.isatty()):
        from tqdm.auto import tqdm

        bar = tqdm(total=4, desc=f"mixture pool of {X.shape[0]}", unit="step", leave=False)
    try:
        K = represent_kernel(learner, X, None).train
        _step(bar)
        k, U = np.linalg.eigh(K)
        del K
        _step(bar)
        keep = k > _RELATIVE_FLOOR * k.max()
        F = U[:, keep]
        del U
        F *= np.sqrt(d) * np.sqrt(k[keep])
        means = np.stack([F[labels == c].mean(axis=0) for c in range(labels.max() + 1)])
        share = [(1 - eps) / 2, (1 - eps) / 2, eps] if means.shape[0] == 3 else [0.5, 0.5]
        cov = np.zeros((F.shape[1], F.shape[1]))
        for c, w in enumerate(share):  # the covariance within the training mix
            G = F[labels == c] - means[c]
            cov += (w / G.shape[0]) * (G.T @ G)
        del F, G
        _step(bar)
        omega, E = np.linalg.eigh(cov)
        _step(bar)
    finally:
        if bar is not None:
            bar.close()
    omega = np.clip(omega, 0.0, None)
    means = means @ E
    if cache:
        _save(path, omega=omega, means=means)
    return Mixture(omega, means, d=d, facts=facts)
