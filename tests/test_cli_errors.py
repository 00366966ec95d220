"""Hostile command lines: one line naming the option and what is allowed, exit status 2, no traceback.

Every case here is refused before any work (none computes anything), so the file runs in seconds.
"""

import pytest

from _extras import needs

THEORY = ["theory", "--learner", "linear", "--loss", "square", "--alpha", "1", "--eps", "0.2", "--lam", "0.1"]
SIMULATE = ["simulate", "--learner", "linear", "--loss", "square", "--alpha", "1", "--eps", "0.2", "--lam", "0.1"]
NETWORK = ["network", "--alpha", "1", "--eps", "0.2", "--lam", "0.1", "--kappa", "1", "--loss", "square"]
REALDATA = ["realdata", "--alpha", "1", "--eps", "0.2", "--lam", "1"]


def _with(argv, option, value):
    """``argv`` with ``option`` set to ``value`` (replaced where given, else appended)."""
    argv = list(argv)
    if option in argv:
        argv[argv.index(option) + 1] = value
    else:
        argv += [option, value]
    return argv


# --------------------------------------------------------------- negative numbers reach the range checks
@pytest.mark.parametrize("argv,expected", [
    (_with(THEORY, "--alpha", "-1:1:3"), "raf theory: error: alpha: must be > 0, got -1.0"),
    (_with(THEORY, "--alpha", "-1"), "alpha: must be > 0"),
    (_with(THEORY, "--alpha", "-.5"), "alpha: must be > 0"),
    (_with(THEORY, "--lam", "-inf"), "lam: must be a finite number"),
    (_with(THEORY, "--lam", "-1e-3,1"), "lam: must be >= 0"),
    (_with(THEORY, "--eps", "-NaN"), "eps: must be a finite number"),
    (_with(THEORY, "--max-iter", "-5"), "max-iter: must be a positive integer"),
    (_with(SIMULATE, "--seeds", "-1"), "seeds: must be"),
    (_with(SIMULATE, "--d", "-10"), "d: must be"),
    (_with(REALDATA, "--rule", "-1,5"), "rule: must be two different classes"),
    (["bayes", "--alpha", "-1:1:3", "--eps", "0.2"], "alpha: must be > 0"),
    (["capacity", "--eps", "-0.5"], "eps: must be in [0, 1]"),
    (["figure", "capacity", "--out", "unused", "--kappa", "-1"], "kappa: must be > 0"),
], ids=lambda v: " ".join(v) if isinstance(v, list) else None)
def test_a_negative_value_gets_the_range_error(argv, expected, raf_refused):
    assert expected in raf_refused(argv)


# --------------------------------------------------------------- parse errors: one line and a hint
@pytest.mark.parametrize("argv,expected", [
    (THEORY[:-2], "raf theory: error: the following arguments are required: --lam; see raf theory --help"),
    ([], "raf: error: the following arguments are required: COMMAND; see raf --help"),
    (["bogus"], "raf: error: argument COMMAND: invalid choice: 'bogus'"),
    (THEORY + ["--bogus", "1"], "raf theory: error: unrecognized arguments: --bogus 1; see raf theory --help"),
    (THEORY + ["--method", "magic"], "argument --method: invalid choice: 'magic'"),
    (THEORY + ["--json", "--csv"], "raf theory: error: argument --csv: not allowed with argument --json"),
    (["bayes", "--alpha", "1", "--eps", "0.2", "--csv", "--json"], "argument --json: not allowed with argument --csv"),
    (["sweep", "run"], "raf sweep run: error: the following arguments are required: SPEC, --store"),
    (THEORY + ["--alpha"], "argument --alpha: expected one argument"),
])
def test_a_parse_error_is_one_line_with_a_hint(argv, expected, raf_refused):
    line = raf_refused(argv)
    assert expected in line
    assert line.endswith("--help")


# --------------------------------------------------------------- sizes, before any work
@pytest.mark.parametrize("argv,expected", [
    (["bayes", "--alpha", "1:2:10000", "--eps", "0:1:1000"], "grid: 10000000 combinations"),
    (_with(THEORY, "--alpha", "1:2:1000001"), "alpha: range count must be at most 1000000"),
    (_with(THEORY, "--alpha", "1:2:2000") + ["--eps", "0:1:1000"], "grid: 2000000 combinations"),
    (SIMULATE + ["--d", "5", "--seeds", "1000000000"], "seeds: must be a positive integer <= 10000"),
    (SIMULATE + ["--d", "1000000000"], "d: must be a positive integer <= 100000"),
    (_with(SIMULATE, "--alpha", "1:2:1000") + ["--d", "5", "--seeds", "2000"], "seeds: 2000000 repetitions"),
    (SIMULATE + ["--d", "5", "--n-test", "10000000000000"], "d: the test set"),
    (_with(["compare"] + SIMULATE[1:], "--d", "1000000000"), "d: must be a positive integer <= 100000"),
    (_with(REALDATA, "--lam", "0.001:10:1000000") + ["--bandwidth", "1,2"], "grid: 2000000 combinations"),
    (_with(REALDATA, "--lam", "0.001:10:300000"), "seeds: 1500000 fits (points x seeds)"),
    (REALDATA + ["--seeds", "1000000000"], "seeds: must be a positive integer <= 10000"),
    (_with(NETWORK, "--alpha", "1:2:1000") + ["--eps", "0:1:1000", "--lam", "0.1:1:10"], "grid: 10000000"),
    (["figure", "capacity", "--out", "unused", "--d", "1000000000"], "d: must be at most 100000"),
    (["figure", "capacity", "--out", "unused", "--seeds", "1000000000"], "seeds: must be at most 10000"),
    (["figure", "kernel-lambda", "--out", "unused", "--n-lam", "10000000"], "n_lam: must be at most 10000"),
    (["figure", "linear-alpha", "--out", "unused", "--n-alpha", "10000000"], "n_alpha: must be at most 10000"),
    (["figure", "realdata", "--out", "unused", "--seeds", "1000000000"], "seeds: must be at most 10000"),
    (["figure", "phase-rf", "--out", "unused", "--n-alpha", "5000", "--n-kappa", "5000"], "more than the 1000000"),
    (["figure", "linear-alpha", "--out", "unused", "--d", "40000"], "d: the simulations' training set"),
], ids=lambda v: " ".join(v) if isinstance(v, list) else None)
def test_a_size_beyond_the_limits_is_refused(argv, expected, raf_refused):
    assert expected in raf_refused(argv)


def test_a_network_beyond_memory_is_refused(raf_refused):
    needs("jax")
    line = raf_refused(_with(NETWORK, "--kappa", "99999999999999999999") + ["--d", "10"])
    assert "kappa: the network's first layer" in line


# --------------------------------------------------------------- the library's refusals, as one line
@pytest.mark.parametrize("argv,expected", [
    (_with(THEORY, "--loss", "logistic") + ["--method", "closed"],
     "raf theory: error: method: the logistic loss has no closed-form channel"),
    (_with(THEORY, "--learner", "kernel") + ["--kernel", "rbf", "--degree", "2"], "kernel: 'rbf' does not take --degree"),
    (_with(REALDATA, "--kernel", "bogus"), "kernel: unknown kernel 'bogus'"),
    (_with(REALDATA, "--eps", "2"), "eps: must be in [0, 1], got 2.0"),
], ids=lambda v: " ".join(v) if isinstance(v, list) else None)
def test_a_library_refusal_is_one_line(argv, expected, raf_refused):
    assert expected in raf_refused(argv)


# --------------------------------------------------------------- echoed values are shortened
@pytest.mark.parametrize("option", ["--learner", "--loss", "--method", "--alpha"])
def test_a_huge_value_is_not_echoed_in_full(option, raf_refused):
    line = raf_refused(_with(THEORY, option, "x" * 5_000_000))
    assert len(line) < 400 and "x" * 80 + "..." in line


# --------------------------------------------------------------- hostile values, every computing subcommand
OPTIMAL = ["optimal-lambda", "--learner", "linear", "--loss", "square", "--alpha", "1", "--eps", "0.2"]
RATE = ["rate", "--learner", "linear", "--loss", "square", "--eps", "0.2"]
BAYES = ["bayes", "--alpha", "1", "--eps", "0.2"]
CAPACITY = ["capacity", "--eps", "0.2"]
FIGURE = ["figure", "capacity", "--out", "unused"]

_HOSTILE = [
    (THEORY, "--eps", "nan", "eps: must be a finite number"), (THEORY, "--alpha", "inf", "alpha: must be a finite"),
    (THEORY, "--lam", "", "lam: empty value"), (THEORY, "--learner", "mlp", "learner: unknown learner 'mlp'"),
    (THEORY, "--loss", "ramp", "loss: unknown loss 'ramp'"), (THEORY, "--tol", "-1", "tol: must be in (0, 0.001]"),
    (THEORY, "--jobs", "0", "jobs: must be"), (THEORY, "--alpha", "1:2:0", "alpha: range count must be a positive"),
    (SIMULATE, "--n-test", "0", "n-test: must be a positive integer"), (SIMULATE, "--seed", "-1", "seed: must be"),
    (SIMULATE, "--seeds", "nan", "seeds: must be an integer"), (SIMULATE, "--d", "", "d: must be an integer"),
    (BAYES, "--alpha", "nan", "alpha: must be a finite number"), (BAYES, "--eps", "-inf", "eps: must be a finite"),
    (CAPACITY, "--eps", "1e400", "eps: must be a finite number"), (CAPACITY, "--learner", "mlp", "unknown learner"),
    (OPTIMAL, "--alpha", "-2", "alpha: must be > 0"), (OPTIMAL, "--loss", "ramp", "unknown loss 'ramp'"),
    (RATE, "--eps", "nan", "eps: must be a finite number"), (RATE, "--lam", "-inf", "lam: must be a finite number"),
    (RATE, "--learner", "mlp", "learner: unknown learner 'mlp'"),
    (REALDATA, "--bandwidth", "-1", "bandwidth: must be > 0"), (REALDATA, "--seeds", "0", "seeds: must be a positive integer"),
    (REALDATA, "--dataset", "imagenet", "dataset"), (REALDATA, "--loss", "logistic", "loss: must be square or hinge"),
    (NETWORK, "--kappa", "-1", "kappa: must be > 0"), (NETWORK, "--lr", "nan", "lr: must be a finite number"),
    (FIGURE, "--n-eps", "-1", "n_eps: must be"), (FIGURE, "--d", "nan", "d: must be a finite number"),
    (["figure", "bogus", "--out", "unused"], "--quick", None, "figure: unknown figure 'bogus'"),
]


@pytest.mark.parametrize("base,option,value,expected", _HOSTILE,
                         ids=[f"{b[0]} {o} {v!r}" for b, o, v, _ in _HOSTILE])
def test_a_hostile_value_is_refused_in_one_line(base, option, value, expected, raf_refused):
    argv = list(base) + [option] if value is None else _with(base, option, value)
    line = raf_refused(argv)
    assert expected in line, line


# --------------------------------------------------------------- refused before any work starts
BAD_CLI = [
    (["theory", "--learner", "linear", "--loss", "square", "--alpha", "0.1:10:100000000", "--eps", "0.2",
      "--lam", "0.1"], "alpha: range count"),
    (["theory", "--learner", "linear", "--loss", "square", "--alpha", "0.1:10:1000", "--eps", "0:1:1000",
      "--lam", "0.1:1:10"], "grid:"),
    (["simulate", "--learner", "linear", "--loss", "hinge", "--alpha", "1e-6", "--eps", "0.2", "--lam", "0.1",
      "--d", "100"], "alpha:"),
    (["simulate", "--learner", "linear", "--loss", "hinge", "--alpha", "1", "--eps", "0.2", "--lam", "0.1",
      "--d", "100000"], "d:"),
    (["simulate", "--learner", "linear", "--loss", "hinge", "--alpha", "1", "--eps", "0.2", "--lam", "0.1",
      "--jobs", "0"], "jobs:"),
    (["theory", "--learner", "linear", "--loss", "square", "--alpha", "1,2", "--eps", "0.2", "--lam", "0.1",
      "--plot", "noext"], "plot:"),
    (["theory", "--learner", "linear", "--loss", "square", "--alpha", "1,2", "--eps", "0.2", "--lam", "0.1",
      "--plot", "."], "plot:"),
    (["theory", "--learner", "linear", "--loss", "square", "--alpha", "1,2", "--eps", "0.2", "--lam", "0.1",
      "--plot", "/nonexistent-dir/x.png"], "plot:"),
    (["simulate", "--learner", "linear", "--loss", "square", "--alpha", "1", "--eps", "0.2", "--lam", "0.1",
      "--out", "/nonexistent-dir/x.csv"], "out:"),
    (["theory", "--learner", "linear", "--loss", "square", "--alpha", "1", "--eps", "0.2", "--lam", "0.1",
      "--max-iter", "0"], "max-iter:"),
]


@pytest.mark.parametrize("argv,prefix", BAD_CLI)
def test_cli_bad_input_is_one_line_and_exit_2(argv, prefix, raf_refused, monkeypatch):
    import rafmodel.simulation as sim
    import rafmodel.theory as theory

    def no_work(*a, **k):
        raise AssertionError("work started before the input was checked")
    monkeypatch.setattr(sim, "_one_run", no_work)  # a simulation's work
    monkeypatch.setattr(theory, "_solve", no_work)  # the theory's
    raf_refused(argv, prefix)


@pytest.mark.parametrize("extra,prefix", [
    (["--learner", "rf", "--kappa", "2", "--activation", ""], "activation:"),
    (["--learner", "rf", "--kappa", "2", "--activation", "relu,"], "activation:"),
    (["--learner", "kernel", "--kernel", ""], "kernel:"),
    (["--learner", "kernel", "--kernel", "rbf", "--bandwidth", "710"], "bandwidth:"),
    (["--learner", "kernel", "--kernel", "polynomial", "--degree", "2000"], "degree:"),
])
def test_cli_learner_options_that_cannot_be_built_are_one_line(extra, prefix, raf_refused):
    raf_refused(["theory", "--loss", "square", "--alpha", "1", "--eps", "0.2", "--lam", "0.1", *extra], prefix)
