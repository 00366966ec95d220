"""Bad input is met with a message naming the parameter and what is allowed."""

import numpy as np
import pytest

import rafmodel as rm
from rafmodel import Kernel, ParameterError, Setting


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
    (dict(learner="mlp"), "learner: unknown learner 'mlp'; allowed: kernel, linear"),
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
    with pytest.raises(TypeError, match="setting"):
        rm.solve({"alpha": 1})
    with pytest.raises(TypeError, match="settings"):
        rm.solve_many(Setting(alpha=1.0, eps=0.2, lam=0.1))
