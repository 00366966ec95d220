"""The commands on other data and learners: ``raf realdata`` (image classes) and ``raf network`` (trained networks).

Each handler converts its options, calls :func:`rafmodel.realdata` or
:func:`rafmodel.network.train_network` and prints the records.
"""

from __future__ import annotations

import math
import sys

from .._options import UsageError, _loss_from_args, check_grid, parse_values
from ._common import EXIT_NOT_CONVERGED, EXIT_OK, emit, progress


def _class_list(name, text, count):
    items = [t.strip() for t in text.split(",")]
    if len(items) != count or not all(t.lstrip("-").isdigit() for t in items):
        want = "two class numbers A,B" if count == 2 else "one class number"
        raise UsageError(f"{name}: expected {want}, got {text!r}")
    return tuple(int(t) for t in items)


def cmd_realdata(args):
    from ..real_data import realdata

    rule = _class_list("rule", args.rule, 2)
    facts = "rule" if str(args.facts).strip().lower() == "rule" else _class_list("facts", args.facts, 1)[0]
    v = {k: parse_values(k, getattr(args, k)) for k in ("alpha", "eps", "lam", "bandwidth")}
    check_grid(v)
    res = realdata(args.dataset, rule=rule, facts=facts, alpha=v["alpha"], eps=v["eps"], lam=v["lam"],
                   kernel=args.kernel, bandwidth=v["bandwidth"], loss=args.loss, seeds=args.seeds, seed=args.seed,
                   data_dir=args.data_dir, n_test=args.n_test, theory=args.theory, pool=args.pool,
                   progress=progress(args))
    records = res.to_records()
    cols = ["dataset", "rule", "facts", "kernel", "bandwidth", "loss", "alpha", "eps", "lam", "d", "n", "n_test",
            "seeds", "gen_error", "gen_error_se", "mem_error", "mem_error_se", "rule_error", "rule_error_se"]
    if args.theory == "isotropic":
        cols += ["mu1", "mustar", "gen_error_theory", "mem_error_theory"]
    elif args.theory:
        cols += ["theory", "pool", "gen_error_theory", "mem_error_theory"]
    emit(records, cols if not args.json else list(records[0]), args, single=len(records) == 1)
    if args.theory:
        print(res.fit_summary(), file=sys.stdout if not (args.json or args.csv) else sys.stderr)
    failed = sum(r["failed"] for r in records)
    if failed:
        print(f"raf: warning: {failed} fits failed their certificate (kept out of the means)", file=sys.stderr)
    return EXIT_NOT_CONVERGED if failed else EXIT_OK


def cmd_network(args):
    from ..network import network_grid, train_network

    loss = _loss_from_args(args)
    values = {k: parse_values(k, getattr(args, k)) for k in ("alpha", "eps", "lam", "kappa", "steps", "lr")}
    for st in values["steps"]:
        if st != int(st):
            raise UsageError(f"steps: must be a positive integer, got {st:g}")
    choices = {k: [c.strip() for c in getattr(args, k).split(",")]
               for k in ("activation", "train", "scaling", "optimizer")}
    check_grid({**values, **choices})  # an upper bound: readout ignores some of them
    settings = network_grid(**values, **choices, loss=loss, device=args.device)
    if args.curves:
        from ..experiments import check_output_path

        check_output_path(args.curves, "curves", formats=("csv",))
    res = train_network(settings, d=args.d, seeds=args.seeds, n_test=args.n_test, seed=args.seed,
                        record_every=args.record_every, progress=progress(args))
    records = res.to_records()
    if args.curves:
        res.curves.to_csv(args.curves, index=False)
    cols = ["model", "loss", "activation", "train", "scaling", "optimizer", "alpha", "eps", "lam", "kappa", "lr",
            "d", "seeds", "device", "steps", "gen_error", "gen_error_se", "mem_error", "mem_error_se",
            "rule_error", "rule_error_se", "train_loss", "certificate"]
    if any("gen_error_theory" in r for r in records):
        cols += ["gen_error_theory", "mem_error_theory"]
    if args.json or args.csv:
        cols = list(dict.fromkeys(k for r in records for k in r))
    for r in records:
        for c in cols:
            r.setdefault(c, math.nan)
    emit(records, cols, args, single=len(records) == 1)
    failed = sum(r["failed"] for r in records)
    if failed:
        print(f"raf: warning: {failed} trainings failed (diverged or not certified)", file=sys.stderr)
        return EXIT_NOT_CONVERGED
    return EXIT_OK
