"""Parsing of the model and grid options, shared by the command line and the sweep specs.

Values arrive as text as the command line takes them: a number, a comma list ``a,b,c`` or a range
``start:stop:num[:log]``; :func:`settings_from_args` turns an object with the option attributes
(``learner, loss, alpha, eps, lam, mu1, mustar, kappa, activation, kernel, bandwidth, degree, offset``)
into the list of :class:`rafmodel.Setting`.  Bad input raises :class:`UsageError` with one line.
"""

from __future__ import annotations

import itertools
import math

from ._validation import MAX_POINTS  # noqa: F401  (the limits live in _validation, in one place)
from .exceptions import shorten


class UsageError(Exception):
    """Bad command-line input: printed as one line, exit status 2 (long echoed values shortened)."""

    def __init__(self, message):
        super().__init__(shorten(str(message)))


def parse_values(name, text):
    """Parse ``"1,2,3"``, ``"0.5:10:20"`` or ``"1e-3:10:40:log"`` into a list of floats."""
    text = text.strip()
    if not text:
        raise UsageError(f"{name}: empty value; give a number, a list a,b,c or a range start:stop:num[:log]")
    if ":" in text:
        parts = text.split(":")
        if len(parts) not in (3, 4) or (len(parts) == 4 and parts[3] != "log"):
            raise UsageError(f"{name}: bad range {text!r}; use start:stop:num or start:stop:num:log")
        start, stop = (_number(name, p) for p in parts[:2])
        try:
            num = int(parts[2])
        except ValueError:
            raise UsageError(f"{name}: range count must be a positive integer, got {parts[2]!r}") from None
        if num < 1:
            raise UsageError(f"{name}: range count must be a positive integer, got {num}")
        if num > MAX_POINTS:
            raise UsageError(f"{name}: range count must be at most {MAX_POINTS}, got {num}")
        if len(parts) == 4:
            if start <= 0 or stop <= 0:
                raise UsageError(f"{name}: a log range needs start > 0 and stop > 0, got {text!r}")
            ls, le = math.log(start), math.log(stop)
            return [math.exp(ls + (le - ls) * i / (num - 1)) if num > 1 else start for i in range(num)]
        return [start + (stop - start) * i / (num - 1) if num > 1 else start for i in range(num)]
    items = text.split(",")
    if len(items) > MAX_POINTS:
        raise UsageError(f"{name}: at most {MAX_POINTS} values, got {len(items)}")
    return [_number(name, p) for p in items]


def _number(name, s):
    try:
        x = float(s)
    except ValueError:
        raise UsageError(f"{name}: not a number: {s.strip()!r}") from None
    if not math.isfinite(x):
        raise UsageError(f"{name}: must be a finite number, got {s.strip()!r}")
    return x


def check_grid(values, factor=1):
    """Refuse, before it is built, a grid of more than :data:`MAX_POINTS` combinations.

    ``values`` is ``{option: list of values}``; ``factor`` multiplies the count (e.g. the
    number of named learners).
    """
    count = math.prod(len(v) for v in values.values()) * factor
    if count > MAX_POINTS:
        raise UsageError(f"grid: {count} combinations of the options given, more than the {MAX_POINTS} "
                         "one command may compute; split the sweep")


def _product_settings(model, loss, values, spec, inputs="isotropic"):
    """Settings for every combination, and the label columns (activation / kernel) of each."""
    check_grid({**values, **(spec if isinstance(spec, dict) else {})}, len(spec) if isinstance(spec, list) else 1)
    from ._validation import ParameterError
    from .setting import grid

    try:
        if isinstance(spec, list):  # named learners: (label, learner) pairs, varying fastest
            settings = grid(learner=[lrn for _, lrn in spec], loss=loss, inputs=inputs, **values)
            return settings, [spec[i % len(spec)][0] for i in range(len(settings))]
        return grid(learner=model, loss=loss, inputs=inputs, **values, **spec), []
    except ParameterError as e:
        raise UsageError(str(e)) from None


_LEARNER_OPTIONS = ("mu1", "mustar", "kappa")


def _learner_from_args(args, allow_bayes=False):
    """``(learner name, spec)``: ``spec`` is ``{param: list of values}`` or, for a named
    activation / kernel, a list of ``(label, Learner)``."""
    from .learners import LEARNERS

    model = args.learner.lower()
    if allow_bayes and model == "bayes":
        names = ()
    elif model in LEARNERS:
        names = LEARNERS[model].param_names
    else:
        allowed = sorted(LEARNERS)
        raise UsageError(f"learner: unknown learner {args.learner!r}; allowed: {', '.join(allowed)}")
    named = _named_learners(args, model)
    if named is not None:
        return model, named
    lp = {}
    for name in _LEARNER_OPTIONS:
        val = getattr(args, name, None)
        if name in names:
            if val is None:
                hint = {"rf": " (or --activation)", "kernel": " (or --kernel)"}.get(model, "")
                if name == "kappa":
                    hint = ""
                raise UsageError(f"{name}: required with --learner {model}{hint}")
            lp[name] = parse_values(name, val)
        elif val is not None:
            users = [m for m, c in LEARNERS.items() if name in c.param_names]
            raise UsageError(f"{name}: only used with --learner {' or '.join(users)}")
    return model, lp


def _named_learners(args, model):
    """Learners from --activation (rf) or --kernel (kernel), or None if neither is given."""
    from ._validation import ParameterError
    from .learners import Kernel, RandomFeatures

    act, ker = getattr(args, "activation", None), getattr(args, "kernel", None)
    kparams = {k: getattr(args, k, None) for k in ("bandwidth", "degree", "offset")}
    if act is None and ker is None:
        for k, v in kparams.items():
            if v is not None:
                raise UsageError(f"{k}: only used with --kernel")
        return None
    if act is not None and model != "rf":
        raise UsageError("activation: only used with --learner rf")
    if ker is not None and model != "kernel":
        raise UsageError("kernel: only used with --learner kernel")
    for k in ("mu1", "mustar"):
        if getattr(args, k, None) is not None:
            raise UsageError(f"{k}: give either --{k} or --{'activation' if act else 'kernel'}, not both")
    out = []
    name = (act if act is not None else ker).strip()
    try:
        if act is not None:
            if args.kappa is None:
                raise UsageError("kappa: required with --learner rf")
            for a in act.split(","):
                for kappa in parse_values("kappa", args.kappa):
                    out.append(({"activation": a.strip()}, RandomFeatures.from_activation(a.strip(), kappa=kappa)))
            return out
        if getattr(args, "kappa", None) is not None:
            raise UsageError("kappa: only used with --learner rf")
        params = {k: parse_values(k, v) for k, v in kparams.items() if v is not None}
        for combo in itertools.product(*params.values()):
            kw = dict(zip(params, combo))
            call = {k: kw[k] for k in ("bandwidth", "offset") if k in kw}  # the kernels' own names
            if "degree" in kw:
                if kw["degree"] != int(kw["degree"]):
                    raise UsageError(f"degree: must be a positive integer, got {kw['degree']}")
                call["degree"] = int(kw["degree"])
            if "degree" in kw:
                kw["degree"] = int(kw["degree"])
            try:
                lrn = Kernel.from_kernel(name, **call)
            except ParameterError as e:
                if "not a parameter of kernel" in str(e):  # an option this kernel does not take
                    raise UsageError(f"kernel: {name!r} does not take --{e.param}") from None
                raise
            out.append(({"kernel": name.lower(), **kw}, lrn))
        return out
    except ParameterError as e:
        raise UsageError(str(e)) from None
    except TypeError:
        given = ", ".join(f"--{k}" for k, v in kparams.items() if v is not None)
        raise UsageError(f"kernel: {name!r} does not take {given}") from None


def _loss_from_args(args):
    from .losses import get_loss

    try:
        return get_loss(args.loss)
    except ValueError as e:
        raise UsageError(str(e)) from None


#: The input models ``--inputs`` names, with their parameters in the order they are written.
_INPUT_MODELS = {"isotropic": ("Isotropic", ()), "power-law": ("PowerLaw", ("decay", "source", "size")),
                 "spiked": ("Spiked", ("fraction", "spike", "teacher_share"))}


def parse_inputs(text):
    """The input model of ``--inputs``: ``isotropic``, ``power-law:decay=D,source=R,size=N`` or
    ``spiked:fraction=F,spike=S,teacher-share=T`` (:mod:`rafmodel.inputs`); one line on an error."""
    from . import inputs as _inputs
    from ._validation import ParameterError

    name, _, rest = str(text).strip().partition(":")
    name = name.strip().lower().replace("_", "-")
    forms = "isotropic, power-law:decay=D,source=R,size=N or spiked:fraction=F,spike=S,teacher-share=T"
    if name not in _INPUT_MODELS:
        raise UsageError(f"inputs: unknown input model {name!r}; allowed: {forms}")
    cls, keys = _INPUT_MODELS[name]
    kw = {}
    for item in filter(None, (x.strip() for x in rest.split(","))):
        k, eq, v = item.partition("=")
        k = k.strip().lower().replace("-", "_")
        if not eq or k not in keys:
            allowed = ", ".join(x.replace("_", "-") for x in keys) or "none"
            raise UsageError(f"inputs: {item!r} is not a parameter of {name} (its parameters: {allowed})")
        x = _number(f"inputs {k.replace('_', '-')}", v)
        kw[k] = int(x) if k == "size" and x == int(x) else x
    missing = [k.replace("_", "-") for k in keys if k not in kw]
    if missing:
        raise UsageError(f"inputs: {name} needs {', '.join(missing)} (e.g. {forms})")
    try:
        return getattr(_inputs, cls)(**kw)
    except ParameterError as e:
        raise UsageError(f"inputs: {e}") from None


def _settings_from_args(args):
    """The settings of the learner, loss, grid and input options: ``(settings, labels, values, spec)``."""
    model, spec = _learner_from_args(args)
    if model == "bayes":  # AMP has no loss and no penalty: Setting takes the defaults (and refuses others)
        args.loss = "square" if getattr(args, "loss", None) is None else args.loss
        args.lam = "0" if getattr(args, "lam", None) is None else args.lam
    for name in ("loss", "lam"):
        if getattr(args, name, None) is None:
            raise UsageError(f"{name}: required (unless --learner bayes)")
    loss = _loss_from_args(args)
    inputs = parse_inputs(getattr(args, "inputs", None) or "isotropic")
    values = {k: parse_values(k, getattr(args, k)) for k in ("alpha", "eps", "lam")}
    settings, labels = _product_settings(model, loss, values, spec, inputs)
    return settings, labels, values, spec


settings_from_args = _settings_from_args


def learners_from_args(args, allow_bayes=False):
    """The learners of the learner options alone, with no setting: ``(name, [(labels, Learner), ...])``.

    In the order :func:`rafmodel.grid` gives them (the last parameter varying fastest); ``labels``
    is ``{"activation": ...}`` or ``{"kernel": ..., "bandwidth" ...}`` for a named activation or
    kernel, else ``{}``.  ``name == "bayes"`` (with ``allow_bayes``) gives no learners.
    """
    from ._validation import ParameterError
    from .learners import get_learner

    name, spec = _learner_from_args(args, allow_bayes=allow_bayes)
    if isinstance(spec, list):
        return name, spec
    if name == "bayes":
        return name, []
    check_grid(spec)
    try:
        return name, [({}, get_learner(name, **dict(zip(spec, combo))))
                      for combo in itertools.product(*spec.values())]
    except ParameterError as e:
        raise UsageError(str(e)) from None
