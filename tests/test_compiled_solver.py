"""The compiled route of the solver (numba): Owen's T against scipy and high precision, which
points it takes and gives back, its fallback, the logistic's coarse stage, and its numbers against
numba's cache.  That its map is the batch route's map is tests/test_routes.py."""

import sys

import numpy as np
import pytest
from scipy.special import owens_t

pytest.importorskip("numba", reason="the compiled route needs numba (a dependency of rafmodel: reinstall it)")

import rafmodel as rm  # noqa: E402
from rafmodel.exceptions import ParameterError  # noqa: E402
from rafmodel.theory import _compiled_solver as cs  # noqa: E402
from rafmodel.theory import backend  # noqa: E402
from rafmodel.theory.maps import learner_map  # noqa: E402
from rafmodel.theory.maps._compiled_ops import owens_t_array  # noqa: E402
from rafmodel.theory.solver import SolverOptions  # noqa: E402


def test_owens_t_matches_scipy():
    rng = np.random.default_rng(0)
    h = np.concatenate([rng.normal(0, 3, 20_000), rng.uniform(-40, 40, 5_000), [0.0, 0.0, 1e-300, 39.0]])
    a = np.concatenate([rng.normal(0, 1, 12_000), 10 ** rng.uniform(-6, 8, 13_000) * rng.choice([-1, 1], 13_000),
                        [0.0, 1.0, 1e7, -1.0]])
    got, ref = owens_t_array(h, a), owens_t(h, a)
    assert np.max(np.abs(got - ref)) < 2e-16


def test_owens_t_is_accurate_relative_to_high_precision():
    # relative accuracy where the integral is done directly (|a| <= 1): against 30-digit
    # quadrature (scipy itself is off by up to 2e-11 relative at small a, h about 5)
    mp = pytest.importorskip("mpmath")
    mp.mp.dps = 25
    rng = np.random.default_rng(3)
    h = np.concatenate([rng.uniform(-38, 38, 15), rng.normal(0, 2, 15), [5.4, 31.5]])
    a = np.concatenate([rng.uniform(-1, 1, 15), 10 ** rng.uniform(-7, 0, 15), [1.4e-6, 0.488]])
    got = owens_t_array(h, a)
    for hi, ai, gi in zip(h, a, got):
        H, A = mp.mpf(hi), mp.mpf(ai)
        exact = mp.sign(A) * mp.quad(lambda x: mp.exp(-H * H * (1 + x * x) / 2) / (1 + x * x),
                                     mp.linspace(0, abs(A), 30)) / (2 * mp.pi)
        if exact != 0:
            assert abs(gi / float(exact) - 1) < 1e-13, (hi, ai)


def _grid(learner, loss):
    params = {"Linear": {}, "Kernel": dict(mu1=0.5, mustar=0.5),
              "RandomFeatures": dict(kappa=2.0, mu1=0.5, mustar=0.5)}[learner]
    name = {"Linear": "linear", "Kernel": "kernel", "RandomFeatures": "rf"}[learner]
    return rm.grid(learner=name, loss=loss.lower(), alpha=np.linspace(0.5, 10, 6), eps=[0.0, 0.3],
                   lam=np.geomspace(1e-3, 10, 5), **params)


def test_compiled_route_is_taken_for_every_point_and_batch_independent(monkeypatch):
    S = _grid("Kernel", "Hinge")
    calls = []
    real = cs.solve_points
    monkeypatch.setattr(cs, "solve_points", lambda *a: calls.append(len(a[2])) or real(*a))
    res = rm.solve_many(S, warn=False, backend="compiled")
    assert calls == [len(S)]
    for i in (0, 7, len(S) - 1):  # one point alone: the same numbers, bit for bit (rm.solve too)
        one = rm.solve_many(S[i:i + 1], warn=False, backend="compiled")
        assert one.q[0] == res.q[i] and one.gen_error[0] == res.gen_error[i]
        assert rm.solve(S[i], backend="compiled").q == res.q[i]
    rev = rm.solve_many(S[::-1], warn=False, backend="compiled")
    np.testing.assert_array_equal(rev.q[::-1], res.q)
    calls.clear()
    rm.solve_many(S, warn=False, backend="numpy")  # the numpy route never calls it
    assert calls == []


def test_the_default_route_is_compiled_unless_switched_off(monkeypatch):
    monkeypatch.delenv("RAFMODEL_NUMBA", raising=False)
    assert backend.resolve("auto") == "compiled"
    assert backend.resolve("numpy") == "numpy"
    monkeypatch.setenv("RAFMODEL_NUMBA", "0")
    assert backend.resolve("auto") == "numpy"
    assert backend.resolve("compiled") == "compiled"  # an explicit request is honoured


def test_compiled_route_leaves_hard_points_to_the_batch_solver():
    # two iterations are not enough for most points: the compiled route gives them back, and the
    # batch solver reports them unconverged (nan), never the compiled route's last iterate
    S = _grid("Linear", "Hinge")
    res = rm.solve_many(S, warn=False, max_iter=2, backend="compiled")
    bad = ~res.converged
    assert bad.sum() > len(S) // 2
    assert np.isnan(res.q[bad]).all() and np.isnan(res.gen_error[bad]).all()
    assert (res.residual[~bad] < 1e-11).all() and (res.iterations[~bad] <= 2).all()
    # the max-margin (lam = 0) points near the interpolation threshold are the batch solver's
    # (continuation); they are still solved
    S0 = rm.grid(learner="linear", loss="hinge", alpha=[0.5, 1.0, 1.5], eps=0.2, lam=0.0)
    r0 = rm.solve_many(S0, backend="compiled")
    assert r0.converged.all()
    B = len(S0)
    y0 = np.zeros((B, 3))
    final, it, _ = cs.solve_points(learner_map(rm.Linear()), rm.Hinge(), y0, np.array([0.5, 1.0, 1.5]),
                                   np.full(B, 0.2), np.ones(B), np.ones(B, bool), {}, SolverOptions(max_iter=1))
    assert (it == 0).all() and np.isnan(final).all()


def test_which_losses_the_compiled_route_takes():
    class MyHinge(rm.Hinge):  # a subclass shares its base's map (both routes)
        pass

    class MyLogistic(rm.Logistic):  # the compiled quadrature is the logistic's own
        pass

    lmap = learner_map(rm.Kernel(mu1=0.5, mustar=0.5))
    opts = SolverOptions()
    assert cs.compiled_for(lmap, rm.Hinge(), opts) and cs.compiled_for(lmap, MyHinge(), opts)
    assert cs.compiled_for(lmap, rm.Logistic(), opts)
    assert not cs.compiled_for(lmap, MyLogistic(), opts)
    assert cs.compiled_for(lmap, rm.Logistic(), SolverOptions(method="quadrature"))
    assert not cs.compiled_for(lmap, rm.Logistic(), SolverOptions(method="closed"))
    assert not cs.compiled_for(lmap, rm.Hinge(), SolverOptions(method="quadrature"))


def test_a_numba_that_cannot_compile_falls_back_with_a_warning(monkeypatch):
    from _numba import break_module

    break_module(monkeypatch, "rafmodel.theory._compiled_solver")
    monkeypatch.setattr(backend, "_STATE", [])
    S = _grid("Linear", "Square")[:4]
    with pytest.warns(RuntimeWarning, match="compiled route is unavailable"):
        res = rm.solve_many(S, warn=False)
    assert res.converged.all()
    with pytest.raises(ParameterError, match="backend"):  # asked for by name: refused, before any work
        rm.solve_many(S, warn=False, backend="compiled")


def test_logistic_converges_on_the_full_rule():
    # the coarse stage (6 nodes a piece) only starts the iteration: at every reported fixed point
    # one more map evaluation by the full rule moves the coordinates by about the tolerance, while
    # the coarse map would move them by far more (power: the criterion is the full rule's)
    lmap = learner_map(rm.Linear())
    S = rm.grid(learner="linear", loss="logistic", alpha=[0.5, 2.0, 8.0], eps=[0.0, 0.3], lam=[1e-3, 0.1, 10.0])
    res = rm.solve_many(S, backend="compiled")
    assert res.converged.all()
    full, coarse = [], []
    for r, s in zip(res, S):
        y = lmap.encode([np.array([r.m]), np.array([r.q]), np.array([r.V])])[0]
        for out, c in ((full, False), (coarse, True)):
            state = cs.point_map(lmap, rm.Logistic(), y, s.alpha, s.eps, s.lam, False, {}, coarse=c)[:3]
            out.append(np.max(np.abs(lmap.encode([np.array([v]) for v in state])[0] - y)))
    assert max(full) < 1e-10
    assert max(coarse) > 1e-8


_FINGERPRINT = """
import numpy as np, rafmodel as rm
out = []
for learner, params, loss in (("rf", dict(kappa=2.0, mu1=0.5, mustar=0.5), "hinge"),
                              ("kernel", dict(mu1=0.5, mustar=0.5), "logistic")):
    if True:
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
