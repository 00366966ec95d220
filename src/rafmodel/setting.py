"""Settings: one point of the RAF model with a learner and a loss.

The same :class:`Setting` drives the theory (:func:`rafmodel.theory.solve`) and
the finite-size simulations, so that comparing them is one call.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ._validation import DeclaredInit, ParameterError, validate_params
from .inputs import Inputs, get_inputs
from .learners import Learner, get_learner
from .losses import Loss, get_loss

__all__ = ["Setting", "grid"]


@dataclass(frozen=True, init=False)
class Setting(DeclaredInit):
    """One point of the RAF model: data ``(alpha, eps)``, a learner, a loss and ``lam``.

    Parameters
    ----------
    alpha : float
        Samples per dimension, ``n = alpha d``; ``alpha > 0``.
    eps : float
        Fraction of facts (random labels), in ``[0, 1]``.
    lam : float
        Ridge penalty, ``lam >= 0``.  ``lam = 0`` is the ``lam -> 0+`` limit:
        the min-norm interpolator / max-margin classifier where the learner
        interpolates, the unregularized minimizer otherwise.
    learner : Learner or str
        ``Linear()``, ``Kernel(mu1=..., mustar=...)``, or ``"linear"``.
    loss : Loss or str
        ``"square"``, ``"hinge"``, ``"logistic"`` or a :class:`Loss`.
    inputs : Inputs or str, default="isotropic"
        The input model: ``"isotropic"`` (``x ~ N(0, I_d)``, the paper's) or structured Gaussian
        inputs with a covariance spectrum and a teacher aligned with it
        (:class:`~rafmodel.Spectrum`, :class:`~rafmodel.PowerLaw`, :class:`~rafmodel.Spiked`;
        docs/theory.md section 3.11).

    Raises
    ------
    ParameterError
        ``alpha``, ``eps`` or ``lam`` (or a learner parameter) out of range or not finite
        (checked at the signature, before anything is built: ``CONSTRAINTS["Setting"]`` of
        :mod:`rafmodel._validation`), an array where one number is expected (use :func:`grid`
        for many points), an unknown learner or loss name, or a keyword that is not a field.

    See Also
    --------
    grid : many settings at once.

    Examples
    --------
    >>> from rafmodel import Setting
    >>> s = Setting(alpha=2.0, eps=0.2, lam=0.1, learner="linear", loss="hinge")
    >>> s.learner, s.loss
    (Linear(), Hinge())
    >>> s.replace(lam=0).params()
    {'alpha': 2.0, 'eps': 0.2, 'lam': 0.0}
    """

    alpha: float
    eps: float
    lam: float
    learner: Learner | str = field(default="linear")  # converted to a Learner
    loss: Loss | str = field(default="square")  # converted to a Loss
    inputs: Inputs | str = field(default="isotropic", repr=False)  # converted to an Inputs (in repr if structured)

    @validate_params("Setting", exempt={"learner": "converted and checked by get_learner, first in the body",
                                        "loss": "converted and checked by get_loss, first in the body",
                                        "inputs": "converted and checked by get_inputs, first in the body"})
    def __init__(self, alpha: float, eps: float, lam: float, learner: Learner | str = "linear",
                 loss: Loss | str = "square", inputs: Inputs | str = "isotropic") -> None:
        set_ = object.__setattr__
        for name, v in (("alpha", alpha), ("eps", eps), ("lam", lam)):
            if type(v) is not float:
                if np.ndim(v) != 0:
                    raise ParameterError(name, "a Setting holds one point; use rafmodel.grid for many")
                v = float(v)
            set_(self, name, v)
        set_(self, "learner", get_learner(learner))
        set_(self, "loss", get_loss(loss))
        set_(self, "inputs", get_inputs(inputs))
        for k, v in self.learner.params().items():
            if type(v) is not float and np.ndim(v) != 0:
                raise ParameterError(k, "a Setting holds one point; use rafmodel.grid for many")
        check = getattr(self.learner, "check_setting", None)  # a learner that refuses lam or a loss ("bayes")
        if check is not None:
            check(self)

    def __repr__(self) -> str:
        head = (f"Setting(alpha={self.alpha!r}, eps={self.eps!r}, lam={self.lam!r}, learner={self.learner!r}, "
                f"loss={self.loss!r}")
        return head + (")" if self.inputs.isotropic else f", inputs={self.inputs!r})")

    def __post_init__(self):
        # reached only from the __init__ that @dataclass writes for a subclass, which would skip
        # the checks declared at Setting.__init__
        raise TypeError(f"{type(self).__qualname__}: a subclass of Setting keeps the declared constructor "
                        "(@dataclass(frozen=True, init=False), or an __init__ declared with "
                        "rafmodel._validation.validate_params)")

    def params(self) -> dict[str, float]:
        """All parameters as a flat dict (``alpha, eps, lam`` and the learner's).

        Returns
        -------
        dict of str to float
            ``{"alpha": ..., "eps": ..., "lam": ..., **learner.params()}``.
        """
        return {"alpha": self.alpha, "eps": self.eps, "lam": self.lam,
                **{k: float(v) for k, v in self.learner.params().items()}}

    def labels(self) -> dict[str, Any]:
        """Names that identify the learner beyond its parameters, as output columns.

        Returns
        -------
        dict
            ``{"activation": name}`` for random features built from an activation,
            ``{"kernel": name, "bandwidth" | "offset" | "degree": ...}`` for a real kernel
            (the CLI's option names), ``{}`` otherwise; and ``{"inputs": repr}`` for structured
            inputs.  A callable is named by its ``__name__``.
        """
        out = self._learner_labels()
        if not self.inputs.isotropic:
            out["inputs"] = repr(self.inputs)
        return out

    def _learner_labels(self) -> dict[str, Any]:
        lrn = self.learner
        if callable(getattr(lrn, "options", None)):  # a Network: activation, train, scaling ...
            return lrn.options()
        act = getattr(lrn, "activation", None)
        if act is not None:
            return {"activation": act.lower() if isinstance(act, str) else getattr(act, "__name__", "callable")}
        ker = getattr(lrn, "kernel", None)
        if ker is None:
            return {}
        name, params = ker
        name = name.lower() if isinstance(name, str) else getattr(name, "__name__", "callable")
        out = {"kernel": name}
        for k, v in params.items():
            if k == "c":
                k = "bandwidth" if name == "rbf" else "offset"
            out[k] = v
        return out

    def replace(self, **changes: Any) -> Setting:
        """A copy with some of ``alpha, eps, lam, learner, loss, inputs`` changed.

        Parameters
        ----------
        **changes
            New values of some of ``alpha``, ``eps``, ``lam``, ``learner``, ``loss``, ``inputs``.

        Returns
        -------
        Setting
            A new, validated setting (``self`` is frozen and unchanged).

        Raises
        ------
        ParameterError
            A new value out of range, or a name that is not a field of :class:`Setting`
            (the error is also a ``TypeError``).
        """
        kw = {"alpha": self.alpha, "eps": self.eps, "lam": self.lam,
              "learner": self.learner, "loss": self.loss, "inputs": self.inputs}
        unknown = [k for k in changes if k not in kw]
        if unknown:
            raise ParameterError(unknown[0], f"not a field of Setting; its fields: {', '.join(kw)}")
        kw.update(changes)
        return Setting(**kw)


def grid(*, learner: str | Learner | Sequence[Learner] = "linear", loss: str | Loss = "square",
         alpha: float | Sequence[float], eps: float | Sequence[float], lam: float | Sequence[float],
         inputs: Inputs | str = "isotropic", **learner_params: float | Sequence[float]) -> list[Setting]:
    """All combinations of the given values, as a list of :class:`Setting`.

    Each of ``alpha``, ``eps``, ``lam`` and the learner parameters (e.g. ``mu1``,
    ``mustar`` for ``learner="kernel"``) may be a number or a sequence; the
    order is that of :func:`itertools.product` with ``alpha`` varying slowest.
    ``learner`` may also be a list of :class:`Learner` instances (then it varies
    fastest, and no learner parameters are given).

    Parameters
    ----------
    learner : str, Learner or sequence of Learner, default="linear"
        A learner name (``"linear"``, ``"kernel"``, ``"rf"``) built from
        ``learner_params``, one :class:`Learner` used at every point, or a list of them.
    loss : str or Loss, default="square"
        The loss of every point.
    alpha, eps, lam : float or sequence of float
        Samples per dimension, fraction of facts and ridge penalty (as in :class:`Setting`).
    inputs : Inputs or str, default="isotropic"
        The input model of every point (as in :class:`Setting`).
    **learner_params : float or sequence of float
        Parameters of a learner given by name (``mu1``, ``mustar``; ``kappa`` for ``"rf"``).

    Returns
    -------
    list of Setting
        ``len(alpha) * len(eps) * len(lam) * ...`` settings (a number counts as one value).

    Raises
    ------
    ParameterError
        A value out of range, an unknown learner or loss name, a learner parameter the
        learner does not take (or a missing one), learner parameters together with a
        list of learners, an empty list, or more than :data:`rafmodel._validation.MAX_POINTS`
        points (before any is built).

    Examples
    --------
    >>> from rafmodel import grid
    >>> len(grid(learner="kernel", loss="hinge", alpha=[1, 2], eps=0.2, lam=[0.1, 1],
    ...          mu1=0.5, mustar=0.5))
    4
    """
    from ._validation import MAX_POINTS, check_count

    loss = get_loss(loss)
    axes = {"alpha": alpha, "eps": eps, "lam": lam, **learner_params}
    if isinstance(learner, (list, tuple)):
        axes["learner"] = learner
    count = 1
    for name, v in axes.items():
        size = len(v) if isinstance(v, (list, tuple, range)) else int(v.size) if isinstance(v, np.ndarray) else 1
        if size == 0:
            raise ParameterError(name, "must not be empty: give at least one value")
        count *= size
    check_count("grid", count, MAX_POINTS, what="points", hint="split the grid")
    if isinstance(learner, (list, tuple)):
        if learner_params:
            raise ParameterError(next(iter(learner_params)), "give learner parameters through the Learner "
                                                              "instances of the list")
        return [Setting(learner=lrn, loss=loss, alpha=a, eps=e, lam=l, inputs=inputs)
                for a, e, l, lrn in itertools.product(*(np.atleast_1d(v).tolist() for v in (alpha, eps, lam)),
                                                       learner)]
    names = ["alpha", "eps", "lam", *learner_params]
    values = [np.atleast_1d(v).tolist() for v in (alpha, eps, lam, *learner_params.values())]
    out = []
    built: dict = {}  # one learner per combination of its parameters (building one is slow)
    for combo in itertools.product(*values):
        kw = dict(zip(names, combo))
        lp = {k: kw.pop(k) for k in learner_params}
        if isinstance(learner, str):
            key = tuple(lp.values())
            lrn = built.get(key)
            if lrn is None:
                lrn = built[key] = get_learner(learner, **lp)
        else:
            lrn = learner
        out.append(Setting(learner=lrn, loss=loss, inputs=inputs, **kw))
    return out
