"""The explorer's logic without a browser: its curves are the theory's, its link and its command give them back.

Expected numbers come from the public API called here on settings built here
(:func:`rafmodel.solve_many`, :func:`rafmodel.bayes_optimal`, :func:`rafmodel.alpha_c`) and from
the ``raf theory`` command run in-process; none of it needs Panel.
"""

from __future__ import annotations

import csv
import io
import math
import shlex

import numpy as np
import pytest

import rafmodel as rm
from rafmodel.explore import View, compute, view_from_query

VIEWS = [
    View(n=60),
    View(learner="kernel", kernel="rbf", bandwidth=2.0, loss="hinge", lam=0.0, n=50),
    View(learner="kernel", kernel="coefficients", mu1=0.8, mustar=0.3, n=50).replace(x="lam"),
    View(learner="rf", activation="tanh", loss="logistic", n=40).replace(x="kappa"),
    View(learner="rf", activation="coefficients", mu1=0.5, mustar=0.4, kappa=3.0, n=30).replace(x="eps"),
]


def _settings_here(view):
    """The view's settings built from its fields with the public constructors (not View.settings)."""
    xs = view.xs()
    out = []
    for v in xs:
        kappa = v if view.x == "kappa" else view.kappa
        if view.learner == "linear":
            lrn = rm.Linear()
        elif view.learner == "kernel":
            lrn = (rm.Kernel(mu1=view.mu1, mustar=view.mustar) if view.kernel == "coefficients"
                   else rm.Kernel.from_kernel(view.kernel, bandwidth=view.bandwidth))
        else:
            lrn = (rm.RandomFeatures(kappa=kappa, mu1=view.mu1, mustar=view.mustar)
                   if view.activation == "coefficients" else rm.RandomFeatures.from_activation(view.activation,
                                                                                                 kappa=kappa))
        p = {"alpha": view.alpha, "eps": view.eps, "lam": view.lam}
        if view.x in p:
            p[view.x] = v
        out.append(rm.Setting(learner=lrn, loss=view.loss, **p))
    return out


def _same(a, b):
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return a.shape == b.shape and np.array_equal(np.isnan(a), np.isnan(b)) and np.array_equal(a[~np.isnan(a)],
                                                                                             b[~np.isnan(b)])


@pytest.mark.parametrize("view", VIEWS, ids=lambda v: f"{v.learner}-{v.loss}-{v.x}")
def test_the_curves_are_solve_many_of_the_views_settings_exactly(view):
    curves = compute(view)
    ref = rm.solve_many(_settings_here(view), warn=False)
    assert len(curves.x) == view.n
    for k in ("gen_error", "mem_error", "rule_error"):
        assert _same(curves.columns[k], getattr(ref, k)), k
    assert np.array_equal(curves.columns["converged"], ref.converged)
    xs = np.array([getattr(s, view.x) if view.x != "kappa" else s.learner.kappa for s in ref.settings])
    assert np.array_equal(curves.x, xs)
    alpha = np.array([s.alpha for s in ref.settings])
    eps = np.array([s.eps for s in ref.settings])
    b = rm.bayes_optimal(alpha, eps, warn=False)
    assert _same(curves.columns["bayes_gen_error"], np.where(b.converged, b.gen_error, np.nan))


def test_the_x_axis_runs_over_the_range_with_its_spacing():
    v = View(x_min=0.5, x_max=8.0, n=5)
    assert np.allclose(compute(v, bayes=False).x, [0.5, 1, 2, 4, 8], rtol=1e-13)
    lin = View(x_min=1.0, x_max=3.0, n=5, scale="linear")
    assert np.allclose(compute(lin, bayes=False).x, [1, 1.5, 2, 2.5, 3], rtol=1e-13)


def test_points_that_did_not_converge_are_gaps_and_counted():
    view = View(n=20, x_min=0.5, x_max=5.0, loss="logistic", lam=1e-3)
    curves = compute(view, max_iter=2)  # two iterations cannot converge: every point is a gap
    bad = ~curves.columns["converged"]
    assert bad.sum() == curves.n_not_converged > 0
    for k in ("gen_error", "mem_error", "rule_error"):
        assert np.all(np.isnan(curves.columns[k][bad]))
    assert any(f"{int(bad.sum())} of 20 points did not converge" in n for n in curves.notes)
    rows = list(csv.DictReader(io.StringIO(curves.to_csv())))
    assert [r["gen_error"] == "" for r in rows] == list(bad)
    assert compute(View(n=20, x_min=0.5, x_max=5.0)).notes == []  # converged: no note


def test_the_reference_lines_are_the_capacity_and_the_interpolation_threshold():
    m = compute(View(eps=0.3, n=5), bayes=False).markers
    assert m["alpha_c(eps)"] == rm.alpha_c(0.3)
    assert m["interpolation threshold"] == 1.0  # the min-norm fit of a linear learner: n < d
    hinge = compute(View(eps=0.3, loss="hinge", n=5), bayes=False).markers
    assert hinge["interpolation threshold"] == rm.alpha_c(0.3)  # separability
    rf = compute(View(learner="rf", kappa=1.5, n=5), bayes=False).markers
    assert rf["interpolation threshold"] == 1.5  # n < p
    assert compute(View(n=5).replace(x="lam"), bayes=False).markers == {}  # not an alpha axis
    assert "alpha_c(eps)" not in compute(View(eps=0.0, n=5), bayes=False).markers  # inf at eps = 0


def test_the_csv_holds_the_plotted_numbers():
    curves = compute(View(learner="rf", n=15))
    rows = list(csv.DictReader(io.StringIO(curves.to_csv())))
    assert len(rows) == 15
    for k in ("alpha", "gen_error", "mem_error", "rule_error", "bayes_gen_error"):
        col = curves.x if k == "alpha" else curves.columns[k]
        assert [float(r[k]) for r in rows] == list(col), k
    assert {r["model"] for r in rows} == {"rf"}


@pytest.mark.parametrize("view", VIEWS, ids=lambda v: f"{v.learner}-{v.loss}-{v.x}")
def test_a_link_reopens_the_same_view(view):
    from urllib.parse import parse_qs, urlencode

    query = parse_qs(urlencode(view.to_query()))  # through a real query string
    assert view_from_query(query) == (view, None)
    as_bytes = {k: [v.encode() for v in vs] for k, vs in query.items()}  # as a web server hands it over
    assert view_from_query(as_bytes) == (view, None)


@pytest.mark.parametrize("query, named", [
    ({"eps": "2"}, "eps"), ({"learner": "tree"}, "learner"), ({"x": "kappa"}, "x"), ({"n": "many"}, "n"),
    ({"n": "1"}, "n"), ({"x_min": "0"}, "x_min"), ({"alpha": "nan"}, "alpha"), ({"colour": "red"}, "colour"),
    ({"x_min": "5", "x_max": "1"}, "x_min"), ({"learner": "rf", "activation": "quadratic"}, "activation"),
])
def test_a_bad_link_shows_the_defaults_with_a_note_naming_the_control(query, named):
    view, note = view_from_query(query)
    assert view == View()
    assert note.startswith(f"the link's view could not be shown ({named}: ") and note.endswith("showing the defaults")
    assert "\n" not in note


def test_a_view_the_theory_refuses_is_refused_before_any_work():
    with pytest.raises(rm.ParameterError, match=r"^lam: "):
        compute(View(lam=-1.0))
    with pytest.raises(rm.ParameterError, match=r"^x: kappa is an axis of random features only"):
        compute(View().replace(x="kappa"))


@pytest.mark.parametrize("view", [VIEWS[1], VIEWS[3], VIEWS[4], View(learner="kernel", kernel="polynomial", n=10),
                                  View(learner="rf", activation="sign", n=10).replace(x="lam")],
                         ids=["kernel-rbf", "rf-kappa", "rf-coeffs-eps", "kernel-polynomial", "rf-sign-lam"])
def test_the_command_shown_prints_the_same_numbers(view, raf_json):
    words = shlex.split(view.command())
    assert words[:2] == ["raf", "theory"]
    rows = raf_json([*words[1:], "--json"])
    curves = compute(view, bayes=False)
    assert len(rows) == view.n
    for k in ("gen_error", "mem_error", "rule_error"):
        got = [math.nan if r[k] is None else r[k] for r in rows]
        assert _same(got, curves.columns[k]), k


def test_the_optimal_lam_curve_is_optimal_lambda_at_each_point_and_its_command_prints_it(raf_json):
    from rafmodel.explore import optimal_points

    view = View(loss="hinge", eps=0.3, opt=3, x_min=0.5, x_max=8.0)
    got = list(optimal_points(view))
    assert [x for x, _ in got] == view.xs(3) == pytest.approx([0.5, 2.0, 8.0], rel=1e-13)
    for x, r in got:
        ref = rm.optimal_lambda(learner=rm.Linear(), loss="hinge", alpha=x, eps=0.3)
        assert (r.lam_opt, r.gen_error) == (ref.lam_opt, ref.gen_error)
    words = shlex.split(view.optimal_command())
    assert words[:2] == ["raf", "optimal-lambda"] and "--lam" not in words
    rows = raf_json([*words[1:], "--json"])
    assert [(row["alpha"], row["lam_opt"], row["gen_error"]) for row in rows] == [
        (x, r.lam_opt, r.gen_error) for x, r in got]


def test_the_optimal_lam_curve_is_refused_where_it_has_no_meaning():
    with pytest.raises(rm.ParameterError, match=r"^opt: must be 0 .* or an integer from 2 to 50, got 1"):
        View(opt=1).check()
    with pytest.raises(rm.ParameterError, match=r"^opt: the optimal-lam curve is not drawn along lam"):
        View(opt=5).replace(x="lam").check()
    assert View().optimal_command() == ""
    v = View(opt=7).replace(x="eps")
    assert view_from_query(v.to_query()) == (v, None)


def test_stored_points_on_the_view_are_drawn_with_their_numbers_and_sizes(tmp_path):
    from rafmodel.explore import stored_points

    theory = rm.run_sweep({"kind": "theory", "learner": "linear", "loss": "square", "alpha": [0.5, 1, 2, 20],
                           "eps": [0.2, 0.3], "lam": 0.1}, tmp_path / "t.sqlite")
    view = View(eps=0.3, n=5)
    p = stored_points(view, theory)
    assert p["n_matched"] == 3 and p["n_left"] == 0  # alpha = 20 is off the range, eps = 0.2 off the view
    ref = rm.solve_many(rm.grid(alpha=[0.5, 1, 2], eps=0.3, lam=0.1), warn=False)
    assert list(p["x"]) == [0.5, 1, 2]
    for k in ("gen_error", "mem_error", "rule_error"):
        assert list(p[k]) == list(getattr(ref, k)), k
        assert np.all(np.isnan(p[f"{k}_se"]))
    assert stored_points(view.replace(loss="hinge"), theory)["n_matched"] == 0
    assert stored_points(view.replace(lam=0.2), theory)["n_matched"] == 0
    assert stored_points(View(alpha=3.0, n=5).replace(x="eps"), theory)["n_matched"] == 0  # not stored
    along_eps = stored_points(View(alpha=1.0, n=5).replace(x="eps"), theory)
    assert list(along_eps["x"]) == [0.2, 0.3]

    sims = rm.run_sweep({"kind": "simulate", "learner": "rf", "activation": "relu", "kappa": 2, "loss": "square",
                         "alpha": [0.5, 2], "eps": 0.2, "lam": 0.1, "d": 40, "seeds": 2}, tmp_path / "s.sqlite")
    p = stored_points(View(learner="rf", n=5), sims)
    assert p["n_matched"] == 2 and list(p["d"]) == [40, 40] and list(p["seeds"]) == [2, 2]
    assert list(p["gen_error_se"]) == list(sims.sort_values("alpha")["gen_error_se"])
    assert stored_points(View(learner="rf", activation="tanh", n=5), sims)["n_matched"] == 0
    assert stored_points(View(learner="rf", kappa=1.0, n=5), sims)["n_matched"] == 0


def test_the_phase_diagram_is_solve_many_over_alpha_and_lam():
    from rafmodel.explore import phase_diagram

    view = View(learner="kernel", kernel="coefficients", mu1=0.8, mustar=0.4, loss="hinge", eps=0.3, tab="phase")
    p = phase_diagram(view, size=4)
    alphas, lams = np.geomspace(0.1, 10, 4), np.geomspace(1e-4, 10, 4)
    assert np.allclose(p["alpha"], alphas, rtol=1e-13) and np.allclose(p["lam"], lams, rtol=1e-13)
    lrn = rm.Kernel(mu1=0.8, mustar=0.4)
    for i, lam in enumerate(p["lam"]):
        ref = rm.solve_many([rm.Setting(alpha=a, eps=0.3, lam=lam, learner=lrn, loss="hinge") for a in p["alpha"]],
                            warn=False)
        for k in ("gen_error", "mem_error", "rule_error"):
            assert _same(p[k][i], getattr(ref, k)), (k, i)
    assert p["n_not_converged"] == 0
    assert view_from_query(view.to_query()) == (view, None)
    with pytest.raises(rm.ParameterError, match=r"^size: "):
        phase_diagram(view, size=1)


def test_the_kernel_phase_diagram_is_solve_many_over_eps_and_the_coefficient_ratio():
    from rafmodel.explore import phase_diagram

    view = View(learner="kernel", kernel="coefficients", mu1=0.8, mustar=0.4, loss="hinge", alpha=2.0, lam=0.05,
                tab="kernel-phase")
    p = phase_diagram(view, size=3)
    assert list(p["eps"]) == [0.0, 0.5, 1.0] and np.allclose(p["ratio"], [1e-2, 1.0, 1e2], rtol=1e-13)
    assert p["mu1"] == 0.8  # the view's mustar is not used: it is the plane's axis
    for i, ratio in enumerate(p["ratio"]):
        lrn = rm.Kernel(mu1=0.8, mustar=0.8 * math.sqrt(ratio))
        ref = rm.solve_many([rm.Setting(alpha=2.0, eps=e, lam=0.05, learner=lrn, loss="hinge") for e in p["eps"]],
                            warn=False)
        for k in ("gen_error", "mem_error", "rule_error"):
            assert _same(p[k][i], getattr(ref, k)), (k, i)
    assert p["n_not_converged"] == 0
    assert view_from_query(view.to_query()) == (view, None)
    # a named kernel's plane uses its mu1; a linear learner has none
    rbf = phase_diagram(View(learner="kernel", kernel="rbf", bandwidth=2.0, tab="kernel-phase"), size=2)
    assert rbf["mu1"] == rm.Kernel.from_kernel("rbf", bandwidth=2.0).mu1
    with pytest.raises(rm.ParameterError, match=r"^tab: .*kernel learner"):
        phase_diagram(View(tab="kernel-phase"), size=2)


def test_the_kernel_phase_diagram_depends_on_lam_over_mu1_squared_only():
    """A second route: the kernel mu1^2 (x.x'/d) + mustar^2 delta scaled by c^2 with lam scaled by c^2 is the
    same estimator (the errors are those of the same fit), so the plane at (mu1, lam) is that at (c mu1, c^2 lam)."""
    from rafmodel.explore import phase_diagram

    for loss in ("square", "hinge"):
        base = View(learner="kernel", kernel="coefficients", mu1=1.0, loss=loss, alpha=1.5, lam=0.1,
                    tab="kernel-phase")
        a = phase_diagram(base, size=5)
        b = phase_diagram(base.replace(mu1=2.0, lam=0.4), size=5)
        c = phase_diagram(base.replace(mu1=2.0), size=5)  # not rescaled: a different estimator
        for k in ("gen_error", "mem_error", "rule_error"):
            assert np.allclose(a[k], b[k], rtol=1e-7, atol=1e-9), (loss, k)
        assert not np.allclose(a["gen_error"], c["gen_error"], rtol=1e-3), loss  # the check has power
