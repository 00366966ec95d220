"""The ``raf`` command line.

``raf theory``    exact asymptotic errors of a learner trained on RAF data
``raf bayes``     Bayes-optimal generalization error
``raf capacity``  interpolation threshold of the linear classifier
``raf optimal-lambda``  the lam minimizing gen_error; whether it is lam = 0, and whether the facts are stored there
``raf rate``      large-alpha decay of gen_error
``raf simulate``  finite-size simulations with error bars
``raf compare``   theory and simulation side by side (and a plot)
``raf sweep``     large sweeps from a TOML spec into a resumable store (run, status, export; local or Dask)
``raf realdata``  rules and facts from image classes (digits, MNIST, CIFAR-10), beside the theory

Every numeric option takes a number, a comma-separated list (``0.5,1,2``) or a
range ``start:stop:num`` (linear) / ``start:stop:num:log`` (log-spaced); the
output has one row per combination.  Exit status: 0 on success, 1 if some
point did not converge (its row is kept, flagged, with empty values), 2 on bad
input.
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import math
import re
import sys

from ._validation import describe
from ._options import (MAX_POINTS, UsageError, _learner_from_args, _loss_from_args, _number,  # noqa: F401
                       _product_settings, _settings_from_args, check_grid, parse_values)
from .exceptions import ParameterError, shorten

EXIT_OK, EXIT_NOT_CONVERGED, EXIT_USAGE = 0, 1, 2

#: A value that starts with '-' but is a number, a list or a range of numbers (``-1``, ``-1:1:3``,
#: ``-1,5``, ``-.5``, ``-inf``, ``-nan``), not an option: the option before it takes it as its value.
_NEGATIVE_VALUE = re.compile(r"^-(\d|\.\d|inf|nan)", re.IGNORECASE)


class _Parser(argparse.ArgumentParser):
    """argparse with the command line's conventions.

    * An option's value may start with '-' when it is a number (``--alpha -1:1:3``,
      ``--lam -inf``, ``--rule -1,5``): the value then reaches the range check, which says
      in one line what is allowed, instead of argparse's "expected one argument".
    * A parse error is one line, ``raf COMMAND: error: ...; see raf COMMAND --help``, exit
      status 2, like every other error of the command line (no usage block), with long
      values shortened.
    """

    def _parse_optional(self, arg_string):
        if _NEGATIVE_VALUE.match(arg_string):
            return None  # a value, not an option
        return super()._parse_optional(arg_string)

    def error(self, message):
        self.exit(EXIT_USAGE, f"{self.prog}: error: {shorten(message)}; see {self.prog} --help\n")

#: The library's parameter names that the command line spells otherwise.
_OPTION_NAMES = {"n_test": "n-test", "max_iter": "max-iter", "n_jobs": "jobs", "record_every": "record-every",
                 "data_dir": "data-dir"}


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


def _add_theory_jobs(p):
    p.add_argument("--jobs", type=_int_option("jobs"), default=1,
                   help="processes for the batches of points (default 1; -1: all cores; the same numbers for any "
                        "number; worth it for thousands of points)")


def _add_simulation_options(p, d=500, jobs=True):
    """The simulation group (``--d --seeds --n-test --seed`` and, with ``jobs``, ``--jobs``); returns it."""
    g = p.add_argument_group("simulation")
    g.add_argument("--d", type=_int_option("d"), default=d,
                   help=f"input dimension, {describe('simulate', 'd')} (default {d})")
    g.add_argument("--seeds", type=_int_option("seeds"), default=4,
                   help=f"independent repetitions, {describe('simulate', 'seeds')} (default 4)")
    g.add_argument("--n-test", type=_int_option("n-test"), default=10_000,
                   help=f"fresh test samples per repetition, {describe('simulate', 'n_test')} (default 10000)")
    g.add_argument("--seed", type=_int_option("seed"), default=0,
                   help=f"base seed, {describe('simulate', 'seed')} (default 0)")
    if jobs:
        g.add_argument("--jobs", type=_int_option("jobs"), default=1,
                       help="processes for the repetitions (default 1; -1: all cores; capped at the cores available)")
    return g


def _add_output_options(p):
    g = p.add_argument_group("output")
    fmt = g.add_mutually_exclusive_group()
    fmt.add_argument("--json", action="store_true", help="JSON: one object for one point, else an array")
    fmt.add_argument("--csv", action="store_true", help="CSV with a header line (not with --json)")
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
    p.add_argument("--out", metavar="FILE.csv", help="keep every finished point in the store FILE.csv.sqlite at "
                                                     "once (FILE.sqlite: the store only) and write this command's "
                                                     "points to FILE.csv; points already stored are not recomputed")


def _add_figure_options(p, per_figure=True):
    p.add_argument("--out", metavar="DIR", help="folder to write into (created if needed)")
    p.add_argument("--quick", action="store_true", help="reduced resolution (tests, previews)")
    p.add_argument("--no-sim", dest="sim", action="store_false", help="theory only: no simulation points")
    p.add_argument("--force", action="store_true", help="recompute even if the folder holds the same figure")
    p.add_argument("--jobs", type=_int_option("jobs"), default=-1, help="processes for the simulations (default -1: all cores; "
                                                       "the numbers do not depend on it)")
    p.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None,
                   help="progress bars on stderr (default: on a terminal; otherwise one line per finished "
                        "figure: name, seconds, cached)")
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

    parser = _Parser(
        prog="raf", description="The Rules-and-Facts model: exact asymptotics of generalization and memorization.")
    parser.add_argument("--version", action="version", version=f"rafmodel {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True

    _subcommand(sub, "theory", cmd_theory, "exact asymptotic errors (replica fixed point)",
                "Exact asymptotic m, q, V, gen_error, mem_error, rule_error of a learner on RAF data. "
                "Lists and ranges give one row per combination.",
                _add_model_options, _add_grid_options, _add_solver_options, _add_theory_jobs,
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

    _subcommand(sub, "network", cmd_network, "trained two-layer networks (needs rafmodel[nn])",
                "Train f(x) = sum_k a_k sigma(w_k.x/sqrt d)/s(p), p = kappa d, on RAF data: --train readout "
                "(first layer frozen: the random-features learner, with its exact theory in gen_error_theory, "
                "mem_error_theory) or all (both layers, lazy 1/sqrt p or mean-field 1/p output scaling). "
                "Numeric options take lists a,b,c and ranges start:stop:num[:log].",
                _add_network_options)
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
                       description="The ridge penalty lam_opt minimizing gen_error and the errors there; "
                                   "interpolates_at_optimum: whether lam_opt = 0 (the interpolator is optimal); "
                                   "stores_facts: whether mem_error <= --mem-tol at lam_opt (the facts are stored, "
                                   "whatever lam_opt is).")
    _add_model_options(p)
    _add_grid_options(p, lam=False)
    p.add_argument("--mem-tol", default="1e-6",
                   help="stores_facts means mem_error <= this at lam_opt (in [0, 1); default 1e-6)")
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

    p = sub.add_parser("sweep", help="large theory / simulation sweeps into a resumable store (local or Dask)",
                       description="Sweeps at scale: every point of a TOML spec is computed once and committed to "
                                   "an SQLite store as it finishes; an interrupted sweep resumes where it stopped.")
    ssub = p.add_subparsers(dest="sweep_command", metavar="ACTION")
    ssub.required = True
    q = ssub.add_parser("run", help="compute the points of SPEC not yet in the store",
                        description="Compute the points of SPEC (a TOML file with the option names of raf theory / "
                                    "raf simulate and kind = \"theory\" or \"simulate\") that the store does not "
                                    "hold yet. Exit status 1 if any point of the store failed or did not converge.")
    q.add_argument("spec", metavar="SPEC", help="the sweep spec (TOML)")
    q.add_argument("--store", required=True, metavar="FILE", help="the SQLite store (created if absent)")
    g = q.add_mutually_exclusive_group()
    g.add_argument("--jobs", type=_int_option("jobs"), default=1,
                   help="local processes (default 1; -1: all cores); the numbers do not depend on it")
    g.add_argument("--scheduler", metavar="ADDR", help="run on a Dask cluster, e.g. tcp://HOST:8786 "
                                                       "(needs rafmodel[dask])")
    q.add_argument("--retry-failed", action="store_true", help="compute the failed points again")
    q.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None,
                   help="progress bar with ETA on stderr (default: on a terminal)")
    q.set_defaults(func=cmd_sweep_run)
    q = ssub.add_parser("status", help="done / failed / pending points, time spent and left",
                        description="Points done, failed, not converged and pending, the time spent and an "
                                    "estimate of the time left.")
    q.add_argument("--store", required=True, metavar="FILE", help="the SQLite store")
    q.set_defaults(func=cmd_sweep_status)
    q = ssub.add_parser("export", help="the stored points as CSV or Parquet, sorted by parameters",
                        description="Every stored point, one row each, sorted by parameters: the parameters, "
                                    "the results, status, error, version, seconds. Exit status 1 if any point "
                                    "failed or did not converge.")
    q.add_argument("--store", required=True, metavar="FILE", help="the SQLite store")
    q.add_argument("--format", choices=("csv", "parquet"), help="default: from --out's extension, else csv")
    q.add_argument("--out", metavar="FILE", help="write here (default: CSV on stdout)")
    q.set_defaults(func=cmd_sweep_export)
    return parser


def _add_network_options(p):
    _add_grid_options(p)
    p.add_argument("--kappa", required=True, help=f"hidden units per dimension p/d ({describe('Network', 'kappa')})")
    p.add_argument("--activation", default="relu", help="activation (relu, tanh, erf, sign, abs, sigmoid, gelu, "
                                                        "quadratic, linear, step; a comma list; default relu)")
    p.add_argument("--loss", required=True, help="loss: square, hinge or logistic")
    p.add_argument("--train", default="readout", help="readout (first layer frozen) or all; a comma list "
                                                      "(default readout)")
    p.add_argument("--scaling", default="lazy", help="train all: lazy (1/sqrt p) or mean-field (1/p, learning "
                                                     "rate lr p with gd); a comma list (default lazy)")
    p.add_argument("--optimizer", default="gd", help="train all: gd (full batch) or adam (default gd)")
    p.add_argument("--steps", default="2000", help=f"train all: steps ({describe('Network', 'steps')}; default 2000)")
    p.add_argument("--lr", default="1", help=f"train all: base learning rate ({describe('Network', 'lr')}; default 1)")
    p.add_argument("--device", default="auto", help="auto (a GPU when jax sees one), cpu or gpu (default auto)")
    g = _add_simulation_options(p, d=100, jobs=False)
    g.add_argument("--record-every", type=_int_option("record-every"), default=None,
                   help="steps between two points of the training curves (default steps/20)")
    g.add_argument("--curves", metavar="FILE.csv", help="also write the training curves to this CSV")


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
    check_grid(v)
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


def cmd_network(args):
    from .learners import Network
    from .setting import Setting

    loss = _loss_from_args(args)
    values = {k: parse_values(k, getattr(args, k)) for k in ("alpha", "eps", "lam", "kappa", "steps", "lr")}
    for st in values["steps"]:
        if st != int(st):
            raise UsageError(f"steps: must be a positive integer, got {st:g}")
    choices = {k: [c.strip() for c in getattr(args, k).split(",")]
               for k in ("activation", "train", "scaling", "optimizer")}
    check_grid({**values, **choices})  # an upper bound: readout ignores some of them
    settings = []
    for alpha, eps, lam in itertools.product(values["alpha"], values["eps"], values["lam"]):
        for act, train, kappa in itertools.product(choices["activation"], choices["train"], values["kappa"]):
            readout = train.lower() == "readout"
            for scaling, opt, steps, lr in itertools.product(
                    choices["scaling"][:1] if readout else choices["scaling"],
                    choices["optimizer"][:1] if readout else choices["optimizer"],
                    values["steps"][:1] if readout else values["steps"],
                    values["lr"][:1] if readout else values["lr"]):
                net = Network(kappa=kappa, activation=act, train=train, scaling=scaling, optimizer=opt,
                              steps=int(steps), lr=lr, device=args.device)
                settings.append(Setting(alpha=alpha, eps=eps, lam=lam, learner=net, loss=loss))
    if args.curves:
        from .experiments import check_output_path

        check_output_path(args.curves, "curves", formats=("csv",))
    from .network import train_network

    res = train_network(settings, d=args.d, seeds=args.seeds, n_test=args.n_test, seed=args.seed,
                        record_every=args.record_every, progress=_progress(args))
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
    mem_tol = _number("mem_tol", args.mem_tol)
    if not 0 <= mem_tol < 1:
        raise UsageError(f"mem_tol: must be in [0, 1), got {args.mem_tol.strip()!r}")
    settings, labels = _product_settings(model, loss, {**values, "lam": [0.0]}, spec)
    records = []
    for s in settings:
        try:
            r = optimal_lambda(learner=s.learner, loss=s.loss, alpha=s.alpha, eps=s.eps, mem_tol=mem_tol)
        except NotImplementedError as e:
            raise UsageError(str(e)) from None
        records.append(r.to_dict())
    records = _label(records, labels)
    cols = ["model", "loss", "alpha", "eps", *(k for k in records[0] if k in _PARAM_COLUMNS), "lam_opt", "gen_error", "mem_error", "lam_opt_closed_form",
            "gen_error_at_zero", "interpolates_at_optimum", "stores_facts", "memorization_cost", "at_boundary"]
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
    check_grid({"alpha": v["alpha"], "eps": v["eps"]})
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

        check_output_path(args.out, "out", formats=("csv", "sqlite", "db"))
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


def _simulate_to_file(args, settings, labels):
    """Simulate into the store behind ``--out``: points already stored are read back, not recomputed.

    ``--out FILE.csv`` keeps the store in ``FILE.csv.sqlite`` and rewrites FILE.csv (atomically,
    this command's points only) after every point; ``--out FILE.sqlite`` is the store itself.
    The store is checked as every store is (:func:`rafmodel.sweep.check_store`): a file that is
    not a sweep store is refused and left as it was, before any work.
    """
    import os

    from .sweep import check_output_file, check_store, export_frame_to_csv, simulate_into_store

    path = args.out
    store = path if path.lower().endswith((".sqlite", ".db")) else path + ".sqlite"
    csv_out = None if store == path else path
    check_store(store, write=True, name="out")
    if csv_out:
        check_output_file(csv_out, store)
        if os.path.exists(csv_out) and os.path.getsize(csv_out) > 0 and not os.path.exists(store):
            raise UsageError(f"out: {csv_out!r} exists without its store {store!r} (a file of rafmodel < 0.3 or "
                             "of another program): give a new file or remove it")
    on_rows = (lambda df: export_frame_to_csv(df, csv_out)) if csv_out else None
    try:
        with _store_warnings("simulate"):
            df, computed = simulate_into_store(settings, store, d=args.d, seeds=args.seeds, n_test=args.n_test,
                                               seed=args.seed, jobs=args.jobs, progress=_progress(args),
                                               on_update=on_rows)
    except ParameterError as e:
        if e.param != "store":
            raise
        raise ParameterError("out", str(e).removeprefix("store: ")) from None
    print(f"raf: {computed} points computed, {len(df) - computed} read back from {store}", file=sys.stderr)
    records = []
    for rec in df.to_dict("records"):
        if rec["status"] != "done":
            print(f"raf: warning: point {_point_text(rec)} failed: {rec['error']}", file=sys.stderr)
        records.append({k: v for k, v in rec.items() if not (k in _PARAM_COLUMNS and _missing(v))})
    return records, sum(r["status"] != "done" for r in records)


def _missing(v):
    return v is None or (isinstance(v, float) and math.isnan(v))


def _point_text(rec):
    return ", ".join(f"{k}={rec[k]}" for k in ("alpha", "eps", "lam", *_PARAM_COLUMNS)
                     if k in rec and not _missing(rec[k]))


def _store_exit(status):
    """Exit status of a sweep store: 1 (and a warning) when some point failed or did not converge."""
    bad = status.failed + status.not_converged
    if bad:
        print(f"raf: warning: {status.failed} points failed and {status.not_converged} did not converge "
              f"(status column; raf sweep export --store {status.store})", file=sys.stderr)
        return EXIT_NOT_CONVERGED
    return EXIT_OK


@contextlib.contextmanager
def _store_warnings(command):
    """Print the store's warnings (damaged points computed again) as one line each."""
    import warnings

    from .sweep import StoreWarning

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", StoreWarning)
        try:
            yield
        finally:
            for w in caught:
                if issubclass(w.category, StoreWarning):
                    print(f"raf {command}: warning: {w.message}", file=sys.stderr)
    for w in caught:
        if not issubclass(w.category, StoreWarning):
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)


def cmd_sweep_run(args):
    try:
        from .sweep import run_sweep, sweep_status

        with _store_warnings("sweep"):
            df = run_sweep(args.spec, args.store, jobs=args.jobs, scheduler=args.scheduler,
                           progress=_progress(args), retry_failed=args.retry_failed)
    except KeyboardInterrupt:
        print(f"raf sweep: interrupted; {_saved(args.store)}", file=sys.stderr)
        return 130
    status = sweep_status(args.store)
    print(f"raf: {len(df)} points in {args.store}: {status.done} done, {status.failed} failed, "
          f"{status.not_converged} not converged", file=sys.stderr)
    return _store_exit(status)


def _saved(store):
    """What an interrupted sweep left in its store, in a few words (read-only)."""
    import os

    from .sweep import sweep_status

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
    from .sweep import sweep_status

    print(sweep_status(args.store).summary())
    return EXIT_OK


def cmd_sweep_export(args):
    from .sweep import export_results, sweep_status

    status = sweep_status(args.store)
    text = export_results(args.store, args.out, args.format)
    if text is not None:
        sys.stdout.write(text)
    else:
        print(f"raf: {status.done + status.failed + status.not_converged} points written to {args.out}",
              file=sys.stderr)
    return _store_exit(status)


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
    emit(records, list(records[0]), args, single=len(records) == 1)  # the table too: *_se beside *_z
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


def _progress(args):
    return args.progress if args.progress is not None else sys.stderr.isatty()


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
    start = time.perf_counter()
    meta = write_figure(args.name, out, quick=args.quick, sim=args.sim, progress=_progress(args), force=args.force,
                        n_jobs=args.jobs, **params)
    how = "read back from" if meta["cached"] else "written to"
    print(f"raf: {_figure_line(meta, time.perf_counter() - start)}, {how} {out}: "
          f"{', '.join(meta['files'][e] for e in ('png', 'pdf', 'csv'))}", file=sys.stderr, flush=True)
    print(meta["caption"])
    return EXIT_OK


def cmd_report(args):
    from .report import build_report

    out = _figure_out(args)
    bars = _progress(args)

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


def cmd_theory(args):
    from .theory import solve_many

    settings, labels, values, spec = _settings_from_args(args)
    var = _plot_variable(args, values, spec)
    progress = args.progress if args.progress is not None else (len(settings) > 200 and sys.stderr.isatty())
    try:
        res = solve_many(settings, progress=progress, warn=False, tol=args.tol, max_iter=args.max_iter,
                         method=args.method, n_jobs=args.jobs)
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
    args, extra = parser.parse_known_args(argv)
    if extra:  # named by the subcommand that does not know them
        words = [c for c in (getattr(args, "command", None), getattr(args, "sweep_command", None)) if c]
        _Parser(prog=" ".join(["raf", *words])).error(f"unrecognized arguments: {' '.join(extra)}")
    import warnings

    from ._interrupt import release
    from .exceptions import ConvergenceWarning

    release()  # from here Ctrl-C is KeyboardInterrupt, answered below (or by the command: what was saved)
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
        print(f"raf {args.command}: error: {shorten(str(e))}", file=sys.stderr)
        return EXIT_NOT_CONVERGED


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
