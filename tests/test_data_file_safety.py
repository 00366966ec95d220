"""Hostile image files: every reader checks sizes before allocating, inflates with a limit,
checks types, ranges and finiteness, and never runs code from a file.

Each hostile file is built here, in ``tmp_path``; a refusal is one line naming the file,
:class:`rafmodel.ParameterError` in the library (``path`` for the single-file readers,
``data_dir`` for a dataset) and exit status 2 on the command line.
"""

import gzip
import os
import pickle
import struct
import subprocess
import sys
import contextlib
import tracemalloc
from pathlib import Path

import numpy as np
import pytest

import rafmodel
from rafmodel import ParameterError
from rafmodel.data import images, load_images
from rafmodel.data.images import read_cifar_batch, read_idx

from _images import idx_bytes, idx_header, write_cifar, write_mnist

def _mnist(directory, images=None, labels=None, gz=False, test_images=None):
    """A small valid MNIST folder (20 training and 10 test images), with any of its files replaced by
    the bytes given; the path of its training images."""
    replace = {name: raw for name, raw in (("train-images-idx3-ubyte", images), ("train-labels-idx1-ubyte", labels),
                                           ("t10k-images-idx3-ubyte", test_images)) if raw is not None}
    write_mnist(directory, n_train=20, n_test=10, gz=gz, replace=replace)
    return directory / ("train-images-idx3-ubyte" + (".gz" if gz else ""))


@contextlib.contextmanager
def _peak_below(mib):
    """The block allocates at most ``mib`` MiB at its peak (Python's allocations, tracemalloc)."""
    tracemalloc.start()
    try:
        yield
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < mib * 2**20, f"peak {peak / 2**20:.1f} MiB"


def _refused(call, match, path, param="data_dir"):
    with pytest.raises(ParameterError, match=match) as info:
        call()
    msg = str(info.value)
    assert info.value.param == param and msg.startswith(f"{param}: {path}") and "\n" not in msg, msg
    return msg


# ---------------------------------------------------------------------------------------------- IDX sizes
@pytest.mark.parametrize("gz", [False, True])
def test_idx_header_past_int64_is_refused_naming_the_file(tmp_path, gz):
    raw = idx_header(0x08, (2 ** 32 - 1,) * 3) + b"\x00" * 64  # 2^96 bytes: past int64
    p = tmp_path / "x.idx"
    p.write_bytes(gzip.compress(raw) if gz else raw)
    msg = _refused(lambda: read_idx(p), "needs|would need", p, param="path")
    assert ("would need about 10^28 bytes" in msg) if gz else ("file has 64" in msg)
    _refused(lambda: load_images("mnist", tmp_path), "needs|would need",
             _mnist(tmp_path, images=raw, gz=gz))


def test_declared_sizes_beyond_the_memory_cap_are_refused_before_reading(tmp_path):
    # 10^4 images of 28x28 float64 at 7.8 GB... declared in 16 header bytes of a gzip file
    p = tmp_path / "big.idx.gz"
    p.write_bytes(gzip.compress(idx_header(0x0E, (1_250_000, 28, 28)) + b"\x00" * 1000))
    with _peak_below(64):  # refused before allocating: no expansion, whatever the machine's speed
        msg = _refused(lambda: read_idx(p), "would need 7.3 GiB of memory; the readers allocate at most 2 GiB", p,
                       param="path")
    assert "MAX_BYTES" in msg
    # the cap is one module constant, read at each call
    q = tmp_path / "small.idx"
    q.write_bytes(idx_bytes(np.zeros((4, 1000))))
    assert read_idx(q).shape == (4, 1000)
    images.MAX_BYTES, old = 1000, images.MAX_BYTES
    try:
        _refused(lambda: read_idx(q), "would need 3.91 KiB of memory; the readers allocate at most 1000 bytes",
                 q, param="path")
    finally:
        images.MAX_BYTES = old


def test_gzip_is_inflated_only_as_far_as_the_header_declares(tmp_path, monkeypatch):
    # a gzip bomb: 64 MiB of zeros after a header that declares 1 image of 28 x 28
    comp = gzip.compress(idx_header(0x08, (1, 28, 28)) + bytes(64 * 2 ** 20), 9)
    assert len(comp) < 100_000
    p = tmp_path / "bomb.gz"
    p.write_bytes(comp)
    tracemalloc.start()
    try:
        _refused(lambda: read_idx(p), "malformed: more data than the 784 bytes", p, param="path")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 4 * 2 ** 20
    # and a header declaring more than the cap is refused before inflating
    monkeypatch.setattr(images, "MAX_BYTES", 2 ** 20)
    p.write_bytes(gzip.compress(idx_header(0x08, (2 ** 21,)) + bytes(2 ** 21), 9))
    _refused(lambda: read_idx(p), "would need 2 MiB", p, param="path")


@pytest.mark.parametrize("shape,match", [((5, 0, 28), "at least one pixel"), ((0, 28, 28), "at least one image")])
def test_images_of_no_pixels_are_refused(tmp_path, shape, match):
    p = _mnist(tmp_path, images=idx_bytes(np.zeros(shape)))
    _refused(lambda: load_images("mnist", tmp_path), match, p)


def test_training_and_test_images_of_different_sizes_are_refused(tmp_path):
    _mnist(tmp_path, test_images=idx_bytes(np.zeros((10, 27, 28))))
    _refused(lambda: load_images("mnist", tmp_path), "images of 27x28 pixels, but train-images-idx3-ubyte has 28x28",
             tmp_path / "t10k-images-idx3-ubyte")


# --------------------------------------------------------------------------------------------- IDX values
@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
@pytest.mark.parametrize("dtype", [">f4", ">f8"])
def test_float_images_that_are_not_finite_are_refused(tmp_path, bad, dtype):
    X = np.random.default_rng(1).random((20, 28, 28))
    X[3, 4, 5] = bad
    p = _mnist(tmp_path, images=idx_bytes(X, dtype), gz=True)
    _refused(lambda: load_images("mnist", tmp_path), f"values must be finite; found {bad} at flat index 2469", p)
    _refused(lambda: read_idx(p), "must be finite", p, param="path")


def test_finite_float_images_are_read(tmp_path):
    X = np.random.default_rng(1).random((20, 28, 28))
    _mnist(tmp_path, images=idx_bytes(X, ">f4"))
    got = load_images("mnist", tmp_path)[0]
    assert np.array_equal(got[:20], X.astype(np.float32).reshape(20, 784))


@pytest.mark.parametrize("X,dtype,match", [
    (np.full((20, 28, 28), 1e300), ">f8", "at most 3.4e38"),
    (np.full((20, 28, 28), 2 ** 30), ">i4", "at most 2\\^24"),
])
def test_pixels_float32_cannot_hold_are_refused(tmp_path, X, dtype, match):
    p = _mnist(tmp_path, images=idx_bytes(X, dtype))
    _refused(lambda: load_images("mnist", tmp_path), match, p)


def test_labels_must_be_integers(tmp_path):
    (tmp_path / "x").mkdir()
    p = _mnist(tmp_path, labels=idx_bytes(np.arange(20) % 10 + 0.5, ">f4"))
    _refused(lambda: load_images("mnist", tmp_path), "labels must be integers, got IDX type float32",
             p.with_name("train-labels-idx1-ubyte"))
    _refused(lambda: read_idx(tmp_path / "x"), "not a regular file", tmp_path / "x", param="path")


def test_a_directory_or_device_in_place_of_a_file_is_refused(tmp_path):
    _mnist(tmp_path)
    (tmp_path / "t10k-images-idx3-ubyte").unlink()
    (tmp_path / "t10k-images-idx3-ubyte.gz").symlink_to("/dev/zero")
    _refused(lambda: load_images("mnist", tmp_path), "not a regular file", tmp_path / "t10k-images-idx3-ubyte.gz")
    _refused(lambda: read_idx("/dev/zero"), "not a regular file", "/dev/zero", param="path")
    _cifar(tmp_path)
    (tmp_path / "test_batch").unlink()
    (tmp_path / "test_batch").mkdir()
    _refused(lambda: load_images("cifar10", tmp_path), "not a regular file", tmp_path / "test_batch")


# ------------------------------------------------------------------------------------------------- CIFAR
def _cifar(directory, **batch):
    """A small valid CIFAR-10 folder (4 images a batch), with ``batch``'s entries put into data_batch_2;
    the path of data_batch_2."""
    write_cifar(directory, per_batch=4, **batch)
    return directory / "data_batch_2"


def _shared_nested(depth):
    x = [0, 0]
    for _ in range(depth):
        x = [x, x]  # 2^depth leaves in a few hundred bytes of pickle
    return x


@pytest.mark.parametrize("batch,match", [
    ({"data": "x" * 3072}, "'data' must be an array of shape \\(N, 3072\\) with N >= 1 images, got str"),
    ({"data": np.array([["ab"] * 3072] * 4)}, "refused an array of dtype <U2"),
    ({"data": np.array([[1, "a"] * 1536] * 4, dtype=object)}, "refused an array of dtype object"),
    ({"data": [[10 ** 400] * 3072] * 4}, "got list"),
    ({"data": np.full((4, 3072), 300, np.int64)}, "pixels must be in 0..255 \\(uint8\\), found 300..300"),
    ({"data": np.full((4, 3072), np.nan)}, "integer pixels in 0..255 \\(uint8\\), got dtype float64"),
    ({"data": np.zeros((0, 3072), np.uint8), "labels": []}, "N >= 1 images"),
    ({"labels": [1, 2, 3.0, 4]}, "'labels' must be integers in 0..9, found float at position 2"),
    ({"labels": [1, True, 3, 4]}, "found bool at position 1"),
    ({"labels": [1, 2, 3, 10 ** 400]}, "labels must be in 0..9, found 1..\\(an integer of 1329 bits\\)"),
    ({"labels": np.array([1.0, 2, 3, 4])}, "'labels' must be a list of integers, got an array of dtype float64"),
    ({"labels": "1234"}, "'labels' must be a list of integers, got str"),
    ({"labels": _shared_nested(34)}, "4 images but 2 labels"),
    ({"labels": [_shared_nested(34)] * 4}, "found list at position 0"),
    ({"data": _shared_nested(34)}, "got list"),
])
def test_cifar_data_that_are_not_pixels_or_labels_are_refused_fast(tmp_path, batch, match):
    p = _cifar(tmp_path, **batch)
    with _peak_below(64):  # refused without expanding shared or nested structures
        _refused(lambda: read_cifar_batch(p), match, p, param="path")
        _refused(lambda: load_images("cifar10", tmp_path), match, p)


def test_cifar_integer_arrays_in_range_protocol_5_and_gzip_are_read(tmp_path):
    X = np.random.default_rng(3).integers(0, 256, (4, 3072))
    p = _cifar(tmp_path, data=X.astype(np.int16), labels=np.array([0, 9, 5, 5], np.int64))
    got, lab = read_cifar_batch(p)
    assert got.dtype == np.uint8 and np.array_equal(got, X) and lab.tolist() == [0, 9, 5, 5]
    p.write_bytes(gzip.compress(pickle.dumps({b"data": X.astype(np.uint8), b"labels": [1, 2, 3, 4]}, protocol=5)))
    assert np.array_equal(read_cifar_batch(p)[0], X)


class _Call:
    def __init__(self, fn, *args):
        self.fn, self.args = fn, args

    def __reduce__(self):
        return (self.fn, self.args)


@pytest.mark.parametrize("protocol", [0, 2, 4, 5])
@pytest.mark.parametrize("make", [
    lambda m: _Call(os.system, f"touch {m}"),
    lambda m: _Call(subprocess.Popen, ["touch", str(m)]),
    lambda m: _Call(eval, f"open({str(m)!r}, 'w')"),
    lambda m: _Call(np.ndarray, (2 ** 40,)),  # numpy.ndarray is allowed only inside the array reconstruction
])
def test_pickles_that_call_anything_are_refused_without_running(tmp_path, protocol, make):
    marker = tmp_path / "pwned"
    p = tmp_path / "batch"
    with open(p, "wb") as f:
        pickle.dump({b"data": np.zeros((1, 3072), np.uint8), b"labels": [0], b"x": make(marker)}, f,
                    protocol=protocol)
    _refused(lambda: read_cifar_batch(p), "refused", p, param="path")
    assert not marker.exists()


@pytest.mark.parametrize("raw,match", [
    (b"\x80\x04\x8e" + struct.pack("<Q", 2 ** 60) + b"abc.", "truncated or malformed pickle"),  # BINBYTES8
    (b"\x80\x04\x8d" + struct.pack("<Q", 2 ** 40) + b"abc.", "truncated or malformed pickle"),  # BINUNICODE8
    (b"\x80\x02]r" + struct.pack("<I", 2 ** 32 - 1) + b".", "refused a memo index 4294967295"),  # LONG_BINPUT
    (b"\x80\x04\x95" + struct.pack("<Q", 2 ** 50) + b"}.", "refused a frame of 1125899906842624 bytes"),
    (b"\x80\x02cposix\nsystem\nX\x02\x00\x00\x00lsR.", "refused to load posix.system"),
    (b"\x80\x04\x8c\x03o\ns\x8c\x01x\x93.", "refused to load o\\\\ns.x"),  # a name with a newline: one line
    (b"\x80\x02K\x01K\x02\x82.", "refused the pickle opcode EXT1"),
    (b"(cnumpy\ndtype\nS'u1'\no.", "refused the pickle opcode OBJ"),
    (b"L" + b"9" * 100_000 + b"L\n.", "truncated or malformed pickle"),  # a decimal too long to convert
    (b"\x80\x02cnumpy\ndtype\n}X\x03\x00\x00\x00abcK\x01sb.", "refused a state for numpy.dtype"),  # BUILD
    (b"\x80\x02" + b"]" * 100_000 + b"a" * 99_999 + b".", "expected a dict .* got list"),  # 100000 deep
])
def test_pickle_streams_that_declare_more_than_they_hold_are_refused(tmp_path, raw, match):
    p = tmp_path / "test_batch"
    p.write_bytes(raw)
    with _peak_below(64):
        _refused(lambda: read_cifar_batch(p), match, p, param="path")


def test_a_dtype_state_that_crashes_numpy_is_refused_before_numpy_sees_it(tmp_path):
    # numpy.dtype.__setstate__((3, '|', 1313754702, -1, -1, 0)) is a segmentation fault (numpy 2.4): the
    # reader reads a dtype's state itself and never hands it to numpy; checked in a child process
    raw = pickle.dumps({b"data": np.zeros((1, 3072), np.uint8), b"labels": [0]}, protocol=4)
    p = tmp_path / "test_batch"
    p.write_bytes(raw.replace(b"|\x94NNN", b"|JNNNN"))
    code = ("import sys; from rafmodel.data.images import read_cifar_batch\n"
            "try:\n    read_cifar_batch(sys.argv[1])\nexcept ValueError as e:\n    print(e)")
    env = {**os.environ, "PYTHONPATH": str(Path(rafmodel.__file__).parents[1])}
    out = subprocess.run([sys.executable, "-c", code, str(p)], capture_output=True, text=True, timeout=60, env=env)
    assert out.returncode == 0 and "refused a dtype state other than the byte order" in out.stdout, out


@pytest.mark.parametrize("old,new,match", [
    (b"|\x94NNN", b"|K\x94NN", "refused a dtype state other than the byte order"),
    (b"\x89B\x00\x0c\x00\x00", b"\x89X\x00\x0c\x00\x00",  # the data a string, not bytes
     "refused an array of shape \\(1, 3072\\) and dtype uint8 whose data are not its 3072 bytes"),
])
def test_array_and_dtype_states_are_read_by_the_reader(tmp_path, old, new, match):
    raw = pickle.dumps({b"data": np.zeros((1, 3072), np.uint8), b"labels": [0]}, protocol=4)
    assert old in raw
    p = tmp_path / "test_batch"
    p.write_bytes(raw.replace(old, new))
    _refused(lambda: read_cifar_batch(p), match, p, param="path")


def test_pickles_of_more_opcodes_than_a_batch_holds_are_refused(tmp_path, monkeypatch):
    # each opcode may build an object: 1 MB of EMPTY_LIST would be a million lists
    p = tmp_path / "test_batch"
    p.write_bytes(b"\x80\x02" + b"]" * 1001 + b".")
    monkeypatch.setattr(images, "_MAX_PICKLE_OPCODES", 1000)
    _refused(lambda: read_cifar_batch(p), "refused a pickle of more than 1000 opcodes", p, param="path")


def test_array_state_that_declares_more_than_its_data_is_refused(tmp_path, monkeypatch):
    raw = pickle.dumps({b"data": np.zeros((2, 3072), np.uint8), b"labels": [0, 1]}, protocol=2)
    p = tmp_path / "test_batch"
    # the array's shape (2, 3072) becomes (2**31, 3072) in its state: 6 TiB from a 6 KiB file
    shape = b"\x8a\x05" + (2 ** 31).to_bytes(5, "little") + b"M\x00\x0c\x86"  # LONG1 2^31, 3072, TUPLE2
    p.write_bytes(raw.replace(b"K\x02M\x00\x0c\x86", shape))
    _refused(lambda: read_cifar_batch(p), "refused an array of shape \\(2147483648, 3072\\): it would need 6 TiB",
             p, param="path")
    monkeypatch.setattr(images, "MAX_BYTES", 2 ** 20)
    p.write_bytes(gzip.compress(bytes(2 ** 22)))  # a gzipped pickle that inflates past the cap
    _refused(lambda: read_cifar_batch(p), "the inflated pickle \\(at least\\) would need 1 MiB", p, param="path")
    p.write_bytes(bytes(2 ** 20 + 1))
    _refused(lambda: read_cifar_batch(p), "the pickle would need 1 MiB", p, param="path")


# ------------------------------------------------------------------------------------------ command line
def _raf(*argv):
    env = {**os.environ, "PYTHONPATH": str(Path(rafmodel.__file__).parents[1])}
    return subprocess.run([sys.executable, "-m", "rafmodel", "realdata", *argv, "--alpha", "0.02", "--eps", "0",
                           "--lam", "1", "--rule", "1,2", "--facts", "0"],
                          capture_output=True, text=True, timeout=120, env=env)


def test_command_line_refuses_hostile_files_with_one_line(tmp_path):
    nan = tmp_path / "nan"
    nan.mkdir()
    X = np.random.default_rng(1).random((20, 28, 28))
    X[0, 0, 0] = np.nan
    _mnist(nan, images=idx_bytes(X, ">f8"))
    big = tmp_path / "big"
    big.mkdir()
    _mnist(big, images=idx_header(0x08, (2 ** 32 - 1,) * 3) + b"\x00" * 64, gz=True)
    evil = tmp_path / "evil"
    evil.mkdir()
    marker = tmp_path / "pwned"
    _cifar(evil, x=_Call(os.system, f"touch {marker}"))
    for directory, dataset, words in ((nan, "mnist", "must be finite"), (big, "mnist", "would need"),
                                      (evil, "cifar10", "refused to load posix.system")):
        p = _raf("--dataset", dataset, "--data-dir", str(directory))
        assert p.returncode == 2 and p.stdout == "", p.stderr
        assert p.stderr.startswith(f"raf realdata: error: data-dir: {directory}"), p.stderr
        assert words in p.stderr and p.stderr.count("\n") == 1 and "Traceback" not in p.stderr
    assert not marker.exists()


def test_bad_classes_are_refused_before_any_file_is_read(tmp_path, monkeypatch):
    from rafmodel.data import ImageRAF, real

    def fail(*args):
        raise AssertionError("a file was read")

    monkeypatch.setattr(real, "load_images", fail)
    for kw, param in (({"rule": (3, 3)}, "rule"), ({"facts": 12}, "facts"), ({"n_test": -1}, "n_test")):
        with pytest.raises(ParameterError) as info:
            ImageRAF("cifar10", data_dir=tmp_path, **kw)
        assert info.value.param == param
