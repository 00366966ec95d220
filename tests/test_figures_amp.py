"""The figures amp and fact-detection hold what the theory and AMP return (recomputed independently of the figure code)."""

from __future__ import annotations

import math

import numpy as np
import pytest

import rafmodel as rm
from rafmodel.figures import make_figure
from rafmodel.theory.amp_se import fact_auc, state_evolution


def test_amp_figure_tables_state_evolution_and_bayes_optimal():
    t = make_figure("amp", quick=True, sim=False).table
    se = t[t["source"] == "theory"]
    for a in (1.0, 4.0):
        rows = se[se["alpha"] == a].sort_values("t")
        np.testing.assert_allclose(rows["m"], state_evolution(a, 0.2, iterations=8).q, rtol=0, atol=1e-12)
    b = t[t["source"] == "bayes"]
    np.testing.assert_allclose(b["gen_error"], rm.bayes_optimal(b["alpha"].to_numpy(), 0.2).gen_error, atol=1e-12)


def test_amp_figure_simulation_rows_carry_errors_and_z(capsys):
    res = make_figure("amp", quick=True, iterations=3, sim_alpha=[2.0], alpha=[2.0], progress=True)
    assert "amp: " in capsys.readouterr().err  # the bar of its AMP runs
    sim = res.table[res.table["source"] == "simulation"]
    it = sim[sim["t"].notna()]
    assert list(it["t"]) == [1, 2, 3] and (it["m_se"] > 0).all()
    assert np.allclose(it["m_z"], (it["m"] - it["m_theory"]) / it["m_se"])
    gen = sim[sim["t"].isna()]
    assert len(gen) == 1 and gen["gen_error_theory"].iloc[0] == rm.bayes_optimal(2.0, 0.2).gen_error
    assert "d = 300, 2 seeds" in res.caption


def test_fact_detection_figure_tables_the_predicted_auc_and_roc():
    t = make_figure("fact-detection", quick=True, sim=False).table
    auc = t[(t["source"] == "theory") & (t["curve"] == "AUC")]
    for _, r in auc.iloc[::4].iterrows():
        assert r["auc"] == pytest.approx(fact_auc(rm.bayes_optimal(r["alpha"], 0.2).q), abs=1e-12)
    roc = t[(t["source"] == "theory") & (t["curve"] == "ROC")]
    area = float(np.trapezoid(roc["tpr"], roc["fpr"]))
    assert area == pytest.approx(fact_auc(rm.bayes_optimal(4.0, 0.2).q), abs=2e-3)  # 201 thresholds
    assert math.isclose(roc["fpr"].min(), 0.0, abs_tol=1e-6) and math.isclose(roc["tpr"].max(), 1.0, abs_tol=1e-6)
