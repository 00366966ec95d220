"""Loading the optional compiled routes (numba, the ``fast`` extra): one rule for all of them.

A compiled route is used where numba is installed and the environment variable
``RAFMODEL_NUMBA`` is not ``0``; the variable is read, and numba imported, when a route is first
asked for.  A numba that is installed but cannot compile or cache here gives a
:class:`RuntimeWarning` and the numpy or Python route instead.
"""

from __future__ import annotations

import importlib
import os
import warnings

__all__ = ["load"]


def load(module: str, name: str, what: str, fallback: str, stacklevel: int = 3):
    """``name`` from ``rafmodel.theory.<module>``, or ``None`` (switched off, numba absent or broken).

    ``what`` names the route and ``fallback`` what runs instead, for the warning.
    """
    if os.environ.get("RAFMODEL_NUMBA", "1") == "0":
        return None
    try:
        return getattr(importlib.import_module(f"rafmodel.theory.{module}"), name)
    except ImportError:  # numba is not installed
        return None
    except Exception as exc:  # numba is there but cannot compile or cache here: say so, go on
        warnings.warn(f"the {what} is unavailable ({type(exc).__name__}: {exc}); using {fallback}",
                      RuntimeWarning, stacklevel=stacklevel + 1)
        return None
