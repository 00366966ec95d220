"""The ``raf`` command line.

``raf theory``    exact asymptotic errors of a learner trained on RAF data
``raf bayes``     Bayes-optimal generalization error
``raf capacity``  interpolation threshold of the linear classifier
``raf optimal-lambda``  the lam minimizing gen_error, and whether memorizing is then free
``raf rate``      large-alpha decay of gen_error
``raf simulate``  finite-size simulations with error bars
``raf compare``   theory and simulation side by side (and a plot)
``raf realdata``  rules and facts from image classes (digits, MNIST, CIFAR-10), beside the theory

Every numeric option takes a number, a comma-separated list (``0.5,1,2``) or a
range ``start:stop:num`` (linear) / ``start:stop:num:log`` (log-spaced); the
output has one row per combination.  Exit status: 0 on success, 1 if some
point did not converge (its row is kept, flagged, with empty values), 2 on bad
input.
"""

from __future__ import annotations

import argparse
import itertools
import math
import sys

from ._validation import describe
from .exceptions import ParameterError

EXIT_OK, EXIT_NOT_CONVERGED, EXIT_USAGE = 0, 1, 2

#: Most points one command may compute (a grid's combinations, a range's count).
MAX_POINTS = 1_000_000

#: The library's parameter names that the command line spells otherwise.
_OPTION_NAMES = {"n_test": "n-test", "max_iter": "max-iter", "n_jobs": "jobs", "data_dir": "data-dir"}


class UsageError(Exception):
    """Bad command-line input: printed as one line, exit status 2."""


def parse_values(name, text):
    """Parse ``"1,2,3"``, ``"0.5:10:20"`` or ``"1e-3:10:40:log"`` into a list of floats."""
    text = text.strip()
    if not text:
        raise UsageError(f"{name}: empty value; give a number, a list a,b,c or a range start:stop:num[:log]")
    if ":" in text:
        parts = text.split(":")
        if len(parts) not in (3, 4) or (len(parts) == 4 and parts[3] != "log"):
            raise UsageError(f"{name}: bad range {text!r}; use start:stop:num or start:stop:num:log")
        start, stop = (_number(name, p) for p in parts[:2])
        try:
            num = int(parts[2])
        except ValueError:
            raise UsageError(f"{name}: range count must be a positive integer, got {parts[2]!r}") from None
        if num < 1:
            raise UsageError(f"{name}: range count must be a positive integer, got {num}")
        if num > MAX_POINTS:
            raise UsageError(f"{name}: range count must be at most {MAX_POINTS}, got {num}")
        if len(parts) == 4:
            if start <= 0 or stop <= 0:
                raise UsageError(f"{name}: a log range needs start > 0 and stop > 0, got {text!r}")
            ls, le = math.log(start), math.log(stop)
            return [math.exp(ls + (le - ls) * i / (num - 1)) if num > 1 else start for i in range(num)]
        return [start + (stop - start) * i / (num - 1) if num > 1 else start for i in range(num)]
    items = text.split(",")
    if len(items) > MAX_POINTS:
        raise UsageError(f"{name}: at most {MAX_POINTS} values, got {len(items)}")
    return [_number(name, p) for p in items]


def _number(name, s):
    try:
        x = float(s)
    except ValueError:
        raise UsageError(f"{name}: not a number: {s.strip()!r}") from None
    if not math.isfinite(x):
        raise UsageError(f"{name}: must be a finite number, got {s.strip()!r}")
    return x


_TYPED_OPTIONS = {}  # dest -> (option name, converter): converted in main, so errors are one line


def _float_option(name):
    _TYPED_OPTIONS[name.replace("-", "_")] = (name, lambda text: _number(name, text))
    return str


def _int_option(name):
    def conv(text):
        try:
            return int(text.strip())
        except ValueError:
            raise UsageError(f"{name}: must be an integer, got {text.strip()!r}") from None
    _TYPED_OPTIONS["jobs" if name == "jobs" else name.replace("-", "_")] = (name, conv)
    return str


def _convert_options(args):
    for dest, (_, conv) in _TYPED_OPTIONS.items():
        val = getattr(args, dest, None)
        if isinstance(val, str):
            setattr(args, dest, conv(val))


def _add_model_options(p, bayes=False):
    models = "linear, kernel, rf" + (" or bayes" if bayes else "")
    p.add_argument("--model", required=True, help=f"learner: {models}")
    p.add_argument("--loss", required=not bayes, help="loss: square, hinge or logistic")
    p.add_argument("--mu1", help=f"kernel, rf: linear coefficient mu1 ({describe('Kernel', 'mu1')})")
    p.add_argument("--mustar", help=f"kernel, rf: nonlinear / memory coefficient mu* ({describe('Kernel', 'mustar')})")
    p.add_argument("--kappa", help=f"rf: features per dimension p/d ({describe('RandomFeatures', 'kappa')})")
    p.add_argument("--activation", help="rf: activation instead of --mu1/--mustar (relu, tanh, erf, sign, "
                                        "abs, sigmoid, gelu, quadratic, linear, step; a comma list)")
    p.add_argument("--kernel", help="kernel: dot-product kernel instead of --mu1/--mustar (rbf, polynomial, "
                                    "arccos, arccos0, sign, erf, linear)")
    p.add_argument("--bandwidth", help="--kernel rbf: bandwidth c in exp(-c|x-x'|^2/(2d)) (> 0)")
    p.add_argument("--degree", help="--kernel polynomial: degree (positive integer)")
    p.add_argument("--offset", help="--kernel polynomial: c in (c + x.x'/d)^degree (>= 0)")


def _add_grid_options(p, lam=True):
    p.add_argument("--alpha", required=True, help=f"samples per dimension n/d ({describe('Setting', 'alpha')})")
    p.add_argument("--eps", required=True, help=f"fraction of facts ({describe('Setting', 'eps')})")
    if lam:
        p.add_argument("--lam", required=True, help=f"ridge penalty ({describe('Setting', 'lam')}; 0 = "
                                                    "interpolating / unregularized limit)")


def _add_solver_options(p):
    g = p.add_argument_group("solver")
    g.add_argument("--tol", type=_float_option("tol"), default=1e-11,
                   help=f"convergence tolerance, {describe('SolverOptions', 'tol')} (default 1e-11)")
    g.add_argument("--max-iter", type=_int_option("max-iter"), default=1000,
                   help=f"iterations per point, {describe('SolverOptions', 'max_iter')} (default 1000)")
    g.add_argument("--method", choices=("auto", "closed", "quadrature"), default="auto",
                   help="channel: closed form when available (auto), or Gauss quadrature")


def _add_simulation_options(p):
    g = p.add_argument_group("simulation")
    g.add_argument("--d", type=_int_option("d"), default=500,
                   help=f"input dimension, {describe('simulate', 'd')} (default 500)")
    g.add_argument("--seeds", type=_int_option("seeds"), default=4,
                   help=f"independent repetitions, {describe('simulate', 'seeds')} (default 4)")
    g.add_argument("--n-test", type=_int_option("n-test"), default=10_000,
                   help=f"fresh test samples per repetition, {describe('simulate', 'n_test')} (default 10000)")
    g.add_argument("--seed", type=_int_option("seed"), default=0,
                   help=f"base seed, {describe('simulate', 'seed')} (default 0)")
    g.add_argument("--jobs", type=_int_option("jobs"), default=1,
                   help="processes for the repetitions (default 1; -1: all cores; capped at the cores available)")


def _add_output_options(p):
    g = p.add_argument_group("output")
    g.add_argument("--json", action="store_true", help="JSON: one object for one point, else an array")
    g.add_argument("--csv", action="store_true", help="CSV with a header line")
    g.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None,
                   help="progress bar on stderr (default: for more than 200 points on a terminal)")


def _subcommand(sub, name, func, help, description, *adders):
    """A subcommand: its option groups (``adders``, each ``adder(parser)``), the output options, its function."""
    p = sub.add_parser(name, help=help, description=description)
    for add in adders:
        add(p)
    _add_output_options(p)
    p.set_defaults(func=func)
    return p


def _plot_option(text):
    def add(p):
        p.add_argument("--plot", metavar="FILE", help=text)
    return add


def _out_option(p):
    p.add_argument("--out", metavar="FILE.csv", help="append each finished point to this CSV at once, and "
                                                     "resume: points already in it are not recomputed")


def _add_figure_options(p, per_figure=True):
    p.add_argument("--out", metavar="DIR", help="folder to write into (created if needed)")
    p.add_argument("--quick", action="store_true", help="reduced resolution (tests, previews)")
    p.add_argument("--no-sim", dest="sim", action="store_false", help="theory only: no simulation points")
    p.add_argument("--force", action="store_true", help="recompute even if the folder holds the same figure")
    p.add_argument("--jobs", type=_int_option("jobs"), default=-1, help="processes for the simulations (default -1: all cores; "
                                                       "the numbers do not depend on it)")
    p.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None,
                   help="progress bars on stderr (default: on a terminal)")
    if not per_figure:
        return
    from .figures import FIGURES, list_figures

    users: dict = {}
    for name in list_figures():
        for k, c in FIGURES[name].constraints.items():
            users.setdefault(k, (c, []))[1].append(name)
    g = p.add_argument_group("figure parameters (numbers, lists a,b,c or ranges start:stop:num[:log])")
    for k, (c, names) in users.items():
        g.add_argument(f"--{k.replace('_', '-')}", dest=f"fig_{k}", metavar="V",
                       help=f"{c.describe()}; used by {', '.join(names)}")


def build_parser():
    from . import __version__

    parser = argparse.ArgumentParser(
        prog="raf", description="The Rules-and-Facts model: exact asymptotics of generalization and memorization.")
    parser.add_argument("--version", action="version", version=f"rafmodel {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True

    _subcommand(sub, "theory", cmd_theory, "exact asymptotic errors (replica fixed point)",
                "Exact asymptotic m, q, V, gen_error, mem_error, rule_error of a learner on RAF data. "
                "Lists and ranges give one row per combination.",
                _add_model_options, _add_grid_options, _add_solver_options,
                _plot_option("save gen_error, mem_error, rule_error along the one parameter given as a list "
                             "(png, pdf, svg)"))
    _subcommand(sub, "simulate", cmd_simulate, "finite-size simulations with error bars",
                "Sample RAF data at dimension d, train the learner, and report the mean and standard error over "
                "seeds of gen_error, mem_error, rule_error (and m, q where defined). Options as for raf theory.",
                _add_model_options, _add_grid_options, _add_simulation_options, _out_option)
    _subcommand(sub, "compare", cmd_compare, "theory and simulation side by side",
                "Theory and finite-size simulation of the same settings side by side, with the distance in "
                "standard errors (z = (sim - theory) / se). With a list along one parameter, --plot FILE draws "
                "the theory curve and the simulation points with error bars.",
                _add_model_options, _add_grid_options, _add_simulation_options,
                _plot_option("save a plot (png, pdf, svg) along the parameter that varies"))

    _subcommand(sub, "realdata", cmd_realdata, "rules and facts from image classes, beside the theory",
                "Two classes of a labelled image dataset are the rule (+1/-1), images of a third class with "
                "random labels are the facts; a kernel learner without intercept (RBF bandwidth eta relative "
                "to the median squared distance of the training inputs) is trained with the square loss "
                "(kernel ridge) or the hinge loss (kernel SVM). Mean and standard error over --repeats of "
                "gen_error (held-out rule images), mem_error and rule_error; --theory adds the Gaussian "
                "theory of the same kernel. Nothing is downloaded: mnist, fashion-mnist and cifar10 are read "
                "from --data-dir or $RAF_DATA.",
                _add_realdata_options)

    p = sub.add_parser("figure", help="one of the paper's findings as a figure (png, pdf, csv)",
                       description="Compute a figure and write NAME.png, NAME.pdf, NAME.csv (the plotted "
                                   "numbers) and NAME.json (caption, parameters, command) to --out. An "
                                   "unchanged figure already in the folder is not recomputed. --list names them.")
    p.add_argument("name", nargs="?", help="the figure (see --list)")
    p.add_argument("--list", action="store_true", help="list the figures with a one-line description")
    _add_figure_options(p)
    p.set_defaults(func=cmd_figure)

    p = sub.add_parser("report", help="every figure and an offline HTML page (index.html)",
                       description="Build every figure into --out and write --out/index.html: one offline page "
                                   "with each figure, its finding, parameters, the command that regenerates it "
                                   "and its data. Figures already there and unchanged are not recomputed.")
    _add_figure_options(p, per_figure=False)
    p.set_defaults(func=cmd_report)

    p = sub.add_parser("bayes", help="Bayes-optimal generalization error",
                       description="Bayes-optimal overlap q and gen_error of the RAF model (the best any "
                                   "learner can do), for every combination of alpha and eps.")
    _add_grid_options(p, lam=False)
    _add_output_options(p)
    p.set_defaults(func=cmd_bayes)

    p = sub.add_parser("capacity", help="interpolation thresholds (separability, min-norm fit)",
                       description="Interpolation thresholds on RAF data: alpha_c, below which the learner "
                                   "separates every training label with a margin (max-margin / hinge at "
                                   "lam = 0 exists), and alpha_c_square, below which it fits every label "
                                   "exactly (min-norm interpolator). Default --model linear.")
    p.add_argument("--eps", required=True, help="fraction of facts (in [0, 1])")
    p.add_argument("--model", default="linear", help="learner: linear (default), kernel or rf")
    for opt in ("mu1", "mustar", "kappa", "activation", "kernel", "bandwidth", "degree", "offset"):
        p.add_argument(f"--{opt}", help="as for raf theory")
    _add_output_options(p)
    p.set_defaults(func=cmd_capacity)

    p = sub.add_parser("optimal-lambda", help="the lam that minimizes gen_error",
                       description="The ridge penalty lam_opt minimizing gen_error, the errors there, and "
                                   "whether the learner can memorize every fact while generalizing optimally.")
    _add_model_options(p)
    _add_grid_options(p, lam=False)
    _add_output_options(p)
    p.set_defaults(func=cmd_optimal_lambda)

    p = sub.add_parser("rate", help="large-alpha decay of gen_error",
                       description="Decay exponent and constant of gen_error ~ constant * alpha^-exponent "
                                   "at large alpha, measured on the fixed point, with docs/theory.md's closed "
                                   "forms where known (--model bayes: the Bayes-optimal error).")
    _add_model_options(p, bayes=True)
    p.add_argument("--eps", required=True, help="fraction of facts (in [0, 1))")
    p.add_argument("--lam", default="1", help="ridge penalty (default 1; irrelevant as alpha -> infinity)")
    _add_output_options(p)
    p.set_defaults(func=cmd_rate)
    return parser


def _add_realdata_options(p):
    p.add_argument("--dataset", default="digits", help="digits (default, ships with scikit-learn), mnist, "
                                                       "fashion-mnist or cifar10")
    p.add_argument("--data-dir", metavar="DIR", help="directory of the dataset's files (default $RAF_DATA); "
                                                     "IDX files for mnist / fashion-mnist, python batches for cifar10")
    p.add_argument("--rule", default="3,5", help="the two rule classes A,B (labels +1, -1; default 3,5)")
    p.add_argument("--facts", default="8", help="the class whose images get random labels (default 8)")
    _add_grid_options(p)
    p.add_argument("--kernel", default="rbf", help="rbf (default), polynomial, arccos, arccos0, sign, erf, linear")
    p.add_argument("--eta", default="1", help="rbf bandwidth relative to the median squared distance m of the "
                                              "training inputs, k = exp(-eta|x-x'|^2/m) (default 1)")
    p.add_argument("--loss", default="square", help="square (kernel ridge, default) or hinge (kernel SVM)")
    p.add_argument("--repeats", type=_int_option("repeats"), default=5, help="independent repetitions (default 5)")
    p.add_argument("--seed", type=_int_option("seed"), default=0, help="base seed (default 0)")
    p.add_argument("--n-test", type=_int_option("n-test"), default=None,
                   help="test images per repetition (default: all held-out rule images, balanced)")
    p.add_argument("--theory", action="store_true", help="add the Gaussian theory of the same kernel "
                                                         "(gen_error_theory, mem_error_theory)")


def _class_list(name, text, count):
    items = [t.strip() for t in text.split(",")]
    if len(items) != count or not all(t.lstrip("-").isdigit() for t in items):
        want = "two class numbers A,B" if count == 2 else "one class number"
        raise UsageError(f"{name}: expected {want}, got {text!r}")
    return tuple(int(t) for t in items)


def cmd_realdata(args):
    from .real_data import realdata

    rule = _class_list("rule", args.rule, 2)
    facts = _class_list("facts", args.facts, 1)[0]
    v = {k: parse_values(k, getattr(args, k)) for k in ("alpha", "eps", "lam", "eta")}
    res = realdata(args.dataset, rule=rule, facts=facts, alpha=v["alpha"], eps=v["eps"], lam=v["lam"],
                   kernel=args.kernel, eta=v["eta"], loss=args.loss, repeats=args.repeats, seed=args.seed,
                   data_dir=args.data_dir, n_test=args.n_test, theory=args.theory, progress=_progress(args))
    records = res.to_records()
    cols = ["dataset", "rule", "facts", "kernel", "eta", "loss", "alpha", "eps", "lam", "d", "n", "n_test",
            "repeats", "gen_error", "gen_error_se", "mem_error", "mem_error_se", "rule_error", "rule_error_se"]
    if args.theory:
        cols += ["mu1", "mustar", "gen_error_theory", "mem_error_theory"]
    emit(records, cols if not args.json else list(records[0]), args, single=len(records) == 1)
    if args.theory:
        print(res.fit_summary(), file=sys.stdout if not (args.json or args.csv) else sys.stderr)
    failed = sum(r["failed"] for r in records)
    if failed:
        print(f"raf: warning: {failed} fits failed their certificate (kept out of the means)", file=sys.stderr)
    return EXIT_NOT_CONVERGED if failed else EXIT_OK


def _product_settings(model, loss, values, spec):
    """Settings for every combination, and the label columns (activation / kernel) of each."""
    count = math.prod(len(v) for v in values.values())
    count *= len(spec) if isinstance(spec, list) else math.prod(len(v) for v in spec.values())
    if count > MAX_POINTS:
        raise UsageError(f"grid: {count} combinations of the options given, more than the {MAX_POINTS} "
                         "one command may compute; split the sweep")
    from ._validation import ParameterError
    from .setting import grid

    try:
        if isinstance(spec, list):  # named learners: (label, learner) pairs, varying fastest
            settings = grid(learner=[lrn for _, lrn in spec], loss=loss, **values)
            return settings, [spec[i % len(spec)][0] for i in range(len(settings))]
        return grid(learner=model, loss=loss, **values, **spec), []
    except ParameterError as e:
        raise UsageError(str(e)) from None


def _label(records, labels):
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


_PARAM_COLUMNS = ("activation", "kernel", "bandwidth", "degree", "offset", "kappa", "mu1", "mustar")


def cmd_optimal_lambda(args):
    from .theory.optimal import optimal_lambda

    model, spec = _learner_from_args(args)
    loss = _loss_from_args(args)
    values = {k: parse_values(k, getattr(args, k)) for k in ("alpha", "eps")}
    settings, labels = _product_settings(model, loss, {**values, "lam": [0.0]}, spec)
    records = []
    for s in settings:
        try:
            r = optimal_lambda(learner=s.learner, loss=s.loss, alpha=s.alpha, eps=s.eps)
        except NotImplementedError as e:
            raise UsageError(str(e)) from None
        records.append(r.to_dict())
    records = _label(records, labels)
    cols = ["model", "loss", "alpha", "eps", *(k for k in records[0] if k in _PARAM_COLUMNS), "lam_opt", "gen_error", "mem_error", "lam_opt_closed_form",
            "gen_error_at_zero", "memorizes_at_optimum", "memorization_cost", "at_boundary"]
    emit(records, cols if not args.json else list(records[0]), args, single=len(records) == 1)
    return EXIT_OK


def cmd_rate(args):
    from .theory.optimal import large_alpha_rate

    model, spec = _learner_from_args(args, allow_bayes=True)
    eps_list = parse_values("eps", args.eps)
    lam_list = parse_values("lam", args.lam)
    records = []
    if model == "bayes":
        combos = [(None, e, None) for e in eps_list]
    else:
        loss = _loss_from_args(args)
        combos = [(s.learner, s.eps, s.lam) for s in
                  _product_settings(model, loss, {"alpha": [1.0], "eps": eps_list, "lam": lam_list}, spec)[0]]
    for learner, e, lam in combos:
        try:
            if learner is None:
                r = large_alpha_rate(learner="bayes", eps=e)
                rec = {"model": "bayes", "eps": e}
            else:
                r = large_alpha_rate(learner=learner, loss=args.loss, eps=e, lam=lam)
                rec = {"model": learner.name, "loss": args.loss.lower(), "eps": e, "lam": lam,
                       **learner.params()}
        except ValueError as err:
            raise UsageError(str(err)) from None
        rec.update(r.to_dict())
        records.append(rec)
    cols = list(records[0])
    emit(records, cols, args, single=len(records) == 1)
    return EXIT_OK


def _values(names, args, check):
    """Parse list/range options and validate them, as one dict of lists."""
    from ._validation import ParameterError

    out = {k: parse_values(k, getattr(args, k)) for k in names}
    try:
        for k, v in out.items():
            check[k](k, v)
    except ParameterError as e:
        raise UsageError(str(e)) from None
    return out


def cmd_bayes(args):
    import itertools

    from ._validation import check_positive_finite, check_unit_interval
    from .theory.bayes import bayes_optimal

    v = _values(("alpha", "eps"), args, {"alpha": check_positive_finite, "eps": check_unit_interval})
    combos = list(itertools.product(v["alpha"], v["eps"]))
    res = bayes_optimal([c[0] for c in combos], [c[1] for c in combos])
    records = res.to_records()
    emit(records, ["alpha", "eps", "q", "gen_error", "converged", "iterations"], args,
         single=len(records) == 1)
    return _exit_status(records)


def cmd_capacity(args):
    from .losses import Hinge, Square
    from .theory.capacity import interpolation_threshold

    model, spec = _learner_from_args(args)
    eps_list = parse_values("eps", args.eps)
    settings, labels = _product_settings(model, Square(), {"alpha": [1.0], "eps": eps_list, "lam": [0.0]}, spec)
    records = []
    for s in settings:
        P = {k: float(v) for k, v in s.learner.params().items()}
        try:
            margin = float(interpolation_threshold(s.learner, Hinge(), s.eps, P))
        except RuntimeError as e:
            raise UsageError(f"eps: {e}") from None
        exact = float(interpolation_threshold(s.learner, Square(), s.eps, P))
        records.append({"model": s.learner.name, "eps": s.eps, **P, "alpha_c": margin, "alpha_c_square": exact})
    records = _label([{"loss": None, **r} for r in records], labels)
    records = [{k: v for k, v in r.items() if k != "loss"} for r in records]
    emit(records, list(records[0]), args, single=len(records) == 1)
    return EXIT_OK


def _simulations(args, settings):
    from .simulation import simulate_many

    progress = args.progress if args.progress is not None else sys.stderr.isatty()
    return simulate_many(settings, d=args.d, seeds=args.seeds, n_test=args.n_test, seed=args.seed,
                         n_jobs=args.jobs, progress=progress)


def _check_simulation_args(args, settings):
    """Every simulation option and size, before any work."""
    from .simulation import check_simulation

    check_simulation(settings, d=args.d, seeds=args.seeds, n_test=args.n_test, seed=args.seed, n_jobs=args.jobs)


def _warn_failed(sims):
    bad = [(s, r) for s, r in ((s, s.n_failed) for s in sims) if r]
    for s, r in bad:
        errs = sorted({i["error"] for i in s.info if "error" in i})
        print(f"raf: warning: {r} of {s.n_seeds} repetitions failed at {s.setting.params()}: {'; '.join(errs)}",
              file=sys.stderr)
    return EXIT_NOT_CONVERGED if bad else EXIT_OK


def cmd_simulate(args):
    settings, labels, values, spec = _settings_from_args(args)
    _check_simulation_args(args, settings)
    if args.out:
        from .experiments import check_output_path

        check_output_path(args.out, "out", formats=("csv",))
        records, n_failed = _simulate_to_file(args, settings, labels)
    else:
        sims = _simulations(args, settings)
        records = _label([r.to_dict() for r in sims], labels)
        n_failed = _warn_failed(sims)
    cols = ["model", "loss", "alpha", "eps", "lam", *(k for k in records[0] if k in _PARAM_COLUMNS), "d", "seeds",
            "gen_error", "gen_error_se", "mem_error", "mem_error_se", "rule_error", "rule_error_se"]
    if any(math.isfinite(float(r["m"])) for r in records):
        cols += ["m", "m_se", "q", "q_se"]
    emit(records, cols if not args.json else list(records[0]), args, single=len(records) == 1)
    return EXIT_NOT_CONVERGED if n_failed else EXIT_OK


_KEY_COLUMNS = ("model", "loss", "alpha", "eps", "lam", "activation", "kernel", "bandwidth", "degree", "offset",
                "kappa", "mu1", "mustar", "d", "seeds", "n_test", "seed")


def _row_key(rec):
    return tuple(repr(float(rec[k])) if isinstance(rec[k], (int, float)) or _is_number(rec[k]) else str(rec[k])
                 for k in _KEY_COLUMNS if k in rec and rec[k] not in ("", None))


def _is_number(x):
    try:
        float(x)
        return True
    except (TypeError, ValueError):
        return False


def _simulate_to_file(args, settings, labels):
    """Simulate point by point, appending each finished row to ``--out`` (CSV); points already
    in the file (same parameters, d, seeds, n_test, seed) are read back, not recomputed."""
    import csv
    import os

    path = args.out
    done = {}
    fields = None
    if os.path.exists(path) and os.path.getsize(path) > 0:
        try:
            with open(path, newline="") as fh:
                reader = csv.DictReader(fh)
                fields = reader.fieldnames
                if not fields or "gen_error" not in fields or "alpha" not in fields:
                    raise ValueError
                for row in reader:
                    done[_row_key(row)] = row
        except (ValueError, csv.Error, UnicodeDecodeError):
            raise UsageError(f"out: {path!r} is not a CSV written by raf simulate; "
                             "give a new file or remove it") from None
    records, n_failed, computed = [], 0, 0
    for i, s in enumerate(settings):
        lab = labels[i] if labels else {}
        probe = {"model": s.learner.name, "loss": s.loss.name, **lab, **s.params(), "d": args.d,
                 "seeds": args.seeds, "n_test": args.n_test, "seed": args.seed}
        key = _row_key(probe)
        if key in done:
            row = done[key]
            records.append({k: (float(v) if _is_number(v) and k not in ("model", "loss", "activation", "kernel")
                                else v) for k, v in row.items()})
            continue
        sim = _simulations(args, [s])[0]
        computed += 1
        n_failed += _warn_failed([sim]) != EXIT_OK
        rec = _label([sim.to_dict()], [lab] if labels else [])[0]
        if fields is None:
            fields = list(rec)
            with open(path, "w", newline="") as fh:
                csv.DictWriter(fh, fieldnames=fields, lineterminator="\n").writeheader()
        with open(path, "a", newline="") as fh:  # one row as soon as it is computed
            csv.DictWriter(fh, fieldnames=fields, extrasaction="ignore", lineterminator="\n").writerow(rec)
        records.append(rec)
    print(f"raf: {computed} points computed, {len(records) - computed} read back from {path}", file=sys.stderr)
    return records, n_failed


def _plot_variable(args, values, spec):
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
    from .experiments import check_output_path

    check_output_path(args.plot, "plot")
    return varying[0]


def _save_plot(draw, path):
    try:
        draw()
    except OSError as e:
        raise UsageError(f"plot: cannot write {path!r}: {e}") from None
    print(f"raf: plot written to {path}", file=sys.stderr)


def cmd_compare(args):
    from .experiments import compare, plot_comparison

    settings, labels, values, spec = _settings_from_args(args)
    var = _plot_variable(args, values, spec)
    _check_simulation_args(args, settings)
    progress = args.progress if args.progress is not None else sys.stderr.isatty()
    try:
        records, theory, sims = compare(settings, d=args.d, seeds=args.seeds, n_test=args.n_test, seed=args.seed,
                                        n_jobs=args.jobs, progress=progress)
    except NotImplementedError as e:
        raise UsageError(str(e)) from None
    records = _label(records, labels)
    cols = list(records[0])
    if not args.json and not args.csv:
        cols = [c for c in cols if not c.endswith("_se")]
    emit(records, cols, args, single=len(records) == 1)
    if var is not None:
        _save_plot(lambda: plot_comparison(settings, sims, var, args.plot), args.plot)
    status = _warn_failed(sims)
    if not all(r["converged"] for r in records):
        print("raf: warning: the theory did not converge at some points (empty values)", file=sys.stderr)
        status = EXIT_NOT_CONVERGED
    return status


def _exit_status(records):
    n_bad = sum(not r["converged"] for r in records)
    if n_bad:
        print(f"raf: warning: {n_bad} of {len(records)} points did not converge "
              "(converged = false, values left empty)", file=sys.stderr)
        return EXIT_NOT_CONVERGED
    return EXIT_OK


def emit(records, columns, args, single):
    """Print records as a table (default), JSON or CSV (:func:`rafmodel.tables.format_records`)."""
    from .tables import format_records

    fmt = "json" if args.json else "csv" if args.csv else "table"
    print(format_records(records, columns, fmt, single=single))


_LEARNER_OPTIONS = ("mu1", "mustar", "kappa")


def _learner_from_args(args, allow_bayes=False):
    """``(model, spec)``: ``spec`` is ``{param: list of values}`` or, for a named
    activation / kernel, a list of ``(label, Learner)``."""
    from .learners import LEARNERS

    model = args.model.lower()
    if allow_bayes and model == "bayes":
        names = ()
    elif model in LEARNERS:
        names = LEARNERS[model].param_names
    else:
        allowed = sorted(LEARNERS) + (["bayes"] if allow_bayes else [])
        raise UsageError(f"model: unknown learner {args.model!r}; allowed: {', '.join(allowed)}")
    named = _named_learners(args, model)
    if named is not None:
        return model, named
    lp = {}
    for name in _LEARNER_OPTIONS:
        val = getattr(args, name, None)
        if name in names:
            if val is None:
                hint = {"rf": " (or --activation)", "kernel": " (or --kernel)"}.get(model, "")
                if name == "kappa":
                    hint = ""
                raise UsageError(f"{name}: required with --model {model}{hint}")
            lp[name] = parse_values(name, val)
        elif val is not None:
            users = [m for m, c in LEARNERS.items() if name in c.param_names]
            raise UsageError(f"{name}: only used with --model {' or '.join(users)}")
    return model, lp


def _named_learners(args, model):
    """Learners from --activation (rf) or --kernel (kernel), or None if neither is given."""
    from ._validation import ParameterError
    from .learners import Kernel, RandomFeatures

    act, ker = getattr(args, "activation", None), getattr(args, "kernel", None)
    kparams = {k: getattr(args, k, None) for k in ("bandwidth", "degree", "offset")}
    if act is None and ker is None:
        for k, v in kparams.items():
            if v is not None:
                raise UsageError(f"{k}: only used with --kernel")
        return None
    if act is not None and model != "rf":
        raise UsageError("activation: only used with --model rf")
    if ker is not None and model != "kernel":
        raise UsageError("kernel: only used with --model kernel")
    for k in ("mu1", "mustar"):
        if getattr(args, k, None) is not None:
            raise UsageError(f"{k}: give either --{k} or --{'activation' if act else 'kernel'}, not both")
    out = []
    name = (act if act is not None else ker).strip()
    try:
        if act is not None:
            if args.kappa is None:
                raise UsageError("kappa: required with --model rf")
            for a in act.split(","):
                for kappa in parse_values("kappa", args.kappa):
                    out.append(({"activation": a.strip()}, RandomFeatures.from_activation(a.strip(), kappa=kappa)))
            return out
        if getattr(args, "kappa", None) is not None:
            raise UsageError("kappa: only used with --model rf")
        params = {k: parse_values(k, v) for k, v in kparams.items() if v is not None}
        for combo in itertools.product(*params.values()):
            kw = dict(zip(params, combo))
            call = {}
            if "bandwidth" in kw:
                call["c"] = kw["bandwidth"]
            if "offset" in kw:
                call["c"] = kw["offset"]
            if "degree" in kw:
                if kw["degree"] != int(kw["degree"]):
                    raise UsageError(f"degree: must be a positive integer, got {kw['degree']}")
                call["degree"] = int(kw["degree"])
            if "degree" in kw:
                kw["degree"] = int(kw["degree"])
            try:
                lrn = Kernel.from_kernel(name, **call)
            except ParameterError as e:
                if getattr(e, "param", None) == "c":  # the CLI calls it --bandwidth / --offset
                    opt = "bandwidth" if "bandwidth" in kw else "offset"
                    raise UsageError(f"{opt}: {str(e).split(': ', 1)[1]}") from None
                raise
            out.append(({"kernel": name.lower(), **kw}, lrn))
        return out
    except ParameterError as e:
        raise UsageError(str(e)) from None
    except TypeError:
        given = ", ".join(f"--{k}" for k, v in kparams.items() if v is not None)
        raise UsageError(f"kernel: {name!r} does not take {given}") from None


def _loss_from_args(args):
    from .losses import get_loss

    try:
        return get_loss(args.loss)
    except ValueError as e:
        raise UsageError(str(e)) from None


def _settings_from_args(args):
    """The settings of the model, loss and grid options: ``(settings, labels, values, spec)``."""
    model, spec = _learner_from_args(args)
    loss = _loss_from_args(args)
    values = {k: parse_values(k, getattr(args, k)) for k in ("alpha", "eps", "lam")}
    settings, labels = _product_settings(model, loss, values, spec)
    return settings, labels, values, spec


def _progress(args):
    return args.progress if args.progress is not None else sys.stderr.isatty()


def _figure_out(args):
    if not args.out:
        raise UsageError("out: required (the folder to write into)")
    return args.out


def cmd_figure(args):
    from .figures import get_figure, list_figures, write_figure

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
    meta = write_figure(args.name, out, quick=args.quick, sim=args.sim, progress=_progress(args), force=args.force,
                        n_jobs=args.jobs, **params)
    how = "unchanged, read back from" if meta["cached"] else "written to"
    print(f"raf: {args.name} {how} {out}: {', '.join(meta['files'][e] for e in ('png', 'pdf', 'csv'))}",
          file=sys.stderr)
    print(meta["caption"])
    return EXIT_OK


def cmd_report(args):
    from .report import build_report

    out = _figure_out(args)
    res = build_report(out, quick=args.quick, sim=args.sim, progress=_progress(args), force=args.force,
                       n_jobs=args.jobs)
    n_cached = sum(m["cached"] for m in res["figures"])
    print(f"raf: report written to {res['index']} ({len(res['figures'])} figures, {n_cached} unchanged, "
          f"{res['seconds']:.1f} s)", file=sys.stderr)
    print(res["index"])
    return EXIT_OK


def cmd_theory(args):
    from .theory import solve_many

    settings, labels, values, spec = _settings_from_args(args)
    var = _plot_variable(args, values, spec)
    progress = args.progress if args.progress is not None else (len(settings) > 200 and sys.stderr.isatty())
    try:
        res = solve_many(settings, progress=progress, warn=False, tol=args.tol, max_iter=args.max_iter,
                         method=args.method)
    except NotImplementedError as e:
        raise UsageError(str(e)) from None
    records = _label(res.to_records(), labels)
    cols = ["model", "loss", "alpha", "eps", "lam", *(k for k in records[0] if k in _PARAM_COLUMNS),
            "m", "q", "V", "gen_error", "mem_error", "rule_error", "converged", "iterations"]
    if args.json:
        cols = list(records[0])
    emit(records, cols, args, single=len(records) == 1)
    if var is not None:
        from .experiments import plot_theory

        _save_plot(lambda: plot_theory(settings, res, var, args.plot), args.plot)
    return _exit_status(records)


def main(argv=None):
    parser = build_parser()
    args = parser.parse_args(argv)
    import warnings

    from .exceptions import ConvergenceWarning

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)  # the command reports these itself, per row
            _convert_options(args)
            return args.func(args)
    except UsageError as e:
        print(f"raf {args.command}: error: {e}", file=sys.stderr)
        return EXIT_USAGE
    except ParameterError as e:  # the library refused an input, before any work
        msg = str(e)
        name = getattr(e, "param", "")
        if name in _OPTION_NAMES and msg.startswith(f"{name}:"):
            msg = _OPTION_NAMES[name] + msg[len(name):]
        print(f"raf {args.command}: error: {msg}", file=sys.stderr)
        return EXIT_USAGE
    except BrokenPipeError:  # e.g. `raf theory ... | head`
        return EXIT_OK
    except KeyboardInterrupt:
        print(f"raf {args.command}: interrupted", file=sys.stderr)
        return 130
    except RuntimeError as e:  # a computation that could not be completed (not converged, ...)
        print(f"raf {args.command}: error: {e}", file=sys.stderr)
        return EXIT_NOT_CONVERGED


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
