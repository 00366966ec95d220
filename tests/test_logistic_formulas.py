"""The logistic loss's formulas are written once (rafmodel._math.logistic) and serve both routes.

Checked against 30-digit arithmetic (mpmath), an independent route: the derivatives to full
relative precision in both tails, the proximal map to rounding for any ``V`` on both routes; and
the compiled functions (numba) against the numpy ones: the same source gives the same numbers.
"""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest

from rafmodel import Logistic
from rafmodel._math import logistic as formulas

mp = pytest.importorskip("mpmath", reason="the high-precision reference needs mpmath")
mp.mp.dps = 30


def _sig(x):
    return 1 / (1 + mp.exp(-mp.mpf(float(x))))


def test_derivatives_to_full_relative_precision_in_both_tails():
    x = np.concatenate([np.linspace(-700, 700, 281), np.linspace(-3, 3, 61), [-1e-300, 0.0, 1e-300]])
    d1, d2 = Logistic().derivatives(x)
    ref1 = np.array([float(-_sig(-v)) for v in x])
    ref2 = np.array([float(_sig(v) * _sig(-v)) for v in x])
    np.testing.assert_allclose(d1, ref1, rtol=5e-16, atol=0)  # a few ulp
    np.testing.assert_allclose(d2, ref2, rtol=8e-16, atol=0)
    # beyond the exponent range: no overflow, no nan, the right limits
    big = np.array([-1e6, -800.0, 800.0, 1e6])
    d1, d2 = Logistic().derivatives(big)
    np.testing.assert_array_equal(d1, [-1.0, -1.0, -0.0, -0.0])
    np.testing.assert_array_equal(d2, [0.0, 0.0, 0.0, 0.0])
    s = formulas.sigmoid(np.array([-40.0, 0.0, 40.0]))
    np.testing.assert_allclose(s, [float(_sig(-40.0)), 0.5, float(_sig(40.0))], rtol=5e-16)


@pytest.mark.parametrize("logV", [-4.0, 0.0, 4.0, 12.0, 40.0])
def test_prox_is_the_root_to_rounding_for_any_V(logV):
    # x = prox(u, V) solves f(x) = x - u - V sigmoid(-x) = 0; in 30 digits, its distance to the
    # root, f(x) / f'(x), is within the stopping rule's 1e-15 (1 + |x| + V sigmoid(-x)) on both
    # routes (numpy: safeguarded Newton from a Lambert-W start; compiled: plain Newton)
    rng = np.random.default_rng(int(logV) + 50)
    u = np.sort(rng.normal(0, 1, 22) * 10 ** rng.uniform(-2, 3, 22))
    V = 10.0 ** logV
    routes = {"numpy": Logistic().prox(u, V)}
    # plain Newton from the inflection point takes about log V steps (at most 100); the compiled
    # route needs numba (the 'fast' extra)
    if logV <= 12.0 and importlib.util.find_spec("numba") is not None:
        from rafmodel.theory import _numba_channel as nc

        routes["compiled"], done = np.empty(22), np.empty(22)
        nc._prox_all(u, V, routes["compiled"], done, 22)
        assert (done == 1.0).all()
    for route, x in routes.items():
        for xi, ui in zip(x, u):
            s, t = _sig(-xi), _sig(xi)
            dist = (mp.mpf(float(xi)) - mp.mpf(float(ui)) - V * s) / (1 + V * s * t)
            assert abs(float(dist)) <= 1.2e-15 * (1 + abs(xi) + V * float(s)), (route, ui, V, xi)


def test_the_compiled_formulas_are_the_numpy_formulas():
    pytest.importorskip("numba", reason="the compiled route needs numba (the 'fast' extra)")
    from numba import njit

    from rafmodel.theory import _numba_channel as nc
    from rafmodel.theory.maps._compile import compiled_module

    rng = np.random.default_rng(7)
    x = np.concatenate([rng.normal(0, 5, 200), rng.uniform(-700, 700, 50)])
    u = rng.normal(0, 1, x.size) * 10 ** rng.uniform(-2, 3, x.size)
    V = 10 ** rng.uniform(-4, 6, x.size)
    ref = (*formulas.derivatives(x), *formulas.newton(x, u, V), formulas.newton_start(u, V), *formulas.bracket(u, V))
    for ops in ((), (("exp", nc._exp),)):  # numba's exp, and the compiled channel's own
        f = compiled_module("rafmodel._math.logistic", ops)
        derivatives, newton, newton_start, bracket = f.derivatives, f.newton, f.newton_start, f.bracket

        @njit
        def run(x, u, V):
            out = np.empty((8, x.shape[0]))
            for i in range(x.shape[0]):
                d1, d2 = derivatives(x[i])
                res, step, tol = newton(x[i], u[i], V[i])
                lo, hi = bracket(u[i], V[i])
                out[0, i], out[1, i], out[2, i], out[3, i] = d1, d2, res, step
                out[4, i], out[5, i], out[6, i], out[7, i] = tol, newton_start(u[i], V[i]), lo, hi
            return out

        got = run(x, u, V)
        # a residual, a step and a bracket are sums of terms of either sign: to rounding of the terms
        scale = {2: np.abs(x) + np.abs(u) + V, 3: np.abs(x) + np.abs(u) + V, 6: np.abs(u) + V, 7: np.abs(u) + V}
        for k, r in enumerate(ref):
            atol = 4e-16 * scale[k] if k in scale else 1e-300
            bad = ~(np.abs(got[k] - r) <= 1e-15 * np.abs(r) + atol)
            assert not bad.any(), (k, ops, got[k][bad], r[bad])
