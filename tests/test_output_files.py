"""Every file rafmodel writes is checked before any work and written whole (rafmodel._files)."""

import os

import pytest

from rafmodel._files import atomic_write, check_file, check_folder
from rafmodel.cli import main
from rafmodel.exceptions import ParameterError

PROC = "/proc/raf-test.png"  # a folder that takes no new file, whoever runs the tests


@pytest.mark.skipif(not os.path.isdir("/proc"), reason="needs Linux's /proc")
@pytest.mark.parametrize("argv", [
    ["theory", "--learner", "linear", "--loss", "square", "--alpha", "1,2", "--eps", "0.2", "--lam", "0.1"],
    ["compare", "--learner", "linear", "--loss", "square", "--alpha", "1,2", "--eps", "0.2", "--lam", "0.1",
     "--d", "20", "--seeds", "2"],
])
def test_a_plot_that_cannot_be_written_is_refused_before_any_work(argv, capsys):
    assert main(argv + ["--plot", PROC]) == 2
    out = capsys.readouterr()
    assert out.out == "" and out.err.count("\n") == 1 and "plot: cannot write" in out.err


def test_check_file_refuses_folders_missing_folders_and_wrong_extensions(tmp_path):
    for path, words in [(tmp_path, "is a folder"), (tmp_path / "no" / "x.csv", "does not exist"),
                        (tmp_path / "x.txt", "must end in .csv")]:
        with pytest.raises(ParameterError, match=words) as e:
            check_file(path, "curves", ("csv",))
        assert e.value.param == "curves"
    assert check_file(tmp_path / "x.csv", "curves", ("csv",)) == str(tmp_path / "x.csv")
    assert os.listdir(tmp_path) == []  # the probe is gone


def test_check_folder_creates_the_folder_and_refuses_a_target_that_is_a_folder(tmp_path):
    out = tmp_path / "figs"
    assert check_folder(out, ["a.png"]) == str(out) and out.is_dir() and os.listdir(out) == []
    (out / "a.png").mkdir()
    with pytest.raises(ParameterError, match="it is a folder"):
        check_folder(out, ["a.png"])
    with pytest.raises(ParameterError, match="exists and is not a folder"):
        (tmp_path / "file").write_text("x")
        check_folder(tmp_path / "file")


def test_atomic_write_leaves_the_old_file_whole_when_writing_fails(tmp_path):
    target = tmp_path / "x.csv"
    target.write_text("old")

    def half(tmp):
        with open(tmp, "w") as fh:
            fh.write("half")
        raise OSError(28, "No space left on device")

    with pytest.raises(ParameterError, match="nothing was written"):
        atomic_write(str(target), half)
    assert target.read_text() == "old" and os.listdir(tmp_path) == ["x.csv"]
    digest = atomic_write(str(target), lambda tmp: open(tmp, "w").write("new"))
    assert target.read_text() == "new" and len(digest) == 64
    assert (target.stat().st_mode & 0o777) == 0o666 & ~_umask()


def _umask():
    mask = os.umask(0o022)
    os.umask(mask)
    return mask
