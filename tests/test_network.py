"""Trained two-layer networks (rafmodel.Network, train_network, raf network).

The readout mode is checked against the exact random-features theory with power
(the theory at kappa x 2 must be rejected by the same simulation), the gradients
against finite differences, determinism by seed, and memorization by a wide
network trained in full.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

import rafmodel as rm
from rafmodel import Network, ParameterError, Setting

from _extras import needs
from _power import Stat, check_with_power

jax = needs("jax", "optax")


def _stat(row, m, n):
    return Stat(row[m], row[f"{m}_se"], n=n)


@pytest.mark.parametrize("loss, act, kappa, lam", [("square", "relu", 1.0, 0.1), ("hinge", "tanh", 1.0, 0.1)])
def test_readout_matches_random_features_theory_with_power(loss, act, kappa, lam):
    alpha, eps, d, seeds, n_test = 2.0, 0.2, 100, 10, 4000
    s = Setting(alpha=alpha, eps=eps, lam=lam, loss=loss, learner=Network(kappa=kappa, activation=act))
    row = rm.train_network(s, d=d, seeds=seeds, n_test=n_test).to_records()[0]
    n = round(alpha * d)
    n_fact = round(eps * n) * seeds
    sim = {"gen_error": _stat(row, "gen_error", n_test * seeds), "mem_error": _stat(row, "mem_error", n_fact),
           "rule_error": _stat(row, "rule_error", n * seeds - n_fact)}
    rf = s.learner.random_features()
    theory = rm.solve(s.replace(learner=rf))
    wrong = rm.solve(s.replace(learner=rm.RandomFeatures.from_activation(act, kappa=2 * kappa)))
    assert row["gen_error_theory"] == pytest.approx(theory.gen_error)
    assert row["mem_error_theory"] == pytest.approx(theory.mem_error)
    check_with_power(theory, wrong, sim, what=f"network readout {loss} {act}", perturbation="kappa x 2")


def test_readout_is_the_random_features_simulation():
    # same seeds: the network's own forward pass gives the random-features learner's features
    s = Setting(alpha=1.5, eps=0.2, lam=0.05, loss="logistic", learner=Network(kappa=1.5, activation="erf"))
    row = rm.train_network(s, d=40, seeds=2, n_test=500, theory=False).to_records()[0]
    sim = rm.simulate(s.replace(learner=s.learner.random_features()), d=40, seeds=2, n_test=500)
    for m in ("gen_error", "mem_error", "rule_error"):
        assert row[m] == pytest.approx(sim.mean(m), abs=1e-12)
    assert row["device"] == "cpu" and row["steps"] == 0 and row["certificate"] < 1e-5


@pytest.mark.parametrize("loss", ["square", "logistic"])
@pytest.mark.parametrize("scaling", ["lazy", "mean-field"])
def test_gradient_matches_finite_differences(loss, scaling):
    from rafmodel.estimators.network import network_functions

    d, p, n = 7, 5, 9
    rng = np.random.default_rng(3)
    X, y = rng.standard_normal((n, d)), np.sign(rng.standard_normal(n))
    net = Network(kappa=p / d, activation="tanh", train="all", scaling=scaling)
    with jax.enable_x64(True):
        jnp = jax.numpy
        _, obj = network_functions(net, loss, 0.3, d, p, n)
        params = {"W": jnp.asarray(rng.standard_normal((p, d))), "a": jnp.asarray(rng.standard_normal(p))}
        g = jax.grad(obj)(params, jnp.asarray(X), jnp.asarray(y))
        h = 1e-6
        for key in ("W", "a"):
            base = np.asarray(params[key])
            num = np.zeros_like(base)
            for idx in np.ndindex(base.shape):
                e = np.zeros_like(base)
                e[idx] = h
                up = float(obj({**params, key: jnp.asarray(base + e)}, X, y))
                dn = float(obj({**params, key: jnp.asarray(base - e)}, X, y))
                num[idx] = (up - dn) / (2 * h)
            np.testing.assert_allclose(np.asarray(g[key]), num, rtol=1e-6, atol=1e-9)


def _small(**kw):
    net = dict(kappa=2.0, activation="relu", train="all", steps=60)
    net.update(kw)
    return Setting(alpha=1.0, eps=0.3, lam=0.01, loss="square", learner=Network(**net))


def test_determinism_by_seed():
    s = _small(optimizer="adam", lr=0.01)
    a = rm.train_network(s, d=20, seeds=2, n_test=300, seed=5)
    b = rm.train_network(s, d=20, seeds=2, n_test=300, seed=5)
    c = rm.train_network(s, d=20, seeds=2, n_test=300, seed=6)
    assert a.to_records() == b.to_records()
    assert a.curves.equals(b.curves)
    assert not np.allclose(a.curves["train_loss"], c.curves["train_loss"])


@pytest.mark.parametrize("scaling", ["lazy", "mean-field"])
def test_wide_network_memorizes_every_fact(scaling):
    # kappa = 8 well above alpha = 1 and lam small: every training point is fitted
    s = Setting(alpha=1.0, eps=0.3, lam=1e-4, loss="square",
                learner=Network(kappa=8.0, activation="relu", train="all", scaling=scaling, steps=400))
    res = rm.train_network(s, d=25, seeds=2, n_test=500, record_every=100)
    row = res.to_records()[0]
    assert row["mem_error"] == 0 and row["rule_error"] == 0 and row["failed"] == 0
    curves = res.curves
    assert list(curves["step"].unique()) == [0, 100, 200, 300, 400]
    first = curves[curves.step == 0].mem_error.mean()
    assert first > 0.2  # at initialization the facts are not known: training stored them
    assert curves.groupby("repetition").train_loss.last().max() < 0.05 * curves[curves.step == 0].train_loss.min()


def test_network_validation_and_repr():
    with pytest.raises(ParameterError, match="^train: must be one of readout, all"):
        Network(kappa=1.0, train="both")
    with pytest.raises(ParameterError, match="^kappa"):
        Network(kappa=0.0)
    with pytest.raises(ParameterError, match="^activation"):
        Network(kappa=1.0, activation="nope")
    with pytest.raises(ParameterError, match="^steps"):
        Network(kappa=1.0, steps=0)
    for flat in ("sign", "Step"):  # zero derivative: train="all" would leave the first layer unmoved
        with pytest.raises(ParameterError, match="^activation: .*zero derivative"):
            Network(kappa=1.0, activation=flat, train="all")
        assert Network(kappa=1.0, activation=flat).train == "readout"
    net = Network(kappa=2.0, activation="Tanh", train="ALL")
    assert net == Network(kappa=2.0, activation="tanh", train="all") and hash(net) == hash(eval(repr(net), vars(rm)))
    assert net != Network(kappa=2.0, activation="tanh", train="all", scaling="mean-field")
    with pytest.raises(ParameterError, match="^settings"):
        rm.train_network(Setting(alpha=1.0, eps=0.1, lam=0.1), d=10)
    with pytest.raises(ParameterError, match="^loss"):
        rm.train_network(_bad_loss_setting(net), d=10)


def _bad_loss_setting(net):
    class Quartic(rm.Square):
        name = "quartic"
    return Setting(alpha=1.0, eps=0.1, lam=0.1, loss=Quartic(), learner=net)


def test_gpu_requested_without_gpu():
    if jax.devices()[0].platform != "cpu":
        pytest.skip("a GPU is visible")
    s = Setting(alpha=1.0, eps=0.1, lam=0.1, learner=Network(kappa=1.0, device="gpu"))
    with pytest.raises(ParameterError, match="^device: gpu requested"):
        rm.train_network(s, d=10)


def test_missing_jax_says_how_to_install(monkeypatch):
    import builtins

    real = builtins.__import__

    def fake(name, *a, **k):
        if name.split(".")[0] in ("jax", "optax"):
            raise ImportError(name)
        return real(name, *a, **k)
    monkeypatch.setattr(builtins, "__import__", fake)
    s = Setting(alpha=1.0, eps=0.1, lam=0.1, learner=Network(kappa=1.0))
    with pytest.raises(ParameterError, match=r"rafmodel\[nn\]"):
        rm.simulate(s, d=10, seeds=1, n_test=10)


def test_cli_network(capsys, tmp_path):
    from rafmodel.cli import main

    curves = tmp_path / "c.csv"
    rc = main(["network", "--alpha", "1", "--eps", "0.2", "--kappa", "1,2", "--activation", "relu", "--loss",
               "square", "--lam", "0.1", "--train", "readout,all", "--d", "15", "--seeds", "2", "--steps", "20",
               "--n-test", "100", "--json", "--curves", str(curves)])
    assert rc == 0
    rows = json.loads(capsys.readouterr().out)
    assert len(rows) == 4
    for r in rows:
        for k in ("alpha", "eps", "lam", "kappa", "gen_error", "gen_error_se", "mem_error", "mem_error_se",
                  "rule_error", "rule_error_se", "train_loss", "steps", "device"):
            assert k in r
    readout = [r for r in rows if r["train"] == "readout"]
    for r in readout:  # the readout's theory: random features with the network's activation and kappa
        rf = rm.RandomFeatures.from_activation("relu", kappa=r["kappa"])
        th = rm.solve(Setting(alpha=1.0, eps=0.2, lam=0.1, loss="square", learner=rf))
        assert r["gen_error_theory"] == pytest.approx(th.gen_error, rel=1e-9)
        assert r["mem_error_theory"] == pytest.approx(th.mem_error, rel=1e-9, abs=1e-15)
    assert curves.read_text().startswith("point,repetition")
    assert main(["network", "--alpha", "1", "--eps", "0.2", "--kappa", "1", "--loss", "square", "--lam", "0.1",
                 "--steps", "0"]) == 2
    assert "steps: must be a positive integer" in capsys.readouterr().err
    assert main(["network", "--alpha", "1", "--eps", "0.2", "--kappa", "1", "--loss", "square", "--lam", "0.1",
                 "--scaling", "huge"]) == 2
