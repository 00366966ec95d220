"""The documentation site: it builds with warnings as errors, documents every public name,
has one gallery example per report figure, and its pages open without console errors.

The build (about half a minute: the gallery runs every figure at reduced resolution) needs
the ``docs`` extra; without it the test is skipped with that reason.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import pathlib
import re
import subprocess
import sys

import pytest

from _browser import console_errors, headless_chrome
from test_docstrings import PUBLIC_MODULES

ROOT = pathlib.Path(__file__).resolve().parents[1]
DOCS_EXTRA = ("sphinx", "sphinx_gallery", "numpydoc", "myst_parser", "pydata_sphinx_theme", "sphinx_copybutton")


def _missing():
    return [m for m in DOCS_EXTRA if importlib.util.find_spec(m) is None]


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    missing = _missing()
    if missing:
        pytest.skip(f"the docs extra is not installed (missing {', '.join(missing)}): pip install -e '.[docs]'")
    out = tmp_path_factory.mktemp("site")
    html = out / "html"
    proc = subprocess.run([sys.executable, "-m", "sphinx", "-W", "--keep-going", "-b", "html", "-d",
                           str(out / "doctrees"), "docs", str(html)], cwd=ROOT, capture_output=True, text=True,
                          env={**os.environ, "MPLBACKEND": "Agg"}, timeout=900)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-5000:]
    return html


def _public_objects():
    out = {}
    for modname in PUBLIC_MODULES:
        mod = importlib.import_module(modname)
        for name in getattr(mod, "__all__", []):
            if not name.startswith("__"):
                out.setdefault(id(getattr(mod, name)), f"{modname}.{name}")
    return out


def _resolve(qualname):
    """The object an API page documents: an attribute of the longest importable parent
    (``rafmodel.theory.channel`` is the function, which shadows the module of that name)."""
    parts = qualname.split(".")
    for i in range(len(parts) - 1, 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:i]))
        except ImportError:
            continue
        try:
            for p in parts[i:]:
                obj = getattr(obj, p)
            return obj
        except AttributeError:
            break
    return importlib.import_module(qualname)


def test_the_site_builds_documents_everything_and_opens_without_console_errors(site):
    # every public name of every public module has a page in the API reference
    documented = {id(_resolve(p.stem)) for p in (site / "generated").glob("*.html")}
    missing = sorted(q for key, q in _public_objects().items() if key not in documented)
    assert not missing, f"public names without an API page: {missing}"
    api = (site / "api.html").read_text()
    for p in (site / "generated").glob("*.html"):
        assert f'href="generated/{p.name}' in api, p.name

    # the gallery: one executed example per figure of the report, each with its picture
    from rafmodel.figures import list_figures

    examples = {}
    for path in sorted((ROOT / "examples").glob("plot_*.py")):
        m = re.search(r'make_figure\("([^"]+)"', path.read_text())
        assert m, f"{path.name} computes no figure"
        examples[m.group(1)] = path.stem
    assert sorted(examples) == sorted(list_figures()), "one gallery example per report figure"
    for name, stem in examples.items():
        page = (site / "auto_examples" / f"{stem}.html").read_text()
        assert re.search(r'<img [^>]*src="../_images/sphx_glr_' + stem, page), f"{stem}: no figure on the page"

    # the CLI reference has every command
    from rafmodel.cli import build_parser

    cli = (site / "user_guide" / "cli_reference.html").read_text()
    subs = next(a for a in build_parser()._actions if a.__class__.__name__ == "_SubParsersAction")
    for command in subs.choices:
        assert f"raf {command}" in cli

    # pages open in a browser without console errors; the equations are typeset (offline MathJax)
    pages = ["index.html", "getting_started.html", "theory.html", "api.html", "user_guide/index.html",
             "auto_examples/index.html", f"auto_examples/{examples['tradeoff']}.html", "changelog.html",
             "citing.html"]
    with headless_chrome() as driver:
        for page in pages:
            driver.get((site / page).as_uri())
            images = driver.execute_script(
                "return Array.from(document.images).map(i => [i.getAttribute('src'), i.complete, i.naturalWidth]);")
            for src, complete, width in images:
                assert complete and width > 0, f"{page}: {src} did not load"
            errors = console_errors(driver)
            assert not errors, (page, errors)
        driver.get((site / "theory.html").as_uri())
        typeset = driver.execute_script(
            "return new Promise(r => setTimeout(() => r(document.querySelectorAll('mjx-container').length), 3000));")
        assert typeset > 100, f"only {typeset} equations typeset on the theory page"
