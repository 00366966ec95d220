"""The tradeoff and kernel-lambda figures: tables against solve, and the findings they state."""

import math

import pandas as pd
import pytest

import rafmodel as rm
from rafmodel.figures import make_figure

from _figures import assert_rows_are_the_theory

COLUMNS = {"alpha", "eps", "lam", "gen_error", "mem_error", "rule_error", "source", "curve", "loss", "model"}


@pytest.fixture(scope="module")
def tradeoff():
    return make_figure("tradeoff", quick=True, sim=False)


@pytest.fixture(scope="module")
def kernel_lambda():
    return make_figure("kernel-lambda", quick=True, sim=False)


def _learner(row):
    # rebuilt from the row's own parameters, not from the figure code
    if row["model"] == "linear":
        return rm.Linear()
    return rm.Kernel(mu1=row["mu1"], mustar=row["mustar"])


def _optima(table, loss):
    t = table[(table["curve"] == "optimal lam") & (table["loss"] == loss)]
    return {(None if pd.isna(row["ratio"]) else float(row["ratio"])): row for _, row in t.iterrows()}


@pytest.mark.parametrize("name", ["tradeoff", "kernel-lambda"])
def test_each_figure_builds_with_the_package_columns(name, tradeoff, kernel_lambda):
    res = tradeoff if name == "tradeoff" else kernel_lambda
    t = res.table
    assert COLUMNS <= set(t.columns)
    assert set(t["source"]) == {"theory"}  # sim=False
    assert set(t["loss"]) == {"square", "hinge"}
    assert sorted(t["ratio"].dropna().unique()) == [0.1, 0.5, 2.0]
    assert type(res.figure).__module__ == "matplotlib.figure" and len(res.figure.axes) >= 2
    for ax in res.figure.axes:
        assert ax.lines, "empty panel"
    assert res.caption and "alpha = 2" in res.caption and "eps = 0.2" in res.caption


@pytest.mark.parametrize("name", ["tradeoff", "kernel-lambda"])
def test_the_theory_rows_are_what_solve_returns(name, tradeoff, kernel_lambda):
    t = (tradeoff if name == "tradeoff" else kernel_lambda).table
    curves = t[(t["source"] == "theory") & (t["curve"] != "optimal lam")]
    assert curves["converged"].astype(bool).all()
    assert (curves["lam"] == 0).sum() == curves.groupby(["loss", "curve"]).ngroups  # each curve starts at lam = 0
    assert_rows_are_the_theory(curves.iloc[::4], _learner)
    assert_rows_are_the_theory(t[t["curve"] == "optimal lam"], _learner)  # the errors at lam_opt


def test_the_tradeoff_curves_run_from_lam_zero_and_the_square_optima_share_gen_error(tradeoff):
    t = tradeoff.table
    kernels = t[(t["model"] == "kernel") & (t["lam"] == 0) & (t["curve"] != "optimal lam")]
    assert len(kernels) == 6 and (kernels["mem_error"] == 0).all()  # a kernel interpolates at lam = 0
    lin0 = t[(t["curve"] == "linear") & (t["lam"] == 0)].set_index("loss")
    assert lin0.loc["square", "mem_error"] > 0.1  # least squares at alpha = 2 > 1 cannot fit every fact
    assert lin0.loc["hinge", "mem_error"] == 0  # max-margin: alpha = 2 < alpha_c(0.2) = 2.99
    # square loss: kernel ridge generalizes as linear ridge with lam_eff = (lam + mustar^2)/mu1^2, so every
    # optimum with lam > 0 has the linear learner's gen_error, and fewer lost facts as mustar grows
    sq = _optima(t, "square")
    interior = [row for row in sq.values() if row["lam"] > 0]
    assert len(interior) == 3
    g = [row["gen_error"] for row in interior]
    assert max(g) - min(g) < 1e-7
    mem = [sq[r]["mem_error"] for r in (None, 0.1, 0.5, 2.0)]
    assert mem == sorted(mem, reverse=True) and mem[-1] == 0
    # hinge: the memory channel lowers the best gen_error below the linear learner's
    hg = _optima(t, "hinge")
    assert min(hg[r]["gen_error"] for r in (0.1, 0.5, 2.0)) < hg[None]["gen_error"] - 1e-3


def test_memorize_for_free_above_the_threshold_only(kernel_lambda):
    t = kernel_lambda.table
    eps = 0.2
    threshold = math.pi / (2 * (1 - eps) ** 2) - 1  # 1.4544
    sq = _optima(t, "square")
    assert set(sq) == {0.1, 0.5, 2.0}
    for ratio, row in sq.items():
        mu1, mustar = row["mu1"], row["mustar"]
        assert mustar**2 / mu1**2 == pytest.approx(ratio)
        closed = max(0.0, mu1**2 * threshold - mustar**2)  # docs/theory.md section 3.8, written out here
        assert row["lam_opt_closed_form"] == pytest.approx(closed, abs=1e-12)
        if ratio >= threshold:
            assert row["lam"] == 0 and row["mem_error"] == 0 and row["margin"] >= 0
        else:
            assert row["lam"] == pytest.approx(closed, rel=1e-5) and row["lam"] > 0
            assert row["mem_error"] > 0 and row["margin"] < 0
    assert "Memorize for free" in kernel_lambda.caption and "1.454" in kernel_lambda.caption
    # the hinge optimum is never lam = 0 here, even at ratio 2
    assert all(row["lam"] > 0 for row in _optima(t, "hinge").values())


def test_no_memorize_for_free_when_the_threshold_moves_above_the_ratio():
    # at eps = 0.5 the threshold is pi/2 - 1 ... = 5.28: mustar^2/mu1^2 = 2 no longer memorizes for free
    res = make_figure("kernel-lambda", quick=True, sim=False, eps=0.5, ratio=[2.0])
    row = next(iter(_optima(res.table, "square").values()))
    assert row["lam"] > 0 and row["mem_error"] > 0
    assert "No ratio here reaches the memorize-for-free threshold" in res.caption


def test_kernel_lambda_simulations_at_quick_size():
    res = make_figure("kernel-lambda", quick=True, sim=True)
    t = res.table
    sim = t[t["source"] == "simulation"]
    assert set(sim["loss"]) == {"square"} and (sim["d"] == 40).all() and (sim["seeds"] == 2).all()
    assert sorted(sim["lam"].unique()) == [0.0, 0.1, 10.0]
    assert len(sim) == 3 * 3 and sim["gen_error_se"].notna().all()
    at0 = sim[sim["lam"] == 0]
    assert (at0["mem_error"] == 0).all()  # the kernel interpolator stores every fact, in a finite sample too
    assert (sim["gen_error"].between(0.1, 0.45)).all()
    assert "simulations (d = 40, 2 seeds)" in res.caption


@pytest.mark.parametrize("name", ["tradeoff", "kernel-lambda"])
def test_a_lam_range_must_have_two_ends(name):
    with pytest.raises(rm.ParameterError, match="lam"):
        make_figure(name, quick=True, sim=False, lam=[1.0])
