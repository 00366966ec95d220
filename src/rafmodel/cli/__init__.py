"""The ``raf`` command line.

``raf theory``    exact asymptotic errors of a learner trained on RAF data
``raf bayes``     Bayes-optimal generalization error
``raf capacity``  interpolation threshold of the linear classifier
``raf optimal-lambda``  the lam minimizing gen_error; whether it is lam = 0, and whether the facts are stored there
``raf rate``      large-alpha decay of gen_error
``raf simulate``  finite-size simulations with error bars
``raf compare``   theory and simulation side by side (and a plot)
``raf facts``     which training examples are facts: AUC of AMP's posterior and simpler detectors, beside theory
``raf sweep``     large sweeps from a TOML spec into a resumable store (run, status, export; local or Dask)
``raf realdata``  rules and facts from image classes (digits, MNIST, CIFAR-10), beside the theory
``raf explore``   the theory's curves in an interactive page in the browser (rafmodel[explore])

Every numeric option takes a number, a comma-separated list (``0.5,1,2``) or a
range ``start:stop:num`` (linear) / ``start:stop:num:log`` (log-spaced); the
output has one row per combination.  Exit status: 0 on success, 1 if some
point did not converge (its row is kept, flagged, with empty values), 2 on bad
input.

The package parses (:mod:`~rafmodel.cli.parser`), hands the options to one handler per
command (:mod:`~rafmodel.cli.commands`), which calls the library and prints; :func:`main`
turns the library's refusals into one line and an exit status.  An option renamed for the
package's one vocabulary (``--model`` is now ``--learner``) still works for one release, with a
note on stderr that names the new option.
"""

from __future__ import annotations

import sys

from .._options import (MAX_POINTS, UsageError, _learner_from_args, _loss_from_args, _number,  # noqa: F401
                        _product_settings, _settings_from_args, check_grid, parse_values)
from ..exceptions import ParameterError, shorten
from ._common import emit  # noqa: F401
from .parser import (EXIT_NOT_CONVERGED, EXIT_OK, EXIT_USAGE, OPTION_NAMES, _Parser, build_parser, convert_options,
                     deprecation_notes, missing_required)

__all__ = ["main", "build_parser", "parse_values", "UsageError", "EXIT_OK", "EXIT_NOT_CONVERGED", "EXIT_USAGE"]


def main(argv=None):
    """Run the ``raf`` command line on ``argv`` (default ``sys.argv[1:]``); returns the exit status."""
    parser = build_parser()
    args, extra = parser.parse_known_args(argv)
    words = [c for c in (getattr(args, "command", None), getattr(args, "sweep_command", None)) if c]
    if extra:  # named by the subcommand that does not know them
        _Parser(prog=" ".join(["raf", *words])).error(f"unrecognized arguments: {' '.join(extra)}")
    missing = missing_required(args)
    if missing:
        _Parser(prog=" ".join(["raf", *words])).error(f"the following arguments are required: {', '.join(missing)}")
    for note in deprecation_notes(args):
        print(note, file=sys.stderr)
    import warnings

    from .._interrupt import release
    from ..exceptions import ConvergenceWarning

    release()  # from here Ctrl-C is KeyboardInterrupt, answered below (or by the command: what was saved)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)  # the command reports these itself, per row
            convert_options(args)
            return args.func(args)
    except UsageError as e:
        print(f"raf {args.command}: error: {e}", file=sys.stderr)
        return EXIT_USAGE
    except ParameterError as e:  # the library refused an input, before any work
        msg = str(e)
        name = getattr(e, "param", "")
        if name in OPTION_NAMES and msg.startswith(f"{name}:"):
            msg = OPTION_NAMES[name] + msg[len(name):]
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
