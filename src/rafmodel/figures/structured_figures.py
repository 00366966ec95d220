"""Figures of the theory on structured inputs (scaling: learning curves on a power-law spectrum)."""

from __future__ import annotations

import math
import warnings

import numpy as np

from .._validation import POSITIVE, Integer, Real
from ..exceptions import ConvergenceError, ConvergenceWarning, ParameterError
from ._registry import register_figure
from ._style import PALETTE, finish, new_figure
from ._tables import frame
from .rate_figures import _bar, _fmt_ex, _tick, fitted_exponent

__all__ = ["scaling"]


def _optimal_curve(inputs, loss, eps, alphas, bar):
    """gen_error, mem_error and lam at the optimal lam along ``alphas`` (``nan`` where not determined)."""
    import rafmodel as rm

    out = {"gen_error": [], "mem_error": [], "lam": [], "converged": []}
    for a in alphas:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ConvergenceWarning)
                o = rm.optimal_lambda(learner="linear", loss=loss, alpha=float(a), eps=eps, inputs=inputs,
                                      lam_min=1e-6, lam_max=1e3)
            ok = not o.at_boundary or o.lam_opt == 0.0
        except ConvergenceError:
            o, ok = None, False
        out["gen_error"].append(o.gen_error if ok else math.nan)
        out["mem_error"].append(o.mem_error if ok else math.nan)
        out["lam"].append(o.lam_opt if ok else math.nan)
        out["converged"].append(ok)
        _tick(bar)
    return {k: np.asarray(v) for k, v in out.items()}


@register_figure(
    "scaling",
    "structured inputs: gen_error and mem_error vs alpha (log-log) on a power-law spectrum, ridge and the SVM at "
    "their optimal lam, with and without facts, with fitted exponents and the isotropic curve for comparison",
    defaults=dict(decay=1.5, source=0.5, size=10_000, eps=[0.0, 0.2], alpha=[1e-3, 0.5], n_alpha=12),
    quick=dict(size=2_000, n_alpha=5),
    constraints=dict(decay=POSITIVE, source=Real(0), size=Integer(2, 1_000_000), eps=Real(0, 1, hi_open=True),
                     alpha=Real(0, lo_open=True), n_alpha=Integer(3)),
    sim_params=())
def scaling(p, ctx):
    """Learning curves on a power-law spectrum at the optimal lam (see the registry description)."""
    import rafmodel as rm

    lo, hi = float(min(p["alpha"])), float(max(p["alpha"]))
    if not hi > lo:
        raise ParameterError("alpha", f"needs a range lo < hi, got {p['alpha']!r}")
    eps_list = [float(e) for e in np.atleast_1d(p["eps"])]
    inputs = rm.PowerLaw(decay=float(p["decay"]), source=float(p["source"]), size=int(p["size"]))
    alphas = np.geomspace(lo, hi, int(p["n_alpha"]))
    decades = math.log10(hi / lo)
    losses = (("ridge", "square", "-"), ("SVM", "hinge", "--"))
    iso_eps = max(eps_list)
    bar = _bar(ctx, len(alphas) * (len(losses) * len(eps_list) + 1), "scaling")
    fig, (ax, ax2) = new_figure(2, width=3.6, height=3.0)
    rows, exps = [], {}
    for li, (lname, loss, style) in enumerate(losses):
        for ei, eps in enumerate(eps_list):
            c = _optimal_curve(inputs, loss, eps, alphas, bar)
            label = f"{lname}, eps = {eps:g}"
            ex = exps[label] = fitted_exponent(alphas, c["gen_error"], decades=decades)
            color = PALETTE[ei % len(PALETTE)]
            ax.plot(alphas, c["gen_error"], style, color=color, lw=1.4, label=f"{label} ({_fmt_ex(ex, True)})")
            if eps > 0:  # without facts there is nothing to store
                ax2.plot(alphas, c["mem_error"], style, color=color, lw=1.4, label=label)
            rows += [{"curve": label, "model": "linear", "loss": loss, "inputs": repr(inputs), "alpha": a,
                      "eps": eps, "lam": l, "gen_error": g, "mem_error": m, "converged": bool(ok),
                      "source": "theory"}
                     for a, l, g, m, ok in zip(alphas, c["lam"], c["gen_error"], c["mem_error"], c["converged"])]
    iso = _optimal_curve(rm.Isotropic(), "square", iso_eps, alphas, bar)
    iso_label = f"ridge, eps = {iso_eps:g}, isotropic inputs"
    exps[iso_label] = fitted_exponent(alphas, iso["gen_error"], decades=decades)
    ax.plot(alphas, iso["gen_error"], ":", color="0.45", lw=1.2, label=f"{iso_label}")
    rows += [{"curve": iso_label, "model": "linear", "loss": "square", "inputs": "Isotropic()", "alpha": a,
              "eps": iso_eps, "lam": l, "gen_error": g, "mem_error": m, "converged": bool(ok), "source": "theory"}
             for a, l, g, m, ok in zip(alphas, iso["lam"], iso["gen_error"], iso["mem_error"], iso["converged"])]
    if bar is not None:
        bar.close()
    finish(ax, xlabel="alpha", ylabel="gen_error", logx=True, logy=True,
           title=f"{inputs!r}\n(fitted exponent of gen_error, optimal lam)")
    ax.legend(fontsize=6.0, frameon=False, loc="lower left")
    finish(ax2, xlabel="alpha", ylabel="mem_error at the optimal lam", logx=True, title="facts stored", legend=False)
    ax2.legend(fontsize=6.0, frameon=False, loc="upper left")
    for a in (ax, ax2):  # one tick per decade (1-2-5 labels collide on a few decades)
        a.set_xticks([10.0 ** k for k in range(math.floor(math.log10(lo)), math.ceil(math.log10(hi)) + 1)
                      if lo <= 10.0 ** k <= hi])
    n_bad = sum(1 for r in rows if not r["converged"])
    gaps = f" {n_bad} points whose optimal lam the range did not determine are gaps." if n_bad else ""
    structured = {k: v for k, v in exps.items() if "isotropic" not in k}
    mem = [(r["alpha"], r["mem_error"]) for r in rows
           if r["eps"] > 0 and r["converged"] and r["inputs"] != "Isotropic()" and r["loss"] == "square"]
    stored = ""
    if mem:
        (a0, m0), (a1, m1) = min(mem), max(mem)
        stored = (f" At the optimal lam ridge gives the facts up as alpha grows: mem_error {m0:.3g} at alpha = "
                  f"{a0:.3g}, {m1:.3g} at alpha = {a1:.3g}.")
    caption = (f"On a power-law spectrum (eigenvalues k^-{float(p['decay']):g}, source exponent {float(p['source']):g}, "
               f"{int(p['size'])} directions), at the optimal lam, gen_error decays over alpha in [{lo:.3g}, {hi:.3g}] "
               "with fitted exponents " + ", ".join(f"{_fmt_ex(v)} ({k})" for k, v in structured.items())
               + f"; on isotropic inputs ridge's error barely moves in this range (exponent "
               f"{_fmt_ex(exps[iso_label])} at eps = {iso_eps:g}): below alpha = 1 isotropic inputs have no "
               "directions to learn first." + stored + gaps)
    return fig, frame(rows), caption
