"""The simulation commands: ``raf simulate`` (optionally into a store), ``raf compare`` and ``raf facts``.

Each handler converts its options, calls :func:`rafmodel.simulate_many`,
:func:`rafmodel.sweep.simulate_to_file` or :func:`rafmodel.compare`, and prints the records.
"""

from __future__ import annotations

import math
import sys

from .._options import _settings_from_args
from ._common import (EXIT_NOT_CONVERGED, EXIT_OK, PARAM_COLUMNS, emit, label, missing, plot_variable, point_text,
                      progress, require_theory, save_plot, store_warnings, warn_failed)


def _check_simulation_args(args, settings):
    """Every simulation option and size, before any work."""
    from ..simulation import check_simulation

    check_simulation(settings, d=args.d, seeds=args.seeds, n_test=args.n_test, seed=args.seed, n_jobs=args.jobs)


def cmd_simulate(args):
    settings, labels, values, spec = _settings_from_args(args)
    _check_simulation_args(args, settings)
    if args.out:
        records, n_failed = _simulate_to_file(args, settings)
    else:
        from ..simulation import simulate_many

        sims = simulate_many(settings, d=args.d, seeds=args.seeds, n_test=args.n_test, seed=args.seed,
                             n_jobs=args.jobs, progress=progress(args))
        records = label([r.to_dict() for r in sims], labels)
        n_failed = warn_failed(sims)
    cols = ["model", "loss", "alpha", "eps", "lam", *(k for k in records[0] if k in PARAM_COLUMNS), "d", "seeds",
            "gen_error", "gen_error_se", "mem_error", "mem_error_se", "rule_error", "rule_error_se"]
    if any(math.isfinite(float(r["m"])) for r in records):
        cols += ["m", "m_se", "q", "q_se"]
    emit(records, cols if not args.json else list(records[0]), args, single=len(records) == 1)
    return EXIT_NOT_CONVERGED if n_failed else EXIT_OK


def _simulate_to_file(args, settings):
    """``--out``: the points through the store behind the file (:func:`rafmodel.sweep.simulate_to_file`)."""
    from ..sweep import simulate_to_file

    with store_warnings("simulate"):
        df, computed, store = simulate_to_file(settings, args.out, d=args.d, seeds=args.seeds, n_test=args.n_test,
                                               seed=args.seed, n_jobs=args.jobs, progress=progress(args),
                                               name="out")
    print(f"raf: {computed} points computed, {len(df) - computed} read back from {store}", file=sys.stderr)
    records = []
    for rec in df.to_dict("records"):
        if rec["status"] != "done":
            print(f"raf: warning: point {point_text(rec)} failed: {rec['error']}", file=sys.stderr)
        records.append({k: v for k, v in rec.items() if not (k in PARAM_COLUMNS and missing(v))})
    return records, sum(r["status"] != "done" for r in records)


def cmd_compare(args):
    from ..experiments import compare, plot_comparison

    settings, labels, values, spec = _settings_from_args(args)
    var = plot_variable(args, values, spec)
    _check_simulation_args(args, settings)
    require_theory(s.learner for s in settings)
    records, theory, sims = compare(settings, d=args.d, seeds=args.seeds, n_test=args.n_test, seed=args.seed,
                                    n_jobs=args.jobs, progress=progress(args))
    records = label(records, labels)
    emit(records, list(records[0]), args, single=len(records) == 1)  # the table too: *_se beside *_z
    if var is not None:
        save_plot(lambda: plot_comparison(settings, sims, var, args.plot), args.plot)
    status = warn_failed(sims)
    if not all(r["converged"] for r in records):
        print("raf: warning: the theory did not converge at some points (empty values)", file=sys.stderr)
        status = EXIT_NOT_CONVERGED
    return status


def cmd_facts(args):
    """``raf facts``: the AUC of the fact detectors on data, beside AMP's prediction (:func:`rafmodel.fact_detection`)."""
    import itertools

    from .._options import UsageError, _number, check_grid, parse_values
    from ..facts import fact_detection

    values = {k: parse_values(k, getattr(args, k)) for k in ("alpha", "eps")}
    lam = _number("lam", args.lam)  # one number (the option's name is shared with other commands: kept as text)
    check_grid(values)
    if len(values["alpha"]) * len(values["eps"]) * args.seeds > 1000:
        raise UsageError("seeds: more than 1000 repetitions (points x seeds); use fewer")
    records = []
    for alpha, eps in itertools.product(values["alpha"], values["eps"]):
        records += fact_detection(alpha, eps, d=args.d, seeds=args.seeds, seed=args.seed, lam=lam,
                                  progress=progress(args)).to_records()
    emit(records, list(records[0]), args, single=len(records) == 1)
    failed = sum(r["failed"] for r in records)
    if failed:
        print(f"raf: warning: {failed} detector runs failed (AMP not converged or a solver's certificate not met); "
              "they are left out of the means", file=sys.stderr)
        return EXIT_NOT_CONVERGED
    return EXIT_OK
