"""Optional extras in the tests: which module needs which extra, and one skip message for each.

A test that needs an extra skips with a reason that names the module and the install command
(``pip install 'rafmodel[EXTRA]'``), the same in every file.
"""

from __future__ import annotations

import importlib.util

import pytest

#: The module a test imports -> the extra of rafmodel that installs it.
EXTRA_OF = {"jax": "nn", "optax": "nn", "dask": "dask", "distributed": "dask", "pyarrow": "dask",
            "numba": "fast", "panel": "explore"}


def reason(module: str) -> str:
    """The skip message for a test that needs ``module``."""
    return f"needs {module}: pip install 'rafmodel[{EXTRA_OF[module]}]'"


def installed(module: str) -> bool:
    """Whether ``module`` can be imported (without importing it)."""
    return importlib.util.find_spec(module) is not None


def needs(*modules: str):
    """Skip the calling test (or module, at its top level) unless every module is installed.

    Returns the first module, imported (``jax = needs("jax", "optax")``).
    """
    __tracebackhide__ = True  # a skip is reported at the test that needs the module, not here
    first = None
    for module in modules:
        mod = pytest.importorskip(module, reason=reason(module))
        first = mod if first is None else first
    return first


def skip_without(*modules: str):
    """A mark that skips a test or a parameter unless every module is installed."""
    absent = [m for m in modules if not installed(m)]
    return pytest.mark.skipif(bool(absent), reason=reason(absent[0]) if absent else "")
