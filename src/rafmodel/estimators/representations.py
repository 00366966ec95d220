"""Each learner's representation of a training set: explicit features or a kernel matrix.

No intercept anywhere; ``Z = X / sqrt d``.

* linear: features ``Z``, ``h = Z w``, penalty ``(lam/2)|w|^2``;
* kernel: ``K = mu1^2 Z Z' + mustar^2 I`` (the Gaussian-equivalent kernel, kept factored as
  the Gram matrix of ``[mu1 Z, mustar I_n]``: :class:`~rafmodel.estimators.base.LowRankKernel`), or the real
  kernel ``k(x.x'/d)`` (``exp(-c|x-x'|^2/(2d))`` for RBF) of a learner built with
  :meth:`rafmodel.Kernel.from_kernel`; ``h = K c``, penalty ``(lam/2) c'Kc = (lam/2)|f|_K^2``;
* random features: ``Phi = sigma(X F'/sqrt d)/sqrt p`` with ``F`` i.i.d. N(0, 1) of shape
  ``(p, d)``, ``p = round(kappa d)``; ``h = Phi a``, penalty ``(lam/2)|a|^2``.  The
  activation is the learner's (:meth:`rafmodel.RandomFeatures.from_activation`) or, for
  raw ``mu1, mustar``, the polynomial ``mu1 t + mustar (t^2 - 1)/sqrt 2`` that has
  exactly those coefficients.
"""

from __future__ import annotations

import numpy as np

from ..learners import Kernel, Linear, RandomFeatures
from .base import LowRankKernel, Representation, register_representation

__all__ = ["represent_linear", "represent_kernel", "represent_random_features", "n_features"]


def n_features(kappa, d) -> int:
    """Number of random features, ``p = max(1, round(kappa d))``."""
    return max(1, int(round(kappa * d)))


@register_representation(Linear, columns=lambda learner, n, d: d)
def represent_linear(learner, X, rng) -> Representation:
    """Features ``Z = X / sqrt d``; the coefficients are the weight ``w``."""
    d = X.shape[1]
    return Representation("features", X / np.sqrt(d), lambda Xn: Xn / np.sqrt(d), lambda theta: theta)


def _poly_activation(mu1, mustar):
    def sigma(t):
        return mu1 * t + mustar * (t * t - 1.0) / np.sqrt(2.0)
    return sigma


@register_representation(RandomFeatures, columns=lambda learner, n, d: n_features(learner.kappa, d))
def represent_random_features(learner, X, rng) -> Representation:
    """Random features ``sigma(X F' / sqrt d) / sqrt p`` (``F`` drawn from ``rng``)."""
    d = X.shape[1]
    p = n_features(learner.kappa, d)
    F = rng.standard_normal((p, d))
    if learner.activation is not None:
        from ..equivalence import _resolve_activation

        sigma = _resolve_activation(learner.activation)[1]
    else:
        sigma = _poly_activation(learner.mu1, learner.mustar)

    def feats(Xn):
        return np.asarray(sigma(Xn @ F.T / np.sqrt(d)), dtype=float) / np.sqrt(p)
    return Representation("features", feats(X), feats)


def _kernel_function(spec):
    """``(k(rho), bandwidth)``: a dot-product kernel function, or the RBF bandwidth."""
    from ..equivalence import _KERNEL_ALIASES, KERNELS, _canonical_params

    name, params = spec
    if callable(name):
        return (lambda rho: name(rho, **params)), None
    key = name.strip().lower()
    key = _KERNEL_ALIASES.get(key, key)
    params = _canonical_params(key, params)  # a spec stored before 0.5 says c
    if key == "rbf":
        return None, float(params.get("bandwidth", 1.0))
    if key == "activation":
        from ..equivalence import rf_kernel

        act = params["activation"]
        return (lambda rho: rf_kernel(act, np.clip(rho, -1.0, 1.0))), None
    f = KERNELS[key]
    return (lambda rho: f(np.clip(rho, -1.0, 1.0), **params)), None


@register_representation(Kernel, columns=lambda learner, n, d: n)
def represent_kernel(learner, X, rng) -> Representation:
    """The Gaussian-equivalent kernel matrix, or the learner's real kernel."""
    d = X.shape[1]
    if learner.kernel is None:  # Gaussian-equivalent kernel
        mu1, ms = learner.mu1, learner.mustar
        # K = mu1^2 Z Z' + mustar^2 I, the Gram matrix of the features [mu1 Z, mustar I_n], kept
        # factored (B = mu1 Z): formed (n x n) only by the routes that need it
        B = X * (mu1 / np.sqrt(d))

        def test_factor(Xn):
            return Xn * (mu1 / np.sqrt(d))
        lowrank = LowRankKernel(B, ms * ms, test_factor)
        return Representation("kernel", None, lambda Xn: test_factor(Xn) @ B.T,
                              lambda c: B.T @ c, full_rank=ms > 0, lowrank=lowrank)
    k, bandwidth = _kernel_function(learner.kernel)
    sq = np.sum(X**2, axis=1) / d
    G = X @ X.T / d
    if bandwidth is not None:
        def cross(Xn):
            s2 = np.sum(Xn**2, axis=1) / d
            return np.exp(-0.5 * bandwidth * np.maximum(s2[:, None] + sq[None, :] - 2 * Xn @ X.T / d, 0.0))
        K = np.exp(-0.5 * bandwidth * np.maximum(sq[:, None] + sq[None, :] - 2 * G, 0.0))
    else:
        def cross(Xn):
            return k(Xn @ X.T / d)
        K = k(G)
    return Representation("kernel", np.asarray(K, dtype=float), cross)
