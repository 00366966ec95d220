"""Interpolation thresholds: where a learner can fit every training label at lam = 0.

The learner-independent machinery: Gardner's capacity :func:`alpha_c` of the linear classifier on
RAF data, and the zero-margin capacity of any learner's map (:func:`interpolation_capacity`).
What a learner adds is in its map module (:mod:`rafmodel.theory.maps`): ``exact_threshold(p)``
and, optionally, ``SEPARABILITY = "alpha_c"``; :func:`interpolation_threshold` reads them through
the learner's :class:`~rafmodel.theory.maps.LearnerMap`, whatever its type.  (The way of
rafmodel 0.5, ``@interpolation_threshold.register(MyLearner)``, still works until 0.6, with a
DeprecationWarning.)
"""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING, Any

import numpy as np

from .._deprecation import deprecated_register, registered_for
from ..exceptions import ParameterError
from .maps import LearnerMap, learner_map

if TYPE_CHECKING:  # for the annotations only
    from numpy.typing import ArrayLike

    from ..learners import Learner
    from ..losses import Loss

__all__ = ["alpha_c", "capacity_denominator", "interpolation_capacity", "interpolation_threshold",
           "interpolation_thresholds"]


def capacity_denominator(R: ArrayLike, eps: float | np.ndarray) -> np.ndarray:
    """``(1-eps) E(-(R|z| + sqrt(1-R^2) g))_+^2 + eps/2`` in closed form.

    With ``W = R|z| + sqrt(1-R^2) g``: ``E(-W)_+^2 = 1/2 - (arcsin R + R sqrt(1-R^2)) / pi``.

    Parameters
    ----------
    R : float or array_like
        Correlation with the teacher, in ``[-1, 1]``.
    eps : float or ndarray
        Fraction of facts, broadcasting with ``R``.

    Returns
    -------
    ndarray
        The denominator of :func:`alpha_c`, of the broadcast shape (0-d for scalars).

    Examples
    --------
    >>> float(capacity_denominator(0.0, 1.0)), float(capacity_denominator(1.0, 0.0))
    (0.5, 0.0)
    """
    R = np.asarray(R, dtype=float)
    return (1.0 - eps) * (0.5 - (np.arcsin(R) + R * np.sqrt(1.0 - R * R)) / np.pi) + 0.5 * eps


@lru_cache(maxsize=4096)
def _alpha_c_scalar(eps):
    if eps <= 0.0:
        return np.inf
    # R = cos(theta); the maximizer approaches R = 1 (theta = 0) as eps -> 0.
    def neg(log_theta):
        th = np.exp(log_theta)
        R = np.cos(th)
        return -np.sin(th) ** 2 / capacity_denominator(R, eps)

    grid = np.linspace(np.log(1e-9), np.log(np.pi / 2), 400)
    vals = np.array([neg(t) for t in grid])
    i = int(np.argmin(vals))
    lo, hi = grid[max(i - 1, 0)], grid[min(i + 1, len(grid) - 1)]
    if hi <= lo:
        return -vals[i]
    from scipy.optimize import minimize_scalar

    res = minimize_scalar(neg, bounds=(lo, hi), method="bounded", options={"xatol": 1e-12})
    return float(-min(res.fun, vals[i]))


def alpha_c(eps: ArrayLike) -> float | np.ndarray:
    """Capacity of the linear classifier on RAF data (docs/theory.md section 3).

    ``alpha_c(eps) = max_R (1-R^2) / [(1-eps) E(-(R|z| + sqrt(1-R^2) g))_+^2 + eps/2]``;
    the max-margin classifier exists iff ``alpha < alpha_c``.  ``alpha_c(1) = 2``
    (Cover/Gardner) and ``alpha_c(0) = inf``.

    Parameters
    ----------
    eps : float or array_like
        Fraction of facts, in [0, 1].

    Returns
    -------
    float or ndarray
        ``alpha_c``, a float for a scalar ``eps``, else an array of ``eps``'s shape.

    Raises
    ------
    ParameterError
        If ``eps`` is not a finite number in [0, 1].

    See Also
    --------
    interpolation_capacity : the same threshold for other learners.

    Examples
    --------
    >>> import rafmodel as rm
    >>> round(rm.alpha_c(0.2), 4), rm.alpha_c(1.0), rm.alpha_c(0.0)
    (2.9923, 2.0, inf)
    >>> rm.alpha_c([0.5, 1.0]).round(4)
    array([2.2453, 2.    ])
    """
    from .._validation import check_unit_interval

    e = np.asarray(check_unit_interval("eps", eps), dtype=float)
    uniq, inv = np.unique(e.reshape(-1), return_inverse=True)
    vals = np.array([_alpha_c_scalar(float(u)) for u in uniq])[inv].reshape(e.shape)
    return float(vals) if np.ndim(vals) == 0 else vals


def _zero_margin_channel(rho, eps):
    """Channel of the zero-margin (capacity) problem per unit sample ratio, at ``q = V = 1``.

    At the capacity the max-margin norm diverges and the response vanishes: the
    margin becomes negligible (the projection ``max(u, 1)`` tends to ``max(u, 0)``)
    and the channel integrals are closed forms in the training-time correlation ``rho``.
    """
    mh = (1.0 - eps) * np.sqrt(1.0 - rho * rho) / np.pi
    qh = capacity_denominator(rho, eps)
    vh = 0.5 * eps + (1.0 - eps) * (0.5 - np.arcsin(rho) / np.pi)
    return mh, qh, vh


def interpolation_capacity(learner: Learner, eps: float, P: dict[str, float] | None = None) -> float:
    """Largest ``alpha`` at which ``learner`` can fit every label with a margin (hinge, lam = 0).

    As ``alpha -> alpha_c`` the max-margin solution has ``q -> infinity`` and
    ``lam V -> 0``: the equations become those of the zero-margin problem with
    ``lam = 0``, which are homogeneous in the scales of ``q`` and ``V``.  ``alpha_c``
    is where their map has a fixed point of the correlation ``rho = m / sqrt(q)``
    that also leaves the scale of ``q`` unchanged (two equations in
    ``(rho, alpha)``).  For the linear learner this reproduces :func:`alpha_c`, and
    for random features at ``eps = 1`` Cover's count ``alpha_c = 2 kappa``; both are
    tests.  Solved by continuation in ``eps`` from ``eps = 1`` (where ``rho = 0``).

    Parameters
    ----------
    learner : Learner
        The learner (its parameters are read from ``P``).
    eps : float
        Fraction of facts, in ``[0, 1]``.
    P : dict of str to float, optional
        The learner's parameters as floats; default ``learner.params()``.

    Returns
    -------
    float
        The capacity ``alpha``.  ``nan`` if the continuation fails for ``eps > 0``.
        At ``eps = 0`` a learner that can represent the teacher (linear, full-rank
        linear features) separates any amount of rule data; the continuation then
        fails as ``rho -> 1`` and ``inf`` is returned.

    Raises
    ------
    ParameterError
        ``eps`` not a finite number in ``[0, 1]``, or a learner without an exact theory.

    Examples
    --------
    >>> import rafmodel as rm
    >>> round(rm.interpolation_capacity(rm.Linear(), 0.2, {}), 4)  # alpha_c(0.2)
    2.9923
    >>> rf = rm.RandomFeatures(kappa=2.0, mu1=0.5, mustar=0.3)
    >>> round(rm.interpolation_capacity(rf, 1.0, rf.params()), 4)  # Cover: 2 kappa
    4.0
    """
    from .._validation import check_unit_interval

    eps = float(check_unit_interval("eps", eps))
    lmap = learner_map(learner)
    if P is None:
        P = {k: float(v) for k, v in learner.params().items()}
    return _zero_margin_capacity(lmap, eps, P)


def _zero_margin_capacity(lmap: LearnerMap, eps: float, P: dict[str, float]) -> float:
    """:func:`interpolation_capacity` of the map ``lmap`` (``eps`` checked, ``P`` floats)."""
    from scipy.optimize import brentq, root

    if eps <= 0.0:
        val = _zero_margin_capacity(lmap, 1e-300, P) if eps == 0.0 else np.nan
        return np.inf if not np.isfinite(val) else val

    def scaled(rho, alpha, e):
        a = float(lmap.sample_ratio(alpha, P))
        mh, qh, vh = _zero_margin_channel(rho, e)
        state, _ = lmap.update(a * mh, a * qh, a * vh, 0.0, P)
        m2, q2, _ = lmap.to_channel(state, 0.0, P)
        return m2 / np.sqrt(q2), q2

    def residual(x, e):
        with np.errstate(all="ignore"):
            r2, q2 = scaled(np.tanh(x[0]), np.exp(x[1]), e)
            out = [np.arctanh(np.clip(r2, -1 + 1e-16, 1 - 1e-16)) - x[0], np.log(q2)]
        return [v if np.isfinite(v) else 1e6 for v in out]

    # eps = 1: rho = 0 and log q'(alpha) = 0 is one equation in alpha
    f = lambda la: np.log(scaled(0.0, np.exp(la), 1.0)[1])  # noqa: E731
    lo, hi = np.log(1e-6), np.log(1e6)
    try:
        la = brentq(f, lo, hi, xtol=1e-14)
    except ValueError:
        return np.nan
    x = np.array([0.0, la])
    e_cur, step = 1.0, 0.05
    while e_cur > eps:
        e_next = max(eps, e_cur - step)
        sol = root(residual, x, args=(e_next,), method="hybr", options={"xtol": 1e-14})
        if not max(abs(v) for v in residual(sol.x, e_next)) < 1e-10:  # (hybr may flag a too-small xtol)
            step /= 2.0
            if step < 1e-7:
                return np.nan
            continue
        x, e_cur = sol.x, e_next
        step = min(step * 1.5, 0.2)
    return float(np.exp(x[1]))


def interpolation_threshold(learner: Learner, loss: Loss, eps: float | np.ndarray,
                            P: dict[str, float | np.ndarray], inputs: Any = None) -> float | np.ndarray:
    """The ``alpha`` below which ``learner`` fits every label at ``lam = 0``.

    What fitting means depends on ``loss.interpolation``: ``"exact"`` (``h_i = y_i``)
    or ``"margin"`` (``y_i h_i >= 1``, separability).  Both come from the learner's map
    (:class:`rafmodel.theory.maps.LearnerMap`), whatever its type:

    * ``"exact"``: the map module's ``exact_threshold(p)`` (the rank of the features per
      sample: ``1`` for the linear learner, ``inf`` where a memory channel fits anything);
    * ``"margin"``: ``inf`` where the exact threshold is (an exact fit is a fit with margin 1),
      else the zero-margin capacity of the map: :func:`alpha_c` where the map module declares
      ``SEPARABILITY = "alpha_c"`` (its zero-margin problem is the linear learner's, rescaled),
      otherwise :func:`interpolation_capacity` solved per point.

    Parameters
    ----------
    learner : Learner
        A learner with an exact theory (its map is found by type).
    loss : Loss
        Its ``interpolation`` decides what fitting means.
    eps : float or ndarray of shape (B,)
        Fraction of facts.
    P : dict of str to float or ndarray of shape (B,)
        The learner's parameters (floats or arrays broadcasting with ``eps``).
    inputs : Inputs, optional
        The input model (:mod:`rafmodel.inputs`; default isotropic).  The zero-margin capacity is
        that of the learner's map on these inputs (for random features it depends on the
        spectrum; for the linear and kernel learners it does not, docs/theory.md 3.11); the
        thresholds are per input dimension of the spectrum (the solver scales them by
        ``inputs.directions``).

    Returns
    -------
    float or ndarray
        The threshold ``alpha``, of the broadcast shape of ``eps`` and ``P`` (``inf``:
        the learner fits any amount of data, e.g. a kernel with ``mustar > 0``).

    Raises
    ------
    ParameterError
        A learner without an exact theory, or whose map module gives no ``exact_threshold``
        for an ``"exact"`` loss.
    ConvergenceError
        The zero-margin capacity could not be solved at some ``eps > 0``.

    Examples
    --------
    >>> import rafmodel as rm
    >>> float(interpolation_threshold(rm.Linear(), rm.Square(), 0.2, {}))  # n < d
    1.0
    >>> round(float(interpolation_threshold(rm.Linear(), rm.Hinge(), 0.2, {})), 4)  # separability
    2.9923
    """
    lmap = learner_map(learner).with_inputs(inputs)
    legacy = registered_for(_REGISTERED, learner)
    if legacy is not None:
        return legacy(learner, loss, eps, P)
    eps = np.asarray(eps, dtype=float)
    exact = lmap.extra("exact_threshold")
    if exact is None:
        if loss.interpolation == "exact":
            raise ParameterError("learner", f"no exact interpolation threshold for {type(learner).__name__}: its "
                                            f"map module {lmap.module.__name__} defines no exact_threshold(p)")
        finite = np.ones(eps.shape, bool)
        out = np.full(eps.shape, np.nan)
    else:
        out = np.asarray(exact(P), dtype=float)
        out = np.broadcast_to(out, np.broadcast_shapes(out.shape, eps.shape, *(np.shape(v) for v in P.values())))
        if loss.interpolation == "exact":
            return out.copy()
        finite = np.isfinite(out)
        out = np.where(finite, np.nan, np.inf)  # no exact fit -> the zero-margin capacity below
    if not finite.any():
        return out
    e = np.broadcast_to(eps, out.shape)
    if getattr(lmap.module, "SEPARABILITY", "solve") == "alpha_c":
        out[finite] = alpha_c(e[finite])
        return out
    Pb = [np.broadcast_to(np.asarray(P[k], dtype=float), out.shape)[finite] for k in lmap.params]
    out[finite] = [_capacity(lmap, float(ei), tuple(map(float, pi))) for ei, *pi in zip(e[finite], *Pb)]
    return out


#: Thresholds registered the way of rafmodel 0.5, ``@interpolation_threshold.register(MyLearner)``
#: (deprecated: the learner's map module gives them; gone in 0.6).
_REGISTERED: dict[type, Any] = {}


interpolation_threshold.register = deprecated_register(
    _REGISTERED, "interpolation_threshold", "define exact_threshold(p) (and SEPARABILITY) in the learner's map module")


@lru_cache(maxsize=4096)
def _capacity(lmap, eps, p):
    """The zero-margin capacity of ``lmap`` at ``eps`` and parameters ``p`` (in ``lmap.params`` order)."""
    P = dict(zip(lmap.params, p))
    val = _zero_margin_capacity(lmap, eps, P)
    if not np.isfinite(val) and eps > 0:
        from ..exceptions import ConvergenceError

        raise ConvergenceError(f"could not compute the separability threshold of the {lmap.name} learner at "
                               f"eps={eps}, " + ", ".join(f"{k}={v}" for k, v in P.items()))
    return val


def interpolation_thresholds(learner: Any, eps: float, inputs: Any = "isotropic") -> dict[str, float]:
    """Both interpolation thresholds of ``learner`` on RAF data with a fraction ``eps`` of facts.

    Parameters
    ----------
    learner : Learner
        A learner with an exact theory (:func:`rafmodel.theory.has_theory`); ``raf capacity`` asks this
        (no setting, hence no ``alpha``, ``lam`` or loss, is needed).
    eps : float
        Fraction of facts, in ``[0, 1]``.
    inputs : Inputs or str, default="isotropic"
        The input model (:func:`rafmodel.inputs.get_inputs`).  Only the random-features learner's
        separability depends on it (docs/theory.md 3.12); thresholds are per input dimension
        times the spectrum's directions.

    Returns
    -------
    dict
        ``alpha_c``: below it the learner separates every training label with a margin
        (hinge / max-margin at ``lam = 0``); ``alpha_c_square``: below it the learner fits every
        label exactly (min-norm interpolator).  ``inf`` where it fits any amount of data.

    Raises
    ------
    ParameterError
        ``eps`` outside ``[0, 1]``, a learner without an exact theory, or a threshold that
        cannot be computed at this ``eps``.

    Examples
    --------
    >>> import rafmodel as rm
    >>> t = rm.theory.capacity.interpolation_thresholds(rm.Linear(), 0.2)
    >>> round(t["alpha_c"], 4), t["alpha_c_square"]
    (2.9923, 1.0)
    """
    from .._validation import check_unit_interval
    from ..losses import Hinge, Square
    from .maps import has_theory

    eps = float(check_unit_interval("eps", eps))
    if not has_theory(learner):
        raise ParameterError("learner", f"{getattr(learner, 'name', type(learner).__name__)!r} has no exact "
                                        "theory, hence no interpolation threshold")
    from ..inputs import get_inputs

    inputs = get_inputs(inputs)
    P = {k: float(v) for k, v in learner.params().items()}
    try:
        margin = float(interpolation_threshold(learner, Hinge(), eps, P, inputs))
    except RuntimeError as e:
        raise ParameterError("eps", str(e)) from None
    exact = float(interpolation_threshold(learner, Square(), eps, P, inputs))
    return {"alpha_c": margin * inputs.directions, "alpha_c_square": exact * inputs.directions}
