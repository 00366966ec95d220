"""Learners are value objects: two learners are equal, hash alike and print alike exactly when they
simulate the same thing (the same kernel or activation, not only the same coefficients)."""

import numpy as np
import pytest

import rafmodel as rm
from rafmodel import Kernel, RandomFeatures
from rafmodel.equivalence import ACTIVATIONS


def test_real_kernel_is_not_its_gaussian_equivalent():
    real = Kernel.from_kernel("rbf", bandwidth=1)
    gem = Kernel(mu1=real.mu1, mustar=real.mustar)  # same coefficients, simulates another kernel
    assert real != gem and gem != real
    assert hash(real) != hash(gem)
    assert len({real, gem}) == 2
    assert "rbf" in repr(real) and repr(real) != repr(gem)
    s = rm.Setting(alpha=1.0, eps=0.2, lam=0.1, learner=real)
    assert s != s.replace(learner=gem) and hash(s) != hash(s.replace(learner=gem))


def test_the_same_real_kernel_is_equal():
    a, b = Kernel.from_kernel("rbf", bandwidth=1), Kernel.from_kernel("rbf", bandwidth=1)
    assert a == b and hash(a) == hash(b) and repr(a) == repr(b)
    # the same kernel spelled differently: int/float, case, default parameters, alias
    for other in (Kernel.from_kernel("rbf", bandwidth=1.0), Kernel.from_kernel("RBF"),
                  Kernel.from_kernel(" rbf ", bandwidth=1)):
        assert a == other and hash(a) == hash(other)
    assert Kernel.from_kernel("relu") == Kernel.from_kernel("arccos")
    assert Kernel.from_kernel("polynomial", degree=3) == Kernel.from_kernel("poly", degree=3, offset=1.0)
    assert Kernel.from_kernel("polynomial", degree=3) != Kernel.from_kernel("polynomial", degree=3, offset=0.5)
    act = Kernel.from_kernel("activation", activation="relu")
    assert act == Kernel.from_kernel("activation", activation="ReLU")
    assert act != Kernel.from_kernel("arccos")  # same coefficients, another route and spec


def test_callable_kernels_compare_by_identity():
    def k(rho):
        return np.exp(rho - 1.0)

    def k_copy(rho):
        return np.exp(rho - 1.0)

    a, b = Kernel.from_kernel(k), Kernel.from_kernel(k)
    assert a == b and hash(a) == hash(b)
    c = Kernel.from_kernel(k_copy)
    assert (c.mu1, c.mustar) == (a.mu1, a.mustar) and c != a
    # keyword arguments of a callable kernel are part of it (unhashable ones too)
    def kp(rho, w):
        return np.exp(np.asarray(w)[0] * (rho - 1.0))

    assert Kernel.from_kernel(kp, w=[1.0]) == Kernel.from_kernel(kp, w=[1.0])
    assert Kernel.from_kernel(kp, w=[1.0]) != Kernel.from_kernel(kp, w=[2.0])
    hash(Kernel.from_kernel(kp, w=np.array([1.0])))


def test_activation_is_part_of_random_features():
    real = RandomFeatures.from_activation("relu", kappa=2)
    gem = RandomFeatures(kappa=2, mu1=real.mu1, mustar=real.mustar)
    assert real != gem and hash(real) != hash(gem) and len({real, gem}) == 2
    assert "relu" in repr(real) and repr(real) != repr(gem)
    same = RandomFeatures.from_activation("ReLU", kappa=2.0)
    assert real == same and hash(real) == hash(same)
    assert real == RandomFeatures.from_activation(ACTIVATIONS["relu"], kappa=2)  # the very function
    assert real != RandomFeatures.from_activation("relu", kappa=3)
    f = lambda x: np.maximum(x, 0.0)  # noqa: E731
    assert RandomFeatures.from_activation(f, kappa=2) == RandomFeatures.from_activation(f, kappa=2)
    assert RandomFeatures.from_activation(f, kappa=2) != real


# ----------------------------------------------------------------------------- learners are value objects

def test_the_theory_methods_of_a_learner_are_deprecated_and_answer_through_its_map():
    # up to 0.4 a learner carried its theory (to_channel, update ...); now its map does, and the
    # old names answer with a DeprecationWarning and the map's numbers
    import numpy as np

    import rafmodel as rm
    from rafmodel.theory.maps import learner_map

    rf = rm.RandomFeatures(kappa=0.5, mu1=0.6, mustar=0.7)
    P = {k: np.array([v]) for k, v in rf.params().items()}
    hats = (np.array([0.3]), np.array([0.2]), np.array([0.5]), np.array([0.1]), P)
    with pytest.warns(DeprecationWarning, match="learner_map"):
        old = rf.update(*hats[:3], *hats[3:])
    new = learner_map(rf).update(*hats[:3], *hats[3:])
    assert [float(v[0]) for v in (*old[0], *old[1])] == [float(v[0]) for v in (*new[0], *new[1])]
    with pytest.warns(DeprecationWarning):
        assert rf.state_names == ("m", "q", "V", "qw", "Vw")
    with pytest.raises(AttributeError):  # anything else is still an AttributeError
        rf.no_such_method


def test_a_network_has_no_theory_and_says_so_in_one_line():
    import rafmodel as rm
    from rafmodel.theory import has_theory
    from rafmodel.theory.maps import learner_map

    net = rm.Network(kappa=2.0)
    assert not has_theory(net) and has_theory(net.random_features())
    assert not any(hasattr(type(net), k) for k in ("to_channel", "update", "test_overlaps"))
    with pytest.raises(rm.ParameterError, match="no exact theory") as info:
        learner_map(net)
    assert info.value.param == "learner"
    with pytest.raises(rm.ParameterError, match="no exact theory"):
        rm.solve(rm.Setting(alpha=1.0, eps=0.2, lam=0.1, learner=net.random_features()).replace(learner=net))
