"""Parameter validation, in one place: constraints as data, one table per public entry point.

Every check raises :class:`~rafmodel.exceptions.ParameterError` (a ``ValueError``)
whose message names the parameter and what is allowed, e.g.
``eps: must be in [0, 1], got 1.5``.  The constraints of each public entry point
are declared in :data:`CONSTRAINTS`; the command line builds its help from the
same table (:func:`describe`), and one parametrized test feeds every entry of
the table the invalid values the constraint itself proposes (:meth:`Constraint.invalid`).
"""

from __future__ import annotations

import math
import numbers

import numpy as np

from .exceptions import ParameterError

__all__ = ["ParameterError", "Constraint", "Real", "Integer", "Choice", "CONSTRAINTS", "check", "validate",
           "describe", "as_float_array", "check_positive_finite", "check_nonnegative_finite",
           "check_unit_interval", "check_positive_int", "MAX_POINTS", "MAX_SEEDS", "MAX_D", "MAX_RESOLUTION",
           "check_count", "check_size_option"]

# --------------------------------------------------------------------------------------
# Sizes: the limits of one call or command, in one place, checked before any work
# --------------------------------------------------------------------------------------

#: Most points one call or command may compute: a grid's combinations, a range's count
#: (``raf theory``, ``raf bayes``, ``rafmodel.grid``, ``rafmodel.bayes_optimal``, a sweep, a figure's
#: theory grid), and the repetitions of a simulation batch (points x seeds).
MAX_POINTS = 1_000_000

#: Most independent repetitions of one point (``seeds``, ``repeats``).
MAX_SEEDS = 10_000

#: Largest input dimension ``d`` of a simulation (its arrays are checked against memory too).
MAX_D = 100_000

#: Largest resolution (``n_alpha``, ``n_lam``, ...) of one axis of a figure.
MAX_RESOLUTION = 10_000


def check_count(name, count, limit=MAX_POINTS, what="points", hint="split it"):
    """Refuse a size above ``limit``, naming ``name``.

    Parameters
    ----------
    name : str
        The parameter (or ``grid``) the size comes from.
    count : int
        The size asked for.
    limit : int, default=:data:`MAX_POINTS`
        The most allowed.
    what : str
        What is counted, for the message.
    hint : str
        What to do instead.

    Raises
    ------
    ParameterError
        ``count > limit``.

    Examples
    --------
    >>> check_count("grid", 2_000_000)
    Traceback (most recent call last):
    ...
    rafmodel.exceptions.ParameterError: grid: 2000000 points, more than the 1000000 one call may compute; split it
    """
    if count > limit:
        raise ParameterError(name, f"{count} {what}, more than the {limit} one call may compute; {hint}")
    return count


#: The cap of a size option, by its name (the figures' parameters are capped by these names too).
_SIZE_CAPS = {"d": MAX_D, "seeds": MAX_SEEDS, "repeats": MAX_SEEDS}


def check_size_option(name, value):
    """Cap a size option by its name: ``d``, ``seeds``, ``repeats`` and every ``n_*`` resolution.

    Other names pass unchanged.  ``value`` is an integer or a list of them.

    Raises
    ------
    ParameterError
        A value above the cap of its name.
    """
    cap = _SIZE_CAPS.get(name)
    if cap is None and name.startswith("n_") and name not in ("n_test", "n_jobs"):
        cap = MAX_RESOLUTION
    if cap is None:
        return value
    for v in (value if isinstance(value, (list, tuple)) else [value]):
        if isinstance(v, numbers.Real) and not isinstance(v, bool) and v > cap:
            raise ParameterError(name, f"must be at most {cap}, got {v!r}")
    return value


def _fmt(x):
    x = np.asarray(x).reshape(-1)
    return repr(x[0].item()) if x.size == 1 else np.array2string(x[:6], separator=", ")


def as_float_array(name, value):
    """Convert ``value`` to a float array, or raise naming ``name``."""
    if value is None or isinstance(value, (str, bytes, bool)):
        raise ParameterError(name, f"must be a number, got {value!r}")
    try:
        arr = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        raise ParameterError(name, f"must be a number, got {value!r}") from None
    if arr.size == 0:
        raise ParameterError(name, "must not be empty")
    return arr


class Constraint:
    """A constraint on one parameter: validates a value and proposes invalid ones."""

    def check(self, name, value):
        """Return ``value`` (converted) or raise :class:`ParameterError` naming ``name``."""
        raise NotImplementedError

    def describe(self) -> str:
        """What is allowed, in a few words (``"> 0"``, ``"in [0, 1]"``)."""
        raise NotImplementedError

    def invalid(self) -> list:
        """Values this constraint must refuse (for the parametrized bad-input test)."""
        raise NotImplementedError


class Real(Constraint):
    """A finite real number (or array of them) in an interval.

    Parameters
    ----------
    lo, hi : float or None
        Bounds (``None``: unbounded).
    lo_open, hi_open : bool
        Whether a bound is excluded.
    array : bool
        Accept arrays (each entry is checked); otherwise a scalar is required.
    """

    def __init__(self, lo=None, hi=None, *, lo_open=False, hi_open=False, array=True):
        self.lo, self.hi, self.lo_open, self.hi_open, self.array = lo, hi, lo_open, hi_open, array

    def describe(self):
        lo, hi = self.lo, self.hi
        if lo is not None and hi is not None:
            return f"in {'(' if self.lo_open else '['}{lo:g}, {hi:g}{')' if self.hi_open else ']'}"
        if lo is not None:
            return f"{'>' if self.lo_open else '>='} {lo:g}"
        if hi is not None:
            return f"{'<' if self.hi_open else '<='} {hi:g}"
        return "a finite number"

    def _ok(self, x):
        lo, hi = self.lo, self.hi
        ok = np.ones(np.shape(x), bool) if isinstance(x, np.ndarray) else True
        if lo is not None:
            ok = ok & ((x > lo) if self.lo_open else (x >= lo))
        if hi is not None:
            ok = ok & ((x < hi) if self.hi_open else (x <= hi))
        return ok

    def check(self, name, value):
        t = type(value)
        if (t is float or t is int) and math.isfinite(value) and self._ok(value):  # fast path
            return float(value)
        arr = as_float_array(name, value)
        if not self.array and arr.ndim != 0:
            raise ParameterError(name, f"must be a single number, got {value!r}")
        desc = self.describe()
        bad = ~np.isfinite(arr)
        if np.any(bad):
            what = "" if desc == "a finite number" else f" {desc}"
            raise ParameterError(name, f"must be a finite number{what}, got {_fmt(arr[bad])}")
        ok = self._ok(arr)
        if not np.all(ok):
            raise ParameterError(name, f"must be {desc}, got {_fmt(arr[~ok])}")
        return float(arr) if arr.ndim == 0 and not isinstance(value, np.ndarray) else arr

    def invalid(self):
        out = [math.nan, math.inf, "1", None]
        if self.lo is not None:
            out.append(self.lo if self.lo_open else self.lo - 1.0)
        if self.hi is not None:
            out.append(self.hi if self.hi_open else self.hi + 1.0)
        return out


class Integer(Constraint):
    """An integer ``>= lo`` (and ``<= hi``); ``extra`` lists further allowed values (e.g. ``-1``);
    ``optional``: ``None`` is allowed too (a default decided by the callee)."""

    def __init__(self, lo=1, hi=None, *, extra=(), optional=False):
        self.lo, self.hi, self.extra, self.optional = lo, hi, tuple(extra), optional

    def describe(self):
        if self.lo in (0, 1):
            base = "a positive integer" if self.lo == 1 else "a non-negative integer"
            if self.hi is not None:
                base += f" <= {self.hi}"
        elif self.hi is None:
            base = f"an integer >= {self.lo}"
        else:
            base = f"an integer in [{self.lo}, {self.hi}]"
        return base + "".join(f" or {e}" for e in self.extra)

    def check(self, name, value):
        if value is None and self.optional:
            return None
        if isinstance(value, (bool, np.bool_)) or not isinstance(value, (numbers.Integral, np.integer)):
            if isinstance(value, (float, np.floating)) and math.isfinite(value) and value == int(value):
                value = int(value)
            else:
                raise ParameterError(name, f"must be {self.describe()}, got {value!r}")
        value = int(value)
        if value in self.extra:
            return value
        if value < self.lo or (self.hi is not None and value > self.hi):
            raise ParameterError(name, f"must be {self.describe()}, got {value!r}")
        return value

    def invalid(self):
        out = [self.lo - 1 if (self.lo - 1) not in self.extra else self.lo - 2, 1.5, math.nan, "2"]
        if not self.optional:
            out.append(None)
        if self.hi is not None:
            out.append(self.hi + 1)
        return out


class Choice(Constraint):
    """One of a fixed set of names (case-insensitive)."""

    def __init__(self, *choices):
        self.choices = tuple(choices)

    def describe(self):
        return "one of " + ", ".join(self.choices)

    def check(self, name, value):
        if isinstance(value, str) and value.lower() in self.choices:
            return value.lower()
        raise ParameterError(name, f"must be {self.describe()}, got {value!r}")

    def invalid(self):
        return ["nonsense", "", None, 3]


POSITIVE = Real(0, lo_open=True)
NONNEGATIVE = Real(0)
UNIT = Real(0, 1)
POSITIVE_INT = Integer(1)
NONNEGATIVE_INT = Integer(0)

#: The constraints of every public entry point, ``{entry: {parameter: Constraint}}``.
CONSTRAINTS: dict[str, dict[str, Constraint]] = {
    "Setting": {"alpha": POSITIVE, "eps": UNIT, "lam": NONNEGATIVE},
    "Kernel": {"mu1": POSITIVE, "mustar": NONNEGATIVE},
    "RandomFeatures": {"kappa": POSITIVE, "mu1": POSITIVE, "mustar": NONNEGATIVE},
    "SolverOptions": {"tol": Real(0, 1e-3, lo_open=True, array=False), "max_iter": POSITIVE_INT,
                      "damping": Real(0, 1, lo_open=True, array=False), "memory": NONNEGATIVE_INT,
                      "method": Choice("auto", "closed", "quadrature"), "n_nodes": Integer(2)},
    "simulate": {"d": Integer(1, MAX_D), "seeds": Integer(1, MAX_SEEDS), "n_test": POSITIVE_INT,
                 "seed": NONNEGATIVE_INT,
                 "n_jobs": Integer(1, extra=(-1,), optional=True)},
    "lam_path": {"lams": Real(0)},
    "GaussianRAF": {"d": Integer(1, MAX_D), "n_test": POSITIVE_INT},
    "Network": {"kappa": POSITIVE, "train": Choice("readout", "all"), "scaling": Choice("lazy", "mean-field"),
                "optimizer": Choice("gd", "adam"), "steps": POSITIVE_INT, "lr": POSITIVE,
                "device": Choice("auto", "cpu", "gpu")},
    "train_network": {"d": Integer(1, MAX_D), "seeds": Integer(1, MAX_SEEDS), "n_test": POSITIVE_INT,
                      "seed": NONNEGATIVE_INT,
                      "record_every": Integer(1, optional=True)},
    "ImageRAF": {"n_test": Integer(2, optional=True)},
    "realdata": {"bandwidth": POSITIVE, "seeds": Integer(1, MAX_SEEDS), "seed": NONNEGATIVE_INT},
}


def check(name, value, constraint):
    """Validate one value against a :class:`Constraint` (or the name of a table entry's parameter)."""
    return constraint.check(name, value)


def validate(entry, **values):
    """Validate keyword values against ``CONSTRAINTS[entry]``; returns them converted.

    Examples
    --------
    >>> validate("simulate", d=10, seeds=2)
    {'d': 10, 'seeds': 2}
    >>> validate("simulate", d=0)
    Traceback (most recent call last):
    ...
    rafmodel.exceptions.ParameterError: d: must be a positive integer <= 100000, got 0
    """
    table = CONSTRAINTS[entry]
    return {k: (table[k].check(k, v) if k in table else v) for k, v in values.items()}


def describe(entry, name) -> str:
    """What ``CONSTRAINTS[entry][name]`` allows, for help texts."""
    return CONSTRAINTS[entry][name].describe()


def check_positive_finite(name, value):
    """``value > 0`` and finite (scalar or array)."""
    return POSITIVE.check(name, value)


def check_nonnegative_finite(name, value):
    """``value >= 0`` and finite (scalar or array)."""
    return NONNEGATIVE.check(name, value)


def check_unit_interval(name, value):
    """``0 <= value <= 1`` (scalar or array)."""
    return UNIT.check(name, value)


def check_positive_int(name, value):
    """A positive integer."""
    return POSITIVE_INT.check(name, value)
