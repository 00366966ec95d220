"""Which training examples are facts: detectors measured on RAF data, beside AMP's predicted AUC.

For each of ``seeds`` repetitions a RAF training set is drawn (the simulations' seeds and data,
:class:`rafmodel.data.GaussianRAF`) and every training example gets a score from each detector:

* ``amp``: AMP's posterior probability that the example is a fact (:func:`rafmodel.amp`,
  docs/theory.md section 6.6);
* ``svm-margin``: minus the training margin ``y_i h_i`` of the linear hinge-loss SVM at ``lam``;
* ``ridge-residual``: minus ``y_i h_i`` of linear ridge regression at ``lam`` (the residual
  ``y_i - h_i`` along ``y_i``: ``y_i (y_i - h_i) = 1 - y_i h_i``).

The area under the ROC curve of each score as a detector of facts (``is_fact``) is measured with
:func:`sklearn.metrics.roc_auc_score`; its mean and standard error over the seeds are reported
beside the prediction for AMP (:func:`rafmodel.theory.amp_se.predicted_fact_auc`) and the z-score
``(measured - predicted) / se``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ._validation import check_nonnegative_finite, check_positive_finite, check_positive_int, check_unit_interval
from .exceptions import ParameterError, SolverError
from .tables import Tabular

__all__ = ["fact_detection", "FactDetection", "DETECTORS"]

#: The detectors, in output order.
DETECTORS = ("amp", "svm-margin", "ridge-residual")


@dataclass(frozen=True)
class FactDetection(Tabular):
    """AUC of each fact detector over the seeds, with AMP's prediction.

    Attributes
    ----------
    alpha, eps, lam : float
        The point (``lam``: the penalty of the SVM and of the ridge).
    d, seeds, seed : int
        Dimension, repetitions, base seed.
    auc : dict of str to ndarray of shape (seeds,)
        ``{detector: AUC per seed}`` (``nan`` for a seed whose AMP did not converge, or whose
        solver failed its certificate; excluded from the statistics and counted in ``failed``).
    predicted : float
        AMP's predicted AUC (:func:`rafmodel.theory.amp_se.predicted_fact_auc`).
    """

    alpha: float
    eps: float
    lam: float
    d: int
    seeds: int
    seed: int
    auc: dict[str, np.ndarray] = field(repr=False)
    predicted: float

    def mean(self, detector: str) -> float:
        """Mean AUC of ``detector`` over the seeds where it ran (``nan`` if none).

        Parameters
        ----------
        detector : str
            One of :data:`DETECTORS`.

        Returns
        -------
        float
            The mean.
        """
        v = self.auc[detector][np.isfinite(self.auc[detector])]
        return float(v.mean()) if v.size else math.nan

    def se(self, detector: str) -> float:
        """Standard error of the mean AUC (``nan`` with fewer than two seeds).

        Parameters
        ----------
        detector : str
            One of :data:`DETECTORS`.

        Returns
        -------
        float
            ``std(ddof=1) / sqrt(count)`` over the seeds where it ran.
        """
        v = self.auc[detector][np.isfinite(self.auc[detector])]
        return float(v.std(ddof=1) / math.sqrt(v.size)) if v.size > 1 else math.nan

    def to_records(self) -> list[dict[str, Any]]:
        """One record per detector.

        Returns
        -------
        list of dict
            ``detector, alpha, eps, lam, d, seeds, failed, auc, auc_se, auc_theory, auc_z``
            (``auc_theory`` and ``auc_z`` for ``amp`` only, else ``nan``).
        """
        out = []
        for det in DETECTORS:
            m, se = self.mean(det), self.se(det)
            theory = self.predicted if det == "amp" else math.nan
            z = (m - theory) / se if det == "amp" and se > 0 else math.nan
            out.append({"detector": det, "alpha": self.alpha, "eps": self.eps, "lam": self.lam, "d": self.d,
                        "seeds": self.seeds, "failed": int(np.sum(~np.isfinite(self.auc[det]))), "auc": m,
                        "auc_se": se, "auc_theory": theory, "auc_z": z})
        return out


def _scores(train, eps, lam, rng):
    """The score of each detector on one training set (``None`` where it failed)."""
    from .estimators import estimator_for
    from .estimators.amp import amp
    from .setting import Setting

    out = {}
    r = amp(train.X, train.y, eps)
    out["amp"] = r.fact_posterior if r.converged else None
    for det, loss in (("svm-margin", "hinge"), ("ridge-residual", "square")):
        setting = Setting(alpha=train.n / train.d, eps=eps, lam=lam, learner="linear", loss=loss)
        try:
            h = estimator_for(setting).fit(train, rng).h_train
        except SolverError:
            out[det] = None
            continue
        out[det] = -train.y * h
    return out


def fact_detection(alpha: float, eps: float, *, d: int = 2000, seeds: int = 4, seed: int = 0, lam: float = 0.1,
                   progress: bool | None = None) -> FactDetection:
    """Measure the AUC of the fact detectors on RAF data, beside AMP's prediction.

    Parameters
    ----------
    alpha : float
        Samples per dimension, ``> 0``.
    eps : float
        Fraction of facts, in ``(0, 1)`` (facts and rules both present).
    d : int, default=2000
        Input dimension (``n = round(alpha d)``).
    seeds : int, default=4
        Repetitions (the simulations' seeds: repetition ``i`` draws its training set from child
        ``(0,)`` of ``SeedSequence(seed, spawn_key=(i,))``).
    seed : int, default=0
        Base seed, ``>= 0``.
    lam : float, default=0.1
        Penalty of the SVM and of the ridge, ``> 0``.
    progress : bool, optional
        A progress bar on stderr.

    Returns
    -------
    FactDetection
        The AUC per detector and seed, and the prediction for AMP.

    Raises
    ------
    ParameterError
        A bad argument or data beyond the memory limit, before any work.

    Examples
    --------
    >>> r = fact_detection(4.0, 0.2, d=200, seeds=2)
    >>> [rec["detector"] for rec in r.to_records()], round(r.predicted, 4)
    (['amp', 'svm-margin', 'ridge-residual'], 0.7082)
    """
    from .data import GaussianRAF, child_seed
    from .setting import Setting
    from .simulation import repetition_seed
    from .theory.amp_se import predicted_fact_auc

    alpha = check_positive_finite("alpha", alpha)
    eps = check_unit_interval("eps", eps)
    if not 0.0 < eps < 1.0:
        raise ParameterError("eps", f"must be in (0, 1) for fact detection (facts and rules both present), got {eps!r}")
    d = check_positive_int("d", d)
    seeds = check_positive_int("seeds", seeds)
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ParameterError("seed", f"must be an integer >= 0, got {seed!r:.80}")
    lam = check_nonnegative_finite("lam", lam)
    if lam <= 0:
        raise ParameterError("lam", "must be > 0 for the SVM and ridge detectors, got 0")
    source = GaussianRAF(d=d, n_test=1)
    setting = Setting(alpha=alpha, eps=eps, lam=0, learner="bayes")
    source.check(setting)
    predicted = predicted_fact_auc(alpha, eps)
    from sklearn.metrics import roc_auc_score

    auc = {det: np.full(seeds, np.nan) for det in DETECTORS}
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=seeds, desc="facts", unit="seed", leave=False)
    try:
        for i in range(seeds):
            ss = repetition_seed(int(seed), i)
            train, _ = source.sample(setting, ss)
            for det, score in _scores(train, eps, lam, np.random.default_rng(child_seed(ss, 1))).items():
                if score is not None:
                    auc[det][i] = roc_auc_score(train.is_fact, score)
            if bar is not None:
                bar.update()
    finally:
        if bar is not None:
            bar.close()
    return FactDetection(alpha=alpha, eps=eps, lam=lam, d=d, seeds=seeds, seed=int(seed), auc=auc,
                         predicted=predicted)
