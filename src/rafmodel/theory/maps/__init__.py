"""The fixed-point map of the theory, written once per learner and per loss.

Each learner and each closed-form loss has one *map module* here (``linear``, ``kernel``,
``random_features``; ``square``, ``hinge``), written in the elementary operations of
:mod:`rafmodel.theory.maps._ops` (see there for the few rules).  That one source is both routes
of the solver:

* the **batch route** calls the functions as they are, on numpy arrays of shape ``(B,)``;
* the **compiled route** (:mod:`rafmodel.theory.maps._compile`) compiles the same code objects
  with numba, with the operations on one float each, into one compiled solver per learner and
  loss (:mod:`rafmodel.theory._compiled_solver`).

A learner's map module defines ``PARAMS``, ``STATE`` and ``HATS`` (names), ``sample_ratio(alpha, p)``, ``to_channel(x, lam, p)`` (the state
``x`` indexable, ``x[0], x[1], ...``), ``update(mh, qh, vh, lam, p, s)`` (the new state and the
learner's conjugates as one flat tuple) and ``test_overlaps(x, p)``, with ``p`` the learner's
parameters in the order of :attr:`LearnerMap.params` and ``s`` the inputs' spectrum (an array of
shape ``(3, K)``, ``K = 0`` for isotropic inputs; a module that reads it declares
``STRUCTURED_INPUTS = True``, and may restrict them with ``STRUCTURED_DIRECTIONS``, the directions
per input dimension it needs), and ``exact_threshold(p)`` (optionally ``SEPARABILITY``,
``square_response``, ``training_response``), which the learner-independent
:mod:`rafmodel.theory.capacity` and :mod:`rafmodel.theory.initial` read (batch route only), and
optional closed forms (``square_lam_opt``, ``interpolator_margin``, ``represents_rule``) for
:mod:`rafmodel.theory.optimal`; a loss's defines ``channel(m, q, V, eps, limit)``.  :class:`LearnerMap` binds a learner type to its module; :func:`register_learner_map`
and :func:`register_loss_map` make new ones known.  docs/user_guide/how_it_works.md walks through
adding one.
"""

from __future__ import annotations

import dataclasses
import types
from dataclasses import dataclass
from typing import Any

import numpy as np

from ... import learners as _learners_module
from ...learners import Kernel, Learner, Linear, Network, RandomFeatures
from ...losses import Hinge, Loss, Square
from . import hinge, kernel, linear, random_features, square

__all__ = ["LearnerMap", "learner_map", "register_learner_map", "loss_map", "register_loss_map", "has_theory",
           "RHO_MAX"]

#: ``m / sqrt(q)`` is kept inside ``[-RHO_MAX, RHO_MAX]`` in the solver's coordinates.
RHO_MAX = 1.0 - 1e-16


@dataclass(frozen=True, eq=False)
class LearnerMap:
    """A learner type's side of the fixed-point map, and its batch-route calls.

    Parameters
    ----------
    learner : type
        The :class:`~rafmodel.Learner` subclass (its subclasses share the map unless they register
        their own).
    module : module
        The map module (written in :mod:`rafmodel.theory.maps._ops`); its ``PARAMS`` are the
        learner's parameters in the order its ``p`` holds them, its ``STATE`` the order parameters
        (the first three always ``m, q, V``) and ``HATS`` their conjugates.

    Notes
    -----
    The methods below are the batch route: parameters as a dict ``P`` of floats or arrays of
    shape ``(B,)`` and order parameters as tuples of arrays, evaluated with numpy's floating-point
    warnings off (a point outside the domain gives ``nan`` or ``inf``, which the solver handles).
    """

    learner: type
    module: types.ModuleType
    #: The inputs' spectrum the map runs on (:meth:`rafmodel.Inputs.atoms`; no atoms: isotropic).
    s: np.ndarray = dataclasses.field(default_factory=lambda: np.zeros((3, 0)))

    def with_inputs(self, inputs) -> LearnerMap:
        """This map on the input model ``inputs`` (:class:`rafmodel.Inputs`).

        Raises
        ------
        ParameterError
            Structured inputs for a learner whose map knows only isotropic ones.
        """
        if inputs is None or inputs.isotropic:
            return self if self.s.shape[1] == 0 else dataclasses.replace(self, s=np.zeros((3, 0)))
        if not getattr(self.module, "STRUCTURED_INPUTS", False):
            from ...exceptions import ParameterError

            raise ParameterError("inputs", f"the theory of the {self.learner.name} learner knows isotropic inputs "
                                           "only; structured inputs: the linear, kernel and random-features learners")
        need = getattr(self.module, "STRUCTURED_DIRECTIONS", None)
        if need is not None and abs(inputs.directions - need) > 1e-9:
            from ...exceptions import ParameterError

            raise ParameterError("inputs", f"the theory of the {self.learner.name} learner needs a spectrum of "
                                           f"{need:g} direction per input dimension, got {inputs.directions:g}")
        return dataclasses.replace(self, s=np.array(inputs.atoms(), dtype=float))  # writable: one compiled type

    @property
    def params(self) -> tuple[str, ...]:
        """The learner's parameters, in the order the module's ``p`` holds them."""
        return self.module.PARAMS

    @property
    def state_names(self) -> tuple[str, ...]:
        """The order parameters (the first three are always ``m, q, V``)."""
        return self.module.STATE

    @property
    def hat_names(self) -> tuple[str, ...]:
        """Their conjugates, in the same order."""
        return self.module.HATS

    @property
    def name(self) -> str:
        """The map module's short name (``"kernel"``, ``"random_features"`` ...)."""
        return self.module.__name__.rsplit(".", 1)[-1]

    def pack(self, P: dict[str, Any]) -> tuple:
        """The parameters ``P`` (a dict) as the module's ``p`` (a tuple in :attr:`params` order)."""
        return tuple(P[k] for k in self.params)

    def sample_ratio(self, alpha, P):
        """Sample ratio ``a`` the channel sees (``alpha``, or ``alpha / kappa`` for random features)."""
        with np.errstate(all="ignore"):
            return self.module.sample_ratio(alpha, self.pack(P))

    def to_channel(self, state, lam, P):
        """Training-time ``(m, q, V)`` seen by the channel, from the state tuple."""
        with np.errstate(all="ignore"):
            return self.module.to_channel(state, lam, self.pack(P))

    def update(self, mhat, qhat, Vhat, lam, P):
        """``(state, hats)`` from the channel's hats (already multiplied by ``a``)."""
        with np.errstate(all="ignore"):
            out = self.module.update(mhat, qhat, Vhat, lam, self.pack(P), self.s)
        k = len(self.state_names)
        return out[:k], out[k:]

    def test_overlaps(self, state, P):
        """``(m, q)`` of the predictor at a fresh test point."""
        with np.errstate(all="ignore"):
            return self.module.test_overlaps(state, self.pack(P))

    def encode(self, state) -> np.ndarray:
        """Unconstrained solver coordinates ``(atanh(m/sqrt q), log q, log V, log ...)``, shape ``(B, k)``."""
        m, q, V, *rest = state
        rho = np.clip(m / np.sqrt(q), -RHO_MAX, RHO_MAX)
        return np.stack([np.arctanh(rho), np.log(q), np.log(V), *(np.log(r) for r in rest)], axis=-1)

    def decode(self, y: np.ndarray) -> tuple[np.ndarray, ...]:
        """Inverse of :meth:`encode`: the state tuple from coordinates of shape ``(B, k)``."""
        q = np.exp(y[:, 1])
        return (np.tanh(y[:, 0]) * np.sqrt(q), q, *(np.exp(y[:, i]) for i in range(2, y.shape[1])))

    def extra(self, name: str):
        """The module's optional function ``name`` (e.g. ``square_response``), or ``None``."""
        f = getattr(self.module, name, None)
        if f is None:
            return None

        def call(*args):
            *head, P = args
            with np.errstate(all="ignore"):
                return f(*head, self.pack(P))
        return call


_LEARNERS: dict[type, LearnerMap] = {}
_LOSSES: dict[type, Any] = {}


def register_learner_map(lmap: LearnerMap) -> LearnerMap:
    """Make ``lmap`` the map of its learner type (and of its subclasses without their own)."""
    _LEARNERS[lmap.learner] = lmap
    return lmap


def register_loss_map(loss_type: type, module: types.ModuleType) -> None:
    """Make ``module`` (a map module with ``channel(m, q, V, eps, limit)``) the closed-form channel of ``loss_type``."""
    _LOSSES[loss_type] = module


def _lookup(registry, t):
    return next((registry[c] for c in t.__mro__ if c in registry), None)


def has_theory(learner: Any) -> bool:
    """Whether ``learner`` has an exact asymptotic theory here (a map is registered for its type).

    The linear, kernel and random-features learners (and their subclasses) do; a trained
    :class:`rafmodel.Network` does not (its readout mode is ``Network.random_features()``).
    Ask this instead of calling a theory function and catching its error.

    Parameters
    ----------
    learner : Learner
        Any learner (or any object: ``False`` for one that is not a learner).

    Returns
    -------
    bool
        Whether :func:`learner_map` has a map for it.

    Examples
    --------
    >>> import rafmodel as rm
    >>> has_theory(rm.Kernel(mu1=1.0, mustar=0.5)), has_theory(rm.Network(kappa=2.0))
    (True, False)
    """
    return _lookup(_LEARNERS, type(learner)) is not None


def learner_map(learner: Learner) -> LearnerMap:
    """The :class:`LearnerMap` of ``learner``'s type.

    Raises
    ------
    ParameterError
        No map for this learner (a trained :class:`~rafmodel.Network`: no exact theory).
    """
    lmap = _lookup(_LEARNERS, type(learner))
    if lmap is None:
        from ...exceptions import ParameterError

        if getattr(learner, "name", None) == "bayes":
            raise ParameterError("learner", "the learner 'bayes' (AMP) has no fixed point of its own: its theory is "
                                            "rafmodel.bayes_optimal(alpha, eps) (m = q, gen_error)")
        if isinstance(learner, Network):
            raise ParameterError("learner", "a trained Network has no exact theory; its readout mode is "
                                            "Network.random_features() (rafmodel.solve on that learner)")
        raise ParameterError("learner", f"no theory for {type(learner).__name__}: register its map with "
                                        "rafmodel.theory.maps.register_learner_map")
    return lmap


def loss_map(loss: Loss):
    """The closed-form map module of ``loss``'s type (or of the nearest registered base class), or ``None``."""
    return _lookup(_LOSSES, type(loss))


_learners_module._THEORY_MAPS[:] = [learner_map]  # the learners' deprecated theory methods answer through it
register_learner_map(LearnerMap(Linear, linear))
register_learner_map(LearnerMap(Kernel, kernel))
register_learner_map(LearnerMap(RandomFeatures, random_features))
register_loss_map(Square, square)
register_loss_map(Hinge, hinge)
