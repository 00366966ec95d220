"""The large-alpha and phase-kernel figures: tables against the theory, and their findings (quick mode)."""

import math
import types

import numpy as np
import pytest

import rafmodel as rm
from rafmodel.figures import make_figure


@pytest.fixture(scope="module")
def large_alpha():
    return make_figure("large-alpha", quick=True, sim=False)


@pytest.fixture(scope="module")
def phase_kernel():
    return make_figure("phase-kernel", quick=True, sim=False)


def _exponent(alpha, g):
    # -log-log slope over the last decade, recomputed here from the table
    alpha, g = np.asarray(alpha, float), np.asarray(g, float)
    keep = (alpha >= alpha.max() / 10) & np.isfinite(g)
    return -np.polyfit(np.log(alpha[keep]), np.log(g[keep]), 1)[0]


# ---------------------------------------------------------------- large-alpha

def test_large_alpha_builds_with_its_table(large_alpha):
    t = large_alpha.table
    assert type(large_alpha.figure).__module__ == "matplotlib.figure"
    assert {"curve", "alpha", "eps", "lam", "gen_error", "mem_error", "loss", "converged", "source"} <= set(t.columns)
    assert set(t["source"]) == {"theory", "bayes"}
    assert set(t["curve"]) == {"ridge, optimal lam", "SVM, lam = 0.1", "SVM, lam -> 0", "logistic, lam = 0.1",
                               "Bayes-optimal"}
    assert (t.groupby("curve").size() == 8).all()
    assert t["alpha"].min() == pytest.approx(1.0) and t["alpha"].max() == pytest.approx(1e4)
    assert (t["eps"] == 0.2).all()


def test_large_alpha_theory_rows_are_what_solve_returns(large_alpha):
    t = large_alpha.table
    theory = t[t["source"] == "theory"]
    assert theory["converged"].all()
    ridge = theory[theory["curve"] == "ridge, optimal lam"]
    assert np.allclose(ridge["lam"], math.pi / (2 * (1 - 0.2) ** 2) - 1, rtol=1e-12)  # closed form, docs 3.8
    for _, r in theory.iloc[::2].iterrows():
        th = rm.solve(rm.Setting(alpha=r["alpha"], eps=r["eps"], lam=r["lam"], learner="linear", loss=r["loss"]))
        assert th.gen_error == pytest.approx(r["gen_error"], rel=1e-9, abs=1e-12)
        assert th.mem_error == pytest.approx(r["mem_error"], rel=1e-9, abs=1e-12)
    bayes = t[t["source"] == "bayes"]
    ref = rm.bayes_optimal(bayes["alpha"].to_numpy(), bayes["eps"].to_numpy(), warn=False)
    assert np.allclose(ref.gen_error, bayes["gen_error"], rtol=1e-10, atol=0)


def test_large_alpha_exponents_are_one_half_for_erm_and_one_for_bayes(large_alpha):
    t = large_alpha.table
    for name, sub in t.groupby("curve"):
        ex = _exponent(sub["alpha"], sub["gen_error"])
        assert ex == pytest.approx(1.0 if name == "Bayes-optimal" else 0.5, abs=0.01), name
        assert f"{ex:.3f} ({name})" in large_alpha.caption
    # the Bayes-optimal error is below every ERM curve at every alpha
    bayes = t[t["source"] == "bayes"].set_index("alpha")["gen_error"]
    erm_min = t[t["source"] == "theory"].groupby("alpha")["gen_error"].min()
    assert (bayes <= erm_min.reindex(bayes.index) + 1e-12).all()


def test_large_alpha_rejects_an_empty_alpha_range():
    with pytest.raises(rm.ParameterError, match="alpha"):
        make_figure("large-alpha", quick=True, alpha=[10.0, 10.0])


# ---------------------------------------------------------------- phase-kernel

def test_phase_kernel_builds_with_its_table(phase_kernel):
    t = phase_kernel.table
    assert {"curve", "alpha", "eps", "ratio", "mu1", "mustar", "lam", "gen_error", "mem_error", "gen_error_at_zero",
            "memorization_cost", "converged", "source"} <= set(t.columns)
    assert set(t["source"]) == {"theory"}
    svm = t[t["curve"] == "kernel SVM"]
    assert len(svm) == 16 and svm["converged"].all()
    assert np.allclose(svm["mustar"] ** 2 / svm["mu1"] ** 2, svm["ratio"], rtol=1e-12)
    assert (svm["memorization_cost"] >= 0).all()
    assert len(t[t["curve"] == "kernel ridge check"]) > 0


def test_phase_kernel_rows_are_what_solve_returns(phase_kernel):
    t = phase_kernel.table
    for _, r in t.iterrows():
        k = rm.Kernel(mu1=r["mu1"], mustar=r["mustar"])
        at = rm.solve(rm.Setting(alpha=r["alpha"], eps=r["eps"], lam=r["lam"], learner=k, loss=r["loss"]))
        assert at.gen_error == pytest.approx(r["gen_error"], rel=1e-9, abs=1e-12)
        assert at.mem_error == pytest.approx(r["mem_error"], rel=1e-6, abs=1e-12)
        if r["curve"] == "kernel SVM":
            zero = rm.solve(rm.Setting(alpha=r["alpha"], eps=r["eps"], lam=0.0, learner=k, loss="hinge"))
            assert zero.gen_error == pytest.approx(r["gen_error_at_zero"], rel=1e-9, abs=1e-12)
            assert zero.mem_error == 0.0 == r["mem_error_at_zero"]  # the max-margin interpolator
            assert r["memorization_cost"] == pytest.approx(max(zero.gen_error - at.gen_error, 0.0), abs=1e-12)
            assert r["interpolation_cheap"] == (r["memorization_cost"] <= r["tol"])
            assert r["stores_facts"] == (r["mem_error"] <= r["mem_tol"])


def test_phase_kernel_ridge_region_is_the_closed_form_margin(phase_kernel):
    ridge = phase_kernel.table[phase_kernel.table["curve"] == "kernel ridge check"]
    assert ridge["converged"].all()
    margin = ridge["ratio"] - (math.pi / (2 * (1 - ridge["eps"]) ** 2) - 1)  # docs/theory.md 3.8
    assert (ridge["interpolates_at_optimum"].astype(bool) == (margin >= 0)).all()
    assert ridge["stores_facts"].astype(bool).eq(ridge["mem_error"] <= ridge["mem_tol"]).all()
    assert margin.gt(0).any() and margin.lt(0).any()  # the checks bracket the boundary
    assert np.allclose(ridge["margin"], margin, atol=1e-12)
    assert (ridge.loc[margin >= 0, "lam"] == 0).all()
    assert "agrees at" in phase_kernel.caption


def test_phase_kernel_svm_optimum_is_at_least_optimal_lambdas(phase_kernel):
    # the figure's batched search finds an optimum at least as good as rm.optimal_lambda's
    svm = phase_kernel.table[phase_kernel.table["curve"] == "kernel SVM"]
    for _, r in svm[svm["eps"] > 0].iloc[[0, -1]].iterrows():
        o = rm.optimal_lambda(learner=rm.Kernel(mu1=r["mu1"], mustar=r["mustar"]), loss="hinge", alpha=r["alpha"],
                              eps=r["eps"])
        assert r["gen_error"] <= o.gen_error + 1e-12
        assert r["memorization_cost"] >= o.memorization_cost - 1e-12
    # no facts: the max-margin interpolator is optimal (cost zero); with facts it costs something
    assert (svm.loc[svm["eps"] == 0, "memorization_cost"] == 0).all()
    assert (svm.loc[svm["eps"] > 0, "memorization_cost"] > 0).all()


def test_phase_kernel_undetermined_points_are_missing(monkeypatch):
    real = rm.solve_many

    def flaky(settings, **kw):  # lam = 0 "does not converge" at eps = 0.8
        res = real(settings, **kw)
        bad = np.array([s.lam == 0 and s.eps == 0.8 for s in settings])
        return types.SimpleNamespace(gen_error=np.asarray(res.gen_error), mem_error=np.asarray(res.mem_error),
                                     converged=np.asarray(res.converged) & ~bad)

    monkeypatch.setattr(rm, "solve_many", flaky)
    res = make_figure("phase-kernel", quick=True, sim=False)
    t = res.table
    assert "4 grid points are undetermined" in res.caption
    svm = t[t["curve"] == "kernel SVM"]
    und = svm[svm["eps"] == 0.8]
    assert len(und) == 4 and not und["converged"].any()
    assert und[["gen_error", "mem_error", "lam", "memorization_cost"]].isna().all().all()
    assert und["interpolation_cheap"].isna().all() and und["stores_facts"].isna().all()
    assert svm.loc[svm["eps"] < 0.8, "converged"].all()


def test_phase_kernel_says_whether_facts_are_stored_apart_from_lam_opt_zero(phase_kernel):
    # two words for two things: below the line lam_opt > 0, and the facts may still be stored there
    ridge = phase_kernel.table[phase_kernel.table["curve"] == "kernel ridge check"]
    below = ridge[~ridge["interpolates_at_optimum"].astype(bool)]
    assert len(below) and (below["lam"] > 0).all()
    stored = int(below["stores_facts"].astype(bool).sum())
    if stored:
        assert f"at {stored} of {len(below)} check points below the line" in phase_kernel.caption
    assert "memorizes every fact" not in phase_kernel.caption
    assert "interpolator (lam = 0) optimal" in phase_kernel.figure.axes[0].get_title()
    strict = make_figure("phase-kernel", quick=True, sim=False, mem_tol=0.0)  # nothing but exact zeros counts
    srows = strict.table[strict.table["curve"] == "kernel ridge check"]
    assert srows["stores_facts"].astype(bool).eq(srows["mem_error"] == 0).all()
