"""Finite-size simulations of the RAF model, with error bars over seeds.

:func:`simulate` samples RAF data at dimension ``d`` for each of ``seeds``
independent seeds, trains the learner of a :class:`rafmodel.Setting`, and reports
the mean and standard error of ``gen_error`` (on ``n_test`` fresh rule samples),
``mem_error``, ``rule_error`` and, where defined, the overlaps ``m, q``.  Seeds are
children of one ``numpy.random.SeedSequence(seed)``: results depend only on
``(seed, seeds)``, not on how many processes run them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from ._validation import ParameterError, check_positive_int
from .data import sample_raf, sample_rule
from .estimators import SolverError, fit, ridge_path

__all__ = ["simulate", "simulate_many", "SimulationResult", "METRICS", "sign_errors", "lam_path"]

#: Measured quantities, in output order.
METRICS = ("gen_error", "mem_error", "rule_error", "m", "q")


def sign_errors(h, y):
    """Fraction of ``sign(h) != y``; an output of exactly 0 counts as an error (nan if empty)."""
    h, y = np.asarray(h), np.asarray(y)
    return float(np.mean(~(y * h > 0))) if y.size else math.nan


def _repetition(setting, d, n_test, seed_seq):
    """Training data, test set and the learner's own generator of one repetition."""
    data_ss, model_ss, test_ss = seed_seq.spawn(3)
    data = sample_raf(d=d, alpha=setting.alpha, eps=setting.eps, rng=np.random.default_rng(data_ss))
    X_test, y_test = sample_rule(w_star=data.w_star, n=n_test, rng=np.random.default_rng(test_ss))
    return data, X_test, y_test, np.random.default_rng(model_ss)


def _one_run(setting, d, n_test, seed_seq):
    data, X_test, y_test, model_rng = _repetition(setting, d, n_test, seed_seq)
    try:
        model = fit(setting, data, rng=model_rng)
    except SolverError as e:  # keep the other repetitions; this one is reported as failed
        return {k: math.nan for k in METRICS}, {"error": str(e)}
    out = {
        "gen_error": sign_errors(model.decision(X_test), y_test),
        "mem_error": sign_errors(model.h_train[data.is_fact], data.y[data.is_fact]),
        "rule_error": sign_errors(model.h_train[~data.is_fact], data.y[~data.is_fact]),
        "m": math.nan, "q": math.nan,
    }
    if model.w is not None:
        out["m"] = float(model.w @ data.w_star / d)
        out["q"] = float(model.w @ model.w / d)
    return out, model.info


@dataclass(frozen=True)
class SimulationResult:
    """Mean and standard error over seeds of a finite-size experiment.

    Attributes
    ----------
    setting : Setting
    d, n_test, seed : int
    values : dict
        ``{metric: ndarray of shape (seeds,)}``, one value per seed.
    info : list of dict
        Solver and certificate of each seed (``duality_gap``, ``grad_norm``, ...).
    """

    setting: object
    d: int
    n_test: int
    seed: int
    values: dict
    info: list = field(default_factory=list)

    @property
    def n_seeds(self) -> int:
        return len(self.values["gen_error"])

    @property
    def n_failed(self) -> int:
        """Repetitions whose solver failed its certificate (excluded from the statistics)."""
        return sum("error" in i for i in self.info)

    def _ok(self, metric):
        v = np.asarray(self.values[metric], dtype=float)
        ok = np.array(["error" not in i for i in self.info], bool) if self.info else np.ones(len(v), bool)
        return v[ok]

    def mean(self, metric):
        v = self._ok(metric)
        return float(np.mean(v)) if v.size else math.nan

    def se(self, metric):
        """Standard error of the mean over the successful seeds (``nan`` with fewer than two)."""
        v = self._ok(metric)
        return float(np.std(v, ddof=1) / np.sqrt(len(v))) if len(v) > 1 else math.nan

    def __getattr__(self, name):
        vals = self.__dict__.get("values", {})
        if name in vals:
            return self.mean(name)
        if name.endswith("_se") and name[:-3] in vals:
            return self.se(name[:-3])
        raise AttributeError(name)

    def to_dict(self) -> dict:
        """Flat dict: parameters, ``d, seeds, n_test``, and ``metric, metric_se`` for each metric."""
        out = {"model": self.setting.learner.name, "loss": self.setting.loss.name}
        out.update(self.setting.params())
        out.update(d=self.d, seeds=self.n_seeds, failed=self.n_failed, n_test=self.n_test, seed=self.seed)
        for k in METRICS:
            out[k] = self.mean(k)
            out[f"{k}_se"] = self.se(k)
        return out


def _check(d, seeds, n_test, seed):
    d = check_positive_int("d", d)
    seeds = check_positive_int("seeds", seeds)
    n_test = check_positive_int("n_test", n_test)
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ParameterError("seed", f"must be a non-negative integer, got {seed!r}")
    return d, seeds, n_test, int(seed)


#: Largest n x n matrix (bytes) a simulation may build (kernels, and the SVM dual).
MAX_MATRIX_BYTES = 4 * 2**30


def _check_size(setting, d):
    n = max(1, int(round(setting.alpha * d)))
    # kernels, and the hard-margin SVM dual at lam = 0, work on n x n matrices
    dense_nn = setting.learner.name == "kernel" or (setting.lam == 0 and setting.loss.name != "square")
    if dense_nn and 8 * n * n > MAX_MATRIX_BYTES:
        raise ParameterError("d", f"alpha d = {n} training samples need a {n} x {n} matrix "
                                  f"({8 * n * n / 2**30:.0f} GiB, more than {MAX_MATRIX_BYTES / 2**30:.0f} GiB); "
                                  "use a smaller d")


def simulate(setting, *, d=500, seeds=4, n_test=10_000, seed=0, n_jobs=None) -> SimulationResult:
    """Simulate ``setting`` at dimension ``d`` over ``seeds`` independent samples.

    Parameters
    ----------
    setting : Setting
    d : int
        Input dimension (``n = round(alpha d)`` training samples).
    seeds : int
        Number of independent repetitions (data, learner randomness, test set).
    n_test : int
        Fresh rule samples per repetition for ``gen_error``.
    seed : int
        Base seed; repetition ``i`` uses child ``i`` of ``SeedSequence(seed)``.
    n_jobs : int, optional
        Processes for the repetitions (joblib; ``None`` or 1: in this process,
        ``-1``: all cores).  Results do not depend on it.

    Returns
    -------
    SimulationResult

    A repetition whose solver fails its optimality certificate is kept out of the
    statistics and counted in ``n_failed`` (its ``info`` has the ``error``).
    """
    return simulate_many([setting], d=d, seeds=seeds, n_test=n_test, seed=seed, n_jobs=n_jobs)[0]


def simulate_many(settings, *, d=500, seeds=4, n_test=10_000, seed=0, n_jobs=None, progress=None):
    """:func:`simulate` for many settings (every repetition of every setting in one pool)."""
    d, seeds, n_test, seed = _check(d, seeds, n_test, seed)
    settings = list(settings)
    for s in settings:
        _check_size(s, d)
    children = np.random.SeedSequence(seed).spawn(seeds)
    tasks = [(i, s, c) for i, s in enumerate(settings) for c in children]
    if n_jobs in (None, 1) or len(tasks) == 1:
        it = tasks
        if progress:
            from tqdm.auto import tqdm

            it = tqdm(tasks, desc="simulate", unit="run", leave=False)
        outs = [_one_run(s, d, n_test, c) for _, s, c in it]
    else:
        from joblib import Parallel, delayed

        outs = Parallel(n_jobs=n_jobs)(delayed(_one_run)(s, d, n_test, c) for _, s, c in tasks)
    results = []
    for i, s in enumerate(settings):
        runs = outs[i * seeds:(i + 1) * seeds]
        values = {k: np.array([r[0][k] for r in runs]) for k in METRICS}
        results.append(SimulationResult(s, d, n_test, seed, values, [r[1] for r in runs]))
    return results


def lam_path(setting, lams, *, d=500, seeds=4, n_test=10_000, seed=0):
    """Square-loss simulations for many ``lam`` at once (one eigendecomposition per seed).

    Returns one :class:`SimulationResult` per ``lam`` (``setting.lam`` is ignored);
    equal, up to rounding, to :func:`simulate` at each ``lam`` with the same seeds.
    """
    if setting.loss.name != "square":
        raise ParameterError("loss", f"a lam path needs the square loss, got {setting.loss.name!r}")
    d, seeds, n_test, seed = _check(d, seeds, n_test, seed)
    lams = [float(l) for l in lams]
    vals = [{k: [] for k in METRICS} for _ in lams]
    for c in np.random.SeedSequence(seed).spawn(seeds):
        data, X_test, y_test, model_rng = _repetition(setting, d, n_test, c)
        Htr, Hte = ridge_path(setting, data, lams, rng=model_rng, X_test=X_test)
        for j in range(len(lams)):
            v = vals[j]
            v["gen_error"].append(sign_errors(Hte[j], y_test))
            v["mem_error"].append(sign_errors(Htr[j][data.is_fact], data.y[data.is_fact]))
            v["rule_error"].append(sign_errors(Htr[j][~data.is_fact], data.y[~data.is_fact]))
            v["m"].append(math.nan)
            v["q"].append(math.nan)
    return [SimulationResult(setting.replace(lam=l), d, n_test, seed, {k: np.array(x) for k, x in v.items()})
            for l, v in zip(lams, vals)]
