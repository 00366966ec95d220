"""The infinite-width random-features kernel ``k(rho) = E[sigma(u) sigma(v)]`` of an activation.

Random features ``sigma(F x / sqrt d)`` with ``p / d -> infinity`` converge to the
dot-product kernel :func:`rf_kernel` computes by a two-dimensional Gauss-Legendre rule in
polar coordinates, never from a closed form, so that it cross-checks the named kernels of
:mod:`rafmodel.equivalence.kernels` (and gives the simulations the kernel of an activation
that has no named one).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from functools import lru_cache
from typing import TYPE_CHECKING

import numpy as np

from .._math.quadrature import legendre_panels
from .._validation import as_float_array
from ..exceptions import ParameterError
from .activations import _TWO_PI, _check_n_nodes, _resolve_activation, _vectorized

if TYPE_CHECKING:  # for the annotations only
    from numpy.typing import ArrayLike

__all__ = ["rf_kernel"]


_ANGULAR_PANELS = 4     # Gauss-Legendre panels per angular wedge
_RADIAL_MAX = 14        # radial range [0, 14]: r e^{-r^2/2} < 1e-40 beyond
_RHO_CHUNK = 16         # rho values per vectorized block (bounds memory)


@lru_cache(maxsize=None)
def _radial_rule(n_nodes):
    r, w = legendre_panels(np.arange(_RADIAL_MAX + 1.0), n_nodes)
    return r, w * r * np.exp(-0.5 * r * r) / _TWO_PI


@lru_cache(maxsize=None)
def _unit_rule(n_nodes):
    """Composite Gauss-Legendre rule on [0, 1] with ``_ANGULAR_PANELS`` panels."""
    return legendre_panels(np.arange(_ANGULAR_PANELS + 1.0) / _ANGULAR_PANELS, n_nodes)


def _rf_kernel_block(evaluate, rho, n_nodes):
    """``E[sigma(u) sigma(v)]`` for a 1-D array of correlations ``rho``."""
    # (u, v) = (r cos t, r cos(t - phi)) with (r, t) the polar coordinates of a standard
    # normal pair and cos(phi) = rho.  sigma(u) and sigma(v) change form only where
    # u = 0 (t = +-pi/2) or v = 0 (t = phi +- pi/2): four wedges in t, each integrated
    # with its own Gauss-Legendre panels, and a smooth radial integral.
    phi = np.arccos(rho)[:, None]
    half = np.full_like(phi, 0.5 * math.pi)
    starts = np.concatenate([-half, phi - half, half, phi + half], axis=1)
    lengths = np.concatenate([phi, math.pi - phi, phi, math.pi - phi], axis=1)
    s, ws = _unit_rule(n_nodes)
    theta = (starts[:, :, None] + lengths[:, :, None] * s).reshape(len(rho), -1)
    wtheta = (lengths[:, :, None] * ws).reshape(len(rho), -1)
    r, wr = _radial_rule(n_nodes)
    su = evaluate(np.cos(theta)[:, :, None] * r)
    sv = evaluate(np.cos(theta - phi)[:, :, None] * r)
    return np.einsum("kt,ktr,r->k", wtheta, su * sv, wr)


def rf_kernel(activation: str | Callable[[np.ndarray], np.ndarray], rho: ArrayLike, *,
              n_nodes: int = 16) -> float | np.ndarray:
    """Infinite-width random-features kernel ``k(rho) = E[sigma(u) sigma(v)]``.

    ``(u, v)`` is a standard bivariate normal pair with correlation ``rho``.  Random
    features ``sigma(F x / sqrt d)`` with ``p / d -> infinity`` give the kernel
    ``K(x, x') = k(x.x' / d)`` on inputs with ``|x|^2 = d``.  Always computed by
    quadrature (never from a closed form), so it can cross-check
    :func:`~rafmodel.equivalence.kernel_coefficients`.

    Parameters
    ----------
    activation : str or callable
        As in :func:`~rafmodel.equivalence.activation_coefficients`.
    rho : float or array_like
        Correlation(s) in ``[-1, 1]``.
    n_nodes : int, default=16
        Gauss-Legendre nodes per panel (4 panels per angular wedge, 14 unit panels in
        the radius).

    Returns
    -------
    float or ndarray
        ``k(rho)``, a float for a scalar ``rho``, else an array of ``rho``'s shape.

    Raises
    ------
    ParameterError
        (a ``ValueError``) for a ``rho`` outside ``[-1, 1]`` or not finite, a bad
        ``n_nodes``, or an invalid activation (as in :func:`~rafmodel.equivalence.activation_coefficients`).

    Notes
    -----
    The 2-D Gaussian integral is done in polar coordinates ``(r, t)`` of ``(u, w)``
    with ``v = rho u + sqrt(1 - rho^2) w``: then ``u = r cos t`` and
    ``v = r cos(t - arccos rho)``, and the lines ``u = 0``, ``v = 0`` where a
    non-smooth activation (relu, sign, ...) changes form are fixed angles.  Splitting
    the angle there and integrating each wedge and the radius with Gauss-Legendre
    panels is accurate to about ``1e-14`` for activations smooth on either side of 0,
    for every ``rho`` including ``+-1`` (a tensor Gauss-Hermite rule converges only
    algebraically across those lines).  A kink or jump away from 0 limits the accuracy.

    Examples
    --------
    >>> import numpy as np
    >>> from rafmodel.equivalence import KERNELS
    >>> rho = np.array([0.0, 0.5, 1.0])
    >>> np.allclose(rf_kernel("relu", rho), KERNELS["arccos"](rho), atol=1e-13)
    True
    """
    _, func = _resolve_activation(activation)
    n_nodes = _check_n_nodes(n_nodes)
    arr = as_float_array("rho", rho)
    bad = ~np.isfinite(arr) | (np.abs(arr) > 1)
    if np.any(bad):
        raise ParameterError("rho", f"must be in [-1, 1], got {float(arr[bad].flat[0])!r}")
    evaluate = _vectorized(func)
    flat = arr.reshape(-1)
    out = np.concatenate([_rf_kernel_block(evaluate, flat[i:i + _RHO_CHUNK], n_nodes)
                          for i in range(0, flat.size, _RHO_CHUNK)])
    if arr.ndim == 0 and not isinstance(rho, np.ndarray):
        return float(out[0])
    return out.reshape(arr.shape)
