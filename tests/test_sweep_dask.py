"""The Dask backend against a LocalCluster: the local numbers exactly, and a lost worker loses nothing."""

from __future__ import annotations

import os
import signal
import sqlite3
import threading
import time

import pandas as pd
import pytest

from _extras import needs
from _files import without_timings

needs("distributed")

from rafmodel.cli import main  # noqa: E402
from rafmodel.sweep import load_results, run_sweep  # noqa: E402

THEORY = {"kind": "theory", "learner": "rf", "activation": ["relu", "tanh"], "kappa": [0.5, 2], "loss": "hinge",
          "alpha": "0.2:5:20:log", "eps": [0.1, 0.3], "lam": [0, 0.1]}  # 320 points: 2 batches
SIM = {"kind": "simulate", "learner": "linear", "loss": "hinge", "alpha": "0.5:3:8", "eps": [0.1, 0.3], "lam": 0.1,
       "d": 80, "seeds": 2, "n_test": 1000}


@pytest.fixture(scope="module")
def cluster():
    from distributed import LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                      silence_logs=50) as c:
        yield c


def test_dask_gives_exactly_the_local_numbers(cluster, tmp_path):
    for spec in (THEORY, SIM):
        local = run_sweep(spec, tmp_path / f"l-{spec['kind']}.sqlite", n_jobs=1, progress=False)
        dask = run_sweep(spec, tmp_path / f"d-{spec['kind']}.sqlite", scheduler=cluster.scheduler_address,
                         progress=False)
        pd.testing.assert_frame_equal(without_timings(local), without_timings(dask))


def test_cli_scheduler_option(cluster, tmp_path, capsys, monkeypatch):
    import rafmodel.sweep.executors as executors

    monkeypatch.setattr(executors, "CONNECT_TIMEOUT", "1s")
    spec = tmp_path / "s.toml"
    spec.write_text('kind = "theory"\nlearner = "linear"\nloss = "square"\nalpha = [1, 2]\neps = 0.2\nlam = 0.1\n')
    store = tmp_path / "t.sqlite"
    assert main(["sweep", "run", str(spec), "--store", str(store), "--scheduler", cluster.scheduler_address]) == 0
    assert len(load_results(store)) == 2
    assert main(["sweep", "run", str(spec), "--store", str(tmp_path / "u.sqlite"), "--scheduler",
                 "tcp://127.0.0.1:9"]) == 2
    assert "scheduler: cannot connect" in capsys.readouterr().err


def test_a_worker_killed_mid_sweep_loses_and_duplicates_nothing(cluster, tmp_path):
    from distributed import Client

    store = tmp_path / "d.sqlite"
    killed = []

    def kill_one_worker():
        deadline, n = time.time() + 60, 0
        while time.time() < deadline:
            try:
                with sqlite3.connect(f"file:{store}?mode=ro", uri=True, timeout=1) as c:
                    n = c.execute("SELECT COUNT(*) FROM points").fetchone()[0]
                    if n >= 3:
                        break
            except sqlite3.Error:
                pass
            time.sleep(0.02)
        pid = next(iter(pids.values()))
        os.kill(pid, signal.SIGKILL)  # the machine is lost: no goodbye to the scheduler
        killed.append((pid, n))

    with Client(cluster.scheduler_address) as client:
        pids = client.run(os.getpid)
        t = threading.Thread(target=kill_one_worker, daemon=True)
        t.start()
        dask = run_sweep(SIM, store, scheduler=client, progress=False)
        t.join(timeout=70)
        assert killed and killed[0][0] not in client.run(os.getpid).values()
        assert killed[0][1] < 16, "the worker must be killed mid-sweep"
    local = run_sweep(SIM, tmp_path / "l.sqlite", progress=False)
    pd.testing.assert_frame_equal(without_timings(local), without_timings(dask))
    with sqlite3.connect(store) as c:
        assert c.execute("SELECT COUNT(*), COUNT(DISTINCT key) FROM points").fetchone() == (16, 16)
