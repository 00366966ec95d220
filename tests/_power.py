"""Theory against finite-size simulations: one comparison, used twice.

Every simulation-vs-theory test of the suite calls :func:`check_with_power`,
which applies the same comparison, :func:`compare`, to the same simulation
results twice:

* with the theory under test: every metric must agree within ``K_SE``
  standard errors;
* with a *perturbed* theory (the same fixed point at ``mustar x 1.3``,
  ``kappa x 2``, ``alpha x 1.1``, ...): at least one metric must disagree.

The second call is the power check.  A test whose tolerance is too loose for its
sizes (``d``, seeds) would accept the perturbed theory too, and fails.

z-score of a metric::

    z = (sim_mean - theory) / se,    se = max(se_seeds, se_binomial)

``se_seeds`` is the standard error of the mean over seeds.  For an error rate
counted over ``n`` items in all (facts, rule samples or test points over the
seeds), ``se_binomial = sqrt(p (1 - p) / n)`` at the theory's rate ``p`` is the
counting noise alone, a floor: a rate that is 0 in every seed (``se_seeds = 0``)
agrees with a small nonzero theory value, and where the theory says exactly 0
(interpolation) the simulation must be exactly 0 too.

No absolute slack is added, except where a test states a measured finite-size
correction (``Stat.bias``).  Otherwise the finite-size bias of these means is
below the standard error of the mean over a dozen seeds at the sizes used; the
tests state the largest |z| of the true theory they observe at their sizes.
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass
from typing import Mapping

#: Allowed |z| for every metric (a few standard errors; no absolute slack).
K_SE = 4.0

ERRORS = ("gen_error", "mem_error", "rule_error")


@dataclass(frozen=True)
class Stat:
    """Mean and standard error over seeds of one metric.

    ``n``: items counted in all, for an error rate (binomial floor of ``se``).
    ``bias``: a known finite-size correction of the mean, allowed before the
    deviation counts (0 unless a test states and justifies it).
    """

    mean: float
    se: float
    n: int | None = None
    bias: float = 0.0


def z_score(stat: Stat, theory: float) -> float:
    se = stat.se if math.isfinite(stat.se) else 0.0
    if stat.n:
        p = min(max(theory, 0.0), 1.0)
        se = max(se, math.sqrt(p * (1 - p) / stat.n))
    diff = stat.mean - theory
    diff = math.copysign(max(abs(diff) - stat.bias, 0.0), diff)
    if se == 0:
        return 0.0 if diff == 0 else math.copysign(math.inf, diff)
    return diff / se


@dataclass(frozen=True)
class Comparison:
    """z-score of every metric and the verdict at ``k`` standard errors."""

    z: dict
    k: float

    @property
    def ok(self) -> bool:
        return all(abs(v) <= self.k for v in self.z.values())

    @property
    def max_abs_z(self) -> float:
        return max(abs(v) for v in self.z.values())

    def __str__(self):
        return ", ".join(f"{m} z={v:+.2f}" for m, v in self.z.items())


def compare(theory: Mapping[str, float], sim: Mapping[str, Stat], k: float = K_SE) -> Comparison:
    """z-score of each metric of ``sim`` against ``theory``; nonfinite theory values count as infinite z."""
    z = {}
    for m, stat in sim.items():
        th = float(theory[m])
        z[m] = z_score(stat, th) if math.isfinite(th) else math.inf
    return Comparison(z, k)


def values(result, metrics) -> dict:
    """``{metric: value}`` of a theory result."""
    return {m: float(getattr(result, m)) for m in metrics}


def check_with_power(theory, perturbed, sim: Mapping[str, Stat], *, what: str, perturbation: str,
                     k: float = K_SE):
    """Assert that ``theory`` agrees with ``sim`` and that ``perturbed`` does not.

    ``theory`` and ``perturbed`` are theory results (attributes named as the metrics
    of ``sim``).  Returns both comparisons.
    """
    true = compare(values(theory, sim), sim, k)
    pert = compare(values(perturbed, sim), sim, k)
    record(what, perturbation=perturbation, k=k, true=true.z, perturbed=pert.z)
    assert true.ok, f"{what}: theory and simulation disagree beyond {k} se: {true}"
    assert not pert.ok, (f"{what}: no power: the theory at {perturbation} agrees with the "
                         f"simulation too (|z| <= {k}): {pert}")
    return true, pert


def record(what: str, **fields):
    """Append ``{what, **fields}`` as a JSON line to the file named by ``$RAF_POWER_REPORT``
    (if set): the z-scores of every power check of a run, for the record."""
    path = os.environ.get("RAF_POWER_REPORT")
    if path:
        line = json.dumps({"what": what, **fields}, default=float)
        with open(path, "a") as f:
            f.write(line + "\n")


def scaled(setting, **factors):
    """``setting`` with parameters multiplied by factors (``alpha``, ``eps``, ``lam`` or a
    learner parameter such as ``mustar``, ``mu1``, ``kappa``) and a label for messages.

    A learner built from a real kernel or an activation is replaced by the plain learner
    with its (scaled) parameters -- all the theory sees.
    """
    own = {k: f for k, f in factors.items() if k in ("alpha", "eps", "lam")}
    changes = {k: getattr(setting, k) * f for k, f in own.items()}
    lp = {k: f for k, f in factors.items() if k not in own}
    if lp:
        learner = setting.learner
        params = {k: float(v) for k, v in learner.params().items()}
        for k, f in lp.items():
            if k not in params:
                raise KeyError(f"{learner.name} has no parameter {k!r}")
            params[k] *= f
        changes["learner"] = type(learner)(**params)
    label = ", ".join(f"{k} x {f:g}" for k, f in factors.items())
    return setting.replace(**changes), label


def sim_stats(result, metrics, bias=None) -> dict:
    """:class:`Stat` of each metric of a :class:`rafmodel.simulation.SimulationResult`
    (``bias``: optional ``{metric: allowance}``)."""
    s, d = result.setting, result.d
    n = max(1, int(round(s.alpha * d)))
    n_facts = int(round(s.eps * n))
    ok = result.n_seeds - result.n_failed
    counts = {"gen_error": result.n_test, "mem_error": n_facts, "rule_error": n - n_facts}
    bias = bias or {}
    return {m: Stat(result.mean(m), result.se(m), counts[m] * ok if m in counts else None,
                    bias.get(m, 0.0))
            for m in metrics}


# ----------------------------------------------------------------------------- lam -> 0+

#: lam > 0 at which the logistic fixed point is solved to extrapolate to lam -> 0+.
LOGISTIC_LAMS = (1e-4, 1e-6, 1e-8, 1e-10)

#: Tolerance on the extrapolated gen_error.  Measured extrapolation errors (against the
#: max-margin fixed point): 3e-6 (linear), 2e-5 (random features), 5e-5 (kernel); the
#: perturbations of the power checks move the max-margin gen_error by 2e-3 to 4e-2.
LOGISTIC_LIMIT_TOL = 2e-4


def logistic_limit(setting, lams=LOGISTIC_LAMS):
    """gen_error of logistic regression as ``lam -> 0+``, from the logistic fixed point
    itself (its own proximal channel, by quadrature) at small ``lam > 0``.

    On separable data the norm grows like ``log(1/lam)`` and the direction tends to
    the max-margin one with an error of order ``1/|w|``: ``gen_error = g0 + a x + b x^2
    + O(x^3)`` in ``x = 1/sqrt(q)``, so a quadratic fit in ``x`` extrapolates to ``g0``.
    (At any single lam the error ``a x`` is still ~1e-3: ``x = 0.03`` at ``lam = 1e-10``.)
    Returns ``(g0, gen_errors at lams)``.
    """
    import numpy as np

    from rafmodel import solve

    rs = [solve(setting.replace(loss="logistic", lam=lam)) for lam in lams]
    x = np.array([1 / np.sqrt(r.q) for r in rs])
    g = np.array([r.gen_error for r in rs])
    return float(np.polyfit(x, g, 2)[-1]), g
