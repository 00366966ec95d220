"""State evolution of AMP on the RAF model, and the predicted quality of its fact posterior.

docs/theory.md section "AMP".  AMP (:func:`rafmodel.amp`) started from ``w_0 = 0`` has, at
every iteration ``t`` and as ``d -> infinity``, overlaps ``m_t = q_t`` (Nishimori) with::

    q_0 = 0,   qhat_t = alpha E[...]  (the Bayes-optimal channel term, rafmodel.theory.bayes.bayes_update),
    q_{t+1} = qhat_t / (1 + qhat_t),

whose fixed point is :func:`rafmodel.bayes_optimal`'s ``q``.  At the fixed point the cavity
field of a training example is ``omega ~ N(0, q)`` and its teacher field ``z = omega +
sqrt(1 - q) xi``; the fact posterior ``(eps/2) / Z_out(y, omega, 1 - q)`` decreases with
``t = y omega``, so as a detector of facts (``y`` independent of ``z``: ``t ~ N(0, q)``)
against rules (``y = sign z``) its ROC curve and area depend on ``q`` alone::

    AUC(q) = P(t_fact < t_rule) = 2 int_0^inf phi(g) [Phi(c g) Phi(g) + Phi(-c g) Phi(-g)] dg,
    c = sqrt(q / (1 - q)),

from ``1/2`` at ``q = 0`` to ``3/4`` at ``q = 1`` (half of the facts carry the rule's label and
cannot be told from rules).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy import integrate, optimize
from scipy.special import log_ndtr, ndtr

from .._validation import check_positive_finite, check_positive_int, check_unit_interval
from ..exceptions import ConvergenceError, ParameterError
from ..tables import Tabular
from .bayes import bayes_update

__all__ = ["state_evolution", "StateEvolution", "fact_auc", "fact_roc", "predicted_fact_auc", "training_errors",
           "bayes_columns"]


@dataclass(frozen=True)
class StateEvolution(Tabular):
    """AMP's overlaps iteration by iteration, as state evolution predicts them.

    Attributes
    ----------
    alpha, eps : float
        The point.
    q : ndarray of shape (T + 1,)
        ``q_0 = 0, q_1, ..., q_T`` (``m_t = q_t``).
    qhat : ndarray of shape (T,)
        ``qhat_0, ..., qhat_{T-1}``.
    gen_error : ndarray of shape (T + 1,)
        ``arccos(sqrt q_t) / pi``: the test error of the iterate ``w_t``.
    converged : bool
        Whether the fixed point was reached (within ``tol``, as :func:`rafmodel.bayes_optimal`).
        With ``iterations`` given it is whether the last step was already within ``tol``.
    """

    alpha: float
    eps: float
    q: np.ndarray = field(repr=False)
    qhat: np.ndarray = field(repr=False)
    gen_error: np.ndarray = field(repr=False)
    converged: bool

    @property
    def fixed_point(self) -> float:
        """The last ``q`` (the fixed point when ``converged``)."""
        return float(self.q[-1])

    def to_records(self) -> list[dict[str, Any]]:
        """One dict per iteration ``t``: ``alpha, eps, t, m, q, gen_error, converged``.

        Returns
        -------
        list of dict
            ``m = q`` at every iteration.
        """
        return [{"alpha": self.alpha, "eps": self.eps, "t": t, "m": float(q), "q": float(q),
                 "gen_error": float(g), "converged": self.converged}
                for t, (q, g) in enumerate(zip(self.q, self.gen_error))]


def state_evolution(alpha: float, eps: float, *, iterations: int | None = None, tol: float = 1e-12,
                    max_iter: int = 10000) -> StateEvolution:
    """State evolution of AMP on the RAF model from ``q_0 = 0`` (see the module's equations).

    Parameters
    ----------
    alpha : float
        Samples per dimension, ``> 0``.
    eps : float
        Fraction of facts, in ``[0, 1]``.
    iterations : int, optional
        Exactly this many steps (to set beside the iterates of an AMP run); default: until the
        fixed point.
    tol : float, default=1e-12
        Convergence on ``log(q / (1 - q))``, as :func:`rafmodel.bayes_optimal`.
    max_iter : int, default=10000
        Most steps without ``iterations``.

    Returns
    -------
    StateEvolution
        The overlaps per iteration.

    Raises
    ------
    ParameterError
        A bad argument, before any work.
    ConvergenceError
        Without ``iterations``, when the fixed point is not reached in ``max_iter`` steps (its
        ``result`` is the non-converged :class:`StateEvolution`).

    Examples
    --------
    >>> import rafmodel as rm
    >>> se = state_evolution(2.0, 0.2)
    >>> se.converged, abs(se.fixed_point - rm.bayes_optimal(2.0, 0.2).q) < 1e-10
    (True, True)
    >>> state_evolution(2.0, 0.2, iterations=3).q.round(4)
    array([0.    , 0.449 , 0.5074, 0.5189])
    """
    alpha = check_positive_finite("alpha", alpha)
    eps = check_unit_interval("eps", eps)
    tol = check_positive_finite("tol", tol)
    max_iter = check_positive_int("max_iter", max_iter)
    if iterations is not None:
        iterations = check_positive_int("iterations", iterations)
    steps = iterations if iterations is not None else max_iter
    a, e = np.array([alpha]), np.array([eps])
    qs, qhats = [0.0], []
    converged = eps >= 1.0  # nothing to learn: q = 0 throughout
    logit = -math.inf
    for _ in range(steps):
        if eps >= 1.0:
            qhat = 0.0
        else:
            qhat = float(bayes_update(np.array([qs[-1]]), a, e)[0])
        qhats.append(qhat)
        q = qhat / (1.0 + qhat)
        qs.append(q)
        new_logit = math.log(qhat) if qhat > 0 else -math.inf
        converged = eps >= 1.0 or (math.isfinite(new_logit) and abs(new_logit - logit) < tol)
        logit = new_logit
        if converged and iterations is None:
            break
    qarr = np.array(qs)
    res = StateEvolution(alpha=alpha, eps=eps, q=qarr, qhat=np.array(qhats),
                         gen_error=np.arccos(np.sqrt(np.clip(qarr, 0.0, 1.0))) / np.pi, converged=bool(converged))
    if iterations is None and not converged:
        raise ConvergenceError(f"state_evolution: the fixed point was not reached at alpha={alpha!r}, eps={eps!r} "
                               f"after {max_iter} iterations", res)
    return res


def _check_q(q):
    q = check_unit_interval("q", q)
    return q


def fact_auc(q: float) -> float:
    """Area under the ROC curve of the fact posterior at overlap ``q`` (see the module's formula).

    Parameters
    ----------
    q : float
        The overlap of the estimate, in ``[0, 1]``.

    Returns
    -------
    float
        ``AUC(q)``: ``1/2`` at ``q = 0``, ``3/4`` at ``q = 1``.

    Raises
    ------
    ParameterError
        ``q`` outside ``[0, 1]``.

    Examples
    --------
    >>> fact_auc(0.0), fact_auc(1.0)
    (0.5, 0.75)
    """
    q = _check_q(q)
    if q <= 0.0:
        return 0.5
    if q >= 1.0:
        return 0.75
    c = math.sqrt(q / (1.0 - q))

    def f(g):
        return math.exp(-0.5 * g * g) / math.sqrt(2 * math.pi) * (ndtr(c * g) * ndtr(g) + ndtr(-c * g) * ndtr(-g))

    val = integrate.quad(f, 0.0, math.inf, epsabs=1e-13, epsrel=1e-11, limit=200)[0]
    return 2.0 * val


def fact_roc(q: float, thresholds: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The predicted ROC curve of the fact posterior at overlap ``q``.

    A training example is flagged a fact when ``t = y omega < tau`` (posterior above the
    corresponding level); ``TPR(tau) = Phi(tau / sqrt q)`` (facts) and ``FPR(tau) = P(t_rule < tau)``
    with ``t_rule = sign(z) omega``.

    Parameters
    ----------
    q : float
        The overlap, in ``(0, 1)``.
    thresholds : ndarray, optional
        Values of ``tau / sqrt q``; default 201 points in ``[-6, 6]``.

    Returns
    -------
    fpr, tpr : ndarray
        The false- and true-positive rates at each threshold (increasing).

    Raises
    ------
    ParameterError
        ``q`` outside ``(0, 1)``.
    """
    q = _check_q(q)
    if not 0.0 < q < 1.0:
        raise ParameterError("q", f"must be in (0, 1) for a ROC curve, got {q!r}")
    s = np.linspace(-6.0, 6.0, 201) if thresholds is None else np.asarray(thresholds, dtype=float)
    c = math.sqrt(q / (1.0 - q))
    tpr = ndtr(s)
    # omega = sqrt(q) g, |g| = r: t_rule = +r sqrt q with prob Phi(c r), -r sqrt q otherwise
    # FPR(s) = E_r[ Phi(c r) 1{r < s} + (1 - Phi(c r)) 1{-r < s} ],  r = |g|
    fpr = np.empty_like(s)
    for k, sk in enumerate(s):
        def dens(r):
            return 2.0 * math.exp(-0.5 * r * r) / math.sqrt(2 * math.pi)

        up = max(sk, 0.0)
        lo = max(-sk, 0.0)
        a = integrate.quad(lambda r: dens(r) * ndtr(c * r), 0.0, up)[0] if up > 0 else 0.0
        b = integrate.quad(lambda r: dens(r) * ndtr(-c * r), lo, math.inf)[0]
        fpr[k] = a + b
    return fpr, tpr


def predicted_fact_auc(alpha: float, eps: float) -> float:
    """The AUC of AMP's fact posterior at ``(alpha, eps)``: :func:`fact_auc` at the Bayes-optimal ``q``.

    Parameters
    ----------
    alpha : float
        Samples per dimension, ``> 0``.
    eps : float
        Fraction of facts, in ``(0, 1)`` (without facts or rules there is nothing to detect).

    Returns
    -------
    float
        The predicted AUC.

    Raises
    ------
    ParameterError
        ``eps`` not in ``(0, 1)``, or a bad ``alpha``.
    ConvergenceError
        The Bayes-optimal fixed point was not reached.

    Examples
    --------
    >>> round(predicted_fact_auc(4.0, 0.2), 4)
    0.7082
    """
    from .bayes import bayes_optimal

    alpha = check_positive_finite("alpha", alpha)
    eps = check_unit_interval("eps", eps)
    if not 0.0 < eps < 1.0:
        raise ParameterError("eps", f"must be in (0, 1) for fact detection (facts and rules both present), got {eps!r}")
    return fact_auc(bayes_optimal(alpha, eps).q)


def _psi(u, eps):
    """``u + (1 - eps) phi(u) / (eps/2 + (1 - eps) Phi(u))`` in log space (``y h / sqrt V`` on a training input)."""
    log_z = np.logaddexp(math.log(eps / 2.0) if eps > 0 else -math.inf, math.log1p(-eps) + log_ndtr(u))
    return u + np.exp(math.log1p(-eps) - 0.5 * u * u - 0.5 * math.log(2 * math.pi) - log_z)


def training_errors(alpha: float, eps: float) -> tuple[float, float]:
    """``mem_error`` and ``rule_error`` of AMP's estimate on its own training inputs, at the fixed point.

    The estimate labels a training input ``sign(h)``, ``h = omega + (1 - q) g_out`` (see the module's
    formulas): the facts and rules whose ``y omega`` falls below ``u* sqrt(1 - q)`` are misfitted.

    Parameters
    ----------
    alpha : float
        Samples per dimension, ``> 0``.
    eps : float
        Fraction of facts, in ``[0, 1)``.

    Returns
    -------
    mem_error : float
        ``Phi(u* / c)``, ``c = sqrt(q / (1 - q))`` (``nan`` at ``eps = 0``: no facts).
    rule_error : float
        ``FPR(u* / c)`` (``0`` at ``eps = 0``: ``psi > 0``, every rule is fitted).

    Raises
    ------
    ParameterError
        A bad ``alpha`` or ``eps`` (``eps = 1``: nothing is learned, no rule to fit).
    ConvergenceError
        The Bayes-optimal fixed point was not reached.

    Examples
    --------
    >>> mem, rule = training_errors(1.0, 0.2)
    >>> round(mem, 4), round(rule, 4)
    (0.1054, 0.0265)
    """
    from .bayes import bayes_optimal

    alpha = check_positive_finite("alpha", alpha)
    eps = check_unit_interval("eps", eps)
    if eps >= 1.0:
        raise ParameterError("eps", "must be < 1 (at eps = 1 there is no rule to fit)")
    q = bayes_optimal(alpha, eps).q
    if eps == 0.0:
        return math.nan, 0.0
    c = math.sqrt(q / (1.0 - q))
    lo = -1.0
    while _psi(np.array(lo), eps) > 0:
        lo *= 2.0
    u_star = optimize.brentq(lambda u: float(_psi(np.array(u), eps)), lo, 0.0, xtol=1e-14, rtol=1e-13)
    s = u_star / c
    return float(ndtr(s)), float(fact_roc(q, np.array([s]))[0][0])


def bayes_columns(alpha: np.ndarray, eps: np.ndarray) -> dict[str, np.ndarray]:
    """The theory of the learner ``"bayes"`` as the columns of :class:`rafmodel.TheoryResults`.

    What :func:`rafmodel.solve_many` reports for a :class:`rafmodel.BayesOptimal` setting: the
    fixed point of :func:`rafmodel.bayes_optimal` (``m = q``, ``V = 1 - q`` the posterior
    variance, ``mhat = qhat = Vhat``: the Nishimori identities), its ``gen_error``, and the
    estimate's ``mem_error`` and ``rule_error`` on its training inputs (:func:`training_errors`;
    ``mem_error`` is ``nan`` at ``eps = 0``, no facts; at ``eps = 1`` nothing is learned, the
    outputs are 0 and count as errors: ``mem_error = 1``, ``rule_error`` ``nan``, no rules).

    Parameters
    ----------
    alpha, eps : ndarray of shape (N,)
        The points.

    Returns
    -------
    dict of str to ndarray of shape (N,)
        ``m, q, V, mhat, qhat, Vhat, gen_error, mem_error, rule_error, converged, iterations,
        residual, interpolating`` (``interpolating``: every training label fitted, ``eps = 0``).
        A point whose fixed point was not reached carries ``nan`` and ``converged = False``.
    """
    from .bayes import bayes_optimal

    alpha, eps = np.asarray(alpha, dtype=float), np.asarray(eps, dtype=float)
    r = bayes_optimal(alpha, eps, warn=False)
    q, qhat, conv = np.asarray(r.q, float), np.asarray(r.qhat, float), np.asarray(r.converged, bool)
    mem, rule = np.full(alpha.shape, np.nan), np.full(alpha.shape, np.nan)
    for i in np.flatnonzero(conv):
        if eps[i] >= 1.0:
            mem[i] = 1.0
        else:
            mem[i], rule[i] = training_errors(float(alpha[i]), float(eps[i]))
    return {"m": q.copy(), "q": q, "V": np.where(conv, 1.0 - q, np.nan), "mhat": qhat.copy(), "qhat": qhat,
            "Vhat": qhat.copy(), "gen_error": np.asarray(r.gen_error, float), "mem_error": mem, "rule_error": rule,
            "converged": conv, "iterations": np.asarray(r.iterations, int),
            "residual": np.where(conv, 0.0, np.nan), "interpolating": conv & (eps == 0.0)}
