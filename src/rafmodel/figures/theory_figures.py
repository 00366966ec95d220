"""Figures of the linear learner: errors along alpha, and the capacity alpha_c(eps)."""

from __future__ import annotations

import math

import numpy as np

from .._validation import POSITIVE, POSITIVE_INT, UNIT, Integer, Real
from ._registry import register_figure
from ._evidence import add_z, agreement, describe_sizes, theory_at
from ._style import COLORS, FONT, PALETTE, finish, new_figure
from ._tables import curve, frame, simulation_rows, theory_rows

__all__ = ["linear_alpha", "capacity"]

_ALPHA_RANGE = Real(0, lo_open=True)


def _bar(ctx, total, desc):
    if not ctx.progress:
        return None
    from tqdm.auto import tqdm

    return tqdm(total=total, desc=desc, leave=False)


@register_figure(
    "linear-alpha",
    "linear learner: gen_error and mem_error vs alpha, square and hinge, at lam = 0, a small lam and the "
    "optimal lam, with the Bayes-optimal error and alpha_c(eps)",
    defaults=dict(eps=0.2, lam=0.01, alpha=[0.2, 8.0], n_alpha=60, sim_alpha=[0.5, 1.5, 4.0, 6.0], d=400,
                  seeds=8),
    quick=dict(n_alpha=10, sim_alpha=[1.5, 4.0], d=40, seeds=2),
    constraints=dict(eps=Real(0, 1, hi_open=True), lam=POSITIVE, alpha=_ALPHA_RANGE, n_alpha=POSITIVE_INT,
                     sim_alpha=_ALPHA_RANGE, d=POSITIVE_INT, seeds=POSITIVE_INT),
    sim_params=("d", "seeds", "sim_alpha"))
def linear_alpha(p, ctx):
    """gen_error and mem_error of the linear learner along alpha (see the registry description)."""
    import rafmodel as rm

    eps, lam_small = float(p["eps"]), float(p["lam"])
    lo, hi = float(min(p["alpha"])), float(max(p["alpha"]))
    alphas = np.geomspace(lo, hi, int(p["n_alpha"]))
    ac = rm.alpha_c(eps) if eps > 0 else math.inf
    bayes = rm.bayes_optimal(alphas, np.full_like(alphas, eps), warn=False)
    fig, axes = new_figure(2, sharey=True, height=3.4)
    rows = [{"curve": "bayes-optimal", "model": "bayes", "alpha": a, "eps": eps, "gen_error": g,
             "converged": bool(c), "source": "bayes"}
            for a, g, c in zip(alphas, bayes.gen_error, bayes.converged)]
    facts, sim_rows = {}, []
    bar = _bar(ctx, 2 * len(alphas), "linear-alpha: optimal lam")
    for ax, loss in zip(axes, ("square", "hinge")):
        for style, lam, label in (("-", 0.0, "lam = 0"), ("--", lam_small, f"lam = {lam_small:g}")):
            res = rm.solve_many(rm.grid(learner="linear", loss=loss, alpha=alphas, eps=eps, lam=lam), warn=False)
            rows += theory_rows(res, curve=label)
            ax.plot(alphas, curve(res, "gen_error"), style, color=COLORS["gen_error"], lw=1.3,
                    label=f"gen_error, {label}")
            ax.plot(alphas, curve(res, "mem_error"), style, color=COLORS["mem_error"], lw=1.3,
                    label=f"mem_error, {label}")
            if lam == 0:
                facts[loss] = res
        opt_gen, opt_mem = [], []
        for a in alphas:
            try:
                o = rm.optimal_lambda(learner=rm.Linear(), loss=loss, alpha=float(a), eps=eps)
                ok = not o.at_boundary
            except rm.ConvergenceError:
                o, ok = None, False
            g = o.gen_error if ok else math.nan
            m = o.mem_error if ok else math.nan
            opt_gen.append(g)
            opt_mem.append(m)
            rows.append({"curve": "optimal lam", "model": "linear", "loss": loss, "alpha": float(a), "eps": eps,
                         "lam": o.lam_opt if ok else math.nan, "gen_error": g, "mem_error": m,
                         "converged": ok, "source": "theory"})
            if bar is not None:
                bar.update()
        ax.plot(alphas, opt_gen, ":", color=COLORS["gen_error"], lw=1.6, label="gen_error, optimal lam")
        ax.plot(alphas, opt_mem, ":", color=COLORS["mem_error"], lw=1.6, label="mem_error, optimal lam")
        ax.plot(alphas, np.where(bayes.converged, bayes.gen_error, np.nan), color=COLORS["bayes"], lw=1.0,
                label="Bayes-optimal")
        thr = 1.0 if loss == "square" else ac
        if math.isfinite(thr) and lo < thr < hi:
            ax.axvline(thr, color="0.5", lw=0.8, ls="-.")
            ax.text(thr, 0.47, r" $\alpha_c$" if loss == "hinge" else r" $\alpha = 1$", fontsize=7, color="0.4")
        if ctx.sim:
            settings = [rm.Setting(alpha=float(a), eps=eps, lam=0.0, loss=loss) for a in p["sim_alpha"]]
            sims = rm.simulate_many(settings, d=int(p["d"]), seeds=int(p["seeds"]), n_test=4000, seed=0,
                                    n_jobs=ctx.n_jobs, progress=ctx.progress)
            th = theory_at(rm.solve_many(settings, warn=False))
            new = [add_z(r, t, n_test=4000) for r, t in zip(simulation_rows(sims, curve="lam = 0"), th)]
            rows += new
            sim_rows += new
            for k in ("gen_error", "mem_error"):
                ax.errorbar([s.setting.alpha for s in sims], [s.mean(k) for s in sims],
                            yerr=[s.se(k) for s in sims], fmt="o", ms=3, capsize=2, color=COLORS[k], zorder=3)
        finish(ax, xlabel="alpha", ylabel="error" if loss == "square" else None, logx=True,
               title=f"{loss} loss, eps = {eps:g}", legend=False)
    if bar is not None:
        bar.close()
    axes[0].set_ylim(0, 0.52)
    # one legend for both panels, below them: it hides no data
    handles, labels = axes[1].get_legend_handles_labels()
    if ctx.sim:
        from matplotlib.lines import Line2D

        handles.append(Line2D([], [], color="0.3", ls="none", marker="o", ms=3,
                              label=f"simulation, {describe_sizes(p['d'], p['seeds'], lam=0.0)}"))
    fig.legend(handles=handles, loc="outside lower center", ncols=3, fontsize=FONT - 2, frameon=False)
    hinge = facts["hinge"]
    last_free = alphas[(np.asarray(hinge.mem_error) == 0) & np.asarray(hinge.converged)]
    caption = (f"At eps = {eps:g}, the max-margin classifier (hinge, lam = 0) stores every fact up to "
               f"alpha_c({eps:g}) = {ac:.3g}" + (f" (mem_error = 0 up to alpha = {last_free.max():.3g} on this grid)"
                                                  if last_free.size else "")
               + f", then loses facts; the min-norm interpolator (square, lam = 0) stores them only up to "
               f"alpha = 1. At alpha = {alphas[-1]:.3g}, gen_error is {curve(facts['square'], 'gen_error')[-1]:.3f} "
               f"(square, lam = 0) and {curve(hinge, 'gen_error')[-1]:.3f} (hinge, lam = 0) against the "
               f"Bayes-optimal {bayes.gen_error[-1]:.3f}.")
    if sim_rows:
        caption += " " + agreement(
            sim_rows, subject=f"Simulations at lam = 0 ({describe_sizes(p['d'], p['seeds'])})",
            where=lambda r: f"alpha = {r['alpha']:g} ({r['loss']})")
    return fig, frame(rows), caption


@register_figure(
    "capacity",
    "alpha_c(eps): the Gardner capacity extended to rules plus facts, for the linear learner and random "
    "features at several kappa, with linear-programming separability tests on samples",
    defaults=dict(kappa=[0.5, 1.0, 2.0], n_eps=41, sim_eps=[0.2, 0.6, 1.0], d=400, seeds=8),
    quick=dict(kappa=[1.0], n_eps=6, sim_eps=[0.3, 1.0], d=30, seeds=2),
    constraints=dict(kappa=POSITIVE, n_eps=Integer(3, 1000), sim_eps=UNIT, d=POSITIVE_INT, seeds=POSITIVE_INT),
    sim_params=("d", "seeds", "sim_eps"))
def capacity(p, ctx):
    """alpha_c(eps) of the linear learner and of relu random features, with LP tests on samples."""
    import rafmodel as rm
    from rafmodel.theory.capacity import interpolation_capacity

    eps_grid = np.linspace(0.02, 1.0, int(p["n_eps"]))
    lin = np.asarray(rm.alpha_c(eps_grid), dtype=float)
    fig, (ax,) = new_figure(1, width=4.6, height=4.0)
    ax.plot(eps_grid, lin, color=PALETTE[0], lw=1.6, label="linear")
    rows = [{"curve": "linear", "model": "linear", "eps": e, "alpha_c": a, "source": "theory"}
            for e, a in zip(eps_grid, lin)]
    for j, kappa in enumerate(p["kappa"]):
        rf = rm.RandomFeatures.from_activation("relu", kappa=float(kappa))
        P = {"kappa": rf.kappa, "mu1": rf.mu1, "mustar": rf.mustar}
        vals = np.array([interpolation_capacity(rf, float(e), P) for e in eps_grid], dtype=float)
        ax.plot(eps_grid, vals, color=PALETTE[j + 1], lw=1.3, ls="--", label=f"relu random features, kappa = {kappa:g}")
        rows += [{"curve": f"rf kappa={kappa:g}", "model": "rf", "activation": "relu", "kappa": float(kappa),
                  "eps": e, "alpha_c": a, "source": "theory"} for e, a in zip(eps_grid, vals)]
    tests = []
    if ctx.sim:
        d, seeds = int(p["d"]), int(p["seeds"])
        points = [(float(e), f * float(rm.alpha_c(e)), f) for e in p["sim_eps"] for f in (0.8, 1.2)]
        fracs = _separable_fractions(points, d, seeds, ctx)
        for (e, a, f), frac in zip(points, fracs):
            k = int(round(frac * seeds))
            rows.append({"curve": "LP test", "model": "linear", "eps": e, "alpha": a, "alpha_over_alpha_c": f,
                         "d": d, "seeds": seeds, "separable": k, "separable_fraction": frac,
                         "source": "simulation"})
            tests.append((e, a, f, k))
            # filled: every sample separable; open: none; half-filled: some (the count is written beside it)
            style = "full" if k == seeds else "none" if k == 0 else "bottom"
            ax.plot([e], [a], "o", ms=5, color=PALETTE[0], mec=PALETTE[0], fillstyle=style,
                    mfc=PALETTE[0] if style != "none" else "white", label=None)
            ax.annotate(f"{k}/{seeds}", (e, a), xytext=(4, 0), textcoords="offset points", fontsize=FONT - 3,
                        va="center", color="0.25")
        ax.plot([], [], "o", color=PALETTE[0], ms=5, label=f"LP test, {describe_sizes(d, seeds)}: all separable")
        ax.plot([], [], "o", color=PALETTE[0], ms=5, fillstyle="bottom", label="some separable (k/seeds)")
        ax.plot([], [], "o", mfc="white", mec=PALETTE[0], ms=5, label="none separable")
    finish(ax, xlabel="eps", ylabel="alpha_c", title="interpolation threshold of the max-margin classifier",
           legend=False)
    ax.set_ylim(0, None)
    fig.legend(*ax.get_legend_handles_labels(), loc="outside lower center", ncols=2, fontsize=FONT - 2,
               frameon=False)  # below the axes: it hides no curve
    caption = (f"The linear classifier separates rules plus facts up to alpha_c(eps): alpha_c(1) = {lin[-1]:.3g} "
               f"(Gardner's random-label capacity), alpha_c(0.2) = {float(rm.alpha_c(0.2)):.3g}, and alpha_c grows "
               f"without bound as eps -> 0 (alpha_c({eps_grid[0]:.2g}) = {lin[0]:.3g}). Random features separate "
               "more as kappa grows (Cover's 2 kappa at eps = 1).")
    if tests:
        def part(f):
            return ", ".join(f"{k}/{int(p['seeds'])} at eps = {e:g}" for e, a, ff, k in tests if ff == f)
        caption += (f" Linear-programming tests on samples ({describe_sizes(p['d'], p['seeds'])}): separable at "
                    f"0.8 alpha_c in {part(0.8)}; at 1.2 alpha_c in {part(1.2)}.")
    return fig, frame(rows), caption


def _separable_one(d, alpha, eps, seed):
    """Whether one RAF sample at ``(d, alpha, eps)`` (seed ``seed``) is linearly separable (an LP)."""
    import rafmodel as rm
    from rafmodel.data import sample_raf
    from rafmodel.estimators import represent
    from rafmodel.estimators.solvers import _separability

    data = sample_raf(d=d, alpha=alpha, eps=eps, rng=np.random.SeedSequence(seed, spawn_key=(int(1e6 * eps),)))
    return bool(_separability(represent(rm.Linear(), data.X, None), data.y)[0])


def _separable_fractions(points, d, seeds, ctx):
    """The separable fraction over ``seeds`` samples at each ``(eps, alpha, _)``, in worker processes."""
    from .._parallel import effective_jobs, worker_pool

    tasks = [(d, a, e, s) for e, a, _ in points for s in range(seeds)]
    jobs = effective_jobs(ctx.n_jobs, len(tasks))
    if jobs == 1:
        out = [_separable_one(*t) for t in tasks]
    else:
        with worker_pool(jobs) as pool:
            out = list(pool.map(_separable_one, *zip(*tasks)))
    return [float(np.mean(out[i * seeds:(i + 1) * seeds])) for i in range(len(points))]
