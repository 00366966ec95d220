"""Channel: closed forms against the generic quadrature route and the literal docs/theory.md integrals."""

import sys
from functools import lru_cache

import numpy as np
import pytest
from scipy import integrate
from scipy.stats import norm

from rafmodel.losses import Hinge, Logistic, Loss, Square, get_loss
from rafmodel.theory.channel import channel, channel_quadrature

POINTS = [  # (m, q, V, eps)
    (0.3, 1.0, 0.5, 0.2), (0.9, 1.0, 2.0, 0.0), (0.0, 0.5, 1.0, 1.0),
    (0.5, 2.0, 0.1, 0.5), (0.99, 1.0, 0.3, 0.1), (-0.2, 0.3, 5.0, 0.7), (3.0, 9.5, 0.05, 0.3),
]


@pytest.fixture(params=["compiled", "numpy"])
def route(request, monkeypatch):
    """The logistic channel's two routes: compiled (numba; skipped where absent) and numpy."""
    if request.param == "compiled":
        pytest.importorskip("numba", reason="the compiled logistic channel needs numba")
    return request.param


def literal_channel(loss, m, q, V, eps, limit):
    """docs/theory.md section 3 verbatim: sums over y with Z0, dZ0, adaptive quadrature in xi."""
    V0 = 1 - m * m / q

    def P(y, om):
        return y * (loss.prox_limit(y * om) if limit else loss.prox(y * om, V))

    def dP(y, om):
        return loss.dprox_limit(y * om) if limit else loss.dprox(y * om, V)

    def f(xi, which):
        om, w0 = np.sqrt(q) * xi, m / np.sqrt(q) * xi
        tot = 0.0
        for y in (1, -1):
            Z0 = (1 - eps) * norm.cdf(y * w0 / np.sqrt(V0)) + eps / 2
            dZ0 = (1 - eps) * y * norm.pdf(w0 / np.sqrt(V0)) / np.sqrt(V0)
            g = (P(y, om) - om) / V
            dg = (dP(y, om) - 1) / V
            tot += {"m": dZ0 * g, "q": Z0 * g * g, "v": -Z0 * dg}[which]
        return float(tot) * norm.pdf(xi)

    pts = sorted({s / np.sqrt(q) * b for s in (1, -1) for b in (1.0, 1.0 - V)} | {0.0})
    pts = [p for p in pts if -12 < p < 12]
    return tuple(integrate.quad(f, -12, 12, args=(w,), points=pts, limit=500,
                                epsabs=1e-12, epsrel=1e-11)[0] for w in "mqv")


@pytest.mark.parametrize("loss", [Square(), Hinge()])
@pytest.mark.parametrize("limit", [False, True])
def test_closed_form_matches_quadrature(loss, limit):
    m, q, V, eps = (np.array(c) for c in zip(*POINTS))
    closed = np.array(channel(loss, m, q, V, eps, limit=limit, method="closed"))
    quad = np.array(channel_quadrature(loss, m, q, V, eps, limit=limit))
    np.testing.assert_allclose(closed, quad, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("loss", [Square(), Hinge(), Logistic()])
@pytest.mark.parametrize("limit", [False, True])
@pytest.mark.parametrize("point", POINTS[:5])
def test_channel_matches_literal_theory(loss, limit, point):
    m, q, V, eps = point
    ours = np.array(channel(loss, *(np.array([x]) for x in point), limit=limit))[:, 0]
    ref = np.array(literal_channel(loss, m, q, V, eps, limit))
    np.testing.assert_allclose(ours, ref, rtol=1e-7, atol=1e-9)


def test_quadrature_converges_with_nodes(route):
    m, q, V, eps = (np.array(c) for c in zip(*POINTS))
    lo = np.array(channel_quadrature(Logistic(), m, q, V, eps, n_nodes=12, backend=route))
    hi = np.array(channel_quadrature(Logistic(), m, q, V, eps, n_nodes=40, backend=route))
    np.testing.assert_allclose(lo, hi, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("loss", [Square(), Hinge(), Logistic()])
def test_prox_is_the_minimizer(loss):
    # the proximal map minimizes l(h) + (h-u)^2/(2V): compare with a fine grid search
    rng = np.random.default_rng(0)
    for u, V in zip(rng.normal(0, 2, 20), np.exp(rng.normal(0, 1, 20))):
        hs = np.linspace(u - 3 * V - 5, u + 3 * V + 5, 400001)
        obj = loss.value(1.0, hs) + (hs - u) ** 2 / (2 * V)
        assert loss.prox(np.array(u), V) == pytest.approx(hs[np.argmin(obj)], abs=1e-4)
        # derivative by finite differences
        d = (loss.prox(np.array(u + 1e-6), V) - loss.prox(np.array(u - 1e-6), V)) / 2e-6
        if not any(abs(u - k) < 1e-3 for k in (1.0, 1.0 - V)):
            assert loss.dprox(np.array(u), V) == pytest.approx(d, abs=1e-5)


def test_logistic_derivatives_and_inverse_prox():
    # ell', ell'' against differences of the value, to full relative precision in both tails, and
    # prox_inverse (built on them) inverts prox
    loss = Logistic()
    x = np.concatenate([np.linspace(-30, 30, 601), [-700.0, 700.0]])
    d1, d2 = loss.derivatives(x)
    h = 1e-5
    mid = np.abs(x) < 30
    fd1 = (loss.value(1.0, x + h) - loss.value(1.0, x - h)) / (2 * h)
    np.testing.assert_allclose(d1[mid], fd1[mid], rtol=1e-6, atol=1e-12)
    near = np.abs(x) < 10
    fd2 = (loss.derivatives(x[near] + h)[0] - loss.derivatives(x[near] - h)[0]) / (2 * h)
    np.testing.assert_allclose(d2[near], fd2, rtol=1e-5)
    # the tails: ell'(x) -> -e^(-x) for x >> 0, ell''(x) -> e^(-|x|), both relative
    np.testing.assert_allclose(d1[x >= 20], -np.exp(-x[x >= 20]), rtol=1e-8)
    np.testing.assert_allclose(d2[np.abs(x) >= 20], np.exp(-np.abs(x[np.abs(x) >= 20])), rtol=1e-8)
    for V in (1e-3, 1.0, 300.0):
        u = np.linspace(-20, 20, 41)
        back, dudx = loss.prox_inverse(loss.prox(u, V), V)
        np.testing.assert_allclose(back, u, rtol=0, atol=1e-12 * (1 + V))
        np.testing.assert_allclose(1.0 / dudx, loss.dprox(u, V), rtol=1e-12)


def test_get_loss():
    assert isinstance(get_loss("HINGE"), Hinge)
    sq = Square()
    assert get_loss(sq) is sq
    with pytest.raises(ValueError, match="loss: unknown loss 'ramp'; allowed: hinge, logistic, square"):
        get_loss("ramp")
    assert isinstance(Square(), Loss)


#: Large q (long logistic weights at small lam): ell'' varies over a width ~1/sqrt(q) of xi;
#: large V (small lam) as well: the rule's panels must be cut to the width of ell''s features
#: in the proximal point, where those of the Gaussian variable are wider.
LARGE_Q = [(10.0, 200.0, 0.01, 0.2), (-5.0, 500.0, 3.0, 0.5), (12.0, 150.0, 1e-3, 0.3), (20.0, 900.0, 30.0, 0.1),
           (-0.1915 * 9210 ** 0.5, 9210.0, 4.98, 0.2), (0.9027 * 15.8 ** 0.5, 15.8, 1090.0, 0.2),
           (0.515 * 4250 ** 0.5, 4250.0, 3350.0, 0.3), (0.9274 * 0.383 ** 0.5, 0.383, 2570.0, 0.1),
           (0.5911 * 7830 ** 0.5, 7830.0, 4430.0, 0.5), (0.9014 * 19.7 ** 0.5, 19.7, 2680.0, 0.2),
           (0.3329 * 3040 ** 0.5, 3040.0, 219.0, 0.2)]


@pytest.mark.parametrize("point", LARGE_Q)
def test_logistic_channel_is_accurate_at_large_q_and_V(route, point):
    # The default rule integrates over the proximal point (explicit inverse prox) on the
    # Gaussian panels cut to Logistic.prox_panel; the reference is docs/theory.md's integrals by
    # adaptive quadrature with the root-finding prox.  0.2 (margin variable) was off by up to
    # 1e-3 at large q; 0.3.0 (panel edges at fixed curvature breaks) by up to 3e-5 at large V.
    m, q, V, eps = point
    ours = np.array(channel(Logistic(), *(np.array([x]) for x in point), backend=route))[:, 0]
    ref = np.array(literal_channel(Logistic(), m, q, V, eps, False))
    np.testing.assert_allclose(ours, ref, rtol=1e-10, atol=1e-14)


def test_logistic_accuracy_test_has_power(route, monkeypatch):
    # the same comparison fails when the panels are not cut where ell' varies
    monkeypatch.setattr(Logistic, "prox_panel", 1e9)
    worst = 0.0
    for point in LARGE_Q[4:]:
        ours = np.array(channel(Logistic(), *(np.array([x]) for x in point), backend=route))[:, 0]
        worst = max(worst, float(np.max(np.abs(ours / np.array(literal_channel(Logistic(), *point, False)) - 1))))
    assert worst > 1e-8


def _random_points(seed, B, log_q, log_V, rho):
    """``B`` channel inputs ``(m, q, V, eps)``: log-uniform ``q``, ``V``; ``m / sqrt(q)`` uniform in ``(-rho, rho)``."""
    rng = np.random.default_rng(seed)
    q = 10 ** rng.uniform(*log_q, B)
    m = np.sqrt(q) * rng.uniform(-rho, rho, B)
    return m, q, 10 ** rng.uniform(*log_V, B), rng.uniform(0, 1, B)


def test_logistic_channel_does_not_depend_on_the_batch(route):
    # each point's sums run over its own nodes only (a ragged rule, in blocks of points):
    # bit-identical alone or in a batch of several blocks
    m, q, V, eps = _random_points(5, 1100, (-3, 4), (-3, 4), 0.99)
    batch = np.array(channel(Logistic(), m, q, V, eps, backend=route))
    for i in (0, 17, 600, 1099):
        alone = np.array(channel(Logistic(), m[i:i + 1], q[i:i + 1], V[i:i + 1], eps[i:i + 1], backend=route))[:, 0]
        assert np.array_equal(alone, batch[:, i])


def test_logistic_routes_agree_on_a_wide_range(monkeypatch):
    # the proximal-point rule against the margin rule (root-finding prox at every node), both
    # with many nodes, on random points over wide ranges of q, V and m / sqrt(q)
    import sys

    mod = sys.modules["rafmodel.theory.channel"]
    m, q, V, eps = _random_points(3, 400, (-3, 3), (-4, 4), 0.9999)
    ours = np.array(channel_quadrature(Logistic(), m, q, V, eps))
    assert mod._has_prox_inverse(Logistic())
    monkeypatch.setattr(mod, "_has_prox_inverse", lambda loss: False)
    margin = np.array(channel_quadrature(Logistic(), m, q, V, eps, n_nodes=60))
    np.testing.assert_allclose(ours, margin, rtol=1e-9, atol=1e-14)


#: Where the routes once lost digits: large q with small V (x - u = V sigmoid(-x) is tiny against
#: x), a typical point, large V with m^2 / q near 1.
HIGH_PRECISION = [(-0.7101559451706672 * 2714.214268823902 ** 0.5, 2714.214268823902, 1.2744353153265936e-3, 0.3),
                  (0.5, 1.0, 1.0, 0.2), (0.98 * 20 ** 0.5, 20.0, 1000.0, 0.1)]


@lru_cache(maxsize=None)
def _high_precision_channel(m, q, V, eps):
    """docs/theory.md's channel in 25-digit arithmetic (mpmath), over the proximal point ``x``.

    ``u(x) = x - V sigmoid(-x)``, ``xi = u / sqrt(q)``; ``E_xi[F] = int F phi(xi) u'(x) dx / sqrt(q)``,
    adaptive tanh-sinh quadrature split at the logistic's scale (``|x| <= 40``) and the Gaussian's.
    """
    mp = pytest.importorskip("mpmath", reason="the high-precision reference needs mpmath")
    mp.mp.dps = 25
    M, Q, W, E = (mp.mpf(v) for v in (m, q, V, eps))
    sq = mp.sqrt(Q)
    c = M / mp.sqrt(Q - M * M)

    def parts(x):
        s = 1 / (1 + mp.exp(x))
        du = 1 + W * s * (1 - s)
        xi = (x - W * s) / sq
        return mp.npdf(xi) * du / sq, W * s, du, xi

    def rule(xi):
        return E + (1 - E) * 2 * mp.ncdf(c * xi)

    def fq(x):
        w, g, du, xi = parts(x)
        return w * g * g * rule(xi) / W ** 2

    def fv(x):
        w, g, du, xi = parts(x)
        return w * (1 - 1 / du) * rule(xi) / W

    def fm(x):
        w, g, du, xi = parts(x)
        return w * g * mp.npdf(c * xi)

    s = float(sq)
    pts = sorted({-12 * s - 1 - V, 12 * s + 1 + V, *np.linspace(-40, 40, 21), *(s * np.linspace(-11, 11, 45))})
    mh = (1 - E) * 2 * mp.quad(fm, pts) / (mp.sqrt(1 - M * M / Q) * W)
    return float(mh), float(mp.quad(fq, pts)), float(mp.quad(fv, pts))


@pytest.mark.parametrize("point", HIGH_PRECISION)
def test_logistic_channel_to_rounding_against_high_precision(route, point):
    ours = np.array(channel(Logistic(), *(np.array([x]) for x in point), backend=route))[:, 0]
    np.testing.assert_allclose(ours, _high_precision_channel(*point), rtol=1e-14)


def test_high_precision_test_has_power(monkeypatch):
    # the numpy route with x - u and u' - 1 by subtraction (as before 0.5) misses by 2e-12
    mod = sys.modules["rafmodel.theory.channel"]

    def subtracting(loss, x, V):
        u, dudx = loss.prox_inverse(x, V)
        return u, x - u, dudx - 1.0, dudx

    monkeypatch.setattr(mod, "_inverse_terms", subtracting)
    point = HIGH_PRECISION[0]
    ours = np.array(channel(Logistic(), *(np.array([x]) for x in point)))[:, 0]
    assert np.max(np.abs(ours / np.array(_high_precision_channel(*point)) - 1)) > 1e-13
