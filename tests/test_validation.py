"""Bad input is met with a message naming the parameter and what is allowed."""

import numpy as np
import pytest

import rafmodel as rm
from rafmodel import Kernel, ParameterError, RandomFeatures, Setting
from rafmodel.equivalence import activation_coefficients, kernel_coefficients, rf_kernel
from rafmodel.theory.bayes import bayes_optimal, bayes_rate
from rafmodel.theory.capacity import alpha_c
from rafmodel.theory.optimal import large_alpha_rate, optimal_lambda, ridge_lam_opt, square_rate_constant

from _extras import needs


@pytest.mark.parametrize("kw,msg", [
    (dict(alpha=0.0), "alpha: must be > 0, got 0.0"),
    (dict(alpha=-1), "alpha: must be > 0"),
    (dict(alpha=np.inf), "alpha: must be a finite number > 0"),
    (dict(alpha="2"), "alpha: must be a number, got '2'"),
    (dict(eps=1.01), "eps: must be in [0, 1], got 1.01"),
    (dict(eps=-0.1), "eps: must be in [0, 1]"),
    (dict(eps=np.nan), "eps: must be a finite number in [0, 1]"),
    (dict(lam=-1e-9), "lam: must be >= 0"),
    (dict(lam=None), "lam: must be a number"),
    (dict(loss="ramp"), "loss: unknown loss 'ramp'"),
    (dict(learner="mlp"), "learner: unknown learner 'mlp'; allowed: bayes, kernel, linear"),
])
def test_setting_rejects_bad_values(kw, msg):
    base = dict(alpha=1.0, eps=0.2, lam=0.1, loss="square")
    base.update(kw)
    with pytest.raises(ValueError) as info:
        Setting(**base)
    assert msg in str(info.value)


def test_parameter_error_names_the_parameter():
    with pytest.raises(ParameterError) as info:
        Setting(alpha=1.0, eps=2.0, lam=0.0)
    assert info.value.param == "eps"


@pytest.mark.parametrize("kw,msg", [
    (dict(mu1=0.0, mustar=0.5), "mu1: must be > 0"),
    (dict(mu1=0.5, mustar=-0.5), "mustar: must be >= 0"),
    (dict(mu1=np.nan, mustar=0.5), "mu1: must be a finite number"),
])
def test_kernel_rejects_bad_coefficients(kw, msg):
    with pytest.raises(ParameterError, match=msg.replace("(", r"\(")):
        Kernel(**kw)


def test_kernel_parameters_are_keyword_only():
    with pytest.raises(TypeError):
        Kernel(0.5, 0.5)


def test_setting_holds_one_point_and_grid_many():
    with pytest.raises(ValueError, match="alpha: a Setting holds one point"):
        Setting(alpha=[1, 2], eps=0.1, lam=0.1)
    g = rm.grid(alpha=[1, 2], eps=[0.1, 0.2, 0.3], lam=0.1, loss="hinge")
    assert len(g) == 6 and g[0].alpha == 1 and g[-1].eps == 0.3


def test_solver_options_are_checked():
    s = Setting(alpha=1.0, eps=0.2, lam=0.1)
    for kw, msg in [(dict(tol=0), "tol"), (dict(damping=1.5), "damping"), (dict(max_iter=0), "max_iter"),
                    (dict(method="magic"), "method")]:
        with pytest.raises(ValueError, match=msg):
            rm.solve(s, **kw)


def test_solve_wants_settings():
    # a ParameterError naming the parameter (one line), which is also a TypeError
    for call, param in [(lambda: rm.solve({"alpha": 1}), "setting"),
                        (lambda: rm.solve_many(Setting(alpha=1.0, eps=0.2, lam=0.1)), "settings"),
                        (lambda: rm.solve_many(3), "settings"),
                        (lambda: rm.solve_many([Setting(alpha=1.0, eps=0.2, lam=0.1), "x"]), "settings")]:
        with pytest.raises(ParameterError) as info:
            call()
        assert info.value.param == param and "\n" not in str(info.value)
        assert isinstance(info.value, TypeError) and isinstance(info.value, ValueError)


# ---------------------------------------------------------------------------- the constraint table
from rafmodel._validation import CONSTRAINTS, DECLARED  # noqa: E402

_VALID = {
    "Setting": dict(alpha=1.0, eps=0.2, lam=0.1),
    "Kernel": dict(mu1=0.5, mustar=0.5),
    "RandomFeatures": dict(kappa=2.0, mu1=0.5, mustar=0.5),
    "SolverOptions": dict(tol=1e-10, max_iter=100, damping=0.8, memory=4, method="auto", n_nodes=8,
                          backend="numpy"),
    "simulate": dict(d=10, seeds=2, n_test=10, seed=0, n_jobs=1),
    "lam_path": dict(d=10, seeds=2, n_test=10, seed=0, lams=[0.1, 1.0]),
    "GaussianRAF": dict(d=10, n_test=10),
    "Network": dict(kappa=1.0, train="readout", scaling="lazy", optimizer="gd", steps=10, lr=0.5, device="cpu"),
    "train_network": dict(d=10, seeds=2, n_test=10, seed=0, record_every=None),
    "ImageRAF": dict(n_test=10),
    "realdata": dict(bandwidth=1.0, seeds=1, seed=0),
    "Isotropic": dict(),
    "Spectrum": dict(directions=1.0),
    "PowerLaw": dict(decay=1.5, source=0.5, size=10),
    "Spiked": dict(fraction=0.1, spike=2.0, teacher_share=0.5),
    "Mixture": dict(d=4, facts="class"),
}


def _entry_call(entry):
    import rafmodel as rm
    from rafmodel.data import GaussianRAF, ImageRAF

    s = rm.Setting(alpha=1.0, eps=0.2, lam=0.1)
    return {
        "Setting": lambda kw: rm.Setting(**kw),
        "Kernel": lambda kw: rm.Kernel(**kw),
        "RandomFeatures": lambda kw: rm.RandomFeatures(**kw),
        "SolverOptions": lambda kw: rm.SolverOptions(**kw),
        "simulate": lambda kw: rm.simulate(s, **kw),
        "lam_path": lambda kw: rm.lam_path(s, **kw),
        "GaussianRAF": lambda kw: GaussianRAF(**kw),
        "Network": lambda kw: rm.Network(**kw),
        "train_network": lambda kw: rm.train_network(s.replace(learner=rm.Network(kappa=1.0, device="cpu")), **kw),
        "ImageRAF": lambda kw: ImageRAF("digits", **kw),
        "realdata": lambda kw: rm.realdata(alpha=1.0, eps=0.2, lam=1.0, **kw),
        "Isotropic": lambda kw: rm.Isotropic(**kw),
        "Spectrum": lambda kw: rm.Spectrum([1.0, 2.0], **kw),
        "PowerLaw": lambda kw: rm.PowerLaw(**kw),
        "Spiked": lambda kw: rm.Spiked(**kw),
        "Mixture": lambda kw: rm.Mixture(np.ones(4), np.zeros((3 if kw.get("facts") == "class" else 2, 4)), **kw),
    }[entry]


_CASES = [(entry, name, bad) for entry, table in CONSTRAINTS.items() for name, c in table.items()
          for bad in c.invalid()]


#: Entry points whose call needs an optional extra: {entry: the modules it imports}.
_NEEDS = {"train_network": ("jax", "optax")}


def test_every_entry_point_of_the_table_is_covered():
    assert set(_VALID) == set(CONSTRAINTS)
    for entry, table in CONSTRAINTS.items():
        assert set(table) <= set(_VALID[entry]), entry


@pytest.mark.parametrize("entry", sorted(CONSTRAINTS))
def test_every_entry_point_accepts_its_valid_values(entry):
    needs(*_NEEDS.get(entry, ()))
    kw = dict(_VALID[entry])
    out = _entry_call(entry)(dict(kw))
    # and uses them: a constructor keeps each value; a function returns what they ask for
    if entry[0].isupper():
        assert {k: getattr(out, k) for k in kw} == kw
    elif entry == "simulate":
        assert out.d == kw["d"] and all(len(v) == kw["seeds"] for v in out.values.values())
    elif entry == "lam_path":
        assert [r.setting.lam for r in out] == kw["lams"]
    elif entry == "realdata":
        (row,) = out.to_records()
        assert (row["bandwidth"], row["seeds"], row["seed"]) == (kw["bandwidth"], kw["seeds"], kw["seed"])


class _BodyRan(Exception):
    """Raised by a declared callable's body in place of its work."""


def _spy_body(*args, **kwargs):
    raise _BodyRan


def _declare_all():
    """Import the modules that rafmodel imports lazily: importing one declares its entry points."""
    import rafmodel.data  # noqa: F401
    import rafmodel.network  # noqa: F401
    import rafmodel.real_data  # noqa: F401
    import rafmodel.simulation  # noqa: F401
    import rafmodel.theory.solver  # noqa: F401


def _without_bodies(entry, monkeypatch):
    """The entry's call, with the body of every callable declared by the entry replaced by a spy."""
    _declare_all()
    call = _entry_call(entry)  # built first: it may construct other declared objects
    for func in DECLARED[entry]:
        monkeypatch.setattr(func, "__wrapped__", _spy_body)
    return call


@pytest.mark.parametrize("entry", sorted(CONSTRAINTS))
def test_every_entry_of_the_table_is_declared_at_the_signature_its_call_goes_through(entry, monkeypatch):
    _declare_all()
    assert DECLARED.get(entry), f"no callable declares CONSTRAINTS[{entry!r}] with validate_params"
    for func in DECLARED[entry]:
        assert dict(func.__constraints__) == CONSTRAINTS[entry]
    with pytest.raises(_BodyRan):  # valid values reach the declared body
        _without_bodies(entry, monkeypatch)(dict(_VALID[entry]))


@pytest.mark.parametrize("entry,name,bad", _CASES, ids=[f"{e}-{n}-{b!r}" for e, n, b in _CASES])
def test_every_constrained_parameter_refuses_what_its_constraint_forbids(entry, name, bad, monkeypatch):
    kw = dict(_VALID[entry])
    kw[name] = bad
    call = _without_bodies(entry, monkeypatch)
    with pytest.raises(ParameterError) as info:  # before any work: the body never runs
        call(kw)
    assert str(info.value).startswith(f"{name}: "), str(info.value)
    assert "\n" not in str(info.value)


def test_grid_names_a_wrong_learner_parameter():
    for kw, param in [(dict(foo=3.0), "foo"), (dict(learner="kernel", mu1=1.0), "mustar"),
                      (dict(learner=[rm.Linear()], mu1=1.0), "mu1")]:
        with pytest.raises(ParameterError) as info:
            rm.grid(alpha=1.0, eps=0.1, lam=0.0, **kw)
        assert info.value.param == param


# ---------------------------------------------------------------------------- keyword arguments and arrays
def _raises_zero_division(x):
    return 1 / 0


@pytest.mark.parametrize("call,param,text", [
    (lambda: rm.solve(Setting(alpha=1.0, eps=0.2, lam=0.1), foo=1), "foo", "not a solver option"),
    (lambda: rm.solve_many([Setting(alpha=1.0, eps=0.2, lam=0.1)], foo=1), "foo", "not a solver option"),
    (lambda: rm.SolverOptions(foo=1), "foo", "the options: tol, max_iter"),
    (lambda: Setting(alpha=1.0, eps=0.2, lam=0.1).replace(foo=1), "foo", "not a field of Setting"),
    (lambda: rm.Kernel.from_kernel("rbf", bogus=1), "bogus", "not a parameter of kernel 'rbf'; allowed: 'bandwidth'"),
    (lambda: rm.kernel_coefficients("activation", activation="relu", bogus=1), "bogus", "allowed: 'activation'"),
    (lambda: rm.kernel_coefficients("activation"), "activation", "required by kernel 'activation'"),
    (lambda: rm.bayes_optimal([1, 2, 3], [0.1, 0.2]), "eps", "does not broadcast against alpha's shape (3,)"),
    (lambda: rm.RandomFeatures.from_activation(lambda x: 1 / 0, kappa=1), "activation",
     "evaluating it failed: ZeroDivisionError"),
    (lambda: rm.RandomFeatures.from_activation(_raises_zero_division, kappa=1), "activation", "ZeroDivisionError"),
    (lambda: rm.RandomFeatures.from_activation(lambda x: "a", kappa=1), "activation", "evaluating it failed"),
    (lambda: rm.RandomFeatures.from_activation(lambda x: None, kappa=1), "activation", "evaluating it failed"),
    (lambda: rm.RandomFeatures.from_activation(lambda x: np.where(x > 0, np.inf, x), kappa=1), "activation",
     "non-finite"),
    (lambda: rm.solve(Setting(alpha=1.0, eps=0.2, lam=0.1, loss="logistic"), method="closed"), "method",
     "the logistic loss has no closed-form channel"),
    (lambda: rm.solve_many([Setting(alpha=1.0, eps=0.2, lam=0.1, loss="logistic")], method="closed"), "method",
     "no closed-form channel"),
])
def test_a_public_entry_point_refuses_bad_keywords_and_arrays_with_a_parameter_error(call, param, text):
    with pytest.raises(ParameterError) as info:
        call()
    assert info.value.param == param and text in str(info.value) and "\n" not in str(info.value)
    assert isinstance(info.value, TypeError)  # what Python raises for an unexpected keyword, still caught


def test_an_unknown_option_is_refused_before_any_work(monkeypatch):
    import rafmodel.theory as theory

    monkeypatch.setattr(theory, "_solve", lambda *a, **k: pytest.fail("solved before refusing"))
    s = Setting(alpha=1.0, eps=0.2, lam=0.1, loss="logistic")
    for kw in (dict(foo=1), dict(method="closed")):
        with pytest.raises(ParameterError):
            rm.solve_many([s], **kw)
        with pytest.raises(ParameterError):
            rm.solve(s, **kw)


def test_a_huge_value_is_not_echoed_in_full():
    from rafmodel.exceptions import shorten

    with pytest.raises(ParameterError) as info:
        Setting(alpha=1.0, eps=0.2, lam=0.1, loss="x" * 5_000_000)
    msg = str(info.value)
    assert len(msg) < 300 and "x" * 80 + "...'" in msg and msg.endswith("allowed: hinge, logistic, square")
    assert shorten("short 'abc' stays") == "short 'abc' stays"
    assert shorten("a\nb") == "a\\nb"  # one line
    assert shorten("y" * 5000).endswith("y...") and len(shorten("y" * 5000)) == 83


def test_a_file_path_is_echoed_in_full():
    from rafmodel.exceptions import shorten

    path = "/tmp/" + "a-long-folder-name/" * 10 + "train-images-idx3-ubyte"
    assert shorten(f"data_dir: {path} is truncated") == f"data_dir: {path} is truncated"
    assert shorten(f"out: {path!r} exists") == f"out: {path!r} exists"
    assert len(shorten("/" + "p" * 10**6)) < 4200  # but not without end


# ---------------------------------------------------------------------------- the theory's functions
def _rf(**kw):
    return RandomFeatures.from_activation(**kw)


THEORY_FUNCTIONS_BAD = [
    ("bandwidth", lambda: Kernel.from_kernel("rbf", bandwidth=710)),
    ("bandwidth", lambda: Kernel.from_kernel("rbf", bandwidth=1e6)),
    ("bandwidth", lambda: kernel_coefficients("rbf", bandwidth=1e-200)),
    ("degree", lambda: Kernel.from_kernel("polynomial", degree=2000)),
    ("degree", lambda: kernel_coefficients("polynomial", degree=1024)),
    ("offset", lambda: kernel_coefficients("polynomial", degree=2, offset=1e200)),
    ("offset", lambda: kernel_coefficients("polynomial", degree=50, offset=1e-10)),
    ("offset", lambda: kernel_coefficients("polynomial", degree=1100, offset=0.01)),
    ("activation", lambda: activation_coefficients("")),
    ("activation", lambda: activation_coefficients("   ")),
    ("activation", lambda: _rf(activation="", kappa=1)),
    ("kernel", lambda: kernel_coefficients("")),
    ("n_nodes", lambda: rf_kernel("relu", 0.5, n_nodes=1)),
    ("eps", lambda: alpha_c(1.5)),
    ("eps", lambda: alpha_c(-0.1)),
    ("eps", lambda: alpha_c(float("nan"))),
    ("eps", lambda: alpha_c([0.2, np.inf])),
    ("alpha", lambda: bayes_optimal(np.inf, 0.2)),
    ("alpha", lambda: bayes_optimal([1.0, np.nan], 0.2)),
    ("eps", lambda: bayes_optimal(1.0, np.nan)),
    ("tol", lambda: bayes_optimal(1.0, 0.2, tol=np.nan)),
    ("tol", lambda: bayes_optimal(1.0, 0.2, tol=0.0)),
    ("tol", lambda: bayes_optimal(1.0, 0.2, tol=np.inf)),
    ("max_iter", lambda: bayes_optimal(1.0, 0.2, max_iter=0)),
    ("max_iter", lambda: bayes_optimal(1.0, 0.2, max_iter=2.5)),
    ("eps", lambda: bayes_rate(np.nan)),
    ("alpha", lambda: optimal_lambda(learner="linear", loss="square", alpha=np.inf, eps=0.2)),
    ("eps", lambda: optimal_lambda(learner="linear", loss="square", alpha=1.0, eps=np.nan)),
    ("eps", lambda: optimal_lambda(learner="linear", loss="square", alpha=1.0, eps=1.5)),
    ("lam_min", lambda: optimal_lambda(learner="linear", loss="square", alpha=1.0, eps=0.2, lam_min=0.0)),
    ("lam_min", lambda: optimal_lambda(learner="linear", loss="square", alpha=1.0, eps=0.2, lam_min=np.nan)),
    ("lam_max", lambda: optimal_lambda(learner="linear", loss="square", alpha=1.0, eps=0.2, lam_max=np.inf)),
    ("lam_max", lambda: optimal_lambda(learner="linear", loss="square", alpha=1.0, eps=0.2,
                                       lam_min=1.0, lam_max=1.0)),
    ("xtol", lambda: optimal_lambda(learner="linear", loss="square", alpha=1.0, eps=0.2, xtol=np.nan)),
    ("tol", lambda: optimal_lambda(learner="linear", loss="square", alpha=1.0, eps=0.2, tol=np.inf)),
    ("n_nodes", lambda: optimal_lambda(learner="linear", loss="square", alpha=1.0, eps=0.2, n_nodes=1)),
    ("max_iter", lambda: optimal_lambda(learner="linear", loss="square", alpha=1.0, eps=0.2, max_iter=0)),
    ("damping", lambda: optimal_lambda(learner="linear", loss="square", alpha=1.0, eps=0.2, damping=np.nan)),
    ("eps", lambda: large_alpha_rate(eps=np.nan)),
    ("eps", lambda: large_alpha_rate(eps=1.0)),
    ("lam", lambda: large_alpha_rate(eps=0.2, lam=np.nan)),
    ("lam", lambda: large_alpha_rate(eps=0.2, lam=-1.0)),
    ("alphas", lambda: large_alpha_rate(eps=0.2, alphas=(1e3, np.inf))),
    ("alphas", lambda: large_alpha_rate(eps=0.2, alphas=(1e3,))),
    ("alphas", lambda: large_alpha_rate(eps=0.2, alphas=(1e3, 1e3))),
    ("alphas", lambda: large_alpha_rate(learner="bayes", eps=0.2, alphas=())),
    ("tol", lambda: large_alpha_rate(eps=0.2, tol=np.nan)),
    ("eps", lambda: ridge_lam_opt(np.nan)),
    ("eps", lambda: ridge_lam_opt(1.5)),
    ("eps", lambda: square_rate_constant(np.nan)),
    ("eps", lambda: square_rate_constant(-0.5)),
]


@pytest.mark.parametrize("param,call", THEORY_FUNCTIONS_BAD,
                         ids=[f"{p}-{i}" for i, (p, _) in enumerate(THEORY_FUNCTIONS_BAD)])
def test_theory_functions_refuse_bad_input_with_a_parameter_error_naming_it(param, call):
    with pytest.raises(ParameterError) as info:
        call()
    assert str(info.value).startswith(f"{param}: ")
    assert info.value.param == param


@pytest.mark.parametrize("tol", [float("inf"), float("nan"), 0.0, -1.0, 0.5])
def test_a_tolerance_that_cannot_certify_a_fixed_point_is_refused(tol, raf_refused):
    s = Setting(alpha=2.0, eps=0.2, lam=0.1, loss="hinge")
    with pytest.raises(rm.ParameterError, match="^tol: "):
        rm.solve(s, tol=tol)
    with pytest.raises(rm.ParameterError, match="^tol: "):
        rm.solve_many([s], tol=tol)
    raf_refused(["theory", "--learner", "linear", "--loss", "hinge", "--alpha", "2", "--eps", "0.2", "--lam", "0.1",
                 "--tol", str(tol)], "tol:")


# ---------------------------------------------------------------------------- simulations
@pytest.mark.parametrize("call,param", [
    (lambda: rm.simulate("x"), "setting"),
    (lambda: rm.simulate_many("x"), "settings"),
    (lambda: rm.simulate(Setting(alpha=1e-6, eps=0.2, lam=0.1), d=100), "alpha"),
    (lambda: rm.simulate(Setting(alpha=1.0, eps=0.2, lam=0.1), d=100_000), "d"),
    (lambda: rm.simulate(Setting(alpha=1.0, eps=0.2, lam=0.1), d=100, n_test=10**9), "d"),
    (lambda: rm.simulate(Setting(alpha=1.0, eps=0.2, lam=0.1), n_jobs=0), "n_jobs"),
    (lambda: rm.simulate(Setting(alpha=1.0, eps=0.2, lam=0.1), data=object()), "data"),
    (lambda: rm.lam_path(Setting(alpha=1.0, eps=0.2, lam=0.1), [0.1, float("nan")], d=10), "lams"),
])
def test_simulation_functions_refuse_bad_input_naming_the_parameter(call, param):
    with pytest.raises(rm.ParameterError) as info:
        call()
    assert info.value.param == param and str(info.value).startswith(f"{param}: ")
