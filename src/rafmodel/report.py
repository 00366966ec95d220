"""The report: every figure, and one offline HTML page that shows them with their findings.

:func:`build_report` writes each registered figure into a folder (reusing those already
there with the same cache key) and ``index.html``: one page with no network access (no
scripts, fonts or styles from elsewhere) showing each figure, its caption (the finding,
with numbers from the computation), the parameters used, the command that regenerates it,
links to its CSV and PDF, and the package version.
"""

from __future__ import annotations

import html
import os
import time
from urllib.parse import quote

from ._validation import CONSTRAINTS
from ._files import atomic_write
from .figures import check_out, figure_files, list_figures, write_figure

__all__ = ["build_report"]

_CSS = """
body { font-family: -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; max-width: 980px; margin: 2em auto;
       padding: 0 1em; color: #222; line-height: 1.45; }
h1 { font-size: 1.6em; margin-bottom: 0.2em; } h2 { font-size: 1.2em; margin-top: 2.2em; border-bottom: 1px solid #ddd; }
.meta { color: #666; font-size: 0.9em; }
figure { margin: 0.8em 0; } figure img { max-width: 100%; height: auto; border: 1px solid #eee; }
figcaption { font-size: 0.95em; margin-top: 0.4em; }
table.params { border-collapse: collapse; font-size: 0.85em; margin: 0.5em 0; }
table.params td, table.params th { border: 1px solid #ddd; padding: 2px 8px; text-align: left; }
.skipped { background: #fff4e5; padding: 0.5em; }
code, pre { background: #f5f5f5; font-size: 0.85em; } pre { padding: 0.5em; overflow-x: auto; }
nav ol { columns: 2; font-size: 0.95em; } nav li { break-inside: avoid; }
"""


def _fmt(v):
    if isinstance(v, (list, tuple)):
        return ", ".join(_fmt(x) for x in v)
    if isinstance(v, float):
        return f"{v:g}"
    return str(v)


def _skipped_section(meta):
    name = html.escape(meta["name"])
    return f"""
<section id="{name}">
<h2>{name}</h2>
<p class="meta">{html.escape(meta["description"])}</p>
<p class="skipped"><strong>Not built here:</strong> {html.escape(meta["skipped"])}, then rerun
<code>raf report</code>.</p>
</section>"""


def _section(meta):
    if meta.get("skipped"):
        return _skipped_section(meta)
    name = html.escape(meta["name"])
    rows = "".join(f"<tr><th>{html.escape(k)}</th><td>{html.escape(_fmt(v))}</td></tr>"
                   for k, v in meta["params"].items())
    # the links are the figure's own names in this folder, never paths taken from a file
    files = {ext: quote(f, safe="") for ext, f in figure_files(meta["name"]).items()}
    return f"""
<section id="{name}">
<h2>{name}</h2>
<p class="meta">{html.escape(meta["description"])}</p>
<figure>
<img src="{html.escape(files["png"])}" alt="figure {name}">
<figcaption>{html.escape(meta["caption"])}</figcaption>
</figure>
<p>Data: <a href="{html.escape(files["csv"])}">{html.escape(files["csv"])}</a> (the plotted numbers) &middot;
vector version: <a href="{html.escape(files["pdf"])}">{html.escape(files["pdf"])}</a></p>
<table class="params"><tr><th colspan="2">parameters{" (quick)" if meta.get("quick") else ""}{
    "" if meta.get("sim", True) else ", no simulations"}</th></tr>{rows}</table>
<p>Regenerate:</p>
<pre>{html.escape(meta["command"])}</pre>
</section>"""


def build_report(out, *, quick=False, sim=True, progress=False, force=False, n_jobs=-1, on_figure=None) -> dict:
    """Build every figure in folder ``out`` and write ``out/index.html``.

    Parameters
    ----------
    out : str or path-like
        The folder (created if needed).
    quick : bool
        Reduced resolution for every figure.
    sim : bool
        Draw the simulation points.
    progress : bool
        Progress bars on stderr.
    force : bool
        Recompute figures even when the folder already holds them.
    n_jobs : int, optional
        Processes for the simulations (default ``-1``: all cores); the numbers do not depend on it.
    on_figure : callable, optional
        Called as ``on_figure(meta, seconds, i, n)`` after the ``i``-th of ``n`` figures (built,
        read back or skipped), e.g. to print a line of progress where there are no progress bars.

    Returns
    -------
    dict
        ``{"index": path of index.html, "figures": [metadata of each figure], "seconds": time taken}``.
        A figure whose optional modules are absent (``FigureSpec.requires``, e.g.
        network-kappa without ``rafmodel[nn]``) is not built: its metadata has ``skipped``
        (what to install) and the page shows that note in its place.

    Raises
    ------
    ParameterError
        ``n_jobs`` not a positive integer or -1, or ``out`` a folder that cannot be created or
        written or where one of the files to write (``index.html``, ``NAME.png``, ...) is a
        folder: all before any figure is computed.
    """
    from .figures import FIGURES
    from . import __version__

    start = time.perf_counter()
    names = list(list_figures())
    n_jobs = CONSTRAINTS["simulate"]["n_jobs"].check("n_jobs", n_jobs)
    out = check_out(out, ["index.html"] + [f for n in names for f in figure_files(n).values()])
    metas = []
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=len(names), desc="report", unit="figure")
    try:
        for i, name in enumerate(names, 1):
            if bar is not None:
                bar.set_postfix_str(name)
            t0 = time.perf_counter()
            hint = FIGURES[name].install_hint(sim)
            if hint:
                metas.append({"name": name, "description": FIGURES[name].description, "skipped": hint,
                              "cached": False})
            else:
                metas.append(write_figure(name, out, quick=quick, sim=sim, progress=progress, force=force,
                                          n_jobs=n_jobs))
            if on_figure is not None:
                on_figure(metas[-1], time.perf_counter() - t0, i, len(names))
            if bar is not None:
                bar.update()
    finally:
        if bar is not None:
            bar.close()
    toc = "".join(f'<li><a href="#{html.escape(m["name"])}">{html.escape(m["name"])}</a>: '
                  f'{html.escape(m["description"])}</li>' for m in metas)
    page = f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>rafmodel report: rules and facts</title>
<style>{_CSS}</style>
</head>
<body>
<h1>The Rules-and-Facts model: the paper's findings</h1>
<p class="meta">rafmodel {html.escape(__version__)} &middot; {"quick resolution" if quick else "full resolution"}
{"&middot; no simulations" if not sim else "&middot; theory as lines, simulations as points with error bars"}
&middot; Farné, Boncoraglio, Zdeborová, arXiv:2603.25579</p>
<p>A fraction 1 &minus; eps of the training labels follow a teacher rule; a fraction eps are random facts
that can only be memorized. Each figure below states when a learner learns the rule (low gen_error on fresh
data) and stores the facts (low mem_error on them), with the numbers of the exact asymptotic theory.</p>
<nav><ol>{toc}</ol></nav>
{"".join(_section(m) for m in metas)}
</body>
</html>
"""
    index = os.path.join(out, "index.html")

    def write(path):
        with open(path, "w", encoding="utf-8") as fh:
            fh.write(page)
    atomic_write(index, write)
    return {"index": index, "figures": metas, "seconds": time.perf_counter() - start}
