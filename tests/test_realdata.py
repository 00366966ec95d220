"""The real-data RAF experiment: the split, the learners against independent solvers, digits end to end."""

import json

import numpy as np
import pytest
from scipy.optimize import minimize

import rafmodel as rm
from rafmodel import Hinge, Kernel, ParameterError, Setting
from rafmodel.cli import main
from rafmodel.data import ImageRAF
from rafmodel.estimators import PenalizedERM, ridge_path
from rafmodel.real_data import realdata, theory_coefficients
from rafmodel.simulation import repetition_seed


@pytest.fixture(scope="module")
def digits():
    return ImageRAF("digits", rule=(3, 5), facts=8)


def _rbf(A, B, c):
    # k = exp(-c |a - b|^2 / (2 d)), written out pair by pair
    d = A.shape[1]
    D = ((A[:, None, :] - B[None, :, :]) ** 2).sum(-1)
    return np.exp(-c * D / (2 * d))


# ------------------------------------------------------------------------------------------ the split
@pytest.mark.parametrize("alpha,eps", [(2.0, 0.25), (3.0, 0.1), (1.0, 0.0), (1.5, 1.0)])
def test_split_counts_and_balance(digits, alpha, eps):
    s = Setting(alpha=alpha, eps=eps, lam=0.1)
    train, test = digits.sample(s, repetition_seed(0, 0))
    n = round(alpha * 64)
    n_facts = round(eps * n)
    assert train.X.shape == (n, 64) and int(train.is_fact.sum()) == n_facts
    rule_y = train.y[~train.is_fact]
    assert abs(int((rule_y > 0).sum()) - int((rule_y < 0).sum())) <= 1
    assert int((test.y > 0).sum()) == int((test.y < 0).sum()) > 0 and not test.is_fact.any()
    assert digits.shape(s) == (n, 64, len(test.y))
    # training images come from the right classes, and no test image is a training image
    X, labels = rm.data.load_images("digits")
    raw, raw_test = (ImageRAF("digits", standardize=False).sample(s, repetition_seed(0, 0))[k].X for k in (0, 1))
    lab_of = {row.tobytes(): lab for row, lab in zip(X, labels)}
    got = np.array([lab_of[r.tobytes()] for r in raw])
    assert set(got[train.is_fact]) <= {8}
    assert np.all((got[~train.is_fact] == 3) == (train.y[~train.is_fact] > 0))
    assert set(got[~train.is_fact]) <= {3, 5}
    train_rows = {r.tobytes() for r in raw}
    assert not any(r.tobytes() in train_rows for r in raw_test)


def test_zscore_uses_training_statistics(digits):
    train, test = digits.sample(Setting(alpha=3.0, eps=0.2, lam=0.1), repetition_seed(1, 0))
    assert np.allclose(train.X.mean(axis=0), 0.0, atol=1e-12)
    sq = ((train.X[:, None] - train.X[None]) ** 2).sum(-1)[np.triu_indices(len(train.X), 1)]
    assert np.median(sq) == pytest.approx(2 * 64)  # the median squared distance is 2d
    assert abs(test.X.mean()) > 1e-6  # the test set is not centred on its own


def test_fact_labels_do_not_depend_on_the_images(digits):
    s = Setting(alpha=2.0, eps=0.5, lam=0.1)
    noise = ImageRAF("digits", rule=(3, 5), facts=8)
    noise._X = np.random.default_rng(5).normal(size=noise._X.shape)  # other pixels, same classes
    a, b = digits.sample(s, repetition_seed(3, 0))[0], noise.sample(s, repetition_seed(3, 0))[0]
    assert np.array_equal(a.is_fact, b.is_fact) and np.array_equal(a.y, b.y)
    fy = np.concatenate([t.y[t.is_fact] for t in (digits.sample(s, repetition_seed(3, i))[0] for i in range(40))])
    assert abs(fy.mean()) < 4 / np.sqrt(fy.size)  # fair coins: 2560 labels, mean within 4 sigma


def test_split_is_determined_by_the_seed(digits):
    s = Setting(alpha=2.0, eps=0.3, lam=0.1)
    a1, t1 = digits.sample(s, repetition_seed(7, 2))
    a2, t2 = digits.sample(s.replace(lam=5.0), repetition_seed(7, 2))
    b1, _ = digits.sample(s, repetition_seed(7, 3))
    assert np.array_equal(a1.X, a2.X) and np.array_equal(a1.y, a2.y) and np.array_equal(t1.X, t2.X)
    assert not np.array_equal(a1.X, b1.X)


def test_too_few_images_and_bad_classes(digits):
    with pytest.raises(ParameterError, match="^eps: .*class 8 of digits has only 174"):
        digits.check(Setting(alpha=20.0, eps=0.5, lam=0.1))
    with pytest.raises(ParameterError, match="^alpha: .*rule class"):
        digits.check(Setting(alpha=8.0, eps=0.0, lam=0.1))
    digits.check(Setting(alpha=5.0, eps=0.0, lam=0.1))
    for kw, name in [(dict(rule=(3, 3)), "rule"), (dict(rule=(3, 10)), "rule"), (dict(rule=3), "rule"),
                     (dict(facts=3), "facts"), (dict(facts=-1), "facts"), (dict(n_test=1), "n_test")]:
        with pytest.raises(ParameterError, match=f"^{name}: "):
            ImageRAF("digits", **kw)


# ------------------------------------------------------------------------------------- the learners
def test_ridge_lam_path_equals_separate_solves(digits):
    s = Setting(alpha=3.0, eps=0.2, lam=0.0, learner=Kernel.from_kernel("rbf", bandwidth=0.7))
    train, test = digits.sample(s, repetition_seed(0, 0))
    lams = [1e-3, 0.1, 1.0, 30.0]
    Htr, Hte = ridge_path(s, train, lams, rng=0, X_test=test.X)
    K, Kt = _rbf(train.X, train.X, 0.7), _rbf(test.X, train.X, 0.7)
    for j, lam in enumerate(lams):
        coef = np.linalg.solve(K + lam * np.eye(len(K)), train.y)  # (y - Kc)^2/2 + lam/2 c'Kc
        assert np.allclose(Htr[j], K @ coef, atol=1e-8)
        assert np.allclose(Hte[j], Kt @ coef, atol=1e-8)
    # realdata's rows are these fits' errors
    res = realdata(alpha=3.0, eps=0.2, lam=lams, bandwidth=0.7, seeds=1)
    for j, row in enumerate(res):
        coef = np.linalg.solve(K + lams[j] * np.eye(len(K)), train.y)
        assert row["gen_error"] == pytest.approx(np.mean(np.sign(Kt @ coef) != test.y))
        h = K @ coef
        assert row["mem_error"] == pytest.approx(np.mean(np.sign(h[train.is_fact]) != train.y[train.is_fact]))


@pytest.mark.parametrize("lam", [0.05, 1.0])
def test_kernel_svm_agrees_with_a_box_constrained_dual(digits, lam):
    s = Setting(alpha=2.0, eps=0.3, lam=lam, learner=Kernel.from_kernel("rbf", bandwidth=1.0), loss=Hinge())
    train, _ = digits.sample(s, repetition_seed(2, 0))
    fitted = PenalizedERM(s.learner, Hinge(), lam).fit(train, 0)
    # no intercept: max_a sum a - |sum_i a_i y_i phi_i|^2 / (2 lam), 0 <= a <= 1, h = K (a y) / lam
    K, y = _rbf(train.X, train.X, 1.0), train.y
    Q = (y[:, None] * y[None, :]) * K / lam

    def neg(a):
        return 0.5 * a @ Q @ a - a.sum(), Q @ a - 1.0
    opt = minimize(neg, np.full(len(y), 0.5), jac=True, method="L-BFGS-B", bounds=[(0, 1)] * len(y),
                   options={"ftol": 1e-15, "gtol": 1e-10, "maxiter": 20000})
    h = K @ (opt.x * y) / lam
    assert np.allclose(fitted.h_train, h, atol=2e-3 * max(1.0, np.abs(h).max()))
    primal = np.maximum(0, 1 - y * fitted.h_train).sum() + 0.5 * lam * fitted.h_train @ np.linalg.solve(
        K + 1e-12 * np.eye(len(K)), fitted.h_train)
    assert primal == pytest.approx(-opt.fun, rel=1e-4)


# ------------------------------------------------------------------------------------- end to end
def test_digits_end_to_end_with_theory():
    res = realdata(alpha=3.0, eps=0.2, lam=[1e-3, 10.0], bandwidth=[0.5, 2.0], seeds=2, theory="isotropic")
    rows = res.to_records()
    assert [(r["bandwidth"], r["lam"]) for r in rows] == [(0.5, 1e-3), (0.5, 10.0), (2.0, 1e-3), (2.0, 10.0)]
    for r in rows:
        assert (r["d"], r["n"], r["seeds"]) == (64, 192, 2)
        assert 0 <= r["gen_error"] < 0.15 and r["gen_error_se"] >= 0
        assert 0 <= r["gen_error_theory"] <= 0.5 and 0 <= r["mem_error_theory"] <= 0.5
    small, large = rows[0], rows[1]
    assert small["mem_error"] == 0.0 and large["mem_error"] > 0.1  # ridge memorizes at small lam only
    assert small["mem_error_theory"] < 1e-6 < large["mem_error_theory"]
    # the theory's kernel: rbf with c = scale * bandwidth on the unit-scale inputs
    mu1, mustar = theory_coefficients("rbf", rows[0]["scale"], bandwidth=0.5)
    c = rm.kernel_coefficients("rbf", bandwidth=rows[0]["scale"] * 0.5)
    assert (rows[0]["mu1"], rows[0]["mustar"]) == pytest.approx((c.mu1, c.mustar)) == (mu1, mustar)
    s = Setting(alpha=3.0, eps=0.2, lam=10.0, learner=Kernel(mu1=mu1, mustar=mustar))
    assert rows[1]["gen_error_theory"] == pytest.approx(rm.solve(s).gen_error, rel=1e-6)
    assert "gen_error" in res.fit_summary()
    # seeded: the same call gives the same table
    assert realdata(alpha=3.0, eps=0.2, lam=[1e-3], bandwidth=0.5, seeds=2).to_records()[0]["gen_error"] == \
        rows[0]["gen_error"]


def test_hinge_and_other_kernels_run():
    res = realdata(alpha=2.0, eps=0.2, lam=[0.1], loss="hinge", seeds=2)
    assert res[0]["loss"] == "hinge" and res[0]["failed"] == 0 and res[0]["gen_error"] < 0.2
    res = realdata(alpha=2.0, eps=0.2, lam=[0.1], kernel="polynomial", seeds=1, theory="isotropic")
    assert np.isnan(res[0]["bandwidth"]) and res[0]["gen_error"] < 0.3
    with pytest.raises(ParameterError, match="^loss: "):
        realdata(loss="logistic")
    with pytest.raises(ParameterError, match="^bandwidth: "):
        realdata(bandwidth=[1.0, -1.0])


def test_mixture_theory_is_the_default_and_beats_the_isotropic_one(tmp_path, monkeypatch):
    from rafmodel.data import ImageRAF
    from rafmodel.spectra import data_mixture
    from rafmodel.theory.mixture import solve_mixture

    monkeypatch.setenv("RAFMODEL_CACHE", str(tmp_path))
    kw = dict(alpha=[1.0, 2.0], eps=0.2, lam=[1e-2, 1.0], seeds=4)
    mix, iso = realdata(theory=True, **kw).to_records(), realdata(theory="isotropic", **kw).to_records()
    assert {r["theory"] for r in mix} == {"mixture"} and {r["theory"] for r in iso} == {"isotropic"}
    # the table's numbers are the mixture theory on the measured mixture (cached: the second call reads the file)
    m = data_mixture(ImageRAF("digits", rule=(3, 5), facts=8), rm.Kernel.from_kernel("rbf", bandwidth=1.0), eps=0.2)
    assert len(list(tmp_path.rglob("mixture-*.npz"))) == 1
    t = solve_mixture(Setting(alpha=2.0, eps=0.2, lam=1.0), m)
    assert mix[3]["gen_error_theory"] == pytest.approx(t.gen_error, rel=1e-12)
    # on digits the mixture is within a few hundredths where the isotropic theory is off by ~0.2-0.3
    gap = [abs(r["gen_error"] - r["gen_error_theory"]) for r in mix]
    igap = [abs(r["gen_error"] - r["gen_error_theory"]) for r in iso]
    assert max(gap) < 0.05 and min(igap) > 0.15, (gap, igap)
    assert all(abs(r["mem_error"] - r["mem_error_theory"]) <= max(0.03, 3 * r["mem_error_se"]) for r in mix)
    assert "mixture" in realdata(theory="mixture", **{**kw, "alpha": 1.0, "lam": 1.0}).fit_summary()
    with pytest.raises(ParameterError, match="^theory: "):
        realdata(theory="gaussian")
    with pytest.raises(ParameterError, match="^lam: .*lam > 0"):
        realdata(theory=True, lam=[0.0, 1.0])


def test_data_mixture_matches_the_kernel_matrix_block_averages(tmp_path, monkeypatch):
    """The eigen-feature route of data_mixture against the pool's kernel matrix read directly.

    The mean overlaps ``mu_r . mu_s / d`` are block averages of ``K`` and the within-class
    variance ``tr Sigma / d`` the classes' means of ``K_ii - mean_j K_ij``, weighted by their
    shares of a training set: no features needed.
    """
    from rafmodel.data import ImageRAF
    from rafmodel.estimators.representations import represent_kernel
    from rafmodel.spectra import _mixture_pool, data_mixture

    monkeypatch.setenv("RAFMODEL_CACHE", str(tmp_path))
    src = ImageRAF("digits", rule=(3, 5), facts=8)
    lrn = rm.Kernel.from_kernel("rbf", bandwidth=1.0)
    m = data_mixture(src, lrn, eps=0.3, pool=300)
    X, lab = _mixture_pool(src, 300, 0.3, 0)
    K = represent_kernel(lrn, X, None).train
    blocks = np.array([[K[np.ix_(lab == r, lab == s)].mean() for s in range(3)] for r in range(3)])
    np.testing.assert_allclose(m.means @ m.means.T / src.d, blocks, rtol=1e-8, atol=1e-10)
    share = [0.35, 0.35, 0.3]  # each class's share of a training set at eps = 0.3
    within = sum(w * (np.mean(np.diag(K)[lab == c]) - K[np.ix_(lab == c, lab == c)].mean()) for c, w in enumerate(share))
    assert np.sum(m.eigenvalues) / src.d == pytest.approx(within, rel=1e-8)
    assert data_mixture(src, lrn, eps=0.3, pool=300) == m  # read back from the cache file
    with pytest.raises(ParameterError, match="^eps: "):
        data_mixture(src, lrn, eps=1.0)
    with pytest.raises(ParameterError, match="^learner: "):
        data_mixture(src, rm.Kernel(mu1=1.0, mustar=0.5), eps=0.1)


def test_cli_realdata_json(capsys):
    rc = main(["realdata", "--rule", "1,7", "--facts", "0", "--alpha", "2", "--eps", "0.1,0.3", "--lam",
               "0.01:1:2:log", "--bandwidth", "1", "--seeds", "2", "--theory", "--json"])
    assert rc == 0
    rows = json.loads(capsys.readouterr().out)
    assert len(rows) == 4 and {r["eps"] for r in rows} == {0.1, 0.3} and rows[0]["rule"] == "1,7"
    for k in ("d", "n", "gen_error", "gen_error_se", "mem_error", "mem_error_se", "rule_error", "rule_error_se",
              "gen_error_theory", "mem_error_theory"):
        assert k in rows[0]
    assert {r["theory"] for r in rows} == {"mixture"}
    assert main(["realdata", "--alpha", "2", "--eps", "0.1", "--lam", "1", "--facts", "3"]) == 2
    assert "facts: must differ" in capsys.readouterr().err


def test_cli_realdata_theory_isotropic_and_refusals(capsys):
    rc = main(["realdata", "--alpha", "2", "--eps", "0.2", "--lam", "1", "--seeds", "1", "--theory", "isotropic",
               "--json"])
    assert rc == 0
    row = json.loads(capsys.readouterr().out)
    row = row[0] if isinstance(row, list) else row
    assert row["theory"] == "isotropic" and 0.1 < row["gen_error_theory"] < 0.5 and row["mu1"] > 0
    assert main(["realdata", "--alpha", "2", "--eps", "0.2", "--lam", "0,1", "--theory"]) == 2
    assert "lam: the mixture theory needs lam > 0" in capsys.readouterr().err
    with pytest.raises(SystemExit) as e:
        main(["realdata", "--alpha", "2", "--eps", "0.2", "--theory", "gaussian"])
    assert e.value.code == 2 and "invalid choice" in capsys.readouterr().err


def test_realdata_figure_quick():
    from rafmodel.figures import make_figure

    res = make_figure("realdata", quick=True)
    df = res.table
    lam_rows = df[df["curve"].str.startswith("bandwidth")]
    meas = lam_rows[lam_rows["source"] == "simulation"]
    theo = lam_rows[(lam_rows["source"] == "theory") & (lam_rows["theory"] == "isotropic")]
    mix = lam_rows[(lam_rows["source"] == "theory") & (lam_rows["theory"] == "mixture")]
    along = df[df["curve"] == "along alpha"]
    assert sorted(along["alpha"]) == [1.0, 4.0] and (along["lam"] == 1.0).all()
    assert len(meas) == 2 * 4 and len(theo) == 2 * 40 and len(mix) == 2 * 40 and mix["converged"].all()
    assert (meas["gen_error"] < theo["gen_error"].min()).all()  # images are easier than the isotropic model
    # the mixture theory is close to the measurement: the caption's median gap is that of the table
    gaps = (meas["gen_error"] - meas["gen_error_theory"]).abs()
    assert gaps.median() < 0.05
    assert f"|gen_error gap| median {gaps.median():.3f}" in res.caption


def _rows(A):
    return {r.tobytes() for r in np.ascontiguousarray(A)}


def test_facts_from_the_rule_classes_are_relabelled_rule_images_apart_from_train_and_test():
    from rafmodel.data.images import load_images

    X, labels = load_images("digits")
    src = ImageRAF("digits", rule=(3, 5), facts="rule", standardize=False)
    s = Setting(alpha=2.0, eps=0.25, lam=0.1)
    train, test = src.sample(s, np.random.SeedSequence(4))
    n, d, nt = src.shape(s)
    assert train.X.shape == (n, d) and int(train.is_fact.sum()) == round(0.25 * n) and test.X.shape[0] == nt
    rule_rows = _rows(X[np.isin(labels, (3, 5))].astype(float))
    other_rows = _rows(X[~np.isin(labels, (3, 5))].astype(float))
    facts = train.X[train.is_fact]
    assert _rows(facts) <= rule_rows and not (_rows(facts) & other_rows)
    assert not (_rows(test.X) & _rows(train.X))  # held out: no test image is a training image
    # the fact labels are coin flips, not the rule's
    truth = np.array([1.0 if r.tobytes() in _rows(X[labels == 3].astype(float)) else -1.0 for r in facts])
    assert 0.3 < np.mean(train.y[train.is_fact] == truth) < 0.7
    with pytest.raises(ParameterError) as e:
        ImageRAF("digits", rule=(3, 5), facts="eight")
    assert e.value.param == "facts"


def test_realdata_with_rule_facts_from_the_command_line(capsys):
    code = main(["realdata", "--alpha", "1", "--eps", "0.2", "--lam", "0.1", "--facts", "rule", "--seeds", "2",
                 "--json"])
    out = json.loads(capsys.readouterr().out)
    rec = out[0] if isinstance(out, list) else out
    assert code == 0 and rec["facts"] == "rule" and 0.0 <= rec["mem_error"] <= 1.0
