"""Theory vs finite-size simulations, every learner x loss (THEORY.md sections 1-3).

For each point the asymptotic prediction of :func:`rafmodel.solve` is compared
with the mean over ``N_SEEDS`` independent simulations at dimension ``D``
(``tests/_sim.py``), metric by metric:

    |sim_mean - theory| <= K_SE * SE + SLACK[metric]

``SE`` is the standard error of the mean over seeds (it includes the test-set
noise of ``gen_error``); ``SLACK`` is a small absolute allowance for the O(1/d)
finite-size bias.  Where the theory says the learner interpolates (``lam = 0``
below the interpolation threshold) the training errors must be exactly 0 in
every simulation.  ``m, q`` are the overlaps ``w.w*/d, |w|^2/d`` of the weight of
the linear part (linear learner: ``w``; kernel learner: ``ms, qs``); they are not
compared for logistic at ``lam = 0`` on separable data, whose norm diverges
(only the direction -- the max-margin one -- is defined).

Each point is simulated once (cached) and shared by its metric tests.  Run it
serially: numpy's BLAS already uses every core, so pytest-xdist does not speed it
up (if used anyway, ``--dist loadgroup`` keeps a point's tests on one worker).
"""

from __future__ import annotations

import functools
import math
import zlib

import numpy as np
import pytest

import rafmodel as rm

from _sim import simulate_seeds

pytestmark = pytest.mark.slow

D = 1000      # dimension of the simulations (one point uses less, see POINTS)
N_SEEDS = 8   # independent data sets per point
K_SE = 4.0    # allowed deviation in standard errors of the mean over seeds
SLACK = {"gen_error": 0.005, "mem_error": 0.005, "rule_error": 0.005, "m": 0.01, "q": 0.01}
ERRORS = ("gen_error", "mem_error", "rule_error")

LIN = rm.Linear()
K55 = rm.Kernel(mu1=0.5, mustar=0.5)
K103 = rm.Kernel(mu1=1.0, mustar=0.3)
LAM_OPT = math.pi / (2 * (1 - 0.2) ** 2) - 1  # optimal ridge of the linear learner at eps = 0.2


def pt(learner, loss, alpha, eps, lam, d=D):
    return rm.Setting(alpha=alpha, eps=eps, lam=lam, learner=learner, loss=loss), d


# (setting, d): at least one lam = 0 point per learner x loss.
# Linear capacities: alpha_c(0.1) = 3.81, alpha_c(0.2) = 2.99, alpha_c(0.3) = 2.61.
POINTS = [
    pt(LIN, "square", 0.5, 0.2, 0.0),      # min-norm interpolator (alpha < 1)
    pt(LIN, "square", 2.0, 0.2, 0.0),      # plain least squares (alpha > 1)
    pt(LIN, "square", 1.5, 0.2, LAM_OPT),  # optimal ridge
    pt(LIN, "square", 3.0, 0.4, 0.1),
    pt(LIN, "hinge", 1.0, 0.2, 0.0),       # max-margin, below capacity
    # Above capacity: unregularized hinge minimizer, a linear program; HiGHS needs
    # ~1.5 s per seed at d = 250 but minutes at d = 1000, hence the smaller d.
    pt(LIN, "hinge", 5.0, 0.2, 0.0, d=250),
    pt(LIN, "hinge", 2.0, 0.2, 0.1),
    pt(LIN, "hinge", 3.0, 0.3, 1.0),
    pt(LIN, "logistic", 1.5, 0.1, 0.0),    # separable: max-margin direction
    pt(LIN, "logistic", 4.0, 0.3, 0.0),    # above capacity: unpenalized minimizer
    pt(LIN, "logistic", 2.0, 0.2, 0.1),
    pt(LIN, "logistic", 3.0, 0.3, 1.0),
    pt(K55, "square", 2.0, 0.2, 0.0),      # kernel min-norm interpolator (mustar > 0)
    pt(K55, "square", 2.0, 0.2, 1.0),
    pt(K103, "square", 1.0, 0.3, 0.1),
    pt(K55, "hinge", 2.0, 0.2, 0.0),       # kernel max-margin (always separable)
    pt(K55, "hinge", 2.0, 0.2, 1.0),
    pt(K103, "hinge", 1.5, 0.3, 0.3),
    pt(K55, "logistic", 2.0, 0.2, 0.0),    # max-margin direction
    pt(K55, "logistic", 2.0, 0.2, 0.1),
    pt(K103, "logistic", 1.5, 0.3, 1.0),
]


def point_id(s: rm.Setting, d: int) -> str:
    lrn = "lin" if s.learner.name == "linear" else f"ker{s.learner.mu1:g}_{s.learner.mustar:g}"
    return f"{lrn}-{s.loss.name}-a{s.alpha:g}-e{s.eps:g}-lam{s.lam:.3g}-d{d}"


def metrics(s: rm.Setting) -> tuple[str, ...]:
    if s.loss.name == "logistic" and s.lam == 0 and rm.solve(s).interpolating:
        return ERRORS  # only the direction is defined
    return ERRORS + ("m", "q")


@functools.lru_cache(maxsize=None)
def theory_and_sim(s: rm.Setting, d: int):
    """Theory result and ``{metric: (mean, se)}`` over seeds, computed once per point."""
    r = rm.solve(s)
    base = zlib.crc32(point_id(s, d).encode())  # independent data sets for different points
    # Solver hint only: where the theory says "interpolating" the simulation goes straight
    # to the hard-margin SVM, which checks that every margin is >= 1 (else it raises).
    sim = simulate_seeds(s, d, [(base, rep) for rep in range(N_SEEDS)],
                         separable=True if r.interpolating else None)
    return r, sim


CASES = [pytest.param(s, d, k, id=f"{point_id(s, d)}-{k}",
                      marks=pytest.mark.xdist_group(point_id(s, d)))
         for s, d in POINTS for k in metrics(s)]


@pytest.mark.parametrize("setting, d, metric", CASES)
def test_theory_matches_simulation(setting, d, metric):
    r, sim = theory_and_sim(setting, d)
    th = getattr(r, metric)
    mean, se = sim[metric]
    msg = (f"{point_id(setting, d)} {metric}: theory {th:.5f}, "
           f"simulation {mean:.5f} +- {se:.5f} ({N_SEEDS} seeds)")
    assert np.isfinite(th), msg
    if r.interpolating and metric in ("mem_error", "rule_error"):
        assert th == 0.0, msg
        assert mean == 0.0, msg  # every simulation fits every training label
        return
    assert abs(mean - th) <= K_SE * se + SLACK[metric], msg
