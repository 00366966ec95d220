"""Where `raf figure` and `raf report` write, checked before any work; --jobs checked first; and the
one line per finished figure when stderr is not a terminal."""

import errno
import os
import subprocess
import sys
import rafmodel._files

import pytest

import rafmodel.figures as figures
import rafmodel.report as report
from rafmodel.cli import main
from rafmodel.exceptions import ParameterError
from rafmodel.figures import write_figure
from rafmodel.figures._registry import FigureSpec

from _figures import stand_in

ARGS = dict(quick=True, sim=False)
FIG = ["figure", "capacity", "--quick", "--no-sim", "--out"]
REP = ["report", "--quick", "--no-sim", "--out"]


@pytest.fixture(autouse=True)
def cheap_figures(monkeypatch):
    """Two cheap figures in place of the registry's (the folder checks do not depend on the figure),
    the only ones the report lists; the list of the parameters of each figure computed."""
    return stand_in(monkeypatch, ["capacity", "tradeoff"], computed=[], listed_only=True)


# --- output paths -----------------------------------------------------------------------------------------

@pytest.mark.skipif(not os.path.isdir("/proc/self"), reason="needs Linux /proc")
@pytest.mark.parametrize("cmd", [FIG, REP])
def test_a_folder_under_proc_is_refused_before_any_work(cmd, raf_refused, cheap_figures):
    raf_refused(cmd + ["/proc/figs"], "out: cannot create folder '/proc/figs'")
    assert not cheap_figures


def test_a_figure_file_that_is_a_folder_is_refused_before_any_work(tmp_path, raf_refused, cheap_figures):
    (tmp_path / "capacity.png").mkdir()
    err = raf_refused(FIG + [str(tmp_path)], "out: cannot write")
    assert "capacity.png" in err and "is a folder" in err and not cheap_figures
    with pytest.raises(ParameterError) as e:
        write_figure("capacity", tmp_path, **ARGS)
    assert e.value.param == "out" and not cheap_figures


@pytest.mark.parametrize("blocked", ["index.html", "tradeoff.csv", "capacity.json"])
def test_a_report_file_that_is_a_folder_is_refused_before_any_figure(tmp_path, raf_refused, cheap_figures, blocked):
    (tmp_path / blocked).mkdir()
    err = raf_refused(REP + [str(tmp_path)], "out: cannot write")
    assert blocked in err and not cheap_figures and not (tmp_path / "capacity.png").exists()
    with pytest.raises(ParameterError) as e:
        report.build_report(tmp_path, **ARGS)
    assert e.value.param == "out" and not cheap_figures


def _unwritable(monkeypatch):
    """A folder that cannot be written (as for a read-only mount; root ignores permission bits)."""
    def refuse(*a, **k):
        raise OSError(errno.EROFS, os.strerror(errno.EROFS))
    monkeypatch.setattr(rafmodel._files, "temp_beside", refuse)


@pytest.mark.parametrize("cmd", [FIG, REP])
def test_an_unwritable_folder_is_refused_before_any_work(tmp_path, raf_refused, cheap_figures, monkeypatch, cmd):
    _unwritable(monkeypatch)
    err = raf_refused(cmd + [str(tmp_path)], "out: cannot write in")
    assert "Read-only file system" in err and not cheap_figures
    new = tmp_path / "new"
    raf_refused(cmd + [str(new)], "out: cannot write in")
    assert not new.exists()  # the folder it created for the probe is removed again


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0, reason="root ignores permission bits")
def test_a_folder_without_write_permission_is_refused(tmp_path, raf_refused, cheap_figures):
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o500)
    try:
        raf_refused(FIG + [str(ro)], "out: cannot write in")
        raf_refused(REP + [str(ro / "sub")], "out: cannot create folder")
    finally:
        ro.chmod(0o700)
    assert not cheap_figures


def test_a_figure_in_a_read_only_folder_is_still_read_back(tmp_path, monkeypatch, cheap_figures):
    write_figure("capacity", tmp_path, **ARGS)
    _unwritable(monkeypatch)
    assert write_figure("capacity", tmp_path, **ARGS)["cached"]  # nothing to write
    with pytest.raises(ParameterError, match="out: cannot write in"):
        write_figure("capacity", tmp_path, force=True, **ARGS)
    assert len(cheap_figures) == 1


# --- --jobs -----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("cmd", [FIG, REP])
@pytest.mark.parametrize("jobs", ["0", "-2"])
def test_jobs_is_checked_before_any_work_also_without_simulations(tmp_path, raf_refused, cheap_figures, cmd, jobs):
    out = tmp_path / "x"
    raf_refused(cmd + [str(out), "--jobs", jobs], "jobs: must be a positive integer or -1")
    assert not out.exists() and not cheap_figures
    write_figure("capacity", out, **ARGS)  # also when the figure is already there
    raf_refused(cmd + [str(out), "--jobs", jobs], "jobs:")


def test_the_library_checks_n_jobs(tmp_path, cheap_figures):
    for call in (lambda: write_figure("capacity", tmp_path, n_jobs=0, **ARGS),
                 lambda: figures.make_figure("capacity", n_jobs=0, **ARGS),
                 lambda: report.build_report(tmp_path, n_jobs=0, **ARGS)):
        with pytest.raises(ParameterError) as e:
            call()
        assert e.value.param == "n_jobs"
    assert not cheap_figures and not os.listdir(tmp_path)


# --- one line per finished figure off a terminal -----------------------------------------------------------

def test_the_report_prints_one_line_per_figure_when_stderr_is_not_a_terminal(tmp_path, capsys):
    assert main(REP + [str(tmp_path)]) == 0  # capsys: stderr is not a terminal
    lines = capsys.readouterr().err.splitlines()
    assert lines[0].startswith("raf: [1/2] capacity ") and lines[0].endswith(" s")
    assert lines[1].startswith("raf: [2/2] tradeoff ")
    assert main(REP + [str(tmp_path)]) == 0
    lines = capsys.readouterr().err.splitlines()
    assert lines[0].startswith("raf: [1/2] capacity ") and lines[0].endswith(" s, cached")
    assert lines[1].endswith(", cached") and len(lines) == 3


def test_progress_bars_replace_the_lines_when_asked_for(tmp_path, capsys):
    assert main(REP + [str(tmp_path), "--progress"]) == 0
    assert "[1/2]" not in capsys.readouterr().err


def test_a_skipped_figure_has_its_line(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(FigureSpec, "install_hint", lambda self, sim=True: "needs X" if self.name == "tradeoff" else "")
    assert main(["report", "--quick", "--out", str(tmp_path)]) == 0
    assert "raf: [2/2] tradeoff skipped: needs X" in capsys.readouterr().err


def test_raf_figure_in_a_pipe_says_which_figure_how_long_and_whether_cached(tmp_path):
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([os.path.dirname(figures.__file__).rsplit(os.sep, 2)[0],
                                                        os.environ.get("PYTHONPATH", "")])}
    cmd = [sys.executable, "-m", "rafmodel", "figure", "capacity", "--quick", "--no-sim", "--n-eps", "3",
           "--kappa", "1", "--out", str(tmp_path)]
    for cached in (False, True):
        r = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=300)
        assert r.returncode == 0, r.stderr
        (line,) = r.stderr.splitlines()
        assert line.startswith("raf: capacity ") and " s" in line
        assert (", cached, read back from" in line) == cached


def test_the_report_replaces_a_linked_index_html_and_never_writes_through_it(tmp_path, tmp_path_factory):
    outside = tmp_path_factory.mktemp("outside") / "precious.txt"
    outside.write_text("keep me")
    os.symlink(outside, tmp_path / "index.html")
    report.build_report(tmp_path, **ARGS)
    assert outside.read_text() == "keep me"
    assert not os.path.islink(tmp_path / "index.html") and "<!DOCTYPE html>" in (tmp_path / "index.html").read_text()
