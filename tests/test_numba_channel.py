"""The compiled logistic channel (numba, the ``fast`` extra): its elementary functions against
numpy and scipy, and the channel against the numpy route and docs/theory.md's integrals."""

import sys

import numpy as np
import pytest
from numpy.polynomial import chebyshev
from scipy.special import erfcx, ndtr

pytest.importorskip("numba", reason="the compiled logistic channel needs numba (pip install 'rafmodel[fast]')")

from rafmodel.losses import Logistic  # noqa: E402
from rafmodel.theory import _numba_channel as nc  # noqa: E402
from rafmodel.theory.channel import _channel_smooth, channel_quadrature  # noqa: E402

channel_module = sys.modules["rafmodel.theory.channel"]


def test_exp_is_within_one_ulp():
    rng = np.random.default_rng(0)
    x = np.concatenate([np.linspace(-708.0, 709.0, 400_001), rng.normal(0, 3, 100_000), [0.0, 1e-300, -1e-300]])
    got, ref = nc.exp_kernel(x), np.exp(x)
    assert np.max(np.abs(got - ref) / np.spacing(ref)) <= 1.0
    tails = nc.exp_kernel(np.array([-708.5, -1e4, -np.inf, np.nan]))
    assert tails[:3].tolist() == [0.0, 0.0, 0.0] and np.isnan(tails[3])


def test_phi_matches_scipy():
    t = np.linspace(-9.5, 9.5, 400_001)
    assert np.max(np.abs(nc.ndtr_kernel(t) - ndtr(t))) < 3e-15
    # in the lower tail, relative
    y = np.linspace(0.0, 9.5, 10_001)
    assert np.max(np.abs(nc.ndtr_kernel(-y) / ndtr(-y) - 1)) < 1e-13


def test_phi_coefficients_are_the_fit():
    # the literal coefficients are numpy's Chebyshev interpolant of erfcx in tau (refitted here)
    tmin = nc.TAU_MIN
    assert tmin == pytest.approx(2.0 / (2.0 + 9.5 / np.sqrt(2.0)), rel=1e-15)

    def G(s):
        tau = 0.5 * (s * (1.0 - tmin) + (1.0 + tmin))
        return erfcx(2.0 / tau - 2.0) / tau

    fit = chebyshev.chebinterpolate(G, len(nc._CHEB) - 1)
    np.testing.assert_allclose(fit, nc._CHEB, rtol=0, atol=1e-16)
    np.testing.assert_allclose(chebyshev.cheb2poly(fit), nc._POWER, rtol=0, atol=1e-16)


def _points(seed, B):
    """Channel inputs over wide ranges: log-uniform q and V, m / sqrt(q) up to 0.9999, any eps."""
    rng = np.random.default_rng(seed)
    q = 10 ** rng.uniform(-4, 4, B)
    m = np.sqrt(q) * rng.uniform(-0.9999, 0.9999, B)
    return m, q, 10 ** rng.uniform(-3, 4, B), rng.uniform(0, 1, B)


def test_compiled_matches_the_numpy_route():
    m, q, V, eps = _points(1, 3000)
    ours = np.array(nc.logistic_channel(m, q, V, eps, *_rule_args()))
    ref = np.array(_channel_smooth(Logistic(), m, q, V, eps, 12))
    np.testing.assert_allclose(ours, ref, rtol=1e-13, atol=1e-300)


def _rule_args(n_nodes=12):
    from rafmodel._math.quadrature import FIXED_EDGES, XMAX, legendre_unit

    t, wt = legendre_unit(n_nodes)
    loss = Logistic()
    return t, wt, FIXED_EDGES, channel_module._KERNEL_BREAKS, XMAX, loss.prox_panel, loss.prox_support


def test_each_backend_takes_its_route(monkeypatch):
    # the numpy route is _channel_smooth, the compiled route never calls it; both give the same
    m, q, V, eps = _points(2, 50)
    calls = []
    monkeypatch.setattr(channel_module, "_channel_smooth", lambda *a: calls.append(1) or _channel_smooth(*a))
    fast = np.array(channel_quadrature(Logistic(), m, q, V, eps, backend="compiled"))
    assert calls == []
    slow = np.array(channel_quadrature(Logistic(), m, q, V, eps, backend="numpy"))
    assert len(calls) == 1
    np.testing.assert_allclose(fast, slow, rtol=1e-13)


def test_a_bad_input_gives_nan_and_leaves_the_others():
    m, q, V, eps = (a.copy() for a in _points(3, 6))
    q[1], V[2], m[3], eps[4] = -1.0, 0.0, np.nan, np.inf
    out = np.array(nc.logistic_channel(m, q, V, eps, *_rule_args()))
    assert np.isnan(out[:, 1:5]).all() and np.isfinite(out[:, [0, 5]]).all()
    ref = np.array(_channel_smooth(Logistic(), m[[0, 5]], q[[0, 5]], V[[0, 5]], eps[[0, 5]], 12))
    np.testing.assert_allclose(out[:, [0, 5]], ref, rtol=1e-13)


def test_prox_at_the_edges_matches_the_loss():
    # monotone Newton from the inflection point against Logistic.prox (safeguarded, Lambert start)
    rng = np.random.default_rng(4)
    for V in 10 ** rng.uniform(-4, 4, 40):
        U = np.sort(rng.normal(0, 1, 22) * 10 ** rng.uniform(-2, 3))
        X, done = np.empty(22), np.empty(22)
        nc._prox_all(U, V, X, done, 22)
        assert (done == 1.0).all()
        ref = Logistic().prox(U, V)
        assert np.all(np.abs(X - ref) <= 4e-15 * (1 + np.abs(ref) + V))


def test_a_numba_that_cannot_compile_falls_back_with_a_warning(monkeypatch):
    # e.g. numba's cache has no writable place: RuntimeError when the kernel module is imported
    from _numba import break_module

    from rafmodel.theory import backend

    break_module(monkeypatch, "rafmodel.theory._compiled_solver")
    monkeypatch.setattr(backend, "_STATE", [])
    m, q, V, eps = _points(6, 5)
    with pytest.warns(RuntimeWarning, match="compiled route is unavailable"):
        out = np.array(channel_quadrature(Logistic(), m, q, V, eps, backend="auto"))
    np.testing.assert_array_equal(out, np.array(_channel_smooth(Logistic(), m, q, V, eps, 12)))
