"""The Gaussian-equivalence coefficients ``(mu0, mu1, mustar)`` as one value type.

:class:`Coefficients` is what :func:`~rafmodel.equivalence.activation_coefficients` and
:func:`~rafmodel.equivalence.kernel_coefficients` return: a learner with these coefficients
acts like the kernel ``mu0^2 + mu1^2 x.x'/d + mustar^2 delta(x, x')`` (docs/theory.md,
section 2.5).
"""

from __future__ import annotations

import dataclasses
import math
from numbers import Real

from ..exceptions import ParameterError

__all__ = ["Coefficients"]


@dataclasses.dataclass(frozen=True)
class Coefficients:
    """Gaussian-equivalence coefficients ``(mu0, mu1, mustar)``.

    A learner with these coefficients acts like the kernel
    ``mu0^2 + mu1^2 x.x'/d + mustar^2 delta(x, x')``.

    Parameters
    ----------
    mu0 : float
        Constant coefficient (``E sigma(g)``, or ``sqrt(k(0))`` for a kernel).
    mu1 : float
        Linear coefficient (``E g sigma(g)``, or ``sqrt(k'(0))`` for a kernel).
    mustar : float
        Non-linear ("memory") coefficient, ``mustar >= 0``.

    Raises
    ------
    ParameterError
        A coefficient that is not a finite real number, or ``mustar < 0``.

    Notes
    -----
    The triple unpacks: ``mu0, mu1, mustar = activation_coefficients("relu")``.

    Examples
    --------
    >>> mu0, mu1, mustar = Coefficients(0.0, 1.0, 0.5)
    >>> mu1, mustar
    (1.0, 0.5)
    """

    mu0: float
    mu1: float
    mustar: float

    def __post_init__(self):
        for name in ("mu0", "mu1", "mustar"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, Real):
                raise ParameterError(name, f"must be a real number, got {value!r}")
            value = float(value)
            if not math.isfinite(value):
                raise ParameterError(name, f"must be finite, got {value!r}")
            object.__setattr__(self, name, value)
        if self.mustar < 0:
            raise ParameterError("mustar", f"must be >= 0, got {self.mustar!r}")

    def __iter__(self):
        return iter((self.mu0, self.mu1, self.mustar))


def _from_moments(m0, m1, second, var=None, *, what, hint):
    """``Coefficients`` from ``E sigma``, ``E g sigma``, ``E sigma^2``.

    ``var``, if given, is ``E (sigma - mu0 - mu1 g)^2`` computed directly (no
    cancellation, so ``mustar`` is accurate even when it is tiny); otherwise it is
    ``E sigma^2 - mu0^2 - mu1^2``.
    """
    if var is None:
        var = second - m0 * m0 - m1 * m1
    if var < 0:
        # Bessel's inequality makes var >= 0 exactly; allow for rounding only.
        if var < -1e-10 * max(1.0, abs(second)):
            raise ParameterError(
                what, f"the quadrature gave E sigma^2 - mu0^2 - mu1^2 = {var:.3g} < 0; "
                      f"{hint}")
        var = 0.0
    return Coefficients(m0, m1, math.sqrt(var))
