"""The explorer's view as a value: its controls, their checks, the URL query and the ``raf theory`` command.

A :class:`View` holds every control of the explorer (the learner, the loss, ``eps``, ``lam``, the
x-axis and its range).  It knows nothing of Panel: it turns itself into the settings the theory
solves (:meth:`View.settings`), into a URL query and back (:meth:`View.to_query`,
:func:`view_from_query`), and into the exact ``raf theory`` command that computes the same
numbers (:meth:`View.command`).
"""

from __future__ import annotations

import dataclasses
import shlex
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..exceptions import ParameterError

__all__ = ["View", "MAX_POINTS", "MAX_OPT_POINTS", "LEARNERS", "LOSSES", "AXES", "KERNELS", "ACTIVATIONS",
           "AXIS_DEFAULTS", "COEFFICIENTS",
           "view_from_query"]

#: The learners the explorer shows (the theory's learners).
LEARNERS = ("linear", "kernel", "rf")
#: The losses.
LOSSES = ("square", "hinge", "logistic")
#: The parameters the x-axis can run over.
AXES = ("alpha", "lam", "kappa", "eps")
#: A kernel or random features given by their coefficients ``mu1``, ``mustar`` rather than by name.
COEFFICIENTS = "coefficients"
#: Named dot-product kernels (``raf theory --kernel``), or :data:`COEFFICIENTS`.
KERNELS = (COEFFICIENTS, "rbf", "polynomial", "arccos", "arccos0", "erf", "sign", "linear")
#: Named activations with a linear component (``raf theory --activation``), or :data:`COEFFICIENTS`.
ACTIVATIONS = (COEFFICIENTS, "relu", "tanh", "erf", "sign", "sigmoid", "gelu", "step", "linear")
#: Each axis's default range and scale, ``(x_min, x_max, scale)``.
AXIS_DEFAULTS = {"alpha": (0.1, 10.0, "log"), "lam": (1e-4, 10.0, "log"), "kappa": (0.1, 10.0, "log"),
                 "eps": (0.0, 1.0, "linear")}
#: Most points of a curve.
MAX_POINTS = 2000
#: Most points of the optimal-lam curve (each is a one-dimensional minimization, 0.05-0.5 s).
MAX_OPT_POINTS = 50

_CHOICES = {"learner": LEARNERS, "loss": LOSSES, "x": AXES, "kernel": KERNELS, "activation": ACTIVATIONS,
            "scale": ("log", "linear"), "tab": ("curves", "phase", "kernel-phase")}


def _num(v: float) -> str:
    """A float as the shortest text that reads back to the same float (``2``, ``0.1``, ``1e-05``)."""
    text = repr(float(v))
    return text[:-2] if text.endswith(".0") else text


@dataclass(frozen=True)
class View:
    """Every control of the explorer: what is computed and how it is drawn.

    Parameters
    ----------
    learner : {"linear", "kernel", "rf"}
        The learner.
    kernel : str
        ``kernel`` only: a kernel name of :data:`KERNELS`, or ``"coefficients"`` for ``mu1`` and ``mustar``.
    bandwidth : float
        ``kernel="rbf"`` only: the bandwidth (> 0).
    activation : str
        ``rf`` only: an activation of :data:`ACTIVATIONS`, or ``"coefficients"`` for ``mu1`` and ``mustar``.
    mu1, mustar : float
        The Gaussian-equivalent coefficients, where the kernel or activation is given by them.
    kappa : float
        ``rf`` only: features per dimension.
    loss : {"square", "hinge", "logistic"}
        The loss.
    alpha, eps, lam : float
        The data and the penalty (the one on the x-axis is ignored).
    x : {"alpha", "lam", "kappa", "eps"}
        The parameter along the x-axis (``kappa``: random features only).
    x_min, x_max : float
        The x-axis's range, ``x_min < x_max``.
    scale : {"log", "linear"}
        Points spaced (and the axis drawn) logarithmically (``x_min > 0``) or linearly.
    n : int
        Points of the curve, 2 to :data:`MAX_POINTS`.
    opt : int
        Points of the optimal-``lam`` curve (``gen_error`` at the ``lam`` minimizing it, over the
        same range), 0 (none) or 2 to :data:`MAX_OPT_POINTS`; not on a ``lam`` axis.
    tab : {"curves", "phase", "kernel-phase"}
        The page's tab: the curves, the (alpha, lam) phase diagram of the learner and loss at ``eps``,
        or (a kernel learner only) the (eps, mustar^2/mu1^2) phase diagram of its loss at ``alpha`` and ``lam``.
    """

    learner: str = "linear"
    kernel: str = "rbf"
    bandwidth: float = 1.0
    activation: str = "relu"
    mu1: float = 1.0
    mustar: float = 0.5
    kappa: float = 2.0
    loss: str = "square"
    alpha: float = 2.0
    eps: float = 0.2
    lam: float = 0.1
    x: str = "alpha"
    x_min: float = 0.1
    x_max: float = 10.0
    scale: str = "log"
    n: int = 200
    opt: int = 0
    tab: str = "curves"

    # --- checks -----------------------------------------------------------------------------------
    def check(self) -> View:
        """This view, checked, before any work.

        The values are checked by the library's own constructors (:class:`rafmodel.Setting`, the
        learners) at both ends of the x-axis, so nothing is computed for a view the theory refuses.

        Returns
        -------
        View
            This view.

        Raises
        ------
        ParameterError
            A control out of range or a choice not offered (one line, naming the control).
        """
        for name, allowed in _CHOICES.items():
            if getattr(self, name) not in allowed:
                raise ParameterError(name, f"must be one of {', '.join(allowed)}, got {getattr(self, name)!r}")
        if self.tab == "kernel-phase" and self.learner != "kernel":
            raise ParameterError("tab", "the (eps, mustar^2/mu1^2) phase diagram is a kernel learner's (learner kernel)")
        if self.x == "kappa" and self.learner != "rf":
            raise ParameterError("x", "kappa is an axis of random features only (learner rf)")
        if type(self.n) is not int or not 2 <= self.n <= MAX_POINTS:
            raise ParameterError("n", f"must be an integer from 2 to {MAX_POINTS}, got {self.n!r}")
        if type(self.opt) is not int or not (self.opt == 0 or 2 <= self.opt <= MAX_OPT_POINTS):
            raise ParameterError("opt", f"must be 0 (no optimal-lam curve) or an integer from 2 to {MAX_OPT_POINTS}, "
                                        f"got {self.opt!r}")
        if self.opt and self.x == "lam":
            raise ParameterError("opt", "the optimal-lam curve is not drawn along lam; choose another x-axis")
        if not self.x_min < self.x_max:
            raise ParameterError("x_min", f"must be below x_max = {_num(self.x_max)}, got {_num(self.x_min)}")
        if self.scale == "log" and self.x_min <= 0:
            raise ParameterError("x_min", f"a log axis needs x_min > 0, got {_num(self.x_min)}")
        for end in (self.x_min, self.x_max):
            self.setting_at(end)  # the library's checks, at both ends
        return self

    # --- what is computed ---------------------------------------------------------------------------
    def learner_at(self, kappa: float | None = None) -> Any:
        """The learner of this view.

        Parameters
        ----------
        kappa : float, optional
            Random features only: this ``kappa`` instead of the view's.

        Returns
        -------
        Learner
            :class:`rafmodel.Linear`, :class:`rafmodel.Kernel` or :class:`rafmodel.RandomFeatures`.
        """
        import rafmodel as rm

        kappa = self.kappa if kappa is None else kappa
        if self.learner == "linear":
            return rm.Linear()
        if self.learner == "kernel":
            if self.kernel == COEFFICIENTS:
                return rm.Kernel(mu1=self.mu1, mustar=self.mustar)
            return rm.Kernel.from_kernel(self.kernel, **self._kernel_params())
        if self.activation == COEFFICIENTS:
            return rm.RandomFeatures(kappa=kappa, mu1=self.mu1, mustar=self.mustar)
        return rm.RandomFeatures.from_activation(self.activation, kappa=kappa)

    def _kernel_params(self) -> dict[str, float]:
        return {"bandwidth": self.bandwidth} if self.kernel == "rbf" else {}

    def setting_at(self, xv: float, learner: Any = None) -> Any:
        """The setting at one point of the x-axis.

        Parameters
        ----------
        xv : float
            The value of the x-axis's parameter; the others are the view's.
        learner : Learner, optional
            The view's learner, built already (ignored on a ``kappa`` axis).

        Returns
        -------
        Setting
            The point.
        """
        import rafmodel as rm

        values = {"alpha": self.alpha, "eps": self.eps, "lam": self.lam}
        if self.x in values:
            values[self.x] = xv
        if learner is None or self.x == "kappa":
            learner = self.learner_at(xv if self.x == "kappa" else None)
        return rm.Setting(learner=learner, loss=self.loss, **values)

    def range_text(self, n: int | None = None) -> str:
        """The x-axis as a range of the command line.

        Parameters
        ----------
        n : int, optional
            Points (default: the view's ``n``).

        Returns
        -------
        str
            ``start:stop:num`` or ``start:stop:num:log``.
        """
        n = self.n if n is None else n
        return f"{_num(self.x_min)}:{_num(self.x_max)}:{n}" + (":log" if self.scale == "log" else "")

    def xs(self, n: int | None = None) -> list[float]:
        """The points of the x-axis.

        Parameters
        ----------
        n : int, optional
            Points (default: the view's ``n``; the optimal-lam curve has ``opt``).

        Returns
        -------
        list of float
            Exactly those of :meth:`range_text` on the command line.
        """
        from .._options import parse_values

        return parse_values(self.x, self.range_text(n))

    def settings(self) -> list:
        """The settings of the curve.

        Returns
        -------
        list of Setting
            One per point of :meth:`xs`, in order.
        """
        learner = None if self.x == "kappa" else self.learner_at()
        return [self.setting_at(v, learner) for v in self.xs()]

    # --- the command and the URL --------------------------------------------------------------------
    def command(self) -> str:
        """The ``raf theory`` command that prints the numbers of this view's curves.

        Returns
        -------
        str
            The command, quoted for a POSIX shell.
        """
        words = ["raf", "theory", "--learner", self.learner]
        if self.learner == "kernel":
            if self.kernel == COEFFICIENTS:
                words += ["--mu1", _num(self.mu1), "--mustar", _num(self.mustar)]
            else:
                words += ["--kernel", self.kernel]
                for k, v in self._kernel_params().items():
                    words += [f"--{k}", _num(v)]
        elif self.learner == "rf":
            if self.activation == COEFFICIENTS:
                words += ["--mu1", _num(self.mu1), "--mustar", _num(self.mustar)]
            else:
                words += ["--activation", self.activation]
            words += ["--kappa", self.range_text() if self.x == "kappa" else _num(self.kappa)]
        words += ["--loss", self.loss]
        for name in ("alpha", "eps", "lam"):
            words += [f"--{name}", self.range_text() if self.x == name else _num(getattr(self, name))]
        return shlex.join(words)

    def optimal_command(self) -> str:
        """The ``raf optimal-lambda`` command of the optimal-lam curve (``opt`` points).

        Returns
        -------
        str
            The command, quoted for a POSIX shell; empty if the view has no optimal-lam curve.
        """
        if not self.opt:
            return ""
        words = shlex.split(self.command())
        words[1] = "optimal-lambda"
        i = words.index("--lam")
        del words[i:i + 2]
        full = self.range_text()
        return shlex.join(self.range_text(self.opt) if w == full else w for w in words)

    def to_query(self) -> dict[str, str]:
        """The view as URL query parameters.

        Returns
        -------
        dict of str to str
            Every control, as text (floats as the shortest text that reads back to the same
            float); :func:`view_from_query` reads it back.
        """
        out = {}
        for f in dataclasses.fields(self):
            v = getattr(self, f.name)
            out[f.name] = _num(v) if isinstance(v, float) else str(v)
        return out

    def replace(self, **changes: Any) -> View:
        """A copy with some controls changed.

        Parameters
        ----------
        **changes
            The controls to change; a new ``x`` gets its default range and scale unless
            ``x_min``, ``x_max``, ``scale`` are given too.

        Returns
        -------
        View
            The new view (not checked).
        """
        if "x" in changes and changes["x"] != self.x:
            lo, hi, scale = AXIS_DEFAULTS[changes["x"]]
            changes = {"x_min": lo, "x_max": hi, "scale": scale, **changes}
        return dataclasses.replace(self, **changes)


_TYPES = {f.name: f.type for f in dataclasses.fields(View)}


def _parse(name: str, text: str):
    kind = _TYPES[name]
    if kind == "float":
        import math

        try:
            v = float(text)
        except ValueError:
            raise ParameterError(name, f"not a number: {text!r}") from None
        if not math.isfinite(v):
            raise ParameterError(name, f"must be a finite number, got {text!r}")
        return v
    if kind == "int":
        try:
            return int(text)
        except ValueError:
            raise ParameterError(name, f"must be an integer, got {text!r}") from None
    return text


def view_from_query(query: Mapping[str, Any]) -> tuple[View, str | None]:
    """The view of a URL query, or the default view and a note saying why.

    Parameters
    ----------
    query : mapping of str to str, bytes or a list of them
        The query's parameters (as :meth:`View.to_query` writes them, or as a web server
        hands them over: lists of bytes).  Parameters left out keep their default.

    Returns
    -------
    view : View
        The checked view, or the default ``View()`` if any parameter is unknown or invalid.
    note : str or None
        ``None``, or one line naming what was wrong and that the defaults are shown.

    Examples
    --------
    >>> v = View(eps=0.3, x="lam", x_min=0.001, x_max=1.0)
    >>> view_from_query(v.to_query()) == (v, None)
    True
    >>> view_from_query({"eps": "2"})[1]
    "the link's view could not be shown (eps: must be in [0, 1], got 2.0); showing the defaults"
    """
    try:
        return _view(query), None
    except ParameterError as e:
        return View(), f"the link's view could not be shown ({e}); showing the defaults"


def _view(query):
    values = {}
    for name, raw in query.items():
        if isinstance(raw, (list, tuple)):
            raw = raw[-1] if raw else ""
        if isinstance(raw, bytes):
            raw = raw.decode("utf-8", "replace")
        if name not in _TYPES:
            raise ParameterError(name, f"not a control of the explorer (the controls: {', '.join(_TYPES)})")
        values[name] = _parse(name, str(raw).strip())
    return View(**values).check()
