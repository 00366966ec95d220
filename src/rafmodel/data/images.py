"""Labelled image datasets read from local files, never downloaded, never executed.

* ``digits``: the 8x8 handwritten digits shipped with scikit-learn (1797 images,
  ``d = 64``), available anywhere offline;
* ``mnist``, ``fashion-mnist``: IDX files ``train-images-idx3-ubyte``,
  ``train-labels-idx1-ubyte``, ``t10k-images-idx3-ubyte``, ``t10k-labels-idx1-ubyte``
  (each plain or with a ``.gz`` suffix), 28x28 images, ``d = 784``;
* ``cifar10``: the python batches ``data_batch_1`` ... ``data_batch_5`` and
  ``test_batch`` (32x32x3 images, ``d = 3072``).  They are pickles: they are read by
  an unpickler that builds only dicts, lists, strings, bytes, numbers and numpy
  arrays and refuses anything else, naming the file, before it runs.

The directory is ``data_dir`` or else the ``RAF_DATA`` environment variable.  Any
missing, truncated or malformed file raises :class:`rafmodel.ParameterError`
(parameter ``data_dir``) with one line naming the file and what was expected.
"""

from __future__ import annotations

import gzip
import io
import os
import pickle
from pathlib import Path

import numpy as np

from ..exceptions import ParameterError

__all__ = ["DATASETS", "load_images", "read_idx", "read_cifar_batch", "SafeUnpickler"]

#: Datasets this module reads, with the number of classes.
DATASETS = {"digits": 10, "mnist": 10, "fashion-mnist": 10, "cifar10": 10}

_IDX_TYPES = {0x08: np.uint8, 0x09: np.int8, 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}
_CIFAR_FILES = tuple(f"data_batch_{i}" for i in range(1, 6)) + ("test_batch",)


def _bad(path, what):
    return ParameterError("data_dir", f"{path}: {what}")


def _read_bytes(path: Path) -> bytes:
    try:
        raw = path.read_bytes()
    except OSError as e:
        raise _bad(path, f"cannot be read ({e.strerror or e})") from None
    if raw[:2] == b"\x1f\x8b":
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError, gzip.BadGzipFile) as e:
            raise _bad(path, f"a truncated or corrupt gzip file ({e})") from None
    return raw


def read_idx(path: str | os.PathLike[str]) -> np.ndarray:
    """Read an IDX file (plain or gzipped) into an array.

    Parameters
    ----------
    path : str or path-like
        The file (``.gz`` or not: gzip is detected from its first bytes).

    Returns
    -------
    ndarray
        Of the file's type and shape (``(N, rows, cols)`` images, ``(N,)`` labels).

    Raises
    ------
    ParameterError
        (``data_dir``) a missing file, a bad magic number, or a size that does not
        match the header.
    """
    path = Path(path)
    raw = _read_bytes(path)
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] not in _IDX_TYPES or raw[3] == 0:
        raise _bad(path, f"wrong magic number {raw[:4].hex() or '(empty file)'}; expected an IDX file "
                         "(00 00, a type byte 08-0e, the number of dimensions)")
    ndim = raw[3]
    if len(raw) < 4 + 4 * ndim:
        raise _bad(path, f"truncated IDX header ({len(raw)} bytes for {ndim} dimensions)")
    shape = tuple(int(x) for x in np.frombuffer(raw, ">u4", count=ndim, offset=4))
    dtype = np.dtype(_IDX_TYPES[raw[2]])
    need = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    have = len(raw) - 4 - 4 * ndim
    if have != need:
        raise _bad(path, f"{'truncated' if have < need else 'malformed'}: the header {shape} needs {need} "
                         f"data bytes, the file has {have}")
    return np.frombuffer(raw, dtype, offset=4 + 4 * ndim).reshape(shape)


class SafeUnpickler(pickle.Unpickler):
    """An unpickler that builds only what CIFAR-10's python batches contain.

    Allowed globals: numpy's array reconstruction (``numpy.core.multiarray._reconstruct``,
    ``numpy.ndarray``, ``numpy.dtype``) and ``(_)codecs.encode``, which a byte string
    pickled with protocol 2 needs.  Any other global (``os.system``, ``builtins.eval``,
    ``subprocess.Popen``, ...) raises :class:`pickle.UnpicklingError` before anything
    is called.

    Parameters
    ----------
    file : binary file
        The pickle stream.
    path : str
        The file's name, for the error message.
    """

    _ALLOWED = {("numpy.core.multiarray", "_reconstruct"), ("numpy._core.multiarray", "_reconstruct"),
                ("numpy", "ndarray"), ("numpy", "dtype"), ("codecs", "encode"), ("_codecs", "encode")}

    def __init__(self, file: io.BufferedIOBase, path: str = "<pickle>") -> None:
        super().__init__(file, encoding="bytes")
        self.path = path

    def find_class(self, module: str, name: str) -> type:
        """The allowed globals; refuse every other one.

        Parameters
        ----------
        module, name : str
            The global the stream asks for.

        Returns
        -------
        type
            The allowed object.

        Raises
        ------
        pickle.UnpicklingError
            A global outside the allowed list (nothing is imported or run).
        """
        if (module, name) in self._ALLOWED:
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"{self.path}: refused to load {module}.{name}: a CIFAR-10 batch holds only "
                                     "a dict of arrays, lists and strings")


def read_cifar_batch(path: str | os.PathLike[str]) -> tuple[np.ndarray, np.ndarray]:
    """Read one CIFAR-10 python batch with :class:`SafeUnpickler`.

    Parameters
    ----------
    path : str or path-like
        A ``data_batch_i`` or ``test_batch`` file.

    Returns
    -------
    X : ndarray of shape (N, 3072), uint8
        The images (channel-major, as stored).
    labels : ndarray of shape (N,), int64
        Class labels in ``0..9``.

    Raises
    ------
    ParameterError
        (``data_dir``) a missing, truncated or malformed file, a pickle asking for
        anything but plain data, or labels outside ``0..9``.
    """
    path = Path(path)
    raw = _read_bytes(path)
    try:
        obj = SafeUnpickler(io.BytesIO(raw), str(path)).load()
    except pickle.UnpicklingError as e:
        msg = str(e)
        raise _bad(path, msg.split(": ", 1)[1] if msg.startswith(str(path)) else f"truncated or malformed pickle ({msg})") from None
    except (EOFError, ValueError, TypeError, AttributeError, IndexError, KeyError, OverflowError) as e:
        raise _bad(path, f"truncated or malformed pickle ({type(e).__name__}: {e})") from None
    if not isinstance(obj, dict):
        raise _bad(path, f"expected a dict with b'data' and b'labels', got {type(obj).__name__}")
    obj = {k.decode() if isinstance(k, bytes) else k: v for k, v in obj.items()}
    if "data" not in obj or "labels" not in obj:
        raise _bad(path, f"expected keys 'data' and 'labels', got {sorted(map(str, obj))}")
    X, labels = obj["data"], obj["labels"]
    if not isinstance(X, np.ndarray) or X.ndim != 2 or X.shape[1] != 3072:
        raise _bad(path, f"'data' must be an array of shape (N, 3072), got {getattr(X, 'shape', type(X).__name__)}")
    try:
        labels = np.asarray(labels, dtype=np.int64)
    except (TypeError, ValueError):
        raise _bad(path, "'labels' must be a list of integers") from None
    if labels.shape != (X.shape[0],):
        raise _bad(path, f"{X.shape[0]} images but {labels.size} labels")
    _check_labels(path, labels)
    return np.asarray(X, dtype=np.uint8), labels


def _check_labels(path, labels, k=10):
    if labels.size and (labels.min() < 0 or labels.max() >= k):
        raise _bad(path, f"class labels must be in 0..{k - 1}, found {int(labels.min())}..{int(labels.max())}")


def _find(directory: Path, name: str) -> Path:
    for p in (directory / name, directory / (name + ".gz")):
        if p.is_file():
            return p
    raise _bad(directory / name, "missing (expected this IDX file, plain or .gz)")


def _data_dir(dataset, data_dir):
    if data_dir is None:
        data_dir = os.environ.get("RAF_DATA")
        if not data_dir:
            raise ParameterError("data_dir", f"dataset {dataset!r} is read from local files: give a directory "
                                             "(--data-dir or the RAF_DATA environment variable); nothing is "
                                             "downloaded")
    path = Path(data_dir).expanduser()
    if not path.is_dir():
        raise _bad(path, f"not a directory (expected the {dataset} files there)")
    sub = path / dataset
    return sub if sub.is_dir() else path


def load_images(dataset: str = "digits", data_dir: str | os.PathLike[str] | None = None
                ) -> tuple[np.ndarray, np.ndarray]:
    """All images of a dataset (training and test files together) and their labels.

    Parameters
    ----------
    dataset : {'digits', 'mnist', 'fashion-mnist', 'cifar10'}
        Which dataset.
    data_dir : str or path-like, optional
        Directory of the files (or of a subdirectory named after the dataset);
        default the ``RAF_DATA`` environment variable.  Not used for ``digits``.

    Returns
    -------
    X : ndarray of shape (N, d)
        Flattened images, raw pixel values (float64 for digits, float32 for the file
        datasets, to halve the memory of CIFAR-10's 60000 x 3072).
    labels : ndarray of shape (N,), int64
        Classes ``0..9``.

    Raises
    ------
    ParameterError
        An unknown dataset (``dataset``), or a missing directory or file, a wrong magic
        number, a truncated or malformed file, labels out of range (``data_dir``).

    Examples
    --------
    >>> X, labels = load_images("digits")
    >>> X.shape, int(labels.max())
    ((1797, 64), 9)
    """
    key = str(dataset).strip().lower()
    if key not in DATASETS:
        raise ParameterError("dataset", f"unknown dataset {dataset!r}; allowed: {', '.join(DATASETS)}")
    if key == "digits":
        from sklearn.datasets import load_digits

        b = load_digits()
        return np.asarray(b.data, dtype=float), np.asarray(b.target, dtype=np.int64)
    directory = _data_dir(key, data_dir)
    if key == "cifar10":
        parts = []
        for name in _CIFAR_FILES:
            p = directory / name
            if not p.is_file():
                raise _bad(p, "missing (expected the CIFAR-10 python batches data_batch_1..5 and test_batch)")
            parts.append(read_cifar_batch(p))
        return (np.concatenate([x for x, _ in parts]).astype(np.float32), np.concatenate([lab for _, lab in parts]))
    Xs, ys = [], []
    for prefix in ("train", "t10k"):
        pi, pl = _find(directory, f"{prefix}-images-idx3-ubyte"), _find(directory, f"{prefix}-labels-idx1-ubyte")
        X, lab = read_idx(pi), read_idx(pl)
        if X.ndim != 3:
            raise _bad(pi, f"expected images of shape (N, rows, cols), got {X.shape}")
        if lab.ndim != 1 or lab.shape[0] != X.shape[0]:
            raise _bad(pl, f"expected {X.shape[0]} labels (one per image of {pi.name}), got shape {lab.shape}")
        lab = lab.astype(np.int64)
        _check_labels(pl, lab)
        Xs.append(X.reshape(X.shape[0], -1).astype(np.float32))
        ys.append(lab)
    return np.concatenate(Xs), np.concatenate(ys)
