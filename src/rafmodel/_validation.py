"""Parameter validation, in one place: constraints as data, bound to the signatures they check.

Every check raises :class:`~rafmodel.exceptions.ParameterError` (a ``ValueError``)
whose message names the parameter and what is allowed, e.g.
``eps: must be in [0, 1], got 1.5``.  The constraints of each public entry point
are declared in :data:`CONSTRAINTS`, ``{entry: {parameter: Constraint}}``; the command
line builds its help from the same table (:func:`describe`), and one parametrized test
feeds every entry of the table the invalid values the constraint itself proposes
(:meth:`Constraint.invalid`).

How a constraint reaches the code: the decorator :func:`validate_params` binds a function's
or constructor's arguments to its signature (:meth:`inspect.Signature.bind`), checks each
against its declared constraint, and calls the body with the converted values, so the
body never sees an unchecked value and no constructor can do its work first::

    @validate_params("Kernel")  # the constraints of CONSTRAINTS["Kernel"]
    def __init__(self, *, mu1, mustar):
        self.mu1, self.mustar = mu1, mustar  # already checked and converted

The declaration is checked when the module is imported (a programming error, a
``TypeError``): a constraint for a name that is not a parameter, a parameter with neither
a constraint nor an exemption (``exempt={"data": "checked by _source"}``: an object validated
elsewhere, a ``**catch_all``; the leading ``self`` or ``cls`` is exempt by itself), and a
default that its own constraint refuses.  At a call, a keyword the signature does not declare,
or a required one left out, is a :class:`ParameterError` naming it (one line at the command
line); :func:`validate`, the same check for code that holds the values in hand, refuses an
undeclared key too.  Classes whose constructors are declared derive from :class:`DeclaredInit`,
which refuses a subclass whose ``__init__`` is not declared, so that a subclass cannot skip
the check.
"""

from __future__ import annotations

import functools
import inspect
import math
import numbers
import re
from types import MappingProxyType

import numpy as np

from .exceptions import ParameterError

__all__ = ["ParameterError", "Constraint", "Real", "Integer", "Choice", "CONSTRAINTS", "check", "validate",
           "validate_params", "DeclaredInit", "DECLARED", "describe", "as_float_array", "check_positive_finite", "check_nonnegative_finite",
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

#: The parameters every simulation entry point shares (one object per constraint).
_SIMULATION = {"d": Integer(1, MAX_D), "seeds": Integer(1, MAX_SEEDS), "n_test": POSITIVE_INT,
               "seed": NONNEGATIVE_INT}

#: The constraints of every public entry point, ``{entry: {parameter: Constraint}}``; an entry is
#: bound to the signatures it checks by :func:`validate_params` (``@validate_params("Kernel")``).
CONSTRAINTS: dict[str, dict[str, Constraint]] = {
    "Setting": {"alpha": POSITIVE, "eps": UNIT, "lam": NONNEGATIVE},
    "Kernel": {"mu1": POSITIVE, "mustar": NONNEGATIVE},
    "RandomFeatures": {"kappa": POSITIVE, "mu1": POSITIVE, "mustar": NONNEGATIVE},
    "SolverOptions": {"tol": Real(0, 1e-3, lo_open=True, array=False), "max_iter": POSITIVE_INT,
                      "damping": Real(0, 1, lo_open=True, array=False), "memory": NONNEGATIVE_INT,
                      "method": Choice("auto", "closed", "quadrature"), "n_nodes": Integer(2),
                      # rafmodel.theory.backend.BACKENDS (a test keeps the two equal)
                      "backend": Choice("auto", "compiled", "numpy")},
    "simulate": {**_SIMULATION, "n_jobs": Integer(1, extra=(-1,), optional=True)},
    "lam_path": {**_SIMULATION, "lams": Real(0)},
    "GaussianRAF": {"d": _SIMULATION["d"], "n_test": POSITIVE_INT},
    "Network": {"kappa": POSITIVE, "train": Choice("readout", "all"), "scaling": Choice("lazy", "mean-field"),
                "optimizer": Choice("gd", "adam"), "steps": POSITIVE_INT, "lr": POSITIVE,
                "device": Choice("auto", "cpu", "gpu")},
    "train_network": {**_SIMULATION, "record_every": Integer(1, optional=True)},
    "ImageRAF": {"n_test": Integer(2, optional=True)},
    "realdata": {"bandwidth": POSITIVE, "seeds": Integer(1, MAX_SEEDS), "seed": NONNEGATIVE_INT},
    # the input models (rafmodel.inputs); Spectrum's arrays are checked in its body
    "Isotropic": {},
    "Spectrum": {"directions": Real(0, lo_open=True, array=False)},
    "PowerLaw": {"decay": Real(0, lo_open=True, array=False), "source": Real(0, array=False),
                 "size": Integer(2, 1_000_000)},
    "Spiked": {"fraction": Real(0, 1, lo_open=True, hi_open=True, array=False),
               "spike": Real(0, lo_open=True, array=False), "teacher_share": Real(0, 1, array=False)},
    "Mixture": {"d": Integer(1, 100_000_000), "facts": Choice("class", "rule")},
}


def check(name, value, constraint):
    """Validate one value against a :class:`Constraint`.

    Parameters
    ----------
    name : str
        The parameter, for the message.
    value : object
        The value.
    constraint : Constraint
        What is allowed.

    Returns
    -------
    object
        ``value``, converted by the constraint.
    """
    return constraint.check(name, value)


def validate(entry, **values):
    """Validate keyword values against ``CONSTRAINTS[entry]``; returns them converted.

    For code that holds the values in hand; a function or constructor declares its
    constraints at its signature with :func:`validate_params` instead.

    Parameters
    ----------
    entry : str
        A key of :data:`CONSTRAINTS`.
    **values
        Some of the entry's parameters.

    Returns
    -------
    dict
        ``{name: converted value}``.

    Raises
    ------
    ParameterError
        A value its constraint refuses, or a name the entry does not declare.

    Examples
    --------
    >>> validate("simulate", d=10, seeds=2)
    {'d': 10, 'seeds': 2}
    >>> validate("simulate", d=0)
    Traceback (most recent call last):
    ...
    rafmodel.exceptions.ParameterError: d: must be a positive integer <= 100000, got 0
    >>> validate("GaussianRAF", depth=3)
    Traceback (most recent call last):
    ...
    rafmodel.exceptions.ParameterError: depth: not a parameter of GaussianRAF; its parameters: d, n_test
    """
    table = CONSTRAINTS[entry]
    out = {}
    for k, v in values.items():
        c = table.get(k)
        if c is None:
            raise ParameterError(k, f"not a parameter of {entry}; its parameters: {', '.join(table)}")
        out[k] = c.check(k, v)
    return out


# --------------------------------------------------------------------------------------
# Constraints bound to signatures
# --------------------------------------------------------------------------------------

#: The callables declared with :func:`validate_params` by a table entry, ``{entry: [callable, ...]}``.
DECLARED: dict[str, list] = {}

#: Names of a leading parameter exempt by itself (the instance or class a method is bound to).
_IMPLICIT = ("self", "cls")

_MISSING = re.compile(r"missing a required (?:keyword-only )?argument: '([^']+)'")


def _owner(func, args):
    """How the caller spelled what it called: the class for a constructor, else the function."""
    if func.__name__ == "__init__" and args:
        return type(args[0]).__name__
    return func.__name__


def _bind_error(func, sig, args, kwargs, exc):
    """The :class:`ParameterError` for arguments the signature cannot bind (else a ``TypeError``)."""
    params = sig.parameters
    owner = _owner(func, args)
    names = [k for k, p in params.items() if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
             and not (k in _IMPLICIT and k == next(iter(params)))]
    if not any(p.kind is p.VAR_KEYWORD for p in params.values()):
        for k in kwargs:
            if k not in params or params[k].kind is params[k].POSITIONAL_ONLY:
                return ParameterError(k, f"not a parameter of {owner}; its parameters: {', '.join(names) or 'none'}")
    missing = _MISSING.search(str(exc))
    if missing:
        return ParameterError(missing.group(1), f"required by {owner}")
    return TypeError(f"{owner}(): {exc}")


def validate_params(constraints, *, exempt=None):
    """Declare the constraints of a function's or constructor's parameters at its signature.

    The decorated callable binds its arguments to the signature (as
    :meth:`inspect.Signature.bind` does; a signature without positional-only parameters or
    catch-alls by a faster route to the same binding), checks each declared parameter (those
    given and, once at decoration, the defaults), and calls the body with the converted values:
    the body runs only on valid input.

    Parameters
    ----------
    constraints : str or dict of str to Constraint
        An entry of :data:`CONSTRAINTS` (the single source of the constraints of the public
        entry points), or the constraints themselves, ``{parameter: Constraint}``.
    exempt : dict of str to str, optional
        Parameters that are not checked here, each with the reason (an object validated
        elsewhere, a ``**catch_all``).  A leading ``self`` or ``cls`` is exempt by itself.

    Returns
    -------
    callable
        The decorator.  The decorated callable keeps the signature, name and docstring of
        the body (``__wrapped__``, looked up at each call) and carries ``__constraints__``
        and ``__exempt__``.

    Raises
    ------
    TypeError
        At decoration (a programming error): an unknown entry, a constraint for a name that
        is not a parameter, a parameter with neither a constraint nor an exemption, a name
        both constrained and exempt, or a default that its constraint refuses.
    ParameterError
        At a call: a value its constraint refuses, a keyword the signature does not declare,
        or a required parameter left out.

    Examples
    --------
    >>> @validate_params({"d": Integer(1), "eps": UNIT}, exempt={"data": "checked by the data source"})
    ... def sample(d, eps=0.1, *, data=None):
    ...     return d, eps
    >>> sample(3.0)
    (3, 0.1)
    >>> sample(3, eps=2)
    Traceback (most recent call last):
    ...
    rafmodel.exceptions.ParameterError: eps: must be in [0, 1], got 2.0
    >>> sample(3, depth=2)
    Traceback (most recent call last):
    ...
    rafmodel.exceptions.ParameterError: depth: not a parameter of sample; its parameters: d, eps, data
    >>> validate_params({"kappa": POSITIVE})(lambda d: d)
    Traceback (most recent call last):
    ...
    TypeError: validate_params(<lambda>): a constraint for 'kappa', which is not a parameter
    """
    if isinstance(constraints, str):
        if constraints not in CONSTRAINTS:
            raise TypeError(f"validate_params: {constraints!r} is not an entry of CONSTRAINTS")
        entry, table = constraints, CONSTRAINTS[constraints]
    else:
        entry, table = None, dict(constraints)
    exempt = dict(exempt or {})
    for k, c in table.items():
        if not isinstance(c, Constraint):
            raise TypeError(f"validate_params: the constraint of {k!r} is not a Constraint: {c!r}")

    def decorate(func):
        sig = inspect.signature(func)
        params = sig.parameters
        where = f"validate_params({func.__qualname__})"
        first = next(iter(params), None)
        for k in table:
            if k not in params:
                raise TypeError(f"{where}: a constraint for {k!r}, which is not a parameter")
            if params[k].kind in (params[k].VAR_POSITIONAL, params[k].VAR_KEYWORD):
                raise TypeError(f"{where}: a constraint for the catch-all {k!r}; exempt it with the reason")
        for k, why in exempt.items():
            if k not in params:
                raise TypeError(f"{where}: {k!r} is exempt but not a parameter")
            if k in table:
                raise TypeError(f"{where}: {k!r} is both constrained and exempt")
            if not isinstance(why, str) or not why.strip():
                raise TypeError(f"{where}: give the reason why {k!r} is exempt")
        for k in params:
            if k not in table and k not in exempt and not (k == first and k in _IMPLICIT):
                raise TypeError(f"{where}: the parameter {k!r} has no constraint; declare one, or exempt it "
                                "with the reason")
        defaults = {}
        for k, c in table.items():
            default = params[k].default
            if default is not inspect.Parameter.empty:
                try:
                    defaults[k] = c.check(k, default)
                except ParameterError as exc:
                    raise TypeError(f"{where}: the default of {k!r} breaks its constraint ({exc})") from None
        kinds = {p.kind for p in params.values()}
        # the common signature (no positional-only parameter, no catch-all) binds by name, as
        # Signature.bind would, but faster; any other, and any call bind refuses, goes through bind
        simple = not kinds & {inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.VAR_POSITIONAL,
                              inspect.Parameter.VAR_KEYWORD}
        positional = tuple(k for k, p in params.items() if p.kind is p.POSITIONAL_OR_KEYWORD)
        n_positional, names = len(positional), frozenset(params)
        required = frozenset(k for k, p in params.items() if p.default is inspect.Parameter.empty)
        checks = tuple(table.items())

        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            if simple and len(args) <= n_positional:
                given = dict(zip(positional, args))
                given.update(kwargs)
                if (len(given) == len(args) + len(kwargs) and given.keys() <= names
                        and required <= given.keys()):
                    values = {**defaults, **given}
                    for k, c in checks:  # in the order of the declaration, as bind's route
                        if k in given:
                            values[k] = c.check(k, given[k])
                    return wrapper.__wrapped__(**values)
            try:
                bound = sig.bind(*args, **kwargs)
            except TypeError as exc:
                raise _bind_error(func, sig, args, kwargs, exc) from None
            arguments = bound.arguments
            for k, c in checks:
                if k in arguments:
                    arguments[k] = c.check(k, arguments[k])
                elif k in defaults:
                    arguments[k] = defaults[k]
            return wrapper.__wrapped__(*bound.args, **bound.kwargs)

        wrapper.__constraints__ = MappingProxyType(dict(checks))
        wrapper.__exempt__ = MappingProxyType(exempt)
        wrapper.__validated__ = True
        if entry is not None:
            DECLARED.setdefault(entry, []).append(wrapper)
        return wrapper

    return decorate


class DeclaredInit:
    """Base of the classes whose constructors are declared with :func:`validate_params`.

    A subclass that defines ``__init__`` without the declaration is refused when it is
    defined (a ``TypeError``), so that no subclass constructor skips the checks; one that
    defines none inherits the declared one.
    """

    __slots__ = ()

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        init = cls.__dict__.get("__init__")
        if init is not None and not getattr(init, "__validated__", False):
            raise TypeError(f"{cls.__qualname__}.__init__ must declare the constraints of its parameters with "
                            "rafmodel._validation.validate_params (docs/user_guide/how_it_works.md)")


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
