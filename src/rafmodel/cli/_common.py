"""What every ``raf`` handler shares: printing records, exit statuses, progress, plots and warnings."""

from __future__ import annotations

import contextlib
import math
import sys

from .._options import UsageError

EXIT_OK, EXIT_NOT_CONVERGED, EXIT_USAGE = 0, 1, 2

#: Columns that identify a learner (and structured inputs) beyond its name (after ``loss``, in this order).
PARAM_COLUMNS = ("activation", "kernel", "bandwidth", "degree", "offset", "kappa", "mu1", "mustar", "inputs")


def emit(records, columns, args, single):
    """Print records as a table (default), JSON or CSV (:func:`rafmodel.tables.format_records`)."""
    from ..tables import format_records

    fmt = "json" if args.json else "csv" if args.csv else "table"
    print(format_records(records, columns, fmt, single=single))


def progress(args, default=None):
    """``--progress`` / ``--no-progress``, else ``default`` (by default: whether stderr is a terminal)."""
    if args.progress is not None:
        return args.progress
    return sys.stderr.isatty() if default is None else default


def exit_status(records):
    """0, or 1 with a warning when some theory point did not converge."""
    n_bad = sum(not r["converged"] for r in records)
    if n_bad:
        print(f"raf: warning: {n_bad} of {len(records)} points did not converge "
              "(converged = false, values left empty)", file=sys.stderr)
        return EXIT_NOT_CONVERGED
    return EXIT_OK


def label(records, labels):
    """Insert the activation / kernel columns after ``loss``."""
    if not labels:
        return records
    out = []
    for r, lab in zip(records, labels):
        lab = {k: v for k, v in lab.items() if k not in r}  # library records carry their labels already
        items = list(r.items())
        i = [k for k, _ in items].index("loss") + 1 if "loss" in r else 1
        out.append(dict(items[:i] + list(lab.items()) + items[i:]))
    return out


def missing(v):
    """An absent value of a stored row (None or nan)."""
    return v is None or (isinstance(v, float) and math.isnan(v))


def point_text(rec):
    """A stored point's parameters, as a warning names it."""
    return ", ".join(f"{k}={rec[k]}" for k in ("alpha", "eps", "lam", *PARAM_COLUMNS)
                     if k in rec and not missing(rec[k]))


def require_theory(learners):
    """Refuse, before any work, a learner without an exact theory (:func:`rafmodel.theory.has_theory`).

    ``has_theory`` goes by the learner's type, so one learner of each type is asked.
    """
    from ..theory import has_theory

    one_per_type = {}
    for lrn in learners:
        one_per_type.setdefault(type(lrn), lrn)
    for lrn in one_per_type.values():
        if lrn.name == "bayes":  # AMP: its theory is the Bayes-optimal fixed point (rafmodel.theory.amp_se)
            continue
        if not has_theory(lrn):
            raise UsageError(f"learner: {lrn.name!r} has no exact theory")


def plot_variable(args, values, spec):
    """The parameter a --plot runs along (the only one given as a list), or None without --plot."""
    if not getattr(args, "plot", None):
        return None
    varying = [k for k, v in values.items() if len(v) > 1]
    if isinstance(spec, dict):
        varying += [k for k, v in spec.items() if len(v) > 1]
    elif len(spec) > 1:
        varying += ["activation" if "activation" in spec[0][0] else "kernel"]
    if len(varying) != 1 or varying[0] in ("activation", "kernel"):
        raise UsageError(f"plot: give a list for exactly one numeric parameter (got {len(varying)}: "
                         f"{', '.join(varying) or 'none'})")
    from ..experiments import check_output_path

    check_output_path(args.plot, "plot")
    return varying[0]


def save_plot(draw, path):
    """Call ``draw()`` (which writes ``path``) and say so; an unwritable path is one line."""
    try:
        draw()
    except OSError as e:
        raise UsageError(f"plot: cannot write {path!r}: {e}") from None
    print(f"raf: plot written to {path}", file=sys.stderr)


def warn_failed(sims):
    """A warning per simulated point with failed repetitions; 1 if any, else 0."""
    bad = [(s, r) for s, r in ((s, s.n_failed) for s in sims) if r]
    for s, r in bad:
        errs = sorted({i["error"] for i in s.info if "error" in i})
        print(f"raf: warning: {r} of {s.n_seeds} repetitions failed at {s.setting.params()}: {'; '.join(errs)}",
              file=sys.stderr)
    return EXIT_NOT_CONVERGED if bad else EXIT_OK


def store_exit(status):
    """Exit status of a sweep store: 1 (and a warning) when some point failed or did not converge."""
    bad = status.failed + status.not_converged
    if bad:
        print(f"raf: warning: {status.failed} points failed and {status.not_converged} did not converge "
              f"(status column; raf sweep export --store {status.store})", file=sys.stderr)
        return EXIT_NOT_CONVERGED
    return EXIT_OK


@contextlib.contextmanager
def _warnings_as_lines(command, category, kind, matches=lambda w: True):
    """Print each warning of ``category`` that ``matches`` as one line ``raf COMMAND: KIND: message``;
    every other warning is issued again as it came."""
    import warnings

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", category)
        try:
            yield
        finally:
            for w in caught:
                if issubclass(w.category, category) and matches(w):
                    print(f"raf {command}: {kind}: {w.message}", file=sys.stderr)
    for w in caught:
        if not (issubclass(w.category, category) and matches(w)):
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)


def store_warnings(command):
    """Print the store's warnings (damaged points computed again) as one line each."""
    from ..sweep import StoreWarning

    return _warnings_as_lines(command, StoreWarning, "warning")


def deprecation_notes(command):
    """Print the library's DeprecationWarnings of renamed names (e.g. a sweep spec's ``model``) as notes."""
    return _warnings_as_lines(command, DeprecationWarning, "note",
                              lambda w: "deprecated and will be removed" in str(w.message))
