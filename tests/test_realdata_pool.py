"""The mixture theory's pool on real images: its size, its refusals, its cache key, and why it matters.

The mixture of :func:`rafmodel.spectra.data_mixture` lives on as many feature directions as its
pool has images; :func:`rafmodel.realdata` chooses (or takes, ``pool=``) that pool and refuses one
too small for its largest training set.  All on scikit-learn's digits, with tiny pools.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

import rafmodel as rm
from rafmodel.cli import main
from rafmodel.exceptions import ParameterError
from rafmodel.real_data import MIN_POOL_PER_SAMPLE, POOL_PER_SAMPLE, mixture_pool, realdata
from rafmodel.spectra import DEFAULT_POOL, data_mixture, mixture_pool_size
from rafmodel.theory.mixture import solve_mixture


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("RAFMODEL_CACHE", str(tmp_path))
    return tmp_path


def _digits(facts=8):
    from rafmodel.data import ImageRAF

    return ImageRAF("digits", rule=(3, 5), facts=facts)


class _Classes:
    """A stand-in for ImageRAF with only what the pool needs: classes of given sizes (Fashion-MNIST's 7,000)."""

    def __init__(self, size=7000, facts=8):
        self.rule, self.facts, self.dataset = (3, 5), facts, "stand-in"
        self._idx = {c: np.arange(size) for c in (3, 5, 8)}


def test_the_default_pool_grows_with_the_largest_training_set():
    src = _Classes()
    assert mixture_pool(src, 500) == DEFAULT_POOL  # small training sets: the old default
    assert mixture_pool(src, 1568) == POOL_PER_SAMPLE * 1568 == 6272  # Fashion-MNIST at alpha = 2
    assert mixture_pool(src, 3136) == 12544  # alpha = 4
    # beyond what the classes have, the default takes all of them while that is still 2 x n
    assert mixture_pool_size(src, mixture_pool(src, 6000)) == 21000 >= MIN_POOL_PER_SAMPLE * 6000
    with pytest.raises(ParameterError, match=r"^alpha: .*at least 2 x the largest training set, 22000 images.*"
                                             r"21000 images"):
        mixture_pool(src, 11000)
    # label noise: the pool has the rule's two classes only
    assert mixture_pool_size(_Classes(facts="rule"), 10 ** 6) == 14000


def test_pool_is_the_mixture_the_rows_are_computed_on_and_part_of_the_cache_key(cache):
    kw = dict(alpha=1.0, eps=0.2, lam=[0.01, 1.0], seeds=1, theory=True)
    a, b = realdata(pool=300, **kw), realdata(pool=400, **kw)
    assert {r["pool"] for r in a} == {300} and {r["pool"] for r in b} == {399}  # 133 of each of the 3 classes
    files = sorted(cache.rglob("mixture-*.npz"))
    assert len(files) == 2  # one file per pool (read back below: the pool is in the file's key)
    src, lrn = _digits(), rm.Kernel.from_kernel("rbf", bandwidth=1.0)
    for res, pool in ((a, 300), (b, 400)):
        t = solve_mixture(rm.Setting(alpha=1.0, eps=0.2, lam=1.0), data_mixture(src, lrn, eps=0.2, pool=pool))
        assert res[1]["gen_error_theory"] == pytest.approx(t.gen_error, rel=1e-9)
        assert res[1]["mem_error_theory"] == pytest.approx(t.mem_error, rel=1e-9)
    assert a[0]["gen_error_theory"] != b[0]["gen_error_theory"]
    # read back: a second call computes nothing new and gives the same numbers
    stamp = [f.stat().st_mtime_ns for f in files]
    again = realdata(pool=300, **kw)
    assert [f.stat().st_mtime_ns for f in sorted(cache.rglob("mixture-*.npz"))] == stamp
    assert [r["gen_error_theory"] for r in again] == [r["gen_error_theory"] for r in a]
    # the default on digits: every image of the three classes, under the old default's key (4,000)
    assert mixture_pool(src, 64) == DEFAULT_POOL and mixture_pool_size(src, DEFAULT_POOL) == 539


def test_bad_pools_are_refused_in_one_line_before_any_fit(cache, monkeypatch):
    import rafmodel.simulation as simulation

    def no_fit(*a, **k):
        raise AssertionError("fitted before the refusal")

    monkeypatch.setattr(simulation, "lam_path", no_fit)
    kw = dict(alpha=1.0, eps=0.2, lam=0.1, seeds=1)
    for pool, msg in ((2.5, "must be an integer >= 6"), (True, "must be an integer >= 6"), (3, "must be an integer"),
                      (5000, "5000 images asked for, but classes 3, 5, 8 of digits have 539 images; at most 539"),
                      (100, ".*at least 2 x the largest training set, 128 images .* got 100")):
        with pytest.raises(ParameterError, match=f"^pool: {msg}") as e:
            realdata(theory=True, pool=pool, **kw)
        assert "\n" not in str(e.value)
    with pytest.raises(ParameterError, match="^pool: .*mixture theory"):
        realdata(theory="isotropic", pool=300, **kw)
    with pytest.raises(ParameterError, match="^pool: .*mixture theory"):
        realdata(pool=300, **kw)
    # not enough images for any pool: alpha is what to change
    with pytest.raises(ParameterError, match=r"^alpha: .* 512 images .* classes 3, 5 of digits have 365 images"):
        realdata(theory=True, facts="rule", alpha=4.0, eps=0.2, lam=0.1, seeds=1)
    assert not list(cache.rglob("*.npz"))


def test_cli_pool_option(cache, capsys):
    base = ["realdata", "--alpha", "1", "--eps", "0.2", "--lam", "0.1", "--seeds", "1"]
    assert main([*base, "--theory", "--pool", "300", "--json"]) == 0
    row = json.loads(capsys.readouterr().out)
    row = row[0] if isinstance(row, list) else row
    assert row["pool"] == 300 and row["theory"] == "mixture"
    for extra, msg in ((["--theory", "--pool", "100"], "pool: the mixture theory needs"),
                       (["--theory", "--pool", "many"], "pool: must be an integer"),
                       (["--pool", "300"], "pool: is the mixture theory's pool")):
        assert main([*base, *extra]) == 2
        err = capsys.readouterr().err
        assert msg in err and "Traceback" not in err and len(err.strip().splitlines()) == 1


def test_data_mixture_progress_bar(cache, capsys):
    data_mixture(_digits(), rm.Kernel.from_kernel("rbf", bandwidth=1.0), eps=0.2, pool=60, progress=True)
    assert "mixture pool of 60" in capsys.readouterr().err
    data_mixture(_digits(), rm.Kernel.from_kernel("rbf", bandwidth=1.0), eps=0.2, pool=60, progress=True)
    assert "mixture pool" not in capsys.readouterr().err  # read from the cache: nothing to show


def test_a_pool_near_the_training_set_puts_its_own_peak_into_the_theory(cache):
    """Ridge at small lam, eps = 0.3, alpha = 1 (n = 64): all 539 images agree with the measurement,
    a pool of 140 (about 2 n, what data_mixture would allow) is off by far more than the target."""
    res = realdata(alpha=1.0, eps=0.3, lam=1e-3, seeds=10, theory=True)[0]
    tol = max(0.02, 3 * res["gen_error_se"])
    assert res["pool"] == 539 and abs(res["gen_error_theory"] - res["gen_error"]) <= tol, res
    small = data_mixture(_digits(), rm.Kernel.from_kernel("rbf", bandwidth=1.0), eps=0.3, pool=140)
    t = solve_mixture(rm.Setting(alpha=1.0, eps=0.3, lam=1e-3), small)
    assert t.gen_error - res["gen_error"] > 2 * tol, (t.gen_error, res)
