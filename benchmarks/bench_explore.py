"""Speed of the explorer's redraw (plain script; prints the figures quoted in docs/user_guide/explore.md).

    python benchmarks/bench_explore.py [--browser]

Measures, for a 200-point curve: (1) the theory's recompute of a view (:func:`rafmodel.explore.compute`
without the Bayes-optimal line: what a control's move waits for), for each learner and loss, every
repetition at a new ``eps`` so that nothing is reused; (2) the Bayes-optimal line, which the page adds
just after (cached by ``alpha`` and ``eps``); (3) the 60 x 60 phase diagram; (4) with ``--browser`` (needs rafmodel[explore], Debian's
chromium and chromedriver): the time in a headless browser from setting a control's value to the
new curves arriving in the plot's data source, through a local ``raf explore`` server.  Target:
under 100 ms from the input to the redraw.  Best and median of the repetitions on this machine.
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


def browser(repeat=15):
    sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests"))
    import pytest

    from _browser import headless_chrome

    proc = subprocess.Popen([sys.executable, "-m", "rafmodel", "explore", "--no-browser"], stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, text=True)
    url = proc.stdout.readline().strip()
    js = """
        const done = arguments[arguments.length - 1];
        const doc = Bokeh.documents[0];
        const src = doc.get_model_by_name('raf-curves');
        const lam = Array.from(doc.all_models).find(m => m.title === 'lam' && 'value' in m.properties);
        const t0 = performance.now();
        const cb = () => { src.change.disconnect(cb); done(performance.now() - t0); };
        src.change.connect(cb);
        lam.value = arguments[0];
    """
    try:
        with headless_chrome() as d:
            d.set_script_timeout(30)
            d.get(url)
            for _ in range(200):
                if d.execute_script("const d = Bokeh.documents[0]; const m = d && d.get_model_by_name('raf-curves');"
                                    " return !!(m && m.data.x && m.data.x.length)"):
                    break
                time.sleep(0.1)
            time.sleep(2)  # the first Bayes line arrives
            ts = []
            for i in range(repeat):
                ts.append(d.execute_async_script(js, 0.1 + 0.01 * (i + 1)) / 1e3)
                time.sleep(1)  # the Bayes line is cached (alpha, eps unchanged): no second wait
            return stats(ts)
    except pytest.skip.Exception as e:
        return str(e)
    finally:
        proc.terminate()
        proc.wait()


def main():
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
    if "--browser" in sys.argv:
        r = browser()
        if isinstance(r, str):
            print(f"browser: skipped ({r})")
        else:
            print(f"{'browser: set lam -> new curves':32s} {r[0]:8.1f} {r[1]:10.1f}  (linear, square, alpha)")


if __name__ == "__main__":
    main()
