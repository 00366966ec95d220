"""Figures of random features: errors along kappa (rf-kappa) and the (alpha, kappa) plane (phase-rf)."""

from __future__ import annotations

import math

import numpy as np

from .._validation import POSITIVE, POSITIVE_INT, Integer, Real
from ._registry import register_figure
from ._evidence import add_z, agreement, describe_sizes, theory_at
from ._style import COLORS, FONT, PALETTE, finish, new_figure
from ._tables import curve, frame, simulation_rows, theory_rows

__all__ = ["hinge_kappa_threshold", "near_optimal_region", "phase_rf", "rf_kappa"]

#: The activations of rf-kappa (fixed: part of the figure, not an option).
ACTIVATIONS = ("relu", "tanh")

#: The losses simulated in rf-kappa, and at which lam: the square loss at lam = 0 (the min-norm
#: interpolator) and the hinge at the figure's small lam (the hard-margin SVM of lam = 0 takes
#: about 40 s per fit at d = 400, beyond the report's time budget; the soft margin about 1 s).
SIM_LOSSES = ("square", "hinge")


def _sim_lam(loss, lam_small):
    """The lam of rf-kappa's simulations of ``loss`` (see :data:`SIM_LOSSES`)."""
    return 0.0 if loss == "square" else float(lam_small)

_EPS = Real(0, 1, hi_open=True)


def _bar(ctx, total, desc):
    if not ctx.progress:
        return None
    from tqdm.auto import tqdm

    return tqdm(total=total, desc=desc, leave=False)


def _tick(bar, n=1):
    if bar is not None:
        bar.update(n)


def _rf(activation, kappa):
    import rafmodel as rm

    return rm.RandomFeatures.from_activation(activation, kappa=float(kappa))


def hinge_kappa_threshold(activation, alpha, eps, *, lo=1e-3, hi=1e3):
    """The ``kappa`` above which random features separate RAF data at ``alpha`` (max-margin exists).

    The root in ``kappa`` of ``interpolation_threshold(rf(kappa), hinge, eps) = alpha`` (the
    separability threshold grows with ``kappa``: ``2 kappa`` at ``eps = 1``, and without bound
    as ``kappa -> inf`` where the kernel limit fits anything when ``mustar > 0``).  ``nan`` if it
    is not bracketed in ``[lo, hi]``.
    """
    from scipy.optimize import brentq

    import rafmodel as rm
    from rafmodel.theory.capacity import interpolation_threshold

    hinge = rm.Hinge()

    def f(logk):
        rf = _rf(activation, math.exp(logk))
        P = {"kappa": rf.kappa, "mu1": rf.mu1, "mustar": rf.mustar}
        return float(interpolation_threshold(rf, hinge, float(eps), P)) - float(alpha)

    a, b = math.log(lo), math.log(hi)
    try:
        fa, fb = f(a), f(b)
    except RuntimeError:
        return math.nan
    if not (np.isfinite(fa) and np.isfinite(fb)) or fa * fb > 0:
        return math.nan
    return float(math.exp(brentq(f, a, b, xtol=1e-10, rtol=1e-12)))


# ---------------------------------------------------------------------------------------------
# rf-kappa
# ---------------------------------------------------------------------------------------------

@register_figure(
    "rf-kappa",
    "random features (relu, tanh): gen_error and mem_error vs kappa = p/d at fixed alpha, square and hinge, "
    "at lam = 0 and a small lam, with the kernel limit and the interpolation thresholds",
    defaults=dict(alpha=2.0, eps=0.2, lam=0.01, kappa=[0.1, 20.0], n_kappa=61, sim_kappa=[0.4, 1.4, 6.0],
                  d=400, seeds=8),
    quick=dict(n_kappa=12, sim_kappa=[0.5, 5.0], d=40, seeds=2),
    constraints=dict(alpha=POSITIVE, eps=_EPS, lam=POSITIVE, kappa=POSITIVE, n_kappa=POSITIVE_INT,
                     sim_kappa=POSITIVE, d=POSITIVE_INT, seeds=POSITIVE_INT),
    sim_params=("d", "seeds", "sim_kappa"))
def rf_kappa(p, ctx):
    """gen_error and mem_error of random features along kappa (see the registry description)."""
    import rafmodel as rm

    alpha, eps, lam_small = float(p["alpha"]), float(p["eps"]), float(p["lam"])
    lo, hi = float(min(p["kappa"])), float(max(p["kappa"]))
    kappas = np.geomspace(lo, hi, int(p["n_kappa"]))
    losses = ("square", "hinge")
    lams = ((0.0, "-", "lam = 0"), (lam_small, "--", f"lam = {lam_small:g}"))
    fig, axes = new_figure(2, 2, width=3.5, height=2.5)
    gen_axes, mem_axes = axes[:2], axes[2:]
    for row in (gen_axes, mem_axes):
        row[1].sharey(row[0])
    rows, facts, sim_rows = [], {}, []
    n_sim = len(ACTIVATIONS) * len(SIM_LOSSES) if ctx.sim else 0
    bar = _bar(ctx, len(ACTIVATIONS) * len(losses) * (len(lams) + 2) + n_sim, "rf-kappa")
    for col, loss in enumerate(losses):
        gax, max_ = gen_axes[col], mem_axes[col]
        for j, act in enumerate(ACTIVATIONS):
            color = PALETTE[j]
            learners = [_rf(act, k) for k in kappas]
            for lam, style, label in lams:
                res = rm.solve_many(rm.grid(learner=learners, loss=loss, alpha=alpha, eps=eps, lam=lam), warn=False)
                rows += theory_rows(res, curve=f"{act}, {label}")
                facts[(loss, act, lam)] = res
                for ax, metric in ((gax, "gen_error"), (max_, "mem_error")):
                    ax.plot(kappas, curve(res, metric), style, color=color, lw=1.3, label=f"{act}, {label}")
                _tick(bar)
            # the kernel limit kappa -> inf: same mu1, mustar (lam -> 0+: it interpolates, mem_error = 0)
            ker = rm.Kernel(mu1=learners[0].mu1, mustar=learners[0].mustar)
            kres = rm.solve_many([rm.Setting(alpha=alpha, eps=eps, lam=0.0, learner=ker, loss=loss)], warn=False)
            rows += theory_rows(kres, curve=f"{act}, kernel limit, lam = 0", activation=act, kappa=math.inf)
            facts[(loss, act, "kernel")] = kres
            if kres.converged[0]:
                gax.axhline(kres.gen_error[0], color=color, lw=0.9, ls=":",
                            label=f"{act}, kernel limit ($\\kappa\\to\\infty$)")
            _tick(bar)
            # the interpolation threshold in kappa at this alpha
            if loss == "square":
                kc = alpha  # n < p: the min-norm interpolator exists iff kappa > alpha (mustar > 0)
            else:
                kc = hinge_kappa_threshold(act, alpha, eps)
                if math.isfinite(kc) and lo < kc < hi:
                    for ax in (gax, max_):
                        ax.axvline(kc, color=color, lw=0.8, ls="-.")
            facts[(loss, act, "threshold")] = kc
            rows.append({"curve": f"{act}, interpolation threshold", "model": "rf", "loss": loss, "activation": act,
                         "alpha": alpha, "eps": eps, "lam": 0.0, "kappa": kc, "source": "theory"})
            _tick(bar)
            if ctx.sim and loss in SIM_LOSSES:
                sim_lam = _sim_lam(loss, lam_small)
                settings = [rm.Setting(alpha=alpha, eps=eps, lam=sim_lam, loss=loss, learner=_rf(act, k))
                            for k in p["sim_kappa"]]
                sims = rm.simulate_many(settings, d=int(p["d"]), seeds=int(p["seeds"]), n_test=4000, seed=0,
                                        n_jobs=ctx.n_jobs,
                                        progress=ctx.progress)
                th = theory_at(rm.solve_many(settings, warn=False))
                new = [add_z(r, t, n_test=4000)
                       for r, t in zip(simulation_rows(sims, curve=f"{act}, lam = {sim_lam:g}"), th)]
                rows += new
                sim_rows += new
                for ax, metric in ((gax, "gen_error"), (max_, "mem_error")):
                    ax.errorbar([s.setting.learner.kappa for s in sims], [s.mean(metric) for s in sims],
                                yerr=[s.se(metric) for s in sims], fmt="o", ms=3.5, capsize=2, color=color,
                                mfc="white" if sim_lam == 0 else color, mew=1.0, zorder=3)
                _tick(bar)
        if loss == "square" and lo < alpha < hi:
            for ax in (gax, max_):
                ax.axvline(alpha, color="0.45", lw=0.8, ls="-.")
        finish(gax, ylabel="gen_error" if col == 0 else None, logx=True, legend=False,
               title=f"{loss} loss, alpha = {alpha:g}, eps = {eps:g}")
        finish(max_, xlabel="kappa", ylabel="mem_error" if col == 0 else None, logx=True, legend=False)
    if bar is not None:
        bar.close()
    gen_axes[0].set_ylim(None, 0.505)
    mem_axes[0].set_ylim(-0.01, None)
    # threshold labels along the top of the mem_error panels (the lower hinge kappa_c on the left of its line)
    for col, loss in enumerate(losses):
        ax = mem_axes[col]
        ytop = 0.97 * ax.get_ylim()[1]
        if loss == "square":
            if lo < alpha < hi:
                ax.text(alpha, ytop, r" $\kappa = \alpha$", fontsize=FONT - 2, color="0.35", va="top")
            continue
        shown = sorted((facts[(loss, act, "threshold")], j, act) for j, act in enumerate(ACTIVATIONS))
        shown = [t for t in shown if math.isfinite(t[0]) and lo < t[0] < hi]
        for n, (kc, j, act) in enumerate(shown):
            left = n == 0 and len(shown) > 1
            ax.text(kc, ytop, rf"$\kappa_c$ {act} " if left else rf" $\kappa_c$ {act}", fontsize=FONT - 2,
                    color=PALETTE[j], va="top", ha="right" if left else "left")
    _legend(fig, ctx, p)

    # the finding, with numbers from the computation
    sq = {act: facts[("square", act, 0.0)] for act in ACTIVATIONS}
    hg = {act: facts[("hinge", act, 0.0)] for act in ACTIVATIONS}
    relu_sq, relu_small = sq["relu"], facts[("square", "relu", lam_small)]
    mem0 = np.array([curve(sq[act], "mem_error") for act in ACTIVATIONS])  # (activation, kappa)
    over = kappas > alpha
    gen0, gen_s = curve(relu_sq, "gen_error"), curve(relu_small, "gen_error")
    near = (kappas > alpha / 3) & (kappas < 3 * alpha) & np.isfinite(gen0)  # the peak at the threshold
    parts = [f"At alpha = {alpha:g}, eps = {eps:g}, the min-norm interpolator (square loss, lam = 0) stores every "
             f"fact (mem_error = 0) exactly when kappa > alpha"]
    if np.any(over) and np.any(~over):
        below = mem0[:, ~over]
        parts[0] += (f" (relu and tanh on this grid: mem_error = 0 at {int(np.sum(mem0[:, over] == 0))} of the "
                     f"{mem0[:, over].size} points with kappa > {alpha:g}, > 0 at {int(np.sum(below > 0))} of the "
                     f"{below.size} below")
        small = np.flatnonzero(below[0] < 0.01)
        parts[0] += (f"; for relu it drops below 0.01 from kappa = {kappas[~over][small[0]]:.3g} on)" if small.size
                     else ")")
    if np.any(near):
        peak = int(np.flatnonzero(near)[np.argmax(gen0[near])])
        parts[0] += (f"; its gen_error peaks at the threshold ({gen0[peak]:.3f} at kappa = {kappas[peak]:.3g}), "
                     f"where lam = {lam_small:g} brings it down to {gen_s[peak]:.3f}")
    parts[0] += "."
    hinge_kc = ", ".join(f"{facts[('hinge', act, 'threshold')]:.3g} ({act})" for act in ACTIVATIONS)
    txt = (f"The max-margin classifier (hinge, lam = 0) stores every fact from a lower kappa on, the separability "
           f"threshold kappa_c = {hinge_kc}")
    kc = facts[("hinge", "relu", "threshold")]
    hgen = curve(hg["relu"], "gen_error")
    bumps = [i for i in range(1, len(kappas) - 1) if hgen[i] >= max(hgen[i - 1], hgen[i + 1])]  # nan: never
    if math.isfinite(kc) and bumps and np.any(near):
        top = min(bumps, key=lambda i: abs(math.log(kappas[i] / kc)))
        txt += (f", where its gen_error has only a small bump (relu: {hgen[top]:.3f} at kappa = {kappas[top]:.3g}, "
                f"against {gen0[peak]:.3f} at the square-loss threshold)")
    elif math.isfinite(kc):
        txt += ", with no peak of gen_error on this grid"
    parts.append(txt + ".")
    ends = ", ".join(f"{curve(sq[act], 'gen_error')[-1]:.3f} / {curve(hg[act], 'gen_error')[-1]:.3f} ({act})"
                     for act in ACTIVATIONS)
    limits = ", ".join(f"{facts[('square', act, 'kernel')].gen_error[0]:.3f} / "
                       f"{facts[('hinge', act, 'kernel')].gen_error[0]:.3f}" for act in ACTIVATIONS)
    parts.append(f"At kappa = {kappas[-1]:.3g}, gen_error (square / hinge, lam = 0) is {ends}, approaching the "
                 f"kernel limits (kappa -> inf) {limits} (relu, tanh).")
    if sim_rows:
        parts.append(agreement(sim_rows, subject=(f"Simulations (square loss at lam = 0, hinge at lam = "
                                                  f"{_sim_lam('hinge', p['lam']):g}; "
                                                  f"{describe_sizes(p['d'], p['seeds'])}, p = kappa d features)"),
                               where=lambda r: f"kappa = {r['kappa']:g} ({r['activation']}, {r['loss']})"))
    return fig, frame(rows), " ".join(parts)


def _legend(fig, ctx, p):
    """One legend for the four panels, below them: activations by colour, lam by line style."""
    from matplotlib.lines import Line2D

    h = [Line2D([], [], color=PALETTE[j], lw=1.5, label=act) for j, act in enumerate(ACTIVATIONS)]
    h += [Line2D([], [], color="0.3", lw=1.3, ls="-", label="lam = 0 (interpolating limit)"),
          Line2D([], [], color="0.3", lw=1.3, ls="--", label=f"lam = {float(p['lam']):g}"),
          Line2D([], [], color="0.3", lw=0.9, ls=":", label=r"kernel limit $\kappa\to\infty$, lam = 0"),
          Line2D([], [], color="0.3", lw=0.8, ls="-.", label="interpolation threshold")]
    if ctx.sim:
        for loss in SIM_LOSSES:
            lam = _sim_lam(loss, p["lam"])
            h.append(Line2D([], [], color="0.3", ls="none", marker="o", ms=3.5, mfc="white" if lam == 0 else "0.3",
                            label=f"simulation, {loss} loss, {describe_sizes(p['d'], p['seeds'], lam=lam)}"))
    fig.legend(handles=h, loc="outside lower center", ncols=4, fontsize=FONT - 2, frameon=False)


# ---------------------------------------------------------------------------------------------
# phase-rf
# ---------------------------------------------------------------------------------------------

def near_optimal_region(alphas, kappas, *, eps, activation="relu", loss="square", lams, tol=0.01, refine=4,
                        bar=None):
    """Where the ``lam -> 0+`` learner's gen_error is within ``tol`` (relative) of the optimally regularized one.

    For each ``alpha`` one :func:`rafmodel.solve_many` batch solves every ``kappa`` at ``lam = 0`` and at
    each of ``lams``; a second batch refines the best ``lam`` of each point on ``2 refine`` values
    between its neighbours on the grid (``log`` scale).  The optimum is the smallest converged
    gen_error among all of them, ``lam = 0`` included.

    Returns
    -------
    dict of arrays of shape ``(len(alphas), len(kappas))``
        ``zero`` and ``best`` (lists of lists of :class:`TheoryResult`), ``gen0``, ``gen_opt``,
        ``lam_opt``, ``rel_gap = gen0 / gen_opt - 1``, ``near`` (bool) and ``ok`` (``lam = 0`` and every
        ``lam`` of the grid converged; elsewhere the other arrays hold ``nan`` / ``False``), and
        ``n_failed`` (grid values of ``lam`` that did not converge, per point).
    """
    import rafmodel as rm

    lams = np.asarray(lams, dtype=float)
    logstep = float(np.log(lams[1] / lams[0])) if len(lams) > 1 else 1.0
    na, nk, nl = len(alphas), len(kappas), len(lams)
    learners = [_rf(activation, k) for k in kappas]
    shape = (na, nk)
    out = {k: np.full(shape, np.nan) for k in ("gen0", "gen_opt", "lam_opt", "rel_gap")}
    out.update(near=np.zeros(shape, bool), ok=np.zeros(shape, bool), n_failed=np.zeros(shape, int),
               zero=[[None] * nk for _ in range(na)], best=[[None] * nk for _ in range(na)])
    fine = np.exp(logstep * np.linspace(-1, 1, 2 * refine + 1))
    fine = fine[fine != 1.0]
    for i, a in enumerate(alphas):
        res = rm.solve_many(rm.grid(learner=learners, loss=loss, alpha=float(a), eps=eps,
                                    lam=np.concatenate([[0.0], lams])), warn=False)
        g = np.where(res.converged, res.gen_error, np.inf).reshape(nl + 1, nk)  # rows: lam; cols: kappa
        jbest = np.argmin(g[1:], axis=0)  # best lam > 0 on the grid, per kappa
        lam_ref = lams[jbest][:, None] * fine[None, :]  # (nk, 2 refine)
        ref = rm.solve_many([rm.Setting(alpha=float(a), eps=eps, lam=float(l), learner=learners[k], loss=loss)
                             for k in range(nk) for l in lam_ref[k]], warn=False)
        gr = np.where(ref.converged, ref.gen_error, np.inf).reshape(nk, len(fine))
        for k in range(nk):
            i0 = k  # lam = 0 is the first row of the batch
            out["zero"][i][k] = res[i0]
            out["n_failed"][i, k] = int(np.sum(~np.asarray(res.converged).reshape(nl + 1, nk)[1:, k]))
            cands = [(g[1 + jbest[k], k], res[(1 + jbest[k]) * nk + k])]
            r = int(np.argmin(gr[k]))
            cands.append((gr[k, r], ref[k * len(fine) + r]))
            cands.append((g[0, k], res[i0]))  # lam = 0 itself
            gbest, best = min(cands, key=lambda t: t[0])
            if not (np.isfinite(g[0, k]) and out["n_failed"][i, k] == 0):
                continue  # not converged somewhere: the optimum is not certain, the point is left blank
            out["ok"][i, k] = True
            out["best"][i][k] = best
            out["gen0"][i, k], out["gen_opt"][i, k] = g[0, k], gbest
            out["lam_opt"][i, k] = best.setting.lam
            out["rel_gap"][i, k] = g[0, k] / gbest - 1.0
            out["near"][i, k] = out["rel_gap"][i, k] <= tol
        _tick(bar)
    return out


@register_figure(
    "phase-rf",
    "random features (relu, square loss): the (alpha, kappa) plane, the interpolation threshold kappa = alpha "
    "and where the lam -> 0+ learner generalizes within 1 % of the optimally regularized one",
    defaults=dict(eps=0.2, alpha=[0.1, 10.0], kappa=[0.1, 20.0], n_alpha=40, n_kappa=40, n_lam=40, tol=0.01),
    quick=dict(n_alpha=6, n_kappa=6, n_lam=16),
    constraints=dict(eps=_EPS, alpha=POSITIVE, kappa=POSITIVE, n_alpha=POSITIVE_INT, n_kappa=POSITIVE_INT,
                     n_lam=Integer(2), tol=Real(0, 1, lo_open=True)),
    sim_params=())
def phase_rf(p, ctx):
    """The near-optimal-interpolation region of relu random features in the (alpha, kappa) plane."""
    import matplotlib
    from matplotlib.colors import BoundaryNorm, ListedColormap

    eps, tol = float(p["eps"]), float(p["tol"])
    a_lo, a_hi = float(min(p["alpha"])), float(max(p["alpha"]))
    k_lo, k_hi = float(min(p["kappa"])), float(max(p["kappa"]))
    alphas = np.geomspace(a_lo, a_hi, int(p["n_alpha"]))
    kappas = np.geomspace(k_lo, k_hi, int(p["n_kappa"]))
    lam_lo, lam_hi = 1e-4, 1e2
    lams = np.geomspace(lam_lo, lam_hi, int(p["n_lam"]))
    bar = _bar(ctx, len(alphas), "phase-rf: alpha rows")
    reg = near_optimal_region(alphas, kappas, eps=eps, lams=lams, tol=tol, bar=bar)
    if bar is not None:
        bar.close()

    # the relative gap in classes (colour-blind-safe cividis, bright = near-optimal); not converged: blank
    gap = np.ma.masked_invalid(np.where(reg["ok"], np.maximum(reg["rel_gap"], 0.0), np.nan))
    bounds = np.array([0.0, tol] + [b for b in (0.03, 0.1, 0.3, 1.0) if b > tol] + [np.inf])
    top = max(10.0 * bounds[-2], float(np.nanmax(gap)) * 2 if gap.count() else 0.0)
    cmap = ListedColormap(matplotlib.colormaps["cividis"](np.linspace(0.95, 0.1, len(bounds) - 1))).with_extremes(
        bad="white")
    norm = BoundaryNorm(np.concatenate([bounds[:-1], [top]]), cmap.N)
    fig, (ax,) = new_figure(1, width=4.6, height=3.9)
    # cell edges halfway (in log) between grid points
    def edges(v):
        lv = np.log(v)
        if len(v) == 1:
            return np.exp([lv[0] - 0.5, lv[0] + 0.5])
        mid = 0.5 * (lv[1:] + lv[:-1])
        return np.exp(np.concatenate([[2 * lv[0] - mid[0]], mid, [2 * lv[-1] - mid[-1]]]))

    mesh = ax.pcolormesh(edges(alphas), edges(kappas), gap.T, cmap=cmap, norm=norm, shading="flat",
                         rasterized=True)
    smooth = min(len(alphas), len(kappas)) >= 10  # a contour through a coarse grid only misleads
    if smooth:
        ax.contour(alphas, kappas, np.where(reg["ok"], reg["rel_gap"], np.nan).T, levels=[tol], colors="black",
                   linewidths=1.0)
    # the interpolation threshold of the square loss: kappa = alpha (mustar > 0)
    t = np.geomspace(min(a_lo, k_lo) / 2, 2 * max(a_hi, k_hi), 50)
    ax.plot(t, t, color=COLORS["mem_error"], lw=1.6, ls="--")
    ax.set_xlim(edges(alphas)[[0, -1]])
    ax.set_ylim(edges(kappas)[[0, -1]])
    cb = fig.colorbar(mesh, ax=ax, spacing="uniform", pad=0.02, ticks=bounds[:-1])
    cb.ax.set_yticklabels([f"{100 * b:g} %" for b in bounds[:-1]], fontsize=FONT - 2)
    cb.ax.minorticks_off()
    cb.set_label("gen_error at lam = 0+ above the optimum (relative)", fontsize=FONT - 1)
    if k_hi > a_lo:  # the top-left corner lies above the threshold
        ax.text(0.04, 0.96, "interpolates\n(mem_error = 0)", transform=ax.transAxes, fontsize=FONT - 2, va="top")
    if k_lo < a_hi:  # the bottom-right corner lies below it
        ax.text(0.96, 0.04, "does not\ninterpolate", transform=ax.transAxes, fontsize=FONT - 2, ha="right")
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    handles = [Line2D([], [], color=COLORS["mem_error"], lw=1.6, ls="--", label=r"$\kappa = \alpha$ (threshold)")]
    if smooth:
        handles.append(Line2D([], [], color="black", lw=1.0, label=f"gap = {100 * tol:g} %"))
    if not reg["ok"].all():
        handles.append(Patch(facecolor="white", edgecolor="0.5", label="not converged (blank)"))
    finish(ax, xlabel="alpha", ylabel="kappa", logx=True, logy=True, legend=False,
           title=f"relu random features, square loss, eps = {eps:g}")
    fig.legend(handles=handles, fontsize=FONT - 2, frameon=False, loc="outside lower center", ncols=len(handles))

    rows = []
    for i in range(len(alphas)):
        for k in range(len(kappas)):
            ext = dict(gen_opt=reg["gen_opt"][i, k], lam_opt=reg["lam_opt"][i, k], rel_gap=reg["rel_gap"][i, k],
                       near_optimal=bool(reg["near"][i, k]), n_lam_failed=int(reg["n_failed"][i, k]))
            rows += [{**r, **ext} for r in theory_rows([reg["zero"][i][k]], curve="lam = 0")]
            if reg["best"][i][k] is not None:
                rows += theory_rows([reg["best"][i][k]], curve="best lam")
    table = frame(rows)

    ok, near = reg["ok"], reg["near"]
    A, K = np.meshgrid(alphas, kappas, indexing="ij")
    interp = (K > A) & ok
    n_int, n_near_int = int(interp.sum()), int((near & interp).sum())
    n_near_non = int((near & ~(K > A) & ok).sum())
    cap = (f"Relu random features, square loss, eps = {eps:g}: the lam -> 0+ learner interpolates (stores every "
           f"fact) above the line kappa = alpha. Its gen_error is within {100 * tol:g} % of the optimally "
           f"regularized one at {n_near_int} of the {n_int} interpolating grid points")
    big = [(a, k) for a, k in zip(A[near & interp], K[near & interp])]
    if big:
        amax = max(a for a, _ in big)
        kmin_at = min(k for a, k in big if a == amax)
        cap += f" (up to alpha = {amax:.3g}, at kappa >= {kmin_at:.3g})"
    cap += (f", and at {n_near_non} of the {int((~(K > A) & ok).sum())} non-interpolating ones (kappa < alpha, "
            "far below the threshold, where the penalty hardly matters)")
    worst = np.nanmax(np.where(ok, reg["rel_gap"], np.nan)) if ok.any() else math.nan
    cap += (f"; near the threshold the lam -> 0+ learner is up to {100 * worst:.0f} % worse. The optimum is the "
            f"smallest gen_error over lam = 0 and {len(lams)} log-spaced lam in [{lam_lo:g}, {lam_hi:g}], refined "
            f"around the best on a finer grid, solved in one batch per alpha row (not optimal_lambda).")
    rf = _rf("relu", 1.0)
    ratio, margin = rf.mustar**2 / rf.mu1**2, math.pi / (2 * (1 - eps) ** 2) - 1
    cap += (f" Even the kernel limit kappa -> inf memorizes at no cost only when mustar^2/mu1^2 >= "
            f"pi/(2(1-eps)^2) - 1 = {margin:.3g}; relu has {ratio:.3g}.")
    on_line = ~ok & np.isclose(K, A, rtol=1e-12, atol=0)
    n_line, n_bad = int(on_line.sum()), int((~ok & ~on_line).sum())
    if n_line:
        cap += (f" {n_line} grid point{'s' if n_line > 1 else ''} on the threshold itself (kappa = alpha, where the "
                f"lam -> 0+ fixed point is singular) {'are' if n_line > 1 else 'is'} not converged and blank.")
    if n_bad:
        cap += (f" {n_bad} other grid point{'s' if n_bad > 1 else ''} (lam = 0 or a lam of the grid) did not "
                f"converge and {'are' if n_bad > 1 else 'is'} blank.")
    return fig, table, cap
