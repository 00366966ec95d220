"""Finite-size simulations of the RAF model, with error bars over repetitions.

:func:`simulate` draws a training and a test set from a data source (by default
:class:`rafmodel.data.GaussianRAF`, the data of the theory, at dimension ``d``)
for each of ``seeds`` repetitions, trains the estimator of a
:class:`rafmodel.Setting` (:func:`rafmodel.estimators.estimator_for`) and reports
the mean and standard error of ``gen_error`` (on the test set), ``mem_error``,
``rule_error`` and, where defined, the overlaps ``m, q``.

Seeds: repetition ``i`` of a point uses ``numpy.random.SeedSequence(seed,
spawn_key=(i,))`` and its children (data, learner, test set), built as pure
functions.  A point's numbers therefore depend only on its setting, the data
source (``d``, ``n_test``), ``seeds`` and ``seed``: not on the other points of a
sweep, their order, or the number of processes.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from ._parallel import effective_jobs, worker_pool  # noqa: F401 (re-exported: the pool of the simulations)
from ._validation import validate_params
from .data import GaussianRAF, child_seed
from .data.gaussian import MAX_ARRAY_BYTES
from .estimators import estimator_for, ridge_path
from .estimators.base import sign_errors
from .exceptions import ParameterError, SolverError
from .tables import Tabular

if TYPE_CHECKING:  # for the annotations only
    from numpy.typing import ArrayLike

    from .data import DataSource
    from .setting import Setting

__all__ = ["simulate", "simulate_many", "lam_path", "SimulationResult", "SimulationResults", "METRICS",
           "sign_errors", "repetition_seed", "effective_jobs", "check_simulation"]

#: Measured quantities, in output order.
METRICS = ("gen_error", "mem_error", "rule_error", "m", "q")


def repetition_seed(seed: int, i: int) -> np.random.SeedSequence:
    """The ``SeedSequence`` of repetition ``i`` of every point simulated with base ``seed``.

    Parameters
    ----------
    seed : int
        Base seed, ``>= 0``.
    i : int
        Index of the repetition.

    Returns
    -------
    numpy.random.SeedSequence
        ``SeedSequence(seed, spawn_key=(i,))``; its children ``(0,)``, ``(1,)``, ``(2,)``
        draw the training set, the learner's randomness and the test set.
    """
    return np.random.SeedSequence(seed, spawn_key=(i,))


def _metrics(fitted, train, test):
    out = {
        "gen_error": sign_errors(fitted.decision(test.X), test.y),
        "mem_error": sign_errors(fitted.h_train[train.is_fact], train.y[train.is_fact]),
        "rule_error": sign_errors(fitted.h_train[~train.is_fact], train.y[~train.is_fact]),
        "m": math.nan, "q": math.nan,
    }
    if fitted.w is not None and train.w_star is not None:
        d = train.d
        sw = fitted.w if train.variances is None else fitted.w * train.variances  # Sigma w
        out["m"] = float(sw @ train.w_star / d)
        out["q"] = float(sw @ fitted.w / d)
    return out


def _one_run(setting, source, seed, i):
    """One repetition: its data, its fit, its metrics and certificate."""
    ss = repetition_seed(seed, i)
    train, test = source.sample(setting, ss)
    try:
        fitted = estimator_for(setting).fit(train, np.random.default_rng(child_seed(ss, 1)))
    except SolverError as e:  # keep the other repetitions; this one is reported as failed
        return {k: math.nan for k in METRICS}, {"error": str(e)}
    return _metrics(fitted, train, test), fitted.info


@dataclass(frozen=True)
class SimulationResult:
    """Mean and standard error over repetitions of a finite-size experiment.

    Attributes
    ----------
    setting : Setting
        The simulated point.
    d, n_test : int or None
        Input dimension and test samples per repetition (``None`` for a data source
        without ``d`` or ``n_test`` attributes).
    seed : int
        Base seed.
    values : dict of str to ndarray of shape (seeds,)
        ``{metric: values}`` for each of :data:`METRICS`, one value per repetition
        (``nan`` for a failed repetition, and for ``m, q`` where not defined).
    info : list of dict
        The solver and certificate of each repetition (``solver``, ``duality_gap``,
        ``grad_norm``, ``separable``; ``error`` for a failed one).

    Notes
    -----
    ``result.gen_error``, ``result.gen_error_se`` (and likewise for every metric)
    are the mean and standard error over the successful repetitions.
    """

    setting: Setting
    d: int | None
    n_test: int | None
    seed: int
    values: dict[str, np.ndarray]
    info: list[dict[str, Any]] = field(default_factory=list)

    @property
    def n_seeds(self) -> int:
        """Number of repetitions."""
        return len(self.values["gen_error"])

    @property
    def n_failed(self) -> int:
        """Repetitions whose solver failed its certificate (excluded from the statistics)."""
        return sum("error" in i for i in self.info)

    def _ok(self, metric):
        v = np.asarray(self.values[metric], dtype=float)
        ok = np.array(["error" not in i for i in self.info], bool) if self.info else np.ones(len(v), bool)
        return v[ok]

    def mean(self, metric: str) -> float:
        """Mean of ``metric`` over the successful repetitions (``nan`` if none).

        Parameters
        ----------
        metric : str
            One of :data:`METRICS` (``gen_error``, ``mem_error``, ``rule_error``, ``m``, ``q``).

        Returns
        -------
        float
            The mean (``result.<metric>`` is the same).

        Raises
        ------
        KeyError
            An unknown metric.
        """
        v = self._ok(metric)
        return float(np.mean(v)) if v.size else math.nan

    def se(self, metric: str) -> float:
        """Standard error of the mean over the successful repetitions (``nan`` with fewer than two).

        Parameters
        ----------
        metric : str
            One of :data:`METRICS`.

        Returns
        -------
        float
            ``std(values, ddof=1) / sqrt(count)`` (``result.<metric>_se`` is the same).

        Raises
        ------
        KeyError
            An unknown metric.
        """
        v = self._ok(metric)
        return float(np.std(v, ddof=1) / np.sqrt(len(v))) if len(v) > 1 else math.nan

    def __getattr__(self, name):
        vals = self.__dict__.get("values", {})
        if name in vals:
            return self.mean(name)
        if name.endswith("_se") and name[:-3] in vals:
            return self.se(name[:-3])
        raise AttributeError(name)

    def to_dict(self) -> dict[str, Any]:
        """Flat dict: parameters, ``d, seeds, failed, n_test, seed``, and ``metric, metric_se`` for each metric.

        Returns
        -------
        dict
            ``model``, ``loss``, the learner's labels (:meth:`Setting.labels`), the
            parameters, the sizes and seed, then the mean and standard error of each metric.
        """
        out = {"model": self.setting.learner.name, "loss": self.setting.loss.name}
        out.update(self.setting.labels())
        out.update(self.setting.params())
        out.update(d=self.d, seeds=self.n_seeds, failed=self.n_failed, n_test=self.n_test, seed=self.seed)
        for k in METRICS:
            out[k] = self.mean(k)
            out[f"{k}_se"] = self.se(k)
        return out


class SimulationResults(list, Tabular):
    """A list of :class:`SimulationResult` (same order as the settings) with table outputs.

    ``to_records()`` gives one flat dict per point; ``to_frame()``, ``to_csv()``,
    ``to_json()``, ``to_table()`` the same as a DataFrame or text.
    """

    def to_records(self) -> list[dict[str, Any]]:
        """One :meth:`SimulationResult.to_dict` per point.

        Returns
        -------
        list of dict
            In the order of the points.
        """
        return [r.to_dict() for r in self]

    @property
    def n_failed(self) -> int:
        """Failed repetitions over all points."""
        return sum(r.n_failed for r in self)


def _run_tasks(tasks, source, seed, jobs, bar):
    """Every repetition, in order; in ``jobs`` worker processes when ``jobs > 1``.

    The workers end with the command: they are killed if the parent dies, and a
    Ctrl-C in the parent cancels what is pending and stops them.
    """
    if jobs == 1:
        outs = []
        for s, i in tasks:
            outs.append(_one_run(s, source, seed, i))
            if bar is not None:
                bar.update()
        return outs
    from concurrent.futures import as_completed

    outs = [None] * len(tasks)
    kinds = {(id(s.learner), id(s.loss)): (s.learner, s.loss) for s, _ in tasks}  # what the tasks carry
    with worker_pool(jobs, payload=(source, list(kinds.values()))) as pool:
        futures = {pool.submit(_one_run, s, source, seed, i): k for k, (s, i) in enumerate(tasks)}
        for fut in as_completed(futures):
            outs[futures[fut]] = fut.result()
            if bar is not None:
                bar.update()
    return outs


def _check_all(settings, source, seeds=1):
    from ._validation import check_count

    check_count("seeds", len(settings) * seeds, what="repetitions (points x seeds)",
                hint="use fewer seeds or fewer points")
    for s in settings:
        source.check(s)
        est = estimator_for(s)
        if hasattr(est, "check"):
            n, d, n_test = source.shape(s)
            est.check(n, d, n_test, MAX_ARRAY_BYTES)


def _source(data, d, n_test):
    if data is None:
        return GaussianRAF(d=d, n_test=n_test)
    for m in ("sample", "check", "shape", "key"):
        if not callable(getattr(data, m, None)):
            raise ParameterError("data", f"must be a data source with a {m}() method (see rafmodel.data), "
                                         f"got {data!r}")
    return data


def _settings_list(settings):
    from .setting import Setting

    if isinstance(settings, Setting):
        raise ParameterError("settings", "must be a sequence of rafmodel.Setting; use simulate() for one")
    try:
        settings = list(settings)
    except TypeError:
        raise ParameterError("settings", f"must be a sequence of rafmodel.Setting, got {settings!r}") from None
    for s in settings:
        if not isinstance(s, Setting):
            raise ParameterError("settings", f"must be rafmodel.Setting objects, got {s!r}")
    return settings


@validate_params("simulate", exempt={"settings": "checked by _settings_list",
                                     "data": "a DataSource, checked by _source"})
def check_simulation(settings: Sequence[Setting], *, d: int = 500, seeds: int = 4, n_test: int = 10_000,
                     seed: int = 0, n_jobs: int | None = None, data: DataSource | None = None) -> None:
    """Validate every simulation argument and size, without simulating.

    Parameters
    ----------
    settings : sequence of Setting
        The points to be simulated.
    d, seeds, n_test, seed : int
        As for :func:`simulate`.
    n_jobs : int, optional
        As for :func:`simulate`.
    data : DataSource, optional
        As for :func:`simulate`.

    Raises
    ------
    ParameterError
        The first bad input, or a size whose arrays would not fit in memory.
    """
    settings = _settings_list(settings)
    _check_all(settings, _source(data, d, n_test), seeds)


@validate_params("simulate", exempt={"setting": "must be a Setting, checked first in the body",
                                     "data": "a DataSource, checked by _source",
                                     "progress": "a flag (None: when a terminal is attached)"})
def simulate(setting: Setting, *, d: int = 500, seeds: int = 4, n_test: int = 10_000, seed: int = 0,
             n_jobs: int | None = None, data: DataSource | None = None,
             progress: bool | None = None) -> SimulationResult:
    """Simulate ``setting`` at finite size over ``seeds`` independent repetitions.

    Parameters
    ----------
    setting : Setting
        The point: ``alpha, eps, lam``, the learner and the loss.
    d : int, default=500
        Input dimension of the Gaussian data (``n = round(alpha d)`` training samples).
    seeds : int, default=4
        Number of independent repetitions (data, learner randomness, test set).
    n_test : int, default=10000
        Fresh rule samples per repetition for ``gen_error``.
    seed : int, default=0
        Base seed, ``>= 0``; repetition ``i`` uses ``SeedSequence(seed, spawn_key=(i,))``.
    n_jobs : int, optional
        Processes for the repetitions (``None`` or 1: this process; ``-1``: all
        cores; capped at the cores available).  Results do not depend on it.
    data : DataSource, optional
        Where the data come from (see :mod:`rafmodel.data`); default
        ``GaussianRAF(d=d, n_test=n_test)``.
    progress : bool, optional
        A progress bar on stderr.

    Returns
    -------
    SimulationResult
        A repetition whose solver fails its certificate is kept out of the
        statistics and counted in ``n_failed`` (its ``info`` has the ``error``).

    Raises
    ------
    ParameterError
        Bad input, or sizes whose arrays would not fit in memory (before any work).

    See Also
    --------
    simulate_many : many settings in one pool of processes.
    lam_path : many ``lam`` of the square loss at the cost of one.

    Examples
    --------
    >>> import rafmodel as rm
    >>> sim = rm.simulate(rm.Setting(alpha=2.0, eps=0.2, lam=0.1), d=50, seeds=2, n_test=500)
    >>> sim.n_seeds, 0 < sim.gen_error < 0.5
    (2, True)
    """
    from .setting import Setting

    if not isinstance(setting, Setting):
        raise ParameterError("setting", f"must be a rafmodel.Setting, got {setting!r}")
    return simulate_many([setting], d=d, seeds=seeds, n_test=n_test, seed=seed, n_jobs=n_jobs, data=data,
                         progress=progress)[0]


@validate_params("simulate", exempt={"settings": "checked by _settings_list",
                                     "data": "a DataSource, checked by _source",
                                     "progress": "a flag (None: when a terminal is attached)"})
def simulate_many(settings: Sequence[Setting], *, d: int = 500, seeds: int = 4, n_test: int = 10_000,
                  seed: int = 0, n_jobs: int | None = None, data: DataSource | None = None,
                  progress: bool | None = None) -> SimulationResults:
    """Simulate many settings, every repetition of every point in one pool of processes.

    Parameters
    ----------
    settings : sequence of Setting
        The points (e.g. from :func:`rafmodel.grid`).
    d, seeds, n_test, seed : int
        As for :func:`simulate`.
    n_jobs : int, optional
        As for :func:`simulate`.
    data : DataSource, optional
        As for :func:`simulate`.
    progress : bool, optional
        As for :func:`simulate`.

    Returns
    -------
    SimulationResults
        One :class:`SimulationResult` per setting, in order; each equal to
        ``simulate`` of that setting alone.

    Raises
    ------
    ParameterError
        Bad input, or sizes whose arrays would not fit in memory (before any work).

    Examples
    --------
    >>> import rafmodel as rm
    >>> sims = rm.simulate_many(rm.grid(alpha=[1.0, 2.0], eps=0.2, lam=0.1), d=40, seeds=2, n_test=500)
    >>> sims.to_frame()[["alpha", "d", "seeds", "failed"]]
       alpha   d  seeds  failed
    0    1.0  40      2       0
    1    2.0  40      2       0
    >>> sims[1].gen_error == rm.simulate(sims[1].setting, d=40, seeds=2, n_test=500).gen_error
    True
    """
    settings = _settings_list(settings)
    source = _source(data, d, n_test)
    _check_all(settings, source, seeds)
    tasks = [(s, i) for s in settings for i in range(seeds)]
    jobs = effective_jobs(n_jobs, len(tasks))
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=len(tasks), desc="simulate", unit="fit", leave=False)
    try:
        outs = _run_tasks(tasks, source, seed, jobs, bar)
    finally:
        if bar is not None:
            bar.close()
    results = SimulationResults()
    for k, s in enumerate(settings):
        runs = outs[k * seeds:(k + 1) * seeds]
        values = {m: np.array([r[0][m] for r in runs]) for m in METRICS}
        results.append(SimulationResult(s, getattr(source, "d", None), getattr(source, "n_test", None), seed, values, [r[1] for r in runs]))
    return results


@validate_params("lam_path", exempt={"setting": "must be a Setting of the square loss, checked first in the body",
                                     "data": "a DataSource, checked by _source"})
def lam_path(setting: Setting, lams: ArrayLike, *, d: int = 500, seeds: int = 4, n_test: int = 10_000,
             seed: int = 0, data: DataSource | None = None) -> SimulationResults:
    """Square-loss simulations for many ``lam`` at once (one eigendecomposition per repetition).

    Parameters
    ----------
    setting : Setting
        A square-loss setting (its ``lam`` is ignored).
    lams : float or sequence of float
        Penalties ``>= 0``.
    d, seeds, n_test, seed : int
        As for :func:`simulate`.
    data : DataSource, optional
        As for :func:`simulate`.  The repetitions always run in this process.

    Returns
    -------
    SimulationResults
        One :class:`SimulationResult` per ``lam``; equal, up to rounding, to
        :func:`simulate` at each ``lam`` with the same seeds.  The overlaps ``m, q``
        are not measured (``nan``).

    Raises
    ------
    ParameterError
        A loss other than the square loss, a negative ``lam``, or another bad input
        (before any work).

    Examples
    --------
    >>> import rafmodel as rm
    >>> path = rm.lam_path(rm.Setting(alpha=2.0, eps=0.2, lam=0.0), [0.0, 0.1, 1.0], d=40, seeds=2, n_test=500)
    >>> [r.setting.lam for r in path]
    [0.0, 0.1, 1.0]
    >>> rm.simulate(path[2].setting, d=40, seeds=2, n_test=500).gen_error == path[2].gen_error
    True
    """
    from .setting import Setting

    if not isinstance(setting, Setting):
        raise ParameterError("setting", f"must be a rafmodel.Setting, got {setting!r}")
    if setting.loss.name != "square":
        raise ParameterError("loss", f"a lam path needs the square loss, got {setting.loss.name!r}")
    lams = [float(x) for x in np.atleast_1d(lams)]
    source = _source(data, d, n_test)
    _check_all([setting], source, seeds)
    from ._validation import check_count

    check_count("lams", len(lams) * seeds, what="evaluations (lams x seeds)", hint="use fewer lams or seeds")
    vals = [{k: [] for k in METRICS} for _ in lams]
    for i in range(seeds):
        ss = repetition_seed(seed, i)
        train, test = source.sample(setting, ss)
        Htr, Hte = ridge_path(setting, train, lams, rng=np.random.default_rng(child_seed(ss, 1)), X_test=test.X)
        for j in range(len(lams)):
            vj = vals[j]
            vj["gen_error"].append(sign_errors(Hte[j], test.y))
            vj["mem_error"].append(sign_errors(Htr[j][train.is_fact], train.y[train.is_fact]))
            vj["rule_error"].append(sign_errors(Htr[j][~train.is_fact], train.y[~train.is_fact]))
            vj["m"].append(math.nan)
            vj["q"].append(math.nan)
    return SimulationResults(
        SimulationResult(setting.replace(lam=lam), getattr(source, "d", None), getattr(source, "n_test", None),
                         seed, {k: np.array(x) for k, x in vj.items()}, [{"solver": "eigendecomposition"}] * seeds)
        for lam, vj in zip(lams, vals))
