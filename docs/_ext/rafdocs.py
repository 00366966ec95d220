"""Helpers of the documentation build (imported by docs/conf.py by name, so that they pickle)."""

from __future__ import annotations

import weakref

_SEEN: weakref.WeakSet = weakref.WeakSet()  # a freed figure's id may be reused by the next


def scrape_figures(block, block_vars, gallery_conf):
    """Collect the matplotlib figures an example holds in its variables.

    rafmodel draws with the object-oriented API (no pyplot state), so sphinx-gallery's
    default scraper, which asks pyplot for its figures, would find none: this one saves
    every :class:`matplotlib.figure.Figure` among the example's globals not saved yet.
    """
    from matplotlib.figure import Figure
    from sphinx_gallery.scrapers import figure_rst

    paths = []
    for value in list(block_vars["example_globals"].values()):
        if isinstance(value, Figure) and value not in _SEEN:
            _SEEN.add(value)
            path = next(block_vars["image_path_iterator"])
            value.savefig(path, dpi=110)
            paths.append(path)
    return figure_rst(paths, gallery_conf["src_dir"])
