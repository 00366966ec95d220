"""Loaders of local image files: the real formats written here, and bad or hostile files refused."""

import csv
import gzip
import io
import os
import pickle

import numpy as np
import pytest

from rafmodel import ParameterError
from rafmodel.cli import main
from rafmodel.data import load_images
from rafmodel.data.images import read_cifar_batch, read_idx

from _images import idx_bytes, write_cifar, write_mnist


@pytest.mark.parametrize("gz", [True, False])
def test_idx_files_are_read_back_exactly(tmp_path, gz):
    written = write_mnist(tmp_path, gz=gz)
    X, y = load_images("mnist", tmp_path)
    expect_X = np.concatenate([written["train"][0], written["t10k"][0]]).reshape(40, 784)
    assert X.shape == (40, 784) and X.dtype.kind == "f"
    assert np.array_equal(X, expect_X)
    assert np.array_equal(y, np.concatenate([written["train"][1], written["t10k"][1]]))


def test_idx_other_types_and_env_variable(tmp_path, monkeypatch):
    (tmp_path / "a.idx").write_bytes(idx_bytes(np.array([[1, -2], [3, 4]]), ">i4"))
    assert read_idx(tmp_path / "a.idx").tolist() == [[1, -2], [3, 4]]
    sub = tmp_path / "fashion-mnist"
    sub.mkdir()
    write_mnist(sub, gz=False)
    monkeypatch.setenv("RAF_DATA", str(tmp_path))  # a subdirectory named after the dataset is used
    assert load_images("fashion-mnist")[0].shape == (40, 784)


@pytest.mark.parametrize("damage,msg", [
    (lambda raw: raw[:-5], "truncated"),
    (lambda raw: b"\x08\x00" + raw[2:], "wrong magic number"),
    (lambda raw: raw + b"\x00\x00", "malformed"),
    (lambda raw: raw[:6], "truncated"),
])
def test_bad_idx_files_are_refused_naming_the_file(tmp_path, damage, msg):
    write_mnist(tmp_path, gz=False)
    p = tmp_path / "train-images-idx3-ubyte"
    p.write_bytes(damage(p.read_bytes()))
    with pytest.raises(ParameterError, match=msg) as info:
        load_images("mnist", tmp_path)
    assert str(p) in str(info.value) and "\n" not in str(info.value)


def test_truncated_gzip_and_labels_out_of_range(tmp_path):
    write_mnist(tmp_path, gz=True)
    p = tmp_path / "t10k-images-idx3-ubyte.gz"
    p.write_bytes(p.read_bytes()[:40])
    with pytest.raises(ParameterError, match="gzip"):
        load_images("mnist", tmp_path)
    write_mnist(tmp_path, gz=True)
    (tmp_path / "t10k-labels-idx1-ubyte.gz").write_bytes(gzip.compress(idx_bytes(np.full(10, 12, np.uint8))))
    with pytest.raises(ParameterError, match=r"class labels must be in 0..9, found 12..12"):
        load_images("mnist", tmp_path)


@pytest.mark.parametrize("protocol", [2, 4])
def test_cifar_batches_are_read_back_exactly(tmp_path, protocol):
    b = write_cifar(tmp_path, protocol=protocol)
    X, y = load_images("cifar10", tmp_path)
    assert X.shape == (72, 3072)
    assert np.array_equal(X[:12], b["data_batch_1"][0]) and np.array_equal(X[-12:], b["test_batch"][0])
    assert y.tolist() == sum((b[k][1] for k in b), [])


class _Hostile:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def test_hostile_pickle_is_refused_without_running(tmp_path):
    write_cifar(tmp_path)
    marker = tmp_path / "pwned"
    target = tmp_path / "data_batch_3"
    with open(target, "wb") as f:
        pickle.dump({b"data": np.zeros((1, 3072), np.uint8), b"labels": [0], b"x": _Hostile(marker)}, f, protocol=2)
    with pytest.raises(ParameterError) as info:
        read_cifar_batch(target)
    assert not marker.exists()
    assert str(target) in str(info.value) and "refused" in str(info.value) and "system" in str(info.value)
    assert main(["realdata", "--dataset", "cifar10", "--data-dir", str(tmp_path), "--alpha", "0.001",
                 "--eps", "0", "--lam", "1"]) == 2
    assert not marker.exists()


def test_cifar_bad_files(tmp_path, capsys):
    write_cifar(tmp_path)
    (tmp_path / "test_batch").write_bytes((tmp_path / "test_batch").read_bytes()[:100])
    with pytest.raises(ParameterError, match="test_batch: truncated or malformed pickle"):
        load_images("cifar10", tmp_path)
    (tmp_path / "test_batch").unlink()
    assert main(["realdata", "--dataset", "cifar10", "--data-dir", str(tmp_path), "--alpha", "1",
                 "--eps", "0", "--lam", "1"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "test_batch: missing" in err and "Traceback" not in err
    with open(tmp_path / "test_batch", "wb") as f:
        pickle.dump({b"data": np.zeros((2, 3072), np.uint8), b"labels": [3, 10]}, f, protocol=2)
    with pytest.raises(ParameterError, match="labels must be in 0..9"):
        load_images("cifar10", tmp_path)
    with open(tmp_path / "test_batch", "wb") as f:
        pickle.dump([1, 2, 3], f, protocol=2)
    with pytest.raises(ParameterError, match="expected a dict"):
        load_images("cifar10", tmp_path)


def test_missing_directory_and_files(tmp_path, monkeypatch, capsys):
    monkeypatch.delenv("RAF_DATA", raising=False)
    with pytest.raises(ParameterError, match="data_dir: .*nothing is downloaded"):
        load_images("mnist")
    with pytest.raises(ParameterError, match="not a directory"):
        load_images("cifar10", tmp_path / "nope")
    with pytest.raises(ParameterError, match="train-images-idx3-ubyte: missing"):
        load_images("mnist", tmp_path)
    with pytest.raises(ParameterError, match="dataset: unknown dataset 'svhn'"):
        load_images("svhn")
    assert main(["realdata", "--dataset", "mnist", "--data-dir", str(tmp_path), "--alpha", "1", "--eps", "0",
                 "--lam", "1"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("raf realdata: error: data-dir: ") and err.count("\n") == 1


def test_mnist_files_end_to_end(tmp_path, capsys):
    write_mnist(tmp_path, n_train=200, n_test=50, gz=True)
    rc = main(["realdata", "--dataset", "mnist", "--data-dir", str(tmp_path), "--rule", "1,2", "--facts", "0",
               "--alpha", "0.03", "--eps", "0.25", "--lam", "0.1", "--seeds", "2", "--csv"])
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert rc == 0 and len(rows) == 1
    row = rows[0]
    # 25 images per class: 9 per rule class in training (18 rule + 6 facts), 16 of each held out
    assert (row["dataset"], row["rule"], row["d"], row["n"], row["n_test"]) == ("mnist", "1,2", "784", "24", "32")
    assert main(["realdata", "--dataset", "mnist", "--data-dir", str(tmp_path), "--alpha", "0.1", "--eps", "0",
                 "--lam", "0.1", "--rule", "1,2", "--facts", "0"]) == 2
    assert "alpha: " in capsys.readouterr().err
