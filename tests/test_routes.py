"""The routes of the fixed-point map agree on every branch: batch numpy and compiled.

One map evaluation at the same inputs agrees to 1e-11 relative between the routes, for every
learner branch (linear; kernel with and without a memory part; random features with
``kappa < 1``, ``= 1``, ``> 1``, with and without ``mustar``), every loss (square, hinge,
logistic), ``eps = 0``, ``eps = 1`` and in between, and ``lam > 0`` and ``lam = 0`` on both sides
of the interpolation threshold (the interpolating limit below it).  The fixed points found on
each route agree to the solver's tolerance.  What exists once for every route (the sample ratio,
the interpolation threshold) is pinned to Cover's count, and the channel's route for a new smooth
loss with only an inverse proximal map to the logistic's.  benchmarks/mutate_maps.py shows that
these tests catch a 1e-3 relative change of any single term of any of the maps
(docs/user_guide/testing.md).

The map is written once (:mod:`rafmodel.theory.maps`) and both routes are built from it, so a
disagreement here means a route's machinery (the compiled operations, the compiled logistic
quadrature, the coordinates) is wrong; a slip in the map itself moves both routes and is caught by
the independent checks (closed forms, known limits, simulations), which the mutation check runs
too.  The routes are reached through tests/_routes.py only.
"""

import numpy as np
import pytest
from _routes import HAS_NUMBA, NUMBA_REASON, map_on, solve_on

import rafmodel as rm
from rafmodel.theory.maps import learner_map

needs_numba = pytest.mark.skipif(not HAS_NUMBA, reason=NUMBA_REASON)

#: Every branch of the learners' side of the map.
LEARNERS = {
    "linear": rm.Linear(),
    "kernel": rm.Kernel(mu1=0.6, mustar=0.4),
    "kernel-mustar0": rm.Kernel(mu1=0.6, mustar=0.0),
    "rf-kappa0.3": rm.RandomFeatures(kappa=0.3, mu1=0.5, mustar=0.4),
    "rf-kappa1": rm.RandomFeatures(kappa=1.0, mu1=0.5, mustar=0.4),
    "rf-kappa3": rm.RandomFeatures(kappa=3.0, mu1=0.5, mustar=0.4),
    "rf-kappa0.3-mustar0": rm.RandomFeatures(kappa=0.3, mu1=0.5, mustar=0.0),
    "rf-kappa3-mustar0": rm.RandomFeatures(kappa=3.0, mu1=0.5, mustar=0.0),
}
LOSSES = {"square": rm.Square(), "hinge": rm.Hinge(), "logistic": rm.Logistic()}
#: ``lam > 0``; ``lam = 0`` above the interpolation threshold (the map sees ``lam = 0``); ``lam = 0``
#: below it (the interpolating limit: the map sees ``lam = 1`` and the rescaled ``lam V``).
MODES = ("lam>0", "lam0-above", "lam0-below")
#: The map's relative agreement between routes (rounding, amplified where the hinge's closed form
#: takes differences: about 1e-13 is seen).
RTOL = 1e-11


def _admissible(learner_name, mode):
    # a kernel with a memory part interpolates any amount of data: at lam = 0 it is always below
    return not (mode == "lam0-above" and learner_name == "kernel")


def _points(learner, mode, n=40, seed=0):
    """``n`` map inputs ``(y, alpha, eps, lam, limit)``: the first with ``eps = 0``, the second ``eps = 1``."""
    rng = np.random.default_rng(seed)
    K = len(learner_map(learner).state_names)
    out = []
    for i in range(n):
        y = rng.normal(0.0, 1.5, K)
        alpha = 10 ** rng.uniform(-0.7, 1.0)
        eps = 0.0 if i == 0 else 1.0 if i == 1 else rng.uniform(0.0, 1.0)
        if mode == "lam>0":
            lam, limit = 10 ** rng.uniform(-4, 1), False
        elif mode == "lam0-above":
            lam, limit = 0.0, False
        else:
            lam, limit = 1.0, True
        out.append((y, alpha, eps, lam, limit))
    return out


def _worst(got, ref):
    """Largest relative difference (finite entries; the non-finite ones must match)."""
    np.testing.assert_array_equal(np.isfinite(got), np.isfinite(ref))
    fin = np.isfinite(ref)
    if not fin.any():
        return 0.0
    d = np.abs(got[fin] - ref[fin])
    return float(np.max(np.where(d == 0, 0.0, d / np.maximum(np.abs(ref[fin]), 1e-300))))


def _compare(route, ref_route, learner_name, loss_name, mode):
    learner, loss = LEARNERS[learner_name], LOSSES[loss_name]
    worst = 0.0
    for y, alpha, eps, lam, limit in _points(learner, mode):
        ref = map_on(ref_route, learner, loss, y, alpha, eps, lam, limit)
        got = map_on(route, learner, loss, y, alpha, eps, lam, limit)
        assert np.isfinite(ref).sum() >= len(learner_map(learner).state_names), "the inputs should give a state"
        w = _worst(got, ref)
        assert w <= RTOL, (f"{route} vs {ref_route}: relative difference {w:.3g} at y={y.tolist()}, "
                           f"alpha={alpha}, eps={eps}, lam={lam}, limit={limit}")
        worst = max(worst, w)
    return worst


CASES = [(ln, lo, mode) for ln in LEARNERS for lo in LOSSES for mode in MODES if _admissible(ln, mode)]
_ids = ["-".join(c) for c in CASES]


# ---------------------------------------------------------------- one map evaluation

@needs_numba
@pytest.mark.parametrize("learner_name, loss_name, mode",
                         # the logistic's interpolating limit has the numpy route only (below)
                         [c for c in CASES if not (c[1] == "logistic" and c[2] == "lam0-below")],
                         ids=[i for c, i in zip(CASES, _ids) if not (c[1] == "logistic" and c[2] == "lam0-below")])
def test_compiled_map_is_the_numpy_map(learner_name, loss_name, mode):
    _compare("compiled", "numpy", learner_name, loss_name, mode)


@pytest.mark.parametrize("learner_name", [ln for ln in LEARNERS if ln.startswith(("linear", "rf-kappa0.3"))])
def test_logistic_interpolating_limit_is_the_hinges(learner_name):
    # below the threshold at lam = 0 the logistic loss gives the max-margin classifier, as the
    # hinge does: its map (by quadrature, the only route) is the hinge's closed form there
    learner = LEARNERS[learner_name]
    for y, alpha, eps, lam, limit in _points(learner, "lam0-below", n=15):
        ref = map_on("numpy", learner, LOSSES["hinge"], y, alpha, eps, lam, limit)
        got = map_on("numpy", learner, LOSSES["logistic"], y, alpha, eps, lam, limit)
        assert _worst(got, ref) <= 1e-9


class _InverseOnly(rm.Logistic):
    """The logistic loss as a new smooth loss would come: an inverse proximal map, no derivatives."""

    derivatives = rm.Loss.derivatives

    def prox_inverse(self, x, V):
        s = 1.0 / (1.0 + np.exp(x))  # sigmoid(-x) = -ell'(x)
        return x - V * s, 1.0 + V * s * (1.0 - s)


@pytest.mark.parametrize("learner_name", ["linear", "rf-kappa3"])
def test_a_loss_with_only_an_inverse_proximal_map_has_the_logistic_map(learner_name):
    # the channel's route for a loss that gives u(x) and du/dx (by subtraction: x - u, du/dx - 1)
    # against the logistic's own (from its derivatives): 6e-15 apart here
    learner = LEARNERS[learner_name]
    for y, alpha, eps, lam, limit in _points(learner, "lam>0", n=10):
        ref = map_on("numpy", learner, LOSSES["logistic"], y, alpha, eps, lam, limit)
        got = map_on("numpy", learner, _InverseOnly(), y, alpha, eps, lam, limit)
        assert _worst(got, ref) <= RTOL


def test_the_comparison_has_power():
    # a 1e-3 relative change of one input of one route is far outside the agreement
    learner, loss = LEARNERS["rf-kappa0.3"], LOSSES["hinge"]
    y, alpha, eps, lam, limit = _points(learner, "lam>0", n=3)[2]
    ref = map_on("numpy", learner, loss, y, alpha, eps, lam, limit)
    got = map_on("numpy", learner, loss, y, alpha, eps * 1.001, lam, limit)
    assert _worst(got, ref) > 1e3 * RTOL


@pytest.mark.parametrize("kappa", [0.3, 3.0])
def test_what_the_routes_share_is_pinned_by_covers_count(kappa):
    # the sample ratio alpha / kappa and the interpolation threshold are computed once for every
    # route, so no comparison of routes sees them: at eps = 1 the hinge's threshold of random
    # features is Cover's count, 2 kappa (p = kappa d features separate 2 p random labels)
    from rafmodel.theory.capacity import interpolation_threshold

    rf = rm.RandomFeatures(kappa=kappa, mu1=0.5, mustar=0.4)
    thr = interpolation_threshold(rf, rm.Hinge(), 1.0, {k: float(v) for k, v in rf.params().items()})
    assert float(thr) == pytest.approx(2.0 * kappa, rel=1e-9)


# ---------------------------------------------------------------- fixed points

def _grid(learner_name, loss_name):
    """``lam = 0`` on both sides of the threshold and ``lam > 0``, at ``eps = 0``, ``0.3`` and ``1``."""
    learner = LEARNERS[learner_name]
    name = {"Linear": "linear", "Kernel": "kernel", "RandomFeatures": "rf"}[type(learner).__name__]
    settings = rm.grid(learner=name, loss=loss_name, alpha=[0.2, 1.6, 7.0], eps=[0.0, 0.3, 1.0], lam=[0.0, 0.1],
                       **{k: float(v) for k, v in learner.params().items()})
    return settings


def _assert_same_fixed_points(a, b, what):
    assert a["converged"].all() and b["converged"].all(), what
    for name in ("m", "q", "V", "gen_error", "mem_error", "rule_error"):
        # both routes stop when a map step moves the coordinates by less than 1e-11: the fixed
        # points agree to about that over (1 - contraction)
        np.testing.assert_allclose(a[name], b[name], rtol=1e-8, atol=1e-10, err_msg=f"{what}: {name}")


@pytest.mark.parametrize("learner_name", list(LEARNERS))
def test_both_sides_of_the_threshold_are_in_the_grids(learner_name):
    # the grids of the fixed-point tests have lam = 0 points on both sides (where there are two)
    for loss_name in ("square", "hinge"):
        S = _grid(learner_name, loss_name)
        r = rm.solve_many([s for s in S if s.lam == 0], warn=False)
        sides = set(np.asarray(r.interpolating).tolist())
        assert sides == ({True} if learner_name == "kernel" else {True, False}), (loss_name, sides)


@needs_numba
@pytest.mark.parametrize("learner_name, loss_name", [(ln, lo) for ln in LEARNERS for lo in LOSSES])
def test_compiled_fixed_points_are_the_numpy_ones(learner_name, loss_name):
    S = _grid(learner_name, loss_name)
    _assert_same_fixed_points(solve_on("compiled", S), solve_on("numpy", S), "compiled vs numpy")
