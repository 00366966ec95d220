"""Figures of large-alpha rates and the kernel phase diagram (large-alpha, phase-kernel)."""

from __future__ import annotations

import math

import numpy as np

from .._validation import POSITIVE, Integer, Real
from ..exceptions import ParameterError
from ._registry import register_figure
from ._style import COLORS, PALETTE, finish, new_figure
from ._tables import curve, frame, theory_rows

__all__ = ["large_alpha", "phase_kernel"]

_ALPHA_RANGE = Real(0, lo_open=True)


def _bar(ctx, total, desc):
    if not ctx.progress:
        return None
    from tqdm.auto import tqdm

    return tqdm(total=total, desc=desc, leave=False)


def _sci(x):
    """``1e-4`` rather than ``0.0001`` or ``1e-04``; ``0`` for zero."""
    if x == 0:
        return "0"
    mant, exp = f"{x:.1e}".split("e")
    mant = mant.rstrip("0").rstrip(".")
    return f"{mant}e{int(exp)}"


def _tick(bar, n=1):
    if bar is not None:
        bar.update(n)


# --------------------------------------------------------------------------------------------------------------
# large-alpha
# --------------------------------------------------------------------------------------------------------------

def fitted_exponent(alphas, gen_error, decades=1.0):
    """``-`` the least-squares log-log slope of ``gen_error`` over the last ``decades`` of ``alphas``.

    Only finite, positive values count (non-converged points are ``nan``); ``nan`` if fewer
    than two are left.
    """
    a, g = np.asarray(alphas, dtype=float), np.asarray(gen_error, dtype=float)
    keep = (a >= a.max() / 10.0**decades) & np.isfinite(g) & (g > 0)
    if np.count_nonzero(keep) < 2:
        return math.nan
    return -float(np.polyfit(np.log(a[keep]), np.log(g[keep]), 1)[0])


def _fmt_ex(x, short=False):
    return f"{x:.3f}" if math.isfinite(x) else ("n/a" if short else "n/a (not converged)")


def _local_exponent(alphas, g):
    """``-d log gen_error / d log alpha`` along the curve (``nan`` next to gaps)."""
    with np.errstate(invalid="ignore", divide="ignore"):
        return -np.gradient(np.log(np.asarray(g, dtype=float)), np.log(np.asarray(alphas, dtype=float)))


@register_figure(
    "large-alpha",
    "large alpha: gen_error vs alpha (log-log) for ridge at its optimal lam, the SVM, logistic regression and "
    "the Bayes-optimal, with fitted exponents and alpha^-1/2, alpha^-1 guides",
    defaults=dict(eps=0.2, lam=0.1, alpha=[1.0, 1e4], n_alpha=40),
    quick=dict(n_alpha=8),
    constraints=dict(eps=Real(0, 1, hi_open=True), lam=POSITIVE, alpha=_ALPHA_RANGE, n_alpha=Integer(4)),
    sim_params=())
def large_alpha(p, ctx):
    """gen_error along alpha up to large alpha, and its local decay exponent (see the registry description)."""
    import rafmodel as rm
    from rafmodel.theory.bayes import bayes_rate
    from rafmodel.theory.optimal import ridge_lam_opt, square_rate_constant

    eps, lam = float(p["eps"]), float(p["lam"])
    lo, hi = float(min(p["alpha"])), float(max(p["alpha"]))
    if not hi > lo:
        raise ParameterError("alpha", f"needs a range lo < hi, got {p['alpha']!r}")
    alphas = np.geomspace(lo, hi, int(p["n_alpha"]))
    lam_ridge = ridge_lam_opt(eps)
    ac = float(rm.alpha_c(eps)) if eps > 0 else math.inf
    # (label, loss, lam, colour, style)
    erm = (("ridge, optimal lam", "square", lam_ridge, PALETTE[0], "-"),
           (f"SVM, lam = {lam:g}", "hinge", lam, PALETTE[1], "-"),
           ("SVM, lam -> 0", "hinge", 0.0, PALETTE[1], "--"),
           (f"logistic, lam = {lam:g}", "logistic", lam, PALETTE[2], "-."))
    fig, (ax, ax2) = new_figure(2, width=3.6, height=3.0)
    rows, curves = [], {}
    bar = _bar(ctx, len(erm) + 1, "large-alpha")
    for label, loss, lam_c, color, style in erm:
        res = rm.solve_many(rm.grid(learner="linear", loss=loss, alpha=alphas, eps=eps, lam=lam_c), warn=False)
        g = curve(res, "gen_error")
        loc = _local_exponent(alphas, g)
        curves[label] = g
        for row, x in zip(theory_rows(res, curve=label), loc):
            rows.append({**row, "local_exponent": x})
        ex = fitted_exponent(alphas, g)
        ax.plot(alphas, g, style, color=color, lw=1.4, label=f"{label} ({_fmt_ex(ex, True)})")
        ax2.plot(alphas, loc, style, color=color, lw=1.4, label=label)
        _tick(bar)
    bayes = rm.bayes_optimal(alphas, np.full_like(alphas, eps), warn=False)
    gb = np.where(np.asarray(bayes.converged), np.asarray(bayes.gen_error, dtype=float), np.nan)
    curves["Bayes-optimal"] = gb
    loc = _local_exponent(alphas, gb)
    rows += [{"curve": "Bayes-optimal", "model": "bayes", "alpha": a, "eps": eps, "gen_error": g,
              "converged": bool(c), "source": "bayes", "local_exponent": x}
             for a, g, c, x in zip(alphas, bayes.gen_error, bayes.converged, loc)]
    ex_b = fitted_exponent(alphas, gb)
    ax.plot(alphas, gb, color=COLORS["bayes"], lw=1.4, label=f"Bayes-optimal ({_fmt_ex(ex_b, True)})")
    ax2.plot(alphas, loc, color=COLORS["bayes"], lw=1.4, label="Bayes-optimal")
    _tick(bar)
    if bar is not None:
        bar.close()
    # guides through (alpha_max, 2 x ridge) and (alpha_max, Bayes / 2), clear of the curves, labelled mid-range
    ridge = curves["ridge, optimal lam"]
    for slope, anchor, text, va in ((0.5, 2.0 * ridge[-1], r"$\propto\alpha^{-1/2}$", "bottom"),
                                    (1.0, 0.5 * gb[-1], r"$\propto\alpha^{-1}$", "top")):
        if math.isfinite(anchor):
            ax.plot(alphas, anchor * (alphas / hi) ** -slope, color="0.55", lw=0.9, ls=":")
            mid = lo ** 0.5 * hi ** 0.5 if slope == 0.5 else lo ** 0.3 * hi ** 0.7  # the legend is lower left
            ax.text(mid, anchor * (mid / hi) ** -slope * (1.3 if va == "bottom" else 0.45), text, fontsize=7,
                    color="0.4", ha="center", va=va)
    for level in (0.5, 1.0):
        ax2.axhline(level, color="0.55", lw=0.9, ls=":")
    if lo < ac < hi:
        ax2.axvline(ac, color="0.55", lw=0.8, ls="-.")
        ax2.text(ac, 0.05, r" $\alpha_c$", fontsize=7, color="0.4")
    finish(ax, xlabel="alpha", ylabel="gen_error", logx=True, logy=True,
           title=f"eps = {eps:g}  (fitted exponent over the last decade)")
    ax.legend(fontsize=6.5, frameon=False, loc="lower left")
    finish(ax2, xlabel="alpha", ylabel=r"$-d\log(\mathrm{gen\_error})/d\log\alpha$", logx=True,
           title="local decay exponent", legend=False)
    ax2.set_ylim(0, 1.3)
    ex = {k: fitted_exponent(alphas, v) for k, v in curves.items()}
    erm_ex = np.array([ex[k] for k in curves if k != "Bayes-optimal"])
    if np.all(np.abs(erm_ex - 0.5) < 0.02) and abs(ex["Bayes-optimal"] - 1.0) < 0.02:
        finding = "every ERM learner decays like alpha^-1/2 while the Bayes-optimal error decays like alpha^-1"
    else:
        finding = (f"the ERM exponents lie between {np.nanmin(erm_ex):.3f} and {np.nanmax(erm_ex):.3f}, the "
                   f"Bayes-optimal one is {ex['Bayes-optimal']:.3f}")
    best_erm = min((k for k in curves if k != "Bayes-optimal"), key=lambda k: np.nan_to_num(curves[k][-1], nan=1.0))
    lam0 = (f" SVM, lam -> 0 is the max-margin classifier up to alpha_c = {ac:.3g} and the unregularized hinge "
            "minimizer beyond.") if lo < ac < hi else ""
    caption = (f"At eps = {eps:g}, {finding}: fitted over alpha in [{hi / 10:.3g}, {hi:.3g}], the exponents are "
               + ", ".join(f"{_fmt_ex(ex[k])} ({k})" for k in curves if k != "Bayes-optimal")
               + f" and {_fmt_ex(ex['Bayes-optimal'])} (Bayes-optimal).{lam0} Ridge at its optimal lam = "
               f"{lam_ridge:.4g} has gen_error x alpha^1/2 = {ridge[-1] * hi ** 0.5:.4f} at alpha = {hi:.3g} (closed-form constant "
               f"{square_rate_constant(eps):.4f}); the Bayes-optimal gen_error x alpha = {gb[-1] * hi:.4f} "
               f"(C(eps) = {bayes_rate(eps):.4f}). At alpha = {hi:.3g} the best ERM curve ({best_erm}, "
               f"{curves[best_erm][-1]:.3g}) is {curves[best_erm][-1] / gb[-1]:.3g} times the Bayes-optimal "
               f"{gb[-1]:.3g}.")
    return fig, frame(rows), caption


# --------------------------------------------------------------------------------------------------------------
# phase-kernel
# --------------------------------------------------------------------------------------------------------------

#: The lam scan of the kernel SVM: lam = 0 and mu1^2 x 16 points per decade over [1e-4, 1e4].
_LAM_DECADES, _LAM_PER_DECADE = (-4.0, 4.0), 16
#: Golden-section steps refining the best lam of the scan (bracket of 2/16 decade -> ~1e-6 in log lam).
_GOLDEN_STEPS = 30
#: A memorization cost below this counts as zero (the fixed point resolves gen_error to ~1e-11).
_ZERO_COST = 1e-9


def ridge_ratio_c(eps):
    """Closed-form boundary of kernel ridge: ``lam_opt = 0`` iff ``mustar^2/mu1^2 >= pi/(2(1-eps)^2) - 1``."""
    eps = np.asarray(eps, dtype=float)
    return np.pi / (2.0 * (1.0 - eps) ** 2) - 1.0


def _golden(settings, a, b, steps, bar=None):
    """Batched golden-section search of ``gen_error`` over ``log lam`` in ``[a, b]``, one bracket per setting.

    Ties (within 1e-14) move the bracket to the right, so that a flat stretch followed by a dip
    is searched on its dip side.  Returns the best ``gen_error`` (``inf`` where nothing
    converged), the ``mem_error`` and the ``lam`` there, over every evaluated point.
    """
    import rafmodel as rm

    invphi = (math.sqrt(5.0) - 1.0) / 2.0
    best_g, best_m, best_l = np.full(a.shape, np.inf), np.full(a.shape, np.nan), np.full(a.shape, np.nan)

    def evaluate(x):
        res = rm.solve_many([s.replace(lam=float(np.exp(v))) for s, v in zip(settings, x)], warn=False)
        g = np.where(np.asarray(res.converged, dtype=bool), np.asarray(res.gen_error, dtype=float), np.inf)
        m = np.asarray(res.mem_error, dtype=float)
        nonlocal best_g, best_m, best_l
        better = g < best_g
        best_g, best_m, best_l = (np.where(better, g, best_g), np.where(better, m, best_m),
                                  np.where(better, np.exp(x), best_l))
        return g

    c, d = b - invphi * (b - a), a + invphi * (b - a)
    fc, fd = evaluate(c), evaluate(d)
    for _ in range(steps):
        left = fc < fd - 1e-14  # the minimum is in [a, d]: d becomes b, c becomes d
        a, b = np.where(left, a, c), np.where(left, d, b)
        new_c = np.where(left, b - invphi * (b - a), d)
        new_d = np.where(left, c, a + invphi * (b - a))
        f_new = evaluate(np.where(left, new_c, new_d))
        fc, fd = np.where(left, f_new, fd), np.where(left, fc, f_new)
        c, d = new_c, new_d
        _tick(bar)
    return best_g, best_m, best_l


def svm_memorization_cost(eps_grid, ratio_grid, *, alpha, mu1, bar=None):
    """The kernel SVM's optimal lam on an (eps, ratio) grid, by one batched search.

    For every point, ``gen_error`` is solved (one :func:`rafmodel.solve_many` call for all
    points) at ``lam = 0`` and at ``mu1^2 x`` 16 log-spaced values per decade in
    ``[1e-4, 1e4]``.  Along ``lam`` the hinge's ``gen_error`` is flat (the max-margin
    solution) up to some ``lam``, may dip in a narrow window, and rises to its large-``lam``
    value; two brackets are refined by golden section in ``log lam`` (all points at once):
    around the best grid ``lam``, and between the last ``lam`` of the flat stretch and the
    next one (where a dip narrower than the grid hides).

    Returns
    -------
    dict of arrays of shape ``(len(eps_grid), len(ratio_grid))``
        ``lam_opt`` (``0`` when ``lam = 0`` is as good within 1e-9), ``gen_error`` and
        ``mem_error`` at it, ``gen_error_at_zero``, ``mem_error_at_zero``,
        ``memorization_cost`` (``gen_error_at_zero - gen_error >= 0``) and ``determined``
        (``False`` where ``lam = 0`` did not converge, nothing converged, or the best
        ``lam`` is at the top of the scan: those values are ``nan``).
    """
    import rafmodel as rm

    eps_grid, ratio_grid = np.asarray(eps_grid, dtype=float), np.asarray(ratio_grid, dtype=float)
    shape = (eps_grid.size, ratio_grid.size)
    E, R = np.meshgrid(eps_grid, ratio_grid, indexing="ij")
    bases = [rm.Setting(alpha=alpha, eps=float(e), lam=0.0, learner=rm.Kernel(mu1=mu1, mustar=mu1 * math.sqrt(r)),
                        loss="hinge") for e, r in zip(E.ravel(), R.ravel())]
    n_dec = _LAM_DECADES[1] - _LAM_DECADES[0]
    lams = mu1**2 * np.logspace(*_LAM_DECADES, int(n_dec * _LAM_PER_DECADE) + 1)
    scan = rm.solve_many([b.replace(lam=float(l)) for b in bases for l in np.r_[0.0, lams]], warn=False)
    conv = np.asarray(scan.converged, dtype=bool).reshape(len(bases), lams.size + 1)
    gen = np.where(conv, np.asarray(scan.gen_error, dtype=float).reshape(conv.shape), np.inf)
    mem = np.asarray(scan.mem_error, dtype=float).reshape(conv.shape)
    _tick(bar)
    g0, ok0, m0 = gen[:, 0], conv[:, 0], mem[:, 0]
    gen, mem = gen[:, 1:], mem[:, 1:]
    n, idx = lams.size, np.arange(len(bases))
    i = np.argmin(gen, axis=1)  # the best positive lam of the scan
    g_best, m_best, l_best = gen[idx, i], mem[idx, i], lams[i]
    # the end of the flat (max-margin) stretch: first lam where gen_error leaves its lam = 0 value
    off = np.abs(gen - g0[:, None]) > 1e-12
    j = np.where(off.any(axis=1), np.argmax(off, axis=1), n - 1)
    loglam = np.log(lams)
    a = np.r_[loglam[np.maximum(i - 1, 0)], loglam[np.maximum(j - 1, 0)]]
    b = np.r_[loglam[np.minimum(i + 1, n - 1)], loglam[j]]
    gg, mm, ll = _golden(bases + bases, a, b, _GOLDEN_STEPS, bar)
    for g_r, m_r, l_r in ((gg[: len(bases)], mm[: len(bases)], ll[: len(bases)]),
                          (gg[len(bases):], mm[len(bases):], ll[len(bases):])):
        better = g_r < g_best
        g_best, m_best, l_best = (np.where(better, g_r, g_best), np.where(better, m_r, m_best),
                                  np.where(better, l_r, l_best))
    zero_best = ok0 & (g0 <= g_best + _ZERO_COST)
    lam_opt = np.where(zero_best, 0.0, l_best)
    g_opt = np.where(zero_best, g0, g_best)
    m_opt = np.where(zero_best, m0, m_best)
    cost = np.maximum(g0 - g_opt, 0.0)
    top = (i == n - 1) & ~zero_best  # the best lam is the top of the scan: the optimum may lie beyond
    determined = ok0 & np.isfinite(g_opt) & ~top
    out = {"lam_opt": lam_opt, "gen_error": g_opt, "mem_error": m_opt, "gen_error_at_zero": g0,
           "mem_error_at_zero": m0, "memorization_cost": cost}
    out = {k: np.where(determined, v, np.nan).reshape(shape) for k, v in out.items()}
    out["determined"] = determined.reshape(shape)
    return out


def _edges(centers, log=False):
    """Cell edges around ``centers`` (geometric midpoints on a log axis)."""
    x = np.log(centers) if log else np.asarray(centers, dtype=float)
    if x.size == 1:
        e = np.array([x[0] - 0.5, x[0] + 0.5])
    else:
        mid = (x[1:] + x[:-1]) / 2
        e = np.r_[x[0] - (mid[0] - x[0]), mid, x[-1] + (x[-1] - mid[-1])]
    return np.exp(e) if log else e


def _cell_samples(edges, log=False):
    """Two coordinates per cell, just inside its edges (the frame's at the ends): a nearest-cell
    field sampled there has its 0.5 contour on the cell edges."""
    e = np.log(edges) if log else np.asarray(edges, dtype=float)
    delta = 1e-6 * np.diff(e)
    left, right = e[:-1] + delta, e[1:] - delta
    left[0], right[-1] = e[0], e[-1]
    x = np.column_stack([left, right]).ravel()
    return np.exp(x) if log else x


@register_figure(
    "phase-kernel",
    "the (eps, mustar^2/mu1^2) plane: where kernel ridge's optimal lam is 0 (the interpolator; closed-form "
    "boundary, checked numerically), whether the facts are stored at the optimum, and what interpolating costs "
    "the kernel SVM",
    defaults=dict(alpha=2.0, mu1=0.5, eps=[0.0, 0.8], ratio=[0.1, 100.0], n_eps=20, n_ratio=20, tol=1e-4,
                  mem_tol=1e-6, n_check=5),
    quick=dict(n_eps=4, n_ratio=4, n_check=2),
    constraints=dict(alpha=POSITIVE, mu1=POSITIVE, eps=Real(0, 1, hi_open=True), ratio=POSITIVE,
                     n_eps=Integer(2), n_ratio=Integer(2), tol=POSITIVE, mem_tol=Real(0, 1, hi_open=True),
                     n_check=Integer(0)),
    sim_params=())
def phase_kernel(p, ctx):
    """Kernel ridge's closed-form lam_opt = 0 boundary, the facts stored at the optimum, the SVM's cost."""
    from matplotlib.colors import BoundaryNorm, ListedColormap
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    import rafmodel as rm

    alpha, mu1, tol, mem_tol = float(p["alpha"]), float(p["mu1"]), float(p["tol"]), float(p["mem_tol"])
    e_lo, e_hi = float(min(p["eps"])), float(max(p["eps"]))
    r_lo, r_hi = float(min(p["ratio"])), float(max(p["ratio"]))
    if not (e_hi > e_lo and r_hi > r_lo):
        raise ParameterError("eps" if not e_hi > e_lo else "ratio", "needs a range lo < hi")
    eps_grid = np.linspace(e_lo, e_hi, int(p["n_eps"]))
    ratio_grid = np.geomspace(r_lo, r_hi, int(p["n_ratio"]))
    # ridge check points: the two ratio grid points bracketing the closed-form boundary, at n_check eps columns
    n_check = min(int(p["n_check"]), eps_grid.size)
    checks = []
    for j in (np.unique(np.round(np.linspace(0, eps_grid.size - 1, n_check)).astype(int)) if n_check else []):
        e = eps_grid[j]
        k = int(np.searchsorted(ratio_grid, float(ridge_ratio_c(e))))
        checks += [(e, ratio_grid[m]) for m in (k - 1, k) if 0 <= m < ratio_grid.size]
    bar = _bar(ctx, 1 + _GOLDEN_STEPS + len(checks), "phase-kernel")
    svm = svm_memorization_cost(eps_grid, ratio_grid, alpha=alpha, mu1=mu1, bar=bar)
    rows = []
    for a_, e in enumerate(eps_grid):
        for b_, r in enumerate(ratio_grid):
            det = bool(svm["determined"][a_, b_])
            cost = svm["memorization_cost"][a_, b_]
            rows.append({"curve": "kernel SVM", "model": "kernel", "loss": "hinge", "alpha": alpha, "eps": e,
                         "lam": svm["lam_opt"][a_, b_], "mu1": mu1, "mustar": mu1 * math.sqrt(r), "ratio": r,
                         "gen_error": svm["gen_error"][a_, b_], "mem_error": svm["mem_error"][a_, b_],
                         "gen_error_at_zero": svm["gen_error_at_zero"][a_, b_],
                         "mem_error_at_zero": svm["mem_error_at_zero"][a_, b_], "memorization_cost": cost,
                         "interpolation_cheap": (bool(cost <= tol) if det else None), "tol": tol,
                         "stores_facts": (bool(svm["mem_error"][a_, b_] <= mem_tol) if det else None),
                         "mem_tol": mem_tol, "converged": det, "source": "theory"})
    ridge_pts = []
    for e, r in checks:
        k = rm.Kernel(mu1=mu1, mustar=mu1 * math.sqrt(r))
        row = {"curve": "kernel ridge check", "model": "kernel", "loss": "square", "alpha": alpha, "eps": e,
               "mu1": mu1, "mustar": k.mustar, "ratio": r, "ratio_c": float(ridge_ratio_c(e)),
               "interpolates_at_optimum_closed_form": bool(r >= ridge_ratio_c(e))}
        try:
            o = rm.optimal_lambda(learner=k, loss="square", alpha=alpha, eps=e, mem_tol=mem_tol)
            ok = not o.at_boundary
        except rm.ConvergenceError:
            o, ok = None, False
        row.update(lam=o.lam_opt if ok else math.nan, lam_opt_closed_form=o.lam_opt_closed_form if ok else math.nan,
                   gen_error=o.gen_error if ok else math.nan, mem_error=o.mem_error if ok else math.nan,
                   margin=o.margin if ok else math.nan,
                   interpolates_at_optimum=bool(o.interpolates_at_optimum) if ok else None,
                   stores_facts=bool(o.stores_facts) if ok else None, mem_tol=mem_tol, converged=ok, source="theory")
        rows.append(row)
        ridge_pts.append((e, r, row["interpolates_at_optimum"], row["stores_facts"]))
        _tick(bar)
    if bar is not None:
        bar.close()

    fig, (ax,) = new_figure(1, width=5.0, height=3.6)
    # SVM memorization cost, binned on a log scale; undetermined cells are left blank
    bounds = np.array([-18.0, math.log10(_ZERO_COST), -6.0, -4.0, -3.0, -2.0, 0.0])
    cmap = ListedColormap(["#FFFFE0", "#C7E9B4", "#7FCDBB", "#41B6C4", "#2C7FB8", "#253494"]).with_extremes(
        bad="white")
    cost = svm["memorization_cost"]
    with np.errstate(divide="ignore"):
        logc = np.log10(np.clip(cost, 1e-17, None))
    mesh = ax.pcolormesh(_edges(eps_grid), _edges(ratio_grid, log=True), np.ma.masked_invalid(logc).T, cmap=cmap,
                         norm=BoundaryNorm(bounds, cmap.N), shading="flat")
    cb = fig.colorbar(mesh, ax=ax, ticks=bounds[1:-1], pad=0.02, fraction=0.06)
    cb.ax.set_yticklabels([f"1e{int(b)}" for b in bounds[1:-1]], fontsize=7)
    cb.set_label("kernel SVM: cost of interpolating\ngen_error(lam = 0) - min over lam", fontsize=7)
    und = ~svm["determined"]
    if np.any(und):
        E, R = np.meshgrid(eps_grid, ratio_grid, indexing="ij")
        ax.plot(E[und], R[und], "x", color="0.5", ms=4, mew=0.8, clip_on=False)
    # the SVM region: cost <= tol, hatched cells outlined along their edges
    free = np.where(svm["determined"], (cost <= tol).astype(float), np.nan)
    if np.any(free == 1):
        xs, ys = _cell_samples(_edges(eps_grid)), _cell_samples(_edges(ratio_grid, log=True), log=True)
        field = np.repeat(np.repeat(free, 2, axis=0), 2, axis=1).T
        ax.contourf(xs, ys, field, levels=[0.5, 1.5], colors="none", hatches=["////"])
        if np.any(free == 0):
            ax.contour(xs, ys, field, levels=[0.5], colors="k", linewidths=1.2, linestyles="--")
    # kernel ridge: the closed-form boundary and the numerical check points
    ef = np.linspace(e_lo, e_hi, 400)
    ax.plot(ef, ridge_ratio_c(ef), color=PALETTE[1], lw=2.0)
    for e, r, m, _ in ridge_pts:
        if m is None:
            ax.plot([e], [r], "x", color=PALETTE[1], ms=5, mew=1.2, clip_on=False)
        else:
            ax.plot([e], [r], "o", ms=5, mfc=PALETTE[1] if m else "white", mec=PALETTE[1], mew=1.2, clip_on=False)
    ax.set_xlim(e_lo, e_hi)
    ax.set_ylim(r_lo, r_hi)
    finish(ax, xlabel="eps", ylabel="ratio", logy=True, legend=False,
           title=f"kernel, alpha = {alpha:g}, mu1 = {mu1:g}: is the interpolator (lam = 0) optimal?")
    handles = [Line2D([], [], color=PALETTE[1], lw=2.0, label="ridge: lam_opt = 0 above (closed form)"),
               Line2D([], [], ls="", marker="o", ms=5, mfc=PALETTE[1], mec=PALETTE[1],
                      label="ridge, optimal_lambda: lam_opt = 0"),
               Line2D([], [], ls="", marker="o", ms=5, mfc="white", mec=PALETTE[1],
                      label="ridge, optimal_lambda: lam_opt > 0"),
               Patch(facecolor="none", edgecolor="k", hatch="///", ls="--",
                     label=f"SVM: cost of interpolating <= {_sci(tol)}")]
    if np.any(und) or any(m is None for _, _, m, _ in ridge_pts):
        handles.append(Line2D([], [], ls="", marker="x", color="0.5", label="undetermined"))
    fig.legend(handles=handles, fontsize=7, frameon=False, loc="outside lower center", ncols=2)

    # caption numbers
    agree = [m == (r >= ridge_ratio_c(e)) for e, r, m, _ in ridge_pts if m is not None]
    below_line = [st for _, _, m, st in ridge_pts if m is False]
    det = svm["determined"]
    n_free = int(np.sum((cost <= tol) & det))
    zero = (cost <= _ZERO_COST) & det
    zero_eps = eps_grid[np.any(zero, axis=1)]
    facts = eps_grid > 0
    if not zero_eps.size:
        where_zero = "at no grid point"
    elif np.all(zero_eps == 0.0):
        where_zero = "only at eps = 0 (no facts)"
    else:
        where_zero = f"at {int(zero.sum())} grid points (eps = {', '.join(f'{x:.2g}' for x in zero_eps[:6])}" + (
            ", ...)" if zero_eps.size > 6 else ")")
    no_boundary = not np.any(zero_eps > 0)
    e_ref_i = int(np.argmin(np.abs(eps_grid - 0.2)))
    below = ratio_grid[np.isfinite(cost[e_ref_i]) & (cost[e_ref_i] <= tol)]
    span = ""
    if facts.any():
        c_lo, c_hi = cost[facts, 0], cost[facts, -1]
        if np.any(np.isfinite(c_lo)) and np.any(np.isfinite(c_hi)):
            span = (f", from up to {np.nanmax(c_lo):.2g} at mustar^2/mu1^2 = {ratio_grid[0]:.3g} to at most "
                    f"{np.nanmax(c_hi):.2g} at {ratio_grid[-1]:.3g}")
    # from which ratio on the SVM's optimum stores the facts (mem_error <= mem_tol) at every eps
    mem_ok = np.all(np.where(det, svm["mem_error"] <= mem_tol, True), axis=0) & np.any(det, axis=0)
    tail = np.flatnonzero(~mem_ok)
    r_mem = ratio_grid[tail[-1] + 1] if tail.size and tail[-1] + 1 < ratio_grid.size else (
        ratio_grid[0] if not tail.size else None)
    caption = (f"Kernel ridge's (alpha = {alpha:g}, mu1 = {mu1:g}) optimal lam is 0, the interpolator, exactly "
               f"above mustar^2/mu1^2 = pi/(2(1-eps)^2) - 1 (line: "
               f"{float(ridge_ratio_c(e_lo)):.3g} at eps = {e_lo:g}, {float(ridge_ratio_c(e_hi)):.3g} at eps = "
               f"{e_hi:g})"
               + (f"; optimal_lambda on the square loss agrees at {sum(agree)} of {len(agree)} grid points "
                  f"bracketing the line (dots)" if agree else "")
               + (f". Storing the facts does not need lam_opt = 0: at {sum(bool(x) for x in below_line)} of "
                  f"{len(below_line)} check points below the line (lam_opt > 0) the facts are still stored at the "
                  f"optimum (mem_error <= {_sci(mem_tol)})" if any(below_line) else
                  f". At none of the {len(below_line)} check points below the line (lam_opt > 0) are the facts "
                  f"stored at the optimum (mem_error <= {_sci(mem_tol)})" if below_line else "")
               + f". The kernel SVM has {'no such' if no_boundary else 'a different'} boundary. Its cost of "
               f"interpolating, gen_error at "
               f"lam = 0 (the max-margin interpolator) minus the minimum over lam (searched per point over lam = 0 "
               f"and {int((_LAM_DECADES[1] - _LAM_DECADES[0]) * _LAM_PER_DECADE) + 1} log-spaced lam, refined by "
               f"golden section), is zero (below {_sci(_ZERO_COST)}) {where_zero} and otherwise decays smoothly as "
               f"mustar^2/mu1^2 grows{span}. Hatched: cost <= tol = {_sci(tol)} ({n_free} of {det.size} grid points"
               + (f"; at eps = {eps_grid[e_ref_i]:.2g} from mustar^2/mu1^2 = {below.min():.3g}" if below.size else "")
               + ")."
               + (f" From mustar^2/mu1^2 = {r_mem:.3g} on, the SVM at its optimal lam stores the facts "
                  f"(mem_error <= {_sci(mem_tol)}) at every eps, inside a reduced margin."
                  if r_mem is not None and facts.any() else "")
               + (f" {int(np.sum(~det))} grid points are undetermined (blank, x)." if np.any(~det) else ""))
    return fig, frame(rows), caption
