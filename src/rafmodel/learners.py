"""Learners: what is trained, as value objects (name, parameters, validation, identity).

A learner says what it is -- :class:`Linear`, :class:`Kernel` (``mu1``, ``mustar``),
:class:`RandomFeatures` (``kappa``, ``mu1``, ``mustar``), :class:`Network` -- and nothing about
how any route computes with it.  The theory's side of a learner (its part of the fixed-point map)
is its map module in :mod:`rafmodel.theory.maps`, the simulation's its estimator in
:mod:`rafmodel.estimators`; both find it by the learner's type.

Meaning of ``m, q, V`` reported for each learner:

========  ==============================================================
learner   m, q, V
========  ==============================================================
linear    ``m = w.w*/d``, ``q = |w|^2/d``, ``V`` the response (ridge: ``tr (X'X/d + lam)^-1 / d``)
kernel    the same for the weight ``w`` of the linear part ``mu1 x/sqrt(d)`` of the
          kernel's feature map (``ms, qs, Vs`` in docs/theory.md); the memory part
          ``mustar`` only enters through ``V_train = mu1^2 Vs + mustar^2 / lam``
rf        the same for the linear component ``mu1`` of the features; ``qw, Vw`` those of the
          nonlinear component ``mustar``
========  ==============================================================

At ``lam = 0`` on the interpolating side, ``V``, ``mhat``, ``qhat``, ``Vhat`` are the
rescaled ``lam V``, ``mhat / lam``, ``qhat / lam^2``, ``Vhat / lam`` (finite limits).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from functools import lru_cache
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:  # names for the annotations only (nothing is imported at run time)
    from numpy.typing import ArrayLike


from ._validation import DeclaredInit, ParameterError, validate_params

_RHO_MAX = 1.0 - 1e-16  # deprecated here: rafmodel.theory.maps.RHO_MAX

__all__ = ["Learner", "Linear", "Kernel", "RandomFeatures", "Network", "BayesOptimal", "get_learner", "LEARNERS"]


class Learner(DeclaredInit):
    """Base class of a learner: a value object.

    Subclasses set ``name`` and ``param_names`` and declare the constraints of their
    parameters at ``__init__`` with :func:`rafmodel._validation.validate_params` (a subclass
    whose ``__init__`` is not declared is refused when it is defined); equality, hashing and
    ``repr`` follow from the parameters.  What the theory computes with a learner is its map
    module (:mod:`rafmodel.theory.maps`, registered with
    :func:`rafmodel.theory.maps.register_learner_map`), which also gives its interpolation
    thresholds at ``lam = 0`` and what the solver's start needs; docs/user_guide/how_it_works.md
    walks through adding one.

    The theory methods that learners had up to version 0.4 (``to_channel``, ``update``,
    ``test_overlaps``, ``sample_ratio``, ``encode``, ``decode``, ``state_names``,
    ``hat_names``) still answer, with a :class:`DeprecationWarning`, through the learner's map
    (:class:`rafmodel.theory.maps.LearnerMap`, which has them); they go in the next release.
    """

    name = "learner"
    param_names: tuple[str, ...] = ()

    @validate_params({})
    def __init__(self) -> None:
        """A learner without parameters; a keyword is refused with a :class:`ParameterError`."""

    def __getattr__(self, name: str) -> Any:
        if name in _DEPRECATED_THEORY and _THEORY_MAPS:
            import warnings

            learner_map = _THEORY_MAPS[0]  # set by rafmodel.theory.maps (the model does not import the theory)
            warnings.warn(f"{type(self).__name__}.{name} is deprecated: the theory's side of a learner is its map, "
                          f"rafmodel.theory.maps.learner_map(learner).{_DEPRECATED_THEORY[name]}",
                          DeprecationWarning, stacklevel=2)
            lmap = learner_map(self)
            if name in ("square_response", "training_response"):
                return lmap.extra(name)
            return getattr(lmap, name)
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def params(self) -> dict[str, float | np.ndarray]:
        """Learner parameters as a dict of floats or arrays.

        Returns
        -------
        dict of str to float or ndarray
            ``{name: value}`` for each name of ``param_names`` (empty for :class:`Linear`).
        """
        return {k: getattr(self, k) for k in self.param_names}

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in self.params().items())
        return f"{type(self).__name__}({args})"

    def __eq__(self, other):
        return type(self) is type(other) and all(
            np.array_equal(np.asarray(a), np.asarray(b))
            for a, b in zip(self.params().values(), other.params().values()))

    def __hash__(self):
        return hash((type(self), tuple(np.asarray(v).tobytes() for v in self.params().values())))


#: The theory methods of learners up to version 0.4 -> their place on the learner's map.
_DEPRECATED_THEORY = {k: k for k in ("to_channel", "update", "test_overlaps", "sample_ratio", "encode", "decode",
                                     "state_names", "hat_names")}
_DEPRECATED_THEORY.update(square_response='extra("square_response")', training_response='extra("training_response")')
#: ``[learner_map]`` once :mod:`rafmodel.theory.maps` is imported (it registers itself here), for
#: the deprecated theory methods above; empty before.
_THEORY_MAPS: list = []


class Linear(Learner):
    """Linear learner ``f(x) = w.x / sqrt(d)`` with penalty ``(lam/2)|w|^2``.

    It has no parameters; ``m = w.w*/d``, ``q = |w|^2/d`` and ``V`` is the ridge response.

    Examples
    --------
    >>> from rafmodel import Linear, Setting
    >>> Setting(alpha=2.0, eps=0.1, lam=0.1, learner=Linear()).learner == Setting(
    ...     alpha=2.0, eps=0.1, lam=0.1, learner="linear").learner
    True
    """

    name = "linear"
    param_names = ()


class Kernel(Learner):
    """Kernel learner with Gaussian-equivalent coefficients ``mu1`` and ``mustar``.

    Acts like the kernel ``mu0^2 + mu1^2 x.x'/d + mustar^2 delta(x, x')``.

    Parameters
    ----------
    mu1 : float or array_like
        Linear coefficient, ``mu1 > 0``.
    mustar : float or array_like
        Memory coefficient, ``mustar >= 0``.

    Raises
    ------
    ParameterError
        ``mu1 <= 0``, ``mustar < 0``, or a value that is not finite.

    See Also
    --------
    from_kernel : the coefficients of a real dot-product kernel.

    Examples
    --------
    >>> from rafmodel import Kernel
    >>> Kernel(mu1=1.0, mustar=0.5)
    Kernel(mu1=1.0, mustar=0.5)
    """

    name = "kernel"
    param_names = ("mu1", "mustar")
    #: ``(name or callable, params)`` of a real kernel (set by :meth:`from_kernel`);
    #: ``None``: simulations use the Gaussian-equivalent kernel ``mu1^2 x.x'/d + mustar^2 delta``.
    kernel = None

    @validate_params("Kernel")
    def __init__(self, *, mu1: ArrayLike, mustar: ArrayLike) -> None:
        self.mu1, self.mustar = mu1, mustar  # checked and converted at the signature

    @classmethod
    def from_kernel(cls, kernel: str | Callable[..., Any], **params: Any) -> Kernel:
        """The kernel learner of a dot-product kernel by name or callable.

        ``Kernel.from_kernel("rbf", bandwidth=2.0)``, ``Kernel.from_kernel("polynomial",
        degree=3, offset=1.0)``, ``Kernel.from_kernel("arccos")``,
        ``Kernel.from_kernel("activation", activation="tanh")`` -- see
        :func:`rafmodel.equivalence.kernel_coefficients`.

        Parameters
        ----------
        kernel : str or callable
            A kernel name, or a function ``k(rho, **params)``, as in
            :func:`rafmodel.kernel_coefficients`.
        **params
            The kernel's parameters (``bandwidth``, ``degree``, ``offset``, ``activation``
            ...).  Until 0.6 the rbf kernel's ``bandwidth`` and the polynomial kernel's
            ``offset`` are also accepted under their old name ``c``, with a
            DeprecationWarning; the learner is the same either way.

        Returns
        -------
        Kernel
            The learner with the kernel's ``mu1`` and ``mustar``; it remembers the kernel
            (``kernel`` attribute, parameters under their current names), which
            simulations then use instead of the Gaussian-equivalent kernel.

        Raises
        ------
        ParameterError
            An invalid kernel or parameter (see :func:`rafmodel.kernel_coefficients`),
            a kernel with ``mu1 = 0`` (no linear component: it cannot learn the rule), or a
            parameter the named kernel does not take (the error is also a ``TypeError``),
            or ``c`` beside its new name.

        Examples
        --------
        >>> from rafmodel import Kernel
        >>> k = Kernel.from_kernel("rbf", bandwidth=1.0)
        >>> round(k.mu1, 4), round(k.mustar, 4), k.kernel
        (0.6065, 0.514, ('rbf', {'bandwidth': 1.0}))
        """
        from .equivalence import _KERNEL_ALIASES, _renamed_params, kernel_coefficients

        if isinstance(kernel, str):  # the old name c, once, under its new name from here on
            key = kernel.strip().lower()
            params = _renamed_params(f"Kernel.from_kernel({key!r})", _KERNEL_ALIASES.get(key, key), params, 3)
        c = kernel_coefficients(kernel, **params)
        if c.mu1 <= 0:
            raise ParameterError("kernel", f"{kernel!r} has mu1 = 0: it carries no linear component "
                                           "and cannot learn the rule")
        out = cls(mu1=c.mu1, mustar=c.mustar)
        out.kernel = (kernel, dict(params))  # simulations use the real kernel
        return out

    def __eq__(self, other):
        # the real kernel a simulation uses is part of the learner (compared by name and
        # parameters, a callable by identity): equal coefficients are not enough
        from .equivalence import _kernel_key

        return (Learner.__eq__(self, other)
                and (self.kernel is None) == (other.kernel is None)
                and (self.kernel is None or _kernel_key(*self.kernel) == _kernel_key(*other.kernel)))

    def __hash__(self):
        from .equivalence import _kernel_key

        return hash((Learner.__hash__(self), None if self.kernel is None else _kernel_key(*self.kernel)))

    def __repr__(self):
        base = Learner.__repr__(self)
        return base if self.kernel is None else f"{base[:-1]}, kernel={self.kernel!r})"


class RandomFeatures(Learner):
    """Random-features learner ``f(x) = a.sigma(F x/sqrt d)/sqrt p``, ``p = kappa d``.

    ``F`` has i.i.d. N(0,1) entries and is fixed; only ``a`` is trained, with
    penalty ``(lam/2)|a|^2``.  The activation enters through its Gaussian-
    equivalence coefficients ``mu1`` and ``mustar`` (docs/theory.md section 2).

    Order parameters: ``m, q, V`` are ``ms, qs, Vs`` of docs/theory.md (the part of the
    predictor along the linear component ``mu1``), ``qw, Vw`` those of the
    nonlinear component ``mustar``.  At a test point the predictor has overlaps
    ``(mu1 m, mu1^2 q + mustar^2 qw)``; at a training point the response is
    ``mu1^2 V + mustar^2 Vw``.

    Parameters
    ----------
    kappa : float or array_like
        Features per input dimension, ``kappa = p/d > 0``.
    mu1 : float or array_like
        Linear coefficient of the activation, ``mu1 > 0``.
    mustar : float or array_like
        Nonlinear coefficient, ``mustar >= 0``.

    Raises
    ------
    ParameterError
        ``kappa <= 0``, ``mu1 <= 0``, ``mustar < 0``, or a value that is not finite.

    See Also
    --------
    from_activation : the coefficients of a real activation.

    Examples
    --------
    >>> from rafmodel import RandomFeatures
    >>> RandomFeatures(kappa=2.0, mu1=0.5, mustar=0.3)
    RandomFeatures(kappa=2.0, mu1=0.5, mustar=0.3)
    """

    name = "rf"
    param_names = ("kappa", "mu1", "mustar")
    #: Activation used by simulations (set by :meth:`from_activation`); ``None``: the
    #: polynomial ``mu1 t + mustar (t^2 - 1)/sqrt 2`` with exactly these coefficients.
    activation = None

    @validate_params("RandomFeatures")
    def __init__(self, *, kappa: ArrayLike, mu1: ArrayLike, mustar: ArrayLike) -> None:
        self.kappa, self.mu1, self.mustar = kappa, mu1, mustar  # checked and converted at the signature

    @classmethod
    def from_activation(cls, activation: str | Callable[[np.ndarray], np.ndarray], *,
                        kappa: float) -> RandomFeatures:
        """Random features with an activation by name (``"relu"``, ``"tanh"`` ...) or callable.

        See :func:`rafmodel.equivalence.activation_coefficients`.

        Parameters
        ----------
        activation : str or callable
            An activation name or an elementwise function, as in
            :func:`rafmodel.activation_coefficients`.
        kappa : float
            Features per input dimension, ``kappa = p/d > 0``.

        Returns
        -------
        RandomFeatures
            The learner with ``mu1 = |E g sigma(g)|`` (the sign of the linear part is
            absorbed by the trained weights) and ``mustar``; it remembers the activation
            (``activation`` attribute), which simulations then use.

        Raises
        ------
        ParameterError
            An invalid activation (see :func:`rafmodel.activation_coefficients`; one that
            raises or returns values that are not finite numbers is refused too), an
            activation with ``mu1 = 0`` (no linear component: it cannot learn the rule),
            or an invalid ``kappa``.

        Examples
        --------
        >>> from rafmodel import RandomFeatures
        >>> rf = RandomFeatures.from_activation("relu", kappa=2.0)
        >>> rf.kappa, rf.mu1, round(rf.mustar, 4), rf.activation
        (2.0, 0.5, 0.3014, 'relu')
        """
        from .equivalence import activation_coefficients

        c = activation_coefficients(activation)
        if abs(c.mu1) <= 0:
            raise ParameterError("activation", f"{activation!r} has mu1 = 0: random features with it "
                                               "carry no linear component and cannot learn the rule")
        out = cls(kappa=kappa, mu1=abs(c.mu1), mustar=c.mustar)
        out.activation = activation  # simulations use the real activation
        return out

    def __eq__(self, other):
        # the activation a simulation uses is part of the learner (a callable by identity)
        from .equivalence import _activation_key

        return (Learner.__eq__(self, other)
                and (self.activation is None) == (other.activation is None)
                and (self.activation is None
                     or _activation_key(self.activation) == _activation_key(other.activation)))

    def __hash__(self):
        from .equivalence import _activation_key

        return hash((Learner.__hash__(self),
                     None if self.activation is None else _activation_key(self.activation)))

    def __repr__(self):
        base = Learner.__repr__(self)
        return base if self.activation is None else f"{base[:-1]}, activation={self.activation!r})"


#: Activations with a zero derivative almost everywhere (no gradient reaches the first layer).
_FLAT_ACTIVATIONS = ("sign", "step")


class Network(Learner):
    """A two-layer network ``f(x) = sum_k a_k sigma(w_k.x / sqrt d) / s(p)``, ``p = kappa d``.

    A pure description (no training code, no jax): the estimator registered for it
    (``rafmodel.estimators.network``) trains it.  The first layer starts at i.i.d.
    N(0, 1) entries, exactly the random-features learner's ``F``.

    * ``train="readout"``: the first layer stays at its initialization and only ``a`` is
      trained, to the certified minimizer of ``sum_i loss(y_i, f(x_i)) + (lam/2)|a|^2``:
      this *is* :class:`RandomFeatures` with the same activation (``s(p) = sqrt p``).
    * ``train="all"``: both layers, by full-batch gradient descent or Adam for ``steps``
      steps on ``[sum_i loss(y_i, f(x_i)) + (lam/2)(|a|^2 + |W|^2/d)] / n``;
      ``scaling="lazy"``: ``s(p) = sqrt p``, learning rate ``lr``; ``"mean-field"``:
      ``s(p) = p``, learning rate ``lr p`` (so that one step moves the outputs by the
      same order at initialization in both).

    No exact theory exists for ``train="all"`` (docs/theory.md section 7).

    Parameters
    ----------
    kappa : float
        Hidden units per input dimension, ``p = max(1, round(kappa d))``; ``kappa > 0``.
    activation : str or callable, default="relu"
        An activation name of :data:`rafmodel.equivalence.ACTIVATIONS`, or an elementwise
        function written with ``jax.numpy`` (``train="all"`` differentiates it).
    train : {"readout", "all"}, default="readout"
        Which layers are trained.
    scaling : {"lazy", "mean-field"}, default="lazy"
        Output scaling of ``train="all"`` (readout always uses ``1/sqrt p``).
    optimizer : {"gd", "adam"}, default="gd"
        Optimizer of ``train="all"``.
    steps : int, default=2000
        Full-batch steps of ``train="all"``, ``>= 1``.
    lr : float, default=1.0
        Base learning rate of ``train="all"``, ``> 0``.
    device : {"auto", "cpu", "gpu"}, default="auto"
        Where jax runs (``auto``: a GPU when one is visible).

    Raises
    ------
    ParameterError
        A value out of range or an unknown choice, or ``train="all"`` with a piecewise-constant
        activation (``sign``, ``step``), whose zero derivative would leave the first layer
        where it started.

    Examples
    --------
    >>> from rafmodel import Network
    >>> Network(kappa=2.0, activation="tanh", train="all", scaling="mean-field")
    Network(kappa=2.0, activation='tanh', train='all', scaling='mean-field', optimizer='gd', steps=2000, lr=1.0)
    """

    name = "network"
    param_names = ("kappa",)
    #: Names of the descriptive options, reported as labels.
    option_names = ("activation", "train", "scaling", "optimizer", "steps", "lr")

    @validate_params("Network", exempt={"activation": "resolved by rafmodel.equivalence._resolve_activation, "
                                                   "which names it"})
    def __init__(self, *, kappa: float, activation: str | Callable[[Any], Any] = "relu", train: str = "readout",
                 scaling: str = "lazy", optimizer: str = "gd", steps: int = 2000, lr: float = 1.0,
                 device: str = "auto") -> None:
        from .equivalence import _resolve_activation

        if np.ndim(kappa) != 0:
            raise ParameterError("kappa", "a Network holds one kappa; build one per value")
        self.kappa = float(kappa)
        key = _resolve_activation(activation)[0]
        if train == "all" and key in _FLAT_ACTIVATIONS:
            raise ParameterError("activation", f"{key!r} has a zero derivative almost everywhere, so train='all' "
                                               "could not move the first layer; use train='readout' or a smooth "
                                               "activation")
        self.activation = key if key is not None else activation
        self.train, self.scaling, self.optimizer = train, scaling, optimizer
        self.steps, self.lr, self.device = int(steps), float(lr), device

    def options(self) -> dict[str, Any]:
        """The descriptive options, ``{name: value}`` (the activation by name).

        Returns
        -------
        dict
            ``activation, train, scaling, optimizer, steps, lr``.
        """
        act = self.activation
        return {"activation": act if isinstance(act, str) else getattr(act, "__name__", "callable"),
                "train": self.train, "scaling": self.scaling, "optimizer": self.optimizer,
                "steps": self.steps, "lr": self.lr}

    def random_features(self) -> RandomFeatures:
        """The random-features learner that ``train="readout"`` is.

        Returns
        -------
        RandomFeatures
            ``RandomFeatures.from_activation(activation, kappa=kappa)``.
        """
        return RandomFeatures.from_activation(self.activation, kappa=self.kappa)

    def __repr__(self):
        opts = self.options()
        if not isinstance(self.activation, str):
            opts["activation"] = self.activation
        return f"Network(kappa={self.kappa!r}, " + ", ".join(f"{k}={v!r}" for k, v in opts.items()) + ")"

    def __eq__(self, other):
        from .equivalence import _activation_key

        return (type(self) is type(other) and self.kappa == other.kappa and self.device == other.device
                and _activation_key(self.activation) == _activation_key(other.activation)
                and all(getattr(self, k) == getattr(other, k) for k in self.option_names[1:]))

    def __hash__(self):
        return hash((type(self), self.kappa, self.train, self.scaling, self.optimizer, self.steps, self.lr))


class BayesOptimal(Learner):
    """The Bayes-optimal estimator of the teacher: AMP with the RAF channel's denoisers.

    Not a penalized risk: on data it is generalized approximate message passing with the
    Gaussian prior and the true output channel (:mod:`rafmodel.estimators.amp`), and its
    theory is :func:`rafmodel.bayes_optimal` (``m = q``, ``gen_error = arccos(sqrt q) / pi``).
    ``lam`` and the loss do not apply: a :class:`rafmodel.Setting` with it takes ``lam = 0``
    and the default loss only, and isotropic inputs (AMP's prior and channel are those of the
    isotropic model).

    Examples
    --------
    >>> from rafmodel import Setting
    >>> Setting(alpha=2.0, eps=0.2, lam=0, learner="bayes").learner
    BayesOptimal()
    """

    name = "bayes"
    param_names = ()

    def check_setting(self, setting: Any) -> None:
        """Refuse a ``lam`` or a loss: the Bayes-optimal estimator has neither.

        Parameters
        ----------
        setting : Setting
            The setting being built.

        Raises
        ------
        ParameterError
            ``lam != 0``, a loss other than the default (square), or structured (not isotropic) inputs.
        """
        if setting.lam != 0:
            raise ParameterError("lam", f"the learner 'bayes' (Bayes-optimal AMP) has no penalty; give lam=0, "
                                        f"got {setting.lam!r}")
        if setting.loss.name != "square":
            raise ParameterError("loss", f"the learner 'bayes' (Bayes-optimal AMP) has no loss; leave it out, "
                                         f"got {setting.loss.name!r}")
        inputs = getattr(setting, "inputs", None)
        if inputs is not None and not inputs.isotropic:
            raise ParameterError("inputs", "the learner 'bayes' (AMP with the Gaussian prior N(0, I_d)) is written "
                                           f"for isotropic inputs only, got {inputs!r:.80}")


LEARNERS = {"linear": Linear, "kernel": Kernel, "rf": RandomFeatures, "bayes": BayesOptimal}


def get_learner(learner: str | Learner, **params: ArrayLike) -> Learner:
    """Return a :class:`Learner` from a name (with its parameters) or an instance.

    Parameters
    ----------
    learner : str or Learner
        ``"linear"``, ``"kernel"`` or ``"rf"`` (case-insensitive), or a learner,
        returned as is.
    **params : float or array_like
        The named learner's parameters (``mu1``, ``mustar``; ``kappa`` for ``"rf"``).

    Returns
    -------
    Learner
        A new learner, or ``learner`` itself.

    Raises
    ------
    ParameterError
        An unknown name, a missing or unexpected parameter for the named learner, or a
        parameter out of range.

    Examples
    --------
    >>> get_learner("kernel", mu1=1.0, mustar=0.0)
    Kernel(mu1=1.0, mustar=0.0)
    """
    if isinstance(learner, Learner):
        return learner
    if isinstance(learner, str) and learner.lower() in LEARNERS:
        cls = LEARNERS[learner.lower()]
        allowed, required = _keywords(cls)
        for k in params:
            if k not in allowed:
                raise ParameterError(k, f"not a parameter of the learner {learner.lower()!r}; its parameters: "
                                        f"{', '.join(allowed) or 'none'}")
        for k in required:
            if k not in params:
                raise ParameterError(k, f"required by the learner {learner.lower()!r}")
        return cls(**params)
    allowed = ", ".join(sorted(LEARNERS))
    raise ParameterError("learner", f"unknown learner {learner!r}; allowed: {allowed}")


@lru_cache(maxsize=None)
def _keywords(cls: type) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The keyword-only parameters of ``cls``'s constructor, and those of them without a default (per class)."""
    sig = inspect.signature(cls)
    allowed = tuple(k for k, p in sig.parameters.items() if p.kind is p.KEYWORD_ONLY)
    return allowed, tuple(k for k in allowed if sig.parameters[k].default is inspect.Parameter.empty)
