"""The figure registry, files and cache, the report, and the page in a real headless browser."""

import json
import os

import pandas as pd
import pytest

import rafmodel as rm
from rafmodel.cli import main
from rafmodel.figures import FIGURES, ORDER, list_figures, make_figure, write_figure
from rafmodel.report import build_report

from _browser import console_errors, headless_chrome
from _files import assert_drawn_png, assert_pdf

REQUIRED = {"gen_error", "source"}


def test_every_figure_of_the_paper_is_registered_in_order():
    assert list(list_figures()) == [n for n in ORDER if n in FIGURES] + [n for n in FIGURES if n not in ORDER]
    for name, desc in list_figures().items():
        assert desc and "\n" not in desc, name


@pytest.mark.parametrize("name", list(FIGURES))
def test_each_figure_writes_its_files_and_table(name, tmp_path):
    meta = write_figure(name, tmp_path, quick=True, sim=False)
    assert not meta["cached"]
    assert_drawn_png(tmp_path / f"{name}.png", min_pixels=400 * 300)
    assert_pdf(tmp_path / f"{name}.pdf")
    table = pd.read_csv(tmp_path / f"{name}.csv")
    assert len(table) > 0
    assert "source" in table.columns and set(table["source"]) <= {"theory", "simulation", "bayes"}
    assert meta["caption"] and meta["command"].startswith(f"raf figure {name} ")
    assert json.loads((tmp_path / f"{name}.json").read_text())["key"] == meta["key"]


def test_the_linear_alpha_table_holds_what_the_theory_returns(tmp_path):
    # recomputed point by point with solve, independently of the figure code
    res = make_figure("linear-alpha", quick=True, sim=False)
    t = res.table
    rows = t[(t["source"] == "theory") & (t["curve"].isin(["lam = 0", "lam = 0.01"])) & t["converged"].astype(bool)]
    assert len(rows) > 10
    for _, r in rows.iloc[::3].iterrows():
        th = rm.solve(rm.Setting(alpha=r["alpha"], eps=r["eps"], lam=r["lam"], loss=r["loss"]))
        assert th.gen_error == pytest.approx(r["gen_error"], abs=1e-9)
        assert th.mem_error == pytest.approx(r["mem_error"], abs=1e-9)
    bayes = t[t["source"] == "bayes"]
    assert (bayes["gen_error"] <= t[t["source"] == "theory"].groupby("alpha")["gen_error"].min().reindex(
        bayes["alpha"]).to_numpy() + 1e-9).all()


def test_the_capacity_table_holds_alpha_c(tmp_path):
    t = make_figure("capacity", quick=True, sim=False).table
    lin = t[t["curve"] == "linear"]
    for _, r in lin.iterrows():
        assert r["alpha_c"] == pytest.approx(float(rm.alpha_c(r["eps"])), rel=1e-12)
    assert lin["alpha_c"].iloc[-1] == pytest.approx(2.0, abs=1e-6)  # Gardner at eps = 1


def test_an_unchanged_figure_is_read_back_and_a_changed_one_recomputed(tmp_path):
    a = write_figure("capacity", tmp_path, quick=True, sim=False)
    mtime = os.path.getmtime(tmp_path / "capacity.png")
    b = write_figure("capacity", tmp_path, quick=True, sim=False)
    assert b["cached"] and b["key"] == a["key"] and os.path.getmtime(tmp_path / "capacity.png") == mtime
    c = write_figure("capacity", tmp_path, quick=True, sim=False, kappa=[2.0])
    assert not c["cached"] and c["key"] != a["key"]
    (tmp_path / "capacity.csv").unlink()  # an incomplete figure is recomputed
    assert not write_figure("capacity", tmp_path, quick=True, sim=False, kappa=[2.0])["cached"]


def test_the_cache_key_includes_the_package_version(monkeypatch):
    spec = FIGURES["capacity"]
    from rafmodel.figures._registry import Context

    ctx = Context(quick=True, sim=False)
    p = spec.resolve({}, ctx)
    k1 = spec.key(p, ctx)
    monkeypatch.setattr(rm, "__version__", "999.0")
    assert spec.key(p, ctx) != k1


def test_simulation_points_are_in_the_table_with_standard_errors():
    t = make_figure("linear-alpha", quick=True, sim=True).table
    sim = t[t["source"] == "simulation"]
    assert len(sim) > 0 and sim["gen_error_se"].notna().all() and (sim["d"] > 0).all()
    for _, r in sim.iterrows():  # each point beside the theory at its own setting, and its z from both
        th = rm.solve(rm.Setting(alpha=r["alpha"], eps=r["eps"], lam=r["lam"], loss=r["loss"]))
        assert r["gen_error_theory"] == pytest.approx(th.gen_error, rel=1e-9)
        if r["gen_error_se"] > 0:
            assert r["gen_error_z"] == pytest.approx((r["gen_error"] - th.gen_error) / r["gen_error_se"], rel=1e-6)
    assert "simulation" not in set(make_figure("linear-alpha", quick=True, sim=False).table["source"])


def test_figures_never_touch_pyplot_state():
    import matplotlib.pyplot as plt

    before = plt.get_fignums()
    res = make_figure("capacity", quick=True, sim=False)
    assert plt.get_fignums() == before
    assert type(res.figure).__module__ == "matplotlib.figure"


@pytest.mark.parametrize("argv,prefix", [
    (["figure", "nope", "--out", "x"], "figure: unknown figure"),
    (["figure", "capacity"], "out: required"),
    (["figure", "capacity", "--out", "/nonexistent-dir/sub"], "out: cannot create"),
    (["figure", "capacity", "--out", "/etc/hostname"], "out:"),
    (["figure", "linear-alpha", "--out", "x", "--eps", "1.5"], "eps:"),
    (["figure", "capacity", "--out", "x", "--lam", "0.1"], "lam: not a parameter of figure"),
    (["report", "--out", "/nonexistent-dir/sub"], "out: cannot create"),
])
def test_figure_bad_input_is_one_line_and_exit_2(argv, prefix, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"raf {argv[0]}: error: {prefix}"), err
    assert err.count("\n") == 1
    assert not (tmp_path / "x").exists()


def test_figure_list_and_one_figure_from_the_cli(capsys, tmp_path):
    assert main(["figure", "--list"]) == 0
    out = capsys.readouterr().out
    assert all(name in out for name in FIGURES)
    assert main(["figure", "capacity", "--out", str(tmp_path), "--quick", "--no-sim", "--kappa", "1,2"]) == 0
    assert "alpha_c(1) = 2" in capsys.readouterr().out
    assert json.loads((tmp_path / "capacity.json").read_text())["params"]["kappa"] == [1.0, 2.0]


@pytest.fixture(scope="module")
def quick_report(tmp_path_factory):
    out = tmp_path_factory.mktemp("report")
    return out, build_report(out, quick=True, sim=False)


def test_the_report_page_references_every_figure_and_nothing_remote(quick_report):
    out, res = quick_report
    page = (out / "index.html").read_text()
    for name in FIGURES:
        for ext in ("png", "pdf", "csv"):
            assert f'"{name}.{ext}"' in page and (out / f"{name}.{ext}").exists()
        meta = json.loads((out / f"{name}.json").read_text())
        assert meta["caption"].split(".")[0] in page.replace("&#x27;", "'")
    assert rm.__version__ in page
    assert "http://" not in page and "https://" not in page and "<script" not in page
    again = build_report(out, quick=True, sim=False)
    assert all(m["cached"] for m in again["figures"])


def test_the_report_opens_in_a_headless_browser_with_every_image_and_no_console_error(quick_report):
    out, _ = quick_report
    with headless_chrome() as driver:
        driver.get((out / "index.html").as_uri())
        images = driver.execute_script(
            "return Array.from(document.images).map(i => [i.getAttribute('src'), i.complete, i.naturalWidth]);")
        assert len(images) == len(FIGURES)
        for src, complete, width in images:
            assert complete and width > 0, f"{src} did not load"
        errors = console_errors(driver)
        assert not errors, errors
