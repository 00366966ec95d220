"""Gaussian building blocks against scipy's quadrature and bivariate normal CDF."""

import numpy as np
import pytest
from scipy import integrate, stats

from rafmodel.theory.gaussian import TruncatedMoments, gauss_interval_moments, sign_error


@pytest.mark.parametrize("rho", [-0.7, 0.0, 0.3, 0.9, 0.999])
@pytest.mark.parametrize("h", [-2.0, -0.3, 0.0, 0.8, 3.0])
def test_truncated_moments_against_quad(rho, h):
    c = rho / np.sqrt(1 - rho**2)
    A = TruncatedMoments(rho).all(h)
    for k in range(3):
        ref = integrate.quad(lambda x: x**k * stats.norm.pdf(x) * stats.norm.cdf(c * x), -np.inf, h,
                             epsabs=1e-13, epsrel=1e-12)[0]
        assert A[k] == pytest.approx(ref, abs=1e-10)


@pytest.mark.parametrize("lo,hi", [(-1.0, 2.0), (-1e150, 0.5), (0.3, 1e150), (2.0, 2.5)])
def test_interval_moments(lo, hi):
    M = gauss_interval_moments(lo, hi)
    for k in range(3):
        ref = integrate.quad(lambda x: x**k * stats.norm.pdf(x), max(lo, -40), min(hi, 40))[0]
        assert M[k] == pytest.approx(ref, abs=1e-12)


@pytest.mark.parametrize("rho", [0.0, 0.5, 0.95])
@pytest.mark.parametrize("t", [0.0, 0.4, 1.5])
def test_sign_error_is_bivariate_normal(rho, t):
    # P[sign(z) w < -t] = 2 P[z > 0, w < -t] with corr(z, w) = rho
    cov = [[1.0, -rho], [-rho, 1.0]]  # (-z, w)
    ref = 2 * stats.multivariate_normal(mean=[0, 0], cov=cov).cdf([0.0, -t])
    assert sign_error(t, rho) == pytest.approx(ref, abs=1e-7)
