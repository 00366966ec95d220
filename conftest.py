"""Collection of the package's doctests: a module that needs an absent extra skips, saying which.

pytest collects the doctests of every module under ``src/rafmodel`` (``--doctest-modules``).
A module whose top-level imports name an optional dependency (numba, jax, dask, ...) cannot
be imported where that extra is not installed; instead of an import error, its doctests are
reported as skipped with the extra to install.  Any other import error still fails.
"""

from __future__ import annotations

import ast
import importlib.util

import pytest

#: Top-level packages of the optional extras, and the extra that brings each.
OPTIONAL = {"numba": "fast", "llvmlite": "fast", "jax": "nn", "optax": "nn", "dask": "dask",
            "distributed": "dask", "pyarrow": "dask"}


def _missing_extras(path):
    """``[(package, extra)]`` for the absent optional packages that ``path`` imports at top level."""
    try:
        tree = ast.parse(path.read_text(encoding="utf-8"))
    except (OSError, SyntaxError, UnicodeDecodeError):
        return []
    names = set()
    for node in tree.body:  # module level only: imports inside functions are lazy
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return [(name, OPTIONAL[name]) for name in sorted(names & set(OPTIONAL))
            if importlib.util.find_spec(name) is None]


class _SkippedDoctests(pytest.File):
    """Stands for a module's doctests when the module needs an absent extra."""

    reason = ""

    def collect(self):
        pytest.skip(self.reason)


@pytest.hookimpl(wrapper=True)
def pytest_collect_file(file_path, parent):
    collected = yield
    out = []
    for item in collected or []:
        if type(item).__name__ == "DoctestModule":
            missing = _missing_extras(file_path)
            if missing:
                pkgs = ", ".join(name for name, _ in missing)
                extras = ",".join(sorted({extra for _, extra in missing}))
                skipped = _SkippedDoctests.from_parent(parent, path=file_path)
                skipped.reason = (f"doctests of {file_path.name} need {pkgs} "
                                  f"(pip install 'rafmodel[{extras}]')")
                out.append(skipped)
                continue
        out.append(item)
    return out
