"""The `raf` command line: contract, lists and ranges, bad input, non-convergence."""

import json
import subprocess
import sys

import numpy as np
import pytest

import rafmodel as rm
from rafmodel.cli import main, parse_values, UsageError

from _files import assert_drawn_png

BASE = ["theory", "--learner", "kernel", "--loss", "hinge", "--alpha", "2", "--eps", "0.2",
        "--lam", "0.1", "--mu1", "0.5", "--mustar", "0.5"]


def test_single_point_json_matches_python_api(raf):
    code, out, err = raf(BASE + ["--json"])
    assert code == 0
    d = json.loads(out)
    assert isinstance(d, dict)
    for k in ("m", "q", "V", "gen_error", "mem_error", "rule_error", "converged", "iterations"):
        assert k in d
    r = rm.solve(rm.Setting(alpha=2, eps=0.2, lam=0.1, learner=rm.Kernel(mu1=0.5, mustar=0.5), loss="hinge"))
    # the CLI solves through solve_many; rm.solve's scalar fast path agrees to rounding
    assert d["gen_error"] == pytest.approx(r.gen_error, rel=1e-12, abs=0) and d["converged"] is True
    assert (d["alpha"], d["eps"], d["lam"], d["mu1"], d["mustar"]) == (2, 0.2, 0.1, 0.5, 0.5)


def test_lists_give_one_row_per_combination(raf):
    argv = ["theory", "--learner", "kernel", "--loss", "square", "--alpha", "0.5,1,2", "--eps", "0,0.3",
            "--lam", "0.1", "--mu1", "0.5,1", "--mustar", "0.5", "--json"]
    code, out, _ = raf(argv)
    rows = json.loads(out)
    assert code == 0 and isinstance(rows, list) and len(rows) == 3 * 2 * 2
    combos = {(r["alpha"], r["eps"], r["mu1"]) for r in rows}
    assert len(combos) == 12
    for r in rows:  # each row carries its parameters and equals the Python API
        s = rm.Setting(alpha=r["alpha"], eps=r["eps"], lam=r["lam"],
                       learner=rm.Kernel(mu1=r["mu1"], mustar=r["mustar"]), loss="square")
        assert r["gen_error"] == pytest.approx(rm.solve(s).gen_error, abs=1e-12)


def test_table_and_csv(raf):
    code, out, _ = raf(["theory", "--learner", "linear", "--loss", "logistic", "--alpha", "1,3",
                        "--eps", "0.1", "--lam", "0.5"])
    assert code == 0 and "gen_error" in out and len(out.strip().splitlines()) == 4
    code, out, _ = raf(["theory", "--learner", "linear", "--loss", "logistic", "--alpha", "1,3",
                        "--eps", "0.1", "--lam", "0.5", "--csv"])
    lines = out.strip().splitlines()
    assert lines[0].startswith("model,loss,alpha,eps,lam,m,q,V,gen_error") and len(lines) == 3


def test_ranges():
    assert parse_values("alpha", "1:3:3") == [1.0, 2.0, 3.0]
    assert parse_values("lam", "1e-2:1:3:log") == pytest.approx([0.01, 0.1, 1.0])
    assert parse_values("eps", "0.2") == [0.2]
    for bad in ("1:2", "1:2:x", "0:1:3:log", "1:2:3:lin", "", "1,,2"):
        with pytest.raises(UsageError):
            parse_values("alpha", bad)


@pytest.mark.parametrize("args,needle", [
    (["--eps", "1.5"], "eps: must be in [0, 1], got 1.5"),
    (["--eps", "-0.1"], "eps: must be in [0, 1]"),
    (["--alpha", "0"], "alpha: must be > 0"),
    (["--alpha", "-2"], "alpha: must be > 0"),
    (["--lam", "-1"], "lam: must be >= 0"),
    (["--alpha", "nan"], "alpha: must be a finite number"),
    (["--lam", "inf"], "lam: must be a finite number"),
    (["--alpha", "two"], "alpha: not a number: 'two'"),
    (["--loss", "ramp"], "loss: unknown loss 'ramp'"),
    (["--learner", "mlp"], "learner: unknown learner 'mlp'"),
    (["--mu1", "0"], "mu1: must be > 0"),
    (["--mustar", "-1"], "mustar: must be >= 0"),
])
def test_bad_input_exits_2_with_one_line(raf, args, needle):
    argv = list(BASE)
    for i in range(0, len(args), 2):
        argv[argv.index(args[i]) + 1] = args[i + 1]
    code, out, err = raf(argv)
    assert code == 2 and out == ""
    assert needle in err and len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_kernel_parameters_required_and_linear_rejects_them(raf):
    code, _, err = raf(["theory", "--learner", "kernel", "--loss", "hinge", "--alpha", "1",
                        "--eps", "0", "--lam", "1"])
    assert code == 2 and "mu1: required with --learner kernel" in err
    code, _, err = raf(["theory", "--learner", "linear", "--loss", "hinge", "--alpha", "1",
                        "--eps", "0", "--lam", "1", "--mu1", "1"])
    assert code == 2 and "mu1: only used with --learner kernel" in err


def test_missing_option_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as e:
        main(["theory", "--learner", "linear", "--loss", "hinge", "--alpha", "1", "--eps", "0"])
    assert e.value.code == 2


def test_non_converged_rows_are_kept_and_flagged(raf):
    argv = ["theory", "--learner", "linear", "--loss", "square", "--alpha", "1,2", "--eps", "0.2",
            "--lam", "0", "--max-iter", "50", "--json"]
    code, out, err = raf(argv)
    rows = json.loads(out)
    assert code == 1 and "1 of 2 points did not converge" in err
    bad, good = rows
    assert bad["converged"] is False and bad["gen_error"] is None and bad["m"] is None
    ridge = rm.solve(rm.Setting(alpha=2.0, eps=0.2, lam=0.0))  # least squares, alpha > 1: converges
    assert good["converged"] is True and good["gen_error"] == pytest.approx(ridge.gen_error, rel=1e-10)


def test_console_script_runs():
    exe = [sys.executable, "-m", "rafmodel.cli"]
    p = subprocess.run(exe + BASE + ["--json"], capture_output=True, text=True, timeout=60)
    assert p.returncode == 0 and json.loads(p.stdout)["converged"] is True
    p = subprocess.run(exe + ["theory", "--learner", "linear", "--loss", "hinge", "--alpha", "1",
                              "--eps", "2", "--lam", "1"], capture_output=True, text=True, timeout=60)
    assert p.returncode == 2 and "Traceback" not in p.stderr


def test_activation_and_kernel_names(raf):
    code, out, _ = raf(["theory", "--learner", "rf", "--loss", "square", "--activation", "relu,tanh",
                        "--kappa", "0.5,2", "--alpha", "1", "--eps", "0.2", "--lam", "0.1", "--json"])
    rows = json.loads(out)
    assert code == 0 and len(rows) == 4
    c = rm.activation_coefficients("relu")
    relu = [r for r in rows if r["activation"] == "relu"]
    assert all(r["mu1"] == pytest.approx(c.mu1) and r["mustar"] == pytest.approx(c.mustar) for r in relu)
    s = rm.Setting(alpha=1, eps=0.2, lam=0.1, learner=rm.RandomFeatures(kappa=2.0, mu1=c.mu1, mustar=c.mustar))
    assert [r for r in relu if r["kappa"] == 2][0]["gen_error"] == pytest.approx(rm.solve(s).gen_error)

    code, out, _ = raf(["theory", "--learner", "kernel", "--loss", "hinge", "--kernel", "rbf",
                        "--bandwidth", "2", "--alpha", "1", "--eps", "0.2", "--lam", "0.1", "--json"])
    d = json.loads(out)
    assert d["kernel"] == "rbf" and d["bandwidth"] == 2
    assert d["mu1"] ** 2 == pytest.approx(2 * np.exp(-2)) and d["mustar"] ** 2 == pytest.approx(1 - 3 * np.exp(-2))


def test_polynomial_offset_option_is_the_kernels_offset(raf):
    code, out, _ = raf(["theory", "--learner", "kernel", "--loss", "square", "--kernel", "polynomial", "--degree", "2",
                        "--offset", "0.5", "--alpha", "1", "--eps", "0.2", "--lam", "0.1", "--json"])
    d = json.loads(out)
    co = rm.kernel_coefficients("polynomial", degree=2, offset=0.5)
    assert code == 0 and (d["kernel"], d["degree"], d["offset"]) == ("polynomial", 2, 0.5)
    assert (d["mu1"], d["mustar"]) == (co.mu1, co.mustar)


@pytest.mark.parametrize("args,needle", [
    (["--learner", "kernel", "--kernel", "rbf", "--degree", "2"], "kernel: 'rbf' does not take --degree"),
    (["--learner", "kernel", "--kernel", "rbf", "--bandwidth", "-1"], "bandwidth: rbf bandwidth must be > 0"),
    # each option reaches its own kernel's parameter: polynomial has no bandwidth, rbf no offset
    (["--learner", "kernel", "--kernel", "polynomial", "--bandwidth", "2"],
     "kernel: 'polynomial' does not take --bandwidth"),
    (["--learner", "kernel", "--kernel", "rbf", "--offset", "1"], "kernel: 'rbf' does not take --offset"),
    (["--learner", "kernel", "--kernel", "poly", "--offset", "-1"], "offset: polynomial offset must be >= 0"),
    (["--learner", "kernel", "--kernel", "nope"], "kernel: unknown kernel 'nope'"),
    (["--learner", "rf", "--activation", "relu"], "kappa: required with --learner rf"),
    (["--learner", "rf", "--activation", "quadratic", "--kappa", "1"], "has mu1 = 0"),
    (["--learner", "rf", "--activation", "relu", "--kappa", "1", "--mu1", "1"], "give either --mu1 or --activation"),
    (["--learner", "linear", "--bandwidth", "2"], "bandwidth: only used with --kernel"),
    (["--learner", "linear", "--activation", "relu"], "activation: only used with --learner rf"),
])
def test_bad_learner_options(raf, args, needle):
    code, out, err = raf(["theory", "--loss", "hinge", "--alpha", "1", "--eps", "0.2", "--lam", "0.1", *args])
    assert code == 2 and needle in err and "Traceback" not in err


def test_theory_plot(capsys, tmp_path):
    out = tmp_path / "th.png"
    argv = ["theory", "--learner", "linear", "--loss", "hinge", "--alpha", "0.5:5:12", "--eps", "0.2", "--lam", "0",
            "--plot", str(out)]
    assert main(argv) == 0
    assert "plot written" in capsys.readouterr().err
    assert_drawn_png(out)
    assert main(argv[:-2] + ["--lam", "0,0.1", "--plot", str(out)]) == 2
    assert "plot: give a list for exactly one numeric parameter (got 2: alpha, lam)" in capsys.readouterr().err


def test_a_computation_that_cannot_finish_is_one_line_and_status_1(capsys, monkeypatch):
    import rafmodel.theory.optimal as opt

    def failing(**kw):
        raise rm.ConvergenceError("fixed point not reached for {'alpha': 2.0}")

    monkeypatch.setattr(opt, "optimal_lambda", failing)
    code = main(["optimal-lambda", "--learner", "linear", "--loss", "hinge", "--alpha", "2", "--eps", "0.2"])
    err = capsys.readouterr().err
    assert code == 1 and "fixed point not reached" in err and "Traceback" not in err


def test_compare_table_shows_the_standard_errors_beside_the_z_scores(raf):
    argv = ["compare", "--learner", "linear", "--loss", "square", "--alpha", "2", "--eps", "0.2", "--lam", "0.1",
            "--d", "20", "--seeds", "2", "--n-test", "200", "--jobs", "1"]
    code, out, _ = raf(argv)
    assert code in (0, 1)
    header = out.splitlines()[0].split()
    for m in ("gen_error", "mem_error", "rule_error"):
        assert f"{m}_se" in header and f"{m}_z" in header
