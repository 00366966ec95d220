"""Channel side of the fixed-point equations (docs/theory.md section 3).

For a margin loss the channel needs the proximal map for the label ``+1`` only.
With ``g1(u) = (prox(u, V) - u) / V`` and ``-dg1(u) = (1 - prox'(u, V)) / V``:

    mhat / a = (1 - eps) / sqrt(2 pi) * E_eta[ g1(s eta) + g1(-s eta) ],   s^2 = q - m^2
    qhat / a = eps E_xi[ g1(sqrt(q) xi)^2 ] + (1 - eps) 2 E[ 1{z > 0} g1(omega)^2 ]
    Vhat / a = eps E_xi[ -dg1(sqrt(q) xi) ] + (1 - eps) 2 E[ 1{z > 0} (-dg1(omega)) ]

where ``(z, omega)`` are jointly Gaussian with ``Var z = 1``, ``Var omega = q``,
``Cov = m``.  The ``mhat`` line is the docs/theory.md expression after integrating the
derivative of the teacher channel: only the density of ``z`` at ``0`` survives.
This is the same set of equations as docs/theory.md, rewritten so that no integrand
contains the step ``Phi(w0 / sqrt(V0))``; this keeps Gauss quadrature accurate
even when ``m^2 / q -> 1``.

The quadrature route writes the rule term as ``2 E_xi[Phi(c xi) G(sqrt(q) xi)]``
with ``c = m / sqrt(q - m^2)`` and integrates all three lines with composite
Gauss-Legendre panels on ``[-XMAX, XMAX]`` (``XMAX = 10``), split at the kinks of the loss's
proximal map (:meth:`Loss.kinks`) and around the steep part of ``Phi(c xi)``; so it
is accurate for any piecewise-smooth margin loss, not only for smooth ones.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from scipy.special import ndtr

from .._math.quadrature import FIXED_EDGES, XMAX, legendre_unit, normal_edges, normal_expectation, normal_rule
from ..losses import Logistic, Loss
from .closed_form import closed_form
from .gaussian import SQRT_2PI

if TYPE_CHECKING:  # for the annotations only
    from numpy.typing import ArrayLike

__all__ = ["channel", "channel_quadrature", "DEFAULT_NODES"]

#: Default number of Gauss-Legendre nodes per panel of the quadrature route.
DEFAULT_NODES = 12
#: Panel breaks of the proximal-point rule where ``Phi(c xi)`` and ``phi(c xi)`` vary, in units of ``c xi``.
_C_BREAKS = (-9.0, -6.0, -4.0, -2.0, 2.0, 4.0, 6.0, 9.0)
#: The same breaks, with ``0``, sorted, for the compiled route.
_KERNEL_BREAKS = np.sort(np.array((0.0, *_C_BREAKS)))
#: Points per block of the proximal-point rule (about 32,000 nodes, 256 kB a node array: the
#: temporaries stay in the L2 cache; 512 points a block was 25 % slower).
_BLOCK = 128


def channel_quadrature(loss: Loss, m: ArrayLike, q: ArrayLike, V: ArrayLike, eps: ArrayLike, *, limit: bool = False,
                       n_nodes: int = DEFAULT_NODES,
                       backend: str = "numpy") -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Channel ``(mhat, qhat, Vhat) / a`` by Gauss quadrature, for any margin loss.

    Parameters
    ----------
    loss : Loss
        Any margin loss (its ``prox`` and ``dprox``, or the limits, are integrated).
    m, q, V, eps : array_like of shape (B,)
        Training-time overlaps, response and fact fraction of ``B`` points (flattened).
    limit : bool, default=False
        Use the interpolating limit ``prox_limit`` (``V`` is then ``lam * V``).
    n_nodes : int, default=12
        Gauss-Legendre nodes per panel.
    backend : {"numpy", "compiled", "auto"}, default="numpy"
        The route (:mod:`rafmodel.theory.backend`): the logistic loss has a compiled quadrature
        (:mod:`rafmodel.theory._numba_channel`), the same integrals on the same nodes.

    Returns
    -------
    mh : ndarray of shape (B,)
        ``mhat / a``.
    qh : ndarray of shape (B,)
        ``qhat / a``.
    vh : ndarray of shape (B,)
        ``Vhat / a``.

    Examples
    --------
    >>> import numpy as np
    >>> from rafmodel import Square
    >>> from rafmodel.theory.closed_form import square_channel
    >>> args = np.array([0.5]), np.array([1.0]), np.array([1.0]), np.array([0.2])
    >>> np.allclose(channel_quadrature(Square(), *args), square_channel(Square(), *args, False), atol=1e-12)
    True
    """
    m, q, V, eps = (np.asarray(a, dtype=float).reshape(-1) for a in (m, q, V, eps))
    if not limit and _has_prox_inverse(loss):
        kernel = _compiled(loss, backend)
        if kernel is not None:
            return kernel(m, q, V, eps, n_nodes)
        if len(m) <= _BLOCK:
            return _channel_smooth(loss, m, q, V, eps, n_nodes)
        # in blocks of points whose nodes fit in the cache (every point's numbers are its own)
        parts = [_channel_smooth(loss, m[i:i + _BLOCK], q[i:i + _BLOCK], V[i:i + _BLOCK], eps[i:i + _BLOCK], n_nodes)
                 for i in range(0, len(m), _BLOCK)]
        return tuple(np.concatenate([p[k] for p in parts]) for k in range(3))
    Vc = V[:, None]
    sq = np.sqrt(q)[:, None]
    s = np.sqrt(np.maximum(q - m * m, 1e-300))[:, None]
    kk = loss.kinks(V, limit)
    kinks = np.zeros((len(m), 0)) if kk is None else np.atleast_2d(kk).reshape(len(m), -1)

    if limit:
        def g_mdg(u):
            return (loss.prox_limit(u) - u) / Vc, (1.0 - loss.dprox_limit(u)) / Vc
    else:
        def g_mdg(u):
            P, dP = loss.prox_and_dprox(u, Vc)
            return (P - u) / Vc, (1.0 - dP) / Vc

    # mhat: omega = s eta given z = 0; E[g1(s eta) + g1(-s eta)] = 2 E[g1(s eta)] (eta ~ -eta)
    kb = np.concatenate([kinks / s, np.zeros((len(m), 1))], axis=1)
    mh = (1.0 - eps) * 2.0 / SQRT_2PI * normal_expectation(lambda x: g_mdg(s * x)[0], kb, n_nodes)

    # facts E_xi[G(sqrt(q) xi)] and rules 2 E_xi[Phi(c xi) G(sqrt(q) xi)], c = m / s, on one
    # set of nodes (panels split at the kinks and around the steep part of Phi(c xi))
    c = m[:, None] / s
    ac = np.maximum(np.abs(c), 1e-300)
    kr = np.concatenate([kinks / sq, np.zeros((len(m), 1)), np.outer(1.0 / ac[:, 0], [-6.0, -2.0, 2.0, 6.0])],
                        axis=1)
    x, w = normal_rule(kr, n_nodes)
    gx, mdgx = g_mdg(sq * x)
    g2 = gx * gx
    wr = 2.0 * w * ndtr(c * x)
    qf, vf = np.sum(w * g2, axis=1), np.sum(w * mdgx, axis=1)
    qr, vr = np.sum(wr * g2, axis=1), np.sum(wr * mdgx, axis=1)

    qh = eps * qf + (1.0 - eps) * qr
    vh = eps * vf + (1.0 - eps) * vr
    return mh, qh, vh


def _has_prox_inverse(loss):
    return type(loss).derivatives is not Loss.derivatives or type(loss).prox_inverse is not Loss.prox_inverse


def _inverse_terms(loss, x, V):
    """At proximal points ``x``: the margin ``u``, ``g = x - u``, ``V ell''(x)`` and ``du/dx``.

    From :meth:`Loss.derivatives` (no cancellation) where the loss has them, else by
    subtraction from :meth:`Loss.prox_inverse`.
    """
    if type(loss).derivatives is not Loss.derivatives:
        d1, d2 = loss.derivatives(x)
        g, vh = -V * d1, V * d2
        return x - g, g, vh, 1.0 + vh
    u, dudx = loss.prox_inverse(x, V)
    return u, x - u, dudx - 1.0, dudx


def _compiled(loss, backend):
    """The compiled route of :func:`_channel_smooth` for ``loss``, or ``None``.

    The logistic loss has one (:mod:`rafmodel.theory._numba_channel`) on the compiled route
    (:mod:`rafmodel.theory.backend`); it gives the numbers of the numpy route to rounding (about
    1e-15), several times faster.  A subclass of :class:`~rafmodel.Logistic` takes the numpy route
    (it may change the loss).
    """
    if type(loss) is not Logistic or backend == "numpy":
        return None
    from .backend import resolve

    if resolve(backend) != "compiled":
        return None
    from ._numba_channel import logistic_channel as kernel

    def run(m, q, V, eps, n_nodes):
        t, wt = legendre_unit(n_nodes)
        m, q, V, eps = (np.ascontiguousarray(a) for a in (m, q, V, eps))
        return kernel(m, q, V, eps, t, wt, FIXED_EDGES, _KERNEL_BREAKS, XMAX, loss.prox_panel, loss.prox_support)

    return run


def _mapped_rule(loss, scale, V, breaks, n_nodes):
    """Nodes in the proximal point ``x`` for ``E_xi[F(scale xi)]``, ``xi ~ N(0, 1)``, flattened.

    The panels are those of :func:`normal_rule` (fixed edges and ``breaks``, in units of
    ``xi``) mapped to ``x = prox(scale xi, V)``; each is cut into equal pieces no wider than
    the loss's ``prox_panel`` where it overlaps ``[-prox_support, prox_support]`` (where
    ``ell'`` varies: narrow in ``xi`` when ``scale`` is large).  On each piece, Gauss-Legendre
    nodes in ``x`` with the weight ``phi(xi) dxi/dx``.

    The number of pieces differs from point to point, so the nodes of all ``B`` points are
    laid end to end: point ``b`` owns ``starts[b]:starts[b + 1]``, and its sums are
    ``np.add.reduceat(values, starts)`` (each point's sum sees only its own nodes, so it
    does not depend on the other points of the batch).  Returns ``x``, ``g = x - u`` (``u``
    the margin ``scale xi``), ``V ell''(x)``, ``xi``, the weights, ``du/dx`` (all of shape
    ``(K,)``), the owner of each node ``(K,)`` and ``starts`` ``(B,)``.
    """
    edges = loss.prox(scale * normal_edges(breaks), V)
    T = loss.prox_support
    support = np.clip(np.broadcast_to([-T, T], (edges.shape[0], 2)), edges[:, :1], edges[:, -1:])
    edges = np.sort(np.concatenate([edges, support], axis=1), axis=1)
    lo, hi = edges[:, :-1], edges[:, 1:]
    inside = np.abs(lo + hi) < 2.0 * T  # the panel lies in [-T, T] (it is cut at +-T)
    k = np.where(hi > lo, np.where(inside, np.maximum(1.0, np.ceil((hi - lo) / loss.prox_panel)), 1.0),
                 0.0).astype(np.intp)
    k[k.sum(axis=1) == 0, 0] = 1  # a point whose panels all have zero width keeps one (zero weights)
    per_point = k.sum(axis=1)
    k = k.ravel()
    width = np.repeat((hi - lo).ravel() / np.maximum(k, 1), k)
    piece = np.arange(width.size) - np.repeat(np.cumsum(k) - k, k)
    left = np.repeat(lo.ravel(), k) + piece * width
    t, wt = legendre_unit(n_nodes)
    x = (left[:, None] + width[:, None] * t).ravel()
    wx = (width[:, None] * wt).ravel()
    owner = np.repeat(np.arange(edges.shape[0]), per_point * n_nodes)
    Vn, sn = np.broadcast_to(V, scale.shape).ravel()[owner], scale.ravel()[owner]
    u, g, vh, dudx = _inverse_terms(loss, x, Vn)
    xi = u / sn
    w = wx * dudx / sn * np.exp(-0.5 * xi * xi) / SQRT_2PI
    starts = np.concatenate([[0], np.cumsum(per_point * n_nodes)[:-1]])
    return x, g, vh, xi, w, dudx, owner, starts


def _channel_smooth(loss, m, q, V, eps, n_nodes):
    """:func:`channel_quadrature` for a loss with an explicit inverse proximal map.

    The same integrals with the proximal point ``x`` as the variable (:func:`_mapped_rule`):
    ``g1 = (x - u) / V`` and ``-dg1 = (1 - 1/u'(x)) / V`` are explicit, so the proximal map
    is evaluated only at the panel edges.  All three lines use one set of nodes, in
    ``xi = omega / sqrt(q)``: ``mhat`` in the form of docs/theory.md before the change of
    variable, ``mhat / a = 2 (1 - eps) E_xi[phi(c xi) g1(sqrt(q) xi)] / sqrt(1 - m^2 / q)``,
    whose weight ``phi(c xi)`` is as steep as the rules' ``Phi(c xi)`` (the panels are split
    at :data:`_C_BREAKS` over ``c`` for both; ``phi`` has decayed to rounding at ``9``).
    """
    Vc = V[:, None]
    sq = np.sqrt(q)[:, None]
    r0 = np.sqrt(np.maximum(1.0 - m * m / q, 1e-300))  # sqrt(V0) = s / sqrt(q)
    c = m / (sq[:, 0] * r0)
    zero = np.zeros((len(m), 1))
    kr = np.concatenate([zero, np.outer(1.0 / np.maximum(np.abs(c), 1e-300), _C_BREAKS)], axis=1)
    x, g, vh, xi, w, dudx, owner, starts = _mapped_rule(loss, sq, Vc, kr, n_nodes)
    cx = c[owner] * xi
    wg, wmdg = w * g, w * (vh / dudx)  # -dg1 V = 1 - 1/u'(x), without the cancellation
    wg2 = wg * g
    wr = 2.0 * ndtr(cx)
    mh = np.add.reduceat(wg * np.exp(-0.5 * cx * cx), starts)
    qf, vf = np.add.reduceat(wg2, starts), np.add.reduceat(wmdg, starts)
    qr, vr = np.add.reduceat(wr * wg2, starts), np.add.reduceat(wr * wmdg, starts)
    return ((1.0 - eps) * 2.0 / SQRT_2PI * mh / (r0 * V), (eps * qf + (1.0 - eps) * qr) / (V * V),
            (eps * vf + (1.0 - eps) * vr) / V)


def channel(loss: Loss, m: ArrayLike, q: ArrayLike, V: ArrayLike, eps: ArrayLike, *, limit: bool = False,
            method: str = "auto", n_nodes: int = DEFAULT_NODES,
            backend: str = "numpy") -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Channel ``(mhat, qhat, Vhat) / a`` of ``loss`` at training-time ``(m, q, V)``.

    Parameters
    ----------
    loss : Loss
        Any margin loss.
    m, q, V, eps : array_like of shape (B,)
        Training-time overlaps, response and fact fraction of ``B`` points.
    limit : bool, default=False
        The interpolating limit at ``lam = 0`` (``V`` is then ``lam * V``).
    method : {"auto", "closed", "quadrature"}, default="auto"
        ``"auto"``: the closed form when the loss has one (see
        :mod:`rafmodel.theory.closed_form`), else quadrature; ``"closed"``: the closed
        form or an error; ``"quadrature"``: :func:`channel_quadrature`.
    n_nodes : int, default=12
        Gauss-Legendre nodes per panel of the quadrature.
    backend : {"numpy", "compiled", "auto"}, default="numpy"
        The route of the logistic loss's quadrature (see :func:`channel_quadrature`).

    Returns
    -------
    mh : ndarray of shape (B,)
        ``mhat / a`` (on the closed-form route all three have ``m``'s shape).
    qh : ndarray of shape (B,)
        ``qhat / a``.
    vh : ndarray of shape (B,)
        ``Vhat / a``.

    Raises
    ------
    ParameterError
        An unknown ``method``, or ``method="closed"`` for a loss without a closed form.

    Examples
    --------
    >>> import numpy as np
    >>> from rafmodel import Hinge
    >>> args = np.array([0.5]), np.array([1.0]), np.array([1.0]), np.array([0.2])
    >>> closed = channel(Hinge(), *args)
    >>> quad = channel(Hinge(), *args, method="quadrature")
    >>> bool(np.allclose(closed, quad, rtol=1e-10))
    True
    """
    from ..exceptions import ParameterError

    if method not in ("auto", "closed", "quadrature"):
        raise ParameterError("method", f"must be 'auto', 'closed' or 'quadrature', got {method!r}")
    if method != "quadrature":
        f = closed_form(loss)
        if f is not None:
            return tuple(np.broadcast_to(o, np.shape(m)).astype(float) for o in f(loss, m, q, V, eps, limit))
        if method == "closed":
            raise ParameterError("method", f"loss {loss.name!r} has no closed-form channel; use 'auto' or "
                                           "'quadrature'")
    return channel_quadrature(loss, m, q, V, eps, limit=limit, n_nodes=n_nodes, backend=backend)
