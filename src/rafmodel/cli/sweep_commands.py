"""The sweep commands: ``raf sweep run``, ``raf sweep status`` and ``raf sweep export``.

Each handler calls one function of :mod:`rafmodel.sweep` and prints its summary.
"""

from __future__ import annotations

import sys

from ..exceptions import ParameterError
from ._common import EXIT_OK, deprecation_notes, progress, store_exit, store_warnings


def cmd_sweep_run(args):
    try:
        from ..sweep import run_sweep, sweep_status

        with deprecation_notes("sweep run"), store_warnings("sweep"):
            df = run_sweep(args.spec, args.store, n_jobs=args.jobs, scheduler=args.scheduler,
                           progress=progress(args), retry_failed=args.retry_failed)
    except KeyboardInterrupt:
        print(f"raf sweep: interrupted; {_saved(args.store)}", file=sys.stderr)
        return 130
    status = sweep_status(args.store)
    print(f"raf: {len(df)} points in {args.store}: {status.done} done, {status.failed} failed, "
          f"{status.not_converged} not converged", file=sys.stderr)
    return store_exit(status)


def _saved(store):
    """What an interrupted sweep left in its store, in a few words (read-only)."""
    import os

    from ..sweep import sweep_status

    if not os.path.exists(store):
        return f"nothing was saved ({store} was not created)"
    try:
        st = sweep_status(store)
    except (ParameterError, KeyboardInterrupt):
        return f"the finished points are in {store}: run the same command to resume"
    stored = st.done + st.failed + st.not_converged
    of = f" of {st.total}" if st.total is not None else ""
    return f"{stored}{of} points are saved in {store}: run the same command to resume"


def cmd_sweep_status(args):
    from ..sweep import sweep_status

    print(sweep_status(args.store).summary())
    return EXIT_OK


def cmd_sweep_export(args):
    from ..sweep import export_results, sweep_status

    status = sweep_status(args.store)
    text = export_results(args.store, args.out, args.format)
    if text is not None:
        sys.stdout.write(text)
    else:
        print(f"raf: {status.done + status.failed + status.not_converged} points written to {args.out}",
              file=sys.stderr)
    return store_exit(status)
