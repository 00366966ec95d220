"""Interpolation thresholds: two theoretical routes, Cover's count, and LP separability on samples."""

import numpy as np
import pytest
from scipy.optimize import linprog

from rafmodel import Linear, RandomFeatures, Setting, solve
from rafmodel.equivalence import ACTIVATIONS
from rafmodel.theory import alpha_c
from rafmodel.theory.capacity import interpolation_capacity

from _power import K_SE, LOGISTIC_LIMIT_TOL, logistic_limit, record, scaled


def rf_params(rf):
    return {k: float(v) for k, v in rf.params().items()}


@pytest.mark.parametrize("eps", [1.0, 0.6, 0.2, 0.05, 0.01])
def test_zero_margin_route_reproduces_the_closed_form(eps):
    assert interpolation_capacity(Linear(), eps, {}) == pytest.approx(alpha_c(eps), rel=1e-10)


@pytest.mark.parametrize("kappa", [0.1, 0.5, 2.0, 8.0])
def test_random_labels_follow_covers_count(kappa):
    # eps = 1: p features in general position separate any labelling of n < 2p points
    rf = RandomFeatures(kappa=kappa, mu1=0.5, mustar=0.3)
    assert interpolation_capacity(rf, 1.0, rf_params(rf)) == pytest.approx(2 * kappa, rel=1e-10)
    lin = RandomFeatures(kappa=kappa, mu1=0.5, mustar=0.0)  # linear features: rank min(p, d)
    assert interpolation_capacity(lin, 1.0, rf_params(lin)) == pytest.approx(2 * min(kappa, 1.0), rel=1e-10)


@pytest.mark.parametrize("eps", [0.5, 0.1])
def test_linear_random_features_with_full_rank_are_the_linear_classifier(eps):
    rf = RandomFeatures(kappa=3.0, mu1=0.7, mustar=0.0)
    assert interpolation_capacity(rf, eps, rf_params(rf)) == pytest.approx(alpha_c(eps), rel=1e-9)


def test_rf_capacity_grows_with_features_and_rules():
    vals = [[interpolation_capacity(rf, e, rf_params(rf)) for e in (1.0, 0.5, 0.1)]
            for rf in (RandomFeatures(kappa=k, mu1=0.5, mustar=0.3) for k in (0.5, 1.0, 4.0))]
    vals = np.array(vals)
    assert np.all(np.diff(vals, axis=0) > 0) and np.all(np.diff(vals, axis=1) > 0)


def separable(Phi, y):
    """Is there a w with y_i Phi_i.w >= 1 for all i?  LP: min sum(s), y_i Phi_i.w + s_i >= 1, s >= 0."""
    n, p = Phi.shape
    A = np.hstack([-(y[:, None] * Phi), -np.eye(n)])
    c = np.concatenate([np.zeros(p), np.ones(n)])
    res = linprog(c, A_ub=A, b_ub=-np.ones(n), bounds=[(None, None)] * p + [(0, None)] * n, method="highs")
    assert res.status == 0, res.message
    return res.fun < 1e-7


def raf_sample(rng, d, n, eps):
    X = rng.standard_normal((n, d))
    w = rng.standard_normal(d)
    y = np.sign(X @ w)
    facts = rng.permutation(n)[: int(round(eps * n))]
    y[facts] = rng.choice([-1.0, 1.0], size=len(facts))
    return X, y


def separable_fraction_z(hits):
    """z-score of the number of separable samples against 1/2, its expectation exactly at
    the threshold (the median of the critical sample ratio; binomial sd sqrt(K)/2)."""
    k = len(hits)
    return (np.sum(hits) - k / 2) / np.sqrt(k / 4)


@pytest.mark.slow
@pytest.mark.parametrize("learner,eps", [("linear", 0.3), ("rf-relu", 0.3), ("rf-relu", 0.0)])
def test_lp_separability_on_both_sides_of_the_threshold(learner, eps):
    # K = 100 samples at d = 100: each is cut at n = round(a d) for a candidate threshold
    # a and tested for separability by the LP.  Exactly at the threshold a sample is
    # separable with probability 1/2 (up to O(d^-1/2)): |z| <= 4 for the number of
    # separable ones (observed: -0.2, +1.2, +0.4).  The power check: the same test at
    # a = 1.1 alpha_c and at alpha_c / 1.1 (the same samples, cut longer or shorter)
    # must fail (observed z: -6.2, -6.4, -6.6 and +6.8, +8.0, +7.4; the separability
    # transition has a width of ~9 % at d = 100).
    # (random features cannot represent the teacher: even pure rule data stop being
    # separable at a finite alpha)
    d, K = 100, 100
    rng = np.random.default_rng(7)
    if learner == "linear":
        ac, kappa = alpha_c(eps), None
    else:
        kappa = 0.75
        rf = RandomFeatures.from_activation("relu", kappa=kappa)
        ac = interpolation_capacity(rf, eps, rf_params(rf))
    candidates = (ac, 1.1 * ac, ac / 1.1)
    hits = {a: [] for a in candidates}
    for _ in range(K):
        X, y = raf_sample(rng, d, int(round(1.1 * ac * d)), eps)
        if kappa is None:
            Phi = X
        else:
            F = rng.standard_normal((int(kappa * d), d))
            Phi = ACTIVATIONS["relu"](X @ F.T / np.sqrt(d))
        for a in candidates:
            n = int(round(a * d))
            hits[a].append(separable(Phi[:n], y[:n]))
    z_true, *z_wrong = (separable_fraction_z(hits[a]) for a in candidates)
    for label, z in zip(("alpha_c x 1.1", "alpha_c / 1.1"), z_wrong):
        record(f"LP separability {learner} eps={eps}", perturbation=label, k=K_SE,
               true={"separable": z_true}, perturbed={"separable": z})
    assert abs(z_true) <= K_SE, (ac, np.mean(hits[ac]))
    for a, z in zip(candidates[1:], z_wrong):
        assert abs(z) > K_SE, ("no power at the wrong threshold", a / ac, np.mean(hits[a]))


@pytest.mark.parametrize("kappa", [0.5, 2.0])
def test_square_interpolation_threshold_is_the_rank(kappa):
    # min-norm least squares fits exactly iff n <= p (features of full rank), which the
    # theory must say at n = 0.95 p and 1.05 p; the same check on the theory at
    # kappa x 1.1 or kappa / 1.1 (threshold 1.1 p or p / 1.1) must fail
    rng = np.random.default_rng(1)
    d = 60
    p = int(kappa * d)
    F = rng.standard_normal((p, d))
    fits = {}
    for f in (0.95, 1.05):
        n = int(round(f * p))
        X, y = raf_sample(rng, d, n, 0.3)
        Phi = np.tanh(X @ F.T / np.sqrt(d))
        a = np.linalg.lstsq(Phi, y, rcond=None)[0]
        fits[n] = bool(np.allclose(Phi @ a, y, atol=1e-8))
    assert list(fits.values()) == [True, False]
    rf = RandomFeatures.from_activation("tanh", kappa=kappa)

    def theory_agrees(learner):
        return all(solve(Setting(alpha=n / d, eps=0.3, lam=0.0, learner=learner)).interpolating == fit
                   for n, fit in fits.items())

    assert theory_agrees(rf)
    for f in (1.1, 1 / 1.1):
        assert not theory_agrees(RandomFeatures(kappa=f * kappa, mu1=rf.mu1, mustar=rf.mustar)), f


@pytest.mark.parametrize("loss", ["hinge", "logistic"])
def test_rf_max_margin_is_the_lam_to_zero_limit(loss):
    rf = RandomFeatures(kappa=1.0, mu1=0.5, mustar=0.3)
    ac = interpolation_capacity(rf, 0.2, rf_params(rf))
    for f in (0.5, 1.3):
        s = Setting(alpha=f * ac, eps=0.2, lam=0.0, learner=rf, loss=loss)
        r0 = solve(s)
        assert r0.interpolating == (f < 1)
        if loss == "logistic" and f < 1:
            # logistic's direction approaches max-margin only like 1/log(1/lam) (still
            # 2e-3 away at lam = 1e-7): extrapolate the logistic fixed point to lam -> 0+;
            # the same comparison with the max-margin error at kappa x 2 must fail
            limit, _ = logistic_limit(s)
            wrong = solve(scaled(s, kappa=2.0)[0].replace(loss="hinge"))
            agrees = [abs(limit - x.gen_error) <= LOGISTIC_LIMIT_TOL for x in (r0, wrong)]
            record("logistic lam -> 0+ random features", perturbation="kappa x 2", k=LOGISTIC_LIMIT_TOL,
                   true={"gen_error": limit - r0.gen_error}, perturbed={"gen_error": limit - wrong.gen_error})
            assert agrees == [True, False], (limit, r0.gen_error, wrong.gen_error)
        else:
            r1 = solve(s.replace(lam=1e-7))
            assert r1.gen_error == pytest.approx(r0.gen_error, abs=1e-5)


def test_cli_rf_capacity(capsys):
    import json

    from rafmodel.cli import main

    assert main(["capacity", "--learner", "rf", "--kappa", "0.5,2", "--mu1", "0.5", "--mustar", "0.3",
                 "--eps", "1", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [r["alpha_c"] for r in rows] == pytest.approx([1.0, 4.0])
    assert all(r["alpha_c_square"] == r["kappa"] for r in rows)
