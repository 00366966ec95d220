"""Figures of the rule-fact trade-off and of kernels along lam (tradeoff, kernel-lambda)."""

from __future__ import annotations

import math

import numpy as np

from .._validation import NONNEGATIVE, POSITIVE, Integer, Real
from ..exceptions import ParameterError
from ._registry import register_figure
from ._evidence import add_z, agreement, describe_sizes, theory_at
from ._style import FONT, PALETTE, finish, new_figure
from ._tables import curve, frame, simulation_rows, theory_rows

__all__ = ["tradeoff", "kernel_lambda"]

_EPS = Real(0, 1, hi_open=True)
#: One colour per mustar^2/mu1^2 (the same in both figures); the linear learner is black.
_RATIO_COLORS = PALETTE[:6]
_LINEAR_COLOR = PALETTE[7]
_LOSSES = ("square", "hinge")


def _bar(ctx, total, desc):
    if not ctx.progress:
        return None
    from tqdm.auto import tqdm

    return tqdm(total=total, desc=desc, leave=False)


def _threshold(eps):
    """``pi / (2 (1-eps)^2) - 1``: the mustar^2/mu1^2 above which memorizing is free (square loss)."""
    return math.pi / (2.0 * (1.0 - eps) ** 2) - 1.0


def _lam_range(p):
    lo, hi = float(min(p["lam"])), float(max(p["lam"]))
    if not hi > lo:
        raise ParameterError("lam", f"give a range lo,hi with lo < hi, got {p['lam']!r}")
    return lo, hi


def _ratios(p):
    return sorted({float(r) for r in p["ratio"]})


def _kernels(p):
    """``(label, ratio, learner, colour)`` for each mustar^2/mu1^2, ascending."""
    import rafmodel as rm

    mu1 = float(p["mu1"])
    return [(f"mustar^2/mu1^2 = {r:g}", r, rm.Kernel(mu1=mu1, mustar=mu1 * math.sqrt(r)),
             _RATIO_COLORS[j % len(_RATIO_COLORS)]) for j, r in enumerate(_ratios(p))]


def _legend(label):
    """A curve label (the table's ``curve`` column) in the figures' math notation."""
    return label.replace("mustar^2/mu1^2", r"$\mu_\star^2/\mu_1^2$")


def _optimum(learner, loss, alpha, eps):
    """:func:`rafmodel.optimal_lambda`, or ``None`` where it is not determined."""
    import rafmodel as rm

    try:
        o = rm.optimal_lambda(learner=learner, loss=loss, alpha=alpha, eps=eps)
    except rm.ConvergenceError:
        return None
    return None if o.at_boundary else o


def _optimum_row(opt, learner, loss, alpha, eps, **extra):
    """The table row of an optimum (``nan`` errors, ``converged = False`` where it is not determined)."""
    row = {"curve": "optimal lam", **extra, "model": learner.name, "loss": loss, "alpha": alpha, "eps": eps,
           "lam": opt.lam_opt if opt else math.nan, **{k: float(v) for k, v in learner.params().items()}}
    for k in ("gen_error", "mem_error", "rule_error"):
        row[k] = getattr(opt, k) if opt else math.nan
    if loss == "square":
        row["lam_opt_closed_form"] = opt.lam_opt_closed_form if opt else math.nan
    if opt is not None and opt.margin is not None:
        row["margin"] = opt.margin
    row.update(converged=opt is not None, source="theory")
    return row


def _fmt_list(values, fmt):
    return ", ".join("n/a" if v is None or not math.isfinite(v) else format(v, fmt) for v in values)


@register_figure(
    "tradeoff",
    "the rule-fact trade-off: mem_error vs gen_error as lam runs from 0 to large, for the linear learner and "
    "kernels of increasing mustar^2/mu1^2, square and hinge, with the lam = 0 end and the optimal lam marked",
    defaults=dict(alpha=2.0, eps=0.2, ratio=[0.1, 0.5, 2.0], mu1=0.5, lam=[1e-4, 1e3], n_lam=60),
    quick=dict(n_lam=20),
    constraints=dict(alpha=POSITIVE, eps=_EPS, ratio=NONNEGATIVE, mu1=POSITIVE, lam=POSITIVE, n_lam=Integer(2)),
    sim_params=())
def tradeoff(p, ctx):
    """mem_error against gen_error along lam (see the registry description)."""
    from matplotlib.ticker import MaxNLocator

    import rafmodel as rm

    alpha, eps = float(p["alpha"]), float(p["eps"])
    lo, hi = _lam_range(p)
    lams = np.concatenate([[0.0], np.geomspace(lo, hi, int(p["n_lam"]))])
    learners = [("linear", None, rm.Linear(), _LINEAR_COLOR)] + _kernels(p)
    fig, axes = new_figure(2, width=3.3, height=3.0, sharey=True)
    rows, opts, zero = [], {}, {}
    bar = _bar(ctx, 2 * len(learners), "tradeoff")
    for ax, loss in zip(axes, _LOSSES):
        for label, ratio, lrn, color in learners:
            extra = {"curve": label} if ratio is None else {"curve": label, "ratio": ratio}
            res = rm.solve_many([rm.Setting(alpha=alpha, eps=eps, lam=float(l), learner=lrn, loss=loss)
                                 for l in lams], warn=False)
            rows += theory_rows(res, **extra)
            g, m = curve(res, "gen_error"), curve(res, "mem_error")
            ax.plot(g, m, "-", color=color, lw=1.3, label=_legend(label) if loss == "square" else None)
            ax.plot(g[0], m[0], "o", ms=5, mfc="white", mec=color, mew=1.2, zorder=3)
            ax.plot(g[-1], m[-1], "x", ms=4, color=color, mew=1.0, zorder=3)
            zero[loss, ratio] = (g[0], m[0])
            opt = _optimum(lrn, loss, alpha, eps)
            opts[loss, ratio] = opt
            rows.append(_optimum_row(opt, lrn, loss, alpha, eps, **({} if ratio is None else {"ratio": ratio})))
            if opt is not None:
                ax.plot(opt.gen_error, opt.mem_error, "*", ms=10, color=color, mec="white", mew=0.5, zorder=4)
            if bar is not None:
                bar.update()
        finish(ax, xlabel="gen_error", ylabel="mem_error" if loss == "square" else None,
               title=f"{loss} loss, alpha = {alpha:g}, eps = {eps:g}", legend=False)
        ax.xaxis.set_major_locator(MaxNLocator(nbins=5, steps=[1, 2, 5, 10]))
    if bar is not None:
        bar.close()
    axes[0].set_ylim(-0.01, None)
    axes[0].plot([], [], "o", ms=5, mfc="white", mec="0.3", label="lam = 0")
    axes[0].plot([], [], "*", ms=9, color="0.3", label="optimal lam")
    axes[0].plot([], [], "x", ms=4, color="0.3", label=f"lam = {hi:g}")
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside right center", fontsize=FONT - 2, frameon=False)
    ratios = [r for _, r, _, _ in learners]
    kernel_ratios = ratios[1:]
    sq = [opts["square", r] for r in ratios]
    hg = [opts["hinge", r] for r in ratios]

    def gm(o):
        return f"({o.gen_error:.4f}, {o.mem_error:.3g})" if o is not None else "(not determined)"

    names = ["linear"] + [f"{r:g}" for r in kernel_ratios]
    caption = (f"At alpha = {alpha:g}, eps = {eps:g}, raising lam from 0 (circles) trades stored facts for the "
               "rule up to the optimal lam (stars), then loses both. Square loss, optimal (gen_error, mem_error) "
               f"for the linear learner and mustar^2/mu1^2 = {', '.join(names[1:])}: "
               + ", ".join(gm(o) for o in sq) + ".")
    interior = [o.gen_error for o in sq if o is not None and o.lam_opt > 0]
    if len(interior) > 1 and max(interior) - min(interior) < 1e-6:
        caption += (f" Every learner whose optimum has lam > 0 reaches the same gen_error {interior[0]:.4f} "
                    "(kernel ridge generalizes as linear ridge with lam_eff = (lam + mustar^2)/mu1^2): the memory "
                    "channel only changes how many facts are kept there.")
    free = [r for r, o in zip(kernel_ratios, sq[1:]) if o is not None and o.lam_opt == 0]
    if free:
        caption += (f" At mustar^2/mu1^2 = {_fmt_list(free, 'g')} (>= {_threshold(eps):.3g}) the optimum is lam = 0: "
                    "the kernel memorizes every fact for free.")
    caption += (" Hinge loss, optimal (gen_error, mem_error): " + ", ".join(gm(o) for o in hg) + ".")
    best = min(((o.gen_error, r) for r, o in zip(kernel_ratios, hg[1:]) if o is not None), default=None)
    if best is not None and hg[0] is not None and best[0] < hg[0].gen_error:
        caption += (f" With the hinge the memory channel also lowers the best gen_error, from {hg[0].gen_error:.4f} "
                    f"(linear) to {best[0]:.4f} (mustar^2/mu1^2 = {best[1]:g}).")
    zs = [zero["square", r] for r in kernel_ratios]
    if zs and all(m == 0 for _, m in zs):
        caption += (" At lam = 0 every kernel stores all facts, at square-loss gen_error "
                    + _fmt_list([g for g, _ in zs], ".4f"))
        m_lin = zero["square", None][1]
        if math.isfinite(m_lin) and m_lin > 0:
            caption += (f", while the linear learner there (least squares, alpha = {alpha:g} > 1) misses "
                        f"mem_error = {m_lin:.3f} of them")
        caption += "."
    return fig, frame(rows), caption


def _zero_axis(ax, x0, lo, hi):
    """Log ``lam`` axis with ``lam = 0`` drawn at ``x0`` (left of ``lo``), labelled ``0``, and a break mark."""
    from matplotlib.ticker import LogLocator, NullFormatter
    from matplotlib.transforms import blended_transform_factory

    kmin, kmax = math.ceil(math.log10(lo) - 1e-9), math.floor(math.log10(hi) + 1e-9)
    step = 1 if kmax - kmin <= 4 else 2
    ticks = [10.0 ** k for k in range(kmin, kmax + 1, step)]
    ax.set_xlim(x0 / 10 ** 0.35, hi * 10 ** 0.25)
    ax.set_xticks([x0] + ticks, labels=["0"] + [f"$10^{{{k}}}$" if k not in (0, 1) else f"{10 ** k:g}"
                                                for k in range(kmin, kmax + 1, step)])
    ax.xaxis.set_minor_locator(LogLocator(base=10, subs=np.arange(2, 10), numticks=50))
    ax.xaxis.set_minor_formatter(NullFormatter())
    xb = math.sqrt(x0 * lo)
    ax.text(xb, 0.0, "//", transform=blended_transform_factory(ax.transData, ax.transAxes), ha="center",
            va="center", fontsize=FONT - 1, color="0.3", bbox=dict(fc="white", ec="none", pad=0.5), clip_on=False)


@register_figure(
    "kernel-lambda",
    "kernel learner: gen_error and mem_error vs lam for several mustar^2/mu1^2, square and hinge, with lam_opt "
    "(and the square-loss closed form), the memorize-for-free case lam_opt = 0, and square-loss simulations",
    defaults=dict(alpha=2.0, eps=0.2, ratio=[0.1, 0.5, 2.0], mu1=0.5, lam=[1e-4, 1e3], n_lam=60,
                  sim_lam=[0.0, 0.01, 0.1, 1.0, 10.0, 100.0], d=400, seeds=8),
    quick=dict(n_lam=20, sim_lam=[0.0, 0.1, 10.0], d=40, seeds=2),
    constraints=dict(alpha=POSITIVE, eps=_EPS, ratio=NONNEGATIVE, mu1=POSITIVE, lam=POSITIVE, n_lam=Integer(2),
                     sim_lam=NONNEGATIVE, d=Integer(1), seeds=Integer(1)),
    sim_params=("d", "seeds", "sim_lam"))
def kernel_lambda(p, ctx):
    """gen_error and mem_error of the kernel learner along lam (see the registry description)."""
    from matplotlib.transforms import blended_transform_factory

    import rafmodel as rm

    alpha, eps = float(p["alpha"]), float(p["eps"])
    lo, hi = _lam_range(p)
    lams = np.geomspace(lo, hi, int(p["n_lam"]))
    x0 = lo / 10 ** 0.9  # where lam = 0 is drawn
    kernels = _kernels(p)
    paths = _lam_paths([rm.Setting(alpha=alpha, eps=eps, lam=0.0, learner=lrn, loss="square")
                        for _, _, lrn, _ in kernels], sorted({float(x) for x in p["sim_lam"]}), int(p["d"]),
                       int(p["seeds"]), ctx) if ctx.sim else None
    d, seeds = int(p["d"]), int(p["seeds"])
    fig, axes = new_figure(2, 2, width=3.2, height=2.4)
    rows, opts, sim_rows = [], {}, []
    seen = {"gen_error": [], "mem_error": [], "gen_error_sim": [], "mem_error_sim": []}  # for the y ranges
    bar = _bar(ctx, 2 * len(kernels) + (len(kernels) if ctx.sim else 0), "kernel-lambda")
    for col, loss in enumerate(_LOSSES):
        ax_g, ax_m = axes[col], axes[2 + col]
        for j, (label, ratio, lrn, color) in enumerate(kernels):
            res = rm.solve_many([rm.Setting(alpha=alpha, eps=eps, lam=float(l), learner=lrn, loss=loss)
                                 for l in np.concatenate([[0.0], lams])], warn=False)
            rows += theory_rows(res, curve=label, ratio=ratio)
            for ax, k in ((ax_g, "gen_error"), (ax_m, "mem_error")):
                y = curve(res, k)
                ax.plot(lams, y[1:], "-", color=color, lw=1.3,
                        label=_legend(label) if (col, k) == (0, "gen_error") else None)
                ax.plot([x0], [y[0]], "o", ms=4, mfc="white", mec=color, mew=1.1, zorder=3)
                seen[k] += [v for v in y if math.isfinite(v)]
            opt = _optimum(lrn, loss, alpha, eps)
            opts[loss, ratio] = opt
            rows.append(_optimum_row(opt, lrn, loss, alpha, eps, ratio=ratio))
            if opt is not None:
                xo = opt.lam_opt if opt.lam_opt > 0 else x0
                for ax, k in ((ax_g, "gen_error"), (ax_m, "mem_error")):
                    ax.plot([xo], [getattr(opt, k)], "*", ms=10, color=color, mec="white", mew=0.5, zorder=5)
                cf = opt.lam_opt_closed_form
                if cf is not None and math.isfinite(cf):  # a pointer on the top edge
                    ax_g.plot([cf if cf > 0 else x0], [1.0], "v", ms=6, color=color, clip_on=False, zorder=6,
                              transform=blended_transform_factory(ax_g.transData, ax_g.transAxes))
            if bar is not None:
                bar.update()
            if ctx.sim and loss == "square":
                sims = paths[j]
                th = rm.solve_many([s.setting for s in sims], warn=False)
                new = [add_z(r, t, n_test=4000)
                       for r, t in zip(simulation_rows(sims, curve=label, ratio=ratio), theory_at(th))]
                rows += new
                sim_rows += new
                shift = 10 ** (0.07 * (j - (len(kernels) - 1) / 2))  # side by side, not on top of each other
                xs = [(s.setting.lam if s.setting.lam > 0 else x0) * shift for s in sims]
                for ax, k in ((ax_g, "gen_error"), (ax_m, "mem_error")):
                    ax.errorbar(xs, [s.mean(k) for s in sims], yerr=[s.se(k) for s in sims], fmt="o", ms=3,
                                capsize=2, color=color, mec="white", mew=0.4, elinewidth=1.0, zorder=4)
                    seen[k] += [s.mean(k) for s in sims if math.isfinite(s.mean(k))]
                    seen[k + "_sim"] += [v for s in sims for v in (s.mean(k) - s.se(k), s.mean(k) + s.se(k))
                                         if math.isfinite(v)]
                if bar is not None:
                    bar.update()
        finish(ax_g, ylabel="gen_error" if col == 0 else None, legend=False)
        ax_g.set_title(f"{loss} loss", fontsize=FONT, pad=9)  # room for the closed-form pointers
        finish(ax_m, xlabel="lam", ylabel="mem_error" if col == 0 else None, legend=False)
        for ax in (ax_g, ax_m):
            ax.set_xscale("log")
            _zero_axis(ax, x0, lo, hi)
    if bar is not None:
        bar.close()
    for r, k in ((0, "gen_error"), (2, "mem_error")):  # one y scale per row: square and hinge compare at a glance
        if seen[k]:  # curves and simulation means; error bars unless they would squash the rest (then they clip)
            ylo, yhi = min(seen[k]), max(seen[k])
            span = yhi - ylo if yhi > ylo else 0.02
            sims = seen[k + "_sim"]
            ylo = max(min([ylo, *sims]), ylo - 0.3 * span)
            yhi = min(max([yhi, *sims]), yhi + 0.3 * span)
            pad = 0.05 * (yhi - ylo)
            for ax in axes[r:r + 2]:
                ax.set_ylim(ylo - pad, yhi + pad)
    free = [(r, c) for _, r, _, c in kernels if opts["square", r] is not None and opts["square", r].lam_opt == 0]
    if free:
        axes[2].annotate("lam_opt = 0:\nmemorize for free", xy=(x0, 0.0), xytext=(0.1, 0.42),
                         textcoords="axes fraction", fontsize=FONT - 2, color=free[0][1],
                         arrowprops=dict(arrowstyle="->", color=free[0][1], lw=0.8, shrinkB=6))
    leg = axes[0]
    leg.plot([], [], "*", ms=9, color="0.3", label="lam_opt (numerical)")
    leg.plot([], [], "v", ms=6, color="0.3", label="lam_opt, closed form\n(square loss, top edge)")
    leg.plot([], [], "o", ms=4, mfc="white", mec="0.3", label="lam = 0 (theory)")
    if ctx.sim:
        leg.errorbar([], [], yerr=[], fmt="o", ms=3, capsize=2, color="0.3",
                     label=f"simulation, square loss\n({describe_sizes(d, seeds)};\nlam: its x position)")
    handles, labels = leg.get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside right center", fontsize=FONT - 2, frameon=False)
    fig.suptitle(f"kernel learner, alpha = {alpha:g}, eps = {eps:g}, mu1 = {float(p['mu1']):g}", fontsize=FONT)
    return fig, frame(rows), _kernel_caption(p, opts, sim_rows, ctx)


def _lam_paths(settings, lams, d, seeds, ctx):
    """:func:`rafmodel.lam_path` of each setting, in worker processes when ``ctx.n_jobs`` allows.

    Each worker runs one BLAS thread: the eigendecompositions of a lam path in the main
    process with threaded BLAS were measured ten times slower on a busy machine.
    """
    import rafmodel as rm

    from .._parallel import effective_jobs, worker_pool

    kw = dict(d=d, seeds=seeds, n_test=4000, seed=0)
    jobs = effective_jobs(ctx.n_jobs, len(settings))
    if jobs == 1:
        from threadpoolctl import threadpool_limits

        with threadpool_limits(limits=1, user_api="blas"):
            return [rm.lam_path(s, lams, **kw) for s in settings]
    with worker_pool(jobs) as pool:
        futures = [pool.submit(rm.lam_path, s, lams, **kw) for s in settings]
        return [f.result() for f in futures]


def _kernel_caption(p, opts, sim_rows, ctx):
    alpha, eps = float(p["alpha"]), float(p["eps"])
    ratios = _ratios(p)
    thr = _threshold(eps)
    sq = [opts["square", r] for r in ratios]
    hg = [opts["hinge", r] for r in ratios]
    text = (f"At alpha = {alpha:g}, eps = {eps:g}, square loss: lam_opt = "
            + _fmt_list([o.lam_opt if o else None for o in sq], ".4g")
            + f" for mustar^2/mu1^2 = {_fmt_list(ratios, 'g')}")
    diffs = [abs(o.lam_opt - o.lam_opt_closed_form) for o in sq if o is not None]
    if diffs:
        text += (f", equal to the closed form max(0, mu1^2 (pi/(2(1-eps)^2) - 1) - mustar^2) within "
                 f"{max(diffs):.1g}.")
    else:
        text += "."
    free = [(r, o) for r, o in zip(ratios, sq) if o is not None and o.lam_opt == 0]
    paid = [(r, o) for r, o in zip(ratios, sq) if o is not None and o.lam_opt > 0]
    if free:
        r, o = free[0]
        text += (f" Memorize for free: at mustar^2/mu1^2 = {_fmt_list([r for r, _ in free], 'g')} >= "
                 f"pi/(2(1-eps)^2) - 1 = {thr:.4g} (margin {o.margin:.3g}) the optimum is lam = 0, the interpolator, "
                 f"which stores every fact (mem_error = {o.mem_error:g}) at its best gen_error {o.gen_error:.4f}.")
    else:
        text += (f" No ratio here reaches the memorize-for-free threshold mustar^2/mu1^2 >= pi/(2(1-eps)^2) - 1 = "
                 f"{thr:.4g}.")
    if paid:
        text += (" Below the threshold lam_opt > 0 and the kernel no longer interpolates: mem_error = "
                 + _fmt_list([o.mem_error for _, o in paid], ".3g") + " at lam_opt.")
    text += (" Hinge loss: lam_opt = " + _fmt_list([o.lam_opt if o else None for o in hg], ".3g")
             + ", gen_error " + _fmt_list([o.gen_error if o else None for o in hg], ".4f")
             + ", mem_error " + _fmt_list([o.mem_error if o else None for o in hg], ".3g") + ".")
    if ctx.sim and sim_rows:
        text += " " + agreement(sim_rows, subject=f"Square-loss simulations ({describe_sizes(p['d'], p['seeds'])})",
                                where=lambda r: f"mustar^2/mu1^2 = {r['ratio']:g}, lam = {r['lam']:g}")
    return text
