"""Image files in the formats the readers take, written here: IDX (MNIST, Fashion-MNIST) and
CIFAR-10's pickled batches, whole or with any part replaced by the bytes a test gives."""

from __future__ import annotations

import gzip
import pickle
import struct

import numpy as np

#: IDX type byte of each element type the format allows.
IDX_TYPE = {np.dtype(np.uint8): 0x08, np.dtype(np.int8): 0x09, np.dtype(">i2"): 0x0B, np.dtype(">i4"): 0x0C,
            np.dtype(">f4"): 0x0D, np.dtype(">f8"): 0x0E}


def idx_header(type_byte, shape):
    """The IDX header: two zero bytes, the type byte, the rank, then each size as a big-endian uint32."""
    return bytes([0, 0, type_byte, len(shape)]) + b"".join(struct.pack(">I", s) for s in shape)


def idx_bytes(arr, dtype=np.uint8):
    """``arr`` as an IDX file's bytes, its elements of ``dtype`` (one of :data:`IDX_TYPE`)."""
    arr = np.asarray(arr).astype(dtype)
    return idx_header(IDX_TYPE[arr.dtype], arr.shape) + arr.tobytes()


def write_mnist(directory, n_train=30, n_test=10, gz=True, rng=None, replace=None):
    """An MNIST folder of random 28 x 28 images labelled 0..9 in turn; ``{"train": (X, y), "t10k": (X, y)}``.

    ``replace``: ``{file name without .gz: bytes}`` written in place of that file's.
    """
    rng = np.random.default_rng(0) if rng is None else rng
    out, replace = {}, replace or {}
    for prefix, n in (("train", n_train), ("t10k", n_test)):
        X = rng.integers(0, 256, size=(n, 28, 28), dtype=np.uint8)
        y = np.arange(n, dtype=np.uint8) % 10
        for name, arr in ((f"{prefix}-images-idx3-ubyte", X), (f"{prefix}-labels-idx1-ubyte", y)):
            raw = replace.get(name, idx_bytes(arr))
            path = directory / (name + (".gz" if gz else ""))
            path.write_bytes(gzip.compress(raw, 1) if gz else raw)
        out[prefix] = (X, y)
    return out


CIFAR_BATCHES = [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]


def write_cifar(directory, per_batch=12, protocol=2, rng=None, **batch_2):
    """A CIFAR-10 folder of random batches as the real ones are pickled (a dict with bytes keys);
    ``{batch name: (X, labels)}``.  ``batch_2``: entries put into data_batch_2's dict (by name)."""
    rng = np.random.default_rng(1) if rng is None else rng
    batches = {}
    for name in CIFAR_BATCHES:
        X = rng.integers(0, 256, size=(per_batch, 3072), dtype=np.uint8)
        labels = [int(v) for v in rng.integers(0, 10, per_batch)]
        d = {b"batch_label": name.encode(), b"labels": labels, b"data": X, b"filenames": [b"x.png"] * per_batch}
        if name == "data_batch_2":
            d.update({k.encode(): v for k, v in batch_2.items()})
        with open(directory / name, "wb") as f:
            pickle.dump(d, f, protocol=protocol)
        batches[name] = (X, labels)
    return batches
