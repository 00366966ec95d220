"""Worker processes start from a script, ``python -c`` and an interactive session with no guard.

Each case runs a real interpreter on a real script (the way a user runs the quickstart), so
the workers are spawned exactly as they would be for the user.  The scripts print a marker at
their top level: a worker that ran the script would print it again.
"""

import subprocess
import sys
import textwrap

import pytest

from rafmodel._parallel import _refers_to_main

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
