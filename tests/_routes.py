"""The routes of the theory's fixed-point map, chosen in one place.

The map (decode the state, the learner's ``to_channel``, the loss's channel, the learner's
``update``) is computed by three routes today: batch numpy (the learners' methods on arrays and
:func:`rafmodel.theory.channel.channel`), scalar Python (the same methods on floats with the
loss's closed form, as :mod:`rafmodel.theory.fastpath` iterates them) and compiled (numba,
:mod:`rafmodel.theory._numba_fastpath` and :mod:`rafmodel.theory._numba_channel`).  Everything
tests/test_routes.py and benchmarks/mutate_maps.py know about how a route is reached is in this
module, so that a change of the routes' plumbing is adapted here only:

* :func:`map_on` -- one evaluation of the map at the same inputs on a route;
* :func:`solving_on` -- a context in which :func:`rafmodel.solve_many` and :func:`rafmodel.solve`
  take a route (the switches are the solver's and the channel's lazily loaded compiled functions,
  ``fastpath._COMPILED`` and ``channel._KERNEL``, and the variable ``RAFMODEL_NUMBA``).
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import sys

import numpy as np

import rafmodel as rm
from rafmodel.theory.channel import channel
from rafmodel.theory.closed_form import closed_form

#: Route names: ``numpy`` and ``scalar`` run everywhere, ``compiled`` needs numba.
ROUTES = ("numpy", "scalar", "compiled")
HAS_NUMBA = importlib.util.find_spec("numba") is not None
NUMBA_REASON = "the compiled routes need numba (pip install 'rafmodel[fast]')"


def params(learner):
    """The learner's parameters as floats (the scalar route's ``P``)."""
    return {k: float(getattr(learner, k)) for k in learner.param_names}


def _switches():
    # by sys.modules: the package rafmodel.theory exports a function named ``channel`` that hides
    # the module of that name
    fastpath = sys.modules["rafmodel.theory.fastpath"]
    chan = sys.modules["rafmodel.theory.channel"]
    return fastpath, chan


@contextlib.contextmanager
def solving_on(route):
    """Within the block, the solver and the channels take ``route``.

    ``"compiled"``: the compiled fast path and the compiled logistic channel (numba must be
    installed); ``"numpy"`` and ``"scalar"``: neither (:func:`rafmodel.solve` then iterates a point
    with a closed-form channel in Python floats first; :func:`rafmodel.solve_many` never does).
    """
    fastpath, chan = _switches()
    saved = fastpath._COMPILED[:], chan._KERNEL[:], os.environ.get("RAFMODEL_NUMBA")
    try:
        if route == "compiled":
            os.environ.pop("RAFMODEL_NUMBA", None)
            fastpath._COMPILED[:] = []
            chan._KERNEL[:] = []
        else:
            fastpath._COMPILED[:] = [None]
            chan._KERNEL[:] = [None]
        yield
    finally:
        fastpath._COMPILED[:], chan._KERNEL[:] = saved[0], saved[1]
        if saved[2] is None:
            os.environ.pop("RAFMODEL_NUMBA", None)
        else:
            os.environ["RAFMODEL_NUMBA"] = saved[2]


def solve_on(route, settings):
    """``(m, q, V, gen_error, mem_error, rule_error, converged)`` of ``settings`` on ``route``, as arrays.

    ``"scalar"`` solves one point at a time by :func:`rafmodel.solve`; the others by
    :func:`rafmodel.solve_many`.
    """
    names = ("m", "q", "V", "gen_error", "mem_error", "rule_error", "converged")
    with solving_on(route):
        if route == "scalar":
            rows = [rm.solve(s) for s in settings]
            return {n: np.array([getattr(r, n) for r in rows]) for n in names}
        res = rm.solve_many(settings, warn=False)
        return {n: np.asarray(getattr(res, n)) for n in names}


def map_on(route, learner, loss, y, alpha, eps, lam, limit):
    """One evaluation of the fixed-point map on ``route`` at one point: ``(state..., hats...)``.

    ``y`` is the state in solver coordinates (:meth:`rafmodel.Learner.encode`), ``lam`` the
    penalty the map sees (``1`` at the interpolating limit, ``limit=True``).
    """
    P = params(learner)
    a = float(learner.sample_ratio(alpha, P))
    if route == "compiled":
        from rafmodel.theory import _numba_fastpath as nf

        p = [P.get("mu1", 0.0), P.get("mustar", 0.0), P.get("kappa", 0.0)]
        state, hats = nf.point_map(learner, loss, y, a, eps, lam, limit, p)
        return np.concatenate([state, hats])
    if route == "scalar":  # floats through the learner's methods and the loss's closed form
        state = tuple(float(v[0]) for v in learner.decode(np.asarray(y, float)[None]))
        mc, qc, Vc = learner.to_channel(state, float(lam), P)
        mh, qh, vh = closed_form(loss)(loss, mc, qc, Vc, float(eps), bool(limit))
        state, hats = learner.update(a * mh, a * qh, a * vh, float(lam), P)
        return np.array([float(v) for v in (*state, *hats)])
    # numpy: batches of one, the channel by the numpy route (no compiled logistic channel)
    with solving_on("numpy"):
        Pa = {k: np.array([v]) for k, v in P.items()}
        state = learner.decode(np.asarray(y, float)[None])
        lam_a = np.array([float(lam)])
        mc, qc, Vc = learner.to_channel(state, lam_a, Pa)
        mh, qh, vh = channel(loss, mc, qc, Vc, np.array([float(eps)]), limit=bool(limit))
        state, hats = learner.update(a * mh, a * qh, a * vh, lam_a, Pa)
        return np.array([float(np.asarray(v).reshape(-1)[0]) for v in (*state, *hats)])
