"""Sweep stores: files that are not ours are refused and left byte for byte; damaged, read-only and
killed stores; output paths checked before work and written whole or not at all."""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import signal
import sqlite3
import subprocess
import sys

import pandas as pd
import pytest

from rafmodel import ParameterError
from rafmodel.cli import main
from rafmodel.sweep import (StoreWarning, check_store, export_results, load_results, run_sweep,
                            simulate_into_store, sweep_status)
from rafmodel.sweep.store import APPLICATION_ID, FORMAT

from _extras import skip_without
from _files import write_toml

SPEC = {"kind": "theory", "learner": "linear", "loss": "square", "alpha": [1, 2, 3], "eps": 0.2, "lam": 0.1}
SIM_ARGS = ["simulate", "--learner", "linear", "--loss", "square", "--alpha", "1", "--eps", "0.2", "--lam", "0.1",
            "--d", "20", "--seeds", "1", "--n-test", "100", "--json"]


def _snapshot(folder):
    """Every file in ``folder`` with the SHA-256 of its bytes."""
    out = {}
    for name in sorted(os.listdir(folder)):
        p = os.path.join(folder, name)
        if os.path.isfile(p):
            with open(p, "rb") as fh:
                out[name] = hashlib.sha256(fh.read()).hexdigest()
    return out


@contextlib.contextmanager
def _read_only(path):
    """Make a file or folder read-only for whoever runs the test (root ignores modes: chattr +i too)."""
    mode = os.stat(path).st_mode
    os.chmod(path, mode & ~0o222)
    immutable = False
    try:
        if os.geteuid() == 0:
            if shutil.which("chattr") is None:
                pytest.skip("running as root without chattr: cannot make a file read-only")
            immutable = subprocess.run(["chattr", "+i", str(path)], capture_output=True).returncode == 0
            if not immutable:
                pytest.skip("running as root and chattr +i is refused here: cannot make a file read-only")
        yield
    finally:
        if immutable:
            subprocess.run(["chattr", "-i", str(path)], check=True)
        os.chmod(path, mode)


# --- files that are not sweep stores -------------------------------------------------------------------------

def _foreign_app(p):
    with contextlib.closing(sqlite3.connect(p)) as c:
        c.execute("PRAGMA application_id = 42")
        c.execute("CREATE TABLE notes (t TEXT)")
        c.execute("INSERT INTO notes VALUES ('precious')")
        c.commit()


def _foreign_meta(p):  # another program's database with a table named meta, even a schema row
    with contextlib.closing(sqlite3.connect(p)) as c:
        c.execute("CREATE TABLE meta (name TEXT PRIMARY KEY, value TEXT NOT NULL)")
        c.execute("INSERT INTO meta VALUES ('schema', '1')")
        c.commit()


def _lookalike(p):  # our tables exactly, but a trigger and no marks
    with contextlib.closing(sqlite3.connect(p)) as c:
        c.executescript("""
            CREATE TABLE meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
            CREATE TABLE points (key TEXT PRIMARY KEY, idx INTEGER NOT NULL, record TEXT NOT NULL, status TEXT NOT NULL,
                error TEXT, results TEXT NOT NULL, version TEXT NOT NULL, seconds REAL NOT NULL, finished REAL NOT NULL);
            CREATE TABLE runs (id INTEGER PRIMARY KEY, started REAL NOT NULL, ended REAL NOT NULL,
                workers INTEGER NOT NULL, backend TEXT NOT NULL, points INTEGER NOT NULL);
            CREATE TRIGGER t AFTER INSERT ON points BEGIN DELETE FROM points; END;
            INSERT INTO meta VALUES ('schema', '1'), ('kind', 'theory'), ('spec_hash', 'x');""")


def _empty(p):
    open(p, "wb").close()


def _text(p):
    with open(p, "w") as fh:
        fh.write("id,value\n1,2\n")


FOREIGN = {"other application_id": _foreign_app, "table named meta": _foreign_meta, "look-alike with a trigger":
           _lookalike, "empty file": _empty, "not SQLite": _text}


@pytest.mark.parametrize("make", FOREIGN.values(), ids=FOREIGN.keys())
def test_a_file_that_is_not_a_store_is_refused_and_left_byte_for_byte(tmp_path, make, capsys):
    store = tmp_path / "s.sqlite"
    make(store)
    spec = write_toml(tmp_path / "spec.toml", SPEC)
    before = _snapshot(tmp_path)
    for argv in (["sweep", "run", str(spec), "--store", str(store)],
                 ["sweep", "status", "--store", str(store)],
                 ["sweep", "export", "--store", str(store)],
                 ["sweep", "export", "--store", str(store), "--out", str(tmp_path / "e.csv")],
                 SIM_ARGS + ["--out", str(store)]):
        assert main(argv) == 2, argv
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and "Traceback" not in err and "s.sqlite" in err, err
    for call in (lambda: run_sweep(SPEC, store, progress=False), lambda: sweep_status(store),
                 lambda: load_results(store), lambda: export_results(store),
                 lambda: check_store(store, write=False), lambda: check_store(store, write=True)):
        with pytest.raises(ParameterError, match="s.sqlite"):
            call()
    assert _snapshot(tmp_path) == before  # the same bytes, and no journal or other file beside


@pytest.mark.parametrize("make", FOREIGN.values(), ids=FOREIGN.keys())
def test_simulate_out_refuses_a_foreign_store_beside_the_csv(tmp_path, make, capsys):
    make(tmp_path / "x.csv.sqlite")
    before = _snapshot(tmp_path)
    assert main(SIM_ARGS + ["--out", str(tmp_path / "x.csv")]) == 2
    err = capsys.readouterr().err
    assert "out: " in err and "x.csv.sqlite" in err and err.count("\n") == 1
    with pytest.raises(ParameterError, match="x.csv.sqlite"):
        simulate_into_store([], tmp_path / "x.csv.sqlite", d=20, seeds=1, n_test=100)
    assert _snapshot(tmp_path) == before


def test_a_new_store_carries_its_marks_and_ordinary_permissions(tmp_path):
    store = tmp_path / "s.sqlite"
    run_sweep(SPEC, store, progress=False)
    head = store.read_bytes()[:100]
    assert int.from_bytes(head[68:72], "big") == APPLICATION_ID
    with contextlib.closing(sqlite3.connect(store)) as c:
        assert dict(c.execute("SELECT name, value FROM meta"))["format"] == FORMAT
    umask = os.umask(0)
    os.umask(umask)
    assert os.stat(store).st_mode & 0o777 == 0o666 & ~umask
    assert sorted(os.listdir(tmp_path)) == ["s.sqlite"]  # no temporary file left


def test_a_store_of_the_previous_release_is_read_and_marked_when_written(tmp_path):
    store = tmp_path / "old.sqlite"
    run_sweep(SPEC, store, progress=False)
    with contextlib.closing(sqlite3.connect(store)) as c:  # as rafmodel 0.3 wrote it: no marks
        c.execute("PRAGMA application_id = 0")
        c.execute("DELETE FROM meta WHERE name = 'format'")
        c.commit()
    assert len(load_results(store)) == 3 and sweep_status(store).done == 3
    run_sweep({**SPEC}, store, progress=False)
    assert int.from_bytes(store.read_bytes()[68:72], "big") == APPLICATION_ID


def test_jobs_0_is_refused_before_the_store_is_created(tmp_path, capsys):
    spec = write_toml(tmp_path / "spec.toml", SPEC)
    assert main(["sweep", "run", str(spec), "--store", str(tmp_path / "s.sqlite"), "--jobs", "0"]) == 2
    with pytest.raises(ParameterError, match="jobs"):
        run_sweep(SPEC, tmp_path / "t.sqlite", n_jobs=0)
    assert sorted(os.listdir(tmp_path)) == ["spec.toml"]


# --- damaged, read-only and killed stores ----------------------------------------------------------------------

@pytest.mark.parametrize("column", ["results", "record"])
def test_a_damaged_point_is_reported_in_one_line_and_computed_again_by_the_next_run(tmp_path, column, capsys):
    store = tmp_path / "s.sqlite"
    good = run_sweep(SPEC, store, progress=False)
    with contextlib.closing(sqlite3.connect(store)) as c:
        c.execute(f"UPDATE points SET {column} = '{{not json' WHERE idx = 1")
        c.commit()
    before = _snapshot(tmp_path)
    with pytest.raises(ParameterError, match=r"point 1 \(alpha=2.0, eps=0.2, lam=0.1\) is damaged"):
        load_results(store)
    assert main(["sweep", "export", "--store", str(store)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "point 1" in err and "Traceback" not in err
    assert sweep_status(store).damaged == 1
    assert _snapshot(tmp_path) == before  # export and status only read
    with pytest.warns(StoreWarning, match="point 1"):
        again = run_sweep(SPEC, store, progress=False)
    pd.testing.assert_frame_equal(again.drop(columns=["seconds"]), good.drop(columns=["seconds"]))
    assert sweep_status(store).damaged == 0
    with contextlib.closing(sqlite3.connect(store)) as c:
        assert c.execute("SELECT points FROM runs ORDER BY id").fetchall()[-1] == (1,)  # only the damaged one


def test_cli_run_names_the_damaged_point_it_computes_again(tmp_path, capsys):
    store = tmp_path / "s.sqlite"
    run_sweep(SPEC, store, progress=False)
    with contextlib.closing(sqlite3.connect(store)) as c:
        c.execute("UPDATE points SET results = 'NaN, not an object' WHERE idx = 2")
        c.commit()
    spec = write_toml(tmp_path / "spec.toml", SPEC)
    assert main(["sweep", "run", str(spec), "--store", str(store)]) == 0
    assert "raf sweep: warning: " in capsys.readouterr().err
    assert len(load_results(store)) == 3


@pytest.mark.parametrize("what", ["file", "folder"])
def test_a_read_only_store_is_refused_for_run_and_read_for_status_and_export(tmp_path, what, capsys):
    folder = tmp_path / "f"
    folder.mkdir()
    store = folder / "s.sqlite"
    run_sweep(SPEC, store, progress=False)
    spec = write_toml(tmp_path / "spec.toml", {**SPEC, "alpha": [1, 2, 3, 4]})
    before = _snapshot(folder)
    with _read_only(store if what == "file" else folder):
        assert main(["sweep", "run", str(spec), "--store", str(store)]) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and "read-only" in err and "Traceback" not in err
        with pytest.raises(ParameterError, match="read-only"):
            run_sweep(spec, store, progress=False)
        assert main(["sweep", "status", "--store", str(store)]) == 0
        assert main(["sweep", "export", "--store", str(store)]) == 0
        assert len(load_results(store)) == 3
    assert _snapshot(folder) == before


def _kill_mid_transaction(store):
    """A writer killed inside a transaction: a hot journal beside the store (a fresh interpreter:
    forking this one, which may hold JAX's or BLAS's threads, could deadlock)."""
    code = ("import os, signal, sqlite3, sys\n"
            "c = sqlite3.connect(sys.argv[1], isolation_level=None)\n"
            "c.execute('PRAGMA cache_size = 1')\n"
            "c.execute('BEGIN IMMEDIATE')\n"
            "for _ in range(3000):\n"
            "    c.execute('INSERT INTO runs (started, ended, workers, backend, points) VALUES (0, 0, 1, ?, 0)',"
            " ('x' * 300,))\n"
            "os.kill(os.getpid(), signal.SIGKILL)\n")
    out = subprocess.run([sys.executable, "-c", code, store], capture_output=True, timeout=120)
    assert out.returncode == -signal.SIGKILL, out.stderr


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL to kill a writer mid-transaction")
def test_a_store_whose_writer_was_killed_reads_read_only_and_resumes(tmp_path, capsys):
    store = tmp_path / "s.sqlite"
    run_sweep(SPEC, store, progress=False)
    _kill_mid_transaction(str(store))
    assert os.path.exists(str(store) + "-journal")
    before = _snapshot(tmp_path)
    assert sweep_status(store).done == 3 and len(load_results(store)) == 3
    assert main(["sweep", "export", "--store", str(store)]) == 0
    assert _snapshot(tmp_path) == before  # read as it was before the killed transaction, untouched
    run_sweep(SPEC, store, progress=False)  # a writer rolls the journal back
    assert not os.path.exists(str(store) + "-journal")
    assert len(sweep_status(store).__dict__) and sweep_status(store).done == 3


# --- output paths -----------------------------------------------------------------------------------------------

FORMATS = ["csv", pytest.param("parquet", marks=skip_without("pyarrow"))]


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("where", ["missing folder", "a directory", "proc", "read-only folder", "the store",
                                   "a link to the store"])
def test_export_out_that_cannot_be_written_is_refused_before_work(tmp_path, fmt, where, capsys):
    store = tmp_path / "s.sqlite"
    run_sweep(SPEC, store, progress=False)
    ro = tmp_path / "ro"
    ro.mkdir()
    (tmp_path / "adir").mkdir()
    out = {"missing folder": tmp_path / "nodir" / f"x.{fmt}", "a directory": tmp_path / "adir",
           "proc": f"/proc/x.{fmt}", "read-only folder": ro / f"x.{fmt}", "the store": store,
           "a link to the store": tmp_path / f"link.{fmt}"}[where]
    if where == "proc" and not os.path.isdir("/proc"):
        pytest.skip("no /proc here")
    if where == "a link to the store":
        os.symlink(store, out)
    before = _snapshot(tmp_path)
    with _read_only(ro) if where == "read-only folder" else contextlib.nullcontext():
        assert main(["sweep", "export", "--store", str(store), "--out", str(out), "--format", fmt]) == 2
        err = capsys.readouterr().err
        assert err.startswith("raf sweep: error: out: ") and err.count("\n") == 1, err
        with pytest.raises(ParameterError) as e:
            export_results(store, out, fmt)
        assert e.value.param == "out"
    assert _snapshot(tmp_path) == before
    assert os.listdir(ro) == []


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_failed_export_leaves_the_previous_file_whole(tmp_path, fmt, monkeypatch):
    store = tmp_path / "s.sqlite"
    run_sweep(SPEC, store, progress=False)
    out = tmp_path / f"x.{fmt}"
    export_results(store, out)
    before = _snapshot(tmp_path)

    def half(self, path, *a, **k):
        with open(path, "w") as fh:
            fh.write("model,lo")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(pd.DataFrame, "to_parquet", half)
    import builtins

    real_open = builtins.open

    def full_disk(path, mode="r", *a, **k):
        fh = real_open(path, mode, *a, **k)
        if "w" in mode and os.path.basename(str(path)).startswith(".x.csv"):
            fh.write("model,lo")
            fh.close()
            raise OSError(28, "No space left on device")
        return fh

    monkeypatch.setattr(builtins, "open", full_disk)
    with pytest.raises(ParameterError, match="No space left"):
        export_results(store, out)
    monkeypatch.undo()
    assert _snapshot(tmp_path) == before  # the old export whole, no temporary file left


# --- Ctrl-C and malformed specs -------------------------------------------------------------------------------

@pytest.mark.parametrize("text, match", [
    ("kind = \"theory\"\nalpha = " + "[" * 20000 + "]" * 20000 + "\n", "nested too deeply"),
    ("kind = \"theory\"\nalpha = " + "{a=" * 3000 + "1" + "}" * 3000 + "\n", "nested too deeply"),
    ("kind = \"theory\"\nlearner = \"linear\"\nloss = \"square\"\neps = 0.1\nlam = 0.1\nalpha = [[1, 2], 3]\n",
     "a list inside a list"),
    ("kind = \"theory\"\n" + "x" * 100_000 + " = 1\n", "x" * 40 + "...: not an option"),
])
def test_a_malformed_spec_is_one_line_exit_2(tmp_path, capsys, text, match):
    spec = tmp_path / "s.toml"
    spec.write_text(text)
    assert main(["sweep", "run", str(spec), "--store", str(tmp_path / "s.sqlite")]) == 2
    err = capsys.readouterr().err
    assert match in err and err.count("\n") == 1 and len(err) < 400
    assert not (tmp_path / "s.sqlite").exists()


@pytest.mark.parametrize("where", ["missing folder", "read-only folder", "csv is a link to its store"])
def test_simulate_out_that_cannot_be_written_is_refused_before_work(tmp_path, where, capsys):
    ro = tmp_path / "ro"
    ro.mkdir()
    out = {"missing folder": tmp_path / "nodir" / "x.csv", "read-only folder": ro / "x.csv",
           "csv is a link to its store": tmp_path / "x.csv"}[where]
    if where == "csv is a link to its store":
        assert main(SIM_ARGS + ["--out", str(tmp_path / "x.csv.sqlite")]) == 0
        os.symlink(tmp_path / "x.csv.sqlite", out)
        capsys.readouterr()
    before = _snapshot(tmp_path)
    with _read_only(ro) if where == "read-only folder" else contextlib.nullcontext():
        assert main(SIM_ARGS + ["--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("raf simulate: error: out: ") and err.count("\n") == 1, err
    assert _snapshot(tmp_path) == before and os.listdir(ro) == []
