"""A stand-in for a compiled module whose numba cannot compile or cache (for the fallback tests)."""

from __future__ import annotations

import sys
import types


def break_module(monkeypatch, name):
    """Replace ``sys.modules[name]`` with a module whose every attribute raises, as numba does
    when its cache has no writable place (``RuntimeError`` when the module is imported)."""

    class Broken(types.ModuleType):
        def __getattr__(self, attr):
            raise RuntimeError("cannot cache function: no locator available")

    monkeypatch.setitem(sys.modules, name, Broken(name))
    monkeypatch.delenv("RAFMODEL_NUMBA", raising=False)
