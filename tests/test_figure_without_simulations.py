"""A figure without its simulation points says why: the extra they need is absent, or they were turned off."""


from rafmodel.figures import FIGURES, make_figure, write_figure
from rafmodel.figures._registry import FigureSpec

SMALL = dict(quick=True, sim=False, n_kappa=3)


def _panel_texts(fig):
    return [t.get_text() for ax in fig.axes for t in ax.texts]


def test_without_jax_the_network_figure_says_it_needs_the_nn_extra(monkeypatch):
    monkeypatch.setattr(FigureSpec, "missing", lambda self: list(self.requires))
    res = make_figure("network-kappa", **SMALL)
    texts = " ".join(_panel_texts(res.figure))
    assert "rafmodel[nn]" in texts and "jax" in texts and "--no-sim" not in texts
    assert "Simulations not drawn: they need rafmodel[nn] (jax, optax not installed" in res.caption


def test_turned_off_with_jax_installed_the_figure_says_so(monkeypatch):
    monkeypatch.setattr(FigureSpec, "missing", lambda self: [])
    res = make_figure("network-kappa", **SMALL)
    texts = " ".join(_panel_texts(res.figure))
    assert "turned off" in texts and "rafmodel[nn]" not in texts
    assert "rafmodel[nn]" not in res.caption


def test_installing_the_extra_changes_the_cached_figure(tmp_path, monkeypatch):
    monkeypatch.setattr(FigureSpec, "missing", lambda self: list(self.requires))
    a = write_figure("network-kappa", tmp_path, **SMALL)
    monkeypatch.setattr(FigureSpec, "missing", lambda self: [])
    b = write_figure("network-kappa", tmp_path, **SMALL)
    assert not b["cached"] and a["key"] != b["key"] and "rafmodel[nn]" not in b["caption"]


def test_the_gallery_example_without_jax_says_the_simulations_need_the_extra(monkeypatch, capsys):
    import importlib.util
    import pathlib
    import runpy

    find = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name.split(".")[0] in ("jax", "optax") else find(name, *a))
    monkeypatch.setitem(FIGURES["network-kappa"].quick, "n_kappa", 3)
    runpy.run_path(str(pathlib.Path(__file__).parents[1] / "examples" / "plot_05_network_kappa.py"),
                   run_name="__main__")
    out = " ".join(capsys.readouterr().out.split())
    assert "Simulations not drawn: they need rafmodel[nn]" in out and "--no-sim" not in out
