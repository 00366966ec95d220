"""Result objects of the theory engine."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from ..exceptions import ConvergenceError
from ..tables import Tabular

if TYPE_CHECKING:  # for the annotations only
    from ..setting import Setting

__all__ = ["TheoryResult", "TheoryResults", "ConvergenceError", "RESULT_FIELDS"]

#: Order parameters, conjugates and errors carried by every result, in output order.
RESULT_FIELDS = ("m", "q", "V", "mhat", "qhat", "Vhat", "gen_error", "mem_error", "rule_error")


@dataclass(frozen=True)
class TheoryResult:
    """Asymptotic solution of one setting.

    Attributes
    ----------
    setting : Setting
        The solved point.
    m, q, V : float
        Order parameters of the learner (see :mod:`rafmodel.learners` for their
        meaning per learner); at ``lam = 0`` on the interpolating side ``V`` is
        the rescaled ``lam V``.
    mhat, qhat, Vhat : float
        Conjugate parameters (rescaled by ``lam``, ``lam^2``, ``lam`` when interpolating).
    gen_error, mem_error, rule_error : float
        Generalization error on fresh rule data, training error on the facts, and
        training error on the rule samples.
    converged : bool
        Whether the fixed point was reached (``residual < tol``).
    iterations : int
        Iterations spent, over all attempts.
    residual : float
        Last change of ``(atanh(m/sqrt q), log q, log V)`` under the map.
    interpolating : bool
        ``True`` when ``lam = 0`` and the learner fits every training label
        (min-norm interpolator / max-margin).
    extra : dict of str to float
        Further order parameters of learners with more than ``m, q, V`` (and
        their conjugates), e.g. ``qw, Vw, qwhat, Vwhat`` for random features.

    Non-converged results carry ``nan`` in every order parameter and error.

    Examples
    --------
    >>> import rafmodel as rm
    >>> r = rm.solve(rm.Setting(alpha=2.0, eps=0.2, lam=0.1))
    >>> r.converged, round(r.gen_error, 4), round(r.m / r.q ** 0.5, 4)
    (True, 0.2682, 0.6655)
    """

    setting: Setting
    m: float
    q: float
    V: float
    mhat: float
    qhat: float
    Vhat: float
    gen_error: float
    mem_error: float
    rule_error: float
    converged: bool
    iterations: int
    residual: float
    interpolating: bool
    extra: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """Flat dict: learner, loss, parameters, results and diagnostics.

        Returns
        -------
        dict
            ``model``, ``loss``, the learner's labels, the parameters, the fields of
            :data:`RESULT_FIELDS`, ``extra``, then ``converged``, ``iterations``,
            ``residual`` and ``interpolating``.
        """
        out = {"model": self.setting.learner.name, "loss": self.setting.loss.name}
        out.update(self.setting.labels())
        out.update(self.setting.params())
        for k in RESULT_FIELDS:
            out[k] = getattr(self, k)
        out.update(self.extra)
        out.update(converged=self.converged, iterations=self.iterations,
                   residual=self.residual, interpolating=self.interpolating)
        return out


@dataclass
class TheoryResults(Tabular):
    """Solutions of many settings (same order as the input).

    Each column is an array of shape ``(N,)``: ``results.gen_error``,
    ``results.converged`` ...; ``results[i]`` is a :class:`TheoryResult`.
    ``to_records()``, ``to_frame()`` (a pandas DataFrame), ``to_csv()``,
    ``to_json()`` and ``to_table()`` give one row per setting.

    Attributes
    ----------
    settings : list of Setting
        The ``N`` solved points.
    columns : dict of str to ndarray of shape (N,)
        Every field of :class:`TheoryResult` but ``setting`` and ``extra`` (whose
        entries are columns of their own), as attributes too.

    Examples
    --------
    >>> import rafmodel as rm
    >>> res = rm.solve_many(rm.grid(alpha=[1, 2], eps=0.2, lam=0.1))
    >>> res.to_frame()[["alpha", "gen_error", "converged"]].round(4)
       alpha  gen_error  converged
    0    1.0     0.3392       True
    1    2.0     0.2682       True
    """

    settings: list[Setting]
    columns: dict[str, np.ndarray] = field(repr=False)

    def __len__(self):
        return len(self.settings)

    def __getitem__(self, i: int) -> TheoryResult:
        c = self.columns
        from .maps import learner_map

        lrn = self.settings[i].learner
        if getattr(lrn, "name", None) == "bayes":  # no map: m, q, V and their conjugates only
            names = ()
        else:
            lmap = learner_map(lrn)
            names = (*lmap.state_names[3:], *lmap.hat_names[3:])
        return TheoryResult(
            extra={k: float(c[k][i]) for k in names},
            setting=self.settings[i],
            **{k: float(c[k][i]) for k in RESULT_FIELDS},
            converged=bool(c["converged"][i]), iterations=int(c["iterations"][i]),
            residual=float(c["residual"][i]), interpolating=bool(c["interpolating"][i]))

    def __iter__(self) -> Iterator[TheoryResult]:
        return (self[i] for i in range(len(self)))

    def __getattr__(self, name):
        cols = self.__dict__.get("columns", {})
        if name in cols:
            return cols[name]
        raise AttributeError(name)

    @property
    def all_converged(self) -> bool:
        """Whether every point converged (``True`` for no points)."""
        return bool(np.all(self.columns["converged"]))

    def to_records(self) -> list[dict[str, Any]]:
        """One flat dict per setting (see :meth:`TheoryResult.to_dict`).

        Returns
        -------
        list of dict
            In the order of the settings.
        """
        return [r.to_dict() for r in self]
