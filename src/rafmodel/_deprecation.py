"""Deprecated names and extension points: the old way still works for one release, with a DeprecationWarning naming the new one."""

from __future__ import annotations

import warnings
from typing import Any

from .exceptions import ParameterError

__all__ = ["REMOVED_IN", "renamed", "deprecated_register", "registered_for"]

#: The release that drops the names deprecated by the vocabulary of issue 22.
REMOVED_IN = "0.6"


def renamed(where: str, deprecated: dict[str, Any], names: dict[str, str], current: dict[str, Any],
            defaults: dict[str, Any], stacklevel: int = 3) -> dict[str, Any]:
    """Resolve keyword arguments given under their old names.

    Parameters
    ----------
    where : str
        The function, as the warning names it (``"realdata"``).
    deprecated : dict
        The extra keyword arguments the function received (``**deprecated``).
    names : dict of str to str
        Old name -> new name.
    current : dict
        New name -> the value the function received under the new name.
    defaults : dict
        New name -> its default (a new name given explicitly beside its old name is an error).
    stacklevel : int, default=3
        Of the warning: 3 points at the caller of ``where``.

    Returns
    -------
    dict
        New name -> value, with the old names' values in place (``current`` updated).

    Raises
    ------
    TypeError
        A keyword that is neither a parameter nor an old name (as Python says it).
    ParameterError
        An old name and its new name both given.
    """
    out = dict(current)
    for old, value in deprecated.items():
        if old not in names:
            raise TypeError(f"{where}() got an unexpected keyword argument {old!r}")
        new = names[old]
        warnings.warn(f"{where}: {old}= is deprecated and will be removed in {REMOVED_IN}; use {new}=",
                      DeprecationWarning, stacklevel=stacklevel)
        if not _same(current[new], defaults[new]):
            raise ParameterError(new, f"give {new} or its deprecated name {old}, not both")
        out[new] = value
    return out


def _same(a: Any, b: Any) -> bool:
    if a is b:
        return True
    try:
        return bool(a == b)
    except (TypeError, ValueError):  # arrays, lists of arrays: not the default
        return False


def deprecated_register(registry: dict, what: str, instead: str):
    """A ``register(cls)`` decorator factory for an extension point that dispatched by type (deprecated).

    Parameters
    ----------
    registry : dict
        Where ``register(cls)(func)`` puts ``func`` under ``cls`` (read by :func:`registered_for`).
    what : str
        The function whose ``register`` this is, as the warning names it.
    instead : str
        What to do instead.

    Returns
    -------
    callable
        ``register(cls)``, which warns (:class:`DeprecationWarning`) and returns the decorator.
    """
    def register(cls):
        warnings.warn(f"{what}.register is deprecated and will be removed in {REMOVED_IN}: {instead} "
                      "(docs/user_guide/how_it_works.md, 'Where a new thing goes')", DeprecationWarning, stacklevel=2)

        def decorate(func):
            registry[cls] = func
            return func
        return decorate
    return register


def registered_for(registry: dict, obj: Any):
    """What :func:`deprecated_register` put under ``obj``'s type or its nearest base class, or ``None``."""
    return next((registry[c] for c in type(obj).__mro__ if c in registry), None)
