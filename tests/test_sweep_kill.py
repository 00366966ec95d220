"""A sweep killed with SIGKILL mid-run leaves no workers behind and resumes to the uninterrupted table."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time

import pandas as pd
import pytest

from _procs import alive as _alive
from _procs import children as _children

from rafmodel.sweep import load_results, run_sweep

SPEC = """kind = "simulate"
learner = "linear"
loss = "hinge"
alpha = "0.5:3:12"
eps = [0.1, 0.3]
lam = 0.1
d = 120
seeds = 2
n_test = 2000
"""


def _done(store):
    try:
        with sqlite3.connect(f"file:{store}?mode=ro", uri=True, timeout=1) as c:
            return c.execute("SELECT COUNT(*) FROM points").fetchone()[0]
    except sqlite3.Error:
        return 0


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc to find the worker processes")
def test_sigkill_mid_sweep_then_resume_gives_the_uninterrupted_table(tmp_path):
    spec = tmp_path / "s.toml"
    spec.write_text(SPEC)
    store = tmp_path / "killed.sqlite"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
    cmd = [sys.executable, "-m", "rafmodel", "sweep", "run", str(spec), "--store", str(store), "--jobs", "2",
           "--no-progress"]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.time() + 60
    while _done(store) < 3 and time.time() < deadline and proc.poll() is None:
        time.sleep(0.05)
    workers = _children(proc.pid)
    proc.kill()  # SIGKILL: no cleanup in the parent
    proc.wait()
    assert proc.returncode == -signal.SIGKILL, proc.stderr.read().decode()
    n_killed = _done(store)
    assert 3 <= n_killed < 24, "the sweep must be killed part way; make it slower"
    assert workers, "the sweep should have run worker processes"
    deadline = time.time() + 10
    while any(_alive(w) for w in workers) and time.time() < deadline:
        time.sleep(0.05)
    assert not any(_alive(w) for w in workers), "orphan worker processes after SIGKILL"

    resumed = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120)
    assert resumed.returncode == 0, resumed.stderr
    got = load_results(store)
    ref = run_sweep(str(spec), tmp_path / "ref.sqlite", progress=False)
    assert len(got) == 24 and got["status"].eq("done").all()
    pd.testing.assert_frame_equal(got.drop(columns=["seconds"]), ref.drop(columns=["seconds"]))
    with sqlite3.connect(store) as c:
        assert c.execute("SELECT COUNT(DISTINCT key), COUNT(*) FROM points").fetchone() == (24, 24)
        runs = c.execute("SELECT points FROM runs ORDER BY id").fetchall()
    assert sum(r[0] for r in runs) == 24 and runs[-1][0] == 24 - n_killed  # nothing computed twice


@pytest.mark.skipif(not hasattr(os, "killpg"), reason="sends Ctrl-C to a process group, as a terminal does")
def test_ctrl_c_mid_sweep_exits_130_and_says_what_was_saved(tmp_path):
    spec = tmp_path / "s.toml"
    spec.write_text(SPEC)
    store = tmp_path / "int.sqlite"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
    cmd = [sys.executable, "-m", "rafmodel", "sweep", "run", str(spec), "--store", str(store), "--jobs", "2",
           "--no-progress"]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)
    deadline = time.time() + 60
    while _done(store) < 2 and time.time() < deadline and proc.poll() is None:
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGINT)  # Ctrl-C: the command and its workers
    err = proc.communicate(timeout=60)[1]
    assert proc.returncode == 130, err
    n = _done(store)
    assert 2 <= n < 24, "the sweep must be interrupted part way; make it slower"
    assert err.strip().splitlines()[-1] == (f"raf sweep: interrupted; {n} of 24 points are saved in {store}: "
                                           "run the same command to resume"), err
    assert "Traceback" not in err


@pytest.mark.skipif(not hasattr(os, "killpg"), reason="sends Ctrl-C to a process group, as a terminal does")
def test_ctrl_c_while_the_command_starts_exits_130_in_one_line(tmp_path):
    spec = tmp_path / "s.toml"
    spec.write_text(SPEC)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
    cmd = [sys.executable, "-X", "importtime", "-m", "rafmodel", "sweep", "run", str(spec), "--store",
           str(tmp_path / "s.sqlite"), "--no-progress"]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)
    for line in proc.stderr:  # -X importtime: one line per module imported, as it is
        if line.rstrip().endswith("rafmodel._interrupt"):
            break
    os.killpg(proc.pid, signal.SIGINT)  # while the package is still importing (or just after)
    err = [ln for ln in proc.communicate(timeout=60)[1].splitlines() if not ln.startswith("import time:")]
    assert proc.returncode == 130, err
    assert len(err) == 1 and err[0].startswith("raf"), err


def test_importing_rafmodel_leaves_ctrl_c_to_the_program():
    import rafmodel  # noqa: F401

    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
