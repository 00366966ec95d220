"""Random-features learner: docs/theory.md's learner side, the kernel limit, robustness on grids."""

import warnings

import numpy as np
import pytest

import rafmodel as rm
from rafmodel import Kernel, RandomFeatures, Setting, solve, solve_many
from rafmodel.theory.capacity import interpolation_threshold
from rafmodel.theory.maps import learner_map

from _power import check_with_power, scaled, sim_stats


def theory_md_update(mhat, qhat, Vhat, lam, kappa, mu1, mus):
    """docs/theory.md section 3, random features, verbatim."""
    gam = 1 / kappa
    msh, qsh, Vsh = mu1 * kappa * mhat, mu1**2 * kappa * qhat, mu1**2 * kappa * Vhat
    qwh, Vwh = mus**2 * qhat, mus**2 * Vhat
    z = (lam + Vwh) / Vsh
    D = np.sqrt((1 + gam + z) ** 2 - 4 * gam)
    Vs = (z + 1 + gam - D) / (2 * gam * Vsh)
    ms = msh * Vs
    Vw = (1 - gam - z + D) / (2 * (lam + Vwh))
    qs = ((msh**2 + qsh) * ((2 * z + gam + 1) * D - 2 * z**2 - 3 * (gam + 1) * z - (gam - 1) ** 2)
          / (2 * gam * Vsh**2 * D) - qwh * (z * D - z**2 - (gam + 1) * z) / (2 * gam * Vsh * (lam + Vwh) * D))
    qw = (qwh * ((1 - gam) * D + (gam + 1) * z + (gam - 1) ** 2) / (2 * (lam + Vwh) ** 2 * D)
          - (msh**2 + qsh) * (z * D - z**2 - (gam + 1) * z) / (2 * Vsh * (lam + Vwh) * D))
    return ms, qs, Vs, qw, Vw


@pytest.mark.parametrize("kappa", [0.3, 1.0, 2.5])
@pytest.mark.parametrize("lam", [1e-3, 0.2, 3.0])
def test_learner_side_is_theory_md(kappa, lam):
    rng = np.random.default_rng(0)
    rf = RandomFeatures(kappa=kappa, mu1=0.6, mustar=0.7)
    P = {k: np.full(20, v) for k, v in rf.params().items()}
    hats = np.exp(rng.normal(size=(3, 20)))
    ours, _ = learner_map(rf).update(*hats, np.full(20, lam), P)
    ref = theory_md_update(*hats, lam, kappa, 0.6, 0.7)
    np.testing.assert_allclose(np.array(ours), np.array(ref), rtol=1e-9)


def test_learner_side_is_finite_when_vhat_vanishes():
    # a hinge channel can return Vhat = 0 exactly (every sample strictly inside its margin)
    rf = RandomFeatures(kappa=0.5, mu1=0.6, mustar=0.7)
    P = {k: np.array([v]) for k, v in rf.params().items()}
    state, _ = learner_map(rf).update(np.array([0.1]), np.array([0.2]), np.array([0.0]), np.array([2.0]), P)
    ms, qs, Vs, qw, Vw = (float(x[0]) for x in state)
    assert Vs == pytest.approx(1 / 2.0) and Vw == pytest.approx(1 / 2.0)  # the ridge response 1/lam
    # and it is the limit Vhat -> 0+ of the general formula: continuous in Vhat
    near, _ = learner_map(rf).update(np.array([0.1]), np.array([0.2]), np.array([1e-12]), np.array([2.0]), P)
    np.testing.assert_allclose([ms, qs, Vs, qw, Vw], [float(x[0]) for x in near], rtol=1e-9)


@pytest.mark.parametrize("loss", ["square", "hinge", "logistic"])
@pytest.mark.parametrize("lam", [0.05, 1.0])
def test_infinite_width_is_the_kernel(loss, lam):
    s = Setting(alpha=2.0, eps=0.2, lam=lam, learner=Kernel(mu1=0.5, mustar=0.6), loss=loss)
    k = solve(s)
    gaps = [abs(solve(s.replace(learner=RandomFeatures(kappa=K, mu1=0.5, mustar=0.6))).gen_error - k.gen_error)
            for K in (10.0, 100.0, 1000.0)]
    # the random-features error approaches the kernel's like 1/kappa
    assert gaps[2] < 2e-3 and gaps[0] > gaps[1] > gaps[2]
    assert gaps[1] / gaps[2] == pytest.approx(10, rel=0.3)


@pytest.mark.parametrize("loss", ["square", "hinge", "logistic"])
@pytest.mark.parametrize("kappa", [0.3, 1.0, 3.0])
def test_converges_on_whole_grids(loss, kappa):
    alphas = np.geomspace(0.1, 10, 9)
    lams = [0.0, 1e-4, 1e-2, 1.0, 10.0]
    rf = RandomFeatures(kappa=kappa, mu1=0.5, mustar=0.6)
    S = rm.grid(learner=rf, loss=loss, alpha=alphas, eps=[0.0, 0.2, 1.0], lam=lams)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        res = solve_many(S)
    P = {k: float(v) for k, v in rf.params().items()}
    # lam = 0 exactly at an interpolation threshold (e.g. p = n for the square loss) is singular
    thr = {e: float(interpolation_threshold(rf, S[0].loss, e, P)) for e in (0.0, 0.2, 1.0)}
    singular = np.array([s.lam == 0 and abs(s.alpha / thr[s.eps] - 1) < 0.05 for s in S])
    assert np.all(res.converged | singular)


def test_square_interpolates_when_more_features_than_samples():
    rf = RandomFeatures(kappa=2.0, mu1=0.5, mustar=0.6)
    r = solve(Setting(alpha=1.0, eps=0.3, lam=0.0, learner=rf))
    assert r.interpolating and r.mem_error == 0
    r_small = solve(Setting(alpha=1.0, eps=0.3, lam=1e-7, learner=rf))
    assert r_small.gen_error == pytest.approx(r.gen_error, abs=1e-5)
    above = solve(Setting(alpha=3.0, eps=0.3, lam=0.0, learner=rf))
    assert not above.interpolating and above.mem_error > 0
    assert solve(Setting(alpha=3.0, eps=0.3, lam=1e-7, learner=rf)).gen_error == pytest.approx(
        above.gen_error, abs=1e-5)


def test_square_loss_starts_at_its_exact_fixed_point():
    """The solver's random-features start is the square-loss fixed point: one map evaluation confirms it.

    Same numbers as from the neutral start, and no spurious start at a threshold (lam = 0, p = n).
    """
    import sys

    from rafmodel.theory import initial
    from rafmodel.theory.maps import learner_map

    solver = sys.modules["rafmodel.theory.solver"]
    rf = RandomFeatures(kappa=2.0, mu1=0.5, mustar=0.6)
    S = rm.grid(learner=rf, loss="square", alpha=[0.3, 1.0, 1.9, 2.1, 3.0, 8.0], eps=[0.0, 0.3],
                lam=[0.0, 1e-4, 1e-2, 1.0, 10.0])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        res = solve_many(S)
        with pytest.MonkeyPatch.context() as mp:  # the solver starts from the neutral point
            mp.setattr(solver, "start_state",
                       lambda lrn, loss, a, *rest: initial.neutral_state(learner_map(lrn), a, *rest))
            ref = solve_many(S)
    assert res.converged.all() and ref.converged.all()
    assert np.all(res.iterations == 1)
    for k in ("gen_error", "mem_error", "rule_error", "m", "q", "V", "qw", "Vw"):
        np.testing.assert_allclose(getattr(res, k), getattr(ref, k), rtol=1e-9, atol=1e-12)
    with pytest.warns(RuntimeWarning, match="did not converge"):
        at = solve_many([Setting(alpha=2.0, eps=0.3, lam=0.0, learner=rf)])
    assert not at.converged[0]


def test_extra_order_parameters_are_reported():
    r = solve(Setting(alpha=1.0, eps=0.3, lam=0.1, learner=RandomFeatures(kappa=2.0, mu1=0.5, mustar=0.6)))
    d = r.to_dict()
    assert (d["kappa"], d["mu1"], d["mustar"]) == (2.0, 0.5, 0.6)
    assert {k: d[k] for k in ("qw", "Vw", "qwhat", "Vwhat")} == r.extra
    # docs/theory.md section 3: a test point sees (mu1 m, mu1^2 q + mustar^2 qw), so gen_error is the
    # angle between them; the conjugates of the non-linear part are one multiple of the learner's
    assert d["gen_error"] == pytest.approx(np.arccos(0.5 * d["m"] / np.sqrt(0.25 * d["q"] + 0.36 * d["qw"])) / np.pi,
                                           rel=1e-12)
    assert d["qwhat"] / d["Vwhat"] == pytest.approx(d["qhat"] / d["Vhat"], rel=1e-12)
    assert d["qw"] > 0 and d["Vw"] > 0


def test_margin_losses_at_lam_zero_use_the_separability_threshold():
    rf = RandomFeatures(kappa=2.0, mu1=0.5, mustar=0.6)
    thr = float(interpolation_threshold(rf, rm.Hinge(), 0.3, {k: float(v) for k, v in rf.params().items()}))
    assert 4.0 < thr < np.inf  # more than Cover's 2 kappa at eps = 1: the rule is easier to fit
    assert solve(Setting(alpha=0.5 * thr, eps=0.3, lam=0.0, loss="hinge", learner=rf)).interpolating
    assert not solve(Setting(alpha=1.5 * thr, eps=0.3, lam=0.0, loss="hinge", learner=rf)).interpolating


@pytest.mark.parametrize("kw,msg", [(dict(kappa=0), "kappa: must be > 0"), (dict(kappa=-1), "kappa"),
                                    (dict(mu1=0), "mu1: must be > 0"), (dict(mustar=-0.1), "mustar")])
def test_bad_parameters(kw, msg):
    base = dict(kappa=1.0, mu1=0.5, mustar=0.5)
    base.update(kw)
    with pytest.raises(ValueError, match=msg):
        RandomFeatures(**base)


def test_named_activation_and_kernel_constructors():
    rf = RandomFeatures.from_activation("relu", kappa=2.0)
    assert rf.mu1 == pytest.approx(0.5) and rf.mustar ** 2 == pytest.approx(0.5 - 0.25 - 1 / (2 * np.pi))
    k = Kernel.from_kernel("rbf", bandwidth=1.5)
    assert k.mu1 ** 2 == pytest.approx(1.5 * np.exp(-1.5)) and k.mustar ** 2 == pytest.approx(1 - 2.5 * np.exp(-1.5))
    # the arc-cosine kernel is the infinite-width limit of relu random features
    a = Kernel.from_kernel("arccos")
    assert (a.mu1, a.mustar) == pytest.approx((rf.mu1, rf.mustar), rel=1e-9)
    with pytest.raises(ValueError, match="mu1 = 0"):
        Kernel.from_kernel("polynomial", degree=2, offset=0.0)


@pytest.mark.slow
@pytest.mark.parametrize("loss", ["square", "hinge"])
@pytest.mark.parametrize("kappa", [0.3, 2.0])  # fewer and more features than samples (alpha = 1)
@pytest.mark.parametrize("lam", [0.0, 0.05])
def test_random_features_agree_with_simulation(loss, kappa, lam):
    from rafmodel.simulation import simulate

    # d = 500 (p = 150 or 1000 features), relu features; at lam = 0 the hinge data are
    # non-separable for kappa = 0.3 and separable for kappa = 2.  Every metric within
    # 4 se (tests/_power.py; no slack: the largest |z| of the true theory over these
    # cases is 2.5 -- the features are redrawn for each seed, so their fluctuations are
    # in the standard error), and the same comparison rejects the theory at kappa x 2
    # (|z| >= 6.9; 16 seeds: at kappa = 2 doubling kappa changes less)
    s = Setting(alpha=1.0, eps=0.2, lam=lam, loss=loss, learner=RandomFeatures.from_activation("relu", kappa=kappa))
    th = solve(s)
    sim = simulate(s, d=500, seeds=16, n_test=5000, seed=2, n_jobs=1)
    assert sim.n_failed == 0
    wrong, label = scaled(s, kappa=2.0)
    check_with_power(th, solve(wrong), sim_stats(sim, ("gen_error", "mem_error", "rule_error")),
                     what=f"random features {loss}-kappa{kappa}-lam{lam}", perturbation=label)


@pytest.mark.parametrize("kappa", [0.3, 1.0, 3.0])
@pytest.mark.parametrize("mustar", [0.0, 0.7])
def test_training_response_is_the_response_after_an_update(kappa, mustar):
    # the solver's start solves Vhat (delta + V_tr(Vhat)) = a with training_response; it must be
    # the response the channel sees after an update with that Vhat, whatever mhat and qhat
    rng = np.random.default_rng(5)
    rf = RandomFeatures(kappa=kappa, mu1=0.6, mustar=mustar)
    lmap = learner_map(rf)
    P = {k: np.full(30, v) for k, v in rf.params().items()}
    mh, qh, vh = np.exp(rng.normal(size=(3, 30)))
    lam = 10 ** rng.uniform(-3, 1, 30)
    state, _ = lmap.update(mh, qh, vh, lam, P)
    np.testing.assert_allclose(lmap.extra("training_response")(vh, lam, P), lmap.to_channel(state, lam, P)[2],
                               rtol=1e-13)
