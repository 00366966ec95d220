"""One vocabulary: every name renamed for it still works for one release and warns, naming the new name.

Python: a DeprecationWarning (``realdata(eta=, repeats=)``, ``theory_coefficients(eta=)``,
``run_sweep(jobs=)``, ``simulate_into_store(jobs=)``, a sweep spec's ``model``, a figure's
``eta`` / ``repeats``, the kernels' ``c``: ``bandwidth`` of rbf, ``offset`` of polynomial).
Command line: a note on stderr (``--model``, ``--eta``, ``--repeats``, ``raf figure --eta /
--repeats``, a spec file's ``model``), and the command does what the new name does.
"""

import json
import warnings

import numpy as np
import pytest

import rafmodel as rm
from rafmodel import ParameterError
from rafmodel.cli import main

THEORY = ["theory", "--loss", "square", "--alpha", "1,2", "--eps", "0.2", "--lam", "0.1", "--json"]


def _run(capsys, argv):
    code = main(argv)
    out = capsys.readouterr()
    return code, out.out, out.err


def _deprecated(fn, old, new):
    """Call ``fn``, asserting exactly one DeprecationWarning that names ``old`` and ``new``; return its result."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out = fn()
    dep = [w for w in caught if issubclass(w.category, DeprecationWarning)]
    assert len(dep) == 1, [str(w.message) for w in caught]
    msg = str(dep[0].message)
    assert old in msg and new in msg and "0.6" in msg, msg
    assert dep[0].filename == __file__, dep[0].filename  # points at the caller
    return out


# ---------------------------------------------------------------------------------------- command line
def test_model_option_is_learner_with_a_note(capsys):
    code, new, err = _run(capsys, THEORY + ["--learner", "linear"])
    assert code == 0 and err == ""
    code, old, err = _run(capsys, THEORY + ["--model", "linear"])
    assert code == 0 and old == new
    assert err == "raf theory: note: --model is deprecated and will be removed in 0.6; use --learner\n"


@pytest.mark.parametrize("command", [["capacity", "--eps", "0.2"],
                                     ["rate", "--loss", "square", "--eps", "0.2"],
                                     ["optimal-lambda", "--loss", "square", "--alpha", "2", "--eps", "0.2"]])
def test_model_option_works_in_every_command_that_takes_a_learner(capsys, command):
    code, new, err = _run(capsys, command + ["--learner", "linear", "--json"])
    assert code == 0 and err == ""
    code, old, err = _run(capsys, command + ["--model", "linear", "--json"])
    assert code == 0 and old == new and "use --learner" in err


def test_a_missing_learner_is_one_line_naming_the_new_option(capsys):
    with pytest.raises(SystemExit) as e:
        main(THEORY)
    err = capsys.readouterr().err
    assert e.value.code == 2
    assert err == "raf theory: error: the following arguments are required: --learner; see raf theory --help\n"


def test_learner_help_does_not_advertise_the_old_option(capsys):
    with pytest.raises(SystemExit):
        main(["theory", "--help"])
    out = capsys.readouterr().out
    assert "--learner" in out and "--model" not in out


def test_realdata_eta_and_repeats_are_bandwidth_and_seeds_with_notes(capsys):
    base = ["realdata", "--alpha", "0.5", "--eps", "0.2", "--lam", "0.1", "--json"]
    code, new, err = _run(capsys, base + ["--bandwidth", "2", "--seeds", "1"])
    assert code == 0 and err == ""
    row = json.loads(new)
    assert (row["bandwidth"], row["seeds"]) == (2.0, 1) and "eta" not in row and "repeats" not in row
    code, old, err = _run(capsys, base + ["--eta", "2", "--repeats", "1"])
    assert code == 0 and old == new
    assert err.splitlines() == ["raf realdata: note: --eta is deprecated and will be removed in 0.6; use --bandwidth",
                                "raf realdata: note: --repeats is deprecated and will be removed in 0.6; use --seeds"]


def test_figure_repeats_is_seeds_with_a_note(capsys):
    # the value is refused under the new name: the old option reached the new parameter, before any work
    code, _, err = _run(capsys, ["figure", "realdata", "--out", "unused", "--repeats", "1000000000"])
    assert code == 2 and err.splitlines() == [
        "raf figure: note: --repeats is deprecated and will be removed in 0.6; use --seeds",
        "raf figure: error: seeds: must be at most 10000, got 1000000000"]
    code, _, err = _run(capsys, ["figure", "realdata", "--out", "unused", "--eta", "-1"])
    assert code == 2 and "use --bandwidth" in err and "bandwidth: must be > 0" in err


def test_a_sweep_spec_with_model_runs_with_a_note(tmp_path, capsys):
    spec = tmp_path / "s.toml"
    spec.write_text('kind = "theory"\nmodel = "linear"\nloss = "square"\nalpha = [1, 2]\neps = 0.2\nlam = 0.1\n')
    code, _, err = _run(capsys, ["sweep", "run", str(spec), "--store", str(tmp_path / "s.sqlite")])
    assert code == 0
    assert "raf sweep run: note: sweep spec: the key model is deprecated and will be removed in 0.6; use learner" \
        in err.splitlines()


def test_jobs_has_the_short_spelling_j(capsys):
    code, out, _ = _run(capsys, THEORY + ["--learner", "linear", "-j", "1"])
    assert code == 0 and len(json.loads(out)) == 2
    code, _, err = _run(capsys, THEORY + ["--learner", "linear", "-j", "0"])
    assert code == 2 and "jobs: must be" in err


# ---------------------------------------------------------------------------------------- Python
def test_realdata_eta_and_repeats_warn_and_mean_bandwidth_and_seeds():
    kw = dict(alpha=0.5, eps=0.2, lam=[0.1])
    new = rm.realdata(**kw, bandwidth=2.0, seeds=1).to_records()
    old = _deprecated(lambda: rm.realdata(**kw, eta=2.0, seeds=1), "eta=", "bandwidth=").to_records()
    assert old == new
    old = _deprecated(lambda: rm.realdata(**kw, bandwidth=2.0, repeats=1), "repeats=", "seeds=").to_records()
    assert old == new
    with pytest.raises(ParameterError, match="^bandwidth: give bandwidth or its deprecated name eta, not both"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            rm.realdata(**kw, eta=2.0, bandwidth=3.0)
    with pytest.raises(TypeError, match="unexpected keyword argument 'etaa'"):
        rm.realdata(**kw, etaa=2.0)


def test_theory_coefficients_eta_warns():
    from rafmodel.real_data import theory_coefficients

    new = theory_coefficients("rbf", 1.3, bandwidth=0.5)
    assert _deprecated(lambda: theory_coefficients("rbf", 1.3, eta=0.5), "eta=", "bandwidth=") == new


def test_sweep_jobs_warns_and_is_n_jobs(tmp_path):
    from rafmodel.sweep import simulate_into_store

    spec = {"kind": "theory", "learner": "linear", "loss": "square", "alpha": [1, 2], "eps": 0.2, "lam": 0.1}
    new = rm.run_sweep(spec, tmp_path / "a.sqlite", n_jobs=1)
    old = _deprecated(lambda: rm.run_sweep(spec, tmp_path / "b.sqlite", jobs=1), "jobs=", "n_jobs=")
    cols = ["alpha", "gen_error", "status"]
    assert old[cols].equals(new[cols])
    with pytest.raises(ParameterError, match="^n_jobs: "):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            rm.run_sweep(spec, tmp_path / "c.sqlite", jobs=0)
    s = rm.grid(alpha=1.0, eps=0.2, lam=0.1)
    df, computed = _deprecated(lambda: simulate_into_store(s, tmp_path / "d.sqlite", d=20, seeds=1, n_test=50,
                                                           jobs=1), "jobs=", "n_jobs=")
    assert computed == 1 and list(df["status"]) == ["done"]


def test_sweep_spec_key_model_warns_and_is_learner():
    from rafmodel.sweep import load_spec

    table = {"kind": "theory", "loss": "square", "alpha": [1, 2], "eps": 0.2, "lam": 0.1}
    new = load_spec({**table, "learner": "kernel", "mu1": 1.0, "mustar": 0.5})
    old = _deprecated(lambda: load_spec({**table, "model": "kernel", "mu1": 1.0, "mustar": 0.5}), "model", "learner")
    assert old.spec_hash == new.spec_hash  # the same points: a store of the old spec resumes under the new
    assert [p.record["model"] for p in new.points] == ["kernel", "kernel"]  # the stored column keeps its name
    with pytest.raises(ParameterError, match="^learner: give learner or its deprecated name model"):
        load_spec({**table, "model": "linear", "learner": "linear"})


def test_figure_parameters_eta_and_repeats_warn():
    from rafmodel.figures import make_figure

    with pytest.raises(ParameterError, match="^seeds: must be at most 10000"):
        _deprecated(lambda: make_figure("realdata", repeats=10**9), "repeats", "seeds")
    with pytest.raises(ParameterError, match="^bandwidth: must be > 0"):
        _deprecated(lambda: make_figure("realdata", eta=-1.0), "eta", "bandwidth")


#: (kernel, its parameters under the new names, the one renamed): c was the rbf kernel's width and
#: the polynomial kernel's offset
KERNEL_C = [("rbf", {"bandwidth": 2.0}, "bandwidth"),
            ("polynomial", {"degree": 3, "offset": 0.5}, "offset"),
            ("poly", {"degree": 2, "offset": 0.25}, "offset"),
            ("RBF", {"bandwidth": 1}, "bandwidth")]


def _old(params, new):
    return {("c" if k == new else k): v for k, v in params.items()}


@pytest.mark.parametrize("kernel,params,new", KERNEL_C)
def test_kernel_c_warns_and_is_the_same_kernel(kernel, params, new):
    from rafmodel.equivalence import KERNELS

    old = _old(params, new)
    a = rm.Kernel.from_kernel(kernel, **params)
    b = _deprecated(lambda: rm.Kernel.from_kernel(kernel, **old), "c=", f"{new}=")
    assert a == b and hash(a) == hash(b) and repr(a) == repr(b)  # the identity keys do not see the spelling
    assert b.kernel == (kernel, params)  # stored under the new name
    labels = [rm.Setting(alpha=1.0, eps=0.2, lam=0.1, learner=lrn).labels() for lrn in (a, b)]
    assert labels[0] == labels[1] == {"kernel": kernel.lower(), **params}  # the CLI's and the columns' names
    co = rm.kernel_coefficients(kernel, **params)
    assert _deprecated(lambda: rm.kernel_coefficients(kernel, **old), "c=", f"{new}=") == co
    f = KERNELS[{"poly": "polynomial"}.get(kernel.lower(), kernel.lower())]
    rho = np.linspace(-1.0, 1.0, 7)
    np.testing.assert_array_equal(_deprecated(lambda: f(rho, **old), "c=", f"{new}="), f(rho, **params))


@pytest.mark.parametrize("kernel,params,new", KERNEL_C[:2])
def test_a_simulation_with_kernel_c_gives_the_same_numbers(kernel, params, new):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        old = rm.Kernel.from_kernel(kernel, **_old(params, new))
    sims = [rm.simulate(rm.Setting(alpha=1.5, eps=0.2, lam=0.1, learner=lrn), d=20, seeds=2, n_test=100, seed=4,
                        n_jobs=1) for lrn in (rm.Kernel.from_kernel(kernel, **params), old)]
    for k, v in sims[0].values.items():
        np.testing.assert_array_equal(sims[1].values[k], v)
    assert json.dumps(sims[0].to_dict()) == json.dumps(sims[1].to_dict())


def test_a_kernel_spec_stored_with_c_is_the_same_learner_and_simulates_alike():
    # a spec made before 0.5 (or by hand) says c: compared and simulated under the new name, silently
    new = rm.Kernel.from_kernel("rbf", bandwidth=2.0)
    stored = rm.Kernel.from_kernel("rbf", bandwidth=2.0)
    stored.kernel = ("rbf", {"c": 2.0})
    assert stored == new and hash(stored) == hash(new)
    with warnings.catch_warnings():
        warnings.simplefilter("error", DeprecationWarning)
        sims = [rm.simulate(rm.Setting(alpha=1.5, eps=0.2, lam=0.1, learner=lrn), d=20, seeds=1, n_test=100, seed=5,
                            n_jobs=1) for lrn in (new, stored)]
    np.testing.assert_array_equal(sims[0].values["gen_error"], sims[1].values["gen_error"])
    wider = rm.simulate(rm.Setting(alpha=1.5, eps=0.2, lam=0.1, learner=rm.Kernel.from_kernel("rbf")), d=20, seeds=1,
                        n_test=100, seed=5, n_jobs=1)  # the default bandwidth: the stored one was read
    assert sims[1].values["gen_error"].tolist() != wider.values["gen_error"].tolist()


@pytest.mark.parametrize("kernel,params,new", KERNEL_C[:2])
def test_kernel_c_beside_its_new_name_is_an_error(kernel, params, new):
    from rafmodel.equivalence import KERNELS

    both = {**params, "c": params[new]}  # even with the same value
    for call in (lambda: rm.Kernel.from_kernel(kernel, **both), lambda: rm.kernel_coefficients(kernel, **both),
                 lambda: KERNELS[kernel](0.5, **both)):
        with pytest.raises(ParameterError, match=f"^{new}: give {new} or its deprecated name c, not both$"):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", DeprecationWarning)
                call()


@pytest.mark.parametrize("call,message", [
    (lambda: rm.Kernel.from_kernel("rbf", c=-1.0), "bandwidth: rbf bandwidth must be > 0, got -1.0"),
    (lambda: rm.kernel_coefficients("rbf", c=1e6), "bandwidth: rbf bandwidth must be in [2.2e-154, 708.39]"),
    (lambda: rm.kernel_coefficients("polynomial", degree=2, c=-0.5), "offset: polynomial offset must be >= 0"),
    (lambda: rm.Kernel.from_kernel("poly", degree=2, c=1e200), "offset: polynomial offset must be <= "),
])
def test_an_error_names_the_new_name_when_given_the_old(call, message):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        with pytest.raises(ParameterError) as e:
            call()
    assert str(e.value).startswith(message), str(e.value)
    assert e.value.param == message.split(":")[0]


def test_c_is_not_renamed_for_kernels_that_never_took_it():
    # linear has no parameter; a callable gets its keyword arguments as they are
    with pytest.raises(ParameterError, match="^c: not a parameter of kernel 'linear'; allowed: none"):
        rm.kernel_coefficients("linear", c=1.0)

    def k(rho, c=1.0):
        return np.exp(c * (rho - 1.0))

    with warnings.catch_warnings():
        warnings.simplefilter("error", DeprecationWarning)
        assert rm.Kernel.from_kernel(k, c=2.0).kernel == (k, {"c": 2.0})
        assert rm.kernel_coefficients(k, c=2.0).mu1 ** 2 == pytest.approx(2.0 * np.exp(-2.0), rel=1e-9)


def test_simulation_results_is_exported_beside_theory_results():
    from rafmodel.simulation import SimulationResults

    assert rm.SimulationResults is SimulationResults and "SimulationResults" in rm.__all__
    assert "TheoryResults" in rm.__all__
    sims = rm.simulate_many(rm.grid(alpha=1.0, eps=0.2, lam=0.1), d=20, seeds=1, n_test=50)
    assert isinstance(sims, rm.SimulationResults)


def test_a_store_made_with_the_old_spec_key_resumes_under_the_new_one(tmp_path):
    from rafmodel.sweep import load_results

    table = {"kind": "theory", "loss": "square", "alpha": [1, 2], "eps": 0.2, "lam": 0.1}
    store = tmp_path / "s.sqlite"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        old = rm.run_sweep({**table, "model": "linear"}, store)
    before = load_results(store)
    new = rm.run_sweep({**table, "learner": "linear"}, store)  # the same spec: nothing recomputed
    assert list(new["gen_error"]) == list(old["gen_error"])
    assert list(load_results(store)["seconds"]) == list(before["seconds"])
