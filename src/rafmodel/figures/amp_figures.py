"""Figures of AMP, the Bayes-optimal estimator on data: ``amp`` (its overlaps per iteration against
state evolution, its error against ``bayes_optimal``) and ``fact-detection`` (which examples are facts)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .._validation import POSITIVE, POSITIVE_INT, Integer, Real
from ._evidence import agreement, describe_sizes, z_score
from ._registry import Context, register_figure
from ._style import COLORS, FONT, PALETTE, finish, new_figure

__all__ = ["amp_overlaps", "fact_detection_figure"]


def _amp_runs(alpha, eps, d, seeds, bar=None):
    """AMP on the simulations' training sets (seed 0, repetitions 0..seeds-1): the converged results
    (``bar``: a progress bar advanced once per run)."""
    import rafmodel as rm
    from ..data import GaussianRAF
    from ..simulation import repetition_seed

    setting = rm.Setting(alpha=alpha, eps=eps, lam=0, learner="bayes")
    out, failed = [], 0
    for i in range(seeds):
        train, _ = GaussianRAF(d=d, n_test=1).sample(setting, repetition_seed(0, i))
        r = rm.amp(train.X, train.y, eps, w_star=train.w_star)
        if r.converged:
            out.append(r)
        else:
            failed += 1
        if bar is not None:
            bar.update()
    return out, failed


def _mean_se(values):
    v = np.asarray(values, dtype=float)
    return (float(v.mean()) if v.size else math.nan,
            float(v.std(ddof=1) / math.sqrt(v.size)) if v.size > 1 else math.nan)


@register_figure(
    "amp",
    "AMP on data: the overlap m_t per iteration against state evolution, and AMP's test error against the "
    "Bayes-optimal error along alpha",
    defaults=dict(eps=0.2, alpha=[1.0, 4.0], iterations=12, alpha_range=[0.5, 10.0], n_alpha=40,
                  sim_alpha=[0.5, 1.0, 2.0, 4.0, 8.0], d=2000, seeds=4),
    quick=dict(iterations=8, n_alpha=15, sim_alpha=[1.0, 4.0], d=300, seeds=2),
    constraints=dict(eps=Real(0, 1, hi_open=True), alpha=POSITIVE, iterations=POSITIVE_INT, alpha_range=POSITIVE,
                     n_alpha=Integer(2), sim_alpha=POSITIVE, d=POSITIVE_INT, seeds=Integer(2)),
    sim_params=("d", "seeds", "sim_alpha"),
)
def amp_overlaps(p: dict, ctx: Context) -> tuple[Any, Any, str]:
    """AMP's overlaps per iteration against state evolution; its test error against ``bayes_optimal``.

    Parameters
    ----------
    p : dict
        The resolved parameters (``eps, alpha, iterations, alpha_range, n_alpha, sim_alpha, d, seeds``).
    ctx : Context
        ``quick``, ``sim`` (AMP runs only with simulations), ``progress``.

    Returns
    -------
    tuple
        ``(Figure, DataFrame, caption)``.
    """
    import pandas as pd

    import rafmodel as rm
    from ..theory.amp_se import state_evolution

    eps, T = p["eps"], p["iterations"]
    lo, hi = p["alpha_range"][0], p["alpha_range"][-1]
    grid = np.exp(np.linspace(math.log(lo), math.log(hi), p["n_alpha"]))
    bayes = rm.bayes_optimal(grid, np.full_like(grid, eps), warn=False)
    rows = [{"source": "bayes", "alpha": float(a), "gen_error": float(g), "converged": bool(c)}
            for a, g, c in zip(grid, bayes.gen_error, bayes.converged)]
    ses = {a: state_evolution(a, eps, iterations=T) for a in p["alpha"]}
    for a, se in ses.items():
        rows += [{"source": "theory", "alpha": a, "t": t, "m": float(q), "q": float(q)} for t, q in enumerate(se.q)]
    it_rows, gen_rows, n_failed = [], [], 0
    if ctx.sim:
        runs, alphas, bar = {}, sorted(set(p["alpha"]) | set(p["sim_alpha"])), None
        if ctx.progress:
            from tqdm.auto import tqdm

            bar = tqdm(total=len(alphas) * p["seeds"], desc="amp", unit="run", leave=False)
        try:
            for a in alphas:
                runs[a], f = _amp_runs(a, eps, p["d"], p["seeds"], bar)
                n_failed += f
        finally:
            if bar is not None:
                bar.close()
        for a in p["alpha"]:
            for t in range(1, T + 1):
                # a run that converged before t stays at its fixed point (its change was below tol)
                ms = [r.m[min(t, len(r.m) - 1)] for r in runs[a]]
                qs = [r.q[min(t, len(r.q) - 1)] for r in runs[a]]
                (m, m_se), (q, q_se) = _mean_se(ms), _mean_se(qs)
                th = float(ses[a].q[t])
                it_rows.append({"source": "simulation", "alpha": a, "t": t, "m": m, "m_se": m_se, "q": q, "q_se": q_se,
                                "m_theory": th, "m_z": z_score(m, m_se, th), "q_theory": th,
                                "q_z": z_score(q, q_se, th), "d": p["d"], "seeds": len(runs[a])})
        for a in p["sim_alpha"]:
            g, g_se = _mean_se([math.acos(min(1.0, r.m[-1] / math.sqrt(r.q[-1]))) / math.pi for r in runs[a]])
            th = rm.bayes_optimal(a, eps).gen_error
            gen_rows.append({"source": "simulation", "alpha": a, "gen_error": g, "gen_error_se": g_se,
                             "gen_error_theory": th, "gen_error_z": z_score(g, g_se, th), "d": p["d"],
                             "seeds": len(runs[a])})
    table = pd.DataFrame(rows + it_rows + gen_rows)
    table.insert(1, "eps", eps)

    fig, axes = new_figure(2, width=3.6, height=3.0)
    ax = axes[0]
    for k, a in enumerate(p["alpha"]):
        col = PALETTE[k % len(PALETTE)]
        ax.plot(range(T + 1), ses[a].q, color=col, lw=1.3, label=f"state evolution, alpha={a:g}")
        sub = [r for r in it_rows if r["alpha"] == a]
        if sub:
            ax.errorbar([r["t"] for r in sub], [r["m"] for r in sub], yerr=[r["m_se"] for r in sub], fmt="o",
                        color=col, ms=3.5, capsize=2, lw=0.9, label=f"AMP m_t, alpha={a:g}")
    if it_rows:
        ax.plot([], [], ls="none", label=f"AMP: {describe_sizes(p['d'], p['seeds'])}")
    finish(ax, xlabel="iteration t", ylabel="overlap m_t = w_t.w*/d", title=f"AMP per iteration, eps={eps:g}")
    ax.legend(fontsize=FONT - 3, frameon=False)
    ax = axes[1]
    ax.plot(grid, np.where(bayes.converged, bayes.gen_error, np.nan), color=COLORS["bayes"], lw=1.3,
            label="Bayes-optimal (theory)")
    if gen_rows:
        ax.errorbar([r["alpha"] for r in gen_rows], [r["gen_error"] for r in gen_rows],
                    yerr=[r["gen_error_se"] for r in gen_rows], fmt="o", color=PALETTE[1], ms=4, capsize=2, lw=0.9,
                    label=f"AMP ({describe_sizes(p['d'], p['seeds'])})")
    elif not ctx.sim:
        ax.text(0.5, 0.9, ctx.no_sim or "no simulations", ha="center", va="top", fontsize=FONT - 2,
                transform=ax.transAxes)
    finish(ax, xlabel="alpha", ylabel="gen_error", logx=True, title=f"test error, eps={eps:g}")
    ax.set_ylim(bottom=0)
    first = {a: float(se.q[1]) for a, se in ses.items()}
    txt = (f"eps = {eps:g}. State evolution from q_0 = 0 toward the Bayes-optimal overlap q* (alpha = "
           + "; ".join(f"{a:g}: q_1 = {first[a]:.3f}, q_{T} = {float(se.q[-1]):.3f}, q* = "
                       f"{rm.bayes_optimal(a, eps).q:.3f}" for a, se in ses.items())
           + ").")
    if it_rows:
        sizes = describe_sizes(p["d"], p["seeds"])
        txt += " " + agreement(it_rows, subject=f"AMP's measured overlaps m_t and q_t ({sizes})", metrics=("m", "q"),
                               where=lambda r: f"alpha = {r['alpha']:g}, t = {r['t']}")
        txt += " " + agreement(gen_rows, subject=f"AMP's test errors ({sizes})", metrics=("gen_error",),
                               where=lambda r: f"alpha = {r['alpha']:g}")
        if n_failed:
            txt += f" {n_failed} AMP runs did not converge and are left out."
    return fig, table, txt


@register_figure(
    "fact-detection",
    "which training examples are facts: ROC curves of AMP's fact posterior (theory and data), the SVM margin and "
    "the ridge residual, and their AUC along alpha",
    defaults=dict(alpha=4.0, eps=0.2, lam=0.1, alpha_range=[0.5, 10.0], n_alpha=30, sim_alpha=[1.0, 2.0, 4.0],
                  d=2000, seeds=4),
    quick=dict(n_alpha=12, sim_alpha=[1.0, 4.0], d=200, seeds=2),
    constraints=dict(alpha=POSITIVE, eps=Real(0, 1, lo_open=True, hi_open=True), lam=Real(0, lo_open=True),
                     alpha_range=POSITIVE, n_alpha=Integer(2), sim_alpha=POSITIVE, d=POSITIVE_INT, seeds=Integer(2)),
    sim_params=("d", "seeds", "sim_alpha", "lam"),
)
def fact_detection_figure(p: dict, ctx: Context) -> tuple[Any, Any, str]:
    """ROC curves and AUC of the fact detectors, AMP's beside its state-evolution prediction.

    Parameters
    ----------
    p : dict
        The resolved parameters (``alpha, eps, lam, alpha_range, n_alpha, sim_alpha, d, seeds``).
    ctx : Context
        ``quick``, ``sim`` (the detectors run only with simulations), ``progress``.

    Returns
    -------
    tuple
        ``(Figure, DataFrame, caption)``.
    """
    import pandas as pd
    from sklearn.metrics import roc_curve

    import rafmodel as rm
    from ..data import GaussianRAF
    from ..facts import DETECTORS, _scores, fact_detection
    from ..simulation import repetition_seed
    from ..theory.amp_se import fact_auc, fact_roc

    alpha, eps, lam = p["alpha"], p["eps"], p["lam"]
    lo, hi = p["alpha_range"][0], p["alpha_range"][-1]
    grid = np.exp(np.linspace(math.log(lo), math.log(hi), p["n_alpha"]))
    bq = rm.bayes_optimal(grid, np.full_like(grid, eps), warn=False)
    rows = [{"source": "theory", "curve": "AUC", "detector": "amp", "alpha": float(a),
             "auc": fact_auc(float(q)) if c else math.nan} for a, q, c in zip(grid, bq.q, bq.converged)]
    q0 = rm.bayes_optimal(alpha, eps).q
    fpr_t, tpr_t = fact_roc(q0)
    rows += [{"source": "theory", "curve": "ROC", "detector": "amp", "alpha": alpha, "fpr": float(f), "tpr": float(t)}
             for f, t in zip(fpr_t, tpr_t)]
    sim_rows, roc_data = [], {}
    if ctx.sim:
        for a in p["sim_alpha"]:
            r = fact_detection(a, eps, d=p["d"], seeds=p["seeds"], lam=lam, progress=ctx.progress)
            for rec in r.to_records():
                sim_rows.append({"source": "simulation", "curve": "AUC", "detector": rec["detector"], "alpha": a,
                                 "auc": rec["auc"], "auc_se": rec["auc_se"], "auc_theory": rec["auc_theory"],
                                 "auc_z": rec["auc_z"], "failed": rec["failed"], "d": p["d"], "seeds": p["seeds"]})
        setting = rm.Setting(alpha=alpha, eps=eps, lam=0, learner="bayes")
        ss = repetition_seed(0, 0)
        train, _ = GaussianRAF(d=p["d"], n_test=1).sample(setting, ss)
        from ..data import child_seed

        for det, score in _scores(train, eps, lam, np.random.default_rng(child_seed(ss, 1))).items():
            if score is not None:
                f, t, _ = roc_curve(train.is_fact, score)
                roc_data[det] = (f, t)
                step = max(1, len(f) // 400)
                rows += [{"source": "simulation", "curve": "ROC", "detector": det, "alpha": alpha, "fpr": float(x),
                          "tpr": float(y), "d": p["d"], "seeds": 1} for x, y in zip(f[::step], t[::step])]
    table = pd.DataFrame(rows + sim_rows)
    table.insert(1, "eps", eps)
    table.insert(2, "lam", lam)

    styles = {"amp": (PALETTE[1], "o", "AMP posterior"), "svm-margin": (PALETTE[0], "s", f"SVM margin (lam={lam:g})"),
              "ridge-residual": (PALETTE[2], "^", f"ridge residual (lam={lam:g})")}
    fig, axes = new_figure(2, width=3.6, height=3.1)
    ax = axes[0]
    ax.plot(fpr_t, tpr_t, color="k", lw=1.4, label=f"AMP, theory (AUC {fact_auc(q0):.3f})")
    for det in DETECTORS:
        if det in roc_data:
            col, _, lab = styles[det]
            ax.plot(*roc_data[det], color=col, lw=0.9, label=f"{lab}, data")
    ax.plot([0, 1], [0, 1], color="0.7", lw=0.8, ls=":")
    if roc_data:
        ax.plot([], [], ls="none", label=f"data: d = {p['d']}, one training set")
    finish(ax, xlabel="false-positive rate (rules flagged)", ylabel="true-positive rate (facts found)",
           title=f"ROC at alpha={alpha:g}, eps={eps:g}")
    ax.legend(fontsize=FONT - 3, frameon=False, loc="lower right")
    ax = axes[1]
    ax.plot(grid, [r["auc"] for r in rows if r["curve"] == "AUC" and r["source"] == "theory"], color="k", lw=1.4,
            label="AMP, state evolution")
    for det in DETECTORS:
        sub = [r for r in sim_rows if r["detector"] == det]
        if sub:
            col, mk, lab = styles[det]
            ax.errorbar([r["alpha"] for r in sub], [r["auc"] for r in sub], yerr=[r["auc_se"] for r in sub], fmt=mk,
                        color=col, ms=4, capsize=2, lw=0.9, label=lab)
    if sim_rows:
        ax.plot([], [], ls="none", label=f"data: {describe_sizes(p['d'], p['seeds'])}")
    elif not ctx.sim:
        ax.text(0.5, 0.1, ctx.no_sim or "no simulations", ha="center", va="bottom", fontsize=FONT - 2,
                transform=ax.transAxes)
    ax.axhline(0.75, color="0.7", lw=0.8, ls="--")
    finish(ax, xlabel="alpha", ylabel="AUC of the fact detector", logx=True, title=f"AUC, eps={eps:g}")
    ax.legend(fontsize=FONT - 3, frameon=False, loc="lower right")
    txt = (f"eps = {eps:g}. AMP's fact posterior ranks the training examples by y omega; its predicted AUC rises "
           f"with alpha from {rows[0]['auc']:.3f} at alpha = {grid[0]:.2g} to {rows[len(grid) - 1]['auc']:.3f} at "
           f"alpha = {grid[-1]:.2g}, toward 3/4 (half of the facts carry the rule's label and look like rules); "
           f"at alpha = {alpha:g} it is {fact_auc(q0):.3f}.")
    amp_rows = [r for r in sim_rows if r["detector"] == "amp"]
    if amp_rows:
        txt += " " + agreement(amp_rows, subject=f"AMP's measured AUC ({describe_sizes(p['d'], p['seeds'])})",
                               metrics=("auc",), where=lambda r: f"alpha = {r['alpha']:g}")
        best = {det: max((r for r in sim_rows if r["detector"] == det), key=lambda r: r["alpha"]) for det in DETECTORS}
        top = max(r["alpha"] for r in sim_rows)
        txt += (f" At alpha = {top:g}: " + ", ".join(f"{styles[d][2]} {best[d]['auc']:.3f} +- {best[d]['auc_se']:.3f}"
                                                  for d in DETECTORS) + ".")
    return fig, table, txt
