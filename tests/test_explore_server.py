"""``raf explore`` as a user meets it: a local server of an offline page that refuses a busy port, stops on a signal.

The server runs as a subprocess (``python -m rafmodel explore --no-browser``); the page is fetched
over HTTP and, where Debian's chromium and chromedriver are installed, loaded in a headless
browser, whose plotted numbers are compared with :func:`rafmodel.solve_many`.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request

import numpy as np
import pytest

from _browser import console_errors, headless_chrome
from _extras import needs, reason, skip_without
from _procs import alive, children

needs_panel = skip_without("panel")

#: A script, style sheet, font or image fetched from anywhere but the local server.
_EXTERNAL = re.compile(r"""(?:src|href)\s*=\s*["']?(?:https?:)?//(?!(?:127\.0\.0\.1|localhost)[:/])""", re.I)
_URL_IN_CSS = re.compile(r"""(?:@import|url\()\s*["']?(?:https?:)?//(?!(?:127\.0\.0\.1|localhost)[:/])""", re.I)


def _env():
    return {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}


def _start(*extra):
    """``raf explore --no-browser`` in a subprocess, and the address it prints (its first line on stdout)."""
    proc = subprocess.Popen([sys.executable, "-m", "rafmodel", "explore", "--no-browser", *extra], env=_env(),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    line = proc.stdout.readline().strip()
    if not line.startswith("http://"):
        proc.kill()
        out, err = proc.communicate()
        pytest.fail(f"raf explore printed no address: {line!r} {err}")
    return proc, line


def _stop(proc, sig=signal.SIGTERM):
    """Send ``sig`` and wait; the server's stderr (its pipes closed)."""
    if proc.poll() is None:
        proc.send_signal(sig)
    try:
        _, err = proc.communicate(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        _, err = proc.communicate()
    return err


@pytest.fixture(scope="module")
def server():
    """One ``raf explore`` server for the module's page checks (a test that uses it skips without panel)."""
    needs("panel")
    proc, url = _start()
    yield proc, url
    _stop(proc)


def _get(url):
    with urllib.request.urlopen(url, timeout=60) as r:
        return r.status, r.read().decode("utf-8", "replace")


@needs_panel
def test_the_page_is_served_with_nothing_fetched_from_a_network(server):
    proc, url = server
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+/", url)
    status, page = _get(url)
    assert status == 200
    assert "rafmodel explorer" in page
    assert not _EXTERNAL.search(page), _EXTERNAL.search(page)
    local = re.findall(r"""(?:src|href)\s*=\s*["']([^"']+\.(?:js|css)[^"']*)""", page)
    assert any("bokeh" in u for u in local), local  # Bokeh's own scripts, from this server
    for u in local:  # and the scripts and styles they are: no @import or url() of a network either
        if not u.startswith(("http:", "https:", "//")):
            status, text = _get(url + u.lstrip("./"))
            assert status == 200 and not _URL_IN_CSS.search(text if u.split("?")[0].endswith(".css") else ""), u


def test_a_port_in_use_is_refused_in_one_line():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        r = subprocess.run([sys.executable, "-m", "rafmodel", "explore", "--no-browser", "--port", str(port)],
                           env=_env(), capture_output=True, text=True, timeout=60)
    assert r.returncode == 2, r.stderr
    assert r.stdout == ""
    assert r.stderr == f"raf explore: error: port: {port} is in use; give another --port, or none for a free one\n"


@needs_panel
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc to find the server's processes")
def test_sigint_and_sigterm_stop_the_server_with_nothing_left_running():
    servers = {sig: _start() for sig in (signal.SIGINT, signal.SIGTERM)}  # side by side: half the wait
    for sig, (proc, url) in servers.items():
        assert _get(url + "?n=2")[0] == 200  # a session was opened
        kids = children(proc.pid)
        err = _stop(proc, sig)
        assert proc.returncode == 0, (sig, err)
        assert err.strip().endswith("raf explore: stopped"), (sig, err)
        assert not alive(proc.pid) and not any(alive(k) for k in kids), sig
        with pytest.raises(OSError):
            _get(url)


def test_without_panel_the_command_names_the_extra(raf_refused, monkeypatch):
    monkeypatch.setitem(sys.modules, "panel", None)  # import panel fails, as where it is not installed
    line = raf_refused(["explore", "--no-browser"], prefix="needs panel")
    assert "pip install 'rafmodel[explore]'" in line
    assert reason("panel") == "needs panel: pip install 'rafmodel[explore]'"


# --- in a real browser -------------------------------------------------------------------------------

_DATA = ("const d = Bokeh.documents.length ? Bokeh.documents[0] : null;"
         "const m = d ? d.get_model_by_name('raf-curves') : null;"
         "if (!m || !m.data.x || !m.data.x.length) return null;"
         "const f = a => Array.from(a, v => Number.isNaN(v) ? null : v);"
         "return {x: f(m.data.x), gen_error: f(m.data.gen_error), mem_error: f(m.data.mem_error),"
         "        rule_error: f(m.data.rule_error), bayes: f(m.data.bayes_gen_error)};")

_SET = ("for (const m of Bokeh.documents[0].all_models) {"
        "  if (m.title === arguments[0] && 'value' in m.properties) { m.value = arguments[1]; return true; } }"
        "return false;")

#: eps is a slider (with a number box beside it): its slider moved, as a drag ends.
_SLIDE = ("for (const m of Bokeh.documents[0].all_models) {"
          "  if (m.type === 'Slider') { m.value = arguments[0]; m.value_throttled = arguments[0]; return true; } }"
          "return false;")


#: The view's buttons: "phase" pressed.
_PHASE_TAB = ("for (const m of Bokeh.documents[0].all_models) {"
              "  if (m.type === 'panel.models.widgets.RadioButtonGroup' && m.labels.includes('phase')) {"
              "    m.active = 1; return true; } }"
              "return false;")

#: The texts the page shows (notes, headings), as HTML.
_TEXTS = ("return Array.from(Bokeh.documents[0].all_models).filter(m => m.visible !== false && "
          "typeof m.text === 'string').map(m => m.text).join(' ')")


def _wait(driver, check, timeout=60, what=""):
    deadline = time.time() + timeout
    while time.time() < deadline:
        got = driver.execute_script(_DATA)
        if got is not None and check(got):
            return got
        time.sleep(0.1)
    got = driver.execute_script(_DATA)
    pytest.fail(f"{what}: the plotted numbers did not become the expected ones: "
                f"{ {k: v[:3] for k, v in got.items()} if got else got}")


def _expected(view):
    import rafmodel as rm

    res = rm.solve_many(view.settings(), warn=False)
    return {k: [None if np.isnan(v) else float(v) for v in getattr(res, k)]
            for k in ("gen_error", "mem_error", "rule_error")}


def _matches(view):
    exp = _expected(view)
    return lambda got: all(got[k] == exp[k] for k in exp)


def _assert_phase_image(driver, tab, phase):
    """The page's ``gen_error`` map of the view ``tab`` holds exactly ``phase``'s numbers (gaps as gaps), within 60 s."""
    expected = [None if np.isnan(v) else float(v) for v in phase["gen_error"].ravel()]
    deadline = time.time() + 60
    image = None
    while image != expected and time.time() < deadline:
        image = driver.execute_script(
            f"const m = Bokeh.documents[0].get_model_by_name('raf-{tab}-gen_error');"
            "return m && m.data.image.length ? Array.from(m.data.image[0], v => Number.isNaN(v) ? null : v) : null;")
        time.sleep(0.2)
    assert image == expected


@needs_panel
def test_in_a_browser_the_page_loads_offline_and_each_control_redraws_solve_many(server):
    from rafmodel.explore import View

    proc, url = server
    view = View(n=40, eps=0.3)
    with headless_chrome() as driver:
        driver.get(url + "?n=40&eps=0.3")
        got = _wait(driver, _matches(view))
        assert got["x"] == view.xs()
        assert all(v is not None for v in got["gen_error"])
        resources = driver.execute_script("return performance.getEntriesByType('resource').map(e => e.name)")
        assert resources and all(r.startswith(url) or r.startswith(url.replace("http", "ws")) for r in resources), \
            resources
        # the optimal-lam points, computed one per tick after the curves: rm.optimal_lambda's
        assert driver.execute_script(_SET, "optimal lam: points (0 = none)", 3)
        import rafmodel as rm

        expected = [[x, rm.optimal_lambda(learner=rm.Linear(), loss="square", alpha=x, eps=0.3).gen_error]
                    for x in view.replace(opt=3).xs(3)]
        deadline = time.time() + 60
        opt = None
        while opt != expected and time.time() < deadline:
            opt = driver.execute_script("const m = Bokeh.documents[0].get_model_by_name('raf-optimal');"
                                        "return m && Array.from(m.data.x, (x, i) => [x, m.data.gen_error[i]]);")
            time.sleep(0.1)
        assert opt == expected
        assert driver.execute_script(_SET, "optimal lam: points (0 = none)", 0)
        for title, value, change in [("lam", 0.05, {"lam": 0.05}), ("loss", "hinge", {"loss": "hinge"}),
                                     ("alpha", 3.0, {"alpha": 3.0}), ("learner", "rf", {"learner": "rf"}),
                                     ("kappa", 0.5, {"kappa": 0.5})]:
            assert driver.execute_script(_SET, title, value), title
            view = view.replace(**change)
            _wait(driver, _matches(view), what=f"{title} = {value}")
        assert driver.execute_script(_SLIDE, 0.4)
        view = view.replace(eps=0.4)
        _wait(driver, _matches(view))
        b = rm.bayes_optimal(np.array(view.xs()), view.eps, warn=False)
        _wait(driver, lambda got: got["bayes"] == [float(v) for v in b.gen_error], what="the Bayes line")
        deadline = time.time() + 10  # the link follows the controls
        while "loss=hinge" not in driver.current_url and time.time() < deadline:
            time.sleep(0.1)
        link = driver.current_url
        assert "loss=hinge" in link and "learner=rf" in link and "kappa=0.5" in link
        assert console_errors(driver) == []

        driver.get(link)  # the copied link reopens the same view
        _wait(driver, _matches(view))
        for title, value, change in [("x-axis", "lam", {"x": "lam"}), ("learner", "kernel", {"learner": "kernel"}),
                                     ("kernel", "coefficients", {"kernel": "coefficients"}),
                                     ("mustar", 0.2, {"mustar": 0.2})]:
            assert driver.execute_script(_SET, title, value), title
            view = view.replace(**change)
            got = _wait(driver, _matches(view), what=f"{title} = {value}")
        assert got["x"] == view.xs() and view.x_min == 1e-4  # the lam axis, over its own range
        assert console_errors(driver) == []

        # the phase diagram: the view's learner, loss and eps over (alpha, lam)
        from rafmodel.explore import phase_diagram

        assert driver.execute_script(_PHASE_TAB)
        _assert_phase_image(driver, "phase", phase_diagram(view.replace(tab="phase"), size=60))
        assert "tab=phase" in driver.current_url
        # the three maps wrap on a narrow window rather than scroll sideways (they did, below ~1,300 px)
        size = driver.get_window_size()
        driver.set_window_size(1000, size["height"])
        time.sleep(1.0)
        assert driver.execute_script("const e = document.documentElement; return e.scrollWidth <= e.clientWidth;")
        driver.set_window_size(size["width"], size["height"])
        assert console_errors(driver) == []

        # the kernel's (eps, mustar^2/mu1^2) phase diagram: the third view
        assert driver.execute_script(_PHASE_TAB.replace("m.active = 1", "m.active = 2"))
        _assert_phase_image(driver, "kernel-phase", phase_diagram(view.replace(tab="kernel-phase"), size=60))
        assert "tab=kernel-phase" in driver.current_url
        assert console_errors(driver) == []
        assert "could not be shown" not in driver.execute_script(_TEXTS)

        driver.get(url + "?eps=2")  # a bad link: the defaults, and a note that says so
        _wait(driver, _matches(View()))
        deadline = time.time() + 10
        text = ""
        while "could not be shown" not in text and time.time() < deadline:
            text = driver.execute_script(_TEXTS)
            time.sleep(0.2)
        import html

        assert "the link's view could not be shown (eps: must be in [0, 1], got 2.0)" in html.unescape(text)
        assert console_errors(driver) == []


@needs_panel
def test_in_jupyter_explore_returns_the_page_with_the_same_numbers():
    import panel as pn

    import rafmodel as rm
    from rafmodel.explore import View

    page = rm.explore(learner="rf", x="lam", n=25)
    assert isinstance(page, pn.viewable.Viewable)
    source = page.select(pn.pane.Bokeh)[0].object.select_one({"name": "raf-curves"})
    view = View(learner="rf", n=25).replace(x="lam")
    assert source.data["gen_error"].tolist() == rm.solve_many(view.settings(), warn=False).gen_error.tolist()
    with pytest.raises(rm.ParameterError, match="^eps: "):
        rm.explore(eps=3.0)


@needs_panel
def test_a_store_that_cannot_be_read_is_refused_in_one_line(raf_refused, tmp_path):
    line = raf_refused(["explore", "--no-browser", "--store", str(tmp_path / "absent.sqlite")], prefix="store: ")
    assert "does not exist" in line


@needs_panel
def test_the_page_draws_the_stored_points_of_its_view(tmp_path):
    import panel as pn

    import rafmodel as rm

    store = rm.run_sweep({"kind": "theory", "learner": "linear", "loss": "square", "alpha": [0.5, 1, 2],
                          "eps": 0.2, "lam": 0.1}, tmp_path / "t.sqlite")
    page = rm.explore(store=store, n=20)
    source = page.select(pn.pane.Bokeh)[0].object.select_one({"name": "raf-stored"})
    assert source.data["x"].tolist() == [0.5, 1, 2]
    assert source.data["gen_error"].tolist() == rm.solve_many(rm.grid(alpha=[0.5, 1, 2], eps=0.2, lam=0.1)
                                                              ).gen_error.tolist()


@needs_panel
def test_the_page_s_phase_diagram_is_phase_diagram_of_its_view():
    import panel as pn

    import rafmodel as rm
    from rafmodel.explore import View, phase_diagram

    page = rm.explore(tab="phase", loss="hinge", eps=0.3)
    figs = [p.object for p in page.select(pn.pane.Bokeh)]
    image = next(f.select_one({"name": "raf-phase-mem_error"}) for f in figs if f.select_one(
        {"name": "raf-phase-mem_error"}) is not None)
    expected = phase_diagram(View(loss="hinge", eps=0.3), size=60)["mem_error"]
    assert _same_nan(image.data["image"][0], expected)


def _same_nan(a, b):
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return a.shape == b.shape and np.array_equal(np.isnan(a), np.isnan(b)) and np.array_equal(a[~np.isnan(a)],
                                                                                             b[~np.isnan(b)])


# --- the exports and the hover, in a real browser ----------------------------------------------------

#: The page's Bokeh models of a type: the CSV button (its view's link clicked, as a user's click does),
#: the figure's save tool (its action, as its toolbar button does).
_CLICK_CSV = ("const m = Array.from(Bokeh.documents[0].all_models).find(m => m.type.endsWith('FileDownload'));"
              "Bokeh.index.find_one(m).anchor_el.click();")
_SAVE_PNG = ("const src = Bokeh.documents[0].get_model_by_name('raf-curves');"
             "const plot = Array.from(Bokeh.documents[0].all_models).find("
             "  m => 'renderers' in m.properties && m.renderers.some(r => r.data_source === src));"
             "plot.toolbar.tools.find(t => t.type === 'SaveTool').do.emit(undefined);")

#: The plot's view: its canvas's size in CSS pixels, the device pixel ratio, and where (in the
#: window's CSS pixels) the point ``arguments[0]`` of the gen_error curve is drawn.
_PLOT = ("const src = Bokeh.documents[0].get_model_by_name('raf-curves');"
         "const plot = Array.from(Bokeh.documents[0].all_models).find("
         "  m => 'renderers' in m.properties && m.renderers.some(r => r.data_source === src));"
         "const v = Bokeh.index.find_one(plot); const i = arguments[0];"
         "const r = v.canvas_view.events_el.getBoundingClientRect();"
         "return {width: v.canvas_view.bbox.width, height: v.canvas_view.bbox.height, dpr: window.devicePixelRatio,"
         "        x: r.left + v.frame.x_scale.compute(src.data.x[i]),"
         "        y: r.top + v.frame.y_scale.compute(src.data.gen_error[i])};")

#: The rows of the tooltips shown (label, value), through the page's shadow DOMs.
_TOOLTIPS = ("const out = [];"
             "const walk = root => { for (const el of root.querySelectorAll('*')) {"
             "  if (el.classList.contains('bk-tooltip-content') && el.offsetParent !== null)"
             "    out.push(Array.from(el.querySelectorAll('.bk-tooltip-row-label'), (l, j) =>"
             "      [l.innerText.replace(/:\\s*$/, ''), el.querySelectorAll('.bk-tooltip-row-value')[j].innerText]));"
             "  if (el.shadowRoot) walk(el.shadowRoot); } };"
             "walk(document); return out;")


def _downloaded(folder, name, timeout=30):
    """The bytes of the file ``name`` the browser downloads into ``folder``, once it is complete."""
    path, deadline = folder / name, time.time() + timeout
    while time.time() < deadline:
        if path.exists() and not any(p.suffix == ".crdownload" for p in folder.iterdir()):
            return path.read_bytes()
        time.sleep(0.1)
    pytest.fail(f"the browser downloaded no {name}: {sorted(p.name for p in folder.iterdir())}")


#: The PNG ``arguments[0]`` (base64) decoded by the browser: its size, and how many of its pixels have
#: each of the colours ``arguments[1]`` (``#rrggbb``) exactly.
_PNG_COLOURS = """
    const done = arguments[arguments.length - 1];
    const bytes = Uint8Array.from(atob(arguments[0]), c => c.charCodeAt(0));
    createImageBitmap(new Blob([bytes], {type: 'image/png'})).then(img => {
        const c = new OffscreenCanvas(img.width, img.height).getContext('2d');
        c.drawImage(img, 0, 0);
        const px = c.getImageData(0, 0, img.width, img.height).data;
        const counts = Object.fromEntries(arguments[1].map(h => [h, 0]));
        for (let i = 0; i < px.length; i += 4) {
            const h = '#' + [px[i], px[i + 1], px[i + 2]].map(v => v.toString(16).padStart(2, '0')).join('');
            if (h in counts && px[i + 3] === 255) counts[h] += 1;
        }
        done({width: img.width, height: img.height, counts});
    }, e => done({error: String(e)}));
"""


@needs_panel
def test_in_a_browser_the_csv_the_png_and_the_hover_hold_the_plotted_numbers(server, tmp_path):
    import base64
    import csv
    import io

    import rafmodel as rm
    from rafmodel.explore import View
    from selenium.webdriver.common.actions.action_builder import ActionBuilder

    proc, url = server
    view = View(n=40, eps=0.3, loss="hinge")
    bayes = [float(v) for v in rm.bayes_optimal(np.array(view.xs()), view.eps, warn=False).gen_error]
    with headless_chrome() as driver:
        driver.execute_cdp_cmd("Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(tmp_path)})
        driver.set_window_size(1400, 1000)
        driver.get(url + "?n=40&eps=0.3&loss=hinge")
        _wait(driver, _matches(view))
        got = _wait(driver, lambda g: g["bayes"] == bayes, what="the Bayes line")

        # the CSV: one row per plotted point, every number exactly the plotted one (empty: a gap)
        driver.execute_script(_CLICK_CSV)
        rows = list(csv.DictReader(io.StringIO(_downloaded(tmp_path, "raf-explore.csv").decode())))
        assert [float(r["alpha"]) for r in rows] == got["x"]
        for k, col in [("gen_error", "gen_error"), ("mem_error", "mem_error"), ("rule_error", "rule_error"),
                       ("bayes", "bayes_gen_error")]:
            assert [float(r[col]) if r[col] else None for r in rows] == got[k], col
        assert {r["loss"] for r in rows} == {"hinge"} and {float(r["eps"]) for r in rows} == {0.3}

        # the PNG: the figure's canvas, at its size, with something drawn on it
        from rafmodel.explore.app import _COLORS
        from rafmodel.explore.curves import ERRORS

        driver.execute_script(_SAVE_PNG)
        png = _downloaded(tmp_path, "raf-explore.png")
        assert png[:8] == b"\x89PNG\r\n\x1a\n"
        image = driver.execute_async_script(_PNG_COLOURS, base64.b64encode(png).decode(), [_COLORS[k] for k in ERRORS])
        plot = driver.execute_script(_PLOT, 0)
        assert (image["width"], image["height"]) == (round(plot["width"] * plot["dpr"]),
                                                     round(plot["height"] * plot["dpr"]))
        # gen_error, mem_error, rule_error drawn in their colours along the plot (a legend's sample line has
        # fewer than 100 pixels; the Bayes line's grey is also the axes' text colour, so it is not counted)
        assert all(n > 300 for n in image["counts"].values()), image["counts"]

        # the hover: the pointer on a point of the curves shows that point's numbers
        i = 25
        at = driver.execute_script(_PLOT, i)
        pointer = ActionBuilder(driver)
        pointer.pointer_action.move_to_location(round(at["x"]), round(at["y"]) - 15)
        pointer.perform()
        deadline, shown = time.time() + 10, []
        while not shown and time.time() < deadline:
            shown = driver.execute_script(_TOOLTIPS)
            time.sleep(0.1)
        assert len(shown) == 1, shown
        labels = [label for label, _ in shown[0]]
        assert labels == ["alpha", "gen_error", "mem_error", "rule_error", "bayes_gen_error"]
        values = dict(shown[0])
        assert float(values["alpha"]) == pytest.approx(got["x"][i], abs=5e-5)  # shown to 4 decimals
        for label, k in [("gen_error", "gen_error"), ("mem_error", "mem_error"), ("rule_error", "rule_error"),
                         ("bayes_gen_error", "bayes")]:
            assert float(values[label]) == pytest.approx(got[k][i], abs=5e-7), label  # to 6 decimals
        assert console_errors(driver) == []


@needs_panel
def test_the_page_s_kernel_phase_diagram_is_phase_diagram_of_its_view():
    import panel as pn

    import rafmodel as rm
    from rafmodel.explore import View, phase_diagram

    page = rm.explore(learner="kernel", tab="kernel-phase", loss="square", alpha=1.5, lam=0.01)
    panes = [p for p in page.select(pn.pane.Bokeh) if p.object.select_one({"name": "raf-kernel-phase-rule_error"})]
    assert len(panes) == 1
    image = panes[0].object.select_one({"name": "raf-kernel-phase-rule_error"})
    expected = phase_diagram(View(learner="kernel", tab="kernel-phase", alpha=1.5, lam=0.01), size=60)["rule_error"]
    assert _same_nan(image.data["image"][0], expected)
    maps = [r for r in page.select(pn.FlexBox) if any(isinstance(p, pn.pane.Bokeh) and (
        p.object.select_one({"name": "raf-kernel-phase-gen_error"}) or p.object.select_one({"name": "raf-phase-gen_error"}))
        for p in r.objects)]
    assert len(maps) == 2  # a (wrapping) row of maps per plane, only the view's shown
    shown = [r for r in maps if r.visible]
    assert len(shown) == 1 and shown[0].objects[0].object.select_one({"name": "raf-kernel-phase-gen_error"})
