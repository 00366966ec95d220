"""Bayes-optimal error: limits, the large-alpha rate by a second route, and the ERM bound."""

import json
import math
import warnings

import numpy as np
import pytest

import rafmodel as rm
from rafmodel import ConvergenceError, ConvergenceWarning
from rafmodel.cli import main
from rafmodel.theory.bayes import bayes_optimal, bayes_rate


@pytest.mark.parametrize("eps", [0.0, 0.3, 0.8])
def test_large_alpha_rate_matches_the_asymptotic_integral(eps):
    # fixed point at huge alpha vs the closed asymptotic constant C(eps) = 1/(pi K)
    r = bayes_optimal(1e5, eps)
    assert r.converged
    assert r.gen_error * 1e5 == pytest.approx(bayes_rate(eps), rel=1e-3)


def test_teacher_student_perceptron_constant():
    # eps = 0: the classic Bayes-optimal perceptron, gen_error ~ 0.442 / alpha
    assert bayes_rate(0.0) == pytest.approx(0.442, abs=1e-3)


@pytest.mark.parametrize("eps", [0.0, 0.4])
def test_small_alpha_expansion(eps):
    # at q -> 0: qhat = alpha (1-eps)^2 F(0) with F(0) = 4 phi(0)^2 = 2/pi, and q ~ qhat
    alpha = 1e-4
    r = bayes_optimal(alpha, eps)
    assert r.q == pytest.approx(2 * alpha * (1 - eps) ** 2 / np.pi, rel=1e-3)


def test_pure_facts_carry_no_information():
    r = bayes_optimal([0.5, 5.0], 1.0)
    assert np.all(r.q == 0) and np.all(r.gen_error == 0.5) and np.all(r.converged)
    assert bayes_rate(1.0) == np.inf


def test_monotone_in_alpha_and_eps():
    g = bayes_optimal(np.geomspace(0.1, 100, 12)[:, None], np.array([0.0, 0.2, 0.5, 0.9])[None, :]).gen_error
    assert np.all(np.diff(g, axis=0) < 0) and np.all(np.diff(g, axis=1) > 0)


def test_bayes_is_below_every_erm_learner():
    alphas, epss = [0.5, 2.0, 6.0], [0.0, 0.2, 0.6]
    bayes = bayes_optimal(np.array(alphas)[:, None], np.array(epss)[None, :]).gen_error
    for loss in ("square", "hinge", "logistic"):
        for learner in (rm.Linear(), rm.Kernel(mu1=0.7, mustar=0.3)):
            lams = [0.0, 0.01, 0.3, 3.0]
            res = rm.solve_many(rm.grid(learner=learner, loss=loss, alpha=alphas, eps=epss, lam=lams))
            erm = res.gen_error.reshape(len(alphas), len(epss), len(lams))
            assert np.all(bayes[:, :, None] < erm), (loss, learner)
    # including the best ridge, lam_opt = pi / (2 (1-eps)^2) - 1 (docs/theory.md)
    for a in alphas:
        for e in epss:
            lam_opt = max(np.pi / (2 * (1 - e) ** 2) - 1, 0.0)
            ridge = rm.solve(rm.Setting(alpha=a, eps=e, lam=lam_opt)).gen_error
            assert bayes_optimal(a, e).gen_error < ridge


def test_broadcasting_and_validation():
    r = bayes_optimal([1.0, 2.0, 3.0], 0.2)
    assert r.gen_error.shape == (3,) and len(r.to_records()) == 3
    with pytest.raises(ValueError, match="alpha: must be > 0"):
        bayes_optimal(0.0, 0.2)
    with pytest.raises(ValueError, match=r"eps: must be in \[0, 1\]"):
        bayes_optimal(1.0, 1.2)


def test_cli_bayes_and_capacity(capsys):
    assert main(["bayes", "--alpha", "2", "--eps", "0.2", "--json"]) == 0
    d = json.loads(capsys.readouterr().out)
    assert d["gen_error"] == pytest.approx(bayes_optimal(2.0, 0.2).gen_error) and d["converged"] is True
    assert {"q", "gen_error", "converged"} <= set(d)
    assert main(["bayes", "--alpha", "1,2", "--eps", "0,0.5", "--json"]) == 0
    assert len(json.loads(capsys.readouterr().out)) == 4
    assert main(["capacity", "--eps", "1", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["alpha_c"] == pytest.approx(2.0)
    assert main(["capacity", "--eps", "0", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["alpha_c"] == "inf"
    assert main(["bayes", "--alpha", "-1", "--eps", "0.2"]) == 2
    assert "alpha: must be > 0" in capsys.readouterr().err


def test_non_convergence_in_a_batch_is_warned_and_flagged():
    with pytest.warns(ConvergenceWarning, match="1 of 2"):
        r = bayes_optimal([1.0, 1e10], 0.0)
    assert r.converged.tolist() == [True, False]
    # the converged point has the numbers it has alone (its batch mate does not disturb it)
    assert r.gen_error[0] == bayes_optimal([1.0], 0.0).gen_error[0] == bayes_optimal(1.0, 0.0).gen_error
    assert np.isnan(r.gen_error[1]) and np.isnan(r.q[1])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        r = bayes_optimal([1.0, 1e10], 0.0, warn=False)  # silenced on request
    assert not r.converged[1]


def test_non_convergence_of_one_point_raises():
    with pytest.raises(ConvergenceError) as info:
        bayes_optimal(1e10, 0.0)
    assert info.value.result.converged is False and math.isnan(info.value.result.gen_error)
    with pytest.raises(ConvergenceError):
        bayes_optimal(2.0, 0.2, max_iter=2)
