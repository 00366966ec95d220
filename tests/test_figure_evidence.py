"""How the figures weigh simulations against the theory: z-scores without a floor, the word
"agree" only where every |z| <= 3, the finite-size extrapolation, and what legends and
captions say about the simulations."""

from __future__ import annotations

import math
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from rafmodel.figures import ORDER, make_figure
from rafmodel.figures._evidence import AGREE_Z, add_z, agreement, z_score
from rafmodel.figures.finite_size_figures import SERIES, extrapolate


def _row(z_gen, z_mem=0.0, d=400, seeds=8):
    # a simulation row whose z-scores are the given ones (se = 0.01)
    return {"gen_error": 0.30 + 0.01 * z_gen, "gen_error_se": 0.01, "gen_error_theory": 0.30, "gen_error_z": z_gen,
            "mem_error": 0.10 + 0.01 * z_mem, "mem_error_se": 0.01, "mem_error_theory": 0.10, "mem_error_z": z_mem,
            "d": d, "seeds": seeds, "kappa": 6.0}


def test_the_z_score_uses_the_measured_standard_error_with_no_floor():
    assert z_score(0.334, 0.001, 0.310) == pytest.approx(24.0)
    assert z_score(0.334, 1e-9, 0.310) == pytest.approx(2.4e7)  # tiny se: huge z, never raised to a floor
    assert z_score(0.2, 0.0, 0.2) == 0.0
    assert z_score(0.2, 0.0, 0.1) == math.inf and z_score(0.0, 0.0, 0.1) == -math.inf
    assert math.isnan(z_score(0.2, math.nan, 0.2)) and math.isnan(z_score(0.2, 0.01, math.nan))


def test_one_z_of_3_5_is_not_called_agreement_and_the_deviation_is_stated():
    rows = [_row(0.5), _row(-1.0), _row(3.5, d=400, seeds=8)]
    text = agreement(rows, subject="Simulations", where=lambda r: f"kappa = {r['kappa']:g}")
    assert "agree with the theory" not in text
    assert "deviate from the theory at 1 of 6" in text
    assert "z = +3.50" in text and "d = 400" in text and "8 seeds" in text and "kappa = 6" in text
    assert "0.035 above the theory" in text


@pytest.mark.parametrize("z", [3.0, -3.0, 2.99])
def test_every_z_within_three_is_called_agreement(z):
    text = agreement([_row(0.1), _row(z, z_mem=-0.2)], subject="Simulations")
    assert text.startswith("Simulations agree with the theory") and "deviate" not in text
    assert f"largest |z| = {abs(z):.2f}" in text
    assert AGREE_Z == 3.0


def test_a_deviation_with_no_spread_is_a_deviation_unless_below_one_counted_fact():
    base = {"alpha": 2.0, "eps": 0.2, "d": 400, "seeds": 8, "gen_error": 0.3, "gen_error_se": 0.01}
    # every seed stores every fact; the theory loses 7 % of them: a deviation (z = -inf)
    far = add_z({**base, "mem_error": 0.0, "mem_error_se": 0.0}, {"gen_error": 0.3, "mem_error": 0.07}, n_test=4000)
    assert far["mem_error_z"] == -math.inf and "mem_error_unresolved" not in far
    assert "deviate" in agreement([far], subject="S")
    # the theory's 1e-20 is far below one fact in 8 x 160: not resolved, no z, said so
    near = add_z({**base, "mem_error": 0.0, "mem_error_se": 0.0}, {"gen_error": 0.3, "mem_error": 1e-20}, n_test=4000)
    assert math.isnan(near["mem_error_z"]) and near["mem_error_unresolved"]
    text = agreement([near], subject="S")
    assert text.startswith("S agree") and "below the resolution" in text


def test_the_extrapolation_recovers_exact_linear_data_and_its_closed_form_error():
    d = np.array([100, 200, 400, 800, 1600])
    x = 1.0 / d
    se = np.array([0.004, 0.003, 0.002, 0.0015, 0.001])
    fit = extrapolate(x, 0.31 + 2.5 * x, se)
    assert fit["a"] == pytest.approx(0.31, abs=1e-12) and fit["b"] == pytest.approx(2.5, abs=1e-9)
    assert fit["chi2"] == pytest.approx(0.0, abs=1e-18) and fit["dof"] == 3 and fit["n_points"] == 5
    w = 1.0 / se**2  # Var(a) of weighted least squares, in closed form
    det = w.sum() * (w * x * x).sum() - (w * x).sum() ** 2
    assert fit["a_se"] == pytest.approx(math.sqrt((w * x * x).sum() / det), rel=1e-10)
    assert fit["b_se"] == pytest.approx(math.sqrt(w.sum() / det), rel=1e-10)


def test_the_extrapolation_leaves_out_unweighted_points_and_keeps_an_exact_constant():
    fit = extrapolate([0.01, 0.005, 0.0025], [0.2, 0.1, 0.05], [0.0, 0.01, 0.01])  # se = 0 cannot be weighted
    assert fit["n_points"] == 2 and fit["a"] == pytest.approx(0.0, abs=1e-12)
    zero = extrapolate([0.01, 0.005], [0.0, 0.0], [0.0, 0.0])  # mem_error = 0 at every d and seed
    assert zero["a"] == 0.0 and zero["a_se"] == 0.0
    assert math.isnan(extrapolate([0.01], [0.2], [0.01])["a"])


def test_the_finite_size_figure_in_quick_mode(tmp_path):
    assert "finite-size" in ORDER
    res = make_figure("finite-size", quick=True)
    t = res.table
    ext = t[t.source == "extrapolation"]
    assert len(ext) == 2 * len(SERIES)
    sims = t[t.source == "simulation"]
    assert sorted(set(sims.d)) == sorted(res.params["d"]) and (sims.seeds == res.params["seeds"]).all()
    # each extrapolation is the weighted fit of that series' simulations
    label = SERIES[0][0]
    s = sims[sims.series == label].sort_values("d")
    fit = extrapolate(1.0 / s.d.to_numpy(), s.gen_error.to_numpy(), s.gen_error_se.to_numpy())
    row = ext[(ext.series == label) & ext.gen_error.notna()].iloc[0]
    assert row.gen_error == pytest.approx(fit["a"]) and row.gen_error_se == pytest.approx(fit["a_se"])
    assert "extrapolated to 1/d = 0" in res.caption
    verdict = "agree with the theory" in res.caption
    zs = ext[["gen_error_z", "mem_error_z"]].to_numpy().ravel()
    assert verdict == bool(np.all(np.abs(zs[~np.isnan(zs)]) <= 3))
    labels = [t.get_text() for t in res.figure.legends[0].get_texts()]
    assert any("lam = 0.1" in x and f"{res.params['seeds']} seeds" in x for x in labels)


def test_the_finite_size_figure_without_simulations_is_the_theory_only():
    t = make_figure("finite-size", quick=True, sim=False).table
    assert set(t.source) == {"theory"} and len(t) == len(SERIES)


def test_linear_alpha_legend_is_outside_the_panels_and_names_the_simulations():
    res = make_figure("linear-alpha", quick=True)
    assert all(ax.get_legend() is None for ax in res.figure.axes)  # no legend on the data
    labels = [t.get_text() for t in res.figure.legends[0].get_texts()]
    assert f"simulation, lam = 0, d = {res.params['d']}, {res.params['seeds']} seeds" in labels
    sim = res.table[res.table.source == "simulation"]
    assert {"gen_error_z", "mem_error_z", "gen_error_theory"} <= set(sim.columns)


def test_capacity_reports_the_separable_count_not_a_rounded_verdict(monkeypatch):
    import rafmodel.figures.theory_figures as tf

    # one sample in six separable: reported as 1/6, not as "not separable"
    monkeypatch.setattr(tf, "_separable_fractions", lambda points, d, seeds, ctx: [1 / 6] * len(points))
    res = make_figure("capacity", quick=True, seeds=6)
    lp = res.table[res.table.curve == "LP test"]
    assert (lp.separable == 1).all() and np.allclose(lp.separable_fraction, 1 / 6)
    assert "1/6 at eps = 0.3" in res.caption
    labels = [t.get_text() for t in res.figure.legends[0].get_texts()]
    assert any("some separable" in x for x in labels)


def test_the_network_caption_has_no_floor_on_the_standard_error():
    from rafmodel.figures.network_figures import _caption

    p = dict(alpha=2.0, eps=0.2, lam=0.01, d=60, seeds=3, steps=100, curve_kappa=4.0)
    th = SimpleNamespace(gen_error=0.3, mem_error=0.0)
    rows = []
    for learner in ("readout", "lazy", "mean-field"):
        # readout: 0.05 above the theory with se 0.005: z = 10 (a floor from 4000 test points would hide nothing
        # here, but any floor at all is gone: the caption must state the deviation)
        row = {"source": "simulation", "learner": learner, "kappa": 8.0, "gen_error": 0.35, "gen_error_se": 0.005,
               "mem_error": 0.0, "mem_error_se": 0.0, "d": 60, "seeds": 3}
        if learner == "readout":
            add_z(row, {"gen_error": 0.30, "mem_error": 0.0}, n_test=4000)
        rows.append(row)
    text = _caption(p, pd.DataFrame(rows), [th, th], np.array([0.1, 20.0]), th, None)
    assert "deviate from the theory" in text and "z = +10.00" in text and "d = 60" in text
    assert "agree with the theory" not in text


def test_kernel_lambda_simulations_are_the_same_in_worker_processes():
    one = make_figure("kernel-lambda", quick=True, n_jobs=1).table
    two = make_figure("kernel-lambda", quick=True, n_jobs=2).table
    cols = ["ratio", "lam", "gen_error", "gen_error_se", "mem_error", "mem_error_z"]
    pd.testing.assert_frame_equal(one[one.source == "simulation"][cols].reset_index(drop=True),
                                  two[two.source == "simulation"][cols].reset_index(drop=True))
