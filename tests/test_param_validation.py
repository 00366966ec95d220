"""Constraints are declared at the signatures they check (rafmodel._validation.validate_params).

The table-wide tests (every entry refuses what its constraints forbid, before its body runs)
are in tests/test_validation.py; these test the mechanism: what a declaration must say, what
a call is checked for, and that no subclass constructor skips the check.
"""

import dataclasses
import inspect

import numpy as np
import pytest

import rafmodel as rm
from rafmodel._validation import (CONSTRAINTS, POSITIVE, UNIT, Choice, DeclaredInit, Integer, ParameterError,
                                  validate, validate_params)

# ---------------------------------------------------------------------------- the declaration


@pytest.mark.parametrize("constraints,exempt,text", [
    ({"kappa": POSITIVE, "d": Integer(1)}, None, "a constraint for 'kappa', which is not a parameter"),
    ({}, None, "the parameter 'd' has no constraint"),
    ({"d": Integer(1)}, {"data": "checked elsewhere"}, "'data' is exempt but not a parameter"),
    ({"d": Integer(1)}, {"d": "twice"}, "'d' is both constrained and exempt"),
    ({"d": "positive"}, None, "the constraint of 'd' is not a Constraint"),
    ("no such entry", None, "'no such entry' is not an entry of CONSTRAINTS"),
])
def test_a_declaration_that_does_not_match_the_signature_fails_at_decoration(constraints, exempt, text):
    with pytest.raises(TypeError, match=text):
        @validate_params(constraints, exempt=exempt)
        def f(d):
            return d


def test_an_exemption_needs_a_reason():
    with pytest.raises(TypeError, match="give the reason why 'data' is exempt"):
        @validate_params({"d": Integer(1)}, exempt={"data": ""})
        def f(d, data=None):
            return d


def test_a_catch_all_is_exempt_not_constrained():
    with pytest.raises(TypeError, match="the parameter 'rest' has no constraint"):
        @validate_params({"d": Integer(1)})
        def f(d, **rest):
            return d

    with pytest.raises(TypeError, match="a constraint for the catch-all 'rest'"):
        @validate_params({"d": Integer(1), "rest": POSITIVE})
        def g(d, **rest):
            return d


def test_a_default_that_breaks_its_constraint_fails_at_decoration():
    with pytest.raises(TypeError, match=r"the default of 'eps' breaks its constraint \(eps: must be in \[0, 1\]"):
        @validate_params({"eps": UNIT})
        def f(eps=2.0):
            return eps


def test_the_leading_self_is_exempt_by_itself_and_only_it():
    class A:
        @validate_params({"d": Integer(1)})
        def __init__(self, d):
            self.d = d

    assert A(d=3.0).d == 3
    with pytest.raises(TypeError, match="the parameter 'self' has no constraint"):
        @validate_params({"d": Integer(1)})
        def f(d, self=None):
            return d


# ---------------------------------------------------------------------------- a call


@validate_params({"d": Integer(1), "eps": UNIT, "method": Choice("auto", "exact")},
                 exempt={"data": "an object checked elsewhere", "rest": "passed on"})
def _declared(d, eps=0.5, *, method="auto", data=None, **rest):
    return d, eps, method, data, rest


@validate_params({"d": Integer(1), "eps": UNIT})
def _simple(d, eps=0.5):
    return d, eps


def test_the_body_gets_converted_values_by_position_keyword_and_default():
    assert _simple(2.0) == (2, 0.5)
    assert _simple(2, 1) == (2, 1.0) and type(_simple(2, 1)[1]) is float
    assert _simple(eps=0, d=np.int64(4)) == (4, 0.0)
    assert _declared(3.0, method="EXACT", data="x", extra=1) == (3, 0.5, "exact", "x", {"extra": 1})


@pytest.mark.parametrize("call,param,text", [
    (lambda: _simple(0), "d", "must be a positive integer, got 0"),
    (lambda: _simple(1, eps=np.nan), "eps", "must be a finite number in [0, 1]"),
    (lambda: _declared(1, method="fast"), "method", "must be one of auto, exact"),
    (lambda: _simple(1, depth=2), "depth", "not a parameter of _simple; its parameters: d, eps"),
    (lambda: _simple(eps=0.1), "d", "required by _simple"),
    (lambda: _declared(eps=0.1), "d", "required by _declared"),
    (lambda: rm.Linear(mu1=1.0), "mu1", "not a parameter of Linear; its parameters: none"),
    (lambda: rm.Kernel(mu1=1.0, mustar=0.5, kappa=2.0), "kappa", "not a parameter of Kernel; its parameters: "
                                                                  "mu1, mustar"),
    (lambda: rm.RandomFeatures(kappa=1.0, mu1=1.0), "mustar", "required by RandomFeatures"),
    (lambda: rm.Setting(alpha=1.0, eps=0.1, lam=0.1, kappa=2.0), "kappa", "not a parameter of Setting"),
    (lambda: rm.Network(kappa=1.0, epochs=3), "epochs", "not a parameter of Network"),
    (lambda: rm.SolverOptions(backend="gpu"), "backend", "must be one of auto, compiled, numpy, got 'gpu'"),
])
def test_a_call_is_refused_with_one_line_naming_the_parameter(call, param, text):
    with pytest.raises(ParameterError) as info:
        call()
    assert info.value.param == param and text in str(info.value) and "\n" not in str(info.value)
    assert isinstance(info.value, TypeError)  # what Python raises for a wrong keyword, still caught


def test_a_misuse_of_positions_stays_a_type_error_naming_the_callable():
    with pytest.raises(TypeError, match=r"^Kernel\(\): too many positional arguments"):
        rm.Kernel(0.5, 0.5)
    with pytest.raises(TypeError, match="multiple values for argument 'd'"):
        _simple(1, d=2)


def test_the_fast_binding_agrees_with_signature_bind():
    sig = inspect.signature(_simple)
    for args, kwargs in [((1,), {}), ((1, 0.2), {}), ((), {"d": 1, "eps": 0.2}), ((1,), {"eps": 1})]:
        bound = sig.bind(*args, **kwargs)
        bound.apply_defaults()
        expected = (int(bound.arguments["d"]), float(bound.arguments["eps"]))
        assert _simple(*args, **kwargs) == expected


def test_the_signature_name_and_docstring_are_the_body_s():
    # get_learner and the help texts read the learners' signatures
    assert list(inspect.signature(rm.Kernel).parameters) == ["mu1", "mustar"]
    assert list(inspect.signature(rm.Setting).parameters) == ["alpha", "eps", "lam", "learner", "loss", "inputs"]
    assert rm.SolverOptions.__init__.__name__ == "__init__"
    from rafmodel.learners import get_learner

    assert get_learner("rf", kappa=2, mu1=0.5, mustar=0.1) == rm.RandomFeatures(kappa=2.0, mu1=0.5, mustar=0.1)


def test_the_backend_option_is_declared_with_the_backends_the_theory_has():
    from rafmodel.theory.backend import BACKENDS

    assert CONSTRAINTS["SolverOptions"]["backend"].choices == BACKENDS


# ---------------------------------------------------------------------------- validate


def test_validate_refuses_a_key_its_entry_does_not_declare():
    assert validate("Setting", alpha=2, eps=0) == {"alpha": 2.0, "eps": 0.0}
    with pytest.raises(ParameterError) as info:
        validate("Setting", alpha=2, kappa=3)
    assert info.value.param == "kappa"
    assert str(info.value) == "kappa: not a parameter of Setting; its parameters: alpha, eps, lam"


# ---------------------------------------------------------------------------- subclasses


@pytest.mark.parametrize("base", [rm.Learner, rm.Kernel, rm.RandomFeatures, rm.Setting])
def test_a_subclass_constructor_that_is_not_declared_is_refused_where_it_is_defined(base):
    with pytest.raises(TypeError, match=r"__init__ must declare the constraints of its parameters"):
        class Sneaky(base):
            def __init__(self, **kw):
                object.__setattr__(self, "mu1", -1.0)


def test_a_subclass_that_inherits_the_constructor_is_checked():
    class MyKernel(rm.Kernel):
        name = "my-kernel"

    with pytest.raises(ParameterError, match="mu1: must be > 0"):
        MyKernel(mu1=-1.0, mustar=0.5)
    assert MyKernel(mu1=1, mustar=0).params() == {"mu1": 1.0, "mustar": 0.0}


def test_a_declared_subclass_constructor_is_checked_at_both_signatures():
    class Scaled(rm.Kernel):
        param_names = ("mu1", "mustar", "scale")

        @validate_params({"scale": POSITIVE}, exempt={"coefficients": "checked by Kernel.__init__"})
        def __init__(self, *, scale, **coefficients):
            super().__init__(**coefficients)
            self.scale = scale

    assert Scaled(scale=2, mu1=1.0, mustar=0.0).scale == 2.0
    with pytest.raises(ParameterError, match="scale: must be > 0"):
        Scaled(scale=0, mu1=1.0, mustar=0.0)
    with pytest.raises(ParameterError, match="mustar: must be >= 0"):
        Scaled(scale=1, mu1=1.0, mustar=-1.0)


def test_a_dataclass_subclass_of_setting_cannot_write_its_own_constructor():
    @dataclasses.dataclass(frozen=True)
    class Tagged(rm.Setting):
        tag: str = ""

    with pytest.raises(TypeError, match="a subclass of Setting keeps the declared constructor"):
        Tagged(alpha=-1.0, eps=0.2, lam=0.1)

    @dataclasses.dataclass(frozen=True, init=False)
    class Plain(rm.Setting):
        pass

    with pytest.raises(ParameterError, match="alpha: must be > 0"):
        Plain(alpha=-1.0, eps=0.2, lam=0.1)
    assert Plain(alpha=1, eps=0.2, lam=0.1).alpha == 1.0


def test_the_value_objects_declare_their_constructors():
    for cls in (rm.Setting, rm.Linear, rm.Kernel, rm.RandomFeatures, rm.Network, rm.SolverOptions):
        assert cls.__init__.__validated__, cls
    assert issubclass(rm.Learner, DeclaredInit) and issubclass(rm.Setting, DeclaredInit)


def test_a_setting_is_still_a_frozen_value():
    s = rm.Setting(2, 0.2, 0.1, "linear", "hinge")
    assert s == rm.Setting(alpha=2.0, eps=0.2, lam=0.1, loss="hinge") and hash(s) == hash(s.replace())
    assert dataclasses.replace(s, lam=0).lam == 0.0
    with pytest.raises(dataclasses.FrozenInstanceError):
        s.alpha = 3.0
    import pickle

    assert pickle.loads(pickle.dumps(s)) == s


def test_a_value_under_a_deprecated_name_is_checked_as_under_the_new_one():
    # realdata's **deprecated catch-all is exempt at the signature; the body checks what it resolves
    with pytest.warns(DeprecationWarning, match="eta= is deprecated") as record:
        with pytest.raises(ParameterError, match="bandwidth: must be > 0, got -1.0"):
            rm.realdata(alpha=1.0, eps=0.2, lam=1.0, eta=-1.0)
    assert record[0].filename == __file__  # the warning names the caller, past the declaration's wrapper
