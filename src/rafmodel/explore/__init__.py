"""The interactive explorer: the theory's curves in a browser page, one control at a time (needs rafmodel[explore]).

``raf explore`` serves the page locally; ``rafmodel.explore()`` returns it for a Jupyter notebook.
The package keeps the logic apart from the page: :mod:`~rafmodel.explore.state` (the controls as a
:class:`View`, its URL query and its ``raf theory`` command) and :mod:`~rafmodel.explore.curves`
(the numbers, from the public API only) need no Panel; :mod:`~rafmodel.explore.app` lays them out
with Panel and Bokeh.
"""

from __future__ import annotations

import sys
import types
from typing import Any

from .curves import Curves, compute, optimal_points, phase_diagram, stored_points
from .state import View, view_from_query

__all__ = ["explore", "View", "Curves", "compute", "optimal_points", "stored_points", "phase_diagram",
           "view_from_query", "INSTALL_HINT", "have_panel"]

#: What to install for the page (Panel, with Bokeh).
INSTALL_HINT = "pip install 'rafmodel[explore]'"


def have_panel() -> bool:
    """Whether Panel (and so the page) can be imported.

    Returns
    -------
    bool
        ``True`` where ``import panel`` works.
    """
    try:
        import panel  # noqa: F401
    except ImportError:
        return False
    return True


def explore(*, store: Any = None, **view: Any) -> Any:
    """The explorer's page for a Jupyter notebook (or ``.servable()`` in a ``panel serve`` script).

    Parameters
    ----------
    store : str, path-like or pandas.DataFrame, optional
        A sweep store (or its points, :func:`rafmodel.load_results`): its points that match the
        view are drawn with their error bars.
    **view
        The first view's controls, as :class:`View` takes them (``learner="rf"``, ``x="lam"``,
        ``eps=0.3`` ...); a new ``x`` gets its own default range unless ``x_min``, ``x_max`` are given.

    Returns
    -------
    panel.viewable.Viewable
        The page; a notebook shows it inline (Panel's resources inline, nothing fetched from a network).

    Raises
    ------
    ParameterError
        A control out of range, or a store that cannot be read, before any work.
    ImportError
        Panel is not installed (``pip install 'rafmodel[explore]'``).

    Examples
    --------
    >>> import rafmodel as rm
    >>> page = rm.explore(learner="rf", x="kappa")  # doctest: +SKIP
    """
    v = View().replace(**view).check()
    if not have_panel():
        raise ImportError(f"rafmodel.explore needs panel: {INSTALL_HINT}")
    import panel as pn

    from .app import Explorer

    name = "the store"
    if store is not None and not hasattr(store, "columns"):
        import os

        from ..sweep import load_results

        name, store = os.path.basename(os.fspath(store)), load_results(store)
    pn.extension(inline=True)
    return Explorer(v, store=store, store_name=name).layout


class _CallableModule(types.ModuleType):
    """``rafmodel.explore`` is this package once it is imported: calling it calls :func:`explore`."""

    def __call__(self, *, store: Any = None, **view: Any):
        return explore(store=store, **view)


sys.modules[__name__].__class__ = _CallableModule
