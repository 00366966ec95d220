"""The figure commands: ``raf figure`` (one figure) and ``raf report`` (every figure and an HTML page).

Each handler converts its options, calls :func:`rafmodel.figures.write_figure` or
:func:`rafmodel.report.build_report` and prints one line per figure.
"""

from __future__ import annotations

import sys

from .._options import UsageError, parse_values
from ._common import EXIT_OK, progress


def _figure_out(args):
    if not args.out:
        raise UsageError("out: required (the folder to write into)")
    return args.out


def _figure_line(meta, seconds):
    """One line for a finished figure: its name, the seconds it took, and whether it was read back."""
    if meta.get("skipped"):
        return f"{meta['name']} skipped: {meta['skipped']}"
    return f"{meta['name']} {seconds:.1f} s{', cached' if meta['cached'] else ''}"


def cmd_figure(args):
    import time

    from ..figures import get_figure, list_figures, write_figure

    if args.list:
        for name, desc in list_figures().items():
            print(f"{name:14s} {desc}")
        return EXIT_OK
    if not args.name:
        raise UsageError(f"name: give a figure name ({', '.join(list_figures())}) or --list")
    spec = get_figure(args.name)
    params = {}
    for k, v in vars(args).items():
        if k.startswith("fig_") and v is not None:
            name = k[4:]
            if name not in spec.constraints:
                raise UsageError(f"{name.replace('_', '-')}: not a parameter of figure {args.name!r} "
                                 f"(its parameters: {', '.join(spec.constraints)})")
            params[name] = parse_values(name, v)
    out = _figure_out(args)
    start = time.perf_counter()
    meta = write_figure(args.name, out, quick=args.quick, sim=args.sim, progress=progress(args), force=args.force,
                        n_jobs=args.jobs, **params)
    how = "read back from" if meta["cached"] else "written to"
    print(f"raf: {_figure_line(meta, time.perf_counter() - start)}, {how} {out}: "
          f"{', '.join(meta['files'][e] for e in ('png', 'pdf', 'csv'))}", file=sys.stderr, flush=True)
    print(meta["caption"])
    return EXIT_OK


def cmd_report(args):
    from ..report import build_report

    out = _figure_out(args)
    bars = progress(args)

    def line(meta, seconds, i, n):  # where there are no progress bars (stderr not a terminal): one line a figure
        print(f"raf: [{i}/{n}] {_figure_line(meta, seconds)}", file=sys.stderr, flush=True)
    res = build_report(out, quick=args.quick, sim=args.sim, progress=bars, force=args.force,
                       n_jobs=args.jobs, on_figure=None if bars else line)
    n_cached = sum(m["cached"] for m in res["figures"])
    if bars:
        for m in res["figures"]:
            if m.get("skipped"):
                print(f"raf: {_figure_line(m, 0)}", file=sys.stderr)
    print(f"raf: report written to {res['index']} ({len(res['figures'])} figures, {n_cached} unchanged, "
          f"{res['seconds']:.1f} s)", file=sys.stderr)
    print(res["index"])
    return EXIT_OK
