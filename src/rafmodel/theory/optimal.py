"""Optimal regularization and large-alpha rates.

* :func:`optimal_lambda` -- the ``lam`` that minimizes ``gen_error`` for a learner x loss
  at given ``(alpha, eps)``, with the errors there; whether the optimum is the interpolating
  ``lam -> 0+`` limit (``interpolates_at_optimum``) and whether the facts are stored there
  (``stores_facts``: ``mem_error <= mem_tol``) are two separate answers.
* :func:`ridge_lam_opt` -- docs/theory.md's closed form for the square loss.
* :func:`large_alpha_rate` -- decay exponent and constant of ``gen_error`` at large ``alpha``.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from collections.abc import Sequence
from numbers import Real
from typing import TYPE_CHECKING, Any

#: Default tolerance of :func:`optimal_lambda`'s ``stores_facts``: the facts count as stored when
#: at most one in a million is misfit (``mem_error <= 1e-6``).
MEM_TOL = 1e-6

import numpy as np

from .._validation import (ParameterError, as_float_array, check_nonnegative_finite, check_positive_finite,
                           check_unit_interval)
from ..exceptions import ConvergenceError, ConvergenceWarning
from ..learners import Linear, get_learner
from ..losses import get_loss
from ..tables import Tabular

if TYPE_CHECKING:  # for the annotations only
    from ..learners import Learner
    from ..losses import Loss
    from ..setting import Setting

__all__ = ["optimal_lambda", "OptimalLambda", "ridge_lam_opt", "large_alpha_rate", "LargeAlphaRate",
           "square_rate_constant"]

#: Points of the log-spaced grid of ``lam`` searched by :func:`optimal_lambda`.
_GRID = 45
#: Points added inside each interval of that grid where ``gen_error`` changes.
_REFINE = 12


def _one_eps(eps):
    """``eps`` as one float in [0, 1], or :class:`ParameterError`."""
    eps = check_unit_interval("eps", eps)
    if np.ndim(eps) != 0:
        raise ParameterError("eps", f"must be one number, got an array of shape {np.shape(eps)}")
    return float(eps)


def _check_int(name, value, low):
    """An integer ``>= low`` (an integral float is accepted, as the solver does)."""
    ok = (not isinstance(value, bool) and isinstance(value, Real) and math.isfinite(value)
          and float(value).is_integer() and value >= low)
    if not ok:
        raise ParameterError(name, f"must be an integer >= {low}, got {value!r}")


def _check_solver_options(options):
    """Validate the solver options up front (ParameterError); return :class:`SolverOptions`.

    An unknown option is a ``TypeError``, as for any unexpected keyword.
    """
    from .solver import SolverOptions

    if "tol" in options:
        check_positive_finite("tol", options["tol"])
    if "max_iter" in options:
        _check_int("max_iter", options["max_iter"], 1)
    if "memory" in options:
        _check_int("memory", options["memory"], 0)
    if "n_nodes" in options:
        _check_int("n_nodes", options["n_nodes"], 2)
    if "damping" in options:
        d = options["damping"]
        if isinstance(d, bool) or not isinstance(d, Real) or not 0 < d <= 1:
            raise ParameterError("damping", f"must be a number in (0, 1], got {d!r}")
    if "method" in options and options["method"] not in ("auto", "closed", "quadrature"):
        raise ParameterError("method", f"must be 'auto', 'closed' or 'quadrature', got {options['method']!r}")
    return SolverOptions(**options)


def ridge_lam_opt(eps: float, learner: Learner | None = None) -> float | None:
    """Closed-form optimal ``lam`` of the square loss (docs/theory.md), or ``None``.

    Linear: ``pi / (2 (1-eps)^2) - 1`` (independent of ``alpha``); kernel:
    ``max(0, mu1^2 (pi / (2 (1-eps)^2) - 1) - mustar^2)``.  ``inf`` at ``eps = 1``.  The
    learner's map module gives it (``square_lam_opt(eps, p)``, :mod:`rafmodel.theory.maps`).

    Parameters
    ----------
    eps : float
        Fraction of facts, in ``[0, 1]``.
    learner : Learner, optional
        :class:`rafmodel.Linear` (the default), :class:`rafmodel.Kernel`, or any learner whose
        map module has ``square_lam_opt``.

    Returns
    -------
    float or None
        The optimal ``lam``; ``None`` for another learner (no closed form), except
        at ``eps = 1``, where it is ``inf`` for every learner.

    Raises
    ------
    ParameterError
        ``eps`` not one finite number in ``[0, 1]``.

    Examples
    --------
    >>> round(ridge_lam_opt(0.2), 4)
    1.4544
    """
    eps = _one_eps(eps)
    learner = Linear() if learner is None else learner
    if eps >= 1.0:
        return math.inf
    f = _map_extra(learner, "square_lam_opt")
    return None if f is None else float(f(eps, learner.params()))


def _map_extra(learner, name):
    """The optional function ``name`` of ``learner``'s map module (``None``: none, or no theory)."""
    from .maps import has_theory, learner_map

    return learner_map(learner).extra(name) if has_theory(learner) else None


@dataclass(frozen=True)
class OptimalLambda(Tabular):
    """Result of :func:`optimal_lambda`.

    Attributes
    ----------
    setting : Setting
        The point, with ``lam = lam_opt``.
    lam_opt : float
        The ``lam >= 0`` minimizing ``gen_error`` (``0`` means the ``lam -> 0+`` limit).
    gen_error, mem_error, rule_error : float
        Errors at ``lam_opt``.
    lam_opt_closed_form : float or None
        docs/theory.md's closed form where there is one (square loss, linear and kernel;
        see :func:`ridge_lam_opt`).  At ``eps = 1`` it is ``inf`` for every learner and loss.
    gen_error_at_zero : float
        ``gen_error`` at ``lam = 0`` (the interpolator / max-margin when it exists);
        ``nan`` where the loss has no ``lam = 0`` limit or it did not converge.
    interpolates_at_zero : bool
        Whether the learner fits every training label at ``lam = 0``.
    interpolates_at_optimum : bool
        Whether the optimum is the interpolating ``lam -> 0+`` limit: ``lam_opt = 0`` and the
        learner fits every training label there.  It says what the best ``lam`` is, not
        whether the facts are stored: a ``lam_opt > 0`` can store them too (``stores_facts``).
    stores_facts : bool
        Whether the facts are stored at the optimum: ``mem_error <= mem_tol``.
    mem_tol : float
        The tolerance of ``stores_facts`` (:data:`MEM_TOL` unless given).
    memorization_cost : float
        ``gen_error_at_zero - gen_error``: the excess generalization error paid for
        interpolating (``lam = 0``) instead of taking the optimum, never below ``0`` (``0``
        when ``interpolates_at_optimum``; ``nan`` if the learner cannot interpolate, except
        at ``eps = 1``, where it is ``0``).
    margin : float or None
        Square-loss kernel: ``mustar^2 / mu1^2 - (pi / (2 (1-eps)^2) - 1)``; it is
        ``>= 0`` exactly when the interpolator is optimal (docs/theory.md).  (The learner's
        map module's ``interpolator_margin``; ``None`` for a learner without one.)
    at_boundary : bool
        ``True`` when the search hit the end of its range: ``gen_error`` at
        ``lam_max``, or at ``lam_min`` with ``lam = 0`` not as good, is as low as at
        the optimum found (within the resolution of the fixed point).  The true
        optimum may then lie beyond ``[lam_min, lam_max]``; ``lam_opt`` is only the
        best point of the range.  An optimum at ``lam_opt = 0`` is never flagged: it is
        the ``lam -> 0+`` limit, checked at ``lam = 0`` itself.
    """

    setting: Setting
    lam_opt: float
    gen_error: float
    mem_error: float
    rule_error: float
    lam_opt_closed_form: float | None
    gen_error_at_zero: float
    interpolates_at_zero: bool
    interpolates_at_optimum: bool
    stores_facts: bool
    mem_tol: float
    memorization_cost: float
    margin: float | None
    at_boundary: bool = False

    @property
    def memorizes_at_optimum(self) -> bool:
        """Deprecated alias of :attr:`interpolates_at_optimum` (it never meant ``stores_facts``)."""
        warnings.warn("OptimalLambda.memorizes_at_optimum is deprecated and will be removed in 0.6: it means "
                      "interpolates_at_optimum (lam_opt = 0); whether the facts are stored is stores_facts",
                      DeprecationWarning, stacklevel=2)
        return self.interpolates_at_optimum

    def to_dict(self) -> dict[str, Any]:
        """Flat dict: learner, loss, ``alpha``, ``eps``, the learner's parameters and the results.

        Returns
        -------
        dict
            ``model``, ``loss``, the parameters but ``lam``, then every attribute from
            ``lam_opt`` to ``at_boundary``.
        """
        out = {"model": self.setting.learner.name, "loss": self.setting.loss.name}
        out.update({k: v for k, v in self.setting.params().items() if k != "lam"})
        for k in ("lam_opt", "gen_error", "mem_error", "rule_error", "lam_opt_closed_form",
                  "gen_error_at_zero", "interpolates_at_zero", "interpolates_at_optimum", "stores_facts",
                  "mem_tol", "memorization_cost", "margin", "at_boundary"):
            out[k] = getattr(self, k)
        return out


def _resolution(g, tol):
    """Smallest change of ``gen_error`` the fixed point resolves, at ``gen_error = g``.

    ``gen_error = arccos(rho) / pi``: a rounding error of ``rho`` (about ``2.2e-16``)
    moves it by ``2.2e-16 / (pi sin(pi g))``, and an error ``tol`` of the solver's
    coordinate ``atanh(rho)`` by ``tol sin(pi g) / pi``; times a safety factor 10.
    """
    s = max(math.sin(math.pi * g), 1e-300)
    return 10.0 * (np.finfo(float).eps / (math.pi * s) + tol * s / math.pi)


def optimal_lambda(*, learner: Learner | str, loss: Loss | str, alpha: float, eps: float, lam_min: float = 1e-7,
                   lam_max: float = 1e4, xtol: float = 1e-7, mem_tol: float = MEM_TOL, inputs: Any = "isotropic",
                   **options: Any) -> OptimalLambda:
    """The ridge penalty that minimizes ``gen_error``.

    ``gen_error`` is evaluated on a log-spaced grid of ``lam`` in ``[lam_min, lam_max]``
    and at ``lam = 0``; every interval of the grid over which ``gen_error`` changes is
    sampled again more finely (a narrow dip between two plateaus is not stepped over),
    and the best point is refined by a bounded Brent search in ``log lam``.  An optimum at the lower end is reported as ``lam_opt = 0`` when
    ``lam = 0`` is at least as good (within the resolution of the fixed point).  An
    optimum at an end of the range otherwise is flagged ``at_boundary``.

    Parameters
    ----------
    learner : Learner or str
        The learner (a name: its default parameters).
    loss : Loss or str
        The loss.
    alpha : float
        Samples per dimension, ``> 0`` and finite.
    eps : float
        Fraction of facts, in ``[0, 1]``.
    lam_min, lam_max : float, default=1e-7, 1e4
        Search range for ``lam > 0``: ``0 < lam_min < lam_max``, finite.
    xtol : float, default=1e-7
        Tolerance on ``log lam`` (``> 0``, finite).
    mem_tol : float, default=1e-6
        ``stores_facts`` is ``mem_error <= mem_tol`` at the optimum (in ``[0, 1)``).
    inputs : Inputs or str, default="isotropic"
        The input model (:mod:`rafmodel.inputs`; the closed form of ``lam_opt`` is for isotropic
        inputs only, ``None`` otherwise).
    **options
        Solver options (see :class:`rafmodel.theory.SolverOptions`).

    Returns
    -------
    OptimalLambda
        ``lam_opt``, the errors there, and what happens at ``lam = 0``.

    Raises
    ------
    ParameterError
        For a bad argument or solver option, before any work.
    ConvergenceError
        If no ``lam`` of the grid converged, or if ``gen_error`` is the same within the
        resolution of the fixed point at both ends of the range, so that the range
        does not determine the optimum (e.g. at very large ``alpha``, where ``lam``
        no longer matters); ``result`` then holds the :class:`OptimalLambda` found,
        with ``at_boundary = True``.

    Warns
    -----
    ConvergenceWarning
        If some grid points, or ``lam = 0``, did not converge (they are left out of
        the search; ``gen_error_at_zero`` is then ``nan``).

    Examples
    --------
    >>> import rafmodel as rm
    >>> o = rm.optimal_lambda(learner="linear", loss="square", alpha=2.0, eps=0.2)
    >>> round(o.lam_opt, 4), round(o.lam_opt_closed_form, 4), round(o.gen_error, 4)
    (1.4544, 1.4544, 0.2479)
    >>> o.interpolates_at_optimum, o.stores_facts, o.at_boundary
    (False, False, False)
    """
    from scipy.optimize import minimize_scalar

    from ..setting import Setting
    from . import solve, solve_many

    alpha = check_positive_finite("alpha", alpha)
    if np.ndim(alpha) != 0:
        raise ParameterError("alpha", f"must be one number, got an array of shape {np.shape(alpha)}")
    eps = _one_eps(eps)
    lam_min = check_positive_finite("lam_min", lam_min)
    lam_max = check_positive_finite("lam_max", lam_max)
    if np.ndim(lam_min) or np.ndim(lam_max):
        raise ParameterError("lam_min" if np.ndim(lam_min) else "lam_max", "must be one number")
    if not lam_max > lam_min:
        raise ParameterError("lam_max", f"must be > lam_min = {lam_min!r}, got {lam_max!r}")
    xtol = check_positive_finite("xtol", xtol)
    mem_tol = check_nonnegative_finite("mem_tol", mem_tol)
    if np.ndim(mem_tol) or not mem_tol < 1:
        raise ParameterError("mem_tol", f"must be one number in [0, 1), got {mem_tol!r}")
    mem_tol = float(mem_tol)
    opts = _check_solver_options(options)

    learner, loss = get_learner(learner), get_loss(loss)
    base = Setting(alpha=alpha, eps=eps, lam=0.0, learner=learner, loss=loss, inputs=inputs)
    if eps == 1.0:  # nothing to generalize: every lam gives 1/2; take lam -> 0
        r0 = solve(base, **options)
        return OptimalLambda(base, 0.0, r0.gen_error, r0.mem_error, r0.rule_error, math.inf,
                             r0.gen_error, r0.interpolating, r0.interpolating, bool(r0.mem_error <= mem_tol),
                             mem_tol, 0.0, None, False)
    lams = np.geomspace(lam_min, lam_max, _GRID)
    at_zero, interp0 = None, False
    try:
        at_zero = solve(base, **options)
        interp0 = bool(at_zero.interpolating)
    except NotImplementedError:  # the loss has no lam -> 0 limit where the learner interpolates
        pass
    except ConvergenceError as exc:
        interp0 = bool(exc.result.interpolating)
        warnings.warn(f"optimal_lambda: the fixed point at lam = 0 was not reached ({exc}); "
                      "lam = 0 is left out and gen_error_at_zero is nan", ConvergenceWarning, stacklevel=2)
    grid = solve_many([base.replace(lam=float(l)) for l in lams], warn=False, **options)
    conv = np.asarray(grid.converged, dtype=bool)
    if not np.any(conv):
        raise ConvergenceError(f"optimal_lambda: no lam in [{lam_min:g}, {lam_max:g}] converged "
                               f"at {base.params()}", grid)
    if not np.all(conv):
        warnings.warn(f"optimal_lambda: {int(np.sum(~conv))} of {_GRID} grid values of lam did not "
                      "converge; the optimum is searched among the others", ConvergenceWarning, stacklevel=2)
    g = np.where(conv, grid.gen_error, np.inf)
    # gen_error can be flat over decades of lam and dip in a narrow window where it changes (the
    # kernel SVM at large mustar/mu1: a dip just where support vectors start leaving the margin):
    # every interval where it changes is looked at on a finer grid before the best point is taken.
    delta0 = _resolution(float(np.min(g)), opts.tol)
    steps = np.flatnonzero(np.isfinite(g[:-1]) & np.isfinite(g[1:]) & (np.abs(np.diff(g)) > delta0))
    if steps.size:
        fine = np.unique(np.concatenate([np.geomspace(lams[j], lams[j + 1], _REFINE + 2)[1:-1] for j in steps]))
        extra = solve_many([base.replace(lam=float(l)) for l in fine], warn=False, **options)
        lams = np.concatenate([lams, fine])
        g = np.concatenate([g, np.where(np.asarray(extra.converged, dtype=bool), extra.gen_error, np.inf)])
        order = np.argsort(lams)
        lams, g = lams[order], g[order]
    i = int(np.argmin(g))

    def f(loglam):
        try:
            return solve(base.replace(lam=float(np.exp(loglam))), **options).gen_error
        except ConvergenceError:  # not reached there: not a candidate
            return np.inf

    lo, hi = np.log(lams[max(i - 1, 0)]), np.log(lams[min(i + 1, len(lams) - 1)])
    res = minimize_scalar(f, bounds=(lo, hi), method="bounded", options={"xatol": xtol})
    lam_best, g_best = (float(np.exp(res.x)), float(res.fun)) if res.fun <= g[i] else (float(lams[i]), float(g[i]))
    # points as good as the optimum within the resolution of the fixed point: is it bracketed?
    delta = _resolution(g_best, opts.tol)
    flat = g <= g_best + delta
    if at_zero is not None and (i == 0 or flat[0]) and at_zero.gen_error <= g_best + delta:
        best = at_zero  # the lam -> 0+ limit is optimal, checked at lam = 0 itself
        lam_best = 0.0
        at_boundary = bool(flat[-1])
    else:
        best = solve(base.replace(lam=lam_best), **options)
        at_boundary = bool(flat[0] or flat[-1])
    closed = ridge_lam_opt(eps, learner) if loss.name == "square" and base.inputs.isotropic else None
    g0 = at_zero.gen_error if at_zero is not None else math.nan
    interpolates = interp0 and lam_best == 0.0
    cost = max(g0 - best.gen_error, 0.0) if interp0 and at_zero is not None else math.nan
    margin = None
    f = _map_extra(learner, "interpolator_margin") if loss.name == "square" else None
    if f is not None:
        margin = float(f(eps, learner.params()))
    out = OptimalLambda(base.replace(lam=lam_best), lam_best, best.gen_error, best.mem_error, best.rule_error,
                        closed, g0, interp0, interpolates, bool(best.mem_error <= mem_tol), mem_tol, cost, margin,
                        at_boundary)
    if flat[0] and flat[-1]:
        raise ConvergenceError(
            f"optimal_lambda: gen_error is the same within the resolution of the fixed point ({delta:.2g}) "
            f"at both ends of lam in [{lam_min:g}, {lam_max:g}] at {base.params()}: the range does not "
            "determine the optimum (lam hardly matters here)", out)
    return out


def square_rate_constant(eps: float) -> float:
    """Square loss: ``gen_error ~ C / sqrt(alpha)`` with ``C = sqrt(pi/(2(1-eps)^2) - 1) / pi``.

    Parameters
    ----------
    eps : float
        Fraction of facts, in ``[0, 1]``.

    Returns
    -------
    float
        ``C`` of the linear learner; ``inf`` at ``eps = 1`` (nothing is learned).

    Raises
    ------
    ParameterError
        ``eps`` not one finite number in ``[0, 1]``.

    Examples
    --------
    >>> round(square_rate_constant(0.2), 4)
    0.3839
    """
    eps = _one_eps(eps)
    if eps == 1.0:
        return math.inf
    return math.sqrt(math.pi / (2.0 * (1.0 - eps) ** 2) - 1.0) / math.pi


@dataclass(frozen=True)
class LargeAlphaRate(Tabular):
    """``gen_error ~ constant * alpha^(-exponent)`` at large ``alpha``.

    ``exponent`` and ``constant`` are measured from the fixed point at ``alphas``
    (log-log slope between the last two, the two largest when ``alphas`` increase);
    ``constant_closed_form`` is docs/theory.md's where known (square loss, linear and kernel
    learners: ``exponent = 1/2``; Bayes-optimal: ``exponent = 1``; random features at fixed
    ``kappa``: ``exponent = 0``).

    Attributes
    ----------
    exponent : float
        Measured decay exponent.
    constant : float
        Measured constant, ``gen_error * alpha^exponent`` at the last ``alpha``.
    exponent_closed_form : float or None
        ``1/2`` for the square loss (linear and kernel learners), ``1`` for the
        Bayes-optimal error, ``0`` for random features at fixed ``kappa`` (any
        loss: ``gen_error`` tends to a positive limit) unless ``mu* = 0`` and ``kappa >= 1``,
        else ``None``.
    constant_closed_form : float or None
        :func:`square_rate_constant` for the linear learner with the square loss,
        :func:`rafmodel.theory.bayes.bayes_rate` for the Bayes-optimal error, else ``None``.
    alphas : ndarray of shape (K,)
        Where ``gen_error`` was computed.
    gen_errors : ndarray of shape (K,)
        ``gen_error`` there.
    """

    exponent: float
    constant: float
    exponent_closed_form: float | None
    constant_closed_form: float | None
    alphas: np.ndarray
    gen_errors: np.ndarray

    def to_dict(self) -> dict[str, Any]:
        """The exponents and constants, measured and closed-form, as a flat dict.

        Returns
        -------
        dict
            ``exponent``, ``constant``, ``exponent_closed_form``, ``constant_closed_form``.
        """
        return {"exponent": self.exponent, "constant": self.constant,
                "exponent_closed_form": self.exponent_closed_form,
                "constant_closed_form": self.constant_closed_form}


def large_alpha_rate(*, learner: Learner | str = "linear", loss: Loss | str = "square", eps: float,
                     lam: float = 0.0, alphas: Sequence[float] = (1e3, 1e4, 1e5),
                     **options: Any) -> LargeAlphaRate:
    """Decay exponent and constant of ``gen_error`` as ``alpha -> infinity``.

    ``learner="bayes"`` gives the Bayes-optimal error.  Otherwise the ERM fixed
    point is solved at each of ``alphas`` (fixed ``lam``; at large ``alpha`` the
    penalty no longer matters) and the local log-log slope of the last two (the
    two largest when ``alphas`` increase) gives the exponent.

    Parameters
    ----------
    learner : Learner or str, default="linear"
        A learner, or ``"bayes"``.
    loss : Loss or str, default="square"
        Ignored for ``learner="bayes"``.
    eps : float
        Fraction of facts, in ``[0, 1)``.
    lam : float, default=0.0
        Ridge penalty, ``>= 0`` and finite.
    alphas : sequence of float, default=(1e3, 1e4, 1e5)
        At least two values ``> 0``, finite; the last two must differ.
    **options
        Solver options of the ERM fixed point (see :class:`rafmodel.theory.SolverOptions`).

    Returns
    -------
    LargeAlphaRate
        The measured exponent and constant, the closed forms where known, and the
        errors at ``alphas``.

    Raises
    ------
    ParameterError
        For a bad argument or solver option, before any work.
    ConvergenceError
        If the fixed point was not reached at some ``alpha``; ``result`` holds the
        solutions (:class:`rafmodel.theory.TheoryResults` or
        :class:`rafmodel.theory.bayes.BayesResult`).

    Examples
    --------
    >>> import rafmodel as rm
    >>> r = rm.large_alpha_rate(eps=0.2)  # linear learner, square loss: C / sqrt(alpha)
    >>> round(r.exponent, 4), round(r.constant, 4), round(r.constant_closed_form, 4)
    (0.5, 0.3839, 0.3839)
    """
    eps = _one_eps(eps)
    if eps == 1.0:
        raise ParameterError("eps", "must be < 1 here: at eps = 1 nothing is learned (gen_error = 1/2), got 1.0")
    lam = check_nonnegative_finite("lam", lam)
    if np.ndim(lam) != 0:
        raise ParameterError("lam", f"must be one number, got an array of shape {np.shape(lam)}")
    alphas = np.asarray(check_positive_finite("alphas", as_float_array("alphas", alphas)), dtype=float)
    if alphas.ndim != 1 or alphas.size < 2 or alphas[-1] == alphas[-2]:
        raise ParameterError("alphas", f"must be a sequence of at least two values whose last two differ, "
                                       f"got {alphas.tolist()!r}")
    if isinstance(learner, str) and learner.lower() == "bayes":
        from .bayes import bayes_optimal, bayes_rate

        r = bayes_optimal(alphas, eps, warn=False)
        bad = ~np.asarray(r.converged, dtype=bool)
        g = np.asarray(r.gen_error)
        ex_cf, c_cf = 1.0, bayes_rate(eps)
    else:
        from ..setting import Setting
        from . import solve_many

        _check_solver_options(options)
        r = solve_many([Setting(alpha=float(a), eps=eps, lam=float(lam), learner=learner, loss=loss)
                        for a in alphas], warn=False, **options)
        bad = ~np.asarray(r.converged, dtype=bool)
        g = r.gen_error
        is_sq = get_loss(loss).name == "square"
        L = get_learner(learner)
        represents = _map_extra(L, "represents_rule")
        if represents is not None and not bool(represents(L.params())):
            # e.g. p = kappa d random features cannot represent the teacher (docs/theory.md
            # section 3.9): gen_error tends to a positive limit, for any loss
            ex_cf = 0.0
        else:  # (random features with mu* = 0 and kappa >= 1 are the linear learner)
            ex_cf = 0.5 if is_sq else None
        c_cf = square_rate_constant(eps) if (is_sq and type(L) is Linear) else None
    bad |= ~np.isfinite(g)
    if np.any(bad):
        raise ConvergenceError(f"large_alpha_rate: the fixed point was not reached at alpha = "
                               f"{alphas[bad].tolist()} (eps = {eps!r})", r)
    ex = -float(np.log(g[-1] / g[-2]) / np.log(alphas[-1] / alphas[-2]))
    const = float(g[-1] * alphas[-1] ** ex)
    return LargeAlphaRate(ex, const, ex_cf, c_cf, alphas, g)
