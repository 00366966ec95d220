"""Optimal lam against docs/theory.md's closed forms; large-alpha rates against their closed forms."""

import json
import math

import pytest

import rafmodel as rm
from rafmodel.cli import main
from rafmodel.theory.optimal import large_alpha_rate, optimal_lambda, square_rate_constant


@pytest.mark.parametrize("eps", [0.0, 0.2, 0.5])
@pytest.mark.parametrize("alpha", [0.5, 3.0])
def test_linear_ridge_lam_opt_is_the_closed_form(alpha, eps):
    r = optimal_lambda(learner="linear", loss="square", alpha=alpha, eps=eps)
    closed = math.pi / (2 * (1 - eps) ** 2) - 1
    assert r.lam_opt_closed_form == pytest.approx(closed)
    assert r.lam_opt == pytest.approx(closed, rel=1e-4)  # found by numerical minimization
    # and it is a minimum: both neighbours are worse
    for f in (0.8, 1.25):
        g = rm.solve(rm.Setting(alpha=alpha, eps=eps, lam=f * closed)).gen_error
        assert g > r.gen_error


@pytest.mark.parametrize("mu1,mustar", [(0.5, 0.2), (1.0, 0.5), (0.5, 0.7)])
def test_kernel_ridge_lam_opt_and_memorization(mu1, mustar):
    eps = 0.2
    K = rm.Kernel(mu1=mu1, mustar=mustar)
    r = optimal_lambda(learner=K, loss="square", alpha=2.0, eps=eps)
    base = math.pi / (2 * (1 - eps) ** 2) - 1
    closed = max(0.0, mu1**2 * base - mustar**2)
    assert r.lam_opt_closed_form == pytest.approx(closed)
    assert r.lam_opt == pytest.approx(closed, rel=1e-4, abs=1e-6)
    can = mustar**2 / mu1**2 >= base
    assert r.interpolates_at_optimum == can
    assert (r.margin >= 0) == can
    if can:  # memorizing every fact costs nothing
        assert r.mem_error == 0 and r.memorization_cost == 0
    else:
        assert r.mem_error > 0 and r.memorization_cost > 0


def test_optimal_lambda_for_margin_losses_is_a_minimum():
    # lam_opt is a local minimum at a 5 % scale: both neighbours lam x 0.95, x 1.05 are
    # worse (by ~1e-5; the fixed point is accurate to ~1e-10).  The same check on
    # lam_opt x 1.1 and lam_opt / 1.1 must fail (one neighbour better by ~3e-5)
    def is_minimum(loss, lam):
        g = [rm.solve(rm.Setting(alpha=2.0, eps=0.2, lam=f * lam, loss=loss)).gen_error for f in (0.95, 1.0, 1.05)]
        return g[0] > g[1] < g[2]

    for loss in ("hinge", "logistic"):
        r = optimal_lambda(learner="linear", loss=loss, alpha=2.0, eps=0.2)
        assert r.lam_opt > 0
        assert is_minimum(loss, r.lam_opt)
        assert not is_minimum(loss, 1.1 * r.lam_opt) and not is_minimum(loss, r.lam_opt / 1.1)
        for f in (0.7, 1.4):
            g = rm.solve(rm.Setting(alpha=2.0, eps=0.2, lam=f * r.lam_opt, loss=loss)).gen_error
            assert g >= r.gen_error - 1e-12
        assert r.gen_error < r.gen_error_at_zero


@pytest.mark.parametrize("eps", [0.0, 0.3])
def test_square_rate_is_the_closed_form(eps):
    r = large_alpha_rate(loss="square", eps=eps, lam=1.0)
    assert r.exponent == pytest.approx(0.5, abs=1e-3)
    assert r.constant == pytest.approx(square_rate_constant(eps), rel=1e-3)


def test_hinge_with_facts_decays_like_alpha_to_minus_half():
    # docs/theory.md: "hinge is conjectured to decay as alpha^-1/2 too" (eps > 0)
    r = large_alpha_rate(loss="hinge", eps=0.3, lam=1.0)
    assert r.exponent == pytest.approx(0.5, abs=0.01)


def test_bayes_rate_is_one():
    r = large_alpha_rate(learner="bayes", eps=0.2)
    assert r.exponent == pytest.approx(1.0, abs=1e-3)
    assert r.constant == pytest.approx(r.constant_closed_form, rel=1e-3)


def test_cli(capsys):
    argv = ["optimal-lambda", "--learner", "linear", "--loss", "square", "--alpha", "2", "--eps", "0.2", "--json"]
    assert main(argv) == 0
    d = json.loads(capsys.readouterr().out)
    assert {"lam_opt", "gen_error", "mem_error"} <= set(d)
    assert d["lam_opt"] == pytest.approx(math.pi / (2 * 0.64) - 1, rel=1e-4)
    assert main(["rate", "--learner", "bayes", "--eps", "0.2", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["exponent"] == pytest.approx(1.0, abs=1e-3)
    assert main(["rate", "--learner", "linear", "--loss", "square", "--eps", "1"]) == 2
    assert "eps" in capsys.readouterr().err


# -- two words for two things: lam_opt = 0 (interpolates_at_optimum) vs the facts stored (stores_facts) --

@pytest.mark.parametrize("ratio", [1.0, 1.2, 1.4])
def test_facts_are_stored_below_the_interpolation_boundary(ratio):
    # eps = 0.2: the interpolator is optimal only from mustar^2/mu1^2 = pi/(2 * 0.64) - 1 = 1.454 on, but kernel
    # ridge at its best lam > 0 already stores the facts (mem_error 2e-13, 6e-49, 0)
    K = rm.Kernel(mu1=0.5, mustar=0.5 * math.sqrt(ratio))
    o = optimal_lambda(learner=K, loss="square", alpha=2.0, eps=0.2)
    assert o.lam_opt > 0 and not o.interpolates_at_optimum
    assert o.mem_error <= 1e-6 and o.stores_facts and o.mem_tol == 1e-6
    # the tolerance decides, and is honoured: 0 refuses the 2e-13 of ratio 1
    strict = optimal_lambda(learner=K, loss="square", alpha=2.0, eps=0.2, mem_tol=0.0)
    assert strict.stores_facts == (o.mem_error == 0.0) and strict.lam_opt == o.lam_opt


def test_a_learner_that_forgets_facts_at_its_optimum_does_not_store_them():
    o = optimal_lambda(learner="linear", loss="square", alpha=2.0, eps=0.2)
    assert o.mem_error > 0.1 and not o.stores_facts and not o.interpolates_at_optimum
    assert o.to_dict()["stores_facts"] is False and "memorizes_at_optimum" not in o.to_dict()


def test_the_old_name_is_a_deprecated_alias_of_interpolates_at_optimum():
    o = optimal_lambda(learner=rm.Kernel(mu1=0.5, mustar=0.9), loss="square", alpha=2.0, eps=0.2)
    assert o.interpolates_at_optimum and o.stores_facts
    with pytest.warns(DeprecationWarning, match="interpolates_at_optimum"):
        assert o.memorizes_at_optimum is True


@pytest.mark.parametrize("bad", [-1e-3, 1.0, float("nan"), [1e-6, 1e-3]])
def test_mem_tol_is_checked_before_any_work(bad):
    with pytest.raises(rm.ParameterError, match="^mem_tol: "):
        optimal_lambda(learner="linear", loss="square", alpha=2.0, eps=0.2, mem_tol=bad)


def test_raf_optimal_lambda_prints_interpolation_and_stored_facts_as_two_columns(capsys):
    base = ["optimal-lambda", "--learner", "kernel", "--loss", "square", "--alpha", "2", "--eps", "0.2",
            "--mu1", "0.5", "--mustar", "0.5"]
    assert main(base + ["--json"]) == 0
    rec = json.loads(capsys.readouterr().out)
    assert rec["interpolates_at_optimum"] is False and rec["stores_facts"] is True and rec["mem_tol"] == 1e-6
    assert "memorizes_at_optimum" not in rec
    assert main(base + ["--mem-tol", "0"]) == 0
    table = capsys.readouterr().out
    assert "interpolates_at_optimum" in table and "stores_facts" in table
    assert main(base + ["--mem-tol", "1.5"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "mem_tol" in err
