"""The compiled route of the maps: the same source, compiled with numba.

A map module is written in the operations of :mod:`rafmodel.theory.maps._ops` and marked with
``__map_module__ = True``.  :func:`compiled_module` gives its functions on the compiled route:
each is the *same code object* with the module's globals, in which the operations are replaced by
:data:`rafmodel.theory.maps._compiled_ops.OPS` and every function taken from another map module by
that module's compiled function, compiled by numba (inlined into its callers).  Nothing is
restated: a map module's source is both routes.  A loss's formulas in :mod:`rafmodel._math`
(:mod:`rafmodel._math.logistic`, written in the same operations and marked the same way) are
compiled the same way, with some operations replaceable (the compiled logistic channel's fast
``exp``).

:func:`specialize` does the same for a module of the compiled solver
(:mod:`rafmodel.theory._compiled_solver`), whose iteration calls ``to_channel``, ``channel`` and
``update`` by those names: one compiled solver per learner and loss, named by both and by a digest
of the sources it is built from, so that numba's cache (which looks at the solver's own file only)
is never taken for code built from other maps (the compiled logistic channel,
:mod:`rafmodel.theory._numba_channel`, is compiled by it too).
"""

from __future__ import annotations

import hashlib
import importlib
import sys
import types
from functools import lru_cache
from pathlib import Path

__all__ = ["compiled_module", "specialize", "source_digest"]


def _clone(f, ns, qualname=None):
    """``f``'s code with the globals ``ns`` (and another qualified name: numba's cache file name)."""
    g = types.FunctionType(f.__code__, ns, f.__name__, f.__defaults__, f.__closure__)
    g.__qualname__ = qualname or f.__qualname__
    g.__module__, g.__doc__, g.__kwdefaults__ = f.__module__, f.__doc__, f.__kwdefaults__
    return g


def _is_map_module(name):
    return bool(getattr(sys.modules.get(name), "__map_module__", False))


@lru_cache(maxsize=None)
def compiled_module(name: str, ops: tuple = ()) -> types.SimpleNamespace:
    """The functions of the map module ``name`` on the compiled route (compiled on first call).

    Parameters
    ----------
    name : str
        The module's full name, e.g. ``"rafmodel.theory.maps.hinge"`` or
        ``"rafmodel._math.logistic"`` (any module marked ``__map_module__ = True``).
    ops : tuple of (str, function) pairs, default=()
        Compiled operations that replace those of :data:`~rafmodel.theory.maps._compiled_ops.OPS`
        (e.g. ``(("exp", fast_exp),)``; numba functions, inlined), here and in the map modules
        this one takes functions from.

    Returns
    -------
    types.SimpleNamespace
        One numba function per function defined in the module, by the same name.
    """
    from numba import njit

    from ._compiled_ops import JIT, OPS

    mod = importlib.import_module(name)
    if not _is_map_module(name):
        raise ValueError(f"{name} is not a map module (no __map_module__ = True)")
    ns = dict(vars(mod))
    ns.update(OPS)
    ns.update(dict(ops))
    for key, val in vars(mod).items():  # other map modules' functions: their compiled ones
        if isinstance(val, types.FunctionType) and val.__module__ != name and _is_map_module(val.__module__):
            ns[key] = getattr(compiled_module(val.__module__, ops), val.__name__)
    out = {}
    for key, val in vars(mod).items():
        if isinstance(val, types.FunctionType) and val.__module__ == name:
            out[key] = ns[key] = njit(inline="always", **JIT)(_clone(val, ns))
    return types.SimpleNamespace(**out)


@lru_cache(maxsize=1)
def source_digest() -> str:
    """A digest of the sources of the compiled route: the map modules, the compiled solver and channel,
    and the formulas and operations of :mod:`rafmodel._math` they are built from."""
    here = Path(__file__).resolve().parent
    math = here.parents[1] / "_math"
    files = sorted(here.glob("*.py")) + [here.parent / "_compiled_solver.py", here.parent / "_numba_channel.py",
                                         math / "ops.py", math / "logistic.py"]
    h = hashlib.sha256()
    for f in files:
        h.update(f.name.encode())
        h.update(f.read_bytes())
    return h.hexdigest()[:12]


def specialize(module: str, functions: dict[str, str], overrides: dict, tag: str, jit: dict | None = None) -> dict:
    """Compile ``functions`` of ``module`` with some of its globals replaced (cached by numba).

    Parameters
    ----------
    module : str
        The module's full name.
    functions : dict of str to str
        ``{name: source}``: the module's function ``source`` compiled as the global ``name``; the
        functions call each other by these names, and each call reaches the specialized one.
    overrides : dict
        Globals replaced (e.g. ``to_channel``, ``channel``, ``update``: compiled functions).
    tag : str
        What the overrides are (e.g. ``"kernel_hinge"``); with :func:`source_digest` it names the
        compiled functions in numba's cache.
    jit : dict, optional
        numba's flags (``cache`` aside; default :data:`~rafmodel.theory.maps._compiled_ops.JIT`).

    Returns
    -------
    dict
        ``{name: compiled function}``.
    """
    from numba import njit

    from ._compiled_ops import JIT

    mod = importlib.import_module(module)
    ns = dict(vars(mod))
    ns.update(overrides)
    suffix = f"__{tag}__{source_digest()}"
    for name, source in functions.items():
        ns[name] = njit(cache=True, **(JIT if jit is None else jit))(_clone(getattr(mod, source), ns, name + suffix))
    return {name: ns[name] for name in functions}
