"""Speed of the explorer's redraw (plain script; prints the figures quoted in docs/user_guide/explore.md).

    python benchmarks/bench_explore.py [--browser | --browser-only]

Measures, for a 200-point curve: (1) the theory's recompute of a view (:func:`rafmodel.explore.compute`
without the Bayes-optimal line: what a control's move waits for), for each learner and loss, every
repetition at a new ``eps`` so that nothing is reused; (2) the Bayes-optimal line, which the page adds
once the controls rest (cached by ``alpha`` and ``eps``); (3) the 60 x 60 phase diagrams; (4) with ``--browser``
(or ``--browser-only``; needs rafmodel[explore], Debian's chromium and chromedriver), through a local
``raf explore`` server in a headless browser: from setting a control's value (``lam``'s number box,
the ``eps`` slider) to the new curves arriving in the plot's data source and to the plot's next
paint (BokehJS's ``PlotView.paint``), and a drag of the ``eps`` slider (8 new values 30 ms apart)
from its last value to the paint of that value's curves.  Target: under 100 ms from the input to
the redraw.  Best and median of the repetitions on this machine, with its load average (``uptime``).
"""

from __future__ import annotations

import os
import platform
import subprocess
import sys
import time

import numpy as np

os.environ.setdefault("OMP_NUM_THREADS", "1")

from rafmodel.explore import View, compute, phase_diagram  # noqa: E402
from rafmodel.explore.curves import _bayes  # noqa: E402

VIEWS = {
    "linear, square, alpha": View(),
    "linear, hinge, alpha": View(loss="hinge"),
    "kernel rbf, hinge, lam": View(learner="kernel", loss="hinge").replace(x="lam"),
    "kernel, logistic, alpha": View(learner="kernel", kernel="coefficients", loss="logistic"),
    "rf relu, square, kappa": View(learner="rf").replace(x="kappa"),
    "rf tanh, hinge, alpha": View(learner="rf", activation="tanh", loss="hinge"),
}


def stats(ts):
    return 1e3 * min(ts), 1e3 * float(np.median(ts))


def recompute(view, repeat=15):
    compute(view.replace(eps=0.25), bayes=False)  # compiled once
    ts, bad = [], 0
    for i in range(repeat):
        v = view.replace(eps=0.2 + 1e-4 * (i + 1))  # a new eps: new points, nothing reused
        t = time.perf_counter()
        c = compute(v, bayes=False)
        ts.append(time.perf_counter() - t)
        bad += c.n_not_converged
    return (*stats(ts), bad)


def bayes(view, repeat=5):
    ts = []
    for i in range(repeat):
        v = view.replace(eps=0.3 + 1e-4 * (i + 1))
        a = tuple(s.alpha for s in v.settings())
        e = tuple(s.eps for s in v.settings())
        t = time.perf_counter()
        _bayes(a, e)
        ts.append(time.perf_counter() - t)
    return stats(ts)


def phase(view, repeat=3):
    phase_diagram(view.replace(eps=0.25), size=5)  # compiled once
    ts = []
    for i in range(repeat):
        t = time.perf_counter()
        phase_diagram(view.replace(eps=0.2 + 1e-4 * (i + 1)), size=60)
        ts.append(time.perf_counter() - t)
    return stats(ts)


#: One control's move in the page, timed: from setting the control's value in the browser (what an
#: input event does) to (1) the new curves arriving in the plot's data source and (2) the plot's next
#: paint after that (BokehJS's PlotView.paint returning: the new curves are on the canvas).
_MOVE = """
    const done = arguments[arguments.length - 1];
    const doc = Bokeh.documents[0];
    const models = Array.from(doc.all_models);
    const src = doc.get_model_by_name('raf-curves');
    const plot = models.find(m => 'renderers' in m.properties && m.renderers.some(r => r.data_source === src));
    const view = Bokeh.index.find_one(plot);
    const control = arguments[0] === 'slider' ? models.find(m => m.type === 'Slider')
        : models.find(m => m.title === arguments[0] && 'value' in m.properties);
    const paint = view.paint;
    const t0 = performance.now();
    let arrived = null;
    const on_data = () => {
        src.change.disconnect(on_data);
        arrived = performance.now() - t0;
        view.paint = function () {
            const r = paint.call(this);
            view.paint = paint;
            done([arrived, performance.now() - t0]);
            return r;
        };
    };
    src.change.connect(on_data);
    control.value = arguments[1];
"""

#: A drag of the eps slider: ``arguments[0]`` new values, one every ``arguments[1]`` ms (a pointer's
#: moves, each a new eps: a new Bayes-optimal line too), timed from the last value to the first paint
#: of the plot after the page's link shows that value (the link is updated with the curves).
_DRAG = """
    const done = arguments[arguments.length - 1];
    const values = arguments[0], every = arguments[1];
    const doc = Bokeh.documents[0];
    const models = Array.from(doc.all_models);
    const src = doc.get_model_by_name('raf-curves');
    const plot = models.find(m => 'renderers' in m.properties && m.renderers.some(r => r.data_source === src));
    const view = Bokeh.index.find_one(plot);
    const slider = models.find(m => m.type === 'Slider');
    const location = models.find(m => m.type.endsWith('Location'));
    const last = values[values.length - 1];
    const paint = view.paint;
    let t_last = null;
    view.paint = function () {
        const r = paint.call(this);
        if (t_last !== null && new URLSearchParams(location.search).get('eps') === String(last)) {
            view.paint = paint;
            done(performance.now() - t_last);
        }
        return r;
    };
    values.forEach((v, k) => setTimeout(() => {
        slider.value = v;
        if (k === values.length - 1) t_last = performance.now();
    }, k * every));
"""


#: The moves timed: the control (its title in the page; "slider": the eps slider) and its value at each repetition.
MOVES = {"lam (number box)": ("lam", lambda i: 0.1 + 0.01 * (i + 1)),
         "eps (slider)": ("slider", lambda i: 0.3 + 0.01 * (i % 2))}


def browser(repeat=15, pause=1.0, drag=5):
    """Best and median (ms) of ``repeat`` moves of each of :data:`MOVES`, to the data and to the paint,
    and of ``drag`` drags of the eps slider (:data:`_DRAG`), from the last value to the paint."""
    sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests"))
    import pytest

    from _browser import headless_chrome

    proc = subprocess.Popen([sys.executable, "-m", "rafmodel", "explore", "--no-browser"], stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, text=True)
    url = proc.stdout.readline().strip()
    try:
        with headless_chrome() as d:
            d.set_script_timeout(30)
            d.set_window_size(1400, 1000)
            d.get(url)
            for _ in range(200):
                if d.execute_script("const d = Bokeh.documents[0]; const m = d && d.get_model_by_name('raf-curves');"
                                    " return !!(m && m.data.x && m.data.x.length)"):
                    break
                time.sleep(0.1)
            time.sleep(2)  # the first Bayes line arrives
            out = {}
            for name, (title, value) in MOVES.items():
                d.execute_async_script(_MOVE, title, value(repeat))  # the first move of a control: not timed
                time.sleep(2 * pause)
                data, paint = [], []
                for i in range(repeat):
                    a, b = d.execute_async_script(_MOVE, title, value(i))
                    data.append(a / 1e3)
                    paint.append(b / 1e3)
                    time.sleep(pause)  # what follows the move (the Bayes line of a new eps, the link) is done
                out[name] = (*stats(data), *stats(paint))
            drags = []
            for i in range(drag):
                values = [round(0.05 + 0.1 * i + 0.01 * k, 2) for k in range(1, 9)]  # 8 new eps each
                drags.append(d.execute_async_script(_DRAG, values, 30) / 1e3)
                time.sleep(2 * pause)
            out["eps drag, 8 x 30 ms"] = (float("nan"), float("nan"), *stats(drags))
            return out
    except pytest.skip.Exception as e:
        return str(e)
    finally:
        proc.terminate()
        proc.wait()


def main():
    print(f"# {subprocess.run(['uptime'], capture_output=True, text=True).stdout.strip()}")
    if "--browser-only" not in sys.argv:
        theory()
    if "--browser" in sys.argv or "--browser-only" in sys.argv:
        in_browser()


def theory():
    print(f"# rafmodel explorer, 200-point curves; {platform.processor() or platform.machine()}, "
          f"python {platform.python_version()}")
    print(f"{'view':32s} {'best ms':>8s} {'median ms':>10s}  not converged")
    for name, view in VIEWS.items():
        b, m, bad = recompute(view)
        print(f"{name:32s} {b:8.1f} {m:10.1f}  {bad}")
    b, m = bayes(View())
    print(f"{'Bayes-optimal line (added after)':32s} {b:8.1f} {m:10.1f}")
    for name in ("linear, square, alpha", "kernel, logistic, alpha", "rf tanh, hinge, alpha"):
        b, m = phase(VIEWS[name])
        print(f"{'phase 60x60: ' + name.rsplit(',', 1)[0]:32s} {b:8.1f} {m:10.1f}")
    for loss in ("hinge", "logistic"):
        b, m = phase(View(learner="kernel", loss=loss, alpha=5.0, tab="kernel-phase"))
        print(f"{'kernel (eps, ratio) 60x60: ' + loss:32s} {b:8.1f} {m:10.1f}")


def in_browser():
    r = browser()
    if isinstance(r, str):
        print(f"browser: skipped ({r})")
        return
    print(f"# in headless chromium, 200 points (linear, square, along alpha), from the move; best / median ms; "
          f"load average {os.getloadavg()[0]:.2f} after")
    print(f"{'move':20s} {'to the data':>18s} {'to the paint':>18s}")
    for name, (b1, m1, b2, m2) in r.items():
        print(f"{name:20s} {b1:8.1f} {m1:9.1f} {b2:8.1f} {m2:9.1f}")


if __name__ == "__main__":
    main()
