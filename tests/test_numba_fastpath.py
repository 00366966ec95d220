"""The compiled fast path (numba, the ``fast`` extra): Owen's T against scipy, the compiled map
against the learners and closed forms it restates, and its fixed points against the Python
routes."""

import sys

import numpy as np
import pytest
from scipy.special import owens_t

pytest.importorskip("numba", reason="the compiled fast path needs numba (pip install 'rafmodel[fast]')")

import rafmodel as rm  # noqa: E402
from rafmodel.theory import _numba_fastpath as nf  # noqa: E402
from rafmodel.theory import fastpath  # noqa: E402
from rafmodel.theory.solver import SolverOptions, _map  # noqa: E402

LEARNERS = {"Linear": rm.Linear(), "Kernel": rm.Kernel(mu1=0.5, mustar=0.5),
            "RandomFeatures": rm.RandomFeatures(kappa=2.0, mu1=0.5, mustar=0.5)}
PAIRS = [(ln, lo) for ln in LEARNERS for lo in ("Square", "Hinge", "Logistic")]
channel_module = sys.modules["rafmodel.theory.channel"]


def test_owens_t_matches_scipy():
    rng = np.random.default_rng(0)
    h = np.concatenate([rng.normal(0, 3, 20_000), rng.uniform(-40, 40, 5_000), [0.0, 0.0, 1e-300, 39.0]])
    a = np.concatenate([rng.normal(0, 1, 12_000), 10 ** rng.uniform(-6, 8, 13_000) * rng.choice([-1, 1], 13_000),
                        [0.0, 1.0, 1e7, -1.0]])
    got, ref = nf.owens_t(h, a), owens_t(h, a)
    assert np.max(np.abs(got - ref)) < 2e-16


def test_owens_t_is_accurate_relative_to_high_precision():
    # relative accuracy where the integral is done directly (|a| <= 1): against 30-digit
    # quadrature (scipy itself is off by up to 2e-11 relative at small a, h about 5)
    mp = pytest.importorskip("mpmath")
    mp.mp.dps = 25
    rng = np.random.default_rng(3)
    h = np.concatenate([rng.uniform(-38, 38, 15), rng.normal(0, 2, 15), [5.4, 31.5]])
    a = np.concatenate([rng.uniform(-1, 1, 15), 10 ** rng.uniform(-7, 0, 15), [1.4e-6, 0.488]])
    got = nf.owens_t(h, a)
    for hi, ai, gi in zip(h, a, got):
        H, A = mp.mpf(hi), mp.mpf(ai)
        exact = mp.sign(A) * mp.quad(lambda x: mp.exp(-H * H * (1 + x * x) / 2) / (1 + x * x),
                                     mp.linspace(0, abs(A), 30)) / (2 * mp.pi)
        if exact != 0:
            assert abs(gi / float(exact) - 1) < 1e-13, (hi, ai)


def _random_points(rng, K, n, limit):
    for _ in range(n):
        yield (rng.normal(0, 1.5, K), rng.uniform(0.2, 10), rng.uniform(0, 0.9),
               1.0 if limit else 10 ** rng.uniform(-4, 1))


def _python_map(learner, loss, y, a, eps, lam, limit):
    P = {k: np.array([float(getattr(learner, k))]) for k in learner.param_names}
    out = _map(learner, loss, y[None], np.array([a]), np.array([eps]), np.array([lam]), np.array([limit]), P,
               SolverOptions())
    return np.array([o[0] for o in out])


def _params(learner):
    return [float(getattr(learner, k, d)) for k, d in (("mu1", 1.0), ("mustar", 0.0), ("kappa", 1.0))]


# (the logistic's interpolating limit is left to the batch solver)
@pytest.mark.parametrize("learner_name, loss_name, limit",
                         [(ln, lo, lim) for ln, lo in PAIRS for lim in (False, True) if not (lo == "Logistic" and lim)])
def test_compiled_map_is_the_learners_and_channels(learner_name, loss_name, limit, monkeypatch):
    monkeypatch.setattr(channel_module, "_KERNEL", [None])  # the reference: the numpy route of every channel
    learner, loss = LEARNERS[learner_name], getattr(rm, loss_name)()
    rng = np.random.default_rng(1)
    K = len(learner.state_names)
    worst = 0.0
    for y, a, eps, lam in _random_points(rng, K, 200, limit):
        ref = _python_map(learner, loss, y, a, eps, lam, limit)
        got = np.concatenate(nf.point_map(learner, loss, y, a, eps, lam, limit, _params(learner)))
        np.testing.assert_array_equal(np.isfinite(got), np.isfinite(ref))
        fin = np.isfinite(ref)
        worst = max(worst, np.max(np.abs(got[fin] - ref[fin]) / np.maximum(np.abs(ref[fin]), 1e-300)))
    # rounding, amplified where the hinge's closed form takes differences (1e-13 seen); the
    # logistic's compiled channel differs from numpy's by its own exp and Phi (1e-15)
    assert worst < 1e-11
    # power: the same comparison at a slightly different fact fraction fails
    y, a, eps, lam = next(_random_points(np.random.default_rng(2), K, 1, limit))
    ref = _python_map(learner, loss, y, a, eps, lam, limit)
    got = np.concatenate(nf.point_map(learner, loss, y, a, eps + 1e-8, lam, limit, _params(learner)))
    assert np.max(np.abs(got - ref) / np.abs(ref)) > 1e-11


def _grid(learner, loss):
    params = {"Linear": {}, "Kernel": {"mu1": 0.5, "mustar": 0.5},
              "RandomFeatures": {"kappa": 2.0, "mu1": 0.5, "mustar": 0.5}}[learner]
    name = {"Linear": "linear", "Kernel": "kernel", "RandomFeatures": "rf"}[learner]
    return rm.grid(learner=name, loss=loss.lower(), alpha=np.linspace(0.5, 10, 6), eps=[0.0, 0.3],
                   lam=np.geomspace(1e-3, 10, 5), **params)


@pytest.mark.parametrize("learner_name, loss_name", PAIRS)
def test_compiled_fixed_points_are_the_python_routes(learner_name, loss_name, monkeypatch):
    S = _grid(learner_name, loss_name)
    monkeypatch.setattr(fastpath, "_COMPILED", [])
    monkeypatch.delenv("RAFMODEL_NUMBA", raising=False)
    fast = rm.solve_many(S, warn=False)
    monkeypatch.setattr(fastpath, "_COMPILED", [None])  # the Python routes (batch solver)
    slow = rm.solve_many(S, warn=False)
    assert fast.converged.all() and slow.converged.all()
    for name in ("m", "q", "V", "gen_error", "mem_error", "rule_error"):
        a, b = getattr(fast, name), getattr(slow, name)
        # both stop when a map step moves the coordinates by < 1e-11: the fixed points agree to
        # about that over (1 - contraction)
        np.testing.assert_allclose(a, b, rtol=1e-8, atol=1e-10, err_msg=name)


def test_compiled_route_is_taken_for_every_point_and_batch_independent(monkeypatch):
    monkeypatch.setattr(fastpath, "_COMPILED", [])
    monkeypatch.delenv("RAFMODEL_NUMBA", raising=False)
    S = _grid("Kernel", "Hinge")
    calls = []
    real = nf.solve_points
    monkeypatch.setattr(fastpath, "_COMPILED", [lambda *a: calls.append(len(a[2])) or real(*a)])
    res = rm.solve_many(S, warn=False)
    assert calls == [len(S)]
    for i in (0, 7, len(S) - 1):  # one point alone: the same numbers, bit for bit (rm.solve too)
        one = rm.solve_many(S[i:i + 1], warn=False)
        assert one.q[0] == res.q[i] and one.gen_error[0] == res.gen_error[i]
        assert rm.solve(S[i]).q == res.q[i]
    rev = rm.solve_many(S[::-1], warn=False)
    np.testing.assert_array_equal(rev.q[::-1], res.q)


def test_compiled_route_leaves_hard_points_to_the_batch_solver(monkeypatch):
    monkeypatch.setattr(fastpath, "_COMPILED", [])
    monkeypatch.delenv("RAFMODEL_NUMBA", raising=False)
    # two iterations are not enough for most points: the compiled route gives them back, and the
    # batch solver reports them unconverged (nan), never the compiled route's last iterate
    S = _grid("Linear", "Hinge")
    res = rm.solve_many(S, warn=False, max_iter=2)
    bad = ~res.converged
    assert bad.sum() > len(S) // 2
    assert np.isnan(res.q[bad]).all() and np.isnan(res.gen_error[bad]).all()
    assert (res.residual[~bad] < 1e-11).all() and (res.iterations[~bad] <= 2).all()
    # the max-margin (lam = 0) points near the interpolation threshold are the batch solver's
    # (continuation); they are still solved
    S0 = rm.grid(learner="linear", loss="hinge", alpha=[0.5, 1.0, 1.5], eps=0.2, lam=0.0)
    r0 = rm.solve_many(S0)
    assert r0.converged.all()
    B = len(S0)
    y0 = np.zeros((B, 3))
    final, it, _ = nf.solve_points(rm.Linear(), rm.Hinge(), y0, np.array([0.5, 1.0, 1.5]), np.full(B, 0.2),
                                   np.ones(B), np.ones(B, bool), {}, SolverOptions(max_iter=1))
    assert (it == 0).all() and np.isnan(final).all()


def test_compiled_route_is_for_the_built_in_types_only(monkeypatch):
    monkeypatch.setattr(fastpath, "_COMPILED", [])
    monkeypatch.delenv("RAFMODEL_NUMBA", raising=False)
    opts = SolverOptions()

    class MyHinge(rm.Hinge):
        pass

    kernel = LEARNERS["Kernel"]
    assert fastpath.compiled(kernel, rm.Hinge(), opts) is nf.solve_points
    assert fastpath.compiled(kernel, MyHinge(), opts) is None
    assert fastpath.compiled(kernel, rm.Logistic(), opts) is nf.solve_points
    assert fastpath.compiled(kernel, rm.Logistic(), SolverOptions(method="quadrature")) is nf.solve_points
    assert fastpath.compiled(kernel, rm.Logistic(), SolverOptions(method="closed")) is None
    assert fastpath.compiled(kernel, rm.Hinge(), SolverOptions(method="quadrature")) is None
    monkeypatch.setattr(fastpath, "_COMPILED", [])
    monkeypatch.setenv("RAFMODEL_NUMBA", "0")
    assert fastpath.compiled(kernel, rm.Hinge(), opts) is None


def test_a_numba_that_cannot_compile_falls_back_with_a_warning(monkeypatch):
    from _numba import break_module

    break_module(monkeypatch, "rafmodel.theory._numba_fastpath")
    monkeypatch.setattr(fastpath, "_COMPILED", [])
    S = _grid("Linear", "Square")[:4]
    with pytest.warns(RuntimeWarning, match="compiled fast path is unavailable"):
        res = rm.solve_many(S, warn=False)
    assert res.converged.all()


def test_logistic_converges_on_the_full_rule(monkeypatch):
    # the coarse stage (6 nodes a piece) only starts the iteration: at every reported fixed point
    # one more map evaluation by the full rule moves the coordinates by about the tolerance, while
    # the coarse map would move them by far more (power: the criterion is the full rule's)
    monkeypatch.setattr(fastpath, "_COMPILED", [])
    monkeypatch.delenv("RAFMODEL_NUMBA", raising=False)
    learner = LEARNERS["Linear"]
    S = rm.grid(learner="linear", loss="logistic", alpha=[0.5, 2.0, 8.0], eps=[0.0, 0.3], lam=[1e-3, 0.1, 10.0])
    res = rm.solve_many(S)
    assert res.converged.all()
    full, coarse = [], []
    for r, s in zip(res, S):
        y = learner.encode([np.array([r.m]), np.array([r.q]), np.array([r.V])])[0]
        for out, c in ((full, False), (coarse, True)):
            state, _ = nf.point_map(learner, rm.Logistic(), y, s.alpha, s.eps, s.lam, False, _params(learner),
                                    coarse=c)
            out.append(np.max(np.abs(learner.encode([np.array([v]) for v in state])[0] - y)))
    assert max(full) < 1e-10
    assert max(coarse) > 1e-8


_FINGERPRINT = """
import numpy as np, rafmodel as rm
out = []
for learner, params in (("rf", dict(kappa=2.0, mu1=0.5, mustar=0.5)), ("kernel", dict(mu1=0.5, mustar=0.5))):
    for loss in ("hinge", "logistic"):
        r = rm.solve_many(rm.grid(learner=learner, loss=loss, alpha=[0.5, 2.0, 8.0], eps=[0.0, 0.3],
                                  lam=[1e-3, 0.1, 10.0], **params))
        out += [float(v).hex() for v in np.concatenate([r.m, r.q, r.V])]
print(" ".join(out))
"""


def test_numbers_do_not_depend_on_numbas_cache(tmp_path):
    # the first process compiles (and writes the cache), the second loads the cache: the same
    # numbers, bit for bit (with fused multiply-adds they were 1e-14 apart on random features)
    import os
    import subprocess

    env = {**os.environ, "NUMBA_CACHE_DIR": str(tmp_path), "RAFMODEL_NUMBA": "1"}
    runs = [subprocess.run([sys.executable, "-c", _FINGERPRINT], env=env, capture_output=True, text=True,
                           check=True, timeout=600).stdout for _ in range(2)]
    assert any(tmp_path.rglob("*.nbi")), "the first process wrote no cache"
    assert runs[0] and runs[0] == runs[1]
