"""Identity keys of kernels and activations, for the equality and hashing of learners.

Two learners are equal when they act the same: ``_kernel_key`` and
``_activation_key`` map a kernel spec ``(name or callable, params)`` or an activation
to a hashable key in which names are canonical (case, blanks and aliases do not matter),
default parameters are filled in, and a user's callable compares by identity.  Used by
:class:`rafmodel.Kernel` and :class:`rafmodel.RandomFeatures` (``__eq__``, ``__hash__``).
"""

from __future__ import annotations

from numbers import Real

import numpy as np

from .activations import _ACTIVATION_ALIASES, ACTIVATIONS
from .kernels import _KERNEL_ALIASES, _KERNEL_SPECS, _canonical_params

__all__: list[str] = []


class _ById:
    """Wraps an object so that it compares and hashes by identity (a user's callable)."""

    __slots__ = ("obj",)

    def __init__(self, obj):
        self.obj = obj

    def __eq__(self, other):
        return isinstance(other, _ById) and self.obj is other.obj

    def __hash__(self):
        return id(self.obj)

    def __repr__(self):
        return f"_ById({self.obj!r})"


def _value_key(value):
    """A hashable key of a parameter value: equal keys for values that act the same."""
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, Real):
        return float(value)  # bandwidth=1 and bandwidth=1.0 are the same kernel
    if isinstance(value, np.ndarray):
        return ("ndarray", value.dtype.str, value.shape, value.tobytes())
    if isinstance(value, (list, tuple)):
        return (type(value).__name__, tuple(_value_key(v) for v in value))
    if isinstance(value, dict):
        return ("dict", tuple(sorted((str(k), _value_key(v)) for k, v in value.items())))
    if callable(value):
        return _ById(value)
    try:
        hash(value)
    except TypeError:
        return _ById(value)
    return value


def _activation_key(activation):
    """Key of an activation: its canonical name, or the callable itself (by identity).

    A registered function (``ACTIVATIONS["relu"]``) has the key of its name: it is the
    function a simulation uses for that name.
    """
    if isinstance(activation, str):
        key = activation.strip().lower()
        return _ACTIVATION_ALIASES.get(key, key)
    name = next((k for k, f in ACTIVATIONS.items() if f is activation), None)
    return name if name is not None else _ById(activation)


def _defaults(func):
    import inspect

    return {k: p.default for k, p in inspect.signature(func).parameters.items()
            if p.default is not inspect.Parameter.empty}


def _kernel_key(kernel, params):
    """Key of a dot-product kernel spec ``(name or callable, params)``.

    Names are canonical (case, surrounding blanks and aliases do not matter) and
    default parameters are filled in and parameters go by their current names, so
    ``("RBF", {})``, ``("rbf", {"bandwidth": 1})`` and ``("rbf", {"c": 1.0})`` (the name
    before 0.5) have the same key; a callable is compared by identity, with its keyword
    arguments.
    """
    params = dict(params)
    if isinstance(kernel, str):
        name = kernel.strip().lower()
        name = _KERNEL_ALIASES.get(name, name)
        if name == "activation":
            full = {"n_nodes": 200, "method": "auto", **params}
            if isinstance(full["method"], str):
                full["method"] = full["method"].lower()
            act = _activation_key(full.pop("activation", None))
            return (name, ("activation", act),
                    tuple(sorted((k, _value_key(v)) for k, v in full.items())))
        spec = _KERNEL_SPECS.get(name)
        if spec is not None:
            params = {**_defaults(spec.taylor), **_canonical_params(name, params)}
        return (name, tuple(sorted((k, _value_key(v)) for k, v in params.items())))
    return (_ById(kernel), tuple(sorted((k, _value_key(v)) for k, v in params.items())))
