"""Parameter validation, in one place.

Every check raises :class:`ParameterError` (a ``ValueError``) whose message names
the parameter and what is allowed, e.g. ``eps: must be in [0, 1], got 1.5``.
"""

from __future__ import annotations

import math

import numpy as np

from .exceptions import ParameterError

__all__ = ["ParameterError", "as_float_array", "check_positive_finite",
           "check_nonnegative_finite", "check_unit_interval", "check_positive_int"]




def _fmt(x):
    x = np.asarray(x).reshape(-1)
    return repr(x[0].item()) if x.size == 1 else np.array2string(x[:6], separator=", ")


def as_float_array(name, value):
    """Convert ``value`` to a float array, or raise naming ``name``."""
    if value is None or isinstance(value, (str, bytes)):
        raise ParameterError(name, f"must be a number, got {value!r}")
    try:
        arr = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        raise ParameterError(name, f"must be a number, got {value!r}") from None
    if arr.size == 0:
        raise ParameterError(name, "must not be empty")
    return arr


def _finite(name, arr, what):
    bad = ~np.isfinite(arr)
    if np.any(bad):
        raise ParameterError(name, f"must be a finite number {what}, got {_fmt(arr[bad])}")


def _out(value, arr):
    return float(arr) if arr.ndim == 0 and not isinstance(value, np.ndarray) else arr


def _scalar(value):
    """A plain Python number (the common case, checked without numpy), else None."""
    t = type(value)
    if t is float or t is int:
        return float(value)
    return None


def check_positive_finite(name, value):
    """``value > 0`` and finite (scalar or array)."""
    x = _scalar(value)
    if x is not None and 0 < x < math.inf:
        return x
    arr = as_float_array(name, value)
    _finite(name, arr, "> 0")
    if np.any(arr <= 0):
        raise ParameterError(name, f"must be > 0, got {_fmt(arr[arr <= 0])}")
    return _out(value, arr)


def check_nonnegative_finite(name, value):
    """``value >= 0`` and finite (scalar or array)."""
    x = _scalar(value)
    if x is not None and 0 <= x < math.inf:
        return x
    arr = as_float_array(name, value)
    _finite(name, arr, ">= 0")
    if np.any(arr < 0):
        raise ParameterError(name, f"must be >= 0, got {_fmt(arr[arr < 0])}")
    return _out(value, arr)


def check_unit_interval(name, value):
    """``0 <= value <= 1`` (scalar or array)."""
    x = _scalar(value)
    if x is not None and 0 <= x <= 1:
        return x
    arr = as_float_array(name, value)
    _finite(name, arr, "in [0, 1]")
    bad = (arr < 0) | (arr > 1)
    if np.any(bad):
        raise ParameterError(name, f"must be in [0, 1], got {_fmt(arr[bad])}")
    return _out(value, arr)


def check_positive_int(name, value):
    """A positive integer."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ParameterError(name, f"must be a positive integer, got {value!r}")
    return int(value)
