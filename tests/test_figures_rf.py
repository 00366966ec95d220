"""The random-features figures rf-kappa and phase-rf: tables against the theory, and their findings."""

import math
import warnings

import numpy as np
import pytest

import rafmodel as rm
from rafmodel.figures import make_figure
from rafmodel.theory.capacity import interpolation_threshold

from _figures import assert_rows_are_the_theory

COLUMNS = {"alpha", "eps", "lam", "kappa", "activation", "loss", "gen_error", "mem_error", "rule_error", "source"}


@pytest.fixture(scope="module")
def rf_kappa():
    return make_figure("rf-kappa", quick=True, sim=False)


@pytest.fixture(scope="module")
def phase_rf():
    return make_figure("phase-rf", quick=True, sim=False)


def _rf(row):
    """The learner of a table row, rebuilt from its activation and kappa (its mu1, mustar checked)."""
    rf = rm.RandomFeatures.from_activation(row["activation"], kappa=float(row["kappa"]))
    assert rf.mu1 == pytest.approx(row["mu1"], rel=1e-12) and rf.mustar == pytest.approx(row["mustar"], rel=1e-12)
    return rf


# --- rf-kappa ---------------------------------------------------------------------------------------------------

def test_rf_kappa_builds_with_its_table(rf_kappa):
    t = rf_kappa.table
    assert COLUMNS <= set(t.columns)
    assert set(t["source"]) == {"theory"}
    assert set(t["activation"]) == {"relu", "tanh"} and set(t["loss"]) == {"square", "hinge"}
    assert set(t.loc[t["model"] == "rf", "lam"]) == {0.0, 0.01}
    assert type(rf_kappa.figure).__module__ == "matplotlib.figure" and len(rf_kappa.figure.axes) == 4
    assert "kappa > alpha" in rf_kappa.caption


def test_rf_kappa_theory_rows_are_what_solve_returns(rf_kappa):
    t = rf_kappa.table
    rf = t[(t["source"] == "theory") & (t["model"] == "rf") & t["gen_error"].notna()]
    assert rf["converged"].astype(bool).all()
    assert_rows_are_the_theory(rf.iloc[::5], _rf)
    ker = t[t["model"] == "kernel"]
    assert len(ker) == 4 and (ker["kappa"] == math.inf).all()
    assert_rows_are_the_theory(ker, lambda r: rm.Kernel(mu1=r["mu1"], mustar=r["mustar"]))


def test_rf_kappa_facts_are_stored_exactly_above_the_interpolation_thresholds(rf_kappa):
    t = rf_kappa.table
    alpha, eps = float(t["alpha"].iloc[0]), float(t["eps"].iloc[0])
    zero = t[(t["model"] == "rf") & (t["lam"] == 0.0) & t["gen_error"].notna()]
    sq = zero[zero["loss"] == "square"]
    assert (sq.loc[sq["kappa"] > alpha, "mem_error"] == 0).all() and (sq["kappa"] > alpha).sum() >= 4
    assert (sq.loc[sq["kappa"] < alpha, "mem_error"] > 0).all() and (sq["kappa"] < alpha).sum() >= 4
    thr = t[t["curve"].str.endswith("interpolation threshold")]
    for act in ("relu", "tanh"):
        kc = float(thr[(thr["loss"] == "hinge") & (thr["activation"] == act)]["kappa"].iloc[0])
        assert kc < alpha  # the max-margin classifier interpolates with fewer features than least squares
        rf = rm.RandomFeatures.from_activation(act, kappa=kc)  # independently: the threshold there is alpha
        got = interpolation_threshold(rf, rm.Hinge(), eps, {"kappa": kc, "mu1": rf.mu1, "mustar": rf.mustar})
        assert float(got) == pytest.approx(alpha, rel=1e-6)
        hg = zero[(zero["loss"] == "hinge") & (zero["activation"] == act)]
        assert (hg.loc[hg["kappa"] > kc, "mem_error"] == 0).all()
        assert (hg.loc[hg["kappa"] < kc, "mem_error"] > 0).all()
        # lam = 0 approaches the kernel limit from above
        ker = float(t[(t["model"] == "kernel") & (t["activation"] == act) & (t["loss"] == "hinge")]["gen_error"].iloc[0])
        assert hg["gen_error"].iloc[-1] > ker


def test_rf_kappa_simulations_are_in_the_table_with_standard_errors():
    t = make_figure("rf-kappa", quick=True, sim=True).table
    sim = t[t["source"] == "simulation"]
    assert len(sim) == 2 * 2 * 2  # two activations, two losses (SIM_LOSSES), two kappa
    assert set(sim["loss"]) == {"square", "hinge"} and {"gen_error_z", "mem_error_z"} <= set(sim.columns)
    assert sim["gen_error_se"].notna().all() and (sim["d"] == 40).all()
    # the square loss at lam = 0 (the min-norm interpolator), the hinge at the figure's small lam
    assert (sim.loc[sim["loss"] == "square", "lam"] == 0).all()
    assert (sim.loc[sim["loss"] == "hinge", "lam"] == 0.01).all()
    assert set(sim["kappa"]) == {0.5, 5.0}
    assert COLUMNS <= set(sim.columns)
    # far above both thresholds every fact is stored, in the simulation too
    assert (sim.loc[(sim["kappa"] == 5.0) & (sim["lam"] == 0), "mem_error"] == 0).all()


# --- phase-rf ---------------------------------------------------------------------------------------------------

def test_phase_rf_builds_with_its_table(phase_rf):
    t = phase_rf.table
    assert COLUMNS | {"rel_gap", "gen_opt", "lam_opt", "near_optimal"} <= set(t.columns)
    assert set(t["source"]) == {"theory"}
    zero = t[t["curve"] == "lam = 0"]
    assert len(zero) == 36 and set(zero["lam"]) == {0.0}
    assert (zero["activation"] == "relu").all() and (zero["loss"] == "square").all()
    assert "kappa = alpha" in phase_rf.caption and "not optimal_lambda" in phase_rf.caption


def test_phase_rf_theory_rows_are_what_solve_returns(phase_rf):
    t = phase_rf.table
    rows = t[t["converged"].astype(bool)]
    assert_rows_are_the_theory(rows.iloc[::4], _rf)
    best = t[t["curve"] == "best lam"].set_index(["alpha", "kappa"])
    zero = t[(t["curve"] == "lam = 0") & t["converged"].astype(bool)].set_index(["alpha", "kappa"])
    assert (zero["gen_opt"] == best.loc[zero.index, "gen_error"]).all()  # the optimum is a solved point
    assert np.allclose(zero["rel_gap"], zero["gen_error"] / zero["gen_opt"] - 1, rtol=1e-12)


def test_phase_rf_masks_points_that_did_not_converge(phase_rf):
    t = phase_rf.table
    zero = t[t["curve"] == "lam = 0"]
    bad = ~zero["converged"].astype(bool)
    assert bad.sum() == 1  # alpha = kappa = 0.1: the singular threshold itself
    assert zero.loc[bad, "gen_error"].isna().all() and not zero.loc[bad, "near_optimal"].any()
    assert zero.loc[bad, "rel_gap"].isna().all()
    mesh = [c for c in phase_rf.figure.axes[0].collections if hasattr(c, "get_array") and c.get_array() is not None
            and np.ma.isMaskedArray(c.get_array()) and c.get_array().size == 36]
    assert len(mesh) == 1 and int(np.ma.count_masked(mesh[0].get_array())) == 1


def test_phase_rf_region_agrees_with_optimal_lambda_at_two_grid_points(phase_rf):
    t = phase_rf.table
    zero = t[(t["curve"] == "lam = 0") & t["converged"].astype(bool)]
    interp = zero[zero["kappa"] > zero["alpha"]]
    inside = interp[interp["rel_gap"] < 0.005].iloc[0]  # clearly inside the 1 % region
    outside = interp[interp["rel_gap"] > 0.05].iloc[0]  # clearly outside
    assert inside["near_optimal"] and not outside["near_optimal"]
    for r in (inside, outside):
        rf = _rf(r)
        g0 = rm.solve(rm.Setting(alpha=r["alpha"], eps=r["eps"], lam=0.0, learner=rf, loss="square")).gen_error
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", rm.ConvergenceWarning)
            opt = rm.optimal_lambda(learner=rf, loss="square", alpha=float(r["alpha"]), eps=float(r["eps"]))
        assert (g0 / opt.gen_error - 1 <= 0.01) == bool(r["near_optimal"])
        assert r["gen_opt"] == pytest.approx(opt.gen_error, rel=1e-4)  # the lam grid finds the optimum
