"""Plots of the theory and of comparisons (rafmodel.experiments, raf theory --plot): exactly the file
named is written, and the caller's matplotlib (backend, open figures) is left as it was."""

import os
import subprocess
import sys

from rafmodel.cli import main

from _files import assert_drawn_png, assert_pdf


def test_plotting_never_touches_the_callers_matplotlib_backend(tmp_path):
    # run in a fresh interpreter with an interactive-looking backend selected by the caller
    code = f"""
import matplotlib
matplotlib.use("svg")
import matplotlib.pyplot as plt
before = matplotlib.get_backend()
fig0 = plt.figure()
import rafmodel as rm
from rafmodel.experiments import plot_theory, plot_comparison
ss = rm.grid(alpha=[1, 2, 3], eps=0.2, lam=0.1)
fig = plot_theory(ss, rm.solve_many(ss), "alpha", {str(tmp_path / 'a.png')!r})
sims = rm.simulate_many(ss, d=20, seeds=2, n_test=100)
plot_comparison(ss, sims, "alpha", {str(tmp_path / 'b.pdf')!r}, n_points=10)
assert matplotlib.get_backend() == before, (before, matplotlib.get_backend())
assert plt.get_fignums() == [fig0.number], plt.get_fignums()
print(type(fig).__module__)
"""
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    assert p.stdout.strip() == "matplotlib.figure"
    assert_drawn_png(tmp_path / "a.png")
    assert_pdf(tmp_path / "b.pdf")
    assert not os.path.exists(tmp_path / "a.png.png")


def test_plot_writes_exactly_the_file_named(tmp_path, capsys):
    path = tmp_path / "curve.svg"
    assert main(["theory", "--learner", "linear", "--loss", "square", "--alpha", "1,2,3", "--eps", "0.2",
                 "--lam", "0.1", "--plot", str(path)]) == 0
    assert sorted(os.listdir(tmp_path)) == ["curve.svg"]
    assert path.read_text().lstrip().startswith("<?xml")
