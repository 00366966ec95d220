"""The estimator of :class:`rafmodel.Network`: a two-layer network trained with jax and optax.

``f(x) = sum_k a_k sigma(w_k.x / sqrt d) / s(p)``, ``W`` of shape ``(p, d)`` drawn i.i.d.
N(0, 1) from the learner's generator first (the same draw as the random-features
``F``), then ``a`` i.i.d. N(0, 1).

* readout: the hidden layer is computed by the network's own forward pass (jax, float64)
  and ``a`` is the certified minimizer of ``sum_i loss + (lam/2)|a|^2``, by the solver the
  package registers for the loss (Cholesky / SVM dual / L-BFGS with a gradient-norm or
  duality-gap certificate): the random-features learner, exactly.
* all: full-batch gradient descent (``optax.sgd``) or Adam on
  ``J = [sum_i loss(y_i, f(x_i)) + (lam/2)(|a|^2 + |W|_F^2 / d)] / n``; the learning rate is
  ``lr`` (lazy, ``s(p) = sqrt p``) or ``lr p`` (mean-field, ``s(p) = p``; gradient
  descent only: Adam's steps do not scale with the gradient, so it uses ``lr`` in both).

jax is imported on first use; without it a :class:`rafmodel.ParameterError` says how to
install it (``pip install 'rafmodel[nn]'``).  Computations run in float64
(``jax.enable_x64`` as a context, no global switch).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np

from ..exceptions import ParameterError
from ..learners import Network
from .base import _SOLVERS, Fitted, Representation, lookup, register_estimator

if TYPE_CHECKING:  # for the annotations only
    from ..data import Dataset
    from ..setting import Setting

__all__ = ["NetworkEstimator", "network_functions", "require_jax", "select_device", "device_name", "jax_activation"]

_INSTALL = "trained networks need jax and optax: pip install 'rafmodel[nn]'"


def require_jax() -> tuple[Any, Any]:
    """The modules ``(jax, optax)``, or a clear error.

    Returns
    -------
    tuple
        ``(jax, optax)``.

    Raises
    ------
    ParameterError
        jax or optax is not installed (named ``learner``; the message says how to install them).
    """
    try:
        import jax
        import optax
    except ImportError:
        raise ParameterError("learner", _INSTALL) from None
    return jax, optax


def select_device(device: str = "auto") -> Any:
    """The jax device for ``device``: ``"auto"`` (a GPU when one is visible), ``"cpu"`` or ``"gpu"``.

    Parameters
    ----------
    device : {"auto", "cpu", "gpu"}
        Which device to run on.

    Returns
    -------
    jax.Device
        The first device of that kind.

    Raises
    ------
    ParameterError
        ``"gpu"`` while jax sees no GPU, or an unknown name.
    """
    from .._validation import Choice

    device = Choice("auto", "cpu", "gpu").check("device", device)
    jax, _ = require_jax()
    if device in ("auto", "gpu"):
        try:
            gpus = jax.devices("gpu")
        except RuntimeError:
            gpus = []
        if gpus:
            return gpus[0]
        if device == "gpu":
            raise ParameterError("device", "gpu requested but jax sees no GPU; use auto or cpu "
                                           "(a CUDA build of jax: pip install 'jax[cuda12]')")
    return jax.devices("cpu")[0]


def device_name(dev: Any) -> str:
    """``"cpu"`` or ``"gpu:<kind>"`` (e.g. ``"gpu:NVIDIA H100 80GB HBM3"``) for a jax device.

    Parameters
    ----------
    dev : jax.Device
        A device.

    Returns
    -------
    str
        Its platform, and its kind for an accelerator.
    """
    return "cpu" if dev.platform == "cpu" else f"{dev.platform}:{dev.device_kind}"


def jax_activation(activation: Any) -> Any:
    """The jax version of an activation name (a callable is returned as is).

    Parameters
    ----------
    activation : str or callable
        A name of :data:`rafmodel.equivalence.ACTIVATIONS` (same conventions:
        ``sign(0) = 0``, ``step(0) = 1/2``), or a function written with ``jax.numpy``.

    Returns
    -------
    callable
        The elementwise jax function.

    Raises
    ------
    ParameterError
        An unknown name.
    """
    from ..equivalence import _resolve_activation

    key, func = _resolve_activation(activation)
    if key is None:
        return func
    jax, _ = require_jax()
    jnp = jax.numpy
    from jax.scipy.special import erf, ndtr

    table = {"linear": lambda x: x, "relu": lambda x: jnp.maximum(x, 0.0), "abs": jnp.abs, "erf": erf,
             "tanh": jnp.tanh, "sign": jnp.sign, "sigmoid": jax.nn.sigmoid, "quadratic": lambda x: x * x,
             "gelu": lambda x: x * ndtr(x), "step": lambda x: jnp.where(x > 0, 1.0, jnp.where(x < 0, 0.0, 0.5))}
    return table[key]


def _jax_loss(name, jnp):
    if name == "square":
        return lambda y, h: 0.5 * (y - h) ** 2
    if name == "hinge":
        return lambda y, h: jnp.maximum(0.0, 1.0 - y * h)
    if name == "logistic":
        return lambda y, h: jnp.logaddexp(0.0, -y * h)
    raise ParameterError("loss", f"trained networks support the square, hinge and logistic losses, got {name!r}")


def network_functions(net: Network, loss: str, lam: float, d: int, p: int, n: int) -> tuple[Any, Any]:
    """The network's forward pass and training objective, as jax functions.

    Parameters
    ----------
    net : Network
        Gives the activation and the output scaling (``1/sqrt p`` for readout and lazy,
        ``1/p`` for mean-field).
    loss : {"square", "hinge", "logistic"}
        The loss, as in :mod:`rafmodel.losses` (``(y - h)^2 / 2``, ``max(0, 1 - y h)``,
        ``log(1 + exp(-y h))``).
    lam : float
        Weight decay.
    d, p, n : int
        Input dimension, hidden units, training samples.

    Returns
    -------
    f : callable
        ``f(params, X)``: outputs of shape ``(m,)``; ``params = {"W": (p, d), "a": (p,)}``.
    objective : callable
        ``objective(params, X, y) = [sum_i loss(y_i, f(x_i)) + (lam/2)(|a|^2 + |W|^2/d)] / n``.
    """
    jax, _ = require_jax()
    jnp = jax.numpy
    sigma = jax_activation(net.activation)
    lossf = _jax_loss(loss, jnp)
    scale = math.sqrt(p) if (net.train == "readout" or net.scaling == "lazy") else float(p)

    def f(params, X):
        return sigma(X @ params["W"].T / math.sqrt(d)) @ params["a"] / scale

    def objective(params, X, y):
        pen = jnp.sum(params["a"] ** 2) + jnp.sum(params["W"] ** 2) / d
        return (jnp.sum(lossf(y, f(params, X))) + 0.5 * lam * pen) / n
    return f, objective


class NetworkEstimator:
    """Trains a :class:`rafmodel.Network` on a dataset (registered for the learner type).

    Parameters
    ----------
    setting : Setting
        Its learner is a :class:`rafmodel.Network`; its loss and ``lam`` are the objective's.

    Raises
    ------
    ParameterError
        jax or optax missing, a loss other than square, hinge or logistic, or ``device="gpu"``
        without a GPU.
    """

    def __init__(self, setting: Setting) -> None:
        self.net, self.loss, self.lam = setting.learner, setting.loss, setting.lam
        require_jax()
        _jax_loss(self.loss.name, np)
        self.device = select_device(self.net.device)

    def __repr__(self):
        return f"NetworkEstimator({self.net!r}, {self.loss!r}, lam={self.lam!r})"

    def check(self, n: int, d: int, n_test: int, max_bytes: float) -> None:
        """Refuse, before any work, a network whose arrays exceed ``max_bytes`` each.

        The first layer (``p x d``, ``p = kappa d``) and the hidden features of the training
        and test sets (``n x p``, ``n_test x p``).

        Parameters
        ----------
        n, d, n_test : int
            Training samples, input dimension, test samples.
        max_bytes : float
            Largest size of one array of float64, in bytes.

        Raises
        ------
        ParameterError
            An array would exceed ``max_bytes`` (named ``kappa``, or ``d`` where ``kappa`` is 1 or less).
        """
        p = max(1, math.ceil(self.net.kappa * d))
        for what, rows, cols in (("first layer", p, d), ("training features", n, p), ("test features", n_test, p)):
            size = 8.0 * rows * cols
            if size > max_bytes:
                name = "kappa" if self.net.kappa > 1 else "d"
                raise ParameterError(name, f"the network's {what} ({rows} x {cols}) needs {size / 2**30:.1f} GiB, "
                                           f"more than {max_bytes / 2**30:.0f} GiB; use a smaller {name}")

    def fit(self, train: Dataset, rng: np.random.Generator, *, test: Dataset | None = None,
            record_every: int | None = None) -> Fitted:
        """Train on ``train``.

        Parameters
        ----------
        train : Dataset
            The training set.
        rng : numpy.random.Generator
            The initialization (``W`` first, then ``a``); jax itself draws nothing.
        test : Dataset, optional
            A test set, for the training curves of ``train="all"``.
        record_every : int, optional
            Record the errors every so many steps (``train="all"``; default ``steps / 20``).

        Returns
        -------
        Fitted
            ``info`` holds ``solver``, the certificate (``grad_norm`` of ``J`` or the
            solver's ``duality_gap``), ``train_loss`` (mean loss over the training set,
            without the penalty), ``steps``, ``device``, and ``curve`` (a list of dicts
            ``step, train_loss, gen_error, mem_error, rule_error``; ``gen_error`` needs ``test``).

        Raises
        ------
        SolverError
            Readout: the convex solver's certificate is not met.
        """
        jax, optax = require_jax()
        with jax.enable_x64(True), jax.default_device(self.device):
            if self.net.train == "readout":
                return self._fit_readout(train, rng, jax)
            return self._fit_all(train, rng, test, record_every, jax, optax)

    # -- readout: the random-features learner ---------------------------------------------------
    def _forward_parts(self, jax, d, p):
        jnp = jax.numpy
        sigma = jax_activation(self.net.activation)
        scale = math.sqrt(p) if (self.net.train == "readout" or self.net.scaling == "lazy") else float(p)

        def hidden(W, X):
            return sigma(X @ W.T / math.sqrt(d))

        def f(params, X):
            return hidden(params["W"], X) @ params["a"] / scale
        return jnp, hidden, f, scale

    def _fit_readout(self, train, rng, jax):
        n, d = train.X.shape
        p = max(1, int(round(self.net.kappa * d)))
        W = rng.standard_normal((p, d))
        jnp, hidden, f, scale = self._forward_parts(jax, d, p)
        Wj = jnp.asarray(W)
        hid = jax.jit(hidden)

        def feats(X):
            return np.asarray(hid(Wj, jnp.asarray(X, dtype=jnp.float64))) / scale
        Phi = feats(train.X)
        solver = lookup(_SOLVERS, self.loss)
        theta, info = solver(Representation("features", Phi, feats), train.y, self.lam, self.loss)
        h_train = Phi @ theta

        def decision(X):
            with jax.enable_x64(True), jax.default_device(self.device):
                return feats(X) @ theta
        info = {**info, "train_loss": float(np.mean(self.loss.value(train.y, h_train))), "steps": 0,
                "device": device_name(self.device), "curve": []}
        return Fitted(h_train=h_train, decision=decision, info=info)

    # -- all: both layers by gradient descent / Adam -------------------------------------------
    def _compiled(self, n, d, p, lr):
        """Jitted functions for one shape, reused across repetitions (one compilation per shape)."""
        key = (n, d, p, lr)
        cache = self.__dict__.setdefault("_cache", {})
        if key not in cache:
            jax, optax = require_jax()
            f, objective = network_functions(self.net, self.loss.name, self.lam, d, p, n)
            opt = optax.sgd(lr) if self.net.optimizer == "gd" else optax.adam(lr)
            grad = jax.jit(jax.grad(objective))

            def run(carry, X, y, k):
                def step(_, c):
                    params, state = c
                    updates, state = opt.update(jax.grad(objective)(params, X, y), state, params)
                    return optax.apply_updates(params, updates), state
                return jax.lax.fori_loop(0, k, step, carry)
            cache[key] = (f, opt, grad, jax.jit(run, static_argnums=3), jax.jit(f))
        return cache[key]

    def _fit_all(self, train, rng, test, record_every, jax, optax):
        from .base import sign_errors

        n, d = train.X.shape
        p = max(1, int(round(self.net.kappa * d)))
        W0 = rng.standard_normal((p, d))
        a0 = rng.standard_normal(p)
        jnp = jax.numpy
        X, y = jnp.asarray(train.X, dtype=jnp.float64), jnp.asarray(train.y, dtype=jnp.float64)
        lr = self.net.lr * (p if (self.net.scaling == "mean-field" and self.net.optimizer == "gd") else 1.0)
        f, opt, grad, run, fwd = self._compiled(n, d, p, lr)
        params = {"W": jnp.asarray(W0), "a": jnp.asarray(a0)}
        carry = (params, opt.init(params))
        steps = self.net.steps
        every = record_every or max(1, steps // 20)
        fact = np.asarray(train.is_fact)
        ytr = np.asarray(train.y)
        Xt = jnp.asarray(test.X, dtype=jnp.float64) if test is not None else None

        def record(params, t):
            h = np.asarray(fwd(params, X))
            return {"step": t, "train_loss": float(np.mean(self.loss.value(ytr, h))),
                    "gen_error": sign_errors(np.asarray(fwd(params, Xt)), test.y) if Xt is not None else math.nan,
                    "mem_error": sign_errors(h[fact], ytr[fact]), "rule_error": sign_errors(h[~fact], ytr[~fact])}

        curve = [record(carry[0], 0)]
        done = 0
        while done < steps:
            k = min(every, steps - done)
            carry = run(carry, X, y, k)
            done += k
            curve.append(record(carry[0], done))
        params = carry[0]
        g = grad(params, X, y)
        gnorm = float(jnp.sqrt(sum(jnp.sum(v ** 2) for v in jax.tree_util.tree_leaves(g))))
        if not math.isfinite(gnorm):
            from ..exceptions import SolverError

            raise SolverError(f"training diverged (lr {lr:g} too large for this network)")
        h_train = np.asarray(fwd(params, X))
        Wf, af = params["W"], params["a"]

        def decision(Xn):
            with jax.enable_x64(True), jax.default_device(self.device):
                return np.asarray(fwd({"W": Wf, "a": af}, jnp.asarray(Xn, dtype=jnp.float64)))
        info = {"solver": f"{self.net.optimizer} ({steps} steps, lr {lr:g})", "grad_norm": gnorm,
                "train_loss": float(np.mean(self.loss.value(ytr, h_train))), "steps": steps,
                "device": device_name(self.device), "curve": curve}
        return Fitted(h_train=h_train, decision=decision, info=info)


@register_estimator(Network)
def _network_estimator(setting: Setting) -> NetworkEstimator:
    return NetworkEstimator(setting)
