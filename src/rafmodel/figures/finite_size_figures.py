"""The finite-size check (finite-size): simulations at growing d, extrapolated to d -> inf."""

from __future__ import annotations

import math

import numpy as np

from .._validation import NONNEGATIVE, POSITIVE, Integer, Real
from ._evidence import AGREE_Z, z_score
from ._registry import register_figure
from ._style import FONT, PALETTE, finish, new_figure
from ._tables import frame, simulation_rows

__all__ = ["extrapolate", "finite_size", "SERIES"]

#: The representative settings: one per learner x loss family, ``(label, learner kind, loss)``.
SERIES = (("linear, square", "linear", "square"), ("linear, hinge", "linear", "hinge"),
          ("kernel, square", "kernel", "square"), ("kernel, hinge", "kernel", "hinge"),
          ("relu random features, square", "rf", "square"), ("relu random features, hinge", "rf", "hinge"))

#: Two-sided 95 % normal quantile: the confidence interval drawn and reported.
_Q95 = 1.959963984540054


def extrapolate(inv_d, values, se) -> dict:
    """Weighted least squares of ``values`` linear in ``1/d``, extrapolated to ``1/d = 0``.

    The model is ``value = a + b / d`` with weights ``1 / se^2`` (the measured standard errors,
    taken as known: the covariance of ``(a, b)`` is ``(X' W X)^{-1}``).  Points with ``se <= 0``
    or not finite cannot be weighted and are left out; where every point has ``se = 0`` and the
    same value (e.g. ``mem_error = 0`` at every ``d``), that value is the extrapolation, with
    ``a_se = 0``.

    Parameters
    ----------
    inv_d : array_like
        ``1/d`` of each point.
    values, se : array_like
        The simulated means and their standard errors.

    Returns
    -------
    dict
        ``a`` (the value at ``1/d = 0``), ``a_se``, ``b`` (the slope in ``1/d``), ``b_se``,
        ``chi2`` (weighted residual sum of squares), ``dof`` (points used minus 2) and
        ``n_points``; ``nan`` where fewer than two points can be used.
    """
    x, y, s = (np.asarray(v, dtype=float) for v in (inv_d, values, se))
    ok = np.isfinite(x) & np.isfinite(y) & np.isfinite(s) & (s > 0)
    out = {"a": math.nan, "a_se": math.nan, "b": math.nan, "b_se": math.nan, "chi2": math.nan,
           "dof": int(max(ok.sum() - 2, 0)), "n_points": int(ok.sum())}
    if ok.sum() < 2:
        fin = np.isfinite(y) & np.isfinite(s)
        if fin.any() and not ok.any() and np.all(s[fin] == 0) and np.all(y[fin] == y[fin][0]):
            out.update(a=float(y[fin][0]), a_se=0.0, b=0.0, b_se=0.0, chi2=0.0, n_points=int(fin.sum()))
        return out
    x, y, w = x[ok], y[ok], 1.0 / s[ok] ** 2
    X = np.column_stack([np.ones_like(x), x])
    cov = np.linalg.inv(X.T @ (w[:, None] * X))
    beta = cov @ (X.T @ (w * y))
    resid = y - X @ beta
    out.update(a=float(beta[0]), a_se=float(math.sqrt(cov[0, 0])), b=float(beta[1]),
               b_se=float(math.sqrt(cov[1, 1])), chi2=float(np.sum(w * resid**2)))
    return out


def _learner(kind, p):
    import rafmodel as rm

    if kind == "linear":
        return rm.Linear()
    if kind == "kernel":
        mu1 = float(p["mu1"])
        return rm.Kernel(mu1=mu1, mustar=mu1 * math.sqrt(float(p["ratio"])))
    return rm.RandomFeatures.from_activation("relu", kappa=float(p["kappa"]))


@register_figure(
    "finite-size",
    "finite-size check: gen_error and mem_error of simulations at d = 100 ... 1600 against 1/d, for one "
    "setting per learner (linear, kernel, random features) and loss (square, hinge), with the weighted "
    "least-squares extrapolation to d -> inf and its 95 % interval beside the theory",
    defaults=dict(alpha=2.0, eps=0.2, lam=0.1, ratio=0.1, mu1=0.5, kappa=0.5, d=[100, 200, 400, 800, 1600],
                  seeds=8),
    quick=dict(d=[20, 40, 80], seeds=3),
    constraints=dict(alpha=POSITIVE, eps=Real(0, 1, hi_open=True), lam=NONNEGATIVE, ratio=NONNEGATIVE,
                     mu1=POSITIVE, kappa=POSITIVE, d=Integer(2), seeds=Integer(2)),
    sim_params=("d", "seeds"))
def finite_size(p, ctx):
    """Simulations against 1/d and their extrapolation to d -> inf, next to the theory."""
    from matplotlib.lines import Line2D

    import rafmodel as rm

    alpha, eps, lam = float(p["alpha"]), float(p["eps"]), float(p["lam"])
    ds = sorted({int(d) for d in p["d"]})
    seeds = int(p["seeds"])
    settings = [rm.Setting(alpha=alpha, eps=eps, lam=lam, learner=_learner(kind, p), loss=loss)
                for _, kind, loss in SERIES]
    theory = rm.solve_many(settings, warn=False)
    fig, axes = new_figure(2, width=3.5, height=3.3)
    rows, fits = [], []
    dodge = 0.035 / min(ds)
    by_d = [rm.simulate_many(settings, d=d, seeds=seeds, n_test=4000, seed=0, n_jobs=ctx.n_jobs,
                             progress=ctx.progress) for d in ds] if ctx.sim else []
    for j, ((label, kind, loss), s, th) in enumerate(zip(SERIES, settings, theory)):
        color = PALETTE[j]
        th_vals = {k: float(getattr(th, k)) if th.converged else math.nan for k in ("gen_error", "mem_error")}
        rows.append({"series": label, "model": s.learner.name, "loss": loss, **s.labels(), **s.params(),
                     **th_vals, "converged": bool(th.converged), "source": "theory"})
        sims = [res[j] for res in by_d]
        rows += simulation_rows(sims, series=label)
        x0 = -dodge * (j + 0.8)  # d -> inf: the series side by side left of 1/d = 0
        for ax, k in zip(axes, ("gen_error", "mem_error")):
            t = th_vals[k]
            if math.isfinite(t):
                ax.plot([x0], [t], "*", ms=9, color=color, mec="white", mew=0.5, zorder=5)
            if not sims:
                continue
            x = np.array([1.0 / r.d for r in sims])
            y = np.array([r.mean(k) for r in sims])
            e = np.array([r.se(k) for r in sims])
            ax.errorbar(x, y, yerr=e, fmt="o", ms=3, capsize=2, color=color, lw=0.9, zorder=3)
            fit = extrapolate(x, y, e)
            z = z_score(fit["a"], fit["a_se"], t)
            fits.append({"series": label, "metric": k, "theory": t, "z": z, **fit})
            rows.append({"series": label, "model": s.learner.name, "loss": loss, **s.labels(), **s.params(),
                         "curve": f"extrapolation of {k}", k: fit["a"], f"{k}_se": fit["a_se"],
                         f"{k}_slope": fit["b"], f"{k}_slope_se": fit["b_se"], f"{k}_theory": t, f"{k}_z": z,
                         "chi2": fit["chi2"], "dof": fit["dof"], "d": math.inf, "seeds": seeds,
                         "source": "extrapolation"})
            if math.isfinite(fit["a"]):
                xx = np.linspace(0.0, x.max(), 20)
                ax.plot(xx, fit["a"] + fit["b"] * xx, "-", color=color, lw=0.9, alpha=0.8)
                ax.plot([x0, 0.0], [fit["a"]] * 2, ":", color=color, lw=0.8)
                ax.errorbar([x0], [fit["a"]], yerr=[_Q95 * fit["a_se"]], fmt="D", ms=3.5, mfc="white", mec=color,
                            color=color, capsize=3, lw=1.2, zorder=4)
    for ax, k in zip(axes, ("gen_error", "mem_error")):
        ax.axvline(0.0, color="0.7", lw=0.6)
        finish(ax, xlabel="1/d", ylabel=k, legend=False,
               title=f"{k}: alpha = {alpha:g}, eps = {eps:g}, lam = {lam:g}")
        ax.set_xlim(-dodge * (len(SERIES) + 0.6), 1.05 / min(ds))
        ticks = [v for v in ax.get_xticks() if 0 <= v <= 1.05 / min(ds)]  # no negative 1/d
        ax.set_xticks([-dodge * (len(SERIES) + 1) / 2] + ticks,
                      labels=[r"$d\to\infty$"] + [f"{v:g}" for v in ticks])
    handles = [Line2D([], [], color=PALETTE[j], lw=1.5, label=label) for j, (label, _, _) in enumerate(SERIES)]
    handles += [Line2D([], [], color="0.3", marker="*", ls="none", ms=8, label="theory (d -> inf)")]
    if ctx.sim:
        handles += [Line2D([], [], color="0.3", marker="o", ls="none", ms=3,
                           label=f"simulation, lam = {lam:g}, {seeds} seeds at each d = {', '.join(map(str, ds))}"),
                    Line2D([], [], color="0.3", marker="D", mfc="white", ls="-", lw=0.9, ms=3.5,
                           label="weighted fit linear in 1/d; its value at 1/d = 0 (95 % interval),\n"
                                 "drawn side by side with the theory left of 1/d = 0")]
    fig.legend(handles=handles, loc="outside lower center", ncols=2, fontsize=FONT - 2, frameon=False)
    caption = (f"Finite-size check at alpha = {alpha:g}, eps = {eps:g}, lam = {lam:g} (kernel: mu1 = {float(p['mu1']):g}, "
               f"mustar^2/mu1^2 = {float(p['ratio']):g}; relu random features: kappa = {float(p['kappa']):g}, "
               "p = kappa d).")
    if fits:
        caption += " " + _fit_sentence(fits, ds, seeds)
    return fig, frame(rows), caption


def _fit_sentence(fits, ds, seeds):
    """The caption's verdict on the extrapolations (agreement only where every |z| <= 3)."""
    comp = [f for f in fits if not math.isnan(f["z"])]
    head = (f"Simulations at d = {', '.join(map(str, ds))} ({seeds} seeds each), fitted linear in 1/d by weighted "
            "least squares and extrapolated to 1/d = 0")
    if not comp:
        return head + ": no extrapolation could be compared with the theory."
    bad = sorted((f for f in comp if abs(f["z"]) > AGREE_Z), key=lambda f: -abs(f["z"]))
    if not bad:
        worst = max(comp, key=lambda f: abs(f["z"]))
        return (f"{head}, agree with the theory: all {len(comp)} extrapolations within |z| <= {AGREE_Z:g} (largest "
                f"|z| = {abs(worst['z']):.2f}: {worst['metric']} of {worst['series']}, {worst['a']:.4f} +- "
                f"{_Q95 * worst['a_se']:.4f} against {worst['theory']:.4f}).")
    parts = [f"{f['metric']} of {f['series']}: {f['a']:.4f} +- {_Q95 * f['a_se']:.4f} against the theory's "
             f"{f['theory']:.4f} (z = {f['z']:+.2f})" for f in bad]
    return (f"{head}, deviate from the theory at {len(bad)} of {len(comp)} extrapolations (|z| > {AGREE_Z:g}): "
            + "; ".join(parts) + f". The other {len(comp) - len(bad)} agree (|z| <= {AGREE_Z:g}).")
