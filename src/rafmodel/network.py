"""Trained two-layer networks on RAF data: errors with error bars, training curves, and the
random-features theory of the readout mode.

:func:`train_network` trains a :class:`rafmodel.Network` (through the estimator registered
for it, ``rafmodel.estimators.network``) on the same data sources and with the same seeds as
:func:`rafmodel.simulate` (repetition ``i``: children ``(i, 0)`` data, ``(i, 1)`` the
network's initialization, ``(i, 2)`` the test set), records the errors along training, and,
for ``train="readout"``, adds the exact random-features theory of the same activation
(``gen_error_theory``, ``mem_error_theory``).  Needs the extra ``rafmodel[nn]`` (jax, optax).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from ._validation import ParameterError, validate_params
from .learners import Network
from .tables import Tabular, records_to_frame

if TYPE_CHECKING:  # for the annotations only
    import pandas as pd

    from .data import DataSource
    from .setting import Setting

__all__ = ["train_network", "network_grid", "NetworkResult", "Network", "CURVE_METRICS"]

#: Metrics of a network run, in output order.
CURVE_METRICS = ("gen_error", "mem_error", "rule_error", "train_loss")


class NetworkResult(Tabular):
    """Rows (one per setting) and training curves of :func:`train_network`.

    Parameters
    ----------
    rows : list of dict
        One flat record per setting (see ``rows`` below).
    curves : list of dict
        One record per setting, repetition and recorded step.

    Attributes
    ----------
    rows : list of dict
        Per setting: ``model, loss``, the network's options, ``alpha, eps, lam, kappa``,
        ``d, seeds, failed, n_test, seed, device``, the mean and standard error of
        ``gen_error, mem_error, rule_error, train_loss``, ``steps``, the worst certificate
        (``grad_norm`` or ``duality_gap``) and, for readout, ``gen_error_theory``,
        ``mem_error_theory``.
    curves : pandas.DataFrame
        One row per setting, repetition and recorded step: ``point`` (index of the
        setting), ``repetition``, ``step``, ``train_loss``, ``gen_error``, ``mem_error``,
        ``rule_error`` and the setting's parameters.
    """

    def __init__(self, rows: list[dict[str, Any]], curves: list[dict[str, Any]]) -> None:
        self.rows = rows
        self._curves = curves

    @property
    def curves(self) -> pd.DataFrame:
        """The training curves as a DataFrame (see the class attributes)."""
        return records_to_frame(self._curves)

    def to_records(self) -> list[dict[str, Any]]:
        """One flat dict per setting.

        Returns
        -------
        list of dict
            :attr:`rows`.
        """
        return list(self.rows)

    def __len__(self):
        return len(self.rows)

    def __repr__(self):
        return f"NetworkResult({len(self.rows)} settings, {len(self._curves)} curve points)"


def _settings(settings):
    from .setting import Setting

    if isinstance(settings, Setting):
        settings = [settings]
    try:
        settings = list(settings)
    except TypeError:
        raise ParameterError("settings", f"must be a Setting or a sequence of them, got {settings!r}") from None
    for s in settings:
        if not isinstance(s, Setting) or not isinstance(s.learner, Network):
            raise ParameterError("settings", f"must be rafmodel.Setting objects with a Network learner, got {s!r}")
    if not settings:
        raise ParameterError("settings", "must not be empty")
    return settings


def network_grid(*, alpha: Sequence[float], eps: Sequence[float], lam: Sequence[float], kappa: Sequence[float],
                 loss: Any, activation: Sequence[str] = ("relu",), train: Sequence[str] = ("readout",),
                 scaling: Sequence[str] = ("lazy",), optimizer: Sequence[str] = ("gd",),
                 steps: Sequence[int] = (2000,), lr: Sequence[float] = (1.0,), device: str = "auto") -> list[Setting]:
    """Settings of networks for every combination of the values, as ``raf network`` trains them.

    A readout network ignores ``scaling``, ``optimizer``, ``steps`` and ``lr`` (its first layer is
    frozen): it gets their first values only, so that a list of them adds no copies of it.

    Parameters
    ----------
    alpha, eps, lam, kappa : sequence of float
        As for :class:`rafmodel.Setting` and :class:`rafmodel.Network`.
    loss : str or Loss
        The loss of every point.
    activation, train, scaling, optimizer : sequence of str
        As for :class:`rafmodel.Network`.
    steps : sequence of int
        Training steps (``train="all"``).
    lr : sequence of float
        Base learning rates (``train="all"``).
    device : str, default="auto"
        As for :class:`rafmodel.Network`.

    Returns
    -------
    list of Setting
        ``alpha``, ``eps``, ``lam`` varying slowest, then ``activation``, ``train``, ``kappa``,
        then ``scaling``, ``optimizer``, ``steps``, ``lr``.

    Raises
    ------
    ParameterError
        A bad value (as :class:`rafmodel.Network` and :class:`rafmodel.Setting` say).
    """
    import itertools

    from .setting import Setting

    out = []
    for a, e, la in itertools.product(alpha, eps, lam):
        for act, tr, kap in itertools.product(activation, train, kappa):
            readout = tr.lower() == "readout"
            for sc, opt, st, rate in itertools.product(scaling[:1] if readout else scaling,
                                                       optimizer[:1] if readout else optimizer,
                                                       steps[:1] if readout else steps, lr[:1] if readout else lr):
                net = Network(kappa=kap, activation=act, train=tr, scaling=sc, optimizer=opt, steps=int(st), lr=rate,
                              device=device)
                out.append(Setting(alpha=a, eps=e, lam=la, learner=net, loss=loss))
    return out


def _theory(setting):
    from .theory import solve

    r = solve(setting.replace(learner=setting.learner.random_features()))
    ok = bool(r.converged)
    return (float(r.gen_error) if ok else math.nan), (float(r.mem_error) if ok else math.nan)


def _mean_se(v):
    v = np.asarray(v, dtype=float)
    v = v[np.isfinite(v)]
    if not v.size:
        return math.nan, math.nan
    return float(v.mean()), (float(v.std(ddof=1) / math.sqrt(v.size)) if v.size > 1 else math.nan)


@validate_params("train_network", exempt={"settings": "checked by _settings",
                                          "data": "a DataSource, checked by _source",
                                          "theory": "a flag", "progress": "a flag (None: when a terminal is attached)"})
def train_network(settings: Setting | Sequence[Setting], *, d: int = 100, seeds: int = 4, n_test: int = 10_000,
                  seed: int = 0, data: DataSource | None = None, record_every: int | None = None,
                  theory: bool = True, progress: bool | None = None) -> NetworkResult:
    """Train networks on RAF data over ``seeds`` repetitions; errors, curves and the readout theory.

    Parameters
    ----------
    settings : Setting or sequence of Setting
        Points whose learner is a :class:`rafmodel.Network`.
    d : int, default=100
        Input dimension of the Gaussian data (ignored with ``data``).
    seeds : int, default=4
        Independent repetitions (data, initialization, test set).
    n_test : int, default=10000
        Fresh rule samples per repetition (ignored with ``data``).
    seed : int, default=0
        Base seed; the same streams as :func:`rafmodel.simulate`.
    data : DataSource, optional
        Where the data come from (default ``GaussianRAF(d=d, n_test=n_test)``).
    record_every : int, optional
        Steps between two points of the training curves (default ``steps / 20``).
    theory : bool, default=True
        Add the random-features theory for ``train="readout"`` points.
    progress : bool, optional
        A progress bar on stderr (one tick per trained network).

    Returns
    -------
    NetworkResult
        The table (``to_frame()``, ``to_csv()`` ...) and ``curves``.

    Raises
    ------
    ParameterError
        Bad input, or jax / optax not installed (``pip install 'rafmodel[nn]'``).

    Examples
    --------
    >>> import rafmodel as rm
    >>> s = rm.Setting(alpha=1.0, eps=0.2, lam=0.1, learner=rm.Network(kappa=1.0, train="all", steps=50))
    >>> res = rm.train_network(s, d=20, seeds=2, n_test=200)  # doctest: +SKIP
    >>> res.to_frame()[["gen_error", "mem_error", "steps"]].shape  # doctest: +SKIP
    (1, 3)
    """
    from .data import child_seed
    from .estimators import estimator_for
    from .estimators.network import device_name
    from .exceptions import SolverError
    from .simulation import _source, repetition_seed

    settings = _settings(settings)
    from ._validation import check_count

    check_count("seeds", len(settings) * seeds, what="trainings (points x seeds)",
                hint="use fewer seeds or fewer points")
    source = _source(data, d, n_test)
    estimators = []
    from .data.gaussian import MAX_ARRAY_BYTES

    for s in settings:
        source.check(s)
        est = estimator_for(s)
        if hasattr(est, "check"):
            est.check(*source.shape(s), MAX_ARRAY_BYTES)
        estimators.append(est)
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=len(settings) * seeds, desc="train", unit="net", leave=False)
    rows, curves = [], []
    try:
        for k, (s, est) in enumerate(zip(settings, estimators)):
            vals = {m: [] for m in CURVE_METRICS}
            certs, infos = [], []
            for i in range(seeds):
                ss = repetition_seed(seed, i)
                train, test = source.sample(s, ss)
                try:
                    fitted = est.fit(train, np.random.default_rng(child_seed(ss, 1)), test=test,
                                     record_every=record_every)
                except SolverError as e:
                    infos.append({"error": str(e)})
                    for m in CURVE_METRICS:
                        vals[m].append(math.nan)
                    if bar is not None:
                        bar.update()
                    continue
                from .simulation import sign_errors

                info = fitted.info
                infos.append(info)
                vals["gen_error"].append(sign_errors(fitted.decision(test.X), test.y))
                fact = train.is_fact
                vals["mem_error"].append(sign_errors(fitted.h_train[fact], train.y[fact]))
                vals["rule_error"].append(sign_errors(fitted.h_train[~fact], train.y[~fact]))
                vals["train_loss"].append(info["train_loss"])
                certs.append(info.get("grad_norm", info.get("duality_gap", math.nan)))
                for c in info["curve"]:
                    curves.append({"point": k, "repetition": i, **s.params(), **s.labels(), **c})
                if bar is not None:
                    bar.update()
            ok = [i for i in infos if "error" not in i]
            row = {"model": "network", "loss": s.loss.name, **s.labels(), **s.params(),
                   "d": getattr(source, "d", None), "seeds": seeds, "failed": len(infos) - len(ok),
                   "n_test": getattr(source, "n_test", None), "seed": seed,
                   "device": device_name(est.device), "solver": ok[0]["solver"] if ok else ""}
            for m in CURVE_METRICS:
                row[m], row[f"{m}_se"] = _mean_se(vals[m])
            row["steps"] = s.learner.steps if s.learner.train == "all" else 0
            certs = [c for c in certs if math.isfinite(c)]
            row["certificate"] = float(max(certs)) if certs else math.nan
            if s.learner.train == "readout" and theory:
                row["gen_error_theory"], row["mem_error_theory"] = _theory(s)
            rows.append(row)
    finally:
        if bar is not None:
            bar.close()
    return NetworkResult(rows, curves)
