"""The figure cache: a figure already in the folder is read back only if it verifies, otherwise rebuilt.

NAME.json holds exactly its fields, each of its type; its file names are exactly NAME.ext in the
folder; the sha256 of the png, pdf and csv and of the metadata themselves (caption included) are
the ones recorded when they were written. The report links only its own figures' files.
"""

import json
import os

import pytest

import rafmodel.report as report
from rafmodel.cli import main
from rafmodel.figures import make_figure, read_meta, write_figure

from _figures import stand_in

ARGS = dict(quick=True, sim=False)


@pytest.fixture(autouse=True)
def cheap_capacity(monkeypatch):
    stand_in(monkeypatch, ["capacity"])


@pytest.fixture()
def folder(tmp_path):
    write_figure("capacity", tmp_path, **ARGS)
    return tmp_path


def _edit_meta(folder, edit):
    path = folder / "capacity.json"
    meta = json.loads(path.read_text())
    edit(meta)
    path.write_text(json.dumps(meta))


def _only_capacity(monkeypatch):
    stand_in(monkeypatch, ["capacity"], listed_only=True)


def test_a_figure_just_written_verifies_and_is_read_back(folder):
    meta = read_meta(folder, "capacity")
    assert meta is not None and set(meta["sha256"]) == {"png", "pdf", "csv"}
    again = write_figure("capacity", folder, **ARGS)
    assert again["cached"] and again["digest"] == meta["digest"]


EDITS = {
    "files missing": lambda m: m.pop("files"),
    "caption a number": lambda m: m.__setitem__("caption", 3),
    "caption edited": lambda m: m.__setitem__("caption", "Random features never separate anything."),
    "png outside the folder": lambda m: m["files"].__setitem__("png", "../../etc/passwd"),
    "csv another name": lambda m: m["files"].__setitem__("csv", "other.csv"),
    "params edited": lambda m: m["params"].__setitem__("n", 99),
    "params not numbers": lambda m: m.__setitem__("params", {"kappa": {"a": 1}}),
    "hashes missing": lambda m: m.pop("sha256"),
    "hash malformed": lambda m: m["sha256"].__setitem__("png", "x"),
    "an extra field": lambda m: m.__setitem__("extra", 1),
    "quick a string": lambda m: m.__setitem__("quick", "yes"),
    "another figure": lambda m: m.__setitem__("name", "tradeoff"),
}


@pytest.mark.parametrize("edit", list(EDITS))
def test_an_edited_or_damaged_cache_entry_is_rebuilt(folder, edit):
    computed = json.loads((folder / "capacity.json").read_text())
    _edit_meta(folder, EDITS[edit])
    assert read_meta(folder, "capacity") is None
    meta = write_figure("capacity", folder, **ARGS)
    assert not meta["cached"]
    assert meta["caption"] == computed["caption"] and meta["files"] == computed["files"]
    assert read_meta(folder, "capacity") is not None  # rebuilt whole: it verifies again


@pytest.mark.parametrize("text", ["[1, 2]", "not json", "{" * 100000, json.dumps({"x": "y" * (2 << 20)})])
def test_a_cache_json_that_is_not_ours_is_rebuilt(folder, text):
    (folder / "capacity.json").write_text(text)
    assert read_meta(folder, "capacity") is None
    assert not write_figure("capacity", folder, **ARGS)["cached"]


@pytest.mark.parametrize("ext", ["png", "pdf", "csv"])
def test_a_replaced_file_is_rebuilt(folder, ext):
    path = folder / f"capacity.{ext}"
    original = path.read_bytes()
    data = bytearray(original)
    data[len(data) // 2] ^= 1  # same size, one bit changed
    path.write_bytes(bytes(data))
    assert not write_figure("capacity", folder, **ARGS)["cached"]
    assert path.read_bytes() != bytes(data) and read_meta(folder, "capacity") is not None


def test_a_file_replaced_by_a_link_is_rebuilt(folder, tmp_path_factory):
    elsewhere = tmp_path_factory.mktemp("elsewhere") / "capacity.png"
    elsewhere.write_bytes((folder / "capacity.png").read_bytes())  # same content, outside the folder
    (folder / "capacity.png").unlink()
    os.symlink(elsewhere, folder / "capacity.png")
    assert not write_figure("capacity", folder, **ARGS)["cached"]
    assert not os.path.islink(folder / "capacity.png")


def test_the_cli_rebuilds_a_cache_entry_without_files_and_prints_the_computed_caption(folder, capsys):
    caption = make_figure("capacity", **ARGS).caption
    _edit_meta(folder, lambda m: (m.pop("files"), m.__setitem__("caption", "edited")))
    assert main(["figure", "capacity", "--out", str(folder), "--quick", "--no-sim"]) == 0
    cap = capsys.readouterr()
    assert cap.out.strip() == caption and "written to" in cap.err


def test_the_report_never_links_outside_its_folder(folder, monkeypatch):
    _only_capacity(monkeypatch)
    _edit_meta(folder, lambda m: m["files"].update(png="../../etc/passwd", csv="/etc/passwd"))
    res = report.build_report(folder, **ARGS)
    assert not res["figures"][0]["cached"]
    page = (folder / "index.html").read_text()
    assert "passwd" not in page and "../" not in page
    assert 'src="capacity.png"' in page and 'href="capacity.csv"' in page


@pytest.mark.parametrize("edit", ["caption a number", "files missing", "caption edited"])
def test_the_report_rebuilds_a_damaged_entry_and_shows_the_computed_caption(folder, monkeypatch, edit):
    _only_capacity(monkeypatch)
    caption = make_figure("capacity", **ARGS).caption
    _edit_meta(folder, EDITS[edit])
    res = report.build_report(folder, **ARGS)
    assert not res["figures"][0]["cached"] and res["figures"][0]["caption"] == caption
    assert caption.split(":")[0] in (folder / "index.html").read_text()


def test_written_files_have_ordinary_permissions(folder, tmp_path):
    mask = os.umask(0o022)
    os.umask(mask)
    for ext in ("png", "pdf", "csv", "json"):
        assert (folder / f"capacity.{ext}").stat().st_mode & 0o777 == 0o666 & ~mask


def test_a_figure_computed_by_other_code_is_recomputed(folder, monkeypatch):
    import rafmodel.figures._registry as registry

    assert write_figure("capacity", folder, **ARGS)["cached"]
    monkeypatch.setattr(registry, "source_digest", lambda: "edited source")
    assert not write_figure("capacity", folder, **ARGS)["cached"]
