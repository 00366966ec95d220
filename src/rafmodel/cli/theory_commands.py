"""The theory commands: ``raf theory``, ``bayes``, ``capacity``, ``optimal-lambda`` and ``rate``.

Each handler converts its options, calls one library function per point or grid and prints
the records (:func:`rafmodel.cli._common.emit`).
"""

from __future__ import annotations

import sys

from .._options import (UsageError, _loss_from_args, _number, _settings_from_args, check_grid, learners_from_args,
                        parse_values)
from .._validation import check_nonnegative_finite, check_positive_finite, check_unit_interval
from ._common import (EXIT_OK, PARAM_COLUMNS, emit, exit_status, label, plot_variable, progress, require_theory,
                      save_plot)


def cmd_theory(args):
    from ..theory import solve_many

    settings, labels, values, spec = _settings_from_args(args)
    var = plot_variable(args, values, spec)
    require_theory(s.learner for s in settings)
    res = solve_many(settings, progress=progress(args, len(settings) > 200 and sys.stderr.isatty()), warn=False,
                     tol=args.tol, max_iter=args.max_iter, method=args.method, n_jobs=args.jobs)
    records = label(res.to_records(), labels)
    cols = ["model", "loss", "alpha", "eps", "lam", *(k for k in records[0] if k in PARAM_COLUMNS),
            "m", "q", "V", "gen_error", "mem_error", "rule_error", "converged", "iterations"]
    if args.json:
        cols = list(records[0])
    emit(records, cols, args, single=len(records) == 1)
    if var is not None:
        from ..experiments import plot_theory

        save_plot(lambda: plot_theory(settings, res, var, args.plot), args.plot)
    return exit_status(records)


def cmd_bayes(args):
    import itertools

    from ..theory.bayes import bayes_optimal

    v = _checked(args, alpha=check_positive_finite, eps=check_unit_interval)
    check_grid(v)
    combos = list(itertools.product(v["alpha"], v["eps"]))
    records = bayes_optimal([c[0] for c in combos], [c[1] for c in combos]).to_records()
    emit(records, ["alpha", "eps", "q", "gen_error", "converged", "iterations"], args, single=len(records) == 1)
    return exit_status(records)


def cmd_capacity(args):
    from .._options import parse_inputs
    from ..theory.capacity import interpolation_thresholds

    _, learners = learners_from_args(args)
    inputs = parse_inputs(getattr(args, "inputs", None) or "isotropic")
    eps_list = _checked(args, eps=check_unit_interval)["eps"]
    check_grid({"eps": eps_list}, len(learners))
    where = {} if inputs.isotropic else {"inputs": repr(inputs)}
    records = []
    for eps in eps_list:
        for labels, lrn in learners:
            P = {k: float(v) for k, v in lrn.params().items()}
            rec = {"model": lrn.name, **labels, "eps": eps, **P, **where, **interpolation_thresholds(lrn, eps, inputs)}
            records.append(rec)
    emit(records, list(records[0]), args, single=len(records) == 1)
    return EXIT_OK


def cmd_optimal_lambda(args):
    from ..theory.optimal import optimal_lambda

    _, learners = learners_from_args(args)
    loss = _loss_from_args(args)
    values = _checked(args, alpha=check_positive_finite, eps=check_unit_interval)
    mem_tol = _number("mem_tol", args.mem_tol)
    if not 0 <= mem_tol < 1:
        raise UsageError(f"mem_tol: must be in [0, 1), got {args.mem_tol.strip()!r}")
    check_grid(values, len(learners))
    require_theory(lrn for _, lrn in learners)
    records, labels = [], []
    for alpha in values["alpha"]:
        for eps in values["eps"]:
            for lab, lrn in learners:
                r = optimal_lambda(learner=lrn, loss=loss, alpha=alpha, eps=eps, mem_tol=mem_tol)
                records.append(r.to_dict())
                labels.append(lab)
    records = label(records, labels)
    cols = ["model", "loss", "alpha", "eps", *(k for k in records[0] if k in PARAM_COLUMNS), "lam_opt", "gen_error",
            "mem_error", "lam_opt_closed_form", "gen_error_at_zero", "interpolates_at_optimum", "stores_facts",
            "memorization_cost", "at_boundary"]
    emit(records, cols if not args.json else list(records[0]), args, single=len(records) == 1)
    return EXIT_OK


def _checked(args, **checks):
    """Parse list/range options and check each with its function, as one dict of lists (before any work)."""
    from .._validation import ParameterError

    out = {k: parse_values(k, getattr(args, k)) for k in checks}
    try:
        for k, check in checks.items():
            check(k, out[k])
    except ParameterError as e:
        raise UsageError(str(e)) from None
    return out


def cmd_rate(args):
    from ..theory.optimal import large_alpha_rate

    name, learners = learners_from_args(args, allow_bayes=True)
    records = []
    try:
        if name == "bayes":
            for e in parse_values("eps", args.eps):
                records.append({"model": "bayes", "eps": e, **large_alpha_rate(learner="bayes", eps=e).to_dict()})
        else:
            loss = _loss_from_args(args)
            values = _checked(args, eps=check_unit_interval, lam=check_nonnegative_finite)
            check_grid(values, len(learners))
            require_theory(lrn for _, lrn in learners)
            for e in values["eps"]:
                for lam in values["lam"]:
                    for _, lrn in learners:
                        r = large_alpha_rate(learner=lrn, loss=loss, eps=e, lam=lam)
                        records.append({"model": lrn.name, "loss": loss.name, "eps": e, "lam": lam, **lrn.params(),
                                        **r.to_dict()})
    except ValueError as err:  # the rate is not defined there (e.g. eps = 1)
        raise UsageError(str(err)) from None
    emit(records, list(records[0]), args, single=len(records) == 1)
    return EXIT_OK
