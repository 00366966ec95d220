"""Figure of trained two-layer networks (network-kappa): needs the extra ``rafmodel[nn]``."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .._validation import POSITIVE, POSITIVE_INT, Integer, Real
from ._registry import Context, register_figure
from ._evidence import add_z, agreement, describe_sizes, theory_at
from ._style import FONT, PALETTE, finish, new_figure

__all__ = ["network_kappa"]

#: Colour and marker of each learner.
_STYLE = {"readout": (PALETTE[2], "s"), "lazy": (PALETTE[0], "o"), "mean-field": (PALETTE[1], "^")}


@register_figure(
    "network-kappa",
    "trained two-layer networks (relu, square loss): gen_error and mem_error vs kappa = p/d for the lazy and "
    "mean-field scalings, next to the random-features theory and the kernel limit, and training curves",
    defaults=dict(alpha=2.0, eps=0.2, lam=0.01, kappa=[0.1, 20.0], n_kappa=41, sim_kappa=[0.5, 1.0, 2.0, 4.0, 8.0],
                  curve_kappa=4.0, steps=1500, lr=1.0, d=100, seeds=4),
    quick=dict(n_kappa=13, sim_kappa=[1.0, 4.0], steps=300, d=30, seeds=2),
    constraints=dict(alpha=POSITIVE, eps=Real(0, 1, hi_open=True), lam=Real(0, lo_open=True), kappa=POSITIVE,
                     n_kappa=Integer(2), sim_kappa=POSITIVE, curve_kappa=POSITIVE, steps=POSITIVE_INT, lr=POSITIVE,
                     d=POSITIVE_INT, seeds=Integer(2)),
    sim_params=("d", "seeds", "sim_kappa", "curve_kappa", "steps", "lr"),
    requires=("jax", "optax"),
)
def network_kappa(p: dict, ctx: Context) -> tuple[Any, Any, str]:
    """Errors of trained networks along kappa against the random-features theory; training curves.

    Parameters
    ----------
    p : dict
        The figure's resolved parameters (``alpha, eps, lam, kappa, n_kappa, sim_kappa,
        curve_kappa, steps, lr, d, seeds``).
    ctx : Context
        ``quick``, ``sim`` (trained networks are drawn only with simulations), ``progress``.

    Returns
    -------
    tuple
        ``(Figure, DataFrame, caption)``.
    """
    import pandas as pd

    import rafmodel as rm

    alpha, eps, lam = p["alpha"], p["eps"], p["lam"]
    base = rm.Setting(alpha=alpha, eps=eps, lam=lam, loss="square")
    lo, hi = p["kappa"][0], p["kappa"][-1]
    grid = np.exp(np.linspace(math.log(lo), math.log(hi), p["n_kappa"]))
    theory = rm.solve_many([base.replace(learner=rm.RandomFeatures.from_activation("relu", kappa=float(k)))
                            for k in grid])
    rf = rm.RandomFeatures.from_activation("relu", kappa=1.0)
    kern = rm.solve(base.replace(learner=rm.Kernel(mu1=rf.mu1, mustar=rf.mustar)))
    rows = [{"source": "theory", "learner": "random features", "kappa": float(k), "gen_error": r.gen_error,
             "mem_error": r.mem_error} for k, r in zip(grid, theory)]
    rows.append({"source": "theory", "learner": "kernel limit", "kappa": math.inf, "gen_error": kern.gen_error,
                 "mem_error": kern.mem_error})
    curves = None
    if ctx.sim:
        sims = sorted(set(float(k) for k in p["sim_kappa"]) | {float(p["curve_kappa"])})
        settings = []
        for k in sims:
            settings.append(base.replace(learner=rm.Network(kappa=k, activation="relu")))
            for sc in ("lazy", "mean-field"):
                settings.append(base.replace(learner=rm.Network(kappa=k, activation="relu", train="all", scaling=sc,
                                                                steps=p["steps"], lr=p["lr"], device="cpu")))
        res = rm.train_network(settings, d=p["d"], seeds=p["seeds"], n_test=4000, seed=0,
                               record_every=max(1, p["steps"] // 30), theory=False, progress=ctx.progress)
        # the random-features theory at each simulated kappa (readout training is random features)
        th_sim = {float(k): t for k, t in zip(sims, theory_at(rm.solve_many(
            [base.replace(learner=rm.RandomFeatures.from_activation("relu", kappa=float(k))) for k in sims],
            warn=False)))}
        for s, r in zip(settings, res.to_records()):
            src = "readout" if s.learner.train == "readout" else s.learner.scaling
            row = {"source": "simulation", "learner": src, "kappa": s.learner.kappa,
                   **{m: r[m] for m in ("gen_error", "gen_error_se", "mem_error", "mem_error_se",
                                        "rule_error", "rule_error_se", "train_loss")},
                   "steps": r["steps"], "d": p["d"], "seeds": p["seeds"], "device": r["device"]}
            if src == "readout":  # alpha, eps: for the resolution of mem_error (one fact over all seeds)
                z = add_z({**row, "alpha": alpha, "eps": eps}, th_sim[float(s.learner.kappa)], n_test=4000)
                row.update({k: v for k, v in z.items() if k not in ("alpha", "eps")})
            rows.append(row)
        c = res.curves
        c = c[(c.kappa == float(p["curve_kappa"])) & (c.train == "all")]
        curves = c.groupby(["scaling", "step"], as_index=False)[["gen_error", "mem_error", "train_loss"]].mean()
        for _, r in curves.iterrows():
            rows.append({"source": "simulation", "learner": f"{r['scaling']} (training curve)",
                         "kappa": float(p["curve_kappa"]), "step": int(r["step"]),
                         "gen_error": r["gen_error"], "mem_error": r["mem_error"], "train_loss": r["train_loss"]})
    table = pd.DataFrame(rows)
    table.insert(1, "alpha", alpha)
    table.insert(2, "eps", eps)
    table.insert(3, "lam", lam)

    fig, axes = new_figure(3, width=3.3, height=3.3)
    for ax, m in zip(axes[:2], ("gen_error", "mem_error")):
        ax.plot(grid, [getattr(r, m) for r in theory], color="k", lw=1.3, label="random features (theory)")
        ax.axhline(getattr(kern, m), color="0.5", ls="--", lw=1.0, label="kernel limit")
        for src, label in (("readout", "readout (sim.)"), ("lazy", "all layers, lazy"),
                           ("mean-field", "all layers, mean-field")):
            sub = table[(table.source == "simulation") & (table.learner == src)]
            if len(sub):
                col, mk = _STYLE[src]
                ax.errorbar(sub.kappa, sub[m], yerr=sub[f"{m}_se"], fmt=mk, color=col, ms=4, capsize=2,
                            lw=0.9, label=label)
        if m == "mem_error" and ctx.sim:  # the size of every simulated network
            ax.plot([], [], ls="none", label=f"simulations: {describe_sizes(p['d'], p['seeds'], lam=lam)}")
        finish(ax, xlabel="kappa", ylabel=m, logx=True, legend=False,
               title=f"{m}: alpha={alpha:g}, eps={eps:g}, lam={lam:g}")
        ax.set_ylim(bottom=0)
    # one legend for the two kappa panels, below them: it hides no data
    fig.legend(*axes[1].get_legend_handles_labels(), loc="outside lower center", ncols=3, fontsize=FONT - 2,
               frameon=False)
    ax = axes[2]
    if curves is not None:
        for sc in ("lazy", "mean-field"):
            cc = curves[curves.scaling == sc]
            col = _STYLE[sc][0]
            ax.plot(cc.step, cc.gen_error, color=col, lw=1.3, label=f"{sc}: gen_error")
            ax.plot(cc.step, cc.mem_error, color=col, lw=1.3, ls="--", label=f"{sc}: mem_error")
        finish(ax, xlabel="training step", ylabel="error", title=f"training curves at kappa={p['curve_kappa']:g}")
        ax.set_ylim(bottom=0)
    else:
        ax.text(0.5, 0.5, ctx.no_sim or "no simulations", ha="center", va="center", fontsize=FONT,
                transform=ax.transAxes)
        ax.set_axis_off()
    return fig, table, _caption(p, table, theory, grid, kern, curves)


def _caption(p, table, theory, grid, kern, curves):
    k_end = grid[-1]
    txt = (f"Square loss, relu, alpha = {p['alpha']:g}, eps = {p['eps']:g}, lam = {p['lam']:g}. Random features "
           f"(theory): gen_error {theory[0].gen_error:.3f} at kappa = {grid[0]:.2g} and {theory[-1].gen_error:.3f} at "
           f"kappa = {k_end:.2g} (kernel limit {kern.gen_error:.3f}); mem_error {theory[0].mem_error:.3f} -> "
           f"{theory[-1].mem_error:.3f} (kernel {kern.mem_error:.3f}).")
    sim = table[table.learner.isin(["readout", "lazy", "mean-field"])] if "learner" in table else table[:0]
    if not len(sim):
        return txt
    kmax = sim.kappa.max()
    at = {r.learner: r for r in sim[sim.kappa == kmax].itertuples()}
    ro = sim[sim.learner == "readout"]
    sizes = describe_sizes(p["d"], p["seeds"], lam=p["lam"])
    txt += " " + agreement(ro.to_dict("records"), subject=f"Readout-trained networks (random features, {sizes})",
                           where=lambda r: f"kappa = {r['kappa']:g}")
    txt += (f" At kappa = {kmax:g}, training both layers for {p['steps']} steps gives "
            f"gen_error {at['lazy'].gen_error:.3f} +- {at['lazy'].gen_error_se:.3f} (lazy) and "
            f"{at['mean-field'].gen_error:.3f} +- {at['mean-field'].gen_error_se:.3f} (mean-field) against "
            f"{at['readout'].gen_error:.3f} for the frozen first layer, and mem_error {at['lazy'].mem_error:.3f} "
            f"(lazy), {at['mean-field'].mem_error:.3f} (mean-field), {at['readout'].mem_error:.3f} (readout).")
    if curves is not None and len(curves):
        parts = []
        for sc in ("lazy", "mean-field"):
            cc = curves[curves.scaling == sc]
            done = cc[cc.mem_error == 0]
            first = int(done.step.iloc[0]) if len(done) else None
            parts.append(f"{sc}: facts all stored from step {first}" if first is not None
                         else f"{sc}: mem_error {cc.mem_error.iloc[-1]:.3f} at the end")
            parts[-1] += f", gen_error {cc.gen_error.iloc[-1]:.3f} at the end"
        txt += f" Training curves at kappa = {p['curve_kappa']:g}: " + "; ".join(parts) + "."
    return txt
