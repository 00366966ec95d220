"""Rules and facts from real images (scikit-learn's 8x8 digits), beside the Gaussian theory."""

from __future__ import annotations

import math

import numpy as np

from .._validation import POSITIVE, POSITIVE_INT, Integer, Real
from ._registry import register_figure
from ._style import PALETTE, finish, new_figure
from ._tables import frame

__all__ = ["realdata_figure"]

_RULE, _FACTS = (3, 5), 8


@register_figure(
    "realdata",
    "real images: kernel ridge (RBF) on digits 3 vs 5 with images of 8 as facts; gen_error and mem_error vs "
    "lam for several bandwidths, and the trade-off curve, with the Gaussian theory of the same kernel",
    defaults=dict(alpha=4.0, eps=0.2, bandwidth=[0.5, 1.0, 2.0], lam=[1e-3, 100.0], n_lam=11, seeds=5),
    quick=dict(bandwidth=[0.5, 2.0], n_lam=4, seeds=2),
    constraints=dict(alpha=POSITIVE, eps=Real(0, 1), bandwidth=POSITIVE, lam=POSITIVE, n_lam=Integer(2, 200),
                     seeds=POSITIVE_INT),
    sim_params=("seeds",))
def realdata_figure(p, ctx):
    """gen_error and mem_error of kernel ridge on digits along lam (see the registry description)."""
    import rafmodel as rm
    from ..data import ImageRAF
    from ..real_data import _scale, realdata, theory_coefficients

    alpha, eps = float(p["alpha"]), float(p["eps"])
    etas = [float(e) for e in np.atleast_1d(p["bandwidth"])]
    lo, hi = float(min(p["lam"])), float(max(p["lam"]))
    lams = [float(x) for x in np.geomspace(lo, hi, int(p["n_lam"]))]
    lams_th = np.geomspace(lo, hi, 40)
    seeds = int(p["seeds"])
    fig, axes = new_figure(3, width=3.3, height=2.8)
    rows, summary = [], {}
    measured = None
    if ctx.sim:
        measured = realdata("digits", rule=_RULE, facts=_FACTS, alpha=alpha, eps=eps, lam=lams, bandwidth=etas,
                            seeds=seeds, seed=0, theory=True, progress=ctx.progress).to_records()
        for r in measured:
            rows.append({"curve": f"bandwidth = {r['bandwidth']:g}", "source": "simulation", **r})
    source = ImageRAF("digits", rule=_RULE, facts=_FACTS)
    setting = rm.Setting(alpha=alpha, eps=eps, lam=1.0)
    source.check(setting)
    scale = _scale(source, setting, seeds, 0)
    for k, eta in enumerate(etas):
        color = PALETTE[k % len(PALETTE)]
        mu1, mustar = theory_coefficients("rbf", scale, bandwidth=eta)
        res = rm.solve_many(rm.grid(learner=rm.Kernel(mu1=mu1, mustar=mustar), loss="square", alpha=alpha,
                                    eps=eps, lam=lams_th), warn=False)
        ok = np.asarray(res.converged, bool)
        g = np.where(ok, np.asarray(res.gen_error, float), np.nan)
        m = np.where(ok, np.asarray(res.mem_error, float), np.nan)
        rows += [{"curve": f"bandwidth = {eta:g}", "source": "theory", "alpha": alpha, "eps": eps, "bandwidth": eta,
                  "lam": x,
                  "mu1": mu1, "mustar": mustar, "scale": scale, "gen_error": gi, "mem_error": mi,
                  "converged": bool(c)} for x, gi, mi, c in zip(lams_th, g, m, ok)]
        lab = f"bandwidth = {eta:g}"
        axes[0].plot(lams_th, g, "--", color=color, lw=1.1)
        axes[1].plot(lams_th, m, "--", color=color, lw=1.1)
        axes[2].plot(m, g, "--", color=color, lw=1.1)
        if measured is not None:
            pts = [r for r in measured if r["bandwidth"] == eta]
            x = [r["lam"] for r in pts]
            for ax, key in ((axes[0], "gen_error"), (axes[1], "mem_error")):
                ax.errorbar(x, [r[key] for r in pts], yerr=[r[f"{key}_se"] for r in pts], fmt="o-", ms=3, lw=1.0,
                            capsize=2, color=color, label=lab)
            axes[2].errorbar([r["mem_error"] for r in pts], [r["gen_error"] for r in pts],
                             xerr=[r["mem_error_se"] for r in pts], yerr=[r["gen_error_se"] for r in pts],
                             fmt="o-", ms=3, lw=1.0, capsize=2, color=color, label=lab)
            summary[eta] = pts
        else:
            axes[0].plot([], [], "--", color=color, label=lab)
    axes[0].plot([], [], "--", color="0.4", label="Gaussian theory")
    for ax in axes:
        ax.set_ylim(-0.01, 0.52)
    finish(axes[0], xlabel="lam", ylabel="gen_error", logx=True, title="held-out rule images", legend=True)
    finish(axes[1], xlabel="lam", ylabel="mem_error", logx=True, title=f"facts (eps = {eps:g})", legend=False)
    finish(axes[2], xlabel="mem_error", ylabel="gen_error", title="trade-off (along lam)", legend=False)
    axes[2].set_xlim(-0.01, 0.52)
    th = [r for r in rows if r["source"] == "theory"]
    th_gen = np.nanmin([r["gen_error"] for r in th]) if th else math.nan
    n = int(round(alpha * source.d))
    caption = (f"Kernel ridge with an RBF kernel (no intercept) on scikit-learn's 8x8 digits: rule 3 vs 5, "
               f"images of 8 with random labels as facts, alpha = {alpha:g} (n = {n}, d = 64), eps = {eps:g}, "
               f"bandwidth relative to the median squared distance of the training inputs. Dashed: the "
               f"Gaussian theory of the same kernel on this data's scale (|x|^2/d = {scale:.2f}).")
    if summary:
        best = min((r for pts in summary.values() for r in pts), key=lambda r: r["gen_error"])
        free = [r for pts in summary.values() for r in pts if r["mem_error"] == 0]
        caption += (f" Measured gen_error is at best {best['gen_error']:.3f} (bandwidth = {best['bandwidth']:g}, lam = "
                    f"{best['lam']:.3g}) against the theory's best {th_gen:.3f}: two digit classes are far easier "
                    f"than a hyperplane through a Gaussian cloud, so the theory does not predict gen_error here. "
                    f"Every fact is memorized (mem_error = 0) at {len(free)} of {sum(map(len, summary.values()))} "
                    + (f"points, all at lam <= {max(r['lam'] for r in free):.3g}, " if free else "points, ")
                    + "and mem_error rises with lam as in the theory, which gets its shape but only roughly its "
                    "level (on images the memorizing part of the kernel acts on clustered, not isotropic, inputs).")
    return fig, frame(rows), caption
