"""Sizes, counts and grids are checked against one set of limits before any work, in the library too.

The limits live in :mod:`rafmodel._validation` (``MAX_POINTS``, ``MAX_SEEDS``, ``MAX_D``,
``MAX_RESOLUTION``); the command line, the figures and the library entry points use them.
"""

import numpy as np
import pytest

import rafmodel as rm
from rafmodel import ParameterError
from rafmodel._validation import MAX_D, MAX_POINTS, MAX_RESOLUTION, MAX_SEEDS, check_count, check_size_option

S = rm.Setting(alpha=1.0, eps=0.2, lam=0.1)


def refuses(call, param, text=""):
    with pytest.raises(ParameterError) as info:
        call()
    assert info.value.param == param, str(info.value)
    assert text in str(info.value) and "\n" not in str(info.value)
    return str(info.value)


def test_the_limits_are_what_the_command_line_uses():
    from rafmodel import _options

    assert _options.MAX_POINTS is MAX_POINTS
    assert (MAX_POINTS, MAX_SEEDS, MAX_D, MAX_RESOLUTION) == (1_000_000, 10_000, 100_000, 10_000)
    assert check_count("grid", MAX_POINTS) == MAX_POINTS
    refuses(lambda: check_count("grid", MAX_POINTS + 1), "grid", "more than the 1000000")


@pytest.mark.parametrize("name,value", [("d", MAX_D + 1), ("seeds", MAX_SEEDS + 1), ("repeats", [1, MAX_SEEDS + 1]),
                                        ("n_alpha", MAX_RESOLUTION + 1), ("n_lam", 10**9)])
def test_a_size_option_is_capped_by_its_name(name, value):
    refuses(lambda: check_size_option(name, value), name, "must be at most")


def test_other_names_are_not_size_options():
    assert check_size_option("n_test", 10**9) == 10**9 and check_size_option("alpha", 10**9) == 10**9


def test_grid_refuses_a_grid_beyond_the_limit_before_building_it():
    refuses(lambda: rm.grid(alpha=range(1, 1001), eps=[0.1] * 1001, lam=[0.1] * 1001), "grid", "1002001000 points")


@pytest.mark.parametrize("kw,param", [
    (dict(alpha=[]), "alpha"), (dict(eps=np.array([])), "eps"), (dict(lam=()), "lam"),
    (dict(learner="kernel", mu1=[], mustar=0.5), "mu1"), (dict(learner=[]), "learner")])
def test_grid_refuses_an_empty_list(kw, param):
    base = dict(alpha=1.0, eps=0.2, lam=0.1)
    base.update(kw)
    refuses(lambda: rm.grid(**base), param, "must not be empty")


def test_bayes_optimal_refuses_a_grid_beyond_the_limit():
    refuses(lambda: rm.bayes_optimal(np.ones(MAX_POINTS + 1), 0.2), "alpha", "points (alpha x eps)")


def test_simulations_refuse_seeds_and_repetitions_beyond_the_limits():
    refuses(lambda: rm.simulate(S, d=5, seeds=10**9), "seeds", "<= 10000")
    refuses(lambda: rm.simulate(S, d=10**9), "d", "<= 100000")
    refuses(lambda: rm.simulate_many([S] * 200, d=5, seeds=MAX_SEEDS), "seeds", "2000000 repetitions")
    refuses(lambda: rm.lam_path(S, [0.1], d=5, seeds=10**9), "seeds")
    refuses(lambda: rm.lam_path(S, np.linspace(0.1, 1, 600_000), d=5, seeds=2), "lams", "1200000 evaluations")
    refuses(lambda: rm.simulate(S, d=5, n_test=10**13), "d", "the test set")


def test_sample_raf_refuses_data_beyond_memory_before_drawing():
    refuses(lambda: rm.sample_raf(d=60_000, alpha=3.0, eps=0.2, rng=0), "d", "GiB")


def test_realdata_refuses_grids_and_fits_beyond_the_limits_before_reading_images():
    refuses(lambda: rm.realdata(lam=list(np.linspace(0.1, 1, 400_000)), seeds=5), "seeds", "fits")
    refuses(lambda: rm.realdata(lam=list(np.linspace(0.1, 1, 600_000)), bandwidth=[1.0, 2.0]), "grid")
    # a bad value is refused before the (missing) images are looked for
    refuses(lambda: rm.realdata("mnist", data_dir="/nonexistent", alpha=-1.0), "alpha")


def test_train_network_refuses_seeds_beyond_the_limit():
    net = rm.Network(kappa=1.0, device="cpu")
    refuses(lambda: rm.train_network([S.replace(learner=net)], d=5, seeds=10**9), "seeds", "<= 10000")


@pytest.mark.parametrize("name,params,param", [
    ("capacity", dict(d=10**9), "d"), ("capacity", dict(seeds=10**9), "seeds"),
    ("kernel-lambda", dict(n_lam=10**7), "n_lam"), ("linear-alpha", dict(n_alpha=10**7), "n_alpha"),
    ("realdata", dict(seeds=10**9), "seeds"), ("phase-rf", dict(n_alpha=5000, n_kappa=5000), "n_alpha"),
    ("linear-alpha", dict(d=40_000), "d"),
])
def test_a_figure_refuses_sizes_beyond_the_limits_before_any_work(name, params, param):
    from rafmodel.figures import get_figure
    from rafmodel.figures._registry import Context

    spec = get_figure(name)
    refuses(lambda: spec.resolve(params, Context()), param)


def test_a_figure_without_simulations_does_not_check_their_memory():
    from rafmodel.figures import get_figure
    from rafmodel.figures._registry import Context

    assert get_figure("linear-alpha").resolve(dict(d=40_000), Context(sim=False))["d"] == 40_000
