"""How the figures compare simulations with the theory: z-scores and the words of the captions.

One rule for every figure: the z-score of a simulated point is ``(mean - theory) / se`` with
the **measured** standard error over the seeds (no floor), and a caption says that the
simulations *agree* with the theory only where every ``|z| <= 3`` (:data:`AGREE_Z`);
otherwise it states each deviation: its size, its sign, its ``z``, ``d`` and the seeds.
"""

from __future__ import annotations

import math

__all__ = ["AGREE_Z", "z_score", "add_z", "agreement", "describe_sizes", "max_abs_z", "theory_at"]

#: Largest |z| a caption calls agreement.
AGREE_Z = 3.0

#: Deviations spelled out in a caption (the rest are counted; all are in the table's ``*_z``).
_SHOWN = 3


def z_score(mean, se, theory) -> float:
    """``(mean - theory) / se`` with the measured standard error ``se`` (no floor).

    ``se = 0`` (every seed gave the same value): ``0`` where that value is the theory's,
    ``+-inf`` otherwise (a deviation with no spread, never called agreement).  ``nan`` where
    any input is ``nan`` (fewer than two successful seeds, or a theory that did not converge).
    """
    mean, se, theory = float(mean), float(se), float(theory)
    if not (math.isfinite(mean) and math.isfinite(theory)) or math.isnan(se):
        return math.nan
    diff = mean - theory
    if se > 0:
        return diff / se
    return 0.0 if diff == 0 else math.copysign(math.inf, diff)


def add_z(row: dict, theory: dict, metrics=("gen_error", "mem_error"), *, n_test=None) -> dict:
    """Add ``{metric}_theory`` and ``{metric}_z`` to a simulation row (in place; returned).

    Where every seed gave the same value (``se = 0``) and it differs from the theory by less
    than one counted item over all seeds (one fact for ``mem_error``: ``eps alpha d seeds`` facts
    in all; one test point for ``gen_error``: ``n_test seeds``), the difference is below what
    the simulation resolves: ``z`` is ``nan`` and ``{metric}_unresolved`` is true (e.g.
    ``mem_error = 0`` at every seed where the theory gives ``1e-20``).  A larger difference
    with no spread keeps ``z = +-inf``: a deviation.
    """
    for k in metrics:
        t = float(theory.get(k, math.nan))
        row[f"{k}_theory"] = t
        z = z_score(row.get(k, math.nan), row.get(f"{k}_se", math.nan), t)
        unresolved = False
        if math.isinf(z):
            items = _items(row, k, n_test)
            unresolved = items is not None and abs(float(row[k]) - t) * items < 1.0
        row[f"{k}_z"] = math.nan if unresolved else z
        if unresolved:
            row[f"{k}_unresolved"] = True
    return row


def _items(row, metric, n_test):
    """Counted items behind ``metric`` over all seeds (``None`` where the row does not say)."""
    try:
        seeds, d = int(row["seeds"]), int(row["d"])
        if metric == "mem_error":
            return float(row["eps"]) * float(row["alpha"]) * d * seeds
        if metric == "gen_error" and n_test:
            return float(n_test) * seeds
    except (KeyError, TypeError, ValueError):
        return None
    return None


def describe_sizes(d, seeds, lam=None) -> str:
    """``"d = 400, 8 seeds"`` (``lam`` first where given): the words of legends and captions."""
    head = f"lam = {float(lam):g}, " if lam is not None else ""
    return f"{head}d = {int(d)}, {int(seeds)} seeds"


def _fmt_z(z):
    if math.isinf(z):
        return f"z = {'+' if z > 0 else '-'}inf: every seed gave the same value"
    return f"z = {z:+.2f}"


def agreement(rows, *, subject="The simulations", metrics=("gen_error", "mem_error"), where=None) -> str:
    """The caption's sentence on simulations against the theory.

    Parameters
    ----------
    rows : iterable of dict
        Simulation rows holding ``metric``, ``metric_theory``, ``metric_z``, ``d`` and ``seeds``
        (:func:`add_z`).
    subject : str
        Who is compared (e.g. ``"Simulations at lam = 0 (d = 400, 8 seeds)"``).
    metrics : tuple of str
        The metrics compared.
    where : callable, optional
        ``where(row) -> str``: the point in words (e.g. ``"kappa = 6, tanh, square loss"``).

    Returns
    -------
    str
        ``"... agree with the theory: all N |z| <= 3 (largest |z| = x, ...)."`` only where every
        ``|z| <= 3``; otherwise the count of deviations and the largest ones, each with its
        difference, ``z``, ``d`` and seeds.  Points without a z (``nan``: fewer than two seeds,
        theory not converged) are counted as not compared.
    """
    where = where or (lambda r: "")
    pts, missing, unresolved = [], 0, 0
    for r in rows:
        for k in metrics:
            z = float(r.get(f"{k}_z", math.nan))
            if math.isnan(z):
                if r.get(f"{k}_unresolved"):
                    unresolved += 1
                else:
                    missing += 1
                continue
            pts.append((abs(z), z, k, r))
    if not pts:
        return f"{subject}: no point could be compared with the theory."
    tail = ""
    if unresolved:
        tail += (f"; {unresolved} value{'s are' if unresolved != 1 else ' is'} the same at every seed and within "
                 "one counted fact or test point of the theory (below the resolution: no z)")
    if missing:
        tail += f"; {missing} without an error bar or a converged theory (not compared)"
    bad = sorted((p for p in pts if p[0] > AGREE_Z), key=lambda p: -p[0])
    names = " and ".join(metrics)
    if not bad:
        az, z, k, r = max(pts, key=lambda p: p[0])
        loc = where(r)
        return (f"{subject} agree with the theory on {names}: all {len(pts)} |z| <= {AGREE_Z:g} (largest |z| = "
                f"{az:.2f}, {k}{' at ' + loc if loc else ''}){tail}.")
    parts = []
    for az, z, k, r in bad[:_SHOWN]:
        diff = float(r[k]) - float(r[f"{k}_theory"])
        loc = where(r)
        parts.append(f"{'at ' + loc + ' ' if loc else ''}{k} lies {abs(diff):.3g} {'above' if diff > 0 else 'below'} "
                     f"the theory ({float(r[k]):.3f} vs {float(r[f'{k}_theory']):.3f}, {_fmt_z(z)}, "
                     f"d = {int(r['d'])}, {int(r['seeds'])} seeds)")
    more = len(bad) - _SHOWN
    text = (f"{subject} deviate from the theory at {len(bad)} of {len(pts)} compared values (|z| > {AGREE_Z:g}): "
            + "; ".join(parts) + (f"; and {more} more (column *_z of the table)" if more > 0 else ""))
    ok = [p for p in pts if p[0] <= AGREE_Z]
    if ok:
        text += f". The other {len(ok)} agree (|z| <= {AGREE_Z:g})"
    return text + tail + "."


def max_abs_z(rows, metrics=("gen_error", "mem_error")) -> float:
    """The largest finite-or-infinite ``|z|`` over ``rows`` (``nan`` if none)."""
    zs = [abs(float(r.get(f"{k}_z", math.nan))) for r in rows for k in metrics]
    zs = [z for z in zs if not math.isnan(z)]
    return max(zs) if zs else math.nan


def theory_at(results, metrics=("gen_error", "mem_error")) -> list[dict]:
    """``[{metric: value}]`` of a theory batch, ``nan`` where a point did not converge."""
    out = []
    for r in results:
        ok = bool(r.converged)
        out.append({k: float(getattr(r, k)) if ok else math.nan for k in metrics})
    return out
