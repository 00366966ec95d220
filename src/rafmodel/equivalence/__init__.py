"""Gaussian-equivalence coefficients of activations and dot-product kernels.

Kernel and random-features learners enter the theory of docs/theory.md (section 2) only
through three numbers ``(mu0, mu1, mustar)``:

* an **activation** ``sigma`` (random features ``f(x) = a.sigma(F x / sqrt d) / sqrt p``)
  has, with ``g ~ N(0, 1)``,

      mu0 = E sigma(g),   mu1 = E g sigma(g),   mustar^2 = E sigma(g)^2 - mu0^2 - mu1^2;

* a **dot-product kernel** ``K(x, x') = k(x.x'/d)`` on inputs with ``|x|^2 ~ d`` has

      mu0^2 = k(0),   mu1^2 = k'(0),   mustar^2 = k(1) - k(0) - k'(0).

The two are linked by the infinite-width limit of random features (``kappa = p/d ->
infinity``): the kernel is ``k(rho) = E[sigma(u) sigma(v)]`` for a standard bivariate
normal pair ``(u, v)`` with correlation ``rho`` (see :func:`rf_kernel`).  By Mehler's
formula ``k(rho) = sum_n c_n^2 rho^n / n!`` with the Hermite coefficients
``c_n = E[sigma(g) He_n(g)]``, so ``k(0) = mu0^2``, ``k'(0) = mu1^2`` and
``k(1) = E sigma(g)^2``: both definitions give the same coefficients, up to the signs of
``mu0`` and ``mu1``, which a kernel does not determine (kernel coefficients are reported
non-negative).

Public API
----------
:class:`Coefficients`
    Frozen ``(mu0, mu1, mustar)`` triple.
:func:`activation_coefficients`
    Coefficients of an activation, by name or callable.
:func:`kernel_coefficients`
    Coefficients of a dot-product kernel, by name or callable ``k(rho)``.
:func:`rf_kernel`
    The infinite-width random-features kernel ``k(rho)`` of an activation, by quadrature.
:data:`ACTIVATIONS`, :data:`KERNELS`
    Registries of the named activations and kernel functions.

Modules
-------
:mod:`~rafmodel.equivalence.coefficients`
    The ``(mu0, mu1, mustar)`` value type.
:mod:`~rafmodel.equivalence.activations`
    Named activations and the coefficients of an activation.
:mod:`~rafmodel.equivalence.random_features`
    The infinite-width random-features kernel of an activation.
:mod:`~rafmodel.equivalence.kernels`
    Named dot-product kernels and the coefficients of a kernel.
:mod:`~rafmodel.equivalence.keys`
    Identity keys of kernels and activations (the equality of learners).

Every name is importable from ``rafmodel.equivalence`` itself, as before the split.
"""

from __future__ import annotations

# The public names, and every private one the module had before the split (callers
# inside the package and tests import some of them from here).
from ..exceptions import ParameterError  # noqa: F401
from .activations import (  # noqa: F401
    _ACTIVATION_ALIASES, _CLOSED_FORMS, _INV_SQRT_2PI, _METHODS, _PANEL_NODES, _SMOOTH, _TWO_PI, _X_MAX,
    ACTIVATIONS, _abs, _allowed, _check_method, _check_n_nodes, _check_tails, _erf, _gelu, _hermite_rule,
    _linear, _moments_adaptive, _moments_rule, _panel_rule, _quadratic, _relu, _resolve_activation, _sigmoid,
    _sign, _step, _tanh, _vectorized, activation_coefficients)
from .coefficients import Coefficients, _from_moments  # noqa: F401
from .kernels import (  # noqa: F401
    _KERNEL_ALIASES, _KERNEL_NAMES, _KERNEL_SPECS, _LOG_MAX, _LOG_TINY, _RBF_C_MAX, _RBF_C_MIN, _TINY, KERNELS,
    _RENAMED_PARAMS, _canonical_params, _renamed_params,
    _arccos0_kernel, _arccos_kernel, _callable_kernel_taylor, _check_degree, _check_real, _derivative_at_zero,
    _erf_kernel, _expm1_minus_x, _KernelSpec, _linear_kernel, _poly_kstar, _poly_taylor, _polynomial_kernel,
    _pow_is_finite, _rbf_kernel, _rbf_taylor, _sign_kernel, kernel_coefficients)
from .keys import _activation_key, _ById, _defaults, _kernel_key, _value_key  # noqa: F401
from .random_features import (  # noqa: F401
    _ANGULAR_PANELS, _RADIAL_MAX, _RHO_CHUNK, _radial_rule, _rf_kernel_block, _unit_rule, rf_kernel)

__all__ = ["Coefficients", "activation_coefficients", "kernel_coefficients", "rf_kernel",
           "ACTIVATIONS", "KERNELS"]
