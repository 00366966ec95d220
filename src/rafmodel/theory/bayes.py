"""Bayes-optimal generalization error of the RAF model (docs/theory.md section 3).

The Bayes-optimal estimator of the teacher from RAF data has overlap ``q`` solving

    qhat = alpha E_xi sum_y dZ0(y)^2 / Z0(y)   at m = q  (w0 = sqrt(q) xi, V0 = 1 - q),
    q    = qhat / (1 + qhat),

and ``gen_error = arccos(sqrt q) / pi``.  With ``u = w0 / sqrt(V0) = c xi``,
``c = sqrt(q / (1 - q))``, the channel term is

    qhat = alpha (1-eps)^2 / (1-q) E_xi[ F(c xi) ],
    F(u) = phi(u)^2 sum_y 1 / ((1-eps) Phi(y u) + eps/2).

For large ``alpha``, ``q -> 1`` and ``gen_error ~ C(eps) / alpha`` with
``C = 1 / (pi K)``, ``K = (1-eps)^2 / sqrt(2 pi) int F(u) du`` (:func:`bayes_rate`).
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from scipy.special import log_ndtr

from .._math.quadrature import normal_expectation as _gauss_integral
from .._validation import check_count, check_positive_finite, check_positive_int, check_unit_interval
from ..exceptions import ConvergenceError, ConvergenceWarning, ParameterError
from ..tables import Tabular
from .gaussian import SQRT_2PI

if TYPE_CHECKING:  # for the annotations only
    from numpy.typing import ArrayLike

__all__ = ["bayes_optimal", "bayes_rate", "bayes_update", "BayesResult"]


def _F(u, eps):
    """``phi(u)^2 sum_y 1 / ((1-eps) Phi(y u) + eps/2)``, computed in log space."""
    log_phi2 = -u * u - np.log(2.0 * np.pi)
    tot = 0.0
    for y in (1.0, -1.0):
        lp = log_ndtr(y * u)
        # log((1-eps) Phi + eps/2) without underflow of Phi
        with np.errstate(divide="ignore"):
            lz = np.logaddexp(np.log1p(-eps) + lp, np.log(eps / 2.0))
        tot = tot + np.exp(log_phi2 - lz)
    return tot


def _channel(q, eps, n_nodes=16):
    c = np.sqrt(q / (1.0 - q))
    ac = np.maximum(c, 1e-300)[:, None]
    breaks = np.outer(1.0 / ac[:, 0], [-8.0, -4.0, -2.0, -1.0, 1.0, 2.0, 4.0, 8.0])
    e = eps[:, None]
    EF = _gauss_integral(lambda x: _F(ac * x, e), breaks, n_nodes)
    return (1.0 - eps) ** 2 / (1.0 - q) * EF


def bayes_update(q: np.ndarray, alpha: np.ndarray, eps: np.ndarray) -> np.ndarray:
    """One step of the Bayes-optimal iteration: ``qhat = alpha (1-eps)^2 / (1-q) E_xi[F(c xi)]``.

    The map that :func:`bayes_optimal` iterates to its fixed point (with ``q = qhat / (1 + qhat)``),
    and the state evolution of AMP (:mod:`rafmodel.theory.amp_se`) iteration by iteration.

    Parameters
    ----------
    q : ndarray of shape (B,)
        Overlaps in ``[0, 1)``.
    alpha, eps : ndarray of shape (B,)
        Samples per dimension and fraction of facts (``eps < 1``), one per overlap.

    Returns
    -------
    ndarray of shape (B,)
        ``qhat``.

    Examples
    --------
    >>> import numpy as np
    >>> round(float(bayes_update(np.array([0.0]), np.array([1.0]), np.array([0.0]))[0]), 12)  # 2 / pi
    0.636619772368
    """
    return alpha * _channel(q, eps)


@dataclass(frozen=True)
class BayesResult(Tabular):
    """Bayes-optimal overlap and error (arrays for array input, floats for scalars).

    Attributes
    ----------
    alpha, eps : float or ndarray
        The points, broadcast against each other (all arrays below have their shape).
    q : float or ndarray
        Overlap of the Bayes-optimal estimator with the teacher (``m = q``).
    qhat : float or ndarray
        Its conjugate, ``q / (1 - q)``.
    gen_error : float or ndarray
        ``arccos(sqrt q) / pi``; ``nan`` where not converged.
    converged : bool or ndarray of bool
        Whether the fixed point was reached.
    iterations : int or ndarray of int
        Iterations spent per point.
    """

    alpha: float | np.ndarray
    eps: float | np.ndarray
    q: float | np.ndarray
    qhat: float | np.ndarray
    gen_error: float | np.ndarray
    converged: bool | np.ndarray
    iterations: int | np.ndarray

    def to_records(self) -> list[dict[str, Any]]:
        """One flat dict per point.

        Returns
        -------
        list of dict
            ``alpha, eps, q, qhat, gen_error, converged, iterations`` of each point,
            in C order of the broadcast shape.
        """
        cols = {k: np.atleast_1d(getattr(self, k)) for k in self.__dataclass_fields__}
        n = len(cols["q"])
        return [{k: (v[i].item() if hasattr(v[i], "item") else v[i]) for k, v in cols.items()} for i in range(n)]


def bayes_optimal(alpha: ArrayLike, eps: ArrayLike, *, tol: float = 1e-12, max_iter: int = 10000,
                  warn: bool = True) -> BayesResult:
    """Bayes-optimal generalization error of the RAF model.

    Parameters
    ----------
    alpha : float or array_like
        Samples per dimension (> 0, finite).
    eps : float or array_like
        Fraction of facts, in [0, 1]; broadcast against ``alpha``.
    tol : float, default=1e-12
        Convergence tolerance on ``log(q / (1 - q))`` (> 0, finite).
    max_iter : int, default=10000
        Most iterations per point (a positive integer).
    warn : bool, default=True
        For array input, warn (:class:`rafmodel.ConvergenceWarning`) when some points
        did not converge; ``False`` silences it.

    Returns
    -------
    BayesResult
        For array input, points that did not converge are kept, flagged
        ``converged = False`` and carry ``nan``.

    Raises
    ------
    ParameterError
        For a bad argument, before any work: a value out of range, shapes of ``alpha`` and
        ``eps`` that do not broadcast, or more than :data:`rafmodel._validation.MAX_POINTS`
        points.
    ConvergenceError
        For scalar ``alpha`` and ``eps`` (one result asked for) when the fixed point
        was not reached; its ``result`` is the non-converged :class:`BayesResult`.
        The iteration in ``q`` cannot resolve ``1 - q`` below the double precision,
        which happens at ``alpha`` of about ``1e9`` and beyond (``eps = 0``).

    Warns
    -----
    ConvergenceWarning
        For array input, when some points did not converge (unless ``warn=False``).

    See Also
    --------
    bayes_rate : the constant of the large-``alpha`` decay ``gen_error ~ C / alpha``.

    Examples
    --------
    >>> import rafmodel as rm
    >>> r = rm.bayes_optimal(2.0, 0.2)
    >>> r.converged, round(r.gen_error, 4), round(r.q, 4)
    (True, 0.243, 0.522)
    >>> rm.bayes_optimal([1.0, 2.0, 4.0], 0.2).gen_error.round(4)
    array([0.3081, 0.243 , 0.1702])
    """
    scalar = np.ndim(alpha) == 0 and np.ndim(eps) == 0
    alpha = np.asarray(check_positive_finite("alpha", alpha), dtype=float)
    eps = np.asarray(check_unit_interval("eps", eps), dtype=float)
    tol = check_positive_finite("tol", tol)
    max_iter = check_positive_int("max_iter", max_iter)
    try:
        shape = np.broadcast_shapes(alpha.shape, eps.shape)
    except ValueError:
        raise ParameterError("eps", f"shape {eps.shape} does not broadcast against alpha's shape {alpha.shape}; "
                                    "give arrays of one shape (or a number)") from None
    check_count("alpha", math.prod(shape), what="points (alpha x eps)", hint="split the grid")
    alpha, eps = np.broadcast_arrays(alpha, eps)
    a, e = alpha.ravel().copy(), eps.ravel().copy()
    B = a.size
    # iterate on t = log(q / (1 - q)) (unconstrained); start from the small-alpha expansion
    q = np.full(B, 0.5)
    t = np.log(q / (1.0 - q))
    conv = np.zeros(B, bool)
    its = np.zeros(B, int)
    done_t = np.full(B, np.nan)
    act = np.flatnonzero(e < 1.0)
    conv[e >= 1.0] = True  # eps = 1: nothing to learn, q = 0
    done_t[e >= 1.0] = -np.inf
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        for it in range(1, max_iter + 1):
            if act.size == 0:
                break
            qa = 1.0 / (1.0 + np.exp(-t[act]))
            qhat = bayes_update(qa, a[act], e[act])
            t_new = np.log(qhat)  # q/(1-q) = qhat
            its[act] = it
            ok = np.isfinite(t_new)
            d = np.abs(t_new - t[act])
            fin = ok & (d < tol)
            done_t[act[fin]] = t_new[fin]
            conv[act[fin]] = True
            bad = ~ok
            keep = ~fin & ~bad
            t[act[keep]] = t_new[keep]
            act = act[keep]
    qv = np.where(conv, 1.0 / (1.0 + np.exp(-done_t)), np.nan)
    qhatv = np.where(conv, np.exp(done_t), np.nan)
    gen = np.where(conv, np.arccos(np.sqrt(np.clip(qv, 0, 1))) / np.pi, np.nan)
    out = dict(alpha=alpha.reshape(shape), eps=eps.reshape(shape), q=qv.reshape(shape),
               qhat=qhatv.reshape(shape), gen_error=gen.reshape(shape), converged=conv.reshape(shape),
               iterations=its.reshape(shape))
    n_bad = int(conv.size - np.count_nonzero(conv))
    if scalar:
        res = BayesResult(**{k: (v.item() if hasattr(v, "item") else v) for k, v in out.items()})
        if n_bad:
            raise ConvergenceError(f"bayes_optimal: the fixed point was not reached at alpha={res.alpha!r}, "
                                   f"eps={res.eps!r} after {res.iterations} iterations", res)
        return res
    if warn and n_bad:
        warnings.warn(f"bayes_optimal: {n_bad} of {conv.size} points did not converge "
                      "(converged=False, values nan)", ConvergenceWarning, stacklevel=2)
    return BayesResult(**out)


def bayes_rate(eps: ArrayLike) -> float | np.ndarray:
    """Constant ``C(eps)`` of the large-``alpha`` decay ``gen_error ~ C / alpha`` (Bayes-optimal).

    ``C = 1 / (pi K)`` with ``K = (1-eps)^2 / sqrt(2 pi) int F(u) du``; ``C = inf`` at ``eps = 1``.

    Parameters
    ----------
    eps : float or array_like
        Fraction of facts, in ``[0, 1]``.

    Returns
    -------
    float or ndarray
        ``C``, a float for a scalar ``eps``, else an array of ``eps``'s shape.

    Raises
    ------
    ParameterError
        ``eps`` not a finite number in ``[0, 1]``.

    Examples
    --------
    >>> round(bayes_rate(0.2), 4), bayes_rate(1.0)
    (0.9168, inf)
    """
    from scipy.integrate import quad

    e = np.atleast_1d(np.asarray(check_unit_interval("eps", eps), dtype=float))
    C = np.full(e.shape, np.inf)
    for i, ei in enumerate(e.ravel()):
        if ei < 1.0:
            intF = quad(lambda u: float(_F(np.array(u), ei)), -40.0, 40.0, points=[0.0], limit=200,
                        epsabs=1e-14, epsrel=1e-12)[0]
            C.flat[i] = 1.0 / (np.pi * (1.0 - ei) ** 2 / SQRT_2PI * intF)
    return float(C[0]) if np.ndim(eps) == 0 else C.reshape(np.shape(eps))
