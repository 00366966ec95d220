"""Exceptions and warnings of rafmodel, in one place.

One policy everywhere:

* bad input raises :class:`ParameterError` (a ``ValueError``) naming the
  parameter and what is allowed, before any work;
* a computation asked for one result that could not be certified raises
  :class:`ConvergenceError` (a fixed point not reached, an optimum not found), or its
  subclass :class:`SolverError` (a finite-size solver that failed its certificate);
* a batch that keeps going past such points warns with :class:`ConvergenceWarning`
  (filterable with :func:`warnings.filterwarnings`) and flags the points.
"""

from __future__ import annotations

import re
from typing import Any

__all__ = ["ParameterError", "ConvergenceError", "SolverError", "ConvergenceWarning", "shorten"]

#: Longest run of a user's value (a quoted text, a word) echoed back in an error message.
ECHO_WIDTH = 80

#: Longest file path echoed back in full (a value with a ``/`` or ``\\`` in it): the longest
#: path Linux accepts, so that a message names the file it is about.
PATH_WIDTH = 4096

#: Longest error message, all told.
MESSAGE_WIDTH = 2 * PATH_WIDTH


def shorten(message: str, width: int = ECHO_WIDTH) -> str:
    """``message`` with every long quoted value or word cut to ``width`` characters and ``...``.

    Error messages echo the user's values back; a 5 MB name must not come back in full.
    A value that looks like a file path (it holds ``/`` or ``\\``) is kept up to
    :data:`PATH_WIDTH` characters, so that the message still names the file. Line breaks
    inside a value are shown as ``\\n``, so that the message stays one line.

    Parameters
    ----------
    message : str
        The message.
    width : int, default=80
        The most characters kept of one quoted value or one word.

    Returns
    -------
    str
        The shortened message (at most :data:`MESSAGE_WIDTH` characters).

    Examples
    --------
    >>> shorten("model: unknown learner '" + "x" * 200 + "'; allowed: linear", width=8)
    "model: unknown learner 'xxxxxxxx...'; allowed: linear"
    """
    message = str(message)
    if len(message) <= width and "\n" not in message:
        return message

    # a quoted value (as repr writes it) keeps its quotes; any other long word is cut too
    word = re.compile(r"\S{%d,}" % (width + 1))

    def cut(value):
        limit = PATH_WIDTH if ("/" in value[:PATH_WIDTH] or "\\" in value[:PATH_WIDTH]) else width
        return value if len(value) <= limit else value[:limit] + "..."

    def words(text):
        return word.sub(lambda m: cut(m.group(0)), text)

    parts, i, n = [], 0, len(message)
    while i < n:
        starts = [j for j in (message.find("'", i), message.find('"', i)) if j >= 0]
        if not starts:
            break
        j = min(starts)
        q, k = message[j], j + 1
        while True:  # the closing quote: one followed by the end, a space or punctuation
            k = message.find(q, k)
            if k < 0 or k + 1 == n or message[k + 1] in " \t\n,;:)]":
                break
            k += 1
        if k < 0:
            break
        parts.append(words(message[i:j]))
        body = message[j + 1:k]
        parts.append(q + cut(body) + q)
        i = k + 1
    parts.append(words(message[i:]))
    out = "".join(parts)
    out = out.replace("\r", "\\r").replace("\n", "\\n")
    if len(out) > MESSAGE_WIDTH:
        out = out[:MESSAGE_WIDTH - 3] + "..."
    return out


class ParameterError(ValueError, TypeError):
    """An invalid parameter; ``param`` names it.

    Both a :class:`ValueError` and a :class:`TypeError` (as scikit-learn's parameter
    errors), so that a value out of range and an object of the wrong type are caught
    alike.

    Parameters
    ----------
    param : str
        Name of the parameter (as in the API; the CLI spells it as its option).
    message : str
        What is allowed, and what was given.

    Examples
    --------
    >>> str(ParameterError("eps", "must be in [0, 1], got 1.5"))
    'eps: must be in [0, 1], got 1.5'
    """

    def __init__(self, param: str, message: str) -> None:
        param = shorten(str(param))
        super().__init__(shorten(f"{param}: {message}"))
        self.param = param


class ConvergenceError(RuntimeError):
    """A fixed point or an optimum was not reached; ``result`` holds the diagnostics.

    Parameters
    ----------
    message : str
        What was not reached, where, and after how many iterations.
    result : object, optional
        The non-converged result (e.g. a :class:`rafmodel.TheoryResult` with
        ``converged = False``, a :class:`rafmodel.BayesResult`, or the
        :class:`rafmodel.OptimalLambda` found), available as ``exc.result``.

    Examples
    --------
    >>> err = ConvergenceError("fixed point not reached", result={"iterations": 1000})
    >>> str(err), err.result["iterations"]
    ('fixed point not reached', 1000)
    """

    def __init__(self, message: str, result: Any = None) -> None:
        super().__init__(message)
        self.result = result


class SolverError(ConvergenceError):
    """A finite-size solver failed or could not certify its solution.

    A :class:`ConvergenceError` (and so a ``RuntimeError``): the optimum of a training
    objective was not reached to its certificate (a duality gap, a gradient norm).
    :func:`rafmodel.simulate` catches it per repetition and reports the repetition as failed.

    Parameters
    ----------
    message : str
        Which solver, and the certificate it missed.
    result : object, optional
        Diagnostics, available as ``exc.result`` (the solvers raise it with the message only).

    Examples
    --------
    >>> isinstance(SolverError("SVM duality gap 0.01 too large"), ConvergenceError)
    True
    """


class ConvergenceWarning(RuntimeWarning):
    """Some points of a batch did not converge; they are kept, flagged and carry ``nan``.

    Silence it with ``warnings.filterwarnings("ignore", category=rafmodel.ConvergenceWarning)``.
    """
