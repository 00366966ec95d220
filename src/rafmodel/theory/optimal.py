"""Optimal regularization and large-alpha rates.

* :func:`optimal_lambda` -- the ``lam`` that minimizes ``gen_error`` for a learner x loss
  at given ``(alpha, eps)``, with the errors there, and whether the learner can
  memorize every fact while generalizing optimally.
* :func:`ridge_lam_opt` -- THEORY.md's closed form for the square loss.
* :func:`large_alpha_rate` -- decay exponent and constant of ``gen_error`` at large ``alpha``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .._validation import check_positive_finite, check_unit_interval
from ..learners import Kernel, Linear, get_learner
from ..losses import get_loss

__all__ = ["optimal_lambda", "OptimalLambda", "ridge_lam_opt", "large_alpha_rate", "LargeAlphaRate",
           "square_rate_constant"]


def ridge_lam_opt(eps, learner=None):
    """Closed-form optimal ``lam`` of the square loss (THEORY.md), or ``None``.

    Linear: ``pi / (2 (1-eps)^2) - 1`` (independent of ``alpha``); kernel:
    ``max(0, mu1^2 (pi / (2 (1-eps)^2) - 1) - mustar^2)``.  ``inf`` at ``eps = 1``.
    """
    learner = Linear() if learner is None else learner
    if eps >= 1.0:
        return math.inf
    base = math.pi / (2.0 * (1.0 - eps) ** 2) - 1.0
    if type(learner) is Linear:
        return base
    if type(learner) is Kernel:
        return max(0.0, learner.mu1**2 * base - learner.mustar**2)
    return None


@dataclass(frozen=True)
class OptimalLambda:
    """Result of :func:`optimal_lambda`.

    Attributes
    ----------
    lam_opt : float
        The ``lam >= 0`` minimizing ``gen_error`` (``0`` means the ``lam -> 0+`` limit).
    gen_error, mem_error, rule_error : float
        Errors at ``lam_opt``.
    lam_opt_closed_form : float or None
        THEORY.md's closed form where there is one (square loss, linear and kernel).
    gen_error_at_zero : float
        ``gen_error`` at ``lam = 0`` (the interpolator / max-margin when it exists).
    interpolates_at_zero : bool
        Whether the learner fits every training label at ``lam = 0``.
    memorizes_at_optimum : bool
        ``True`` if the learner can memorize every fact (``mem_error = 0``) while
        generalizing optimally: the optimum is the interpolating ``lam -> 0+`` limit.
    memorization_cost : float
        ``gen_error_at_zero - gen_error``: the excess generalization error paid for
        fitting every fact (``0`` when ``memorizes_at_optimum``; ``nan`` if the
        learner cannot interpolate).
    margin : float or None
        Square-loss kernel: ``mustar^2 / mu1^2 - (pi / (2 (1-eps)^2) - 1)``; it is
        ``>= 0`` exactly when memorizing every fact is optimal (THEORY.md).
    """

    setting: object
    lam_opt: float
    gen_error: float
    mem_error: float
    rule_error: float
    lam_opt_closed_form: object
    gen_error_at_zero: float
    interpolates_at_zero: bool
    memorizes_at_optimum: bool
    memorization_cost: float
    margin: object

    def to_dict(self) -> dict:
        out = {"model": self.setting.learner.name, "loss": self.setting.loss.name}
        out.update({k: v for k, v in self.setting.params().items() if k != "lam"})
        for k in ("lam_opt", "gen_error", "mem_error", "rule_error", "lam_opt_closed_form",
                  "gen_error_at_zero", "interpolates_at_zero", "memorizes_at_optimum",
                  "memorization_cost", "margin"):
            out[k] = getattr(self, k)
        return out


def optimal_lambda(*, learner, loss, alpha, eps, lam_min=1e-7, lam_max=1e4, xtol=1e-7,
                   **options) -> OptimalLambda:
    """The ridge penalty that minimizes ``gen_error``.

    ``gen_error`` is evaluated on a log-spaced grid of ``lam`` in ``[lam_min, lam_max]``
    and at ``lam = 0``; the best grid point is refined by a bounded Brent search in
    ``log lam``.  An optimum at the lower end is reported as ``lam_opt = 0`` when
    ``lam = 0`` is at least as good.

    Parameters
    ----------
    learner : Learner or str
    loss : Loss or str
    alpha : float
    eps : float
    lam_min, lam_max : float
        Search range for ``lam > 0``.
    xtol : float
        Tolerance on ``log lam``.
    **options
        Solver options (see :class:`rafmodel.theory.SolverOptions`).

    Returns
    -------
    OptimalLambda
    """
    from scipy.optimize import minimize_scalar

    from ..setting import Setting
    from . import solve, solve_many

    learner, loss = get_learner(learner), get_loss(loss)
    base = Setting(alpha=alpha, eps=eps, lam=0.0, learner=learner, loss=loss)
    if eps == 1.0:  # nothing to generalize: every lam gives 1/2; take lam -> 0
        r0 = solve(base, **options)
        return OptimalLambda(base, 0.0, r0.gen_error, r0.mem_error, r0.rule_error, math.inf,
                             r0.gen_error, r0.interpolating, r0.interpolating, 0.0, None)
    lams = np.geomspace(lam_min, lam_max, 45)
    try:
        at_zero = solve(base, **options)
    except NotImplementedError:
        at_zero = None
    grid = solve_many([base.replace(lam=float(l)) for l in lams], warn=False, **options)
    g = np.where(grid.converged, grid.gen_error, np.inf)
    i = int(np.argmin(g))
    if not np.isfinite(g[i]):
        raise RuntimeError("optimal_lambda: no lam in the search range converged")

    def f(loglam):
        try:
            return solve(base.replace(lam=float(np.exp(loglam))), **options).gen_error
        except Exception:
            return np.inf

    lo, hi = np.log(lams[max(i - 1, 0)]), np.log(lams[min(i + 1, len(lams) - 1)])
    res = minimize_scalar(f, bounds=(lo, hi), method="bounded", options={"xatol": xtol})
    lam_best, g_best = (float(np.exp(res.x)), float(res.fun)) if res.fun <= g[i] else (float(lams[i]), float(g[i]))
    if at_zero is not None and i == 0 and at_zero.gen_error <= g_best:
        best = at_zero
        lam_best = 0.0
    else:
        best = solve(base.replace(lam=lam_best), **options)
    closed = ridge_lam_opt(eps, learner) if loss.name == "square" else None
    interp0 = bool(at_zero is not None and at_zero.interpolating)
    g0 = at_zero.gen_error if at_zero is not None else math.nan
    memorizes = interp0 and lam_best == 0.0
    cost = max(g0 - best.gen_error, 0.0) if interp0 else math.nan
    margin = None
    if loss.name == "square" and type(learner) is Kernel:
        margin = learner.mustar**2 / learner.mu1**2 - (math.pi / (2 * (1 - eps) ** 2) - 1)
    return OptimalLambda(base.replace(lam=lam_best), lam_best, best.gen_error, best.mem_error, best.rule_error,
                         closed, g0, interp0, memorizes, cost, margin)


def square_rate_constant(eps):
    """Square loss: ``gen_error ~ C / sqrt(alpha)`` with ``C = sqrt(pi/(2(1-eps)^2) - 1) / pi``."""
    return math.sqrt(math.pi / (2.0 * (1.0 - eps) ** 2) - 1.0) / math.pi


@dataclass(frozen=True)
class LargeAlphaRate:
    """``gen_error ~ constant * alpha^(-exponent)`` at large ``alpha``.

    ``exponent`` and ``constant`` are measured from the fixed point at ``alphas``
    (log-log slope between the two largest); ``constant_closed_form`` is THEORY.md's
    where known (square loss: ``exponent = 1/2``; Bayes-optimal: ``exponent = 1``).
    """

    exponent: float
    constant: float
    exponent_closed_form: object
    constant_closed_form: object
    alphas: np.ndarray
    gen_errors: np.ndarray

    def to_dict(self) -> dict:
        return {"exponent": self.exponent, "constant": self.constant,
                "exponent_closed_form": self.exponent_closed_form,
                "constant_closed_form": self.constant_closed_form}


def large_alpha_rate(*, learner="linear", loss="square", eps, lam=0.0, alphas=(1e3, 1e4, 1e5),
                     **options) -> LargeAlphaRate:
    """Decay exponent and constant of ``gen_error`` as ``alpha -> infinity``.

    ``learner="bayes"`` gives the Bayes-optimal error.  Otherwise the ERM fixed
    point is solved at each of ``alphas`` (fixed ``lam``; at large ``alpha`` the
    penalty no longer matters) and the local log-log slope of the two largest
    gives the exponent.
    """
    eps = check_unit_interval("eps", eps)
    alphas = np.asarray([check_positive_finite("alphas", a) for a in alphas], dtype=float)
    if eps == 1.0:
        raise ValueError("eps: at eps = 1 nothing is learned (gen_error = 1/2); use eps < 1")
    if isinstance(learner, str) and learner.lower() == "bayes":
        from .bayes import bayes_optimal, bayes_rate

        r = bayes_optimal(alphas, eps)
        g = np.asarray(r.gen_error)
        ex_cf, c_cf = 1.0, bayes_rate(eps)
    else:
        from ..setting import Setting
        from . import solve_many

        res = solve_many([Setting(alpha=float(a), eps=eps, lam=lam, learner=learner, loss=loss) for a in alphas],
                         **options)
        g = res.gen_error
        is_sq = get_loss(loss).name == "square"
        ex_cf = 0.5 if is_sq else None
        c_cf = square_rate_constant(eps) if (is_sq and type(get_learner(learner)) is Linear) else None
    if not np.all(np.isfinite(g)):
        raise RuntimeError("large_alpha_rate: the fixed point did not converge at every alpha")
    ex = -float(np.log(g[-1] / g[-2]) / np.log(alphas[-1] / alphas[-2]))
    const = float(g[-1] * alphas[-1] ** ex)
    return LargeAlphaRate(ex, const, ex_cf, c_cf, alphas, g)
