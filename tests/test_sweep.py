"""Sweeps: specs, the SQLite store, resuming, failures, the raf sweep commands and raf simulate --out."""

from __future__ import annotations

import io
import json
import sqlite3

import numpy as np
import pandas as pd
import pytest

import rafmodel
from rafmodel import ParameterError
from rafmodel.cli import main
from rafmodel.sweep import export_results, load_results, load_spec, run_sweep, sweep_status
from rafmodel.sweep.spec import point_key

from _extras import needs
from _files import write_toml, without_timings

THEORY = {"kind": "theory", "learner": "linear", "loss": "hinge", "alpha": "0.5:4:6:log", "eps": [0.1, 0.3],
          "lam": [0, 0.1]}
SIM = {"kind": "simulate", "learner": "linear", "loss": "square", "alpha": [1, 2, 3], "eps": 0.2, "lam": 0.1,
       "d": 40, "seeds": 2, "n_test": 300}


# --- specs ---------------------------------------------------------------------------------------------------

def test_spec_values_as_numbers_lists_and_ranges_give_the_same_points():
    a = load_spec({**THEORY, "eps": "0.1,0.3"})
    b = load_spec(THEORY)
    assert len(a.points) == 24 and a.spec_hash == b.spec_hash
    assert [p.key for p in a.points] == [p.key for p in b.points]


def test_spec_file_with_activation_and_kernel_names(tmp_path):
    spec = load_spec(write_toml(tmp_path / "s.toml", {"kind": "theory", "learner": "rf", "activation": ["relu", "tanh"],
                                                       "kappa": 2, "loss": "square", "alpha": 1, "eps": 0.2,
                                                       "lam": 0.1}))
    assert [p.record["activation"] for p in spec.points] == ["relu", "tanh"]
    k = load_spec({"kind": "theory", "learner": "kernel", "kernel": "rbf", "bandwidth": [0.5, 1], "loss": "square",
                   "alpha": 1, "eps": 0.2, "lam": 0.1})
    assert [p.record["bandwidth"] for p in k.points] == [0.5, 1.0]
    assert k.points[0].key != k.points[1].key


def test_point_keys_are_exact_not_float_text():
    a = point_key("theory", {"alpha": 0.1 + 0.2})
    b = point_key("theory", {"alpha": 0.3})
    assert a != b  # 0.30000000000000004 and 0.3 are two points
    assert (0.1 + 0.2).hex() in a


@pytest.mark.parametrize("table, match", [
    ({**THEORY, "kind": "both"}, "kind: must be"),
    ({**THEORY, "d": 40}, "d: not an option of a theory sweep"),
    ({k: v for k, v in THEORY.items() if k != "lam"}, "lam: required"),
    ({**THEORY, "eps": 1.5}, "eps:"),
    ({**THEORY, "alpha": "1:2"}, "alpha: bad range"),
    ({**THEORY, "learner": "tree"}, "learner: unknown learner"),
    ({**THEORY, "max_iter": 0}, "max_iter"),
    ({**SIM, "seeds": 1.5}, "seeds: must be an integer"),
    ({**SIM, "d": 0}, "d:"),
    ({**THEORY, "alpha": [1, 1]}, "given twice"),
])
def test_bad_specs_are_refused_with_one_line(table, match):
    with pytest.raises(ParameterError, match=match) as e:
        load_spec(table)
    assert "\n" not in str(e.value)


def test_spec_file_errors_name_the_file(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("kind = \n")
    with pytest.raises(ParameterError, match="bad.toml.*not valid TOML"):
        load_spec(bad)
    with pytest.raises(ParameterError, match="cannot read"):
        load_spec(tmp_path / "missing.toml")
    with pytest.raises(ParameterError, match=r"spec: .*s.toml: eps:"):
        load_spec(write_toml(tmp_path / "s.toml", {**THEORY, "eps": 2}))


# --- store and resume ----------------------------------------------------------------------------------------

def test_theory_sweep_equals_solve_many_and_resumes_without_recomputing(tmp_path):
    store = tmp_path / "t.sqlite"
    df = run_sweep(THEORY, store, progress=False)
    spec = load_spec(THEORY)
    ref = rafmodel.solve_many([p.setting for p in spec.points]).to_records()
    assert len(df) == 24 and (df["status"] == "done").all()
    assert df["version"].eq(rafmodel.__version__).all() and (df["seconds"] >= 0).all()
    got = df.set_index(["alpha", "eps", "lam"])
    for r in ref:
        assert got.loc[(r["alpha"], r["eps"], r["lam"]), "gen_error"] == r["gen_error"]  # bit for bit
    again = run_sweep(THEORY, store, n_jobs=2, progress=False)
    pd.testing.assert_frame_equal(df, again)  # nothing recomputed (the seconds too are read back)
    with sqlite3.connect(store) as c:
        assert c.execute("SELECT COUNT(*), COUNT(DISTINCT key) FROM points").fetchone() == (24, 24)


def test_the_numbers_do_not_depend_on_jobs_or_on_resuming_part_way(tmp_path, monkeypatch):
    full = run_sweep(SIM, tmp_path / "a.sqlite", progress=False)
    part = run_sweep({**SIM, "alpha": [2]}, tmp_path / "b.sqlite", progress=False)
    assert part["gen_error"].iloc[0] == full.loc[full["alpha"] == 2, "gen_error"].iloc[0]
    jobs = run_sweep(SIM, tmp_path / "c.sqlite", n_jobs=2, progress=False)
    pd.testing.assert_frame_equal(without_timings(full), without_timings(jobs))
    # a sweep stopped after its first point resumes to the same table
    import rafmodel.sweep as sw

    calls = []
    real = sw._run

    def stop_after_one(*a, **k):
        def on_rows(rows):
            calls.append(rows)
            raise KeyboardInterrupt
        return real(*a, **{**k, "on_rows": on_rows})

    monkeypatch.setattr(sw, "_run", stop_after_one)
    with pytest.raises(KeyboardInterrupt):
        run_sweep(SIM, tmp_path / "d.sqlite", progress=False)
    monkeypatch.setattr(sw, "_run", real)
    assert sweep_status(tmp_path / "d.sqlite").pending == 2
    again = run_sweep(SIM, tmp_path / "d.sqlite", progress=False)
    pd.testing.assert_frame_equal(without_timings(full), without_timings(again))


def test_a_store_of_another_spec_is_refused(tmp_path):
    store = tmp_path / "t.sqlite"
    run_sweep(THEORY, store, progress=False)
    with pytest.raises(ParameterError, match="holds the points of another sweep"):
        run_sweep({**THEORY, "lam": [0, 0.2]}, store, progress=False)
    with pytest.raises(ParameterError, match="holds the points of another sweep"):
        run_sweep(SIM, store, progress=False)
    assert len(load_results(store)) == 24  # untouched


@pytest.mark.parametrize("content", [b"hello, not a database", None])
def test_a_truncated_or_foreign_file_is_refused_with_one_line(tmp_path, content):
    store = tmp_path / "t.sqlite"
    run_sweep(THEORY, store, progress=False)
    bad = tmp_path / "bad.sqlite"
    data = store.read_bytes()
    bad.write_bytes(content if content is not None else data[: len(data) // 2 + 100])
    with pytest.raises(ParameterError, match="bad.sqlite") as e:
        run_sweep(THEORY, bad, progress=False)
    assert "\n" not in str(e.value)
    assert main(["sweep", "status", "--store", str(bad)]) == 2


def test_a_failing_point_is_recorded_and_does_not_stop_the_sweep(tmp_path, monkeypatch, capsys):
    import rafmodel.simulation as simulation

    real = simulation.simulate

    def flaky(setting, **kw):
        if setting.alpha == 2.0:
            raise RuntimeError("boom at alpha 2")
        return real(setting, **kw)

    monkeypatch.setattr(simulation, "simulate", flaky)
    store = tmp_path / "s.sqlite"
    df = run_sweep(SIM, store, progress=False)
    assert list(df["status"]) == ["done", "failed", "done"]
    bad = df[df["status"] == "failed"].iloc[0]
    assert bad["error"] == "RuntimeError: boom at alpha 2" and np.isnan(bad["gen_error"])
    # read back only: still exit 1, and the failed point is not recomputed without --retry-failed
    spec = write_toml(tmp_path / "s.toml", SIM)
    assert main(["sweep", "run", str(spec), "--store", str(store)]) == 1
    assert "1 points failed" in capsys.readouterr().err
    assert main(["sweep", "export", "--store", str(store)]) == 1
    monkeypatch.setattr(simulation, "simulate", real)
    assert main(["sweep", "run", str(spec), "--store", str(store), "--retry-failed"]) == 0
    assert (load_results(store)["status"] == "done").all()


def test_a_theory_batch_with_a_raising_point_keeps_its_batch_mates(tmp_path, monkeypatch):
    import rafmodel.theory as theory

    real = theory.solve_many

    def flaky(settings, **kw):
        if any(s.alpha > 3.9 for s in settings):
            raise RuntimeError("solver blew up")
        return real(settings, **kw)

    monkeypatch.setattr(theory, "solve_many", flaky)
    df = run_sweep(THEORY, tmp_path / "t.sqlite", progress=False)
    assert (df["status"] == "failed").sum() == 4 and (df.loc[df["alpha"] > 3.9, "status"] == "failed").all()
    # the batch mates have exactly the numbers of a sweep in which nothing failed
    monkeypatch.setattr(theory, "solve_many", real)
    whole = run_sweep(THEORY, tmp_path / "whole.sqlite", progress=False)
    done = df["status"] == "done"
    assert done.sum() == len(df) - 4 and (whole["status"] == "done").all()
    np.testing.assert_array_equal(df.loc[done, "gen_error"].to_numpy(), whole.loc[done, "gen_error"].to_numpy())


def test_not_converged_points_are_flagged_with_nan_values(tmp_path, capsys):
    spec = write_toml(tmp_path / "s.toml", {**THEORY, "max_iter": 2})
    store = tmp_path / "t.sqlite"
    assert main(["sweep", "run", str(spec), "--store", str(store)]) == 1
    df = load_results(store)
    nc = df[df["status"] == "not converged"]
    assert len(nc) > 0 and nc["gen_error"].isna().all()
    assert "did not converge" in capsys.readouterr().err


# --- CLI -----------------------------------------------------------------------------------------------------

def test_cli_run_status_export(tmp_path, capsys):
    spec = write_toml(tmp_path / "s.toml", THEORY)
    store = tmp_path / "t.sqlite"
    assert main(["sweep", "run", str(spec), "--store", str(store), "--no-progress"]) == 0
    assert "24 points" in capsys.readouterr().err
    assert main(["sweep", "status", "--store", str(store)]) == 0
    out = capsys.readouterr().out
    assert "24 done, 0 failed, 0 not converged, 0 pending" in out and "wall" in out
    assert main(["sweep", "export", "--store", str(store)]) == 0
    df = pd.read_csv(io.StringIO(capsys.readouterr().out))
    assert list(df.columns[:5]) == ["model", "loss", "alpha", "eps", "lam"]
    assert df[["alpha", "eps", "lam"]].equals(df[["alpha", "eps", "lam"]].sort_values(["alpha", "eps", "lam"]))
    ref = load_results(store)
    assert np.array_equal(df["gen_error"].to_numpy(), ref["gen_error"].to_numpy())  # CSV floats round-trip
    assert main(["sweep", "export", "--store", str(store), "--out", str(tmp_path / "t.csv")]) == 0
    assert pd.read_csv(tmp_path / "t.csv").shape == df.shape


def test_cli_export_parquet(tmp_path):
    needs("pyarrow")
    store = tmp_path / "t.sqlite"
    run_sweep(THEORY, store, progress=False)
    assert main(["sweep", "export", "--store", str(store), "--out", str(tmp_path / "t.parquet")]) == 0
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "t.parquet"), load_results(store))
    with pytest.raises(ParameterError, match="parquet needs a file"):
        export_results(store, None, "parquet")


@pytest.mark.parametrize("argv, match", [
    (["sweep", "status", "--store", "/nonexistent/x.sqlite"], "does not exist"),
    (["sweep", "run", "/nonexistent.toml", "--store", "x.sqlite"], "cannot read"),
    (["sweep", "run", "s.toml", "--store", "x.sqlite", "--jobs", "0"], "jobs"),
])
def test_cli_bad_input_exits_2(tmp_path, monkeypatch, capsys, argv, match):
    monkeypatch.chdir(tmp_path)
    write_toml(tmp_path / "s.toml", THEORY)
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert match in err and "Traceback" not in err


def test_cli_scheduler_without_dask_says_how_to_install(tmp_path, monkeypatch, capsys):
    import builtins

    real = builtins.__import__

    def no_dask(name, *a, **k):
        if name.split(".")[0] in ("distributed", "dask"):
            raise ImportError(name)
        return real(name, *a, **k)

    monkeypatch.setattr(builtins, "__import__", no_dask)
    spec = write_toml(tmp_path / "s.toml", THEORY)
    assert main(["sweep", "run", str(spec), "--store", str(tmp_path / "t.sqlite"), "--scheduler",
                 "tcp://127.0.0.1:1"]) == 2
    assert "rafmodel[dask]" in capsys.readouterr().err


# --- raf simulate --out on the store ------------------------------------------------------------------------

BASE = ["simulate", "--learner", "linear", "--loss", "square", "--eps", "0.2", "--lam", "0.1", "--d", "40",
        "--seeds", "2", "--n-test", "300", "--json"]


def test_simulate_out_ignores_a_truncated_csv_and_reads_exact_values_back(tmp_path, capsys):
    out = tmp_path / "s.csv"
    assert main(BASE + ["--alpha", "1,2", "--out", str(out)]) == 0
    first = json.loads(capsys.readouterr().out)
    out.write_text(out.read_text()[:-20])  # a truncated last line is never read back as a point
    assert main(BASE + ["--alpha", "1,2", "--out", str(out)]) == 0
    cap = capsys.readouterr()
    again = json.loads(cap.out)
    assert "0 points computed, 2 read back" in cap.err
    assert [r["gen_error"] for r in again] == [r["gen_error"] for r in first]
    assert pd.read_csv(out)["gen_error"].tolist() == [r["gen_error"] for r in first]  # rewritten whole


def test_simulate_out_keeps_sweeps_of_different_parameters_apart(tmp_path, capsys):
    out = tmp_path / "s.csv"
    assert main(BASE + ["--alpha", "1", "--out", str(out)]) == 0
    capsys.readouterr()
    rf = ["simulate", "--learner", "rf", "--activation", "relu", "--kappa", "2", "--loss", "square", "--eps", "0.2",
          "--lam", "0.1", "--d", "40", "--seeds", "2", "--n-test", "300", "--json", "--alpha", "1", "--out", str(out)]
    assert main(rf) == 0
    rows = json.loads(capsys.readouterr().out)
    rows = rows if isinstance(rows, list) else [rows]
    assert [r["model"] for r in rows] == ["rf"] and rows[0]["activation"] == "relu"
    csv = pd.read_csv(out)
    assert list(csv["model"]) == ["rf"] and "kappa" in csv.columns  # this command's points, all their columns
    assert len(load_results(str(out) + ".sqlite")) == 2  # both kept in the store, under distinct keys


def test_simulate_out_failed_point_read_back_exits_1(tmp_path, monkeypatch, capsys):
    import rafmodel.simulation as simulation

    real = simulation.simulate
    monkeypatch.setattr(simulation, "simulate", lambda s, **kw: (_ for _ in ()).throw(RuntimeError("nope")))
    out = tmp_path / "s.sqlite"
    assert main(BASE + ["--alpha", "1", "--out", str(out)]) == 1
    monkeypatch.setattr(simulation, "simulate", real)
    capsys.readouterr()
    assert main(BASE + ["--alpha", "1", "--out", str(out)]) == 1  # read back, still a failure
    assert "failed: RuntimeError: nope" in capsys.readouterr().err


def test_simulate_out_and_sweep_stores_are_not_mixed(tmp_path):
    store = tmp_path / "s.sqlite"
    run_sweep(SIM, store, progress=False)
    assert main(BASE + ["--alpha", "1", "--out", str(store)]) == 2
