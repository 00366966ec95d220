"""What the command line's handlers call: library functions that take only what a command needs.

``raf capacity`` asks :func:`rafmodel.theory.capacity.interpolation_thresholds` (a learner and eps, no
setting), ``raf network`` builds its points with :func:`rafmodel.network.network_grid`, the
handlers ask :func:`rafmodel.theory.has_theory` instead of catching an error, and the learners of
the learner options come in the order of :func:`rafmodel.grid`.
"""

from types import SimpleNamespace

import pytest

import rafmodel as rm
from rafmodel import ParameterError
from rafmodel.theory import has_theory


class _MyKernel(rm.Kernel):
    pass


def test_has_theory_is_true_for_the_theory_learners_and_their_subclasses_only():
    assert has_theory(rm.Linear()) and has_theory(rm.Kernel(mu1=1.0, mustar=0.5))
    assert has_theory(rm.RandomFeatures(kappa=2.0, mu1=0.5, mustar=0.3))
    assert has_theory(rm.RandomFeatures.from_activation("relu", kappa=2.0))
    assert has_theory(_MyKernel(mu1=1.0, mustar=0.0))
    assert not has_theory(rm.Network(kappa=1.0)) and not has_theory("linear") and not has_theory(None)


def test_a_handler_refuses_a_learner_without_theory_before_any_work():
    from rafmodel.cli._common import require_theory
    from rafmodel.cli import UsageError

    require_theory([rm.Linear(), rm.Kernel(mu1=1.0, mustar=0.5), rm.Linear()])
    with pytest.raises(UsageError, match="^learner: 'network' has no exact theory"):
        require_theory(iter([rm.Linear(), rm.Network(kappa=1.0)]))


def test_interpolation_thresholds_match_the_theory():
    from rafmodel.theory.capacity import interpolation_thresholds
    from rafmodel.theory.capacity import interpolation_capacity

    lin = interpolation_thresholds(rm.Linear(), 0.2)
    assert lin == {"alpha_c": pytest.approx(float(rm.alpha_c(0.2)), rel=1e-12), "alpha_c_square": 1.0}
    rf = rm.RandomFeatures(kappa=0.5, mu1=0.5, mustar=0.3)
    t = interpolation_thresholds(rf, 1.0)
    assert t["alpha_c"] == pytest.approx(interpolation_capacity(rf, 1.0, rf.params()), rel=1e-12)
    assert t["alpha_c_square"] == pytest.approx(0.5)
    assert interpolation_thresholds(rm.Kernel(mu1=1.0, mustar=0.5), 0.3) == {"alpha_c": float("inf"),
                                                                            "alpha_c_square": float("inf")}


@pytest.mark.parametrize("learner,eps,param", [(rm.Linear(), 2.0, "eps"), (rm.Linear(), -0.5, "eps"),
                                               (rm.Network(kappa=1.0), 0.2, "learner")])
def test_interpolation_thresholds_refuse_bad_input(learner, eps, param):
    from rafmodel.theory.capacity import interpolation_thresholds

    with pytest.raises(ParameterError) as e:
        interpolation_thresholds(learner, eps)
    assert e.value.param == param


def test_capacity_rows_follow_eps_then_the_learner_parameters(capsys):
    import json

    from rafmodel.cli import main

    assert main(["capacity", "--learner", "kernel", "--mu1", "1", "--mustar", "0,0.5", "--eps", "0.2,0.3",
                 "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [(r["eps"], r["mustar"]) for r in rows] == [(0.2, 0.0), (0.2, 0.5), (0.3, 0.0), (0.3, 0.5)]
    assert list(rows[0])[:2] == ["model", "eps"] and rows[1]["alpha_c"] == "inf"  # JSON


def test_learners_from_args_come_in_grid_order():
    from rafmodel._options import learners_from_args

    args = SimpleNamespace(learner="rf", mu1="0.5,1", mustar="0.3", kappa="0.5,2", activation=None, kernel=None,
                           bandwidth=None, degree=None, offset=None)
    name, learners = learners_from_args(args)
    grid = rm.grid(learner="rf", alpha=1.0, eps=0.2, lam=0.1, mu1=[0.5, 1], mustar=0.3, kappa=[0.5, 2])
    assert name == "rf" and [lrn for _, lrn in learners] == [s.learner for s in grid]
    args.learner, args.mu1, args.mustar, args.kappa = "bayes", None, None, None
    assert learners_from_args(args, allow_bayes=True) == ("bayes", [])


def test_network_grid_gives_a_readout_network_once():
    from rafmodel.network import network_grid

    settings = network_grid(alpha=[1.0], eps=[0.2], lam=[0.1], kappa=[1.0, 2.0], loss="square",
                            train=["readout", "all"], scaling=["lazy", "mean-field"], steps=[10, 20])
    trains = [(s.learner.train, s.learner.kappa, s.learner.scaling, s.learner.steps) for s in settings]
    assert trains == [("readout", 1.0, "lazy", 10), ("readout", 2.0, "lazy", 10),
                      ("all", 1.0, "lazy", 10), ("all", 1.0, "lazy", 20),
                      ("all", 1.0, "mean-field", 10), ("all", 1.0, "mean-field", 20),
                      ("all", 2.0, "lazy", 10), ("all", 2.0, "lazy", 20),
                      ("all", 2.0, "mean-field", 10), ("all", 2.0, "mean-field", 20)]
    assert all(isinstance(s.learner, rm.Network) and s.loss.name == "square" for s in settings)


def test_simulate_to_file_names_the_parameter_it_is_given(tmp_path):
    from rafmodel.sweep import simulate_to_file

    s = rm.grid(alpha=1.0, eps=0.2, lam=0.1)
    with pytest.raises(ParameterError) as e:
        simulate_to_file(s, tmp_path / "x.txt", d=20, seeds=1, n_test=50)
    assert e.value.param == "path"
    (tmp_path / "old.csv").write_text("a,b\n1,2\n")
    with pytest.raises(ParameterError, match="^out: .* exists without its store"):
        simulate_to_file(s, tmp_path / "old.csv", d=20, seeds=1, n_test=50, name="out")
    df, computed, store = simulate_to_file(s, tmp_path / "new.csv", d=20, seeds=1, n_test=50)
    assert computed == 1 and store == str(tmp_path / "new.csv") + ".sqlite" and (tmp_path / "new.csv").exists()
    df, computed, _ = simulate_to_file(s, tmp_path / "new.csv", d=20, seeds=1, n_test=50)
    assert computed == 0 and len(df) == 1  # read back
