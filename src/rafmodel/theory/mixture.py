"""The theory on Gaussian-mixture inputs: rules and facts when the classes are clusters.

The model (docs/theory.md section 4.2, :class:`rafmodel.Mixture`): each rule class is a Gaussian
cloud around its own mean on one shared covariance ``Sigma``, the label is the class, and the
facts are inputs of a third cloud (or of the rule's clouds) with random labels.  The learner is
linear on those inputs, ``h = w . x / sqrt(d)``, trained by penalized ERM; a kernel learner is the
linear learner on its features, whose mixture :func:`rafmodel.spectra.data_mixture` measures on
images.  The order parameters are the overlaps ``m_r = w . mu_r / sqrt(d)`` with each mean, the
self-overlap ``q = w . Sigma w / d`` and the response ``V``; the fixed point (Loureiro et al.,
"Learning Gaussian mixtures with generalized linear models", NeurIPS 2021, with facts) is:

* channel, per population ``p`` (mean ``r``, weight ``rho_p``, label ``y``) with the training
  margin ``u ~ N(y m_r, q)`` before the proximal step: ``mhat_r = alpha sum rho_p E[y g1]``,
  ``qhat = alpha sum rho_p E[g2]``, ``Vhat = alpha sum rho_p E[g3]``, where ``g1 = (y h - u) /
  V``, ``g2 = g1^2`` and ``g3 = (1 - d(y h)/du) / V`` for the proximal output ``h``;
* prior, with ``B_k = sum_r mhat_r mu_rk`` and ``D_k = lam + Vhat omega_k``: ``m_r = sum_k
  mu_rk B_k / D_k``, ``q = sum_k omega_k B_k^2 / D_k^2 + (qhat / d) sum_k omega_k^2 / D_k^2``,
  ``V = (1/d) sum_k omega_k / D_k``.

The test margin of class ``+-1`` is ``N(+-m_+-, q)``, so ``gen_error = (Phi(-m_+ / sqrt q) +
Phi(m_- / sqrt q)) / 2``; a training example is misfit when ``u < -V`` (the square and hinge
losses), which gives ``mem_error`` (facts) and ``rule_error`` (rule examples).  The square loss's
fixed point is solved in closed form (a scalar root for ``V``, then linear equations); the
hinge's by a root finder started there, with a convergence verdict.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import brentq, root
from scipy.special import ndtr

from ..exceptions import ParameterError
from ..inputs import Mixture
from ..learners import Linear
from ..setting import Setting
from .maps.gaussian import interval_moments

__all__ = ["MixtureResult", "solve_mixture", "solve_mixture_many"]

#: Largest residual of the fixed-point equations (relative, in the solver's coordinates) accepted as converged.
TOL = 1e-9
_LOSSES = ("square", "hinge")


@dataclass(frozen=True)
class MixtureResult:
    """The fixed point of one setting on a :class:`rafmodel.Mixture`.

    Attributes
    ----------
    setting : Setting
        The setting solved.
    m : tuple of float
        Overlaps ``w . mu_r / sqrt(d)`` with the means (``mu_+, mu_-`` and, for class facts, ``mu_f``).
    q, V : float
        Self-overlap ``w . Sigma w / d`` and response.
    gen_error, mem_error, rule_error : float
        Test error on the rule classes, training error on the facts and on the rule examples.
    converged : bool
        Whether the equations hold to :data:`TOL`; if not, every number above is ``nan``.
    """

    setting: Setting
    m: tuple[float, ...]
    q: float
    V: float
    gen_error: float
    mem_error: float
    rule_error: float
    converged: bool
    residual: float = field(default=math.nan, repr=False)

    def to_dict(self) -> dict:
        """The setting's ``alpha, eps, lam, loss`` and the numbers, as a flat dict."""
        s = self.setting
        out = {"alpha": s.alpha, "eps": s.eps, "lam": s.lam, "loss": s.loss.name}
        out.update({f"m{i}": v for i, v in enumerate(self.m)})
        out.update(q=self.q, V=self.V, gen_error=self.gen_error, mem_error=self.mem_error,
                   rule_error=self.rule_error, converged=self.converged)
        return out


def _populations(mix: Mixture, eps: float):
    """``(mean row, weight, probability of y = +1)`` of each training population."""
    rule = [(0, (1 - eps) / 2, 1.0), (1, (1 - eps) / 2, 0.0)]
    facts = [(2, eps, 0.5)] if mix.facts == "class" else [(0, eps / 2, 0.5), (1, eps / 2, 0.5)]
    return rule, [p for p in facts if p[1] > 0]


def _channel_terms(loss: str, u_mean, q, V):
    """``(E g1, E g2, E g3)`` for margins ``u ~ N(u_mean, q)`` (arrays), at response ``V``."""
    if loss == "square":
        D = 1.0 + V
        return (1.0 - u_mean) / D, ((1.0 - u_mean) ** 2 + q) / D ** 2, np.full_like(u_mean, 1.0 / D)
    # hinge: y h = u (u >= 1), 1 (1 - V <= u < 1), u + V (u < 1 - V)
    s = math.sqrt(q)
    lo, hi = (1.0 - V - u_mean) / s, (1.0 - u_mean) / s
    M0, M1, M2 = interval_moments(lo, hi)  # E[t^k 1{lo <= t <= hi}], t ~ N(0, 1)
    a = 1.0 - u_mean  # 1 - u = a - s t on the middle interval
    below = ndtr(lo)
    g1 = (a * M0 - s * M1) / V + below
    g2 = (a * a * M0 - 2 * a * s * M1 + q * M2) / (V * V) + below
    g3 = M0 / V
    return g1, g2, g3


def _hats(loss, mix, eps, alpha, m, q, V):
    """``(mhat per mean, qhat, Vhat)`` at the state ``(m, q, V)``."""
    rule, facts = _populations(mix, eps)
    mh = np.zeros(mix.means.shape[0])
    qh = vh = 0.0
    for r, rho, p_plus in rule + facts:
        for y, py in ((1.0, p_plus), (-1.0, 1.0 - p_plus)):
            if py == 0.0:
                continue
            g1, g2, g3 = _channel_terms(loss, np.array([y * m[r]]), q, V)
            mh[r] += alpha * rho * py * y * g1[0]
            qh += alpha * rho * py * g2[0]
            vh += alpha * rho * py * g3[0]
    return mh, qh, vh


def _prior(mix, lam, mh, qh, vh):
    w, mu, d = mix.eigenvalues, mix.means, mix.d
    D = lam + vh * w
    B = mh @ mu
    m = mu @ (B / D)
    q = float(np.sum(w * B * B / (D * D)) + qh * np.sum(w * w / (D * D)) / d)
    V = float(np.sum(w / D) / d)
    return m, q, V


def _square_closed_form(mix, eps, alpha, lam):
    """The square loss's fixed point: ``V`` from one scalar equation, then ``m`` and ``q`` linear."""
    w, mu, d = mix.eigenvalues, mix.means, mix.d

    def f(V):
        return float(np.sum(w / (lam + alpha * w / (1.0 + V))) / d) - V

    hi = float(np.sum(w) / (lam * d)) + 1.0
    V = brentq(f, 0.0, hi, xtol=1e-15, rtol=1e-14)
    c = alpha / (1.0 + V)  # the square loss's Vhat, and the factor of its mhat
    D = lam + c * w
    G = (mu / D) @ mu.T  # G_rs = sum_k mu_rk mu_sk / D_k
    rule, facts = _populations(mix, eps)
    a, s = np.zeros(mu.shape[0]), np.zeros(mu.shape[0])
    for r, rho, p_plus in rule + facts:
        a[r] += rho * (2 * p_plus - 1)
        s[r] += rho
    # mhat_r = c (a_r - s_r m_r), m = G mhat
    m = np.linalg.solve(np.eye(mu.shape[0]) + c * G * s[None, :], c * G @ a)
    mh = c * (a - s * m)
    B = mh @ mu
    T = float(np.sum(w * B * B / (D * D)))
    S2 = float(np.sum(w * w / (D * D)) / d)
    cst = sum(rho * (p_plus * (1 - m[r]) ** 2 + (1 - p_plus) * (1 + m[r]) ** 2) for r, rho, p_plus in rule + facts)
    k = alpha / (1.0 + V) ** 2 * S2
    q = (T + k * cst) / (1.0 - k) if k < 1.0 else math.inf
    return m, q, V


def _residual(x, loss, mix, eps, alpha, lam):
    R = mix.means.shape[0]
    m, q, V = x[:R], math.exp(x[R]), math.exp(x[R + 1])
    mh, qh, vh = _hats(loss, mix, eps, alpha, m, q, V)
    m2, q2, V2 = _prior(mix, lam, mh, qh, vh)
    if not (q2 > 0 and V2 > 0):
        return np.full(R + 2, 1e10)
    return np.concatenate([m2 - m, [math.log(q2) - x[R], math.log(V2) - x[R + 1]]])


def _errors(mix, eps, m, q, V):
    s = math.sqrt(q)
    gen = 0.5 * (ndtr(-m[0] / s) + ndtr(m[1] / s))
    rule, facts = _populations(mix, eps)

    def misfit(pops):
        tot = sum(rho for _, rho, _ in pops)
        if tot == 0:
            return math.nan
        e = sum(rho * (p * ndtr((-V - m[r]) / s) + (1 - p) * ndtr((-V + m[r]) / s)) for r, rho, p in pops)
        return float(e / tot)

    return float(gen), misfit(facts), misfit(rule)


def _check(setting, mixture):
    if not isinstance(mixture, Mixture):
        raise ParameterError("mixture", f"must be a rafmodel.Mixture, got {type(mixture).__name__}")
    if not isinstance(setting, Setting):
        raise ParameterError("setting", f"must be a rafmodel.Setting, got {type(setting).__name__}")
    if type(setting.learner) is not Linear:
        raise ParameterError("learner", "the mixture theory takes the linear learner on the mixture's inputs (a "
                                        "kernel's features are measured into the mixture: rafmodel.spectra."
                                        "data_mixture)")
    if setting.loss.name not in _LOSSES:
        raise ParameterError("loss", f"the mixture theory knows {' and '.join(_LOSSES)}, got {setting.loss.name!r}")
    if not setting.lam > 0:
        raise ParameterError("lam", "the mixture theory needs lam > 0")
    if not setting.inputs.isotropic:
        raise ParameterError("inputs", "the mixture carries the inputs; the setting's own must be isotropic")


def solve_mixture(setting: Setting, mixture: Mixture) -> MixtureResult:
    """The fixed point of ``setting`` (linear learner, square or hinge loss, ``lam > 0``) on ``mixture``.

    Parameters
    ----------
    setting : Setting
        ``alpha, eps, lam`` and the loss; its learner must be :class:`rafmodel.Linear`.
    mixture : Mixture
        The inputs: class means on a shared covariance (docs/theory.md section 4.2).

    Returns
    -------
    MixtureResult
        The overlaps and errors, with ``converged``; ``nan`` everywhere if not converged.

    Raises
    ------
    ParameterError
        Another learner or loss, ``lam = 0``, or structured inputs in ``setting``.

    Examples
    --------
    >>> import numpy as np, rafmodel as rm
    >>> from rafmodel.theory.mixture import solve_mixture
    >>> mu = np.zeros((3, 200)); mu[0, 0], mu[1, 0], mu[2, 1] = 1.0, -1.0, 1.0
    >>> mix = rm.Mixture(np.ones(200), mu, d=200)
    >>> r = solve_mixture(rm.Setting(alpha=2.0, eps=0.2, lam=0.1), mix)
    >>> r.converged, round(r.gen_error, 4), round(r.mem_error, 4)
    (True, 0.2992, 0.1465)
    """
    _check(setting, mixture)
    alpha, eps, lam, loss = setting.alpha, setting.eps, setting.lam, setting.loss.name
    R = mixture.means.shape[0]
    with np.errstate(all="ignore"):
        try:
            m, q, V = _square_closed_form(mixture, eps, alpha, lam)
        except (ValueError, np.linalg.LinAlgError):
            m, q, V = np.zeros(R), math.inf, math.nan
        x = np.concatenate([m, [math.log(q) if 0 < q < math.inf else 0.0, math.log(V) if V > 0 else 0.0]])
        if not np.all(np.isfinite(x)):
            x = np.concatenate([np.zeros(R), [0.0, 0.0]])
        if loss != "square":
            sol = root(_residual, x, args=(loss, mixture, eps, alpha, lam), method="hybr", options={"xtol": 1e-13})
            x = sol.x
        finite = np.all(np.isfinite(x))
        res = float(np.max(np.abs(_residual(x, loss, mixture, eps, alpha, lam)))) if finite else math.inf
    if not res <= TOL:
        nan = math.nan
        return MixtureResult(setting, (nan,) * R, nan, nan, nan, nan, nan, False, res)
    m, q, V = x[:R], math.exp(x[R]), math.exp(x[R + 1])
    gen, mem, rule = _errors(mixture, eps, m, q, V)
    return MixtureResult(setting, tuple(float(v) for v in m), q, V, gen, mem, rule, True, res)


def solve_mixture_many(settings, mixture: Mixture) -> list[MixtureResult]:
    """:func:`solve_mixture` for each of ``settings`` on one mixture (each point on its own).

    Parameters
    ----------
    settings : sequence of Setting
        The settings.
    mixture : Mixture
        The inputs.

    Returns
    -------
    list of MixtureResult
        In the order of ``settings``.
    """
    return [solve_mixture(s, mixture) for s in settings]
