"""Fixed points against closed forms, known limits, and each other."""

import math
import warnings

import numpy as np
import pytest
from scipy.stats import multivariate_normal, norm

import rafmodel as rm
from rafmodel import ConvergenceWarning, Kernel, Linear, Setting, solve, solve_many
from rafmodel.theory import alpha_c

from _power import LOGISTIC_LIMIT_TOL, logistic_limit, record, scaled

C = np.sqrt(2 / np.pi)


def ridge_closed_form(alpha, eps, lam):
    """Linear ridge fixed point solved by hand (docs/theory.md square-loss channel).

    V solves V = 1/(lam + alpha/(1+V)); m = mhat V; q is linear in itself.
    lam = 0: V = 1/(alpha - 1) (alpha > 1) or, interpolating, lam V = 1 - alpha.
    """
    a = alpha
    if lam > 0:
        V = (-(lam + a - 1) + np.sqrt((lam + a - 1) ** 2 + 4 * lam)) / (2 * lam)
        D = 1 + V
    elif a > 1:
        V = 1 / (a - 1)
        D = 1 + V
    else:  # min-norm interpolator, rescaled V = lam V -> 1 - alpha, channel 1/(1+V) -> 1/V
        V = 1 - a
        D = V
    mhat = a * (1 - eps) * C / D
    m = mhat * V
    q = (mhat**2 + a * (1 - 2 * C * (1 - eps) * m) / D**2) * V**2 / (1 - a * V**2 / D**2)
    return m, q, V


def rule_error_mc(m, q, t):
    """P[sign(z) omega < -t] from scipy's bivariate normal CDF."""
    rho = m / np.sqrt(q)
    return 2 * multivariate_normal(mean=[0, 0], cov=[[1, -rho], [-rho, 1]]).cdf([0, -t / np.sqrt(q)])


@pytest.mark.parametrize("alpha", [0.3, 0.8, 1.5, 4.0])
@pytest.mark.parametrize("eps", [0.0, 0.3, 1.0])
@pytest.mark.parametrize("lam", [0.0, 1e-3, 0.5, 5.0])
def test_linear_square_matches_closed_form(alpha, eps, lam):
    r = solve(Setting(alpha=alpha, eps=eps, lam=lam, loss="square"))
    m, q, V = ridge_closed_form(alpha, eps, lam)
    assert (r.m, r.q, r.V) == pytest.approx((m, q, V), rel=1e-8, abs=1e-12)
    assert r.gen_error == pytest.approx(np.arccos(m / np.sqrt(q)) / np.pi, abs=1e-10)
    assert r.interpolating == (lam == 0 and alpha < 1)
    if r.interpolating:
        assert r.mem_error == 0 and r.rule_error == 0
    else:
        assert r.mem_error == pytest.approx(norm.sf(V / np.sqrt(q)), abs=1e-10)
        assert r.rule_error == pytest.approx(rule_error_mc(m, q, V), abs=1e-6)


@pytest.mark.parametrize("loss", ["square", "hinge"])
@pytest.mark.parametrize("learner", [Linear(), Kernel(mu1=0.6, mustar=0.4)])
@pytest.mark.parametrize("alpha,eps,lam", [(0.5, 0.2, 0.0), (2.0, 0.2, 0.1), (3.0, 0.5, 1.0), (1.5, 0.0, 0.0)])
def test_quadrature_route_gives_the_same_fixed_point(loss, learner, alpha, eps, lam):
    s = Setting(alpha=alpha, eps=eps, lam=lam, learner=learner, loss=loss)
    a = solve(s, method="closed")
    b = solve(s, method="quadrature")
    for k in ("m", "q", "V", "gen_error", "mem_error", "rule_error"):
        assert getattr(a, k) == pytest.approx(getattr(b, k), rel=1e-7, abs=1e-10), k


@pytest.mark.parametrize("loss", ["square", "hinge", "logistic"])
@pytest.mark.parametrize("learner", [Linear(), Kernel(mu1=0.5, mustar=0.5)])
@pytest.mark.parametrize("alpha,lam", [(0.5, 0.0), (3.0, 0.1)])
def test_eps_one_is_pure_memorization(loss, learner, alpha, lam):
    r = solve(Setting(alpha=alpha, eps=1.0, lam=lam, learner=learner, loss=loss))
    assert r.m == 0.0
    assert r.gen_error == pytest.approx(0.5, abs=1e-12)
    # with random labels, facts and rule samples are the same thing
    assert r.rule_error == pytest.approx(r.mem_error, abs=1e-9)


@pytest.mark.parametrize("loss", ["square", "hinge", "logistic"])
def test_eps_zero_learns_better_than_eps_positive(loss):
    res = solve_many([Setting(alpha=3.0, eps=e, lam=0.1, loss=loss) for e in (0.0, 0.1, 0.3, 0.6)])
    assert np.all(np.diff(res.gen_error) > 0)


@pytest.mark.parametrize("alpha", [0.3, 1.0, 1.6, 1.9, 1.98, 1.998])  # up to 0.999 alpha_c
def test_max_margin_random_labels_matches_gardner(alpha):
    # eps = 1, hinge, lam = 0: the max-margin classifier of random labels; its
    # stability kappa = 1/sqrt(q) solves Gardner's alpha E[(kappa + t)_+^2] = 1.
    r = solve(Setting(alpha=alpha, eps=1.0, lam=0.0, loss="hinge"))
    assert r.interpolating
    k = 1 / np.sqrt(r.q)
    gardner = (1 + k * k) * norm.cdf(k) + k * norm.pdf(k)
    assert alpha * gardner == pytest.approx(1.0, abs=1e-8)


def test_capacity_known_values():
    assert alpha_c(1.0) == pytest.approx(2.0, abs=1e-10)
    assert alpha_c(0.0) == np.inf
    vals = alpha_c([0.05, 0.1, 0.3, 0.6, 0.9, 1.0])
    assert np.all(np.diff(vals) < 0)
    # small eps: with R = cos(theta), the max is at theta^3 = 3 pi eps / 2, giving
    # alpha_c ~ (3 pi eps / 2)^(2/3) / (3 eps / 2) -> infinity
    for eps in (1e-5, 1e-7):
        asym = (1.5 * np.pi * eps) ** (2 / 3) / (1.5 * eps)
        assert alpha_c(eps) == pytest.approx(asym, rel=0.01)


@pytest.mark.parametrize("eps", [0.2, 0.5, 1.0])
def test_max_margin_norm_diverges_at_capacity(eps):
    # below alpha_c the max-margin exists with q -> infinity as alpha -> alpha_c
    ac = alpha_c(eps)
    qs = solve_many([Setting(alpha=f * ac, eps=eps, lam=0.0, loss="hinge") for f in (0.5, 0.8, 0.95)]).q
    assert np.all(np.diff(qs) > 0) and qs[-1] > 10 * qs[0]
    above = solve(Setting(alpha=1.2 * ac, eps=eps, lam=0.0, loss="hinge"))
    assert not above.interpolating and above.mem_error > 0


@pytest.mark.parametrize("loss,alpha,eps", [
    ("square", 0.5, 0.2), ("square", 2.5, 0.2),
    ("hinge", 1.0, 0.3), ("hinge", 4.0, 0.3),
    ("logistic", 4.0, 0.3),
])
def test_lam_to_zero_is_continuous(loss, alpha, eps):
    r0 = solve(Setting(alpha=alpha, eps=eps, lam=0.0, loss=loss))
    for lam in (1e-5, 1e-6):
        r = solve(Setting(alpha=alpha, eps=eps, lam=lam, loss=loss))
        assert r.gen_error == pytest.approx(r0.gen_error, abs=50 * lam)
        assert r.m / np.sqrt(r.q) == pytest.approx(r0.m / np.sqrt(r0.q), abs=50 * lam)
        assert r.mem_error == pytest.approx(r0.mem_error, abs=1e-3)
        V = lam * r.V if r0.interpolating else r.V  # rescaled response when interpolating
        assert V == pytest.approx(r0.V, rel=1e-3)


def test_logistic_lam_to_zero_on_separable_data_is_max_margin():
    # lam = 0 for logistic on separable data is *defined* as the max-margin direction, so
    # solve() takes the hinge's limit there: the same fixed point, by quadrature of the hinge's
    # limit for the logistic and in closed form (finished by Newton's method) for the hinge, so
    # equal to far below the solver's tolerance, not bit for bit
    s = Setting(alpha=1.0, eps=0.3, lam=0.0, loss="logistic")
    mm = solve(s.replace(loss="hinge"))
    assert abs(solve(s).gen_error - mm.gen_error) <= 1e-13
    # The independent route: the logistic fixed point itself at lam = 1e-4 .. 1e-10,
    # extrapolated to lam -> 0+ (tests/_power.py), must reach the max-margin error; the
    # same comparison against the max-margin error at alpha x 1.1 must fail
    limit, g = logistic_limit(s)
    gaps = np.abs(g - mm.gen_error)
    assert np.all(np.diff(gaps) < 0)  # converges, slowly: gaps[-1] is still ~2e-3
    wrong = solve(scaled(s.replace(loss="hinge"), alpha=1.1)[0])
    agrees = [abs(limit - r.gen_error) <= LOGISTIC_LIMIT_TOL for r in (mm, wrong)]
    record("logistic lam -> 0+ linear", perturbation="alpha x 1.1", k=LOGISTIC_LIMIT_TOL,
           true={"gen_error": limit - mm.gen_error}, perturbed={"gen_error": limit - wrong.gen_error})
    assert agrees == [True, False], (limit, mm.gen_error, wrong.gen_error)


def test_kernel_with_memory_interpolates_at_lam_zero():
    K = Kernel(mu1=0.7, mustar=0.3)
    for loss in ("square", "hinge", "logistic"):
        r = solve(Setting(alpha=5.0, eps=0.3, lam=0.0, learner=K, loss=loss))
        assert r.interpolating and r.mem_error == 0 and r.rule_error == 0
        r2 = solve(Setting(alpha=5.0, eps=0.3, lam=1e-6, learner=K, loss=loss))
        assert r2.mem_error < 1e-3
        if loss != "logistic":
            assert r2.gen_error == pytest.approx(r.gen_error, abs=1e-4)
    # logistic approaches the max-margin direction only like 1/log(1/lam) (1.3e-3 away at
    # lam = 1e-6, comparable with the 2e-3 shift of the max-margin error at mustar x 1.3:
    # the old tolerance 3e-3 accepted both): extrapolate to lam -> 0+
    s = Setting(alpha=5.0, eps=0.3, lam=0.0, learner=K, loss="hinge")
    limit, _ = logistic_limit(s)
    wrong = solve(scaled(s, mustar=1.3)[0])
    agrees = [abs(limit - x.gen_error) <= LOGISTIC_LIMIT_TOL for x in (r, wrong)]
    record("logistic lam -> 0+ kernel", perturbation="mustar x 1.3", k=LOGISTIC_LIMIT_TOL,
           true={"gen_error": limit - r.gen_error}, perturbed={"gen_error": limit - wrong.gen_error})
    assert agrees == [True, False], (limit, r.gen_error, wrong.gen_error)


@pytest.mark.parametrize("mu1,mustar", [(0.5, 0.5), (1.0, 0.2), (0.3, 0.0)])
@pytest.mark.parametrize("alpha,eps,lam", [(0.5, 0.2, 0.1), (3.0, 0.4, 0.01), (2.0, 0.1, 1.0)])
def test_kernel_ridge_is_linear_ridge_with_effective_lambda(mu1, mustar, alpha, eps, lam):
    k = solve(Setting(alpha=alpha, eps=eps, lam=lam, learner=Kernel(mu1=mu1, mustar=mustar)))
    lin = solve(Setting(alpha=alpha, eps=eps, lam=(lam + mustar**2) / mu1**2))
    assert k.gen_error == pytest.approx(lin.gen_error, abs=1e-10)
    # the linear weight is mu1 times the kernel's linear-part weight
    assert mu1 * k.m == pytest.approx(lin.m, rel=1e-8)
    assert mu1**2 * k.q == pytest.approx(lin.q, rel=1e-8)


def test_kernel_without_memory_is_a_scaled_linear_learner():
    for loss in ("hinge", "logistic"):
        for lam in (0.0, 0.3):
            k = solve(Setting(alpha=1.5, eps=0.2, lam=lam, learner=Kernel(mu1=0.5, mustar=0.0), loss=loss))
            lin = solve(Setting(alpha=1.5, eps=0.2, lam=lam / 0.25, loss=loss))
            assert k.gen_error == pytest.approx(lin.gen_error, abs=1e-9)
            assert k.mem_error == pytest.approx(lin.mem_error, abs=1e-9)


def test_batch_equals_single_solves():
    settings = rm.grid(learner=Kernel(mu1=0.5, mustar=0.5), loss="hinge", alpha=[0.5, 2, 6],
                       eps=[0, 0.2], lam=[0, 0.01, 1])
    batch = solve_many(settings)
    for s, rb in zip(settings, batch):
        r = solve(s)
        assert rb.gen_error == pytest.approx(r.gen_error, abs=1e-9)
        assert rb.q == pytest.approx(r.q, rel=1e-9)


def test_mixed_batch_keeps_order():
    settings = [Setting(alpha=2, eps=0.2, lam=0.1, loss="hinge"),
                Setting(alpha=2, eps=0.2, lam=0.1, loss="square"),
                Setting(alpha=2, eps=0.2, lam=0.1, loss="hinge", learner=Kernel(mu1=1, mustar=0))]
    res = solve_many(settings)
    assert res[0].gen_error == pytest.approx(res[2].gen_error, abs=1e-10)
    assert res[1].gen_error == pytest.approx(solve(settings[1]).gen_error, abs=1e-12)
    assert [r.setting for r in res] == settings


def test_non_convergence_is_never_a_result():
    s = Setting(alpha=2.0, eps=0.2, lam=0.1, loss="hinge")
    with pytest.raises(rm.ConvergenceError) as info:
        solve(s, max_iter=2)
    assert not info.value.result.converged
    with pytest.warns(RuntimeWarning, match="1 of 1 points did not converge"):
        res = solve_many([s], max_iter=2)
    r = res[0]
    assert not r.converged and r.iterations >= 2
    for k in ("m", "q", "V", "gen_error", "mem_error", "rule_error"):
        assert np.isnan(getattr(r, k))


def test_singular_point_is_flagged():
    # ridgeless regression exactly at alpha = 1 has no finite solution
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        r = solve_many([Setting(alpha=1.0, eps=0.2, lam=0.0, loss="square")], max_iter=200)[0]
    assert not r.converged and np.isnan(r.gen_error)


def test_result_to_dict_uses_the_shared_vocabulary():
    d = solve(Setting(alpha=2, eps=0.2, lam=0.1, learner=Kernel(mu1=0.5, mustar=0.5), loss="hinge")).to_dict()
    for k in ("model", "loss", "alpha", "eps", "lam", "mu1", "mustar", "m", "q", "V", "mhat", "qhat",
              "Vhat", "gen_error", "mem_error", "rule_error", "converged", "iterations", "residual"):
        assert k in d
    assert d["model"] == "kernel" and d["loss"] == "hinge"


def test_solve_many_in_chunks_gives_the_numbers_of_one_batch(monkeypatch):
    # solve_many splits large grids into batches of about CHUNK points (memory bounded, cost per
    # point constant); a point's numbers must not depend on the batch it lands in
    import sys

    import rafmodel as rm

    mod = sys.modules["rafmodel.theory"]
    settings = rm.grid(learner=rm.Kernel(mu1=0.5, mustar=0.5), loss="logistic", alpha=np.linspace(0.5, 6, 15),
                       eps=[0.0, 0.3], lam=np.geomspace(1e-3, 3, 10))
    whole = rm.solve_many(settings)
    monkeypatch.setattr(mod, "CHUNK", 37)
    chunks = mod._chunks(list(range(len(settings))))
    assert len(chunks) > 5
    assert sum(chunks, []) == list(range(len(settings)))
    parts = rm.solve_many(settings)
    for name in ("m", "q", "V", "gen_error", "mem_error", "rule_error", "iterations"):
        np.testing.assert_array_equal(getattr(parts, name), getattr(whole, name))
    assert mod._chunks([1, 2, 3]) == [[1, 2, 3]]


@pytest.mark.parametrize("loss", ["hinge", "square", "logistic"])
def test_a_point_of_solve_many_does_not_depend_on_the_batch_size(loss):
    # solve_many takes the vectorized path for any batch: a scalar route for small batches
    # would differ from it by rounding, so a point's numbers would depend on how many others
    # were solved with it.
    import rafmodel as rm

    settings = rm.grid(learner=rm.RandomFeatures(kappa=2.0, mu1=0.5, mustar=0.5), loss=loss,
                       alpha=[0.7, 2.0, 5.0], eps=[0.0, 0.3], lam=[1e-3, 0.1, 1.0])
    whole = rm.solve_many(settings)
    for i in (0, 7, len(settings) - 1):
        for few in ([settings[i]], [settings[i], settings[0]]):
            alone = rm.solve_many(few)
            for name in ("m", "q", "V", "gen_error", "mem_error", "rule_error"):
                assert getattr(alone, name)[0] == getattr(whole, name)[i], (loss, i, name)
        one = rm.solve(settings[i])  # the scalar route: the same numbers to rounding
        for name in ("m", "q", "V", "gen_error", "mem_error", "rule_error"):
            assert abs(getattr(one, name) - getattr(whole, name)[i]) <= 1e-12 * (1 + abs(getattr(one, name)))


@pytest.mark.parametrize("learner", [Linear(), rm.RandomFeatures(kappa=2.0, mu1=0.5, mustar=0.5)])
def test_slow_hinge_points_finish_with_newton(learner):
    # A 40 x 40 (alpha, lam) hinge grid at eps = 0.2: near the max-margin regime (small lam, alpha
    # around its threshold) the Anderson iteration drifts for tens of iterations; with the
    # closed-form channel these points switch to Newton's method early.  A Newton switch that never
    # steps (the Anderson step taken on switching judged as a failed Newton step, the attempt given
    # up and restarted from scratch) takes up to 139 (linear) and 108 (random features) iterations.
    S = rm.grid(learner=learner, loss="hinge", alpha=np.linspace(0.5, 10, 40), eps=0.2,
                lam=np.geomspace(1e-3, 10, 40))
    res = solve_many(S)
    assert res.converged.all()
    assert res.iterations.max() <= 20, res.iterations.max()
    # the slowest points: the same fixed point by the quadrature route (no Newton switch before
    # iteration 20 there), and rm.solve's scalar route agrees with the batch to rounding
    slow = np.argsort(res.iterations, kind="stable")[-4:]
    quad = solve_many([S[i] for i in slow], method="quadrature")
    assert quad.converged.all()
    for j, i in enumerate(slow):
        one = solve(S[i])
        for name in ("m", "q", "V", "gen_error", "mem_error"):
            v = getattr(res, name)[i]
            assert abs(getattr(quad, name)[j] - v) <= 1e-9 * (1 + abs(v)), (i, name)
            assert abs(getattr(one, name) - v) <= 1e-12 * (1 + abs(v)), (i, name)


def test_newton_reuses_its_jacobian_after_a_tiny_step(monkeypatch):
    # Each Newton step costs K extra map evaluations (finite differences); after a step below
    # 1e-4 the next evaluation most likely converges, so it skips them (a step from it would
    # reuse the last Jacobian).  Counted on the linear hinge grid of the test above, on the numpy
    # route (the compiled route evaluates the channel where it cannot be counted): 1.30 channel
    # evaluations per iteration with the reuse, 1.45 without (differences after every step).
    import rafmodel.theory.solver as solver

    rows = []
    real = solver.channel

    def counting(loss, m, *args, **kw):
        rows.append(np.size(m))
        return real(loss, m, *args, **kw)

    monkeypatch.setattr(solver, "channel", counting)
    S = rm.grid(learner=Linear(), loss="hinge", alpha=np.linspace(0.5, 10, 40), eps=0.2,
                lam=np.geomspace(1e-3, 10, 40))

    def evaluations_per_iteration():
        rows.clear()
        res = solve_many(S, backend="numpy")
        assert res.converged.all() and rows, "the channel was not evaluated where it is counted"
        return sum(rows) / res.iterations.sum()

    with_reuse = evaluations_per_iteration()
    monkeypatch.setattr(solver, "_FD_SKIP", 0.0)  # differences after every Newton step
    without = evaluations_per_iteration()
    assert with_reuse < 1.375 < without, (with_reuse, without)


def test_solve_many_in_worker_processes_gives_the_same_numbers():
    # n_jobs only spreads the batches over processes; a point's numbers do not depend on its batch
    import rafmodel as rm

    settings = rm.grid(learner=rm.Kernel(mu1=0.5, mustar=0.5), loss="logistic", alpha=np.linspace(0.5, 8, 20),
                       eps=[0.0, 0.3], lam=np.geomspace(1e-3, 3, 15))
    serial = rm.solve_many(settings)
    parallel = rm.solve_many(settings, n_jobs=2)
    for name in ("m", "q", "V", "gen_error", "mem_error", "rule_error", "iterations", "converged"):
        np.testing.assert_array_equal(getattr(parallel, name), getattr(serial, name))
    with pytest.raises(rm.ParameterError, match="n_jobs"):
        rm.solve_many(settings[:2], n_jobs=0)


def test_cli_theory_jobs(capsys):
    from rafmodel.cli import main

    args = ["theory", "--learner", "linear", "--loss", "hinge", "--alpha", "0.5:4:30", "--eps", "0.2",
            "--lam", "0.01:1:20:log", "--csv"]
    assert main(args) == 0
    serial = capsys.readouterr().out
    assert main([*args, "--jobs", "2"]) == 0
    assert capsys.readouterr().out == serial
    assert main([*args, "--jobs", "0"]) == 2
    assert "jobs" in capsys.readouterr().err


@pytest.mark.parametrize("learner", [Linear(), Kernel(mu1=0.5, mustar=0.5), rm.RandomFeatures(kappa=2.0, mu1=0.5, mustar=0.5)])
def test_logistic_start_is_the_fixed_point_at_large_lam(learner, monkeypatch):
    # the start of a smooth loss is the square-loss fixed point of its quadratic expansion at 0
    # (logistic: ell ~ log 2 - h/2 + h^2/8, targets 2y, penalty 4 lam), exact as lam -> infinity:
    # the residual of the start falls 1000-fold a decade of lam (1e-8 at 1e3): one map evaluation meets the
    # tolerance at lam = 1e5, where the plain square-loss start is off by a factor 2 in m
    import sys

    settings = [Setting(alpha=a, eps=0.2, lam=1e5, learner=learner, loss="logistic") for a in (0.5, 2.0, 8.0)]
    assert solve_many(settings, max_iter=1, warn=False).converged.all()
    solver = sys.modules["rafmodel.theory.solver"]
    initial = sys.modules["rafmodel.theory.initial"]
    monkeypatch.setattr(solver, "start_state", lambda lrn, loss, *a: initial.initial_state(lrn, *a))
    assert not solve_many(settings, max_iter=1, warn=False).converged.any()


def test_solve_many_of_nothing_is_empty():
    res = solve_many([])
    assert len(res) == 0 and list(res) == [] and res.to_records() == []
    for name in ("gen_error", "mem_error", "rule_error", "m", "q", "V", "residual"):
        col = getattr(res, name)
        assert isinstance(col, np.ndarray) and col.shape == (0,) and col.dtype == float
    assert res.converged.shape == (0,) and res.converged.dtype == bool
    assert res.iterations.dtype.kind == "i" and res.interpolating.dtype == bool
    assert res.all_converged


@pytest.mark.parametrize("alpha", [20.0, 50.0])
def test_max_margin_without_facts_converges_at_large_alpha(alpha):
    # At eps = 0 the linear max-margin's response lam V -> 0 and the iteration drifts along
    # log V; Powell's method finishes it.  Second route: the hinge at lam = 1e-5 (finite V,
    # the non-limit channel) is already the max-margin classifier; known limit: the
    # maximal-stability perceptron's gen_error ~ 0.5 / alpha (Opper et al.).
    r0 = solve_many([rm.Setting(alpha=alpha, eps=0.0, lam=0.0, loss="hinge")])
    r1 = solve_many([rm.Setting(alpha=alpha, eps=0.0, lam=1e-5, loss="hinge")])
    assert r0.converged[0] and r1.converged[0]
    assert float(r0.gen_error[0]) == pytest.approx(float(r1.gen_error[0]), rel=1e-8)
    assert float(r0.m[0]) == pytest.approx(float(r1.m[0]), rel=1e-8)
    assert 0.49 < alpha * float(r0.gen_error[0]) < 0.51


def test_max_margin_without_facts_is_not_reached_without_powell_and_early_continuation(monkeypatch):
    # the test above has power: without the Powell stage and with the continuation starting
    # only at 0.7 alpha, the same point is not converged
    import sys

    solver = sys.modules["rafmodel.theory.solver"]
    monkeypatch.setattr(solver, "_powell", lambda *args: (None, np.inf, 0))
    monkeypatch.setattr(solver, "_FIRST_MIN", 0.7)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        r = solve_many([rm.Setting(alpha=20.0, eps=0.0, lam=0.0, loss="hinge")])
    assert not r.converged[0] and math.isnan(float(r.gen_error[0]))


@pytest.mark.parametrize("learner", [Linear(), Kernel(mu1=0.6, mustar=0.5), Kernel(mu1=0.8, mustar=0.0),
                                     rm.RandomFeatures(kappa=0.5, mu1=0.5, mustar=0.4),
                                     rm.RandomFeatures(kappa=3.0, mu1=0.5, mustar=0.0)])
def test_the_square_loss_starts_at_its_fixed_point(learner, monkeypatch):
    # the solver's start is the square loss's exact fixed point (the response in closed form, the
    # positive root of a quadratic on either side of its sign change; random features by a scalar
    # solve, the neutral point where that fails): one map evaluation meets the tolerance, at
    # lam = 0 on both sides of the threshold and lam > 0 (alpha < 1 - lam takes the other root's form)
    S = rm.grid(learner=learner, loss="square", alpha=[0.2, 0.5, 0.9, 1.5, 4.0], eps=[0.0, 0.3, 1.0],
                lam=[0.0, 1e-3, 0.1, 2.0])
    one = solve_many(S, max_iter=1, warn=False).converged
    assert one.mean() >= (0.9 if isinstance(learner, rm.RandomFeatures) else 1.0), one.mean()
    # power: a start off by 1e-3 in every order parameter needs more than one step everywhere
    import sys

    solver = sys.modules["rafmodel.theory.solver"]
    real = solver.start_state
    monkeypatch.setattr(solver, "start_state", lambda *a: tuple(v * 1.001 for v in real(*a)))
    assert not solve_many(S, max_iter=1, warn=False).converged.any()
