"""Sphinx configuration of the rafmodel documentation site.

Build (from the repository root, after ``pip install -e ".[docs]"``)::

    python -m sphinx -W -b html docs docs/_build/html

Warnings are errors. Three things are generated at build time, so that the site always
shows what the code is and computes: the API reference (``docs/api.rst``, one entry per
name in the ``__all__`` of the public modules listed in :data:`API_SECTIONS`), the command
line reference (``docs/user_guide/cli_reference.md``, from ``raf COMMAND --help``), and the
gallery (``examples/`` executed by sphinx-gallery at reduced resolution).
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import shutil
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(ROOT, "src"))
sys.path.insert(0, os.path.join(HERE, "_ext"))

import rafmodel  # noqa: E402

project = "rafmodel"
author = "rafmodel developers"
copyright = "2026, rafmodel developers"
release = rafmodel.__version__
version = ".".join(release.split(".")[:2])

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "sphinx.ext.viewcode",
    "numpydoc",
    "myst_parser",
    "sphinx_gallery.gen_gallery",
    "sphinx_copybutton",
]

source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
exclude_patterns = ["_build", "_generated_static", "auto_examples/*.ipynb", "auto_examples/*.py",
                    "auto_examples/*.zip", "auto_examples/*.json", "**.md5", "sg_execution_times.rst"]
suppress_warnings = ["myst.header"]  # theory.md's sections start at "##" below its title: by design

# --------------------------------------------------------------------------- MyST (markdown pages)
myst_enable_extensions = ["dollarmath", "amsmath", "colon_fence", "deflist"]
myst_heading_anchors = 3
myst_dmath_double_inline = True

# --------------------------------------------------------------------------- API docs
autosummary_generate = True
autodoc_typehints = "none"  # the numpydoc sections carry the types
autodoc_default_options = {"members": False}
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_xref_param_type = False
numpydoc_validation_checks: set = set()  # tests/test_docstrings.py checks the docstrings

# --------------------------------------------------------------------------- MathJax, served locally
# The pages must render their equations offline: MathJax is copied from the
# django-static-mathjax package (a plain copy of MathJax 3, installed by the docs extra;
# Django is not needed) into the site's _static folder.  Without it, Sphinx's default
# (a CDN) is used.
_spec = importlib.util.find_spec("mathjax")
if _spec is not None and _spec.submodule_search_locations:
    _es5 = os.path.join(list(_spec.submodule_search_locations)[0], "static", "mathjax", "es5")
    if os.path.isfile(os.path.join(_es5, "tex-chtml.js")):
        _dest = os.path.join(HERE, "_generated_static")
        if not os.path.isfile(os.path.join(_dest, "mathjax", "tex-chtml.js")):
            shutil.copytree(_es5, os.path.join(_dest, "mathjax"), dirs_exist_ok=True)
        html_static_path = ["_generated_static"]
        mathjax_path = "mathjax/tex-chtml.js"

# --------------------------------------------------------------------------- HTML
html_theme = "pydata_sphinx_theme"
html_title = f"rafmodel {release}"
html_theme_options = {
    "navigation_with_keys": False,
    "show_toc_level": 2,
    "footer_start": ["copyright"],
    "footer_end": ["sphinx-version"],
}
html_show_sourcelink = False
html_context = {"default_mode": "light"}  # an explicit mode: the theme logs an error for an unset one

# --------------------------------------------------------------------------- gallery
def _clear_stale_gallery():
    """Remove the generated gallery when an example was renamed or removed (else its old page warns)."""
    out = os.path.join(HERE, "auto_examples")
    if not os.path.isdir(out):
        return
    examples = {f[:-3] for f in os.listdir(os.path.join(ROOT, "examples")) if f.startswith("plot_") and f.endswith(".py")}
    built = {f[:-4] for f in os.listdir(out) if f.startswith("plot_") and f.endswith(".rst")}
    if built - examples:
        shutil.rmtree(out)


_clear_stale_gallery()

sphinx_gallery_conf = {
    "examples_dirs": os.path.join(ROOT, "examples"),
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"/plot_",
    "download_all_examples": False,
    "remove_config_comments": True,
    "matplotlib_animations": False,
    "image_scrapers": ("rafdocs.scrape_figures",),
    "within_subsection_order": "FileNameSortKey",
    "show_memory": False,
    "write_computation_times": False,
}

# --------------------------------------------------------------------------- generated pages
#: The API reference: (title, module, one-line introduction), in the order of the layers.
API_SECTIONS = [
    ("Everything public", "rafmodel",
     "The package's front door: settings, learners, losses, theory, simulations, comparison, results."),
    ("Settings", "rafmodel.setting", "One point of the model (alpha, eps, lam, learner, loss) and grids of them."),
    ("Learners", "rafmodel.learners", "Linear, kernel and random-features learners."),
    ("Losses", "rafmodel.losses", "The training losses and their proximal maps."),
    ("Input models", "rafmodel.inputs",
     "Isotropic and structured Gaussian inputs (a spectrum and a teacher on it), and Gaussian mixtures."),
    ("Gaussian equivalence", "rafmodel.equivalence",
     "The Gaussian-equivalent coefficients (mu0, mu1, mustar) of activations and kernels."),
    ("Theory", "rafmodel.theory", "The replica fixed point and its results."),
    ("Theory: results", "rafmodel.theory.result", "Result objects carrying convergence status."),
    ("Theory: the map", "rafmodel.theory.maps",
     "The fixed-point map, written once per learner and loss; both routes are built from it."),
    ("Theory: routes", "rafmodel.theory.backend", "The compiled and the numpy route, chosen by the option backend."),
    ("Theory: channels", "rafmodel.theory.channel", "The RAF output channel."),
    ("Theory: closed forms", "rafmodel.theory.closed_form", "Closed-form solutions where they exist."),
    ("Theory: Bayes-optimal", "rafmodel.theory.bayes", "The Bayes-optimal estimator."),
    ("Theory: AMP state evolution", "rafmodel.theory.amp_se",
     "AMP's state evolution and the predicted ROC and AUC of its fact posterior."),
    ("Theory: Gaussian mixtures", "rafmodel.theory.mixture",
     "The theory on Gaussian-mixture inputs: rules and facts when the classes are clusters."),
    ("Theory: capacity", "rafmodel.theory.capacity", "Interpolation thresholds."),
    ("Theory: optimal lam and rates", "rafmodel.theory.optimal",
     "The optimal regularization and the large-alpha rates."),
    ("Data", "rafmodel.data", "Data sources: where training and test sets come from."),
    ("Data: image files", "rafmodel.data.images", "Offline loaders of labelled image datasets (no download)."),
    ("Data: real-data RAF", "rafmodel.data.real", "Rules and facts from image classes, as a data source."),
    ("Input models measured on data", "rafmodel.spectra",
     "A kernel's spectrum and the rule's alignment with it, or the classes as a mixture, measured on images."),
    ("Estimators", "rafmodel.estimators", "Representations, solvers and fitted learners."),
    ("Simulation", "rafmodel.simulation", "Finite-size simulations with error bars."),
    ("Estimators: networks", "rafmodel.estimators.network", "Two-layer networks trained with JAX."),
    ("Estimators: AMP", "rafmodel.estimators.amp",
     "The Bayes-optimal estimator on data: AMP for the RAF channel, and its fact posterior."),
    ("Experiments", "rafmodel.experiments", "Theory and simulation side by side, and plots."),
    ("Fact detection", "rafmodel.facts",
     "Which training examples are facts: detectors' AUC on data, beside AMP's prediction."),
    ("Real data", "rafmodel.real_data", "The real-data experiment, beside the mixture and the isotropic theories."),
    ("Trained networks", "rafmodel.network", "Trained two-layer networks, their training curves and theory."),
    ("Sweeps", "rafmodel.sweep", "Resumable sweeps from a TOML spec into an SQLite store, local or on Dask."),
    ("Sweeps: spec", "rafmodel.sweep.spec", "The sweep spec: points, exact keys, the spec hash."),
    ("Sweeps: store", "rafmodel.sweep.store", "The SQLite results store."),
    ("Sweeps: executors", "rafmodel.sweep.executors", "Local processes and Dask."),
    ("Figures", "rafmodel.figures", "The paper's findings as figures."),
    ("Figures: networks", "rafmodel.figures.network_figures", "The trained-network figure."),
    ("Report", "rafmodel.report", "Every figure and an offline HTML page."),
    ("Explorer", "rafmodel.explore", "The interactive explorer: its view, its curves, and the page (rafmodel[explore])."),
    ("Tables", "rafmodel.tables", "Results as records, data frames, CSV, JSON and text tables."),
    ("Exceptions", "rafmodel.exceptions", "The errors and warnings rafmodel raises."),
]


def _api_page():
    """Write docs/api.rst: one autosummary per section, each object listed once."""
    seen: set = set()
    out = ["API reference", "=============", "",
           "Every public name of rafmodel, generated from the ``__all__`` of each public module.",
           "Names available from the top level (``import rafmodel as rm; rm.solve``) are listed",
           "in the first section; each module's section lists what only it provides.", ""]
    for title, modname, intro in API_SECTIONS:
        mod = importlib.import_module(modname)
        names = []
        for name in getattr(mod, "__all__", []):
            if name.startswith("__"):
                continue
            obj = getattr(mod, name)
            key = id(obj)
            if key in seen:
                continue
            seen.add(key)
            names.append(name)
        if not names:
            continue
        out += [title, "-" * len(title), "", f"``{modname}``: {intro}", "",
                f".. currentmodule:: {modname}", "", ".. autosummary::", "   :toctree: generated", "   :nosignatures:", ""]
        out += [f"   {n}" for n in sorted(names, key=str.lower)] + [""]
    text = "\n".join(out)
    path = os.path.join(HERE, "api.rst")
    if not os.path.exists(path) or open(path).read() != text:
        with open(path, "w") as fh:
            fh.write(text)


def _cli_page():
    """Write docs/user_guide/cli_reference.md from the parser's help texts."""
    import argparse

    from rafmodel.cli import build_parser

    os.environ["COLUMNS"] = "100"
    parser = build_parser()
    out = ["# Command line reference", "",
           "Generated from `raf COMMAND --help` when the site is built.", "",
           "```text", parser.format_help().rstrip(), "```", ""]
    subs = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    for name, sub in subs.choices.items():
        out += [f"## raf {name}", "", "```text", sub.format_help().rstrip(), "```", ""]
        nested = [a for a in sub._actions if isinstance(a, argparse._SubParsersAction)]
        for n in nested:
            for sname, ssub in n.choices.items():
                out += [f"### raf {name} {sname}", "", "```text", ssub.format_help().rstrip(), "```", ""]
    text = "\n".join(out)
    path = os.path.join(HERE, "user_guide", "cli_reference.md")
    if not os.path.exists(path) or open(path).read() != text:
        with open(path, "w") as fh:
            fh.write(text)


_api_page()
_cli_page()
