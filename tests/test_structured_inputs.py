"""Structured inputs (rafmodel.inputs; docs/theory.md section 3.11): the objects, the theory, the data.

Checked by independent routes: a flat spectrum is the isotropic theory (a known limit, on both
routes of the map); the theory of a power-law and a spiked spectrum against finite-size
simulations on Gaussian data with that covariance (the package's estimators, which share no code
with the theory), with power: the isotropic theory, compared with the same simulations, fails.
"""

from __future__ import annotations

import numpy as np
import pytest
from _power import ERRORS, check_with_power, sim_stats
from _routes import HAS_NUMBA, NUMBA_REASON, ROUTES, solve_on

import rafmodel as rm
from rafmodel.exceptions import ParameterError

# ----------------------------------------------------------------------------- the objects


def test_a_spectrum_is_normalized_to_the_package_scale():
    s = rm.Spectrum([4.0, 2.0, 1.0, 1.0], teacher_power=[1.0, 0.0, 0.0, 3.0])
    f, w, t = s.atoms()
    assert f.sum() == pytest.approx(1.0) and (f * w).sum() == pytest.approx(1.0)
    assert (f * t).sum() == pytest.approx(1.0)
    assert w[0] / w[2] == pytest.approx(4.0) and t[1] == 0.0


def test_the_default_teacher_is_drawn_isotropically():
    s = rm.Spectrum([3.0, 1.0])
    f, w, t = s.atoms()
    np.testing.assert_allclose(t, w)


def test_power_law_and_spiked_are_what_they_say():
    p = rm.PowerLaw(decay=2.0, source=0.5, size=100)
    f, w, t = p.atoms()
    assert w[0] / w[9] == pytest.approx(10.0 ** 2.0)
    assert t[0] / t[9] == pytest.approx(10.0 ** (1 + 2 * 2.0 * 0.5))
    f, w, t = rm.Spiked(fraction=0.25, spike=5.0, teacher_share=0.6).atoms()
    assert f[0] == pytest.approx(0.25) and w[0] / w[1] == pytest.approx(5.0)
    assert f[0] * t[0] == pytest.approx(0.6)


def test_equal_spectra_are_equal_and_flat_ones_merge():
    assert rm.Spectrum([2.0, 2.0, 2.0]) == rm.Spectrum([1.0])
    assert rm.Spectrum([2.0, 1.0]) != rm.Spectrum([1.0, 2.0], teacher_power=[1.0, 1.0])
    assert rm.Isotropic() != rm.Spectrum([1.0])  # the same theory (tested below), another object
    assert rm.Setting(alpha=1, eps=0, lam=1, inputs=rm.PowerLaw(decay=1, source=0, size=10)) == rm.Setting(
        alpha=1, eps=0, lam=1, inputs=rm.PowerLaw(decay=1.0, source=0.0, size=10))


@pytest.mark.parametrize("make, param", [
    (lambda: rm.Spectrum([]), "eigenvalues"),
    (lambda: rm.Spectrum([1.0, -1.0]), "eigenvalues"),
    (lambda: rm.Spectrum([1.0, np.nan]), "eigenvalues"),
    (lambda: rm.Spectrum([[1.0, 2.0]]), "eigenvalues"),
    (lambda: rm.Spectrum([1.0, 2.0], teacher_power=[1.0]), "teacher_power"),
    (lambda: rm.Spectrum([1.0, 2.0], teacher_power=[0.0, 0.0]), "teacher_power"),
    (lambda: rm.Spectrum([1.0, 2.0], weights=[1.0, 0.0]), "weights"),
    (lambda: rm.PowerLaw(decay=0.0, source=0.5, size=10), "decay"),
    (lambda: rm.PowerLaw(decay=1.0, source=-1.0, size=10), "source"),
    (lambda: rm.PowerLaw(decay=1.0, source=0.5, size=1), "size"),
    (lambda: rm.Spiked(fraction=1.0, spike=2.0, teacher_share=0.5), "fraction"),
    (lambda: rm.Spiked(fraction=0.5, spike=2.0, teacher_share=1.5), "teacher_share"),
    (lambda: rm.Setting(alpha=1, eps=0, lam=1, inputs="gaussian"), "inputs"),
])
def test_bad_input_models_are_refused_naming_the_parameter(make, param):
    with pytest.raises(ParameterError) as e:
        make()
    assert e.value.param == param


def test_a_dimension_the_spectrum_does_not_fit_is_refused_before_any_work():
    s = rm.Setting(alpha=2.0, eps=0.1, lam=0.1, inputs=rm.PowerLaw(decay=1.0, source=0.5, size=50))
    with pytest.raises(ParameterError, match="d = 50") as e:
        rm.simulate(s, d=60, seeds=1)
    assert e.value.param == "d"
    spiked = s.replace(inputs=rm.Spiked(fraction=0.1, spike=4.0, teacher_share=0.5))
    with pytest.raises(ParameterError) as e:
        rm.simulate(spiked, d=55, seeds=1)
    assert e.value.param == "d"


def test_the_random_features_theory_refuses_a_spectrum_on_other_than_d_directions():
    rf = rm.RandomFeatures(kappa=2.0, mu1=0.5, mustar=0.5)
    spiked = rm.Spiked(fraction=0.1, spike=4.0, teacher_share=0.5)
    # a spectrum on more (or fewer) directions than input dimensions: the projection F x is of d inputs
    with pytest.raises(ParameterError, match="1 direction per input dimension") as e:
        rm.solve(rm.Setting(alpha=2.0, eps=0.1, lam=0.1, learner=rf,
                            inputs=rm.Spectrum([3.0, 1.0], weights=[1.0, 1.0], directions=2.0)))
    assert e.value.param == "inputs"
    # the square loss at lam = 0 is known: n < p interpolates, whatever the spectrum
    r = rm.solve(rm.Setting(alpha=1.5, eps=0.1, lam=0.0, learner=rf, loss="square", inputs=spiked))
    assert r.interpolating and r.mem_error == 0.0


def test_structured_inputs_are_in_the_labels_and_the_repr_and_isotropic_ones_are_not():
    s = rm.Setting(alpha=2.0, eps=0.1, lam=0.1)
    assert "inputs" not in s.labels() and "inputs" not in repr(s)
    p = s.replace(inputs=rm.PowerLaw(decay=1.5, source=0.25, size=300))
    assert p.labels()["inputs"] == "PowerLaw(decay=1.5, source=0.25, size=300)"
    assert "PowerLaw" in repr(p)


# ----------------------------------------------------------------------------- the data


def test_the_sampled_inputs_have_the_spectrum_and_the_teacher_its_power():
    inp = rm.Spiked(fraction=0.2, spike=6.0, teacher_share=0.9)
    data = rm.sample_raf(d=50, alpha=400.0, eps=0.0, rng=3, inputs=inp)
    f, w, t = inp.atoms()
    var = data.X.var(axis=0)
    np.testing.assert_allclose(var[:10].mean(), w[0], rtol=0.03)
    np.testing.assert_allclose(var[10:].mean(), w[1], rtol=0.03)
    z = data.X @ data.w_star / np.sqrt(data.d)
    assert z.var() == pytest.approx(1.0, rel=0.03)
    share = (data.X[:, :10] @ data.w_star[:10] / np.sqrt(data.d)).var()
    assert share == pytest.approx(0.9, rel=0.05)
    assert np.array_equal(data.y, np.where(z >= 0, 1.0, -1.0))


def test_isotropic_sampling_is_unchanged_by_the_input_models():
    a = rm.sample_raf(d=30, alpha=2.0, eps=0.2, rng=5)
    b = rm.sample_raf(d=30, alpha=2.0, eps=0.2, rng=5, inputs="isotropic")
    assert np.array_equal(a.X, b.X) and np.array_equal(a.y, b.y) and b.variances is None


# ----------------------------------------------------------------------------- the theory: a known limit

FLAT = rm.Spectrum(np.ones(5))
LEARNERS = [rm.Linear(), rm.Kernel(mu1=0.8, mustar=0.5), rm.Kernel(mu1=0.9, mustar=0.0)]


@pytest.mark.parametrize("route", ROUTES)
@pytest.mark.parametrize("loss", ["square", "hinge", "logistic"])
@pytest.mark.parametrize("learner", LEARNERS, ids=["linear", "kernel", "kernel-mustar0"])
def test_a_flat_spectrum_is_the_isotropic_theory(route, loss, learner):
    if route == "compiled" and not HAS_NUMBA:
        pytest.skip(NUMBA_REASON)
    iso = rm.grid(learner=learner, loss=loss, alpha=[0.4, 1.5, 5.0], eps=[0.0, 0.3], lam=[0.0, 1e-3, 0.5])
    flat = [s.replace(inputs=FLAT) for s in iso]
    a, b = solve_on(route, iso), solve_on(route, flat)
    assert np.array_equal(a["converged"], b["converged"]) and a["converged"].sum() >= len(iso) - 2
    ok = a["converged"]
    for k in ("m", "q", "V"):
        np.testing.assert_allclose(b[k][ok], a[k][ok], rtol=1e-9, atol=1e-12, err_msg=k)
    for k in ERRORS:
        np.testing.assert_allclose(b[k][ok], a[k][ok], rtol=0, atol=1e-10, err_msg=k)


RANDOM_FEATURES = [rm.RandomFeatures(kappa=0.5, mu1=0.8, mustar=0.5), rm.RandomFeatures(kappa=2.0, mu1=0.8, mustar=0.0),
                   rm.RandomFeatures(kappa=2.0, mu1=0.8, mustar=0.5)]


@pytest.mark.parametrize("route", ROUTES)
@pytest.mark.parametrize("loss", ["square", "hinge", "logistic"])
@pytest.mark.parametrize("learner", RANDOM_FEATURES, ids=["kappa0.5", "kappa2-mustar0", "kappa2"])
def test_a_flat_spectrum_is_the_isotropic_random_features_theory(route, loss, learner):
    # the deterministic equivalent over F (docs/theory.md 3.12) against the isotropic closed form, which
    # shares no formula with it; lam = 0 only for the square loss (margin losses refuse it on structured inputs)
    if route == "compiled" and not HAS_NUMBA:
        pytest.skip(NUMBA_REASON)
    lams = [1e-3, 0.5] + ([0.0] if loss == "square" else [])
    iso = rm.grid(learner=learner, loss=loss, alpha=[0.4, 1.5, 5.0], eps=[0.0, 0.3], lam=lams)
    a, b = solve_on(route, iso), solve_on(route, [s.replace(inputs=FLAT) for s in iso])
    assert a["converged"].all() and b["converged"].all()
    for k in ("m", "q", "V"):
        np.testing.assert_allclose(b[k], a[k], rtol=1e-9, atol=1e-11, err_msg=k)
    for k in ERRORS:
        np.testing.assert_allclose(b[k], a[k], rtol=0, atol=1e-10, err_msg=k)


@pytest.mark.parametrize("inputs", [None, FLAT, rm.Spiked(fraction=0.1, spike=10.0, teacher_share=0.8),
                                    rm.PowerLaw(decay=0.5, source=0.5, size=400)],
                         ids=["isotropic", "flat", "spiked", "powerlaw"])
def test_the_random_features_separability_on_a_spectrum_has_its_known_limits(inputs):
    from rafmodel.theory.capacity import interpolation_threshold

    def threshold(learner, eps, inp=inputs):
        return float(interpolation_threshold(learner, rm.Hinge(), eps, learner.params(), inp))

    for kappa, mustar in ((0.5, 0.5), (2.0, 0.3)):  # Cover: 2 p random labels in p dimensions, any covariance
        assert threshold(rm.RandomFeatures(kappa=kappa, mu1=0.8, mustar=mustar), 1.0) == pytest.approx(2 * kappa,
                                                                                                          rel=1e-9)
    # without mustar, kappa >= 1: features an invertible image of the inputs, the linear learner's alpha_c
    assert threshold(rm.RandomFeatures(kappa=2.0, mu1=0.8, mustar=0.0), 0.2) == pytest.approx(rm.alpha_c(0.2),
                                                                                               rel=1e-8)
    rf = rm.RandomFeatures(kappa=1.5, mu1=0.8, mustar=0.6)
    if inputs is FLAT:  # a flat spectrum is isotropic
        assert threshold(rf, 0.2) == pytest.approx(threshold(rf, 0.2, None), rel=1e-10)
    elif inputs is not None:  # and a structured one is not
        assert threshold(rf, 0.2) > threshold(rf, 0.2, None) + 0.2


def _sampled_random_features_step(inputs, kappa, mu1, mustar, hats, lam, d, rng):
    """The channel's ``(m, q, V)`` after one ridge step of random features, from one draw of ``F``.

    A second route to the map's structured update: the features' covariance ``Omega = mu1^2 F Sigma
    F'/d + mustar^2 I`` and their covariance ``Phi`` with the teacher's field, built from a drawn
    ``F`` and diagonalized; ``R = (lam + Vhat Omega)^-1``; ``V = tr(Omega R)/p``, ``m = mhat Phi'R Phi``,
    ``q = mhat^2 Phi'R Omega R Phi + qhat tr(Omega^2 R^2)/p`` (the Gaussian covariate model's ridge).
    """
    mh, qh, vh = hats
    var, power = inputs.coordinates(d)
    w = np.sqrt(power / var)
    p = int(round(kappa * d))
    F = rng.standard_normal((p, d))
    omega, U = np.linalg.eigh(mu1 ** 2 * (F * var) @ F.T / d + mustar ** 2 * np.eye(p))
    g2 = (U.T @ (mu1 * F @ (var * w) / d)) ** 2
    r = 1.0 / (lam + vh * omega)
    return np.array([mh * np.sum(g2 * r), mh ** 2 * np.sum(g2 * omega * r * r) + qh * np.mean((omega * r) ** 2),
                     np.mean(omega * r)])


@pytest.mark.parametrize("inputs", [rm.Spiked(fraction=0.1, spike=10.0, teacher_share=0.8),
                                    rm.PowerLaw(decay=0.5, source=0.5, size=50)], ids=["spiked", "powerlaw"])
@pytest.mark.parametrize("kappa, mustar", [(0.7, 0.5), (1.6, 0.0), (1.6, 0.6)])
def test_the_random_features_step_is_that_of_drawn_features(inputs, kappa, mustar):
    # measured (d = 1000, 4 draws): |z| <= 1.5 for m and q, V within 2e-4 relative; the isotropic step |z| >= 26
    from rafmodel.theory.maps import learner_map

    learner = rm.RandomFeatures(kappa=kappa, mu1=0.8, mustar=mustar)
    P = {"kappa": kappa, "mu1": 0.8, "mustar": mustar}
    hats, lam = (np.array([0.9]), np.array([0.7]), np.array([1.3])), np.array([0.05])

    def step(lmap):
        state, _ = lmap.update(*hats, lam, P)
        return np.array([float(np.ravel(v)[0]) for v in lmap.to_channel(state, lam, P)])

    theory, isotropic = step(learner_map(learner).with_inputs(inputs)), step(learner_map(learner))
    rng = np.random.default_rng(1)
    draws = np.array([_sampled_random_features_step(inputs, kappa, 0.8, mustar, (0.9, 0.7, 1.3), 0.05, 1000, rng)
                      for _ in range(4)])
    mean, se = draws.mean(0), draws.std(0, ddof=1) / 2
    z, z_iso = (mean - theory) / se, (mean - isotropic) / se
    assert np.all(np.abs(z[:2]) <= 4), z  # m, q: fluctuate like 1/sqrt(d) from draw to draw
    assert abs(mean[2] / theory[2] - 1) <= 1e-3, (mean[2], theory[2])  # V, a trace: a 1/d bias, below 1e-3
    assert np.all(np.abs(z_iso[:2]) > 10), z_iso


@pytest.mark.skipif(not HAS_NUMBA, reason=NUMBA_REASON)
@pytest.mark.parametrize("loss", ["square", "hinge", "logistic"])
def test_both_routes_agree_on_a_power_law(loss):
    s = rm.grid(learner=rm.Kernel(mu1=0.8, mustar=0.4), loss=loss, alpha=[0.5, 2.0], eps=[0.2], lam=[0.0, 0.01],
                inputs=rm.PowerLaw(decay=1.5, source=0.3, size=400))
    s += rm.grid(learner=rm.RandomFeatures(kappa=1.5, mu1=0.8, mustar=0.6), loss=loss, alpha=[0.5, 2.0], eps=[0.2],
                 lam=[0.01, 0.5], inputs=rm.PowerLaw(decay=0.5, source=0.5, size=400))
    a, b = solve_on("numpy", s), solve_on("compiled", s)
    assert a["converged"].all() and b["converged"].all()
    for k in ("m", "q", "V", *ERRORS):
        np.testing.assert_allclose(b[k], a[k], rtol=1e-8, atol=1e-11, err_msg=k)


def test_lam_zero_square_interpolates_below_one_and_fits_least_squares_above():
    p = rm.PowerLaw(decay=1.2, source=0.4, size=300)
    below = rm.solve(rm.Setting(alpha=0.6, eps=0.2, lam=0.0, inputs=p))
    above = rm.solve(rm.Setting(alpha=2.0, eps=0.2, lam=0.0, inputs=p))
    assert below.interpolating and below.mem_error == 0.0 and below.rule_error == 0.0
    assert not above.interpolating and above.converged
    # lam -> 0+ is the limit of small lam on both sides
    for r, a in ((below, 0.6), (above, 2.0)):
        near = rm.solve(rm.Setting(alpha=a, eps=0.2, lam=1e-7, inputs=p))
        assert near.gen_error == pytest.approx(r.gen_error, abs=1e-4)


# ----------------------------------------------------------------------------- the theory against simulations

D = 600
POWER_LAW = rm.PowerLaw(decay=1.5, source=0.3, size=D)
SPIKED = rm.Spiked(fraction=0.1, spike=10.0, teacher_share=0.8)
CASES = [
    pytest.param(rm.Setting(alpha=1.5, eps=0.2, lam=0.01, loss="square", inputs=POWER_LAW), id="linear-square-powerlaw"),
    pytest.param(rm.Setting(alpha=1.5, eps=0.2, lam=0.01, loss="logistic", inputs=POWER_LAW),
                 id="linear-logistic-powerlaw"),
    pytest.param(rm.Setting(alpha=2.0, eps=0.2, lam=0.1, loss="hinge", inputs=SPIKED), id="linear-hinge-spiked"),
    pytest.param(rm.Setting(alpha=2.0, eps=0.2, lam=0.1, loss="logistic", learner=rm.Kernel(mu1=0.8, mustar=0.6),
                            inputs=SPIKED), id="kernel-logistic-spiked"),
    pytest.param(rm.Setting(alpha=1.5, eps=0.2, lam=0.1, loss="square", learner=rm.Kernel(mu1=0.8, mustar=0.6),
                            inputs=POWER_LAW), id="kernel-square-powerlaw"),
    pytest.param(rm.Setting(alpha=2.0, eps=0.2, lam=0.1, loss="hinge", learner=rm.Kernel(mu1=0.8, mustar=0.6),
                            inputs=POWER_LAW), id="kernel-hinge-powerlaw"),
]


RF = rm.RandomFeatures(kappa=1.5, mu1=0.8, mustar=0.6)
#: Random features need each feature's pre-activation F_i.x/sqrt(d) to have variance ~1, i.e. sum f omega^2 << d
#: (docs/theory.md 3.12): a power law with decay > 1 and one direction per atom breaks that (its top
#: eigenvalue grows with d; measured: |z| = 14 at d = 400; with 50 atoms at d = 600, sum f omega^2 / d = 0.02,
#: still |z| = 5.8 in gen_error), so its power laws are milder (decay 0.5) or coarser (20 atoms: 0.008, |z| = 1.4).
RF_CASES = [
    pytest.param(rm.Setting(alpha=2.0, eps=0.2, lam=0.05, loss="square", learner=RF, inputs=SPIKED),
                 id="rf-square-spiked"),
    pytest.param(rm.Setting(alpha=2.0, eps=0.2, lam=0.1, loss="hinge", learner=RF,
                            inputs=rm.PowerLaw(decay=0.5, source=0.5, size=D)), id="rf-hinge-powerlaw"),
    pytest.param(rm.Setting(alpha=2.0, eps=0.2, lam=0.1, loss="logistic", learner=RF, inputs=SPIKED),
                 id="rf-logistic-spiked"),
    pytest.param(rm.Setting(alpha=2.0, eps=0.2, lam=0.05, loss="square", learner=RF,
                            inputs=rm.PowerLaw(decay=1.5, source=0.3, size=20)), id="rf-square-powerlaw-coarse"),
]


def test_compare_warns_where_random_features_are_not_gaussian_equivalent():
    rf_on = rm.Setting(alpha=2.0, eps=0.2, lam=0.05, loss="square", learner=RF,
                       inputs=rm.PowerLaw(decay=1.5, source=0.3, size=50))
    assert rf_on.inputs.second_moment / 600 > rm.inputs.SECOND_MOMENT_LIMIT  # measured above: |z| = 5.8 at d = 600
    with pytest.warns(RuntimeWarning, match=r"tr\(Sigma\^2\)/d\^2 = 0.0184 > 0.01"):
        rm.compare(rf_on, d=600, seeds=2, n_test=200)
    import warnings

    with warnings.catch_warnings():  # neither the coarser spectrum, nor the linear learner on the same one
        warnings.simplefilter("error", RuntimeWarning)
        rm.compare([rf_on.replace(inputs=rm.PowerLaw(decay=1.5, source=0.3, size=20)),
                    rf_on.replace(learner=rm.Linear())], d=600, seeds=2, n_test=200)


def test_random_features_at_max_margin_on_a_spectrum_agree_with_simulations():
    # lam = 0, alpha = 2 below the features' separability on the spiked spectrum (4.06; isotropic 3.69):
    # the max-margin SVM; measured |z| = 1.4 in gen_error, the isotropic theory |z| = 20
    setting = rm.Setting(alpha=2.0, eps=0.2, lam=0.0, loss="hinge", learner=RF, inputs=SPIKED)
    theory = rm.solve(setting)
    assert theory.interpolating and theory.mem_error == 0.0
    sim = rm.simulate(setting, d=400, seeds=8, n_test=4000, seed=11)
    assert np.all(np.asarray(sim.values["mem_error"]) == 0.0)
    stats = sim_stats(sim, ["gen_error"])
    check_with_power(theory, rm.solve(setting.replace(inputs="isotropic")), stats,
                     what=f"max-margin random features {setting!r}", perturbation="isotropic inputs")


@pytest.mark.parametrize("setting", CASES + RF_CASES)
def test_the_structured_theory_agrees_with_simulations_and_the_isotropic_one_does_not(setting):
    # measured at these sizes: |z| <= 1.6 for the linear and kernel learners, <= 1.4 for random features;
    # the isotropic theory is off by |z| >= 13 in gen_error
    sim = rm.simulate(setting, d=D, seeds=8, n_test=4000, seed=11)
    stats = sim_stats(sim, ERRORS)
    check_with_power(rm.solve(setting), rm.solve(setting.replace(inputs="isotropic")), stats,
                     what=f"structured inputs {setting!r}", perturbation="isotropic inputs")


# ----------------------------------------------------------------------------- spectra measured on data


def test_directions_scale_the_interpolation_threshold():
    # a spectrum on p = 2 d directions: the min-norm interpolator exists up to alpha = 2
    s = rm.Spectrum([3.0, 1.0], weights=[1.0, 1.0], directions=2.0)
    assert s.directions == pytest.approx(2.0)
    assert rm.solve(rm.Setting(alpha=1.5, eps=0.2, lam=0.0, inputs=s)).interpolating
    assert not rm.solve(rm.Setting(alpha=2.5, eps=0.2, lam=0.0, inputs=s)).interpolating
    with pytest.raises(ParameterError) as e:
        s.coordinates(10)
    assert e.value.param == "inputs"


def _identity(rho):
    return rho


def test_a_data_spectrum_is_the_covariance_spectrum_for_the_linear_kernel(tmp_path, monkeypatch):
    # second algorithm: for the linear kernel k(rho) = rho the Gram matrix K/N and the covariance
    # X'X/N share their nonzero spectrum (times 1/d), and the labels' power on the Gram's
    # eigenvectors is (u_k . X'y / N)^2 / c_k on the covariance's (c_k, u_k)
    from rafmodel.data import ImageRAF
    from rafmodel.spectra import _pool, data_spectrum

    monkeypatch.setenv("RAFMODEL_CACHE", str(tmp_path))
    src = ImageRAF("digits", rule=(3, 5), facts=8)
    sp = data_spectrum(src, rm.Kernel.from_kernel(_identity), pool=200)
    X, y = _pool(src, 200, 0)
    c, U = np.linalg.eigh(X.T @ X / X.shape[0])
    keep = c > 1e-9 * c.max()
    c, U = c[keep], U[:, keep]
    power = (U.T @ X.T @ y / X.shape[0]) ** 2 / c
    f, w, t = sp.atoms()
    assert f.size == c.size and sp.directions == pytest.approx(c.size / src.d)
    order = np.argsort(w)
    np.testing.assert_allclose(w[order], np.sort(c) / np.mean(c) * (src.d / c.size), rtol=1e-8)
    np.testing.assert_allclose(t[order], power[np.argsort(c)] / np.sum(power) * src.d, rtol=1e-6, atol=1e-9)
    assert (f * t).sum() == pytest.approx(1.0) and (f * w).sum() == pytest.approx(1.0)
    assert list(tmp_path.rglob("*.npz"))


def test_a_data_spectrum_is_cached_and_a_damaged_cache_is_recomputed(tmp_path, monkeypatch):
    from rafmodel.data import ImageRAF
    from rafmodel.spectra import data_spectrum

    monkeypatch.setenv("RAFMODEL_CACHE", str(tmp_path))
    src = ImageRAF("digits", rule=(3, 5), facts=8)
    lrn = rm.Kernel.from_kernel("rbf", bandwidth=1.0)
    a = data_spectrum(src, lrn, pool=120)
    (path,) = tmp_path.rglob("*.npz")
    b = data_spectrum(src, lrn, pool=120)
    assert a == b
    path.write_bytes(b"not a numpy file")
    c = data_spectrum(src, lrn, pool=120)
    assert c == a and np.load(path, allow_pickle=False)["omega"].size == a.atoms().shape[1]
    with pytest.raises(ParameterError) as e:
        data_spectrum(src, rm.Kernel(mu1=1.0, mustar=0.5))
    assert e.value.param == "learner"


# ----------------------------------------------------------------------------- the command line


def test_raf_theory_takes_an_input_model_and_gives_the_library_s_numbers(raf_json):
    out = raf_json(["theory", "--learner", "linear", "--loss", "hinge", "--alpha", "0.5", "--eps", "0.2", "--lam",
                    "0.01", "--inputs", "power-law:decay=1.5,source=0.5,size=500", "--json"])
    (rec,) = out if isinstance(out, list) else [out]
    s = rm.Setting(alpha=0.5, eps=0.2, lam=0.01, loss="hinge", inputs=rm.PowerLaw(decay=1.5, source=0.5, size=500))
    assert rec["inputs"] == "PowerLaw(decay=1.5, source=0.5, size=500)"
    assert rec["gen_error"] == pytest.approx(rm.solve(s).gen_error, rel=1e-12)


def test_raf_capacity_takes_an_input_model_and_gives_the_library_s_numbers(raf_json):
    out = raf_json(["capacity", "--learner", "rf", "--kappa", "1.5", "--mu1", "0.8", "--mustar", "0.6", "--eps",
                    "0.2", "--inputs", "spiked:fraction=0.1,spike=10,teacher-share=0.8", "--json"])
    (rec,) = out if isinstance(out, list) else [out]
    inputs = rm.Spiked(fraction=0.1, spike=10.0, teacher_share=0.8)
    expected = rm.theory.capacity.interpolation_thresholds(rm.RandomFeatures(kappa=1.5, mu1=0.8, mustar=0.6), 0.2,
                                                           inputs)
    assert rec["inputs"] == repr(inputs)
    assert rec["alpha_c"] == pytest.approx(expected["alpha_c"], rel=1e-12)
    assert rec["alpha_c"] > rm.theory.capacity.interpolation_thresholds(
        rm.RandomFeatures(kappa=1.5, mu1=0.8, mustar=0.6), 0.2)["alpha_c"] + 0.2
    assert rec["alpha_c_square"] == 1.5


@pytest.mark.parametrize("spec, text", [
    ("gaussian", "unknown input model 'gaussian'"),
    ("spiked:fraction=0.1,spike=10", "spiked needs teacher-share"),
    ("power-law:decay=-1,source=0.5,size=20", "decay: must be > 0"),
    ("power-law:decay=1,source=0.5,size=20,width=3", "'width=3' is not a parameter of power-law"),
    ("power-law:decay=x,source=0.5,size=20", "inputs decay: not a number"),
])
def test_a_bad_input_model_is_one_line_and_exit_2(raf_refused, spec, text):
    line = raf_refused(["theory", "--learner", "linear", "--loss", "square", "--alpha", "1", "--eps", "0.2",
                        "--lam", "0.1", "--inputs", spec], prefix="inputs")
    assert text in line
