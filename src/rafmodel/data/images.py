"""Labelled image datasets read from local files, never downloaded, never executed.

* ``digits``: the 8x8 handwritten digits shipped with scikit-learn (1797 images,
  ``d = 64``), available anywhere offline;
* ``mnist``, ``fashion-mnist``: IDX files ``train-images-idx3-ubyte``,
  ``train-labels-idx1-ubyte``, ``t10k-images-idx3-ubyte``, ``t10k-labels-idx1-ubyte``
  (each plain or with a ``.gz`` suffix), 28x28 images, ``d = 784``;
* ``cifar10``: the python batches ``data_batch_1`` ... ``data_batch_5`` and
  ``test_batch`` (32x32x3 images, ``d = 3072``).  They are pickles: they are read by
  an unpickler that builds only dicts, lists, strings, bytes, numbers and numpy
  arrays of numbers and refuses anything else, naming the file, before it runs.

What a file declares is checked before anything is allocated or inflated: an IDX
header's sizes against the file's length and :data:`MAX_BYTES`, a pickle's lengths and
memo indices against the file, a gzip file is inflated chunk by chunk and never past
what its header declares (or :data:`MAX_BYTES`).  What was read is checked next: IDX
values finite and (for images) exactly representable as float32, CIFAR pixels integers
in ``0..255``, labels integers in ``0..9``, one per image, images of at least one pixel.

The directory is ``data_dir`` or else the ``RAF_DATA`` environment variable.  Any
missing, truncated, oversized or malformed file raises :class:`rafmodel.ParameterError`
(parameter ``data_dir``; ``path`` for :func:`read_idx` and :func:`read_cifar_batch`)
with one line naming the file and what was expected.
"""

from __future__ import annotations

import codecs
import gzip
import io
import math
import os
import pickle
import pickletools
import stat
import zlib
from pathlib import Path

import numpy as np

from ..exceptions import ParameterError

__all__ = ["DATASETS", "MAX_BYTES", "load_images", "read_idx", "read_cifar_batch", "SafeUnpickler"]

#: Datasets this module reads, with the number of classes.
DATASETS = {"digits": 10, "mnist": 10, "fashion-mnist": 10, "cifar10": 10}

#: The most memory, in bytes, that a reader allocates for one file, and
#: :func:`load_images` for one dataset as float32 (2 GiB; MNIST needs 0.2 GiB, CIFAR-10
#: 0.7 GiB).  A file whose declared or inflated size is larger is refused before it is
#: read.  Assign ``rafmodel.data.images.MAX_BYTES`` to change it.
MAX_BYTES = 2 * 1024 ** 3

_CHUNK = 1 << 24  # bytes read (or inflated) at a time

_IDX_TYPES = {0x08: np.dtype(np.uint8), 0x09: np.dtype(np.int8), 0x0B: np.dtype(">i2"), 0x0C: np.dtype(">i4"),
              0x0D: np.dtype(">f4"), 0x0E: np.dtype(">f8")}
_IDX_NAMES = {0x08: "uint8", 0x09: "int8", 0x0B: "int16", 0x0C: "int32", 0x0D: "float32", 0x0E: "float64"}
_CIFAR_FILES = tuple(f"data_batch_{i}" for i in range(1, 6)) + ("test_batch",)
_CIFAR_D = 3072
_FLOAT32_EXACT_INT = 2 ** 24  # integers up to this size are exact in float32


def _show(path) -> str:
    text = str(path)
    return text if len(text) <= 240 else text[:120] + "..." + text[-100:]


def _bad(path, what, param="data_dir"):
    text = f"{_show(path)}: {what}"  # one line, whatever a file name or a hostile file holds
    return ParameterError(param, "".join(c if c.isprintable() else repr(c)[1:-1] for c in text))


def _size(n: int) -> str:
    """``n`` bytes in words, for any size (a header can declare more than a float holds)."""
    if n >= 1024 ** 6:
        return f"about 10^{len(str(n)) - 1} bytes"
    for unit, f in (("PiB", 1024 ** 5), ("TiB", 1024 ** 4), ("GiB", 1024 ** 3), ("MiB", 1024 ** 2), ("KiB", 1024)):
        if n >= f:
            return f"{n / f:.3g} {unit}"
    return f"{n} bytes"


def _check_memory(path, need: int, what: str, param: str) -> None:
    if need > MAX_BYTES:
        raise _bad(path, f"{what} would need {_size(need)} of memory; the readers allocate at most "
                         f"{_size(MAX_BYTES)} (rafmodel.data.images.MAX_BYTES)", param)


def _shape_text(shape) -> str:
    return str(tuple(shape)) if len(shape) <= 6 else f"({', '.join(map(str, shape[:4]))}, ...: {len(shape)} dimensions)"


class _Source:
    """A regular file opened for bounded reading: plain, or inflated from gzip chunk by chunk."""

    def __init__(self, path: Path, param: str) -> None:
        self.path, self.param = path, param
        try:
            st = path.stat()
        except (OSError, ValueError) as e:
            raise _bad(path, f"cannot be read ({getattr(e, 'strerror', None) or e})", param) from None
        if not stat.S_ISREG(st.st_mode):
            raise _bad(path, "not a regular file", param)
        try:
            self._file = open(path, "rb")
        except OSError as e:
            raise _bad(path, f"cannot be read ({e.strerror or e})", param) from None
        self.size, self.gzip = st.st_size, False
        try:
            self.gzip = self._guard(lambda: self._file.read(2)) == b"\x1f\x8b"
            self._file.seek(0)
        except BaseException:
            self._file.close()
            raise
        self.stream = gzip.GzipFile(fileobj=self._file, mode="rb") if self.gzip else self._file

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if self.gzip:
            self.stream.close()
        self._file.close()

    def _guard(self, read):
        try:
            return read()
        except (OSError, EOFError, zlib.error) as e:
            if self.gzip:
                raise _bad(self.path, f"a truncated or corrupt gzip file ({e})", self.param) from None
            raise _bad(self.path, f"cannot be read ({getattr(e, 'strerror', None) or e})", self.param) from None

    def read(self, n: int) -> bytes:
        """At most ``n`` bytes (inflated), read in chunks; fewer at the end of the file."""
        parts, got = [], 0
        while got < n:
            part = self._guard(lambda: self.stream.read(min(_CHUNK, n - got)))
            if not part:
                break
            parts.append(part)
            got += len(part)
        return b"".join(parts)

    def readinto(self, buf: np.ndarray) -> int:
        """Fill the byte array ``buf`` in chunks; the number of bytes read."""
        got, n = 0, buf.size
        while got < n:
            k = self._guard(lambda: self.stream.readinto(memoryview(buf[got:got + _CHUNK])))
            if not k:
                break
            got += k
        return got


# ------------------------------------------------------------------------------------------------ IDX
def _idx_header(src: _Source) -> tuple[np.dtype, tuple[int, ...], int, int]:
    """Type, shape, type byte and data bytes of an IDX file, checked against its size and the cap."""
    path, param = src.path, src.param
    head = src.read(4)
    if len(head) < 4 or head[0] != 0 or head[1] != 0 or head[2] not in _IDX_TYPES or head[3] == 0:
        raise _bad(path, f"wrong magic number {head.hex() or '(empty file)'}; expected an IDX file "
                         "(00 00, a type byte 08-0e, the number of dimensions)", param)
    ndim = head[3]
    dims = src.read(4 * ndim)
    if len(dims) < 4 * ndim:
        raise _bad(path, f"truncated IDX header ({4 + len(dims)} bytes for {ndim} dimensions)", param)
    shape = tuple(int.from_bytes(dims[4 * i:4 * i + 4], "big") for i in range(ndim))
    dtype = _IDX_TYPES[head[2]]
    need = math.prod(shape) * dtype.itemsize  # Python integers: no overflow, however large
    if not src.gzip:  # a plain file's length is known: compare before anything is read
        have = src.size - 4 - 4 * ndim
        if have != need:
            raise _bad(path, f"{'truncated' if have < need else 'malformed'}: the header {_shape_text(shape)} needs "
                             f"{need} data bytes, the file has {have}", param)
    _check_memory(path, need, f"the header's shape {_shape_text(shape)} of {_IDX_NAMES[head[2]]}", param)
    return dtype, shape, head[2], need


def _read_idx(path: Path, param: str) -> np.ndarray:
    with _Source(path, param) as src:
        dtype, shape, _, need = _idx_header(src)
        arr = np.empty(shape, dtype)
        got = src.readinto(arr.reshape(-1).view(np.uint8))
        if got < need:
            raise _bad(path, f"truncated: the header {_shape_text(shape)} needs {need} data bytes, the file has "
                             f"{got}", param)
        if src.read(1):
            raise _bad(path, f"malformed: more data than the {need} bytes the header {_shape_text(shape)} declares",
                       param)
    if dtype.kind == "f":
        bad = ~np.isfinite(arr)
        if bad.any():
            i = int(np.flatnonzero(bad.reshape(-1))[0])
            raise _bad(path, f"values must be finite; found {arr.reshape(-1)[i]} at flat index {i}", param)
    return arr


def read_idx(path: str | os.PathLike[str]) -> np.ndarray:
    """Read an IDX file (plain or gzipped) into an array.

    The header's sizes are checked against the file's length (plain files) and
    :data:`MAX_BYTES` before anything is allocated; a gzipped file is inflated in
    chunks and never past what its header declares.

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
        (``path``) a missing or unreadable file, a bad magic number, a size that does not
        match the header or exceeds :data:`MAX_BYTES`, a corrupt gzip stream, or a
        floating-point value that is NaN or infinite.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     p = pathlib.Path(tmp) / "x.idx"
    ...     _ = p.write_bytes(bytes([0, 0, 8, 1, 0, 0, 0, 3, 7, 8, 9]))  # uint8, 1 dimension of 3
    ...     print(read_idx(p).tolist())
    [7, 8, 9]
    """
    return _read_idx(Path(path), "path")


# ---------------------------------------------------------------------------------------------- CIFAR
class _Refused(pickle.UnpicklingError):
    """A pickle asked for something a CIFAR batch does not hold (message without the file name)."""


_NUMBER_KINDS = "biuf"


def _number_dtype(dt: np.dtype) -> np.dtype:
    if dt.kind not in _NUMBER_KINDS or dt.hasobject or dt.fields or dt.subdtype:
        raise _Refused(f"refused an array of dtype {dt}: a CIFAR-10 batch holds arrays of numbers")
    return dt


class _DtypeSpec:
    """A pickle's ``numpy.dtype(...)``: a number type, whose state (``BUILD``) may set only the byte order.

    numpy's own ``dtype.__setstate__`` trusts its input (a malformed state can crash
    the interpreter), so the state is read here and never passed to numpy.
    """

    __slots__ = ("dtype",)

    def __init__(self, dt: np.dtype) -> None:
        object.__setattr__(self, "dtype", _number_dtype(dt))

    def __setattr__(self, name, value):
        raise _Refused("refused to set an attribute of a dtype")

    def __setstate__(self, state):
        ok = isinstance(state, tuple) and len(state) in (8, 9) and type(state[0]) is int  # noqa: E721
        endian = state[1] if ok else None
        endian = endian.decode("latin1") if isinstance(endian, bytes) else endian
        if (not ok or endian not in ("<", ">", "|", "=") or any(x is not None for x in state[2:5])
                or not all(type(x) is int for x in state[5:8])  # noqa: E721
                or (len(state) == 9 and state[8] is not None and state[8] != {})):
            raise _Refused("refused a dtype state other than the byte order of a number type")
        if endian in "<>" and self.dtype.itemsize > 1:
            object.__setattr__(self, "dtype", self.dtype.newbyteorder(endian))


def _plain_dtype(dt) -> np.dtype:
    if not isinstance(dt, _DtypeSpec):
        raise _Refused(f"refused an array whose dtype is a {type(dt).__name__}, not numpy.dtype(...) of a number type")
    return dt.dtype


def _plain_shape(shape) -> tuple[int, ...]:
    if (not isinstance(shape, tuple) or len(shape) > 32
            or not all(type(s) is int and 0 <= s for s in shape)):  # noqa: E721 (exactly int, not bool)
        raise _Refused("refused an array whose shape is not a tuple of sizes")
    return shape


class _Array(np.ndarray):
    """The array a pickle reconstructs; its state is checked before numpy applies it."""

    def __setstate__(self, state):
        if not isinstance(state, tuple) or len(state) not in (4, 5):
            raise _Refused("refused an array state that is not numpy's")
        shape, dtype, fortran, data = state[-4:]
        shape, dtype = _plain_shape(shape), _plain_dtype(dtype)
        if type(fortran) not in (bool, int):  # noqa: E721
            raise _Refused("refused an array state whose order flag is not a bool")
        need = math.prod(shape) * dtype.itemsize
        if need > MAX_BYTES:
            raise _Refused(f"refused an array of shape {_shape_text(shape)}: it would need {_size(need)} of memory "
                           f"(at most {_size(MAX_BYTES)}, rafmodel.data.images.MAX_BYTES)")
        if not isinstance(data, (bytes, bytearray)) or len(data) != need:
            raise _Refused(f"refused an array of shape {_shape_text(shape)} and dtype {dtype} whose data are not "
                           f"its {need} bytes")
        np.ndarray.__setstate__(self, (1, shape, dtype, bool(fortran), bytes(data)))


def _reconstruct(subtype, shape, dtype):
    if subtype is not _NDARRAY:
        raise _Refused("refused an array reconstruction of a class other than numpy.ndarray")
    return np.ndarray.__new__(_Array, (0,), np.uint8)


def _frombuffer(buf, dtype, shape, order):
    dtype, shape = _plain_dtype(dtype), _plain_shape(shape)
    if not isinstance(buf, (bytes, bytearray)) or len(buf) != math.prod(shape) * dtype.itemsize:
        raise _Refused(f"refused an array of shape {_shape_text(shape)} whose data are not its bytes")
    return np.frombuffer(bytes(buf), dtype).reshape(shape, order="F" if order == "F" else "C")


def _dtype(spec, align=False, copy=False):
    if not isinstance(spec, (str, bytes)) or len(spec) > 8:
        raise _Refused("refused a dtype that is not the name of a number type")
    try:
        dt = np.dtype(spec.decode("ascii") if isinstance(spec, bytes) else spec)
    except (TypeError, ValueError, UnicodeDecodeError):
        raise _Refused(f"refused the dtype {spec!r}") from None
    return _DtypeSpec(dt)


def _empty_bytes(*args):
    if args:
        raise _Refused("refused a call of bytes() with arguments: protocol 2 uses it only for b''")
    return b""


def _latin1(text, encoding="utf-8"):
    if not isinstance(text, str) or not isinstance(encoding, str) or encoding.lower() not in ("latin1", "latin-1"):
        raise _Refused("refused codecs.encode other than a string to latin1 bytes")
    return codecs.encode(text, "latin1")


class _StandIn:
    """What a pickle gets for an allowed global: a call of the checking function, nothing else.

    It has no attributes to set and refuses a state (the ``BUILD`` opcode), so that a
    pickle cannot change the readers' own functions.
    """

    __slots__ = ("_call", "_name")

    def __init__(self, call, name):
        object.__setattr__(self, "_call", call)
        object.__setattr__(self, "_name", name)

    def __call__(self, *args):
        if self._call is None:
            raise _Refused(f"refused a call of {self._name}: it may only name the class of a reconstructed array")
        return self._call(*args)

    def __setattr__(self, name, value):
        raise _Refused(f"refused to set an attribute of {self._name}")

    def __setstate__(self, state):
        raise _Refused(f"refused a state for {self._name}")


_NDARRAY = _StandIn(None, "numpy.ndarray")
_ALLOWED_GLOBALS = {("numpy", "ndarray"): _NDARRAY}
for _names, _call in ((("numpy.core.multiarray._reconstruct", "numpy._core.multiarray._reconstruct"), _reconstruct),
                      (("numpy.core.numeric._frombuffer", "numpy._core.numeric._frombuffer"), _frombuffer),
                      (("numpy.dtype",), _dtype), (("codecs.encode", "_codecs.encode"), _latin1),
                      (("__builtin__.bytes", "builtins.bytes"), _empty_bytes)):
    for _name in _names:
        _ALLOWED_GLOBALS[tuple(_name.rsplit(".", 1))] = _StandIn(_call, _name)
del _names, _call, _name

#: The most opcodes a CIFAR batch may hold (a batch of 10000 images has about 90000):
#: each opcode may build an object, so this bounds the objects a small file can create.
_MAX_PICKLE_OPCODES = 2_000_000

# opcodes that call code other than through find_class, or refer outside the stream
_REFUSED_OPCODES = {"PERSID", "BINPERSID", "INST", "OBJ", "NEWOBJ", "NEWOBJ_EX", "EXT1", "EXT2", "EXT4",
                    "NEXT_BUFFER", "READONLY_BUFFER"}


def _opcode_table():
    """Opcode byte -> (name, how its argument is laid out), from :mod:`pickletools`."""
    table = {}
    for op in pickletools.opcodes:
        n = 0 if op.arg is None else op.arg.n
        if op.name in ("GLOBAL", "INST"):
            n = "two lines"
        table[ord(op.code)] = (op.name, n)
    return table


_OPCODES = _opcode_table()
_COUNT_BYTES = {pickletools.TAKEN_FROM_ARGUMENT1: (1, False), pickletools.TAKEN_FROM_ARGUMENT4: (4, True),
                pickletools.TAKEN_FROM_ARGUMENT4U: (4, False), pickletools.TAKEN_FROM_ARGUMENT8U: (8, False)}


def _scan_pickle(raw: bytes) -> None:
    """Walk the opcodes without building anything: lengths, memo indices, globals.

    Every counted length, frame and memo index is checked against the bytes (or the
    opcodes) before it, so that the unpickler never allocates more than the file holds;
    opcodes that call code other than through ``find_class`` are refused.

    Raises
    ------
    pickle.UnpicklingError
        A truncated stream, an unknown opcode, or (:class:`_Refused`) a refused opcode,
        global, memo index or frame.
    """
    pos, n_ops, end = 0, 0, len(raw)
    while pos < end:
        code = raw[pos]
        if code not in _OPCODES:
            raise pickle.UnpicklingError(f"unknown opcode {code:#04x} at byte {pos}")
        name, n = _OPCODES[code]
        n_ops += 1
        if n_ops > _MAX_PICKLE_OPCODES:
            raise _Refused(f"refused a pickle of more than {_MAX_PICKLE_OPCODES} opcodes (a CIFAR-10 batch of "
                           "10000 images has about 90000)")
        start = pos + 1
        if name in _REFUSED_OPCODES:
            raise _Refused(f"refused the pickle opcode {name} at byte {pos}: a CIFAR-10 batch holds only plain "
                           "data and numpy arrays")
        if n == "two lines" or n == pickletools.UP_TO_NEWLINE:
            stop = raw.find(b"\n", start)
            if n == "two lines" and stop >= 0:
                stop = raw.find(b"\n", stop + 1)
            if stop < 0:
                raise pickle.UnpicklingError(f"{name} at byte {pos}: no end of line")
            arg, pos = raw[start:stop], stop + 1
        elif n in _COUNT_BYTES:
            width, signed = _COUNT_BYTES[n]
            count = int.from_bytes(raw[start:start + width], "little", signed=signed)
            if start + width > end or count < 0 or count > end - start - width:
                raise pickle.UnpicklingError(f"{name} at byte {pos} declares {count} bytes; the file has "
                                             f"{max(end - start - width, 0)} left")
            arg, pos = None, start + width + count
        else:
            if start + n > end:
                break
            arg, pos = raw[start:start + n], start + n
        if name == "STOP":
            return
        if name == "GLOBAL":
            module, _, attr = arg.decode("latin1").partition("\n")
            if (module, attr) not in _ALLOWED_GLOBALS:
                raise _Refused(f"refused to load {module[:80]}.{attr[:80]}: a CIFAR-10 batch holds only a dict "
                               "of arrays, lists and strings")
        elif name in ("PUT", "BINPUT", "LONG_BINPUT"):
            index = int(arg) if name == "PUT" and arg.strip().isdigit() else (
                -1 if name == "PUT" else int.from_bytes(arg, "little"))
            if not 0 <= index <= n_ops:
                raise _Refused(f"refused a memo index {arg.decode('latin1')[:20] if name == 'PUT' else index} at "
                               f"byte {start - 1} (more than the opcodes before it)")
        elif name == "FRAME" and int.from_bytes(arg, "little") > end - pos:
            raise _Refused(f"refused a frame of {int.from_bytes(arg, 'little')} bytes at byte {start - 1}: the "
                           f"file has {end - pos} left")
    raise pickle.UnpicklingError("pickle data was truncated (no STOP opcode)")


class SafeUnpickler(pickle.Unpickler):
    """An unpickler that builds only what CIFAR-10's python batches contain.

    Allowed globals: numpy's array reconstruction (``numpy.core.multiarray._reconstruct``
    or ``numpy._core...``, ``numpy.ndarray`` as its argument only, ``numpy.dtype`` of
    number types, ``numpy.core.numeric._frombuffer`` of protocol 5),
    ``(_)codecs.encode`` of a string to latin1 and ``bytes()`` without arguments, which
    byte strings pickled with protocol 2 need.  Each is a checking stand-in: an array's shape, dtype (numbers
    only, no objects) and size (at most :data:`MAX_BYTES`, matching its data bytes)
    are checked before numpy builds it.  Any other global (``os.system``,
    ``builtins.eval``, ``subprocess.Popen``, ...) raises
    :class:`pickle.UnpicklingError` before anything is imported or called.

    Parameters
    ----------
    file : binary file
        The pickle stream.
    path : str
        The file's name, for the error message.
    """

    def __init__(self, file: io.BufferedIOBase, path: str = "<pickle>") -> None:
        super().__init__(file, encoding="bytes")
        self.path = path

    def find_class(self, module: str, name: str) -> object:
        """The checking stand-in of an allowed global; refuse every other one.

        Parameters
        ----------
        module, name : str
            The global the stream asks for.

        Returns
        -------
        object
            The allowed object's checking stand-in.

        Raises
        ------
        pickle.UnpicklingError
            A global outside the allowed list (nothing is imported or run).
        """
        try:
            return _ALLOWED_GLOBALS[(module, name)]
        except (KeyError, TypeError):
            raise _Refused(f"refused to load {str(module)[:80]}.{str(name)[:80]}: a CIFAR-10 batch holds only a "
                           "dict of arrays, lists and strings") from None


def _cifar_key(k):
    if isinstance(k, bytes):
        return k.decode("latin1")
    return k if isinstance(k, str) else None


def _read_cifar(path: Path, param: str) -> tuple[np.ndarray, np.ndarray]:
    with _Source(path, param) as src:
        if not src.gzip:
            _check_memory(path, src.size, "the pickle", param)
        raw = src.read(MAX_BYTES + 1)
    if len(raw) > MAX_BYTES:
        _check_memory(path, len(raw), "the inflated pickle (at least)", param)
    try:
        _scan_pickle(raw)
        obj = SafeUnpickler(io.BytesIO(raw), str(path)).load()
    except _Refused as e:
        raise _bad(path, str(e), param) from None
    except Exception as e:  # noqa: BLE001 - whatever a hostile stream makes the unpickler raise is a refusal
        raise _bad(path, f"truncated or malformed pickle ({type(e).__name__}: {str(e)[:200]})", param) from None
    finally:
        del raw
    if not isinstance(obj, dict):
        raise _bad(path, f"expected a dict with b'data' and b'labels', got {type(obj).__name__}", param)
    items = {_cifar_key(k): v for k, v in obj.items()}
    if "data" not in items or "labels" not in items:
        keys = sorted(repr(k[:30]) for k in items if k is not None)
        shown = ", ".join(keys[:10]) + (", ..." if len(keys) > 10 else "")
        raise _bad(path, f"expected keys 'data' and 'labels', got [{shown}]", param)
    X, labels = items["data"], items["labels"]
    if not isinstance(X, np.ndarray) or X.ndim != 2 or X.shape[1] != _CIFAR_D or X.shape[0] == 0:
        what = _shape_text(X.shape) if isinstance(X, np.ndarray) else type(X).__name__
        raise _bad(path, f"'data' must be an array of shape (N, {_CIFAR_D}) with N >= 1 images, got {what}", param)
    X = X.view(np.ndarray)
    n = X.shape[0]
    if X.dtype.kind not in "iu":
        raise _bad(path, f"'data' must hold integer pixels in 0..255 (uint8), got dtype {X.dtype}", param)
    if X.dtype != np.uint8:
        lo, hi = int(X.min()), int(X.max())
        if lo < 0 or hi > 255:
            raise _bad(path, f"pixels must be in 0..255 (uint8), found {lo}..{hi}", param)
    return X.astype(np.uint8), _cifar_labels(path, labels, n, param)


def _int_text(v: int) -> str:
    return str(v) if abs(v) < 10 ** 12 else f"{'-' if v < 0 else ''}(an integer of {v.bit_length()} bits)"


def _cifar_labels(path, labels, n, param, k=10):
    if isinstance(labels, np.ndarray):
        labels = labels.view(np.ndarray)
        if labels.ndim != 1 or labels.dtype.kind not in "iu":
            raise _bad(path, f"'labels' must be a list of integers, got an array of dtype {labels.dtype} and shape "
                             f"{_shape_text(labels.shape)}", param)
        if labels.size != n:
            raise _bad(path, f"{n} images but {labels.size} labels", param)
        values = labels
        lo, hi = (int(values.min()), int(values.max())) if n else (0, 0)
    else:
        if not isinstance(labels, (list, tuple)):
            raise _bad(path, f"'labels' must be a list of integers, got {type(labels).__name__}", param)
        if len(labels) != n:
            raise _bad(path, f"{n} images but {len(labels)} labels", param)
        for i, v in enumerate(labels):  # types first: nothing nested is ever expanded
            if type(v) is not int:  # noqa: E721 (bool and float are refused)
                raise _bad(path, f"'labels' must be integers in 0..{k - 1}, found {type(v).__name__} at position {i}",
                           param)
        lo, hi = min(labels), max(labels)
    if lo < 0 or hi >= k:
        raise _bad(path, f"class labels must be in 0..{k - 1}, found {_int_text(lo)}..{_int_text(hi)}", param)
    return np.array(labels, dtype=np.int64)


def read_cifar_batch(path: str | os.PathLike[str]) -> tuple[np.ndarray, np.ndarray]:
    """Read one CIFAR-10 python batch with :class:`SafeUnpickler`.

    The file (inflated, if gzipped) may hold at most :data:`MAX_BYTES`; its opcodes are
    walked first, without building anything, so that no length or memo index exceeds
    what the file holds and no global outside the allowed ones is named.

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
        (``path``) a missing, truncated, oversized or malformed file, a pickle asking for
        anything but plain data, pixels that are not integers in ``0..255``, or labels
        that are not integers in ``0..9``, one per image.
    """
    return _read_cifar(Path(path), "path")


# ---------------------------------------------------------------------------------------------- datasets
def _check_labels(path, labels, k=10):
    if labels.size and (labels.min() < 0 or labels.max() >= k):
        raise _bad(path, f"class labels must be in 0..{k - 1}, found {int(labels.min())}..{int(labels.max())}")


def _find(directory: Path, name: str) -> Path:
    for p in (directory / name, directory / (name + ".gz")):
        if p.is_file():
            return p
    for p in (directory / name, directory / (name + ".gz")):
        if p.exists():
            raise _bad(p, "not a regular file (expected this IDX file, plain or .gz)")
    raise _bad(directory / name, "missing (expected this IDX file, plain or .gz)")


def _data_dir(dataset, data_dir):
    if data_dir is None:
        data_dir = os.environ.get("RAF_DATA")
        if not data_dir:
            raise ParameterError("data_dir", f"dataset {dataset!r} is read from local files: give a directory "
                                             "(--data-dir or the RAF_DATA environment variable); nothing is "
                                             "downloaded")
    try:
        path = Path(data_dir).expanduser()
        is_dir = path.is_dir()
    except (TypeError, ValueError, OSError, RuntimeError):
        raise ParameterError("data_dir", f"must be a directory, got {_show(data_dir)!r}") from None
    if not is_dir:
        raise _bad(path, f"not a directory (expected the {dataset} files there)")
    sub = path / dataset
    return sub if sub.is_dir() else path


def _idx_pair(directory: Path, prefix: str):
    """The image and label files of one split, their headers checked, nothing read yet."""
    pi, pl = _find(directory, f"{prefix}-images-idx3-ubyte"), _find(directory, f"{prefix}-labels-idx1-ubyte")
    with _Source(pi, "data_dir") as src:
        _, shape, type_i, _ = _idx_header(src)
    if len(shape) != 3:
        raise _bad(pi, f"expected images of shape (N, rows, cols), got {_shape_text(shape)}")
    if shape[0] == 0 or shape[1] * shape[2] == 0:
        raise _bad(pi, f"expected at least one image of at least one pixel, got shape {shape}")
    with _Source(pl, "data_dir") as src:
        _, lshape, type_l, _ = _idx_header(src)
    if _IDX_TYPES[type_l].kind not in "iu":
        raise _bad(pl, f"labels must be integers, got IDX type {_IDX_NAMES[type_l]}")
    if len(lshape) != 1 or lshape[0] != shape[0]:
        raise _bad(pl, f"expected {shape[0]} labels (one per image of {pi.name}), got shape {_shape_text(lshape)}")
    return pi, pl, shape, type_i


def _as_float32(path, X):
    """Images as float32, refusing values that float32 would not hold exactly (or at all)."""
    if X.dtype.kind == "f":
        big = np.abs(X) > np.finfo(np.float32).max
        limit = "3.4e38 (the float32 range)"
    elif X.dtype.itemsize > 2:
        big = np.abs(X.astype(np.int64)) > _FLOAT32_EXACT_INT
        limit = "2^24 (integers exact in float32)"
    else:
        big = None
    if big is not None and big.any():
        i = int(np.flatnonzero(big.reshape(-1))[0])
        raise _bad(path, f"pixel values must be at most {limit} in size; found {X.reshape(-1)[i]} at flat index {i}")
    return X.reshape(X.shape[0], -1).astype(np.float32)


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
        An unknown dataset (``dataset``), or (``data_dir``) a missing directory or file,
        a wrong magic number, a truncated, oversized or malformed file, a dataset that
        would need more than :data:`MAX_BYTES` as float32, images of no pixels, pixels
        that are not finite (or not integers in ``0..255`` for CIFAR-10), training and
        test images of different sizes, labels that are not integers in ``0..9``.

    Examples
    --------
    >>> X, labels = load_images("digits")
    >>> X.shape, int(labels.max())
    ((1797, 64), 9)
    """
    key = str(dataset).strip().lower()
    if key not in DATASETS:
        raise ParameterError("dataset", f"unknown dataset {_show(dataset)!r}; allowed: {', '.join(DATASETS)}")
    if key == "digits":
        from sklearn.datasets import load_digits

        b = load_digits()
        return np.asarray(b.data, dtype=float), np.asarray(b.target, dtype=np.int64)
    directory = _data_dir(key, data_dir)
    if key == "cifar10":
        parts, total = [], 0
        for name in _CIFAR_FILES:
            p = directory / name
            if not p.is_file():
                raise _bad(p, f"{'not a regular file' if p.exists() else 'missing'} (expected the CIFAR-10 python "
                              "batches data_batch_1..5 and test_batch)")
            X, lab = _read_cifar(p, "data_dir")
            total += X.size * 4
            _check_memory(p, total, f"the batches up to {name} as float32", "data_dir")
            parts.append((X, lab))
        return (np.concatenate([x for x, _ in parts]).astype(np.float32), np.concatenate([lab for _, lab in parts]))
    pairs = [_idx_pair(directory, prefix) for prefix in ("train", "t10k")]
    (pi0, _, s0, _), (pi1, _, s1, _) = pairs
    if s0[1:] != s1[1:]:
        raise _bad(pi1, f"images of {s1[1]}x{s1[2]} pixels, but {pi0.name} has {s0[1]}x{s0[2]}")
    _check_memory(directory, sum(s[0] for _, _, s, _ in pairs) * s0[1] * s0[2] * 4,
                  f"the {key} images as float32", "data_dir")
    Xs, ys = [], []
    for pi, pl, _, _ in pairs:
        X, lab = _read_idx(pi, "data_dir"), _read_idx(pl, "data_dir")
        lab = lab.astype(np.int64)
        _check_labels(pl, lab)
        Xs.append(_as_float32(pi, X))
        ys.append(lab)
    return np.concatenate(Xs), np.concatenate(ys)
