"""Worker processes: as many as the cores allow, started from a script, ``python -c`` and an interactive
session with no guard, and ended with the command that started them.

Each case runs a real interpreter on a real script (the way a user runs the quickstart), so
the workers are spawned exactly as they would be for the user.  The scripts print a marker at
their top level: a worker that ran the script would print it again.
"""

import os
import subprocess
import sys
import textwrap

import pytest

from _procs import alive as _alive
from _procs import children as _children

from rafmodel._parallel import _refers_to_main
from rafmodel.exceptions import ParameterError

#: The quickstart's parallel calls, at a script's top level (no ``if __name__ == "__main__":``).
_UNGUARDED = """
import numpy as np
import rafmodel as rm
print("TOP-LEVEL RAN", flush=True)
s = rm.Setting(alpha=2.0, eps=0.2, lam=0.1, learner=rm.Kernel(mu1=0.5, mustar=0.5), loss="hinge")
a = rm.simulate(s, d=40, seeds=4, n_test=400, seed=0, n_jobs=2)
b = rm.simulate(s, d=40, seeds=4, n_test=400, seed=0, n_jobs=1)
assert (a.gen_error, a.mem_error) == (b.gen_error, b.mem_error), (a.gen_error, b.gen_error)
grid = rm.grid(learner=rm.Linear(), loss="square", alpha=list(np.linspace(0.5, 4, 300)), eps=0.2, lam=[0.1, 1.0])
many = rm.solve_many(grid, n_jobs=2)
assert np.array_equal(many.gen_error, rm.solve_many(grid).gen_error)
print("DONE", flush=True)
"""

#: A loss of the user's own, defined in the script, sent to workers.
_CUSTOM = """
import rafmodel as rm
print("TOP-LEVEL RAN", flush=True)

class MyHinge(rm.Hinge):
    name = "my-hinge"

def run():
    s = rm.Setting(alpha=2.0, eps=0.2, lam=0.1, learner=rm.Linear(), loss=MyHinge())
    print(rm.simulate(s, d=30, seeds=2, n_test=300, seed=0, n_jobs=2).gen_error)
    print("DONE", flush=True)

"""


def _run(args, cwd, timeout=240):
    return subprocess.run([sys.executable, *args], cwd=cwd, capture_output=True, text=True, timeout=timeout)


def test_an_unguarded_script_runs_in_parallel_and_the_workers_do_not_rerun_it(tmp_path):
    (tmp_path / "quickstart.py").write_text(_UNGUARDED)
    out = _run(["quickstart.py"], tmp_path)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.count("TOP-LEVEL RAN") == 1 and "DONE" in out.stdout


def test_python_dash_c_runs_in_parallel(tmp_path):
    out = _run(["-c", _UNGUARDED], tmp_path)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.count("TOP-LEVEL RAN") == 1 and "DONE" in out.stdout


def test_a_guarded_script_with_its_own_loss_runs_in_parallel(tmp_path):
    (tmp_path / "custom.py").write_text(_CUSTOM + 'if __name__ == "__main__":\n    run()\n')
    out = _run(["custom.py"], tmp_path)
    assert out.returncode == 0, out.stderr[-2000:]
    assert "DONE" in out.stdout


def test_an_unguarded_script_with_its_own_loss_gets_one_line_saying_what_to_do(tmp_path):
    (tmp_path / "custom.py").write_text(_CUSTOM + "run()\n")
    out = _run(["custom.py"], tmp_path)
    assert out.returncode != 0 and "DONE" not in out.stdout
    last = out.stderr.strip().splitlines()[-1]
    assert last.startswith("rafmodel.exceptions.ParameterError: n_jobs: ") and "MyHinge" in last
    assert 'if __name__ == "__main__":' in last and "n_jobs=1" in last
    assert "bootstrapping phase" not in out.stderr  # the pool's own error is not what the user reads


def test_an_interactive_session_with_its_own_loss_is_refused_before_any_worker_starts(tmp_path):
    out = _run(["-c", textwrap.dedent(_CUSTOM) + "run()\n"], tmp_path)
    assert out.returncode != 0
    last = out.stderr.strip().splitlines()[-1]
    assert last.startswith("rafmodel.exceptions.ParameterError: n_jobs: MyHinge is defined in this interactive")


def test_refers_to_main_finds_classes_and_functions_of_main_only():
    import rafmodel as rm

    assert _refers_to_main([rm.Setting(alpha=1.0, eps=0.1, lam=0.1), rm.Hinge()]) is None
    Local = type("Local", (rm.Hinge,), {"__module__": "__main__"})
    assert _refers_to_main([rm.Linear(), (1, {"x": Local()})]) == "Local"

    def f():
        pass

    f.__module__ = "__main__"
    f.__qualname__ = "f"
    assert _refers_to_main({"callback": f}) == "f"


@pytest.mark.parametrize("payload", [lambda: None, object()])
def test_refers_to_main_leaves_unpicklable_payloads_to_the_pool(payload):
    assert _refers_to_main([payload]) is None


def test_jobs_are_capped_at_the_cores():
    from rafmodel.simulation import effective_jobs

    cores = len(os.sched_getaffinity(0))
    assert effective_jobs(100_000, 10**6) == cores
    assert effective_jobs(-1, 3) == min(cores, 3)
    assert effective_jobs(None, 5) == 1


@pytest.mark.parametrize("args,param", [((0, 3), "n_jobs"), ((-2, 3), "n_jobs"), ((1.5, 3), "n_jobs"),
                                        ((2, -1), "n_tasks"), ((2, 2.5), "n_tasks")])
def test_jobs_refuse_bad_counts_at_the_signature(args, param):
    # declared at the signature (the simulations' constraint of n_jobs, the same object), not
    # validated inside the body: a bad n_tasks is refused too, instead of being taken as one task
    from rafmodel._validation import CONSTRAINTS
    from rafmodel.simulation import effective_jobs

    assert effective_jobs.__constraints__["n_jobs"] is CONSTRAINTS["simulate"]["n_jobs"]
    with pytest.raises(ParameterError) as info:
        effective_jobs(*args)
    assert info.value.param == param


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="uses /proc and PR_SET_PDEATHSIG (Linux)")
@pytest.mark.parametrize("sig", ["SIGKILL", "SIGINT"])
def test_worker_processes_end_when_the_command_is_killed(sig):
    import signal
    import time

    p = subprocess.Popen([sys.executable, "-m", "rafmodel", "simulate", "--learner", "linear", "--loss", "hinge",
                          "--alpha", "2", "--eps", "0.2", "--lam", "0.1", "--d", "800", "--seeds", "40",
                          "--jobs", "2", "--no-progress"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.time() + 60
        workers = []
        while time.time() < deadline and len(workers) < 2:
            time.sleep(0.2)
            workers = [c for c in _children(p.pid) if "spawn_main" in open(f"/proc/{c}/cmdline").read()]
        assert len(workers) == 2, "the workers did not start"
        os.kill(p.pid, getattr(signal, sig))
        p.wait(timeout=30)
        deadline = time.time() + 15
        while time.time() < deadline and any(_alive(w) for w in workers):
            time.sleep(0.2)
        assert not any(_alive(w) for w in workers), "worker processes outlived the command"
        if sig == "SIGINT":  # Ctrl-C: a one-line message, no traceback, exit status 130
            err = p.stderr.read().decode()
            assert "Traceback" not in err and p.returncode == 130, err
    finally:
        if p.poll() is None:
            p.kill()
