"""Anderson mixing: the batched rule (Cholesky on (B,) columns) against the one-point rule
(Gaussian elimination in Python floats), two implementations that share no linear algebra."""

import numpy as np

from rafmodel.theory.anderson import POINT, Batch, anderson_step


def _batched(cols, dY, dG, g, beta):
    """The batched step from point-major arrays ``(B, M, K)``, ``(B, K)`` (Batch takes the points last)."""
    t = lambda x: np.ascontiguousarray(np.moveaxis(x, 0, -1))  # noqa: E731
    return anderson_step(Batch(t(cols)), t(dY), t(dG), t(g), t(beta * g), beta).T


def test_batched_step_equals_the_one_point_step_with_each_points_own_history():
    rng = np.random.default_rng(0)
    B, M, K, beta = 200, 4, 6, 0.8  # K >= M: full-rank histories (a well-posed comparison)
    dY, dG = rng.normal(size=(B, M, K)), rng.normal(size=(B, M, K))
    g = rng.normal(size=(B, K))
    nhist = rng.integers(1, M + 1, B)
    cols = np.arange(M)[None, :] < nhist[:, None]
    batch = _batched(cols, dY * cols[..., None], dG * cols[..., None], g, beta)
    for b in range(B):
        k = nhist[b]
        one = anderson_step(POINT, dY[b, :k].tolist(), dG[b, :k].tolist(), g[b].tolist(),
                            (beta * g[b]).tolist(), beta)
        np.testing.assert_allclose(batch[b], one, rtol=1e-8, atol=1e-10)
    # the unused columns do not enter: garbage there changes nothing
    junk = np.where(cols[..., None], dY, 1e3), np.where(cols[..., None], dG, -7.0)
    again = _batched(cols, junk[0] * cols[..., None], junk[1] * cols[..., None], g, beta)
    np.testing.assert_array_equal(again, batch)


def test_batched_step_of_one_point_does_not_depend_on_the_others():
    rng = np.random.default_rng(1)
    B, M, K = 50, 4, 3
    dY, dG, g = rng.normal(size=(B, M, K)), rng.normal(size=(B, M, K)), rng.normal(size=(B, K))
    cols = np.ones((B, M), bool)
    whole = _batched(cols, dY, dG, g, 0.8)
    for b in (0, 17, 49):
        alone = _batched(cols[b:b + 1], dY[b:b + 1], dG[b:b + 1], g[b:b + 1], 0.8)
        np.testing.assert_array_equal(alone[0], whole[b])
