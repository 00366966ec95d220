"""The explorer's page: Panel widgets for a :class:`~rafmodel.explore.state.View` and a Bokeh plot of its curves.

All numbers come from :func:`rafmodel.explore.curves.compute`; this module only lays them out,
keeps the URL's query in step with the controls, and serves the page (:func:`start_server`) with
Panel's and Bokeh's scripts from the local installation (nothing is fetched from a network).
"""

from __future__ import annotations

import html
import io

import numpy as np
import os
import urllib.parse

from ..exceptions import ParameterError
from .curves import ERRORS, PHASE_RANGE, Curves, compute, optimal_points, phase_diagram, stored_points
from .state import (ACTIVATIONS, AXES, AXIS_DEFAULTS, COEFFICIENTS, KERNELS, LEARNERS, LOSSES, MAX_OPT_POINTS,
                    MAX_POINTS, View, view_from_query)

__all__ = ["Explorer", "start_server", "TITLE"]

#: The page's title.
TITLE = "rafmodel explorer"

#: Names of the Bokeh models a browser (or a test) can find: the curves' data source, the optimal-lam points'.
SOURCE_NAME = "raf-curves"
OPTIMAL_NAME = "raf-optimal"
STORED_NAME = "raf-stored"
#: Milliseconds the Bayes-optimal line waits after a move: it is computed (0.2-0.4 s for a new eps)
#: only once the controls rest that long, for the curves then shown (a dragged eps slider is
#: redrawn at every step, not held up by the lines of the steps it passed).
BAYES_DELAY_MS = 200
#: The name of the figure's PNG (the toolbar's save tool; without one, the browser would ask for it).
PNG_NAME = "raf-explore"
#: Points per axis of the phase diagram.
PHASE_SIZE = 60

_COLORS = {"gen_error": "#1f77b4", "mem_error": "#ff7f0e", "rule_error": "#2ca02c", "bayes_gen_error": "#444444"}
_MARKER_COLORS = {"alpha_c(eps)": "#9467bd", "interpolation threshold": "#d62728"}
_MARKER_TEXT = {"alpha_c(eps)": "alpha_c(eps), the linear classifier's capacity",
                "interpolation threshold": "the interpolation threshold of this learner and loss (lam = 0)"}


#: Milliseconds Panel waits before it handles a control's move from the browser (its ``_debounce``, a
#: class attribute of Panel's own, 50 ms by default, set per widget here): 0, the server's next turn,
#: still with the document's lock (Panel's faster ``_priority_changes`` path runs without it, and the
#: page's Bokeh data sources cannot be changed there).  Another Panel without it: the same page, 50 ms slower.
_DEBOUNCE_MS = 0


def _prompt(widget) -> None:
    """Let ``widget``'s moves (and those of the slider and number box inside it) reach the page at once."""
    for w in (widget, getattr(widget, "_slider", None), getattr(widget, "_value_edit", None)):
        if w is not None and hasattr(w, "_debounce"):
            w._debounce = _DEBOUNCE_MS


def _panel():
    os.environ.setdefault("BOKEH_RESOURCES", "server")  # scripts from the local server, never a CDN
    import panel as pn

    return pn


class Explorer:
    """One explorer page (one per browser session): its widgets, its plot and its current curves.

    Parameters
    ----------
    view : View, optional
        The first view (default: the URL's query in a served page, else the defaults).
    store : pandas.DataFrame, optional
        Points of a sweep store (:func:`rafmodel.load_results`), drawn where they match the view.
    store_name : str, optional
        The store's name, for the legend and the note.

    Attributes
    ----------
    layout : panel.viewable.Viewable
        The page, servable (``explorer.layout.servable()``) or shown inline in Jupyter.
    view : View
        The view shown.
    curves : Curves
        Its curves.
    """

    def __init__(self, view: View | None = None, store=None, store_name: str = "the store"):
        pn = _panel()
        from bokeh.models import ColumnDataSource

        def label(text):  # a widget's label (its name before Panel 1.5)
            return {"label" if "label" in pn.widgets.Widget.param else "name": text}

        note = None
        if view is None:
            args = {k: v for k, v in pn.state.session_args.items() if not k.startswith("bokeh")}
            view, note = view_from_query(args)
        self.view = view.check()
        self._busy = False
        self.w = {
            "learner": pn.widgets.Select(**label("learner"), options=list(LEARNERS)),
            "kernel": pn.widgets.Select(**label("kernel"), options=list(KERNELS)),
            "bandwidth": pn.widgets.FloatInput(**label("bandwidth"), start=1e-6, step=0.1),
            "activation": pn.widgets.Select(**label("activation"), options=list(ACTIVATIONS)),
            "mu1": pn.widgets.FloatInput(**label("mu1"), start=0.0, step=0.05),
            "mustar": pn.widgets.FloatInput(**label("mustar"), start=0.0, step=0.05),
            "kappa": pn.widgets.FloatInput(**label("kappa"), start=1e-6, step=0.1),
            "loss": pn.widgets.Select(**label("loss"), options=list(LOSSES)),
            "alpha": pn.widgets.FloatInput(**label("alpha"), start=0.0, step=0.1),
            "eps": pn.widgets.EditableFloatSlider(**label("eps"), start=0.0, end=1.0, step=0.01),
            "lam": pn.widgets.FloatInput(**label("lam"), start=0.0, step=0.01),
            "x": pn.widgets.Select(**label("x-axis"), options=list(AXES)),
            "scale": pn.widgets.RadioButtonGroup(**label("scale"), options=["log", "linear"]),
            "x_min": pn.widgets.FloatInput(**label("x from")),
            "x_max": pn.widgets.FloatInput(**label("x to")),
            "n": pn.widgets.IntInput(**label("points"), start=2, end=MAX_POINTS, step=10),
            "opt": pn.widgets.IntInput(**label("optimal lam: points (0 = none)"), start=0, end=MAX_OPT_POINTS),
            "tab": pn.widgets.RadioButtonGroup(**label("view"), options=["curves", "phase", "kernel-phase"]),
        }
        self._set_widgets(self.view)
        for w in self.w.values():
            w.width = 250
            w.param.watch(self._on_change, "value")
            _prompt(w)
        self.source = ColumnDataSource(name=SOURCE_NAME, data={"x": [], **{k: [] for k in _COLORS}})
        self.marker_sources = {k: ColumnDataSource(data={"x": [], "y": []}) for k in _MARKER_COLORS}
        self.opt_source = ColumnDataSource(name=OPTIMAL_NAME, data={"x": [], "gen_error": [], "lam_opt": []})
        self.opt_note = pn.pane.Alert("", alert_type="info", visible=False, sizing_mode="stretch_width")
        self.store, self.store_name = store, store_name
        self.stored_source = ColumnDataSource(name=STORED_NAME, data=self._stored_data(None))
        self.store_note = pn.pane.Alert("", alert_type="light", visible=False, sizing_mode="stretch_width")
        self._opt_key, self._opt_run = None, 0
        self.note = pn.pane.Alert("", alert_type="warning", visible=False, sizing_mode="stretch_width")
        self.link_note = pn.pane.Alert(note or "", alert_type="danger", visible=bool(note),
                                       sizing_mode="stretch_width")
        self.command = pn.pane.HTML("", sizing_mode="stretch_width")
        self.download = pn.widgets.FileDownload(callback=self._csv, filename="raf-explore.csv",
                                                label="Download the curves (CSV)")
        self.plot = pn.pane.Bokeh(sizing_mode="stretch_width", min_height=420)
        self._figure_key, self._bayes_points = None, None
        self._phase_key = None
        self.phase_sources, self.phase_rows = {}, {}
        for tab in ("phase", "kernel-phase"):  # one row of three maps per plane
            self.phase_sources[tab], figs = self._phase_figures(tab)
            self.phase_rows[tab] = pn.FlexBox(*(pn.pane.Bokeh(f) for f in figs), flex_wrap="wrap")
        self.phase_note = pn.pane.Alert("", alert_type="light", sizing_mode="stretch_width")
        self.phase = pn.Column(self.phase_note, *self.phase_rows.values(),
                               sizing_mode="stretch_width")
        self.axis_part = pn.Column(pn.pane.Markdown("### x-axis"), self.w["x"], self.w["scale"], self.w["x_min"],
                                   self.w["x_max"], self.w["n"], self.w["opt"])
        controls = pn.Column(
            pn.pane.Markdown("### View: curves, the (alpha, lam) phase diagram or, of a kernel, the "
                             "(eps, mustar^2/mu1^2) one"), self.w["tab"],
            pn.pane.Markdown("### Learner"), self.w["learner"], self.w["kernel"], self.w["bandwidth"],
            self.w["activation"], self.w["mu1"], self.w["mustar"], self.w["kappa"], self.w["loss"],
            pn.pane.Markdown("### Data and penalty"), self.w["alpha"], self.w["eps"], self.w["lam"],
            self.axis_part, width=280)
        self.curves_part = pn.Column(self.opt_note, self.store_note, self.plot,
                                     pn.pane.Markdown("The same numbers on the command line:"), self.command,
                                     self.download, sizing_mode="stretch_width")
        main = pn.Column(pn.pane.Markdown(f"## {TITLE}: the RAF model's exact asymptotic errors"),
                         self.link_note, self.note, self.curves_part, self.phase, sizing_mode="stretch_width")
        self.layout = pn.Row(controls, main, sizing_mode="stretch_width")
        self._visibility(self.view)
        self._redraw(self.view)

    # --- controls <-> view ----------------------------------------------------------------------------
    def _set_widgets(self, view: View) -> None:
        self._busy = True
        try:
            for name, w in self.w.items():
                w.value = getattr(view, name)
        finally:
            self._busy = False
        self._visibility(view)

    def _visibility(self, view: View) -> None:
        kernel, rf = view.learner == "kernel", view.learner == "rf"
        coeffs = (kernel and view.kernel == COEFFICIENTS) or (rf and view.activation == COEFFICIENTS)
        shown = {"kernel": kernel, "bandwidth": kernel and view.kernel == "rbf", "activation": rf,
                 "mu1": coeffs, "mustar": coeffs, "kappa": rf and view.x != "kappa",
                 "alpha": view.x != "alpha", "eps": view.x != "eps", "lam": view.x != "lam",
                 "opt": view.x != "lam"}
        phase = view.tab != "curves"
        if phase:  # a phase diagram spans two parameters: no x-axis
            shown.update({k: False for k in ("x", "scale", "x_min", "x_max", "n", "opt")})
            if view.tab == "phase":  # alpha and lam
                shown.update({"alpha": False, "lam": False, "eps": True, "kappa": rf})
            else:  # eps and the kernel's mustar^2/mu1^2
                shown.update({"alpha": True, "lam": True, "eps": False, "mustar": False})
        for name, vis in shown.items():
            self.w[name].visible = vis
        if hasattr(self, "phase"):
            self.phase.visible, self.curves_part.visible, self.axis_part.visible = phase, not phase, not phase
            for tab, row in self.phase_rows.items():
                row.visible = tab == view.tab

    def _widget_view(self) -> View:
        values = {name: w.value for name, w in self.w.items()}
        if values["x"] != self.view.x:  # a new axis starts at its own range
            values["x_min"], values["x_max"], values["scale"] = AXIS_DEFAULTS[values["x"]]
        if values["x"] == "kappa" and values["learner"] != "rf":
            values["x"], (values["x_min"], values["x_max"], values["scale"]) = "alpha", AXIS_DEFAULTS["alpha"]
        for name in ("bandwidth", "mu1", "mustar", "kappa", "alpha", "eps", "lam", "x_min", "x_max"):
            if values[name] is None:
                raise ParameterError(name, "needs a number")
            values[name] = float(values[name])
        for name in ("n", "opt"):
            if values[name] is None:
                raise ParameterError(name, "needs a number")
            values[name] = int(values[name])
        if values["x"] == "lam":
            values["opt"] = 0  # no optimal-lam curve along lam
        return View(**values)

    def _on_change(self, event) -> None:
        if self._busy:
            return
        try:
            view = self._widget_view().check()
        except ParameterError as e:
            self.note.object, self.note.visible = f"Not drawn: {html.escape(str(e))}", True
            return
        with self._hold():  # the whole update in one message to the browser
            if view.x != self.view.x or view.learner != self.view.learner or view.tab != self.view.tab:
                self._set_widgets(view)  # the axis' range, the learner's controls
            self.link_note.visible = False  # the link's note is about the first view only
            self._redraw(view)

    # --- drawing --------------------------------------------------------------------------------------
    def _figure(self, view: View):
        from bokeh.models import HoverTool, SaveTool
        from bokeh.plotting import figure

        fig = figure(x_axis_type=view.scale, x_axis_label=view.x, y_axis_label="error", height=420,
                     sizing_mode="stretch_width", tools=["pan", "wheel_zoom", "box_zoom", "reset",
                                                         SaveTool(filename=PNG_NAME)],
                     title="theory (lam -> 0+ at lam = 0); gaps: points that did not converge")
        lines = {}
        for k, color in _COLORS.items():
            label = "Bayes-optimal gen_error" if k == "bayes_gen_error" else k
            lines[k] = fig.line("x", k, source=self.source, color=color, line_width=2, legend_label=label,
                                line_dash="dashed" if k == "bayes_gen_error" else "solid")
        for k, color in _MARKER_COLORS.items() if view.x == "alpha" else ():
            fig.line("x", "y", source=self.marker_sources[k], color=color, line_dash="dotted", line_width=2,
                     legend_label=k)
        fig.add_tools(HoverTool(renderers=[lines["gen_error"]], mode="vline",
                                tooltips=[(view.x, "@x{0.[0000]}"), *((k, f"@{k}{{0.[000000]}}") for k in _COLORS)]))
        if self.store is not None:
            from bokeh.models import Whisker

            dots = []
            for k in ERRORS:
                dots.append(fig.scatter("x", k, source=self.stored_source, size=6, color=_COLORS[k],
                                        legend_label=f"stored points ({self.store_name})"))
                fig.add_layout(Whisker(source=self.stored_source, base="x", lower=f"{k}_lo", upper=f"{k}_hi",
                                       line_color=_COLORS[k]))
            fig.add_tools(HoverTool(renderers=dots, tooltips=[
                (view.x, "@x{0.[0000]}"), *((k, f"@{k}{{0.[0000]}} ± @{k}_se{{0.[0000]}}") for k in ERRORS),
                ("d", "@d"), ("seeds", "@seeds")]))
        if view.opt:
            dots = fig.scatter("x", "gen_error", source=self.opt_source, size=7, color=_COLORS["gen_error"],
                               marker="diamond", legend_label="gen_error at the optimal lam")
            fig.add_tools(HoverTool(renderers=[dots], tooltips=[(view.x, "@x{0.[0000]}"),
                                                                ("gen_error at lam_opt", "@gen_error{0.[000000]}"),
                                                                ("lam_opt", "@lam_opt{0.[000000]}")]))
        legend = fig.legend[0]
        legend.click_policy = "hide"
        fig.add_layout(legend, "right")  # beside the curves, not over them
        return fig

    def _redraw(self, view: View) -> None:
        pn = _panel()
        try:
            curves = compute(view, bayes=False)
        except ParameterError as e:
            self.note.object, self.note.visible = f"Not drawn: {html.escape(str(e))}", True
            return
        self.view, self.curves = view, curves
        key = (view.x, view.scale, bool(view.opt))
        if key != self._figure_key:
            self.plot.object, self._figure_key = self._figure(view), key
        same = curves.bayes_points() == self._bayes_points  # else the old line is not this view's
        new = {k: curves.columns[k] for k in ERRORS}
        if not same:
            new["bayes_gen_error"] = curves.x * float("nan")
            self._bayes_points = None
        old_x = self.source.data["x"]
        if len(old_x) == len(curves.x) and np.array_equal(old_x, curves.x):
            self.source.data.update(new)  # the changed columns only (one event; the x column stays)
        else:
            self.source.data = {"x": curves.x, "bayes_gen_error": self.source.data["bayes_gen_error"], **new}
        for k, src in self.marker_sources.items():
            a = curves.markers.get(k)
            data = {"x": [a, a], "y": [0.0, 0.5]} if a is not None else {"x": [], "y": []}
            if src.data["x"] != data["x"]:  # sent only when it moved
                src.data = data
        self._notes(curves)
        commands = "\n".join(c for c in (view.command(), view.optimal_command()) if c)
        self.command.object = f"<pre style='white-space: pre-wrap'>{html.escape(commands)}</pre>"
        loc = pn.state.location
        if loc is not None and pn.state.curdoc is not None and pn.state.curdoc.session_context is not None:
            loc.search = "?" + urllib.parse.urlencode(view.to_query())
        self._later(BAYES_DELAY_MS)(lambda: self._add_bayes(curves))
        self._optimal(view)
        self._stored(view)
        if view.tab != "curves":
            self._phase(view)

    def _phase_figures(self, tab: str):
        """The three maps of the phase diagram of ``tab`` (``"phase"``, ``"kernel-phase"``) and their data sources."""
        from bokeh.models import ColorBar, ColumnDataSource, HoverTool, LinearColorMapper, SaveTool
        from bokeh.palettes import Viridis256
        from bokeh.plotting import figure

        if tab == "phase":
            (x0, x1), (y0, y1) = np.log10(PHASE_RANGE["alpha"]), np.log10(PHASE_RANGE["lam"])
            xlabel, ylabel = "log10 alpha", "log10 lam"
        else:
            (x0, x1), (y0, y1) = PHASE_RANGE["eps"], np.log10(PHASE_RANGE["ratio"])
            xlabel, ylabel = "eps", "log10 mustar^2/mu1^2"
        hx, hy = (x1 - x0) / (PHASE_SIZE - 1), (y1 - y0) / (PHASE_SIZE - 1)  # cells centred on the points
        mapper = LinearColorMapper(palette=Viridis256, low=0.0, high=0.5, nan_color="white")
        sources, figs = {}, []
        for k in ERRORS:
            sources[k] = ColumnDataSource(name=f"raf-{tab}-{k}", data={"image": []})
            fig = figure(title=k, x_axis_label=xlabel, y_axis_label=ylabel, width=340, height=330,
                         x_range=(x0 - hx / 2, x1 + hx / 2), y_range=(y0 - hy / 2, y1 + hy / 2),
                         tools=["pan", "wheel_zoom", "reset", SaveTool(filename=f"{PNG_NAME}-{tab}-{k}")])
            img = fig.image(image="image", x=x0 - hx / 2, y=y0 - hy / 2, dw=x1 - x0 + hx, dh=y1 - y0 + hy,
                            source=sources[k], color_mapper=mapper)
            fig.add_tools(HoverTool(renderers=[img], tooltips=[(xlabel, "$x{0.00}"), (ylabel, "$y{0.00}"),
                                                               (k, "@image{0.[0000]}")]))
            figs.append(fig)
        figs[-1].add_layout(ColorBar(color_mapper=mapper, width=10), "right")
        return sources, figs

    def _phase(self, view: View) -> None:
        """The phase diagram of ``view``'s tab, recomputed when what it depends on changes."""
        import dataclasses

        ignored = {"x": "alpha", "x_min": 0.1, "x_max": 10.0, "scale": "log", "n": 2, "opt": 0}
        ignored.update({"alpha": 1.0, "lam": 1.0} if view.tab == "phase" else {"eps": 0.5, "mustar": 1.0})
        key = dataclasses.replace(view, **ignored)
        if key == self._phase_key:
            return
        self._phase_key = key
        self.phase.loading = True
        self.phase_note.object = "computing the phase diagram ..."

        def run():
            if key != self._phase_key:
                return
            try:
                p = phase_diagram(view, size=PHASE_SIZE)
            finally:
                self.phase.loading = False
            for k in ERRORS:
                self.phase_sources[view.tab][k].data = {"image": [p[k]]}
            bad = p["n_not_converged"]
            if view.tab == "phase":
                text = (f"{PHASE_SIZE} x {PHASE_SIZE} points, alpha and lam log-spaced over {PHASE_RANGE['alpha']} "
                        f"and {PHASE_RANGE['lam']}, eps = {view.eps:g}")
            else:
                text = (f"{PHASE_SIZE} x {PHASE_SIZE} points, eps evenly spaced over {PHASE_RANGE['eps']} and "
                        f"mustar^2/mu1^2 log-spaced over {PHASE_RANGE['ratio']}: the kernel of coefficients "
                        f"mu1 = {p['mu1']:.6g} and mustar = mu1 sqrt(ratio), alpha = {view.alpha:g}, "
                        f"lam = {view.lam:g}")
            self.phase_note.object = html.escape(
                text + (f"; {bad} points did not converge (white, not numbers)" if bad else ""))
            self.phase_note.alert_type = "warning" if bad else "light"

        self._later()(run)

    @staticmethod
    def _stored_data(points):
        cols = ["x", *ERRORS, *(f"{k}_{e}" for k in ERRORS for e in ("se", "lo", "hi")), "d", "seeds"]
        if points is None:
            return {c: [] for c in cols}
        data = {c: points[c] for c in ("x", *ERRORS, *(f"{k}_se" for k in ERRORS), "d", "seeds")}
        for k in ERRORS:  # error bars of one standard error
            data[f"{k}_lo"], data[f"{k}_hi"] = points[k] - points[f"{k}_se"], points[k] + points[f"{k}_se"]
        return data

    def _stored(self, view: View) -> None:
        """The store's points matching ``view``, with error bars, and a note that counts them."""
        if self.store is None:
            return
        points = stored_points(view, self.store)
        self.stored_source.data = self._stored_data(points)
        sizes = sorted({(int(d), int(n)) for d, n in zip(points["d"], points["seeds"]) if d == d})
        text = (f"{self.store_name}: {points['n_matched']} stored points on these curves"
                + (" (" + "; ".join(f"d = {d}, {n} seeds" for d, n in sizes) + "; bars: one standard error)"
                   if sizes else "")
                + (f"; {points['n_left']} more failed or did not converge (not drawn)" if points["n_left"] else ""))
        self.store_note.object, self.store_note.visible = html.escape(text), True

    def _later(self, delay_ms: int = 0):
        """Run a function at the server's next tick, or ``delay_ms`` later (the page is redrawn first), or
        now without a server."""
        pn = _panel()
        doc = pn.state.curdoc
        if doc is not None and doc.session_context is not None:
            def later(f):
                def held():
                    with self._hold():
                        f()

                if delay_ms:
                    doc.add_timeout_callback(held, delay_ms)
                else:
                    doc.add_next_tick_callback(held)

            return later
        return lambda f: f()

    @staticmethod
    def _hold():
        """Collect the changes of the page's models and send them in one message, where the page is served."""
        import contextlib

        pn = _panel()
        doc = pn.state.curdoc
        if doc is not None and doc.session_context is not None:
            return pn.io.hold(doc)
        return contextlib.nullcontext()

    def _optimal(self, view: View) -> None:
        """Start (or keep) the optimal-lam points of ``view``, one per tick, with their progress."""
        import dataclasses

        key = dataclasses.replace(view, lam=0.0, n=2)  # neither lam nor n moves these points
        if key == self._opt_key:
            return
        self._opt_key, self._opt_run = key, self._opt_run + 1
        run, later = self._opt_run, self._later()
        self.opt_source.data = {"x": [], "gen_error": [], "lam_opt": []}
        if not view.opt:
            self.opt_note.visible = False
            return
        points, done = optimal_points(view), {"x": [], "gen_error": [], "lam_opt": [], "failed": []}

        def step():
            if run != self._opt_run:  # the view changed: this run is dropped
                return
            try:
                xv, r = next(points)
            except StopIteration:
                bad = done["failed"]
                self.opt_note.object = (f"optimal lam: {view.opt} points" + (
                    f"; {len(bad)} not found (drawn as gaps): {html.escape(bad[0])}" if bad else ""))
                self.opt_note.alert_type = "warning" if bad else "light"
                return
            ok = not isinstance(r, str)
            done["x"].append(xv)
            done["gen_error"].append(r.gen_error if ok else float("nan"))
            done["lam_opt"].append(r.lam_opt if ok else float("nan"))
            if not ok:
                done["failed"].append(r)
            self.opt_source.data = {k: list(done[k]) for k in ("x", "gen_error", "lam_opt")}
            self.opt_note.object = f"optimal lam: {len(done['x'])} of {view.opt} points computed ..."
            self.opt_note.alert_type, self.opt_note.visible = "info", True
            later(step)

        later(step)

    def _add_bayes(self, curves: Curves) -> None:
        if curves is not self.curves:  # a newer view is shown already
            return
        self.curves = curves = curves.with_bayes()
        if curves.bayes_points() != self._bayes_points:  # else the plotted line is this one already
            self.source.data.update(bayes_gen_error=curves.columns["bayes_gen_error"])
            self._bayes_points = curves.bayes_points()
        self._notes(curves)

    def _notes(self, curves: Curves) -> None:
        lines = list(curves.notes)
        if curves.markers and self.view.tab == "curves":
            lines.append("; ".join(f"{_MARKER_TEXT[k]} = {v:.6g}" for k, v in curves.markers.items()))
        self.note.object = "<br>".join(html.escape(s) for s in lines)
        self.note.alert_type = "warning" if curves.notes else "light"
        self.note.visible = bool(lines)

    def _csv(self):
        return io.StringIO(self.curves.to_csv())


def start_server(port: int = 0, address: str = "127.0.0.1", store=None, store_name: str = "the store"):
    """A Bokeh server for the explorer page on ``address:port``, bound but not yet running.

    Parameters
    ----------
    port : int, default=0
        The TCP port; 0 picks a free one.
    address : str, default="127.0.0.1"
        The interface to listen on.
    store : pandas.DataFrame, optional
        Points of a sweep store to draw where they match the view.
    store_name : str
        The store's name, for the legend.

    Returns
    -------
    bokeh.server.server.Server
        Bound (``server.port`` is the port); run it with ``server.io_loop.start()``.

    Raises
    ------
    OSError
        The port is in use (``errno.EADDRINUSE``) or cannot be bound.
    """
    import socket

    pn = _panel()
    if port == 0:  # a free port, named (the page's websocket accepts its own origin only)
        with socket.socket(socket.AF_INET6 if ":" in address else socket.AF_INET) as s:
            s.bind((address, 0))
            port = s.getsockname()[1]

    def page():
        return Explorer(store=store, store_name=store_name).layout

    origins = sorted({f"{address}:{port}", f"localhost:{port}", f"127.0.0.1:{port}"})
    return pn.serve({"/": page}, port=port, address=address, show=False, start=False, title=TITLE,
                    websocket_origin=origins, verbose=False)
