"""Every public callable has a numpydoc docstring and type hints.

What is walked: every function and class named in ``rafmodel.__all__`` (lazy
attributes resolved with ``getattr``) and in the ``__all__`` of the public modules
below, and every public method, classmethod, staticmethod and property of those
classes that is defined by a rafmodel class (methods a class inherits from ``list``
or ``object`` are not rafmodel's API).

What is checked, per object:

* a docstring (``inspect.getdoc``, so an override without a docstring of its own
  shares the documented contract of the method it overrides) whose first line is a
  one-line summary ending with a period;
* a callable taking parameters other than ``self``/``cls``: a ``Parameters`` section
  that names every one of them (``*args``/``**kwargs`` with or without the stars);
  for a class these are the constructor's, documented in ``Parameters`` or, for a
  dataclass, ``Attributes``;
* a callable whose return annotation is not ``None``: a ``Returns`` (or ``Yields``)
  section;
* a callable whose own body raises ``ParameterError``, ``ConvergenceError`` or
  ``SolverError``: a ``Raises`` section naming it;
* type hints: every parameter but ``self``/``cls`` and the return are annotated
  (properties: the return).
"""

from __future__ import annotations

import dataclasses
import importlib
import inspect
import re

import pytest

import rafmodel

#: Public modules whose ``__all__`` is public API (besides ``rafmodel`` itself).
PUBLIC_MODULES = (
    "rafmodel", "rafmodel.setting", "rafmodel.learners", "rafmodel.losses", "rafmodel.equivalence",
    "rafmodel.data", "rafmodel.estimators", "rafmodel.simulation", "rafmodel.experiments",
    "rafmodel.tables", "rafmodel.exceptions", "rafmodel.theory", "rafmodel.theory.bayes",
    "rafmodel.theory.capacity", "rafmodel.theory.optimal", "rafmodel.theory.result",
    "rafmodel.theory.closed_form", "rafmodel.theory.channel",
    "rafmodel.sweep", "rafmodel.sweep.spec", "rafmodel.sweep.store", "rafmodel.sweep.executors",
    "rafmodel.network", "rafmodel.estimators.network", "rafmodel.estimators.amp", "rafmodel.theory.amp_se",
    "rafmodel.facts",
    "rafmodel.figures.network_figures",
    "rafmodel.data.images", "rafmodel.data.real", "rafmodel.real_data", "rafmodel.explore",
)

#: Justified exceptions: classes whose constructor is not rafmodel's (inherited from a
#: built-in or from ``typing.Protocol``), so that there are no constructor parameters of
#: ours to document; ``{qualified name: reason}``.  Their docstrings are still checked.
#: A class whose constructor is ``object``'s takes no arguments and needs no entry.
ALLOW = {
    "rafmodel.exceptions.ConvergenceWarning": "a warning category; warnings.warn instantiates it with the message",
    "rafmodel.sweep.StoreWarning": "a warning category; warnings.warn instantiates it with the message",
    "rafmodel.simulation.SimulationResults": "a list of SimulationResult; list's constructor",
    "rafmodel.data.base.DataSource": "a typing.Protocol: a type to check against, never instantiated",
    "rafmodel.estimators.base.Estimator": "a typing.Protocol: a type to check against, never instantiated",
}

#: Exceptions of rafmodel that a docstring must list under Raises when its function raises them.
DOCUMENTED_RAISES = ("ParameterError", "ConvergenceError", "SolverError")

_SECTION = re.compile(r"^(?P<name>[A-Z][A-Za-z ]+)\n-{3,}\n", re.MULTILINE)


def _qualname(obj, owner=None):
    if owner is not None:
        return f"{owner.__module__}.{owner.__qualname__}.{obj}"
    return f"{getattr(obj, '__module__', '?')}.{getattr(obj, '__qualname__', repr(obj))}"


def _public_objects():
    """``(qualified name, object)`` of every public function and class, once each."""
    seen, out = set(), []
    for modname in PUBLIC_MODULES:
        mod = importlib.import_module(modname)
        for name in mod.__all__:
            obj = getattr(mod, name)
            if not (inspect.isfunction(obj) or inspect.isclass(obj) or callable(obj)):
                continue  # constants, registries, __version__
            if isinstance(obj, (dict, tuple, list)):
                continue
            if not getattr(obj, "__module__", "").startswith("rafmodel"):
                continue
            if id(obj) in seen:
                continue
            seen.add(id(obj))
            out.append((_qualname(obj), obj))
    return out


def _defining_class(cls, name):
    for klass in cls.__mro__:
        if name in vars(klass):
            return klass
    return None


def _public_members(cls):
    """``(name, raw attribute)`` of the public methods and properties rafmodel defines on ``cls``."""
    out = []
    for name in sorted(dir(cls)):
        if name.startswith("_"):
            continue
        klass = _defining_class(cls, name)
        if klass is None or not klass.__module__.startswith("rafmodel"):
            continue
        raw = vars(klass)[name]
        if isinstance(raw, (staticmethod, classmethod, property)) or inspect.isfunction(raw):
            out.append((name, raw))
    return out


def _targets():
    out = []
    for qual, obj in _public_objects():
        out.append(pytest.param(qual, obj, None, id=qual))
        if inspect.isclass(obj):
            for name, raw in _public_members(obj):
                out.append(pytest.param(f"{qual}.{name}", getattr(obj, name) if not isinstance(raw, property)
                                        else raw, obj, id=f"{qual}.{name}"))
    return out


TARGETS = _targets()


def _sections(doc):
    """``{section name: body}`` of a numpydoc docstring."""
    heads = list(_SECTION.finditer(doc))
    return {h["name"]: doc[h.end():(heads[i + 1].start() if i + 1 < len(heads) else len(doc))]
            for i, h in enumerate(heads)}


def _documented_names(body):
    """Names of the entries of a Parameters/Attributes section (``a, b : float`` -> ``a, b``)."""
    names = set()
    for line in body.splitlines():
        if not line.strip() or line.startswith((" ", "\t")):
            continue
        head = line.split(" : ")[0].strip()
        for part in head.split(","):
            names.add(part.strip().lstrip("*"))
    return names


def _foreign_constructor(cls):
    """The class ``cls`` takes its constructor from, when that is not rafmodel's nor ``object``'s."""
    klass = _defining_class(cls, "__init__")
    if klass is object or getattr(vars(klass)["__init__"], "__module__", "").startswith("rafmodel"):
        return None
    return klass


def _signature_params(obj):
    """Parameters other than ``self``/``cls`` of a function, or of a class's constructor.

    ``None`` for a class whose constructor is not rafmodel's (see :data:`ALLOW`).
    """
    if inspect.isclass(obj):
        if _defining_class(obj, "__init__") is object:
            return []
        if _foreign_constructor(obj) is not None:
            return None
        sig = inspect.signature(obj.__init__)
    else:
        sig = inspect.signature(obj)
    return [p for name, p in sig.parameters.items() if name not in ("self", "cls")]


def _is_dataclass_init(cls):
    return dataclasses.is_dataclass(cls) and "__init__" in vars(cls)


def test_targets_are_found():
    names = {t.values[0] for t in TARGETS}
    # a few that must be there: lazy attributes, methods, classmethods, properties
    for must in ("rafmodel.theory.solve", "rafmodel.theory.bayes.bayes_optimal",
                 "rafmodel.simulation.lam_path", "rafmodel.learners.Kernel.from_kernel",
                 "rafmodel.learners.RandomFeatures.from_activation", "rafmodel.setting.Setting.replace",
                 "rafmodel.data.base.Dataset.n", "rafmodel.theory.result.TheoryResults.to_frame"):
        assert must in names, must
    assert len(TARGETS) > 150


#: Public callables whose docstring must carry a runnable ``Examples`` section.
WITH_EXAMPLES = (
    "Setting", "grid", "solve", "solve_many", "bayes_optimal", "alpha_c", "interpolation_capacity",
    "optimal_lambda", "large_alpha_rate", "Kernel.from_kernel", "RandomFeatures.from_activation",
    "activation_coefficients", "kernel_coefficients", "simulate_many", "lam_path", "compare", "SolverOptions",
)


@pytest.mark.parametrize("name", WITH_EXAMPLES)
def test_examples(name):
    """The main entry points show a doctest (run by the suite through ``--doctest-modules``)."""
    obj = rafmodel
    for part in name.split("."):
        obj = getattr(obj, part)
    doc = inspect.getdoc(obj)
    assert "Examples" in _sections(doc), f"{name}: no Examples section"
    assert ">>> " in _sections(doc)["Examples"], f"{name}: the Examples section has no doctest"


def test_allow_list_is_current():
    """The allow-list is exactly the walked classes with a constructor that is not rafmodel's."""
    foreign = {qual for qual, obj, _ in (t.values for t in TARGETS)
               if inspect.isclass(obj) and _foreign_constructor(obj) is not None}
    assert foreign == set(ALLOW), (foreign - set(ALLOW), set(ALLOW) - foreign)


def _raised_in_body(obj):
    """Names of :data:`DOCUMENTED_RAISES` that ``obj`` raises in its own body.

    For a class: its constructor (``__init__`` and ``__post_init__``) defined by rafmodel.
    Raises further down the call chain are not seen.
    """
    if inspect.isclass(obj):
        funcs = [vars(k)[m] for m in ("__init__", "__post_init__") for k in [_defining_class(obj, m)]
                 if k is not None and k.__module__.startswith("rafmodel")]
    else:
        funcs = [obj]
    out = set()
    for f in funcs:
        try:
            src = inspect.getsource(f)
        except (OSError, TypeError):  # a generated dataclass __init__
            continue
        out |= {name for name in DOCUMENTED_RAISES if re.search(rf"raise {name}\b", src)}
    return out


@pytest.mark.parametrize("qual, obj, owner", TARGETS)
def test_docstring(qual, obj, owner):
    doc = inspect.getdoc(obj.fget if isinstance(obj, property) else obj)
    if isinstance(obj, property) and not doc:
        doc = inspect.getdoc(obj)
    assert doc, f"{qual}: no docstring"
    first, *rest = doc.split("\n")
    assert first.strip() and first.rstrip().endswith("."), f"{qual}: the summary line must end with a period"
    assert not rest or not rest[0].strip(), f"{qual}: the summary must fit on one line"
    if isinstance(obj, property):
        return
    params = _signature_params(obj)
    if params is None:
        assert qual in ALLOW, f"{qual}: constructor parameters not ours, and not in the allow-list"
    sections = _sections(doc)
    if params:
        where = ("Parameters", "Attributes") if inspect.isclass(obj) and _is_dataclass_init(obj) else ("Parameters",)
        body = "".join(sections.get(s, "") for s in where)
        assert body, f"{qual}: no {' or '.join(where)} section"
        missing = [p.name for p in params if p.name not in _documented_names(body)]
        assert not missing, f"{qual}: parameters not documented: {missing}"
    if not inspect.isclass(obj):
        ret = inspect.signature(obj).return_annotation
        if ret not in (inspect.Signature.empty, None, "None"):
            assert "Returns" in sections or "Yields" in sections, f"{qual}: no Returns section"
    undocumented = [e for e in sorted(_raised_in_body(obj))
                    if not re.search(rf"^{e}\b", sections.get("Raises", ""), re.MULTILINE)]
    assert not undocumented, f"{qual}: raises {undocumented} without a Raises entry"


@pytest.mark.parametrize("qual, obj, owner", TARGETS)
def test_type_hints(qual, obj, owner):
    if isinstance(obj, property):
        assert inspect.signature(obj.fget).return_annotation is not inspect.Signature.empty, \
            f"{qual}: property without a return annotation"
        return
    params = _signature_params(obj)
    if params is None:
        return
    missing = [p.name for p in params if p.annotation is inspect.Parameter.empty]
    assert not missing, f"{qual}: parameters without a type hint: {missing}"
    if not inspect.isclass(obj):
        assert inspect.signature(obj).return_annotation is not inspect.Signature.empty, \
            f"{qual}: no return annotation"
