"""The ``raf`` command line's parser: its conventions, its option groups and every subcommand's options.

Nothing here computes: :func:`build_parser` names, for each subcommand, its options and the
handler (in :mod:`rafmodel.cli.commands`) that turns them into one library call.
"""

from __future__ import annotations

import argparse
import re

from .._deprecation import REMOVED_IN
from .._options import UsageError, _number
from .._validation import describe
from ..exceptions import shorten
from . import commands

__all__ = ["build_parser", "EXIT_OK", "EXIT_NOT_CONVERGED", "EXIT_USAGE", "OPTION_NAMES", "convert_options",
           "deprecation_notes", "missing_required"]

EXIT_OK, EXIT_NOT_CONVERGED, EXIT_USAGE = 0, 1, 2

#: A value that starts with '-' but is a number, a list or a range of numbers (``-1``, ``-1:1:3``,
#: ``-1,5``, ``-.5``, ``-inf``, ``-nan``), not an option: the option before it takes it as its value.
_NEGATIVE_VALUE = re.compile(r"^-(\d|\.\d|inf|nan)", re.IGNORECASE)

#: The library's parameter names that the command line spells otherwise (``n_jobs`` is ``--jobs``).
OPTION_NAMES = {"n_test": "n-test", "max_iter": "max-iter", "n_jobs": "jobs", "record_every": "record-every",
                "data_dir": "data-dir"}


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


class _Deprecated(argparse.Action):
    """An old option name, kept for one release: it sets the new option and leaves a note for stderr."""

    def __init__(self, option_strings, dest, new, **kwargs):
        self.new = new
        super().__init__(option_strings, dest, help=argparse.SUPPRESS, **kwargs)

    def __call__(self, parser, namespace, values, option_string=None):
        setattr(namespace, self.dest, values)
        notes = list(getattr(namespace, "deprecated_options", None) or [])
        notes.append((option_string, self.new))
        namespace.deprecated_options = notes


def _renamed_option(p, old, new, dest):
    """``old`` (e.g. ``--model``) as a deprecated spelling of ``new`` (``--learner``), hidden from --help."""
    p.add_argument(old, dest=dest, action=_Deprecated, new=new)


def deprecation_notes(args):
    """One line per deprecated option the command line used, naming the new option."""
    command = " ".join(["raf", *(c for c in (getattr(args, "command", None), getattr(args, "sweep_command", None))
                                 if c)])
    return [f"{command}: note: {old} is deprecated and will be removed in {REMOVED_IN}; use {new}"
            for old, new in getattr(args, "deprecated_options", None) or []]


def missing_required(args):
    """The required options given neither under their name nor under a deprecated one (``--learner``);
    ``--loss`` and ``--lam`` are required unless ``--learner bayes`` (AMP has neither)."""
    names = list(getattr(args, "required_options", ()))
    if str(getattr(args, "learner", None) or "").strip().lower() != "bayes":
        names += list(getattr(args, "required_unless_bayes", ()))
    return [f"--{d}" for d in names if getattr(args, d, None) is None]


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


def convert_options(args):
    """The integer and float options, from text (bad values raise :class:`UsageError`, one line)."""
    for dest, (_, conv) in _TYPED_OPTIONS.items():
        val = getattr(args, dest, None)
        if isinstance(val, str):
            setattr(args, dest, conv(val))


def _learner_option(p, default=None, bayes=False):
    """``--learner`` (and its deprecated spelling ``--model``); required unless it has a default."""
    learners = "linear, kernel, rf" + (" or bayes" if bayes else "")
    if default is None:
        p.add_argument("--learner", metavar="LEARNER", help=f"learner: {learners} (required)")
        p.set_defaults(required_options=("learner",))
    else:
        p.add_argument("--learner", metavar="LEARNER", default=default,
                       help=f"learner: {learners} (default {default})")
    _renamed_option(p, "--model", "--learner", "learner")


def _add_model_options(p, bayes=False):
    _learner_option(p, bayes=bayes)
    p.add_argument("--loss", required=not bayes, help="loss: square, hinge or logistic")
    _add_learner_parameter_options(p)


def _add_learner_parameter_options(p, help=None):
    p.add_argument("--mu1", help=help or f"kernel, rf: linear coefficient mu1 ({describe('Kernel', 'mu1')})")
    p.add_argument("--mustar", help=help or f"kernel, rf: nonlinear / memory coefficient mu* "
                                            f"({describe('Kernel', 'mustar')})")
    p.add_argument("--kappa", help=help or f"rf: features per dimension p/d ({describe('RandomFeatures', 'kappa')})")
    p.add_argument("--activation", help=help or "rf: activation instead of --mu1/--mustar (relu, tanh, erf, sign, "
                                                "abs, sigmoid, gelu, quadratic, linear, step; a comma list)")
    p.add_argument("--kernel", help=help or "kernel: dot-product kernel instead of --mu1/--mustar (rbf, "
                                            "polynomial, arccos, arccos0, sign, erf, linear)")
    p.add_argument("--bandwidth", help=help or "--kernel rbf: bandwidth in exp(-bandwidth |x-x'|^2/(2d)) (> 0)")
    p.add_argument("--degree", help=help or "--kernel polynomial: degree (positive integer)")
    p.add_argument("--offset", help=help or "--kernel polynomial: offset in (offset + x.x'/d)^degree (>= 0)")


def _add_grid_options(p, lam=True, bayes=False):
    p.add_argument("--alpha", required=True, help=f"samples per dimension n/d ({describe('Setting', 'alpha')})")
    p.add_argument("--eps", required=True, help=f"fraction of facts ({describe('Setting', 'eps')})")
    if lam:
        p.add_argument("--lam", required=not bayes, help=f"ridge penalty ({describe('Setting', 'lam')}; 0 = "
                                                         "interpolating / unregularized limit"
                                                         + ("; not with --learner bayes)" if bayes else ")"))


def _add_facts_options(p):
    p.add_argument("--alpha", required=True, help=f"samples per dimension n/d ({describe('Setting', 'alpha')})")
    p.add_argument("--eps", required=True, help="fraction of facts (in (0, 1))")
    p.add_argument("--lam", default="0.1", help="penalty of the SVM and ridge detectors (> 0; default 0.1)")
    g = p.add_argument_group("simulation")
    g.add_argument("--d", type=_int_option("d"), default=2000, help="input dimension (default 2000)")
    g.add_argument("--seeds", type=_int_option("seeds"), default=4, help="independent training sets (default 4)")
    g.add_argument("--seed", type=_int_option("seed"), default=0, help="base seed (>= 0; default 0)")


def _add_simulation_model_options(p):
    """The learner, loss and grid options of raf theory, simulate, compare: --learner bayes (AMP, the
    Bayes-optimal estimator) takes no --loss, --lam."""
    _add_model_options(p, bayes=True)
    _add_grid_options(p, bayes=True)
    p.set_defaults(required_unless_bayes=("loss", "lam"))


def _add_inputs_option(p):
    p.add_argument("--inputs", default="isotropic", metavar="MODEL",
                   help="input model: isotropic (default), power-law:decay=D,source=R,size=N (size: the "
                        "dimension; simulate at --d N) or spiked:fraction=F,spike=S,teacher-share=T "
                        "(docs/theory.md section 3.11)")


def _add_solver_options(p):
    g = p.add_argument_group("solver")
    g.add_argument("--tol", type=_float_option("tol"), default=1e-11,
                   help=f"convergence tolerance, {describe('SolverOptions', 'tol')} (default 1e-11)")
    g.add_argument("--max-iter", type=_int_option("max-iter"), default=1000,
                   help=f"iterations per point, {describe('SolverOptions', 'max_iter')} (default 1000)")
    g.add_argument("--method", choices=("auto", "closed", "quadrature"), default="auto",
                   help="channel: closed form when available (auto), or Gauss quadrature")


def _add_theory_jobs(p):
    p.add_argument("--jobs", "-j", type=_int_option("jobs"), default=1,
                   help="processes for the batches of points (n_jobs; default 1; -1: all cores; the same numbers "
                        "for any number; worth it for thousands of points)")


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
        g.add_argument("--jobs", "-j", type=_int_option("jobs"), default=1,
                       help="processes for the repetitions (n_jobs; default 1; -1: all cores; capped at the cores "
                            "available)")
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
    p.add_argument("--jobs", "-j", type=_int_option("jobs"), default=-1,
                   help="processes for the simulations (n_jobs; default -1: all cores; the numbers do not depend "
                        "on it)")
    p.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None,
                   help="progress bars on stderr (default: on a terminal; otherwise one line per finished "
                        "figure: name, seconds, cached)")
    if not per_figure:
        return
    from ..figures import FIGURES, list_figures

    users: dict = {}
    for name in list_figures():
        for k, c in FIGURES[name].constraints.items():
            users.setdefault(k, (c, []))[1].append(name)
    g = p.add_argument_group("figure parameters (numbers, lists a,b,c or ranges start:stop:num[:log])")
    for k, (c, names) in users.items():
        g.add_argument(f"--{k.replace('_', '-')}", dest=f"fig_{k}", metavar="V",
                       help=f"{c.describe()}; used by {', '.join(names)}")
    from ..figures import RENAMED_PARAMETERS

    for old, new in RENAMED_PARAMETERS.items():
        _renamed_option(p, f"--{old}", f"--{new}", f"fig_{new}")


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
    p.add_argument("--facts", default="8", help="the class whose images get random labels (default 8), or rule: "
                                                "rule-class images relabelled at random (label noise)")
    _add_grid_options(p)
    p.add_argument("--kernel", default="rbf", help="rbf (default), polynomial, arccos, arccos0, sign, erf, linear")
    p.add_argument("--bandwidth", default="1", help="rbf bandwidth relative to the median squared distance m of "
                                                    "the training inputs, k = exp(-bandwidth |x-x'|^2/m) (default 1)")
    _renamed_option(p, "--eta", "--bandwidth", "bandwidth")
    p.add_argument("--loss", default="square", help="square (kernel ridge, default) or hinge (kernel SVM)")
    p.add_argument("--seeds", type=_int_option("seeds"), default=5, help="independent repetitions (default 5)")
    _renamed_option(p, "--repeats", "--seeds", "seeds")
    p.add_argument("--seed", type=_int_option("seed"), default=0, help="base seed (default 0)")
    p.add_argument("--n-test", type=_int_option("n-test"), default=None,
                   help="test images per repetition (default: all held-out rule images, balanced)")
    p.add_argument("--theory", nargs="?", const="mixture", default=None, choices=("mixture", "isotropic"),
                   help="add a theory (gen_error_theory, mem_error_theory, rule_error_theory): mixture (the "
                        "default: the classes as a Gaussian mixture in the kernel's feature space, measured on "
                        "the images) or isotropic (the Gaussian theory of the same kernel's coefficients)")
    p.add_argument("--pool", type=_int_option("pool"), default=None,
                   help="images in the mixture theory's pool (default: at least 4000 and 4 x the largest training "
                        "set, as far as the classes have images; at least 2 x; the cost grows as pool^3: 8000 "
                        "took 23 min on two cores, once, then cached)")


def build_parser():
    """The ``raf`` parser: every subcommand, its options and its handler (``func``)."""
    from .. import __version__

    parser = _Parser(
        prog="raf", description="The Rules-and-Facts model: exact asymptotics of generalization and memorization.")
    parser.add_argument("--version", action="version", version=f"rafmodel {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True

    _subcommand(sub, "theory", commands.cmd_theory, "exact asymptotic errors (replica fixed point)",
                "Exact asymptotic m, q, V, gen_error, mem_error, rule_error of a learner on RAF data. "
                "Lists and ranges give one row per combination.",
                _add_simulation_model_options, _add_inputs_option, _add_solver_options, _add_theory_jobs,
                _plot_option("save gen_error, mem_error, rule_error along the one parameter given as a list "
                             "(png, pdf, svg)"))
    _subcommand(sub, "simulate", commands.cmd_simulate, "finite-size simulations with error bars",
                "Sample RAF data at dimension d, train the learner, and report the mean and standard error over "
                "seeds of gen_error, mem_error, rule_error (and m, q where defined). Options as for raf theory; "
                "--learner bayes runs AMP, the Bayes-optimal estimator (no --loss, no --lam).",
                _add_simulation_model_options, _add_inputs_option, _add_simulation_options, _out_option)
    _subcommand(sub, "compare", commands.cmd_compare, "theory and simulation side by side",
                "Theory and finite-size simulation of the same settings side by side, with the distance in "
                "standard errors (z = (sim - theory) / se). With a list along one parameter, --plot FILE draws "
                "the theory curve and the simulation points with error bars.",
                _add_simulation_model_options, _add_inputs_option, _add_simulation_options,
                _plot_option("save a plot (png, pdf, svg) along the parameter that varies"))

    _subcommand(sub, "facts", commands.cmd_facts, "which training examples are facts: detectors' AUC on data",
                "On RAF training sets at dimension d, the area under the ROC curve of three detectors of the facts: "
                "AMP's posterior probability that an example is a fact (amp), the training margin of the linear "
                "SVM (svm-margin) and the residual of linear ridge (ridge-residual), both at --lam; mean and "
                "standard error over seeds, beside the AUC that AMP's state evolution predicts (auc_theory, "
                "auc_z = (auc - auc_theory) / auc_se). --alpha and --eps take lists.",
                _add_facts_options)
    _subcommand(sub, "network", commands.cmd_network, "trained two-layer networks (needs rafmodel[nn])",
                "Train f(x) = sum_k a_k sigma(w_k.x/sqrt d)/s(p), p = kappa d, on RAF data: --train readout "
                "(first layer frozen: the random-features learner, with its exact theory in gen_error_theory, "
                "mem_error_theory) or all (both layers, lazy 1/sqrt p or mean-field 1/p output scaling). "
                "Numeric options take lists a,b,c and ranges start:stop:num[:log].",
                _add_network_options)
    _subcommand(sub, "realdata", commands.cmd_realdata, "rules and facts from image classes, beside the theory",
                "Two classes of a labelled image dataset are the rule (+1/-1), images of a third class with "
                "random labels are the facts; a kernel learner without intercept (RBF bandwidth relative "
                "to the median squared distance of the training inputs) is trained with the square loss "
                "(kernel ridge) or the hinge loss (kernel SVM). Mean and standard error over --seeds of "
                "gen_error (held-out rule images), mem_error and rule_error; --theory adds the mixture theory "
                "(the classes as Gaussian clouds in the kernel's feature space, measured on the images; "
                "--theory isotropic: the Gaussian theory of the same kernel). Nothing is downloaded: mnist, fashion-mnist and cifar10 are read "
                "from --data-dir or $RAF_DATA.",
                _add_realdata_options)

    p = sub.add_parser("figure", help="one of the paper's findings as a figure (png, pdf, csv)",
                       description="Compute a figure and write NAME.png, NAME.pdf, NAME.csv (the plotted "
                                   "numbers) and NAME.json (caption, parameters, command) to --out. An "
                                   "unchanged figure already in the folder is not recomputed. --list names them.")
    p.add_argument("name", nargs="?", help="the figure (see --list)")
    p.add_argument("--list", action="store_true", help="list the figures with a one-line description")
    _add_figure_options(p)
    p.set_defaults(func=commands.cmd_figure)

    p = sub.add_parser("report", help="every figure and an offline HTML page (index.html)",
                       description="Build every figure into --out and write --out/index.html: one offline page "
                                   "with each figure, its finding, parameters, the command that regenerates it "
                                   "and its data. Figures already there and unchanged are not recomputed.")
    _add_figure_options(p, per_figure=False)
    p.set_defaults(func=commands.cmd_report)

    p = sub.add_parser("bayes", help="Bayes-optimal generalization error",
                       description="Bayes-optimal overlap q and gen_error of the RAF model (the best any "
                                   "learner can do), for every combination of alpha and eps.")
    _add_grid_options(p, lam=False)
    _add_output_options(p)
    p.set_defaults(func=commands.cmd_bayes)

    p = sub.add_parser("capacity", help="interpolation thresholds (separability, min-norm fit)",
                       description="Interpolation thresholds on RAF data: alpha_c, below which the learner "
                                   "separates every training label with a margin (max-margin / hinge at "
                                   "lam = 0 exists), and alpha_c_square, below which it fits every label "
                                   "exactly (min-norm interpolator). Default --learner linear.")
    p.add_argument("--eps", required=True, help="fraction of facts (in [0, 1])")
    _learner_option(p, default="linear")
    _add_learner_parameter_options(p, help="as for raf theory")
    _add_inputs_option(p)
    _add_output_options(p)
    p.set_defaults(func=commands.cmd_capacity)

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
    p.set_defaults(func=commands.cmd_optimal_lambda)

    p = sub.add_parser("rate", help="large-alpha decay of gen_error",
                       description="Decay exponent and constant of gen_error ~ constant * alpha^-exponent "
                                   "at large alpha, measured on the fixed point, with docs/theory.md's closed "
                                   "forms where known (--learner bayes: the Bayes-optimal error).")
    _add_model_options(p, bayes=True)
    p.add_argument("--eps", required=True, help="fraction of facts (in [0, 1))")
    p.add_argument("--lam", default="1", help="ridge penalty (default 1; irrelevant as alpha -> infinity)")
    _add_output_options(p)
    p.set_defaults(func=commands.cmd_rate)

    p = sub.add_parser("explore", help="the theory's curves in an interactive page (needs rafmodel[explore])",
                       description="Serve an interactive page on this machine: the learner, the loss, eps and "
                                   "lam as controls, gen_error, mem_error and rule_error along alpha, lam, kappa "
                                   "or eps. The view lives in the URL; the curves download as CSV; the page "
                                   "shows the raf theory command of the same numbers. Works offline. Ctrl-C stops.")
    p.add_argument("--port", type=_int_option("port"), default=0, help="TCP port (default: a free one)")
    p.add_argument("--address", default="127.0.0.1", help="interface to listen on (default 127.0.0.1)")
    p.add_argument("--no-browser", dest="browser", action="store_false", help="do not open a browser")
    p.add_argument("--store", metavar="FILE", help="also draw the points of this sweep store (raf sweep run) that "
                                                   "match the view, with their error bars")
    p.set_defaults(func=commands.cmd_explore)

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
    g.add_argument("--jobs", "-j", type=_int_option("jobs"), default=1,
                   help="local processes (n_jobs; default 1; -1: all cores); the numbers do not depend on it")
    g.add_argument("--scheduler", metavar="ADDR", help="run on a Dask cluster, e.g. tcp://HOST:8786 "
                                                       "(needs rafmodel[dask])")
    q.add_argument("--retry-failed", action="store_true", help="compute the failed points again")
    q.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None,
                   help="progress bar with ETA on stderr (default: on a terminal)")
    q.set_defaults(func=commands.cmd_sweep_run)
    q = ssub.add_parser("status", help="done / failed / pending points, time spent and left",
                        description="Points done, failed, not converged and pending, the time spent and an "
                                    "estimate of the time left.")
    q.add_argument("--store", required=True, metavar="FILE", help="the SQLite store")
    q.set_defaults(func=commands.cmd_sweep_status)
    q = ssub.add_parser("export", help="the stored points as CSV or Parquet, sorted by parameters",
                        description="Every stored point, one row each, sorted by parameters: the parameters, "
                                    "the results, status, error, version, seconds. Exit status 1 if any point "
                                    "failed or did not converge.")
    q.add_argument("--store", required=True, metavar="FILE", help="the SQLite store")
    q.add_argument("--format", choices=("csv", "parquet"), help="default: from --out's extension, else csv")
    q.add_argument("--out", metavar="FILE", help="write here (default: CSV on stdout)")
    q.set_defaults(func=commands.cmd_sweep_export)
    return parser
