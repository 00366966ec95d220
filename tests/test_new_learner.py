"""A learner added from outside the package gets the whole theory: both routes, thresholds, start.

The *scaled linear* learner (``f(x) = s w.x / sqrt(d)``, penalty ``(lam/2)|w|^2``) is written here
and in tests/_scaled_linear_map.py only -- a value object and one map module, registered with
:func:`rafmodel.theory.maps.register_learner_map` -- with no edit of the package.  Its errors are
those of the package's linear learner at ``lam / s^2`` (``u = s w`` turns one objective into the
other), which the theory must reproduce on the numpy and the compiled route; its exact
interpolation threshold is ``n = d`` and its separability threshold, solved from its map, Gardner's
``alpha_c(eps)``; its solver start (read from its map's ``square_response``) is the square loss's
fixed point, which one map evaluation confirms; and its closed-form optimal ``lam`` of the square
loss (``s^2`` times the linear learner's) reaches :func:`rafmodel.optimal_lambda`, whose numerical
minimum agrees with it.
"""

import sys

import _scaled_linear_map
import numpy as np
import pytest
from _routes import HAS_NUMBA, NUMBA_REASON, map_on, solve_on

import rafmodel as rm
from rafmodel._validation import POSITIVE, validate_params
from rafmodel.theory import maps
from rafmodel.theory.capacity import interpolation_threshold, interpolation_thresholds


class ScaledLinear(rm.Learner):
    """The linear learner seen through a fixed scale ``s`` of its output."""

    name = "scaled-linear"
    param_names = ("s",)

    @validate_params({"s": POSITIVE})
    def __init__(self, *, s):
        self.s = s


@pytest.fixture(scope="module", autouse=True)
def _registered():
    maps.register_learner_map(maps.LearnerMap(ScaledLinear, _scaled_linear_map))
    yield
    del maps._LEARNERS[ScaledLinear]


S = 1.7
_needs_numba = pytest.mark.skipif(not HAS_NUMBA, reason=NUMBA_REASON)
#: (route, loss): every loss on the numpy route; on the compiled route, whose first solve of a new
#: learner x loss compiles a solver (25-40 s on two cores), the hinge only (a map evaluation of
#: each loss is compared between the routes below, which compiles much less)
CASES = [("numpy", "square"), ("numpy", "hinge"), ("numpy", "logistic"),
         pytest.param("compiled", "hinge", marks=_needs_numba)]
#: lam > 0, and lam = 0 on both sides of each loss's threshold (1 exact, alpha_c(0.3) = 2.64 margin)
POINTS = [(0.5, 0.3, 0.1), (3.0, 0.3, 0.1), (0.5, 0.3, 0.0), (2.0, 0.3, 0.0), (4.0, 0.3, 0.0), (1.5, 0.0, 0.5),
          (1.5, 1.0, 0.5)]


def _settings(learner, loss, scale=1.0):
    return [rm.Setting(alpha=a, eps=e, lam=lam / scale, learner=learner, loss=loss) for a, e, lam in POINTS]


@pytest.mark.parametrize("route,loss", CASES)
def test_its_theory_is_the_linear_learner_at_a_rescaled_penalty(route, loss):
    got = solve_on(route, _settings(ScaledLinear(s=S), loss))
    ref = solve_on("numpy", _settings(rm.Linear(), loss, scale=S * S))
    assert got["converged"].all() and ref["converged"].all()
    for k in ("gen_error", "mem_error", "rule_error"):
        np.testing.assert_allclose(got[k], ref[k], rtol=1e-8, atol=1e-10, err_msg=k)
    # m, q of w = u / s: the learner's own order parameters, not the predictor's
    np.testing.assert_allclose(got["m"] * S, ref["m"], rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(got["q"] * S * S, ref["q"], rtol=1e-8, atol=1e-10)


@_needs_numba
@pytest.mark.parametrize("loss", [rm.Square(), rm.Hinge(), rm.Logistic()])
def test_the_compiled_route_evaluates_its_map_as_the_numpy_route(loss):
    lmap = maps.learner_map(ScaledLinear(s=S))
    y = lmap.encode((np.array([0.3]), np.array([0.8]), np.array([0.6])))[0]
    for limit, lam in ((False, 0.2), (True, 1.0)):
        if limit and loss.name == "logistic":
            continue  # no interpolating limit on the compiled logistic route
        a = map_on("numpy", ScaledLinear(s=S), loss, y, 1.3, 0.25, lam, limit)
        b = map_on("compiled", ScaledLinear(s=S), loss, y, 1.3, 0.25, lam, limit)
        np.testing.assert_allclose(b, a, rtol=1e-11, atol=0)


@pytest.mark.parametrize("eps", [0.1, 0.5, 1.0])
def test_its_thresholds_come_from_its_map(eps):
    lrn = ScaledLinear(s=S)
    assert float(interpolation_threshold(lrn, rm.Square(), eps, {"s": S})) == 1.0
    # no SEPARABILITY in its module: the zero-margin capacity solved from the map, Gardner's count
    assert float(interpolation_threshold(lrn, rm.Hinge(), eps, {"s": S})) == pytest.approx(rm.alpha_c(eps), rel=1e-9)
    assert rm.interpolation_capacity(lrn, eps) == pytest.approx(rm.alpha_c(eps), rel=1e-9)
    assert interpolation_thresholds(lrn, eps) == pytest.approx({"alpha_c": rm.alpha_c(eps), "alpha_c_square": 1.0},
                                                               rel=1e-9)


def test_its_start_is_the_square_loss_fixed_point():
    settings = _settings(ScaledLinear(s=S), "square")
    assert rm.solve_many(settings, max_iter=1, warn=False, backend="numpy").converged.all()
    # the same solve from the neutral start (what a map without square_response gets) needs more steps
    solver, initial = sys.modules["rafmodel.theory.solver"], sys.modules["rafmodel.theory.initial"]
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(solver, "start_state", lambda lrn, loss, a, *rest: initial.neutral_state(maps.learner_map(lrn), a,
                                                                                               *rest))
        assert not rm.solve_many(settings, max_iter=1, warn=False, backend="numpy").converged.any()


def test_its_closed_form_optimal_lam_reaches_optimal_lambda():
    from rafmodel.theory.optimal import ridge_lam_opt

    eps = 0.2
    closed = S * S * (np.pi / (2 * (1 - eps) ** 2) - 1)
    assert ridge_lam_opt(eps, ScaledLinear(s=S)) == pytest.approx(closed, rel=1e-14)
    r = rm.optimal_lambda(learner=ScaledLinear(s=S), loss="square", alpha=2.0, eps=eps, backend="numpy")
    assert r.lam_opt_closed_form == pytest.approx(closed, rel=1e-14)
    assert r.lam_opt == pytest.approx(closed, rel=1e-4)  # found by numerical minimization
    assert r.margin is None  # no interpolator_margin in its map module


def test_the_old_registrations_still_work_with_a_deprecation_warning():
    # rafmodel 0.5 registered a learner's threshold and start by type; until 0.6 they are honoured
    from rafmodel.theory import capacity, initial

    class Odd(ScaledLinear):
        pass

    try:
        with pytest.warns(DeprecationWarning, match="exact_threshold"):
            capacity.interpolation_threshold.register(Odd)(lambda lrn, loss, eps, P: np.full(np.shape(eps), 0.25))
        with pytest.warns(DeprecationWarning, match="square_response"):
            initial.initial_state.register(Odd)(
                lambda lrn, a, eps, lam, limit, P: initial.neutral_state(maps.learner_map(lrn), a, eps, lam, limit, P))
        assert float(interpolation_threshold(Odd(s=S), rm.Square(), 0.3, {"s": S})) == 0.25
        one = np.ones(1)
        start = initial.initial_state(Odd(s=S), one, 0.3 * one, one, np.zeros(1, bool), {"s": S * one})
        assert [float(v[0]) for v in start] == [0.5, 1.0, 1.0]
        assert not rm.solve_many(_settings(Odd(s=S), "square"), max_iter=1, warn=False, backend="numpy").converged.any()
    finally:
        capacity._REGISTERED.pop(Odd, None)
        initial._REGISTERED.pop(Odd, None)
