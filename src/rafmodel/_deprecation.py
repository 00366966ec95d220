"""Renamed parameters: the old name still works for one release, with a DeprecationWarning naming the new one."""

from __future__ import annotations

import warnings
from typing import Any

from .exceptions import ParameterError

__all__ = ["REMOVED_IN", "renamed"]

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
