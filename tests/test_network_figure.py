"""The network-kappa figure, and the report with and without the extra rafmodel[nn]."""

from __future__ import annotations

import pandas as pd

from rafmodel.figures import FIGURES, ORDER, make_figure, write_figure
from rafmodel.figures._registry import FigureSpec

from _extras import needs
from _files import assert_drawn_png

SMALL = dict(sim_kappa=[2.0], curve_kappa=2.0, steps=40, d=20, seeds=2, n_kappa=5)


def test_network_kappa_is_registered_after_rf_kappa():
    assert ORDER.index("network-kappa") == ORDER.index("rf-kappa") + 1
    assert FIGURES["network-kappa"].requires == ("jax", "optax")


def test_network_kappa_theory_only_needs_no_jax(tmp_path, monkeypatch):
    monkeypatch.setattr(FigureSpec, "missing", lambda self: list(self.requires))
    meta = write_figure("network-kappa", tmp_path, quick=True, sim=False, n_kappa=5)
    table = pd.read_csv(tmp_path / "network-kappa.csv")
    assert set(table.source) == {"theory"} and set(table.learner) == {"random features", "kernel limit"}
    assert "Random features (theory)" in meta["caption"]


def test_network_kappa_with_simulations(tmp_path):
    needs("jax", "optax")
    res = make_figure("network-kappa", quick=True, **SMALL)
    t = res.table
    sims = t[t.source == "simulation"]
    assert {"readout", "lazy", "mean-field"} <= set(sims.learner)
    assert set(t.source) <= {"theory", "simulation"}
    pts = sims[sims.learner.isin(["readout", "lazy", "mean-field"])]
    assert (pts.gen_error_se >= 0).all() and (pts.device.str.len() > 0).all()
    curve = sims[sims.learner == "lazy (training curve)"]
    assert curve.step.min() == 0 and curve.step.max() == 40
    assert "kappa = 2" in res.caption and "lazy" in res.caption


def test_report_skips_the_figure_without_jax_and_says_what_to_install(tmp_path, monkeypatch):
    import rafmodel.report as report
    from rafmodel.cli import main

    monkeypatch.setattr(report, "list_figures", lambda: {"network-kappa": FIGURES["network-kappa"].description})
    monkeypatch.setattr(FigureSpec, "missing", lambda self: list(self.requires))
    res = report.build_report(tmp_path, quick=True)
    (meta,) = res["figures"]
    assert "pip install 'rafmodel[nn]'" in meta["skipped"]
    page = (tmp_path / "index.html").read_text()
    assert "Not built here" in page and "rafmodel[nn]" in page and not (tmp_path / "network-kappa.png").exists()
    # one figure asked for by name: a one-line error, exit status 2
    assert main(["figure", "network-kappa", "--out", str(tmp_path / "f"), "--quick"]) == 2


def test_report_builds_the_figure_with_jax(tmp_path, monkeypatch):
    needs("jax", "optax")
    import rafmodel.report as report

    monkeypatch.setattr(report, "list_figures", lambda: {"network-kappa": FIGURES["network-kappa"].description})
    monkeypatch.setitem(FIGURES["network-kappa"].quick, "steps", 40)
    monkeypatch.setitem(FIGURES["network-kappa"].quick, "sim_kappa", [2.0])
    monkeypatch.setitem(FIGURES["network-kappa"].quick, "curve_kappa", 2.0)
    monkeypatch.setitem(FIGURES["network-kappa"].quick, "d", 20)
    res = report.build_report(tmp_path, quick=True)
    (meta,) = res["figures"]
    assert not meta.get("skipped")
    assert_drawn_png(tmp_path / "network-kappa.png")
    assert "Not built here" not in (tmp_path / "index.html").read_text()
