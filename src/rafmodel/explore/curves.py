"""The explorer's numbers: the curves of a view, its reference lines, and their CSV.

:func:`compute` solves a :class:`~rafmodel.explore.state.View` with the public API only
(:func:`rafmodel.solve_many`, :func:`rafmodel.bayes_optimal`, :func:`rafmodel.alpha_c`, the
interpolation threshold of :mod:`rafmodel.theory.capacity`).  A point that did not converge
stays in the curves as ``nan`` (a gap in the plot) and is counted; it is never drawn as a number.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import math
from dataclasses import dataclass, field
from functools import lru_cache
from collections.abc import Iterator
from typing import Any

import numpy as np

from ..exceptions import ParameterError
from .state import View

__all__ = ["Curves", "compute", "optimal_points", "stored_points", "phase_diagram", "PHASE_RANGE", "ERRORS"]

#: The error curves of the theory, in the order drawn.
ERRORS = ("gen_error", "mem_error", "rule_error")


@dataclass
class Curves:
    """The curves of one view.

    Attributes
    ----------
    view : View
        The view they are of.
    x : ndarray of shape (n,)
        The points of the x-axis.
    columns : dict of str to ndarray of shape (n,)
        ``gen_error``, ``mem_error``, ``rule_error`` (``nan`` where not converged), ``converged``
        and ``bayes_gen_error`` (the Bayes-optimal error at the same ``alpha``, ``eps``; ``nan``
        where its fixed point did not converge).
    result : TheoryResults
        What :func:`rafmodel.solve_many` returned for the view's settings.
    markers : dict of str to float
        Vertical lines of an ``alpha`` axis: ``alpha_c(eps)`` (the linear classifier's
        capacity) and the learner's interpolation threshold for the loss, where finite.
    notes : list of str
        What the plot should say beside it (points that did not converge, lines left out).
    """

    view: View
    x: np.ndarray
    columns: dict[str, np.ndarray]
    result: object = field(repr=False)
    markers: dict[str, float] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    @property
    def n_not_converged(self) -> int:
        """Points of the theory curves that did not converge (drawn as gaps)."""
        return int(np.count_nonzero(~self.columns["converged"]))

    def with_bayes(self) -> Curves:
        """These curves with the Bayes-optimal error.

        Returns
        -------
        Curves
            With ``bayes_gen_error`` (computed if absent, cached by ``alpha`` and ``eps``).
        """
        if "bayes_gen_error" in self.columns:
            return self
        gen = _bayes(*self.bayes_points())
        notes = list(self.notes)
        n_bad = int(np.count_nonzero(np.isnan(gen)))
        if n_bad:
            notes.append(f"the Bayes-optimal error did not converge at {n_bad} points: drawn as gaps")
        return dataclasses.replace(self, columns={**self.columns, "bayes_gen_error": gen}, notes=notes)

    def bayes_points(self) -> tuple[tuple[float, ...], tuple[float, ...]]:
        """Where the Bayes-optimal error is evaluated.

        Returns
        -------
        alpha, eps : tuple of float
            One per point of the curves.
        """
        return tuple(s.alpha for s in self.result.settings), tuple(s.eps for s in self.result.settings)

    def to_csv(self) -> str:
        """The curves as CSV text.

        Returns
        -------
        str
            A header line, then one row per point: the columns of
            :meth:`rafmodel.TheoryResults.to_records` and ``bayes_gen_error``, empty where not
            converged.
        """
        records = self.with_bayes().records()
        out = io.StringIO()
        w = csv.DictWriter(out, list(records[0]), lineterminator="\n")
        w.writeheader()
        for r in records:
            w.writerow({k: "" if isinstance(v, float) and math.isnan(v) else v for k, v in r.items()})
        return out.getvalue()

    def records(self) -> list[dict]:
        """The curves as rows.

        Returns
        -------
        list of dict
            One per point: the theory's record, and ``bayes_gen_error`` if computed.
        """
        records = self.result.to_records()
        if "bayes_gen_error" in self.columns:
            for r, b in zip(records, self.columns["bayes_gen_error"]):
                r["bayes_gen_error"] = float(b)
        return records


@lru_cache(maxsize=64)
def _bayes(alpha: tuple, eps: tuple) -> np.ndarray:
    """The Bayes-optimal gen_error at these points, ``nan`` where not converged (the same for a
    constant ``alpha`` and ``eps``, computed once)."""
    import rafmodel as rm

    a, e = np.asarray(alpha), np.asarray(eps)
    if np.all(a == a[0]) and np.all(e == e[0]):  # an axis of lam or kappa: one point
        r = rm.bayes_optimal(a[:1], e[:1], warn=False)
        out = np.full(a.shape, r.gen_error[0] if r.converged[0] else np.nan)
    else:
        r = rm.bayes_optimal(a, e, warn=False)
        out = np.where(r.converged, r.gen_error, np.nan)
    out.setflags(write=False)
    return out


@lru_cache(maxsize=256)
def _alpha_c(eps: float) -> float:
    import rafmodel as rm

    return float(rm.alpha_c(eps))


@lru_cache(maxsize=256)
def _threshold(view: View) -> float:
    """The learner's interpolation threshold in ``alpha`` for the view's loss, at its ``eps``."""
    from rafmodel.theory.capacity import interpolation_threshold
    from rafmodel.losses import get_loss

    lrn = view.learner_at()
    return float(np.asarray(interpolation_threshold(lrn, get_loss(view.loss), view.eps, lrn.params())))


def compute(view: View, *, bayes: bool = True, **options: Any) -> Curves:
    """The curves of ``view``: the theory along the x-axis and its reference lines.

    Parameters
    ----------
    view : View
        The controls; checked first (:meth:`View.check`), before any work.
    bayes : bool, default=True
        Add the Bayes-optimal error (the slow part, about half a second for 200 new points;
        cached): ``False`` leaves it to :meth:`Curves.with_bayes`, for a quick first redraw.
    **options
        Solver options for :func:`rafmodel.solve_many` (default: its defaults, those of ``raf theory``).

    Returns
    -------
    Curves
        The errors exactly as ``rafmodel.solve_many(view.settings(), **options)`` gives them.

    Raises
    ------
    ParameterError
        A control out of range (one line naming it).
    """
    import rafmodel as rm

    view.check()
    settings = view.settings()
    res = rm.solve_many(settings, warn=False, **options)
    x = np.asarray(view.xs(), dtype=float)
    cols = {k: np.asarray(getattr(res, k), dtype=float) for k in ERRORS}
    cols["converged"] = np.asarray(res.converged, dtype=bool)
    notes, markers = [], {}
    n_bad = int(np.count_nonzero(~cols["converged"]))
    if n_bad:
        notes.append(f"{n_bad} of {len(x)} points did not converge: drawn as gaps, not as numbers")
    if view.x == "alpha":
        ac = _alpha_c(view.eps)
        if math.isfinite(ac):
            markers["alpha_c(eps)"] = ac
        try:
            thr = _threshold(view)
        except (rm.ConvergenceError, rm.ParameterError) as e:
            notes.append(f"interpolation threshold not drawn: {e}")
        else:
            if math.isfinite(thr):
                markers["interpolation threshold"] = thr
    out = Curves(view=view, x=x, columns=cols, result=res, markers=markers, notes=notes)
    return out.with_bayes() if bayes else out


def optimal_points(view: View) -> Iterator[tuple[float, Any]]:
    """The optimal-lam curve of ``view``, one point at a time (a page shows its progress).

    At each of the ``view.opt`` points of the x-axis's range, :func:`rafmodel.optimal_lambda` of
    the view's learner and loss (its defaults, those of ``raf optimal-lambda``).

    Parameters
    ----------
    view : View
        The controls, with ``opt > 0``; checked first, before any work.

    Yields
    ------
    x : float
        The point of the x-axis.
    result : OptimalLambda or str
        :func:`rafmodel.optimal_lambda`'s result, or the one-line reason it gave none (its
        fixed points did not converge): a gap, never a number.

    Raises
    ------
    ParameterError
        A control out of range, or a view without an optimal-lam curve (``opt = 0``).
    """
    import rafmodel as rm

    view.check()
    if not view.opt:
        raise ParameterError("opt", "the view has no optimal-lam curve (opt = 0)")
    for xv in view.xs(view.opt):
        s = view.setting_at(xv)
        try:
            yield xv, rm.optimal_lambda(learner=s.learner, loss=s.loss, alpha=s.alpha, eps=s.eps)
        except rm.ConvergenceError as e:
            yield xv, str(e).splitlines()[0]


def _close(col, value) -> np.ndarray:
    return np.isclose(np.asarray(col, dtype=float), float(value), rtol=1e-12, atol=0.0)


def stored_points(view: View, frame: Any) -> dict[str, Any]:
    """The points of a sweep store that lie on the view's curves.

    A stored point matches when its learner, loss and every parameter but the x-axis's are the
    view's (to 1e-12), and its ``x`` is in the view's range.  Points that failed or did not
    converge are counted, never drawn.

    Parameters
    ----------
    view : View
        The controls.
    frame : pandas.DataFrame
        The store's points, as :func:`rafmodel.load_results` gives them (theory or simulations).

    Returns
    -------
    dict
        ``x`` and, for each of ``gen_error``, ``mem_error``, ``rule_error``, the values and their
        standard errors ``*_se`` (``nan`` for theory points), as arrays sorted by ``x``; ``d`` and
        ``seeds`` (``nan`` for theory points); ``n_matched`` (points drawn) and ``n_left`` (matching
        points not drawn: failed or not converged).
    """
    f = frame
    keep = (f["model"] == view.learner).to_numpy() & (f["loss"] == view.loss).to_numpy()
    for p in ("alpha", "eps", "lam"):
        if p != view.x:
            keep &= _close(f[p], getattr(view, p))
    if view.learner in ("kernel", "rf"):
        named, name = ("kernel", view.kernel) if view.learner == "kernel" else ("activation", view.activation)
        col = f[named] if named in f else None
        if name == "coefficients":
            keep &= _close(f["mu1"], view.mu1) & _close(f["mustar"], view.mustar) if "mu1" in f else False
        else:
            keep &= (col == name).to_numpy() if col is not None else False
            if name == "rbf":
                keep &= _close(f["bandwidth"], view.bandwidth) if "bandwidth" in f else False
        if view.learner == "rf" and view.x != "kappa":
            keep &= _close(f["kappa"], view.kappa) if "kappa" in f else False
    xcol = np.asarray(f[view.x], dtype=float) if view.x in f else np.full(len(f), np.nan)
    keep &= (xcol >= view.x_min) & (xcol <= view.x_max)
    done = keep & (f["status"] == "done").to_numpy()
    order = np.argsort(xcol[done], kind="stable")
    out: dict[str, Any] = {"x": xcol[done][order]}
    for k in (*ERRORS, "d", "seeds"):
        out[k] = np.asarray(f[k], dtype=float)[done][order] if k in f else np.full(int(done.sum()), np.nan)
        if k in ERRORS:
            se = f"{k}_se"
            out[se] = np.asarray(f[se], dtype=float)[done][order] if se in f else np.full(int(done.sum()), np.nan)
    out["n_matched"], out["n_left"] = int(done.sum()), int(keep.sum() - done.sum())
    return out


#: The phase diagrams' ranges: ``alpha`` and ``lam`` (the ``"phase"`` tab), both log-spaced; ``eps``,
#: linear, and ``ratio`` = mustar^2 / mu1^2, log-spaced (the ``"kernel-phase"`` tab, a kernel learner's).
PHASE_RANGE = {"alpha": (0.1, 10.0), "lam": (1e-4, 10.0), "eps": (0.0, 1.0), "ratio": (1e-2, 1e2)}


def phase_diagram(view: View, size: int = 60, **options: Any) -> dict[str, Any]:
    """The phase diagram of the view: (alpha, lam) at its ``eps``, or (eps, mustar^2/mu1^2) of its kernel.

    With ``view.tab == "kernel-phase"`` (a kernel learner), the plane of ``eps`` and the ratio
    ``mustar**2 / mu1**2`` of the kernel's memory and linear coefficients, at the view's ``alpha``
    and ``lam``: each point is ``rafmodel.Kernel(mu1=mu1, mustar=mu1 * sqrt(ratio))`` with the
    ``mu1`` of the view's kernel (named or by its coefficients).  Otherwise the plane of ``alpha``
    and ``lam`` of the view's learner at its ``eps``.

    Parameters
    ----------
    view : View
        The controls (the learner, the loss, and ``eps`` or ``alpha`` and ``lam``; the x-axis is not used).
    size : int, default=60
        Points per axis, spaced over :data:`PHASE_RANGE` (log-spaced, ``eps`` linearly).
    **options
        Solver options for :func:`rafmodel.solve_many`.

    Returns
    -------
    dict
        The (alpha, lam) plane: ``alpha`` (``size``), ``lam`` (``size``), and ``gen_error``,
        ``mem_error``, ``rule_error`` as arrays of shape ``(size, size)`` indexed ``[lam, alpha]``
        (``nan`` where not converged), ``n_not_converged``.  The kernel's plane: ``eps`` and
        ``ratio`` (``size`` each) instead, the errors indexed ``[ratio, eps]``, and ``mu1``.

    Raises
    ------
    ParameterError
        A control out of range, or ``size`` not an integer from 2 to 400.
    """
    import rafmodel as rm

    if type(size) is not int or not 2 <= size <= 400:
        raise ParameterError("size", f"must be an integer from 2 to 400, got {size!r}")
    view.check()
    if view.tab == "kernel-phase":
        eps_axis = dataclasses.replace(view, x="eps", x_min=PHASE_RANGE["eps"][0], x_max=PHASE_RANGE["eps"][1],
                                       scale="linear", n=size, opt=0).check().xs()
        ratios = np.geomspace(*PHASE_RANGE["ratio"], size)
        mu1 = float(view.learner_at().mu1)
        kernels = [rm.Kernel(mu1=mu1, mustar=mu1 * math.sqrt(r)) for r in ratios]
        settings = [rm.Setting(alpha=view.alpha, eps=e, lam=view.lam, learner=k, loss=view.loss)
                    for k in kernels for e in eps_axis]
        out: dict[str, Any] = {"eps": np.asarray(eps_axis), "ratio": ratios, "mu1": mu1}
    else:
        base = dataclasses.replace(view, x="alpha", x_min=PHASE_RANGE["alpha"][0], x_max=PHASE_RANGE["alpha"][1],
                                   scale="log", n=size, opt=0).check()
        alphas = base.xs()
        lams = dataclasses.replace(base, x="lam", x_min=PHASE_RANGE["lam"][0], x_max=PHASE_RANGE["lam"][1]).xs()
        learner = base.learner_at()
        settings = [rm.Setting(alpha=a, eps=base.eps, lam=lam, learner=learner, loss=base.loss)
                    for lam in lams for a in alphas]
        out = {"alpha": np.asarray(alphas), "lam": np.asarray(lams)}
    res = rm.solve_many(settings, warn=False, **options)
    for k in ERRORS:
        out[k] = np.asarray(getattr(res, k), dtype=float).reshape(size, size)
    out["n_not_converged"] = int(np.count_nonzero(~np.asarray(res.converged)))
    return out
