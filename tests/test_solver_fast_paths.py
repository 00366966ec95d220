"""The lam = 0 fast paths of the solvers give what the slower, general routes give.

The min-norm square-loss solution by one certified Cholesky (far from n = p) equals
``numpy.linalg.lstsq``; the unregularized hinge LP solved in its dual (n >= 2p) has the value of
the primal LP and a minimizer that attains it; near n = p the fast path declines.
"""

from __future__ import annotations

import numpy as np
import pytest

from rafmodel.estimators import solvers as S


def _data(n, p, seed=0):
    rng = np.random.default_rng(seed)
    A = rng.standard_normal((n, p)) / np.sqrt(p)
    y = np.sign(A @ rng.standard_normal(p) + 0.8 * rng.standard_normal(n))
    return A, y


@pytest.mark.parametrize("n,p", [(60, 200), (200, 60)])
def test_min_norm_cholesky_equals_lstsq(n, p):
    A, y = _data(n, p)
    fast = S._min_norm_fast(A, y)
    assert fast is not None
    np.testing.assert_allclose(fast, np.linalg.lstsq(A, y, rcond=None)[0], rtol=1e-9, atol=1e-12)


def test_min_norm_fast_path_declines_near_n_equal_p_and_on_rank_deficient_features():
    A, y = _data(100, 120)
    assert S._min_norm_fast(A, y) is None  # p < 2n: lstsq decides
    B = np.repeat(A[:, :20], 12, axis=1)  # p = 240 >= 2n but rank 20 < n: no interpolation, refused
    assert S._min_norm_fast(B, y) is None


def test_the_square_solver_reports_which_route_it_took():
    A, y = _data(50, 150)
    rep = type("Rep", (), {"lowrank": None, "train": A, "kind": "features"})()
    theta, info = S.solve_square(rep, y, 0.0, None)
    assert info["solver"].startswith("cholesky (min-norm")
    np.testing.assert_allclose(A @ theta, y, atol=1e-8)


def test_the_dual_hinge_lp_has_the_primal_value_and_a_minimizer():
    A, y = _data(300, 40, seed=1)  # n >= 2p and not separable: the dual route
    value, theta = S._hinge_lp(A, y)
    summed = float(np.sum(np.maximum(0.0, 1.0 - y * (A @ theta))))
    assert value > 1.0 and summed == pytest.approx(value, rel=1e-7)
    # the primal LP (one slack per sample) reaches the same minimum
    import scipy.sparse as sp
    from scipy.optimize import linprog

    n, p = A.shape
    M = sp.hstack([sp.csr_matrix(-(y[:, None] * A)), -sp.identity(n)], format="csr")
    res = linprog(np.r_[np.zeros(p), np.ones(n)], A_ub=M, b_ub=-np.ones(n),
                  bounds=[(None, None)] * p + [(0, None)] * n, method="highs")
    assert value == pytest.approx(res.fun, rel=1e-7)


def test_the_dual_hinge_lp_says_separable_data_are_separable():
    rng = np.random.default_rng(2)
    A = rng.standard_normal((90, 40)) / np.sqrt(40)  # n >= 2p, labels of a teacher: separable
    y = np.sign(A @ rng.standard_normal(40))
    value, _ = S._hinge_lp(A, y)
    assert value == 0.0
