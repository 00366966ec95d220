"""Approximate message passing (GAMP) for the RAF model: the Bayes-optimal estimator on data.

docs/theory.md section "AMP".  Data ``y_i ~ P(y | z_i)``, ``z_i = theta.x_i / sqrt d``, prior
``theta ~ N(0, I_d)``, and the RAF output channel (the sign rule with probability ``1 - eps``,
a uniform random label, a *fact*, with probability ``eps``)::

    P(y | z) = (1 - eps) Theta(y z) + eps / 2,
    Z_out(y, omega, V) = E_{z ~ N(omega, V)} P(y | z) = eps / 2 + (1 - eps) Phi(y omega / sqrt V).

With ``F = X / sqrt d`` and ``alpha = n / d``, one iteration of generalized AMP (the variances
are scalars: the inputs are i.i.d. and the prior is the same for every coordinate) is::

    V_t     = mean(c_t)                                   (c_t: posterior variances)
    omega_t = F w_t - V_t g_{t-1}                         (cavity fields, Onsager term)
    g_t     = d/domega log Z_out(y, omega_t, V_t),  g'_t = d/domega g_t = -g_t (omega_t / V_t + g_t)
    A_t     = -sum_i g'_{t,i} / d,   B_t = F' g_t + A_t w_t
    w_{t+1} = B_t / (1 + A_t),       c_{t+1} = 1 / (1 + A_t)  (the Gaussian prior's denoisers)

from ``w_0 = 0``, ``c_0 = 1``, ``g_{-1} = 0``.  Its state evolution
(:mod:`rafmodel.theory.amp_se`) is the Bayes-optimal fixed-point iteration of
:func:`rafmodel.bayes_optimal`.  The posterior probability that training example ``i`` is a
fact is ``(eps / 2) / Z_out(y_i, omega_i, V)`` at the last cavity fields.

Every ratio ``phi / Z_out`` is computed in log space (:func:`scipy.special.log_ndtr`), so that
large ``|omega| / sqrt V`` neither overflows nor divides zero by zero.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
from scipy.special import log_ndtr

from .._validation import check_positive_finite, check_positive_int, check_unit_interval
from ..exceptions import ParameterError, SolverError
from ..learners import BayesOptimal
from .base import Fitted, register_estimator

if TYPE_CHECKING:  # for the annotations only
    from numpy.typing import ArrayLike

    from ..data import Dataset
    from ..setting import Setting

__all__ = ["amp", "AMPResult", "AMPEstimator", "channel_output", "DAMPING_SCHEDULE"]

_LOG_2PI_HALF = 0.5 * math.log(2.0 * math.pi)

#: The damping factors ``damping="auto"`` tries in turn, until one run converges.
DAMPING_SCHEDULE = (0.0, 0.3, 0.6)


def channel_output(y: np.ndarray, omega: np.ndarray, V: float, eps: float) -> tuple[np.ndarray, np.ndarray,
                                                                                      np.ndarray]:
    """The RAF channel's ``g_out``, its derivative and ``log Z_out``, in log space.

    Parameters
    ----------
    y : ndarray of shape (n,)
        Labels in ``{-1, +1}``.
    omega : ndarray of shape (n,)
        Cavity means.
    V : float
        Cavity variance, ``> 0``.
    eps : float
        Fraction of facts, in ``[0, 1]``.

    Returns
    -------
    g : ndarray of shape (n,)
        ``d/domega log Z_out = (1 - eps) y phi(u) / (sqrt V Z_out)``, ``u = y omega / sqrt V``.
    dg : ndarray of shape (n,)
        ``d g / d omega = -g (omega / V + g)``.
    log_z : ndarray of shape (n,)
        ``log Z_out = log(eps/2 + (1 - eps) Phi(u))``.

    Examples
    --------
    >>> import numpy as np
    >>> g, dg, lz = channel_output(np.array([1.0]), np.array([0.0]), 1.0, 0.0)
    >>> round(float(g[0]), 6), round(float(np.exp(lz[0])), 6)  # phi(0) / Phi(0), Phi(0)
    (0.797885, 0.5)
    """
    sv = math.sqrt(V)
    u = y * omega / sv
    with np.errstate(divide="ignore"):
        log_a, log_b = math.log(eps / 2.0) if eps > 0 else -math.inf, math.log1p(-eps) if eps < 1 else -math.inf
    log_z = np.logaddexp(log_a, log_b + log_ndtr(u))
    g = y * np.exp(log_b - 0.5 * u * u - _LOG_2PI_HALF - log_z) / sv
    dg = -g * (omega / V + g)
    return g, dg, log_z


@dataclass(frozen=True)
class AMPResult:
    """One AMP run on a training set.

    Attributes
    ----------
    w : ndarray of shape (d,)
        The estimate: the posterior mean of the teacher (in the normalization ``theta ~ N(0, I_d)``).
    variance : float
        The posterior variance of each coordinate, ``1 / (1 + A)``.
    omega : ndarray of shape (n,)
        The cavity field of each training example at the last iteration.
    V : float
        Its variance.
    fact_posterior : ndarray of shape (n,)
        The posterior probability that each training example is a fact,
        ``(eps / 2) / Z_out(y_i, omega_i, V)`` (0 at ``eps = 0``).
    m, q : ndarray of shape (iterations + 1,)
        Overlaps of the iterates ``w_0 = 0, w_1, ...``: ``m_t = w_t.theta / d`` (``nan`` without a
        teacher) and ``q_t = |w_t|^2 / d``.
    converged : bool
        Whether the root-mean-square change of ``w`` fell below ``tol``.  A result with
        ``converged = False`` is not the Bayes-optimal estimate.
    iterations : int
        Iterations run.
    damping : float
        The damping factor of the run (``0``: none).
    delta : float
        The last root-mean-square change of ``w``.
    eps : float
        The fraction of facts the channel assumed.
    """

    w: np.ndarray = field(repr=False)
    variance: float
    omega: np.ndarray = field(repr=False)
    V: float
    fact_posterior: np.ndarray = field(repr=False)
    m: np.ndarray = field(repr=False)
    q: np.ndarray = field(repr=False)
    converged: bool
    iterations: int
    damping: float
    delta: float
    eps: float

    def decision(self, X: ArrayLike) -> np.ndarray:
        """The estimator's outputs ``X w / sqrt d`` (its label: their sign).

        Parameters
        ----------
        X : array_like of shape (m, d)
            Inputs.

        Returns
        -------
        ndarray of shape (m,)
            ``X @ w / sqrt d``.
        """
        X = np.asarray(X, dtype=float)
        return X @ self.w / math.sqrt(len(self.w))

    def info(self) -> dict[str, Any]:
        """The certificate, as a simulation reports it.

        Returns
        -------
        dict
            ``solver`` ("amp"), ``converged``, ``iterations``, ``damping``, ``delta``.
        """
        return {"solver": "amp", "converged": self.converged, "iterations": self.iterations,
                "damping": self.damping, "delta": self.delta}


def _check_data(X, y):
    if not (isinstance(X, np.ndarray) and X.dtype.kind in "fiu"):
        try:
            X = np.asarray(X, dtype=float)
        except (TypeError, ValueError):
            raise ParameterError("X", f"must be a 2-D array of numbers (n, d), got {X!r:.80}") from None
    if X.ndim != 2 or X.shape[0] < 1 or X.shape[1] < 1:
        raise ParameterError("X", f"must be a non-empty 2-D array of shape (n, d), got shape {X.shape}")
    try:
        y = np.asarray(y, dtype=float)
    except (TypeError, ValueError):
        raise ParameterError("y", f"must be labels in {{-1, +1}}, got {y!r:.80}") from None
    if y.shape != (X.shape[0],):
        raise ParameterError("y", f"must have shape ({X.shape[0]},) (one label per row of X), got {y.shape}")
    if not np.all((y == 1.0) | (y == -1.0)):
        raise ParameterError("y", "labels must be -1 or +1")
    if not np.all(np.isfinite(X)):
        raise ParameterError("X", "must hold finite numbers only")
    return X, y


def _run(X, y, eps, w_star, max_iter, tol, damping, bar=None):
    n, d = X.shape
    sd = math.sqrt(d)
    w = np.zeros(d)
    c = 1.0
    g = np.zeros(n)
    ms, qs = [0.0 if w_star is not None else math.nan], [0.0]
    converged, delta, it = False, math.inf, 0
    omega, V = np.zeros(n), 1.0
    with np.errstate(over="ignore", invalid="ignore"):
        for it in range(1, max_iter + 1):
            V = c
            omega = X @ w / sd - V * g
            g_new, dg, _ = channel_output(y, omega, V, eps)
            g = g_new if it == 1 or damping == 0 else (1.0 - damping) * g_new + damping * g
            A = -float(np.sum(dg)) / d
            if not (math.isfinite(A) and A > -1.0):
                break
            w_new = (X.T @ g / sd + A * w) / (1.0 + A)
            if damping:
                w_new = (1.0 - damping) * w_new + damping * w
            c = (1.0 - damping) / (1.0 + A) + damping * c
            if not np.all(np.isfinite(w_new)):
                break
            delta = float(np.linalg.norm(w_new - w)) / sd
            w = w_new
            ms.append(float(w @ w_star) / d if w_star is not None else math.nan)
            qs.append(float(w @ w) / d)
            if bar is not None:
                bar.update()
            if delta < tol:
                converged = True
                break
    _, _, log_z = channel_output(y, omega, V, eps)
    post = np.exp(math.log(eps / 2.0) - log_z) if eps > 0 else np.zeros(n)
    return AMPResult(w=w, variance=float(c), omega=omega, V=float(V), fact_posterior=post, m=np.array(ms),
                     q=np.array(qs), converged=converged, iterations=it, damping=float(damping), delta=delta,
                     eps=float(eps))


def amp(X: ArrayLike, y: ArrayLike, eps: float, *, w_star: ArrayLike | None = None, max_iter: int = 300,
        tol: float = 1e-7, damping: float | str = "auto", progress: bool | None = None) -> AMPResult:
    """Bayes-optimal estimation of the RAF teacher by generalized AMP (see the module's equations).

    Parameters
    ----------
    X : array_like of shape (n, d)
        Training inputs (the theory's: i.i.d. ``N(0, 1)`` entries).
    y : array_like of shape (n,)
        Labels in ``{-1, +1}``.
    eps : float
        Fraction of facts the channel assumes, in ``[0, 1]``.
    w_star : array_like of shape (d,), optional
        The teacher, for the overlaps ``m_t`` of the iterates (not used by the algorithm).
    max_iter : int, default=300
        Most iterations per run.
    tol : float, default=1e-7
        Convergence: the root-mean-square change ``|w_{t+1} - w_t| / sqrt d`` below ``tol``.
    damping : float in [0, 1) or "auto", default="auto"
        Damping of the messages ``g`` and of ``w, c``: ``x <- (1 - damping) x_new + damping x``.
        ``"auto"``: the factors of :data:`DAMPING_SCHEDULE` in turn, until a run converges
        (the undamped iteration first: it is the one state evolution follows).
    progress : bool, optional
        A progress bar of the iterations on stderr (one per damping tried; a run at ``d = 4000``,
        ``alpha = 4`` takes seconds).

    Returns
    -------
    AMPResult
        The estimate, the per-iteration overlaps, the fact posterior and the convergence verdict.
        A run that did not converge is returned flagged ``converged = False`` (the last one tried).

    Raises
    ------
    ParameterError
        A bad argument, before any work: ``X`` not a finite 2-D array, labels other than
        ``-1, +1`` or of the wrong length, ``eps`` outside ``[0, 1]``, ``w_star`` of the wrong
        length, ``damping`` outside ``[0, 1)``.

    Examples
    --------
    >>> import rafmodel as rm
    >>> train = rm.sample_raf(d=400, alpha=2.0, eps=0.2, rng=0)
    >>> r = rm.amp(train.X, train.y, 0.2, w_star=train.w_star)
    >>> r.converged, r.damping, bool(abs(r.m[-1] - r.q[-1]) < 0.05)   # Nishimori: m = q
    (True, 0.0, True)
    """
    X, y = _check_data(X, y)
    eps = check_unit_interval("eps", eps)
    max_iter = check_positive_int("max_iter", max_iter)
    tol = check_positive_finite("tol", tol)
    if w_star is not None:
        w_star = np.asarray(w_star, dtype=float)
        if w_star.shape != (X.shape[1],):
            raise ParameterError("w_star", f"must have shape ({X.shape[1]},) (one weight per column of X), "
                                           f"got {w_star.shape}")
    if isinstance(damping, str):
        if damping != "auto":
            raise ParameterError("damping", f"must be a number in [0, 1) or 'auto', got {damping!r:.80}")
        schedule = DAMPING_SCHEDULE
    else:
        try:
            dmp = float(damping)
        except (TypeError, ValueError):
            raise ParameterError("damping", f"must be a number in [0, 1) or 'auto', got {damping!r:.80}") from None
        if not 0.0 <= dmp < 1.0:
            raise ParameterError("damping", f"must be in [0, 1), got {damping!r}")
        schedule = (dmp,)
    res = None
    for dmp in schedule:
        bar = None
        if progress:
            from tqdm.auto import tqdm

            bar = tqdm(total=max_iter, desc=f"amp (damping {dmp:g})", unit="it", leave=False)
        try:
            res = _run(X, y, eps, w_star, max_iter, tol, dmp, bar)
        finally:
            if bar is not None:
                bar.close()
        if res.converged:
            break
    return res


class AMPEstimator:
    """The estimator of the learner :class:`rafmodel.BayesOptimal`: :func:`amp` with the setting's ``eps``.

    Parameters
    ----------
    eps : float
        The fraction of facts of the data (the channel is the true one: Bayes-optimal).
    max_iter, tol, damping
        As for :func:`amp`.

    Notes
    -----
    ``Fitted.h_train`` and ``Fitted.decision`` are the outputs ``x.w / sqrt d`` of the estimate
    (its labels: their sign), so ``mem_error`` is the error of the rule it learned on the facts
    (it does not store facts).  A run that does not converge raises
    :class:`rafmodel.SolverError` (a simulation counts it as a failed repetition).
    """

    def __init__(self, eps: float, *, max_iter: int = 300, tol: float = 1e-7, damping: float | str = "auto") -> None:
        self.eps, self.max_iter, self.tol, self.damping = eps, max_iter, tol, damping

    def __repr__(self):
        return f"AMPEstimator(eps={self.eps!r})"

    def check(self, n: int, d: int, n_test: int, max_bytes: float) -> None:
        """AMP holds no matrix beyond the data: nothing to refuse (the data source checks them).

        Parameters
        ----------
        n, d, n_test : int
            Sizes (unused).
        max_bytes : float
            Largest size of one matrix (unused).
        """

    def fit(self, train: Dataset, rng: np.random.Generator) -> Fitted:
        """Run AMP on ``train`` (deterministic: ``rng`` is not used).

        Parameters
        ----------
        train : Dataset
            ``X``, ``y`` and, where known, the teacher ``w_star`` (for the overlaps of the iterates).
        rng : numpy.random.Generator
            Unused (AMP starts from ``w = 0``).

        Returns
        -------
        Fitted
            Outputs, decision, ``w`` and the certificate (:meth:`AMPResult.info`).

        Raises
        ------
        SolverError
            AMP did not converge with any damping of the schedule.
        """
        r = amp(train.X, train.y, self.eps, w_star=train.w_star, max_iter=self.max_iter, tol=self.tol,
                damping=self.damping)
        if not r.converged:
            raise SolverError(f"AMP did not converge in {r.iterations} iterations (last change {r.delta:.3g}, "
                              f"damping {r.damping})", r)
        info = r.info()
        return Fitted(h_train=r.decision(train.X), decision=r.decision, w=r.w, info=info)


@register_estimator(BayesOptimal)
def _bayes_estimator(setting: Setting) -> AMPEstimator:
    return AMPEstimator(setting.eps)
