"""RAF data from a labelled image dataset: two classes are the rule, a third the facts.

For a :class:`rafmodel.Setting` with ``alpha, eps`` and the dataset's dimension ``d``,
the training set has ``n = round(alpha d)`` images: ``n_facts = round(eps n)`` images of
the facts class, each with an independent uniform label ``+-1`` (drawn apart from the
images), and ``n - n_facts`` rule images, half of class ``A`` (label ``+1``) and half of
class ``B`` (label ``-1``; an odd one goes to a random side).  The test set is
held-out rule images, balanced (``n_test // 2`` of each class, or all that are left).  With
``facts="rule"`` the facts are rule-class images instead (half of each class, apart from the
rule images), relabelled at random: label noise on inputs of the rule's own distribution, the
facts of docs/theory.md section 1.

Preprocessing (``standardize=True``): a z-score per pixel with the training set's mean
and standard deviation (a constant pixel is only centred), then one global factor so
that the median squared distance between training inputs is ``2 d``, the value for
i.i.d. standard Gaussian inputs.  An RBF kernel ``exp(-c |x - x'|^2 / (2d))`` is then
``exp(-bandwidth |x - x'|^2 / m)`` on the z-scored inputs, with ``m`` their median squared
distance and ``bandwidth = c`` (the paper's eta, docs/theory.md section 4).
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

import numpy as np

from .._validation import validate_params
from ..exceptions import ParameterError
from .base import Dataset, child_seed
from .images import load_images

if TYPE_CHECKING:  # for the annotations only
    from ..setting import Setting

__all__ = ["ImageRAF", "median_sq_distance"]

# pairs used to estimate the median squared distance (all pairs below this many points)
_MEDIAN_POINTS = 1000


def median_sq_distance(X: np.ndarray) -> float:
    """Median squared Euclidean distance between distinct rows of ``X``.

    Parameters
    ----------
    X : ndarray of shape (n, d)
        Inputs, ``n >= 2``.

    Returns
    -------
    float
        The median over the pairs ``i < j`` of the first 1000 rows.
    """
    X = np.asarray(X, dtype=float)[:_MEDIAN_POINTS]
    sq = np.sum(X * X, axis=1)
    D = sq[:, None] + sq[None, :] - 2.0 * X @ X.T
    iu = np.triu_indices(len(X), 1)
    return float(np.median(np.maximum(D[iu], 0.0)))


class ImageRAF:
    """A RAF data source from image classes (a :class:`rafmodel.data.DataSource`).

    Parameters
    ----------
    dataset : {'digits', 'mnist', 'fashion-mnist', 'cifar10'}, default='digits'
        See :func:`rafmodel.data.images.load_images`.
    rule : tuple of two int, default=(3, 5)
        Classes ``(A, B)`` of the rule: ``A`` is labelled ``+1``, ``B`` ``-1``.
    facts : int or 'rule', default=8
        Class whose images are the facts (random labels), or ``"rule"``: images of the rule
        classes, relabelled at random (label noise).
    data_dir : str or path-like, optional
        Directory of the files (default: ``RAF_DATA``); not used for ``digits``.
    n_test : int, optional
        Test images (half per rule class, rounded down to even); default as many held-out
        rule images as the smaller rule class leaves, per class.
    standardize : bool, default=True
        z-score with training statistics and the distance scaling of the module docstring.

    Raises
    ------
    ParameterError
        An unknown dataset, a class out of range or repeated (``rule``, ``facts``), a bad
        ``n_test``, or an unreadable dataset (``data_dir``).

    Notes
    -----
    With a repetition's ``SeedSequence`` ``s``, the training images and the fact labels
    come from child ``(0,)`` of ``s`` and the choice of test images among the held-out
    ones from child ``(2,)``.

    Examples
    --------
    >>> import numpy as np
    >>> from rafmodel import Setting
    >>> src = ImageRAF("digits", rule=(3, 5), facts=8)
    >>> train, test = src.sample(Setting(alpha=2.0, eps=0.25, lam=0.1), np.random.SeedSequence(0))
    >>> train.X.shape, int(train.is_fact.sum()), int((test.y > 0).sum()) == int((test.y < 0).sum())
    ((128, 64), 32, True)
    """

    @validate_params("ImageRAF", exempt={"dataset": "a name or a folder, checked by load_images",
                                         "rule": "two classes in 0..9, checked first in the body",
                                         "facts": "a class in 0..9 outside the rule, checked first in the body",
                                         "data_dir": "a folder, checked by load_images", "standardize": "a flag"})
    def __init__(self, dataset: str = "digits", *, rule: tuple[int, int] = (3, 5), facts: int = 8,
                 data_dir: str | os.PathLike[str] | None = None, n_test: int | None = None,
                 standardize: bool = True) -> None:
        try:
            rule = tuple(rule)
        except TypeError:
            rule = (rule,)
        if (len(rule) != 2 or any(isinstance(r, bool) or not isinstance(r, (int, np.integer)) for r in rule)
                or rule[0] == rule[1] or not all(0 <= r <= 9 for r in rule)):
            raise ParameterError("rule", f"must be two different classes in 0..9, got {rule!r}")
        rule = (int(rule[0]), int(rule[1]))
        if isinstance(facts, str) and facts.strip().lower() == "rule":
            facts = "rule"
        elif isinstance(facts, bool) or not isinstance(facts, (int, np.integer)) or not 0 <= facts <= 9:
            raise ParameterError("facts", f"must be a class in 0..9 or 'rule' (relabelled rule images), got {facts!r}")
        elif int(facts) in rule:
            raise ParameterError("facts", f"must differ from the rule classes {rule}, got {facts}")
        self.n_test = n_test  # checked at the signature
        X, labels = load_images(dataset, data_dir)  # after the options: a bad one costs no reading
        self.dataset = str(dataset).strip().lower()
        self.data_dir = None if self.dataset == "digits" else str(data_dir or os.environ.get("RAF_DATA", ""))
        self.rule, self.standardize = rule, bool(standardize)
        self.facts = facts if facts == "rule" else int(facts)
        self._X = X
        self._idx = {c: np.flatnonzero(labels == c) for c in (*rule, *(() if facts == "rule" else (self.facts,)))}
        for c, idx in self._idx.items():
            if idx.size == 0:
                raise ParameterError("rule" if c in rule else "facts",
                                     f"class {c} has no images in {self.dataset}")
        self.d = X.shape[1]

    def __repr__(self):
        return f"ImageRAF({self.dataset!r}, rule={self.rule}, facts={self.facts}, n_test={self.n_test})"

    def key(self) -> tuple:
        """``("images", dataset, data_dir, rule, facts, n_test, standardize)``.

        Returns
        -------
        tuple
            What identifies the data this source draws.
        """
        return ("images", self.dataset, self.data_dir, self.rule, self.facts, self.n_test, self.standardize)

    def _counts(self, setting):
        n = int(round(setting.alpha * self.d))
        n_facts = int(round(setting.eps * n))
        n_rule = n - n_facts
        return n, n_facts, n_rule, n_rule // 2 + n_rule % 2

    def _fact_share(self, n_facts):
        """Rule images per class that are facts (``facts="rule"``; the larger half), else 0."""
        return n_facts // 2 + n_facts % 2 if self.facts == "rule" else 0

    def shape(self, setting: Setting) -> tuple[int, int, int]:
        """``(n, d, n_test)``; ``n_test`` is the largest the setting allows if not fixed.

        Parameters
        ----------
        setting : Setting
            Gives ``alpha`` and ``eps``.

        Returns
        -------
        n : int
            Training images, ``round(alpha d)``.
        d : int
            Pixels per image.
        n_test : int
            Test images.
        """
        n, n_facts, _, per = self._counts(setting)
        left = max(min(self._idx[c].size for c in self.rule) - per - self._fact_share(n_facts), 0)
        return n, self.d, 2 * (left if self.n_test is None else min(self.n_test // 2, left))

    def check(self, setting: Setting) -> None:
        """Refuse a setting that needs more images of a class than the dataset has.

        Parameters
        ----------
        setting : Setting
            Gives ``alpha`` and ``eps``.

        Raises
        ------
        ParameterError
            ``n < 2`` (``alpha``), more fact images than the facts class has (``eps``), or
            more rule images than leave at least one held-out test image per rule class
            (``alpha``).
        """
        n, n_facts, n_rule, per = self._counts(setting)
        if n < 2:
            raise ParameterError("alpha", f"alpha d = {setting.alpha * self.d:.3g} gives n = {n} training images; "
                                          "at least 2 are needed")
        if self.facts != "rule":
            have = self._idx[self.facts].size
            if n_facts > have:
                raise ParameterError("eps", f"eps n = {n_facts} fact images at alpha = {setting.alpha:g}, but class "
                                            f"{self.facts} of {self.dataset} has only {have}; use a smaller eps or "
                                            "alpha")
        for c in self.rule:
            have = self._idx[c].size
            if per + self._fact_share(n_facts) + 1 > have:
                raise ParameterError("alpha", f"{per} training images of rule class {c} at alpha = "
                                              f"{setting.alpha:g}, eps = {setting.eps:g} (and at least one held "
                                              f"out for the test), but {self.dataset} has only {have}; use a "
                                              "smaller alpha")

    def sample(self, setting: Setting, seed: np.random.SeedSequence) -> tuple[Dataset, Dataset]:
        """Training and test sets of ``setting`` from the streams of ``seed``.

        Parameters
        ----------
        setting : Setting
            Gives ``alpha`` and ``eps``.
        seed : numpy.random.SeedSequence
            The repetition's seed.

        Returns
        -------
        train : Dataset
            ``round(alpha d)`` images, ``round(eps n)`` of them facts; ``w_star`` is ``None``.
        test : Dataset
            Held-out rule images, as many of class ``A`` as of ``B``.

        Raises
        ------
        ParameterError
            As :meth:`check`.
        """
        self.check(setting)
        n, n_facts, n_rule, _ = self._counts(setting)
        rng = np.random.default_rng(child_seed(seed, 0))
        a, b = (rng.permutation(self._idx[c]) for c in self.rule)
        n_a = n_rule // 2 + (n_rule % 2) * int(rng.integers(2))
        n_b = n_rule - n_a
        if self.facts == "rule":  # relabelled rule images, apart from the rule's own, half of each class
            fa = self._fact_share(n_facts)
            facts = np.concatenate([a[n_a:n_a + fa], b[n_b:n_b + n_facts - fa]])
            a, b = np.concatenate([a[:n_a], a[n_a + fa:]]), np.concatenate([b[:n_b], b[n_b + n_facts - fa:]])
        else:
            facts = rng.choice(self._idx[self.facts], size=n_facts, replace=False)
        fact_y = rng.choice([-1.0, 1.0], size=n_facts)
        idx = np.concatenate([a[:n_a], b[:n_b], facts])
        y = np.concatenate([np.ones(n_a), -np.ones(n_b), fact_y])
        is_fact = np.concatenate([np.zeros(n_rule, bool), np.ones(n_facts, bool)])
        order = rng.permutation(n)
        idx, y, is_fact = idx[order], y[order], is_fact[order]
        rest_a, rest_b = a[n_a:], b[n_b:]
        m = self.shape(setting)[2] // 2  # the same for either side of an odd split
        trng = np.random.default_rng(child_seed(seed, 2))
        ta, tb = trng.choice(rest_a, m, replace=False), trng.choice(rest_b, m, replace=False)
        X_train = self._X[idx].astype(float)
        X_test = self._X[np.concatenate([ta, tb])].astype(float)
        y_test = np.concatenate([np.ones(m), -np.ones(m)])
        if self.standardize:
            X_train, X_test = _preprocess(X_train, X_test)
        return (Dataset(X_train, y, is_fact, None),
                Dataset(X_test, y_test, np.zeros(2 * m, dtype=bool), None))


def _preprocess(X_train, X_test):
    mean = X_train.mean(axis=0)
    std = X_train.std(axis=0)
    std = np.where(std > 1e-12 * max(float(std.max()), 1.0), std, 1.0)
    Z, Zt = (X_train - mean) / std, (X_test - mean) / std
    med = median_sq_distance(Z)
    if med > 0:
        f = np.sqrt(2.0 * Z.shape[1] / med)
        Z, Zt = Z * f, Zt * f
    return Z, Zt
