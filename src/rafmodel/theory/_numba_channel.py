"""The logistic loss's channel, compiled with numba (the optional ``fast`` extra).

The same integrals on the same nodes as the numpy route of
:func:`rafmodel.theory.channel.channel_quadrature` (``_channel_smooth``), fused point by point
so that no node array leaves the cache: the Gaussian panels in ``xi`` and the breaks of
``Phi(c xi)`` are mapped to the proximal point ``x`` (Newton's method on all edges of a point at
once), the panels are cut into pieces no wider than the loss's ``prox_panel`` inside
``[-prox_support, prox_support]``, and on each piece Gauss-Legendre nodes in ``x`` carry the
explicit integrands (docs/theory.md section 6.2).

The loss's formulas -- ``ell'``, ``ell''`` and the proximal Newton step with its stopping rule --
are not written here: they are :mod:`rafmodel._math.logistic`'s (the source of
:class:`rafmodel.Logistic`'s methods, hence of the numpy route), compiled by
:func:`rafmodel.theory.maps._compile.compiled_module` with :func:`_exp` as ``exp`` and inlined
into the loops below.  The functions that inline them are compiled by
:func:`rafmodel.theory.maps._compile.specialize`, under names that carry a digest of the sources
(numba's cache looks at this file only).  This module holds the integration engine: the nodes,
the integrands' Gaussian weights, the sums.

Three things differ from numpy, all below rounding:

* ``exp`` is computed here (:func:`_exp`: a reduction to ``[-ln 2 / 2, ln 2 / 2]``, a degree-13
  Taylor polynomial, and the power of two written into the exponent bits; 1 ulp), because
  numba's ``math.exp`` calls the C library one element at a time while this one vectorizes;
* ``Phi(-y) = tau exp(-y^2 / 2) G(tau) / 2`` with ``tau = 2 / (2 + y / sqrt 2)`` and ``G`` a
  polynomial of degree 18 (fitted to ``scipy.special.erfcx`` on ``0 <= y <= 9.5`` as a
  Chebyshev series, :data:`_CHEB`, and evaluated in powers, :data:`_POWER`; absolute error
  below 2e-15, tested).  Where a whole piece has ``|c xi| >= 9`` the rule weight is taken as 0
  or 1 and ``phi(c xi)`` as 0 (both below ``3e-18``), which skips the series on those nodes;
* the proximal map at the panel edges is plain Newton from the inflection point
  (:func:`_prox_all`), with the steps and the stopping rule of :meth:`rafmodel.Logistic.prox`
  (which safeguards its steps and starts elsewhere).

Each point's sums run over its own nodes in a fixed order, so its numbers do not depend on the
other points of the batch.
"""

from __future__ import annotations

import math

import numpy as np
from llvmlite import ir
from numba import njit
from numba.core import types
from numba.extending import intrinsic

from .maps._compile import compiled_module, specialize

__all__ = ["logistic_channel"]

#: numba flags: fused multiply-adds only (no reassociation, so each sum keeps its order).
_FM = {"contract"}
_JIT = dict(fastmath=_FM, error_model="numpy", boundscheck=False, nogil=True, cache=True)

_LOG2E = 1.4426950408889634
_LN2_HI = 0.6931471803691238  # ln 2 = _LN2_HI + _LN2_LO, _LN2_HI with 32 bits of mantissa
_LN2_LO = 1.9082149292705877e-10
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)
_INV_SQRT2 = 1.0 / math.sqrt(2.0)
#: ``Phi(-y)``'s series is fitted on ``tau`` in ``[TAU_MIN, 1]`` (``y`` in ``[0, 9.5]``).
TAU_MIN = 0.22942319373968156
#: Chebyshev coefficients of ``G(tau) = erfcx(2 / tau - 2) / tau`` in
#: ``s = (2 tau - 1 - TAU_MIN) / (1 - TAU_MIN)`` (``numpy.polynomial.chebyshev.chebinterpolate``,
#: degree 18; tests/test_numba_channel.py refits them).
_CHEB = (0.6396354205771877, 0.3182117823086265, 0.041948819017743895, 0.0007274286710527988,
         -0.0005166256029414001, -1.6220718781454946e-05, 9.69598341219925e-06, -1.1818144938692324e-07,
         -2.0470366696460248e-07, 2.048566856500444e-08, 3.007708503307969e-09, -8.963602725561701e-10,
         3.5178962082563944e-11, 2.072978338692846e-11, -4.279541633348129e-12, 7.15626388557068e-14,
         1.243508220370945e-13, -2.512025675191341e-14, 1.081006629240284e-15)
#: The same series in powers of ``s`` (``numpy.polynomial.chebyshev.cheb2poly``; the sum of their
#: magnitudes is 1.01, so Horner's rule, half the operations of Clenshaw's, loses nothing).
_POWER = (0.5971600723012965, 0.3159494144706734, 0.08821186849518448, 0.0032248479341189184,
          -0.004632331107197934, -0.00023628140815150283, 0.00036587527203395763, -2.2090609699663027e-05,
          -2.968348660652665e-05, 8.102374481286222e-06, 1.1333918815867758e-06, -1.1758629535793979e-06,
          2.2002647208290383e-07, 6.826816819451971e-08, -5.016140915502451e-08, 8.169177147608836e-09,
          3.437124082426493e-09, -1.6462811464933973e-09, 1.416897009077825e-10)
#: ``|c xi|`` beyond which ``Phi(c xi)`` is 0 or 1 and ``phi(c xi)`` is 0 to below 3e-18.
_C_FLAT = 9.0


@intrinsic
def _bits_as_float(typingctx, k):
    """The float64 whose bits are the int64 ``k`` (an LLVM bitcast, so loops still vectorize)."""
    sig = types.float64(types.int64)

    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], ir.DoubleType())

    return sig, codegen


@njit(inline="always", fastmath=_FM)
def _exp(x):
    """``e^x`` to 1 ulp; 0 below -708 (a subnormal result is flushed), ``e^709`` above 709, nan at nan."""
    xc = min(max(x, -708.0), 709.0)
    k = math.floor(xc * _LOG2E + 0.5)
    r = (xc - k * _LN2_HI) - k * _LN2_LO  # |r| <= ln 2 / 2
    p = 1.0 / 6227020800.0
    p = p * r + 1.0 / 479001600.0
    p = p * r + 1.0 / 39916800.0
    p = p * r + 1.0 / 3628800.0
    p = p * r + 1.0 / 362880.0
    p = p * r + 1.0 / 40320.0
    p = p * r + 1.0 / 5040.0
    p = p * r + 1.0 / 720.0
    p = p * r + 1.0 / 120.0
    p = p * r + 1.0 / 24.0
    p = p * r + 1.0 / 6.0
    p = p * r + 0.5
    p = p * r + 1.0
    p = p * r + 1.0
    e = p * _bits_as_float((np.int64(k) + 1023) << 52)
    return 0.0 if x < -708.0 else (e if x == x else x)


@njit(inline="always", fastmath=_FM)
def _phi_lower(y, e):
    """``Phi(-y)`` for ``0 <= y <= 9.5``, given ``e = exp(-y^2 / 2)`` (Horner on :data:`_POWER`)."""
    tau = 2.0 / (2.0 + y * _INV_SQRT2)
    s = (2.0 * tau - (1.0 + TAU_MIN)) * (1.0 / (1.0 - TAU_MIN))
    # written out so that the loop over the nodes vectorizes (a loop here would not)
    p = 1.416897009077825e-10
    p = p * s + -1.6462811464933973e-09
    p = p * s + 3.437124082426493e-09
    p = p * s + 8.169177147608836e-09
    p = p * s + -5.016140915502451e-08
    p = p * s + 6.826816819451971e-08
    p = p * s + 2.2002647208290383e-07
    p = p * s + -1.1758629535793979e-06
    p = p * s + 1.1333918815867758e-06
    p = p * s + 8.102374481286222e-06
    p = p * s + -2.968348660652665e-05
    p = p * s + -2.2090609699663027e-05
    p = p * s + 0.00036587527203395763
    p = p * s + -0.00023628140815150283
    p = p * s + -0.004632331107197934
    p = p * s + 0.0032248479341189184
    p = p * s + 0.08821186849518448
    p = p * s + 0.3159494144706734
    p = p * s + 0.5971600723012965
    return 0.5 * tau * e * p


@njit(**_JIT)
def ndtr_kernel(t):
    """``Phi(t)`` elementwise by this module's route (for the tests), ``|t| <= 9.5``."""
    out = np.empty_like(t)
    for i in range(t.shape[0]):
        y = abs(t[i])
        p = _phi_lower(y, _exp(-0.5 * y * y))
        out[i] = p if t[i] < 0.0 else 1.0 - p
    return out


@njit(**_JIT)
def exp_kernel(x):
    """``e^x`` elementwise by :func:`_exp` (for the tests)."""
    out = np.empty_like(x)
    for i in range(x.shape[0]):
        out[i] = _exp(x[i])
    return out


def _prox_all(U, V, X, DONE, n):
    """``X[:n] = prox(U[:n], V)`` of the logistic loss, all edges in lockstep.

    Plain Newton steps from :func:`rafmodel._math.logistic.newton_start`, which move
    monotonically to the root (no bracket is needed), with the steps and the stopping rule of
    :func:`rafmodel._math.logistic.newton` (those of :meth:`rafmodel.Logistic.prox`); about 3
    steps on average, at most about 11 on the channel's edges.  Every sweep updates all edges
    without a branch (a converged one keeps its ``x``), so it vectorizes.
    """
    for e in range(n):
        X[e] = _newton_start(U[e], V)
        DONE[e] = 0.0
    for _ in range(100):
        left = 0
        for e in range(n):
            x = X[e]
            _, step, tol = _newton(x, U[e], V)
            done = DONE[e] > 0.0 or abs(step) <= tol
            X[e] = x if done else x - step
            DONE[e] = 1.0 if done else 0.0
            left += 0 if done else 1
        if left == 0:
            break


@njit(inline="always", fastmath=_FM)
def _weights(x, wx, isq, Vb):
    """At the proximal point ``x``: the weights of ``g1 V = x - u`` and ``-dg1 V``, ``g1 V``, ``xi``.

    With ``w = phi(xi) u'(x) dx / sqrt(q)`` the Gaussian weight, returns ``w``, ``w (1 - 1/u'(x))
    = phi(xi) V ell''(x) dx / sqrt(q)`` (no division), ``x - u = -V ell'(x)`` and ``xi``.
    ``x - u`` and ``V ell''(x)`` are computed from the loss's derivatives
    (:func:`rafmodel._math.logistic.derivatives`; by subtraction, ``x - u`` and ``u' - 1`` would
    cancel where ``V`` is small against ``x``).
    """
    d1, d2 = _derivatives(x)
    g = -Vb * d1
    vh = Vb * d2
    xi = (x - g) * isq
    w0 = wx * isq * _exp(-0.5 * xi * xi) * _INV_SQRT_2PI
    return w0 * (1.0 + vh), w0 * vh, g, xi


def _terms(X, WX, c, isq, Vb, e, A0, A1, A2):
    """The weighted integrands of ``mhat``, ``qhat`` and ``Vhat`` on the nodes ``X``, where ``Phi(c xi)`` varies.

    The facts and rules terms are added at each node: the weight of ``qhat`` and ``Vhat`` is
    ``eps + (1 - eps) 2 Phi(c xi)``.  The arrays are views starting at 0: an index that numba
    cannot prove non-negative (an offset) would stop the loop from vectorizing, and so would a
    branch on the kind of node (hence :func:`_terms_flat`).
    """
    for i in range(X.shape[0]):
        w, wm, g, xi = _weights(X[i], WX[i], isq, Vb)
        wg = w * g
        cx = c * xi
        y = abs(cx)
        ec = _exp(-0.5 * y * y)
        p = _phi_lower(y, ec)
        rule = e + (1.0 - e) * (2.0 * p if cx < 0.0 else 2.0 - 2.0 * p)
        A0[i] = wg * ec
        A1[i] = wg * g * rule
        A2[i] = wm * rule


def _terms_flat(X, WX, rule, isq, Vb, A1, A2):
    """:func:`_terms` where ``|c xi| >= 9``: the weight ``rule`` is ``eps`` or ``2 - eps``, ``phi(c xi)`` 0."""
    for i in range(X.shape[0]):
        w, wm, g, xi = _weights(X[i], WX[i], isq, Vb)
        A1[i] = w * g * g * rule
        A2[i] = wm * rule


@njit(inline="always")
def _sum(A):
    """``A`` summed in a fixed order: two running sums, even and odd indices (twice the
    throughput of one, and the same numbers on any batch)."""
    n = A.shape[0]
    s0 = s1 = 0.0
    for i in range(n // 2):
        s0 += A[2 * i]
        s1 += A[2 * i + 1]
    if n % 2:
        s0 += A[n - 1]
    return s0 + s1


@njit(**_JIT)
def scratch(nn, ne, panel, support):
    """Work arrays of :func:`logistic_point` for ``nn`` nodes per piece and ``ne`` panel edges."""
    kmax = nn * (ne + 2 + int(math.ceil(2.0 * support / panel)) + 2)
    # three node blocks: where Phi(c xi) varies, where it is 0, where it is 1
    return (np.empty(3 * kmax), np.empty(3 * kmax),  # X, WX
            np.empty(3 * kmax), np.empty(3 * kmax), np.empty(3 * kmax),  # A0, A1, A2
            np.empty(ne), np.empty(ne), np.empty(ne), np.empty(ne),  # edges in xi, U, edges in x, DONE
            np.empty(ne + 2), np.empty(ne + 2),  # edges in x with the support cuts, and their xi
            np.zeros(3, dtype=np.int64))


def logistic_point(mb, qb, Vb, e, t, wt, fixed, breaks, xmax, panel, support, ws):
    """``(mhat, qhat, Vhat) / a`` of one point (arguments as :func:`logistic_channel`'s; ``ws``: :func:`scratch`)."""
    X, WX, A0, A1, A2, xe, U, ed, DONE, E2, Z2, count = ws
    nn = t.shape[0]
    nf, nb = fixed.shape[0], breaks.shape[0]
    ne = nf + nb
    kmax = X.shape[0] // 3
    if not (qb > 0.0 and Vb > 0.0 and math.isfinite(mb) and math.isfinite(qb) and math.isfinite(Vb)
            and math.isfinite(e)):
        return np.nan, np.nan, np.nan  # as the numpy route gives: no number from a bad input
    sq = math.sqrt(qb)
    isq = 1.0 / sq
    r0 = math.sqrt(max(1.0 - mb * mb / qb, 1e-300))  # sqrt(V0) = s / sqrt(q)
    c = mb / (sq * r0)
    inv_ac = 1.0 / max(abs(c), 1e-300)
    # the edges in xi: the fixed ones merged with the breaks / |c| (both sorted), clipped
    i = j = 0
    for k in range(ne):
        if j >= nb or (i < nf and fixed[i] <= breaks[j] * inv_ac):
            v = fixed[i]
            i += 1
        else:
            v = breaks[j] * inv_ac
            j += 1
        xe[k] = min(max(v, -xmax), xmax)
        U[k] = sq * xe[k]
    _prox_all(U, Vb, ed, DONE, ne)
    # the cuts at -support and +support, clipped to the edges, merged in (x increases with xi)
    cl = min(max(-support, ed[0]), ed[ne - 1])
    cr = min(max(support, ed[0]), ed[ne - 1])
    zl = (cl + Vb * _derivatives(cl)[0]) * isq  # the margins u = x + V ell'(x), in xi
    zr = (cr + Vb * _derivatives(cr)[0]) * isq
    k2 = 0
    put_l = put_r = True
    for k in range(ne):
        if put_l and cl <= ed[k]:
            E2[k2] = cl
            Z2[k2] = zl
            k2 += 1
            put_l = False
        if put_r and cr <= ed[k]:
            E2[k2] = cr
            Z2[k2] = zr
            k2 += 1
            put_r = False
        E2[k2] = ed[k]
        Z2[k2] = xe[k]
        k2 += 1
    # the pieces, each in its block
    count[:] = 0
    for p in range(ne + 1):
        lo, hi = E2[p], E2[p + 1]
        if not hi > lo:
            continue
        k = 1
        if abs(lo + hi) < 2.0 * support:
            k = max(1, int(math.ceil((hi - lo) / panel)))
        wd = (hi - lo) / k
        t_lo, t_hi = c * Z2[p], c * Z2[p + 1]
        r = 0
        if min(t_lo, t_hi) >= _C_FLAT:
            r = 2
        elif max(t_lo, t_hi) <= -_C_FLAT:
            r = 1
        base = r * kmax + count[r]
        Xp, Wp = X[base:base + k * nn], WX[base:base + k * nn]  # views: indices from 0 vectorize
        for j in range(k):
            left = lo + j * wd
            for a in range(nn):
                Xp[j * nn + a] = left + wd * t[a]
                Wp[j * nn + a] = wd * wt[a]
        count[r] += k * nn
    if count[0] + count[1] + count[2] == 0:  # every panel has zero width: one of zero weight
        for a in range(nn):
            X[a] = ed[0]
            WX[a] = 0.0
        count[0] = nn
    s0 = s1 = s2 = 0.0
    for r in range(3):
        a, z = r * kmax, r * kmax + count[r]
        if r == 0:
            _terms(X[a:z], WX[a:z], c, isq, Vb, e, A0[a:z], A1[a:z], A2[a:z])
            s0 += _sum(A0[a:z])
        else:
            _terms_flat(X[a:z], WX[a:z], e + (1.0 - e) * 2.0 * (r - 1), isq, Vb, A1[a:z], A2[a:z])
        s1 += _sum(A1[a:z])
        s2 += _sum(A2[a:z])
    return (1.0 - e) * 2.0 * _INV_SQRT_2PI * s0 / (r0 * Vb), s1 / (Vb * Vb), s2 / Vb


def logistic_channel(m, q, V, eps, t, wt, fixed, breaks, xmax, panel, support):
    """Channel ``(mhat, qhat, Vhat) / a`` of the logistic loss for ``B`` points.

    Parameters
    ----------
    m, q, V, eps : ndarray of shape (B,)
        Training-time overlaps, response and fact fraction.
    t, wt : ndarray of shape (n,)
        Gauss-Legendre nodes and weights on ``[0, 1]``.
    fixed : ndarray
        Sorted fixed panel edges in ``xi`` (``rafmodel._math.quadrature.FIXED_EDGES``).
    breaks : ndarray
        Sorted breaks in ``c xi`` (``0`` and ``channel._C_BREAKS``).
    xmax : float
        The integration range ``[-xmax, xmax]`` in ``xi``.
    panel, support : float
        ``Logistic.prox_panel`` and ``Logistic.prox_support``.

    Returns
    -------
    mh, qh, vh : ndarray of shape (B,)
    """
    B = m.shape[0]
    ws = scratch(t.shape[0], fixed.shape[0] + breaks.shape[0], panel, support)
    mh, qh, vh = np.empty(B), np.empty(B), np.empty(B)
    for b in range(B):
        mh[b], qh[b], vh[b] = logistic_point(m[b], q[b], V[b], eps[b], t, wt, fixed, breaks, xmax, panel, support,
                                             ws)
    return mh, qh, vh


#: The logistic loss's formulas (:mod:`rafmodel._math.logistic`) compiled, with :func:`_exp` as ``exp``.
_LOSS = compiled_module("rafmodel._math.logistic", (("exp", _exp),))
_derivatives, _newton, _newton_start = _LOSS.derivatives, _LOSS.newton, _LOSS.newton_start
# The functions that inline those formulas are compiled under names carrying a digest of the sources
# (the formulas' module included): numba's cache looks at this file only.
globals().update(specialize(__name__, {k: k for k in ("_prox_all", "_terms", "_terms_flat", "logistic_point",
                                                      "logistic_channel")},
                            {}, "logistic", jit={k: v for k, v in _JIT.items() if k != "cache"}))
