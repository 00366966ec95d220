"""The routes of the theory's fixed-point map, reached in one place.

The map (decode the state, the learner's ``to_channel``, the loss's channel, the learner's
``update``) is written once per learner and loss (:mod:`rafmodel.theory.maps`) and computed by two
routes: batch numpy (the map modules on arrays, :func:`rafmodel.theory.channel.channel`) and
compiled (the same modules compiled with numba, :mod:`rafmodel.theory._compiled_solver`; the
logistic channel by :mod:`rafmodel.theory._numba_channel`).  Everything tests/test_routes.py and
benchmarks/mutate_maps.py know about how a route is reached is in this module:

* :func:`map_on` -- one evaluation of the map at the same inputs on a route;
* :func:`solve_on` -- :func:`rafmodel.solve_many` with the solver option ``backend`` set to the route.
"""

from __future__ import annotations

import importlib.util

import numpy as np

import rafmodel as rm
from rafmodel.theory.channel import channel
from rafmodel.theory.maps import learner_map

#: Route names: ``numpy`` runs everywhere, ``compiled`` needs numba.
ROUTES = ("numpy", "compiled")
HAS_NUMBA = importlib.util.find_spec("numba") is not None
NUMBA_REASON = "the compiled route needs numba (a dependency of rafmodel: reinstall it)"


def params(learner):
    """The learner's parameters as floats."""
    return {k: float(v) for k, v in learner.params().items()}


def solve_on(route, settings):
    """``(m, q, V, gen_error, mem_error, rule_error, converged)`` of ``settings`` on ``route``, as arrays."""
    names = ("m", "q", "V", "gen_error", "mem_error", "rule_error", "converged")
    res = rm.solve_many(settings, warn=False, backend=route)
    return {n: np.asarray(getattr(res, n)) for n in names}


def map_on(route, learner, loss, y, alpha, eps, lam, limit):
    """One evaluation of the fixed-point map on ``route`` at one point: ``(state..., hats...)``.

    ``y`` is the state in solver coordinates (:meth:`rafmodel.theory.maps.LearnerMap.encode`),
    ``lam`` the penalty the map sees (``1`` at the interpolating limit, ``limit=True``).
    """
    lmap = learner_map(learner)
    P = params(learner)
    a = float(lmap.sample_ratio(alpha, P))
    if route == "compiled":
        from rafmodel.theory._compiled_solver import point_map

        return np.asarray(point_map(lmap, loss, y, a, eps, lam, limit, P))
    # numpy: batches of one, the channel by the numpy route
    Pa = {k: np.array([v]) for k, v in P.items()}
    state = lmap.decode(np.asarray(y, float)[None])
    lam_a = np.array([float(lam)])
    mc, qc, Vc = lmap.to_channel(state, lam_a, Pa)
    mh, qh, vh = channel(loss, mc, qc, Vc, np.array([float(eps)]), limit=bool(limit), backend="numpy")
    state, hats = lmap.update(a * mh, a * qh, a * vh, lam_a, Pa)
    return np.array([float(np.asarray(v).reshape(-1)[0]) for v in (*state, *hats)])
