"""The files rafmodel writes: checked before any work, written whole or not at all.

One place for every output of the package (plots, figure folders, the report, sweep exports,
stores, CSV files of ``raf simulate --out``):

* :func:`check_file` -- a file can be written at a path (its folder exists and takes a new file,
  found by creating and removing a probe, so read-only mounts and ``/proc`` are seen whoever runs
  the command; the path is no folder; its extension is an allowed one);
* :func:`check_folder` -- a folder can take the named files (created if absent);
  :func:`folder_path` -- the same checks of the name only, creating nothing;
* :func:`temp_beside` -- an empty file with a hidden name beside a path, ordinary permissions;
* :func:`atomic_write` -- write through such a file and rename it over the target, so that a
  failure never leaves a half file and never loses the previous one.

Every refusal is a :class:`~rafmodel.exceptions.ParameterError` naming the parameter (the CLI
prints one line and exits 2).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
from typing import Any, Callable

from .exceptions import ParameterError

__all__ = ["check_file", "check_folder", "folder_path", "temp_beside", "atomic_write"]


def _path(path, name, what):
    try:
        path = os.fspath(path)
    except TypeError:
        raise ParameterError(name, f"must be a {what} name, got {path!r:.80}") from None
    if not isinstance(path, str) or not path or "\0" in path:
        raise ParameterError(name, f"must be a {what} name, got {path!r:.80}")
    return path


def temp_beside(path: str, suffix: str = ".tmp") -> str:
    """Create an empty file beside ``path`` (same folder, hidden name, the usual permissions).

    Parameters
    ----------
    path : str
        The file it stands in for.
    suffix : str, default=".tmp"
        The end of its name.

    Returns
    -------
    str
        The new file's path.

    Raises
    ------
    OSError
        The folder does not take new files.
    """
    folder, base = os.path.split(os.path.abspath(path))
    for _ in range(100):
        tmp = os.path.join(folder, f".{base[:80]}.{os.getpid()}-{os.urandom(4).hex()}{suffix}")
        try:
            os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
        except FileExistsError:
            continue
        return tmp
    raise FileExistsError(f"no free temporary name beside {path!r}")


def check_file(path: str | os.PathLike[str], name: str = "out", formats: tuple[str, ...] = ()) -> str:
    """Check, before any work, that a file can be written at ``path`` (new, or replaced).

    Parameters
    ----------
    path : str or path-like
        The file to be written.
    name : str, default="out"
        The parameter named in the error (the CLI option).
    formats : tuple of str, default=()
        Allowed extensions, lower case without the dot; empty: any.

    Returns
    -------
    str
        ``path`` as a string.

    Raises
    ------
    ParameterError
        Not a file name, a folder, an extension not in ``formats``, a missing folder, a folder
        that takes no new file, a read-only file.
    """
    path = _path(path, name, "file")
    if os.path.isdir(path):
        raise ParameterError(name, f"{path!r} is a folder; give a file name")
    if formats:
        ext = os.path.splitext(path)[1].lower().lstrip(".")
        if ext not in formats:
            raise ParameterError(name, f"{path!r} must end in " + ", ".join(f".{f}" for f in formats))
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise ParameterError(name, f"cannot write {path!r}: folder {folder!r} does not exist")
    if os.path.lexists(path) and not os.access(path, os.W_OK):
        raise ParameterError(name, f"cannot write {path!r}: the file is read-only")
    try:
        probe = temp_beside(path, ".probe")
    except OSError as e:
        raise ParameterError(name, f"cannot write {path!r}: folder {folder!r} does not take new files "
                                   f"({e.strerror or e})") from None
    with contextlib.suppress(OSError):
        os.remove(probe)
    return path


def folder_path(out: str | os.PathLike[str], name: str = "out") -> str:
    """``out`` as a string, if it is a folder or could be made one (its parent exists); nothing is created.

    Raises
    ------
    ParameterError
        Not a name, a file that is not a folder, a missing parent.
    """
    out = _path(out, name, "folder")
    if os.path.exists(out) and not os.path.isdir(out):
        raise ParameterError(name, f"{out!r} exists and is not a folder")
    parent = os.path.dirname(os.path.abspath(out))
    if not os.path.isdir(out) and not os.path.isdir(parent):
        why = "is not a folder" if os.path.exists(parent) else "does not exist"
        raise ParameterError(name, f"cannot create {out!r}: {parent!r} {why}")
    return out


def check_folder(out: str | os.PathLike[str], files: tuple[str, ...] | list[str] = (), name: str = "out") -> str:
    """Make sure folder ``out`` can take ``files``, before any work.

    The folder is created if absent (its parent must exist); a probe file is written in it and
    removed (permissions alone do not say whether ``/proc`` or a read-only mount can be
    written); none of ``files`` (names inside the folder) may be a folder.

    Parameters
    ----------
    out : str or path-like
        The folder.
    files : sequence of str, default=()
        The names that will be written in it.
    name : str, default="out"
        The parameter named in the error.

    Returns
    -------
    str
        ``out`` as a string.

    Raises
    ------
    ParameterError
        One line naming what cannot be written and why.
    """
    out = folder_path(out, name)
    for f in files:
        path = os.path.join(out, f)
        if os.path.isdir(path) and not os.path.islink(path):
            raise ParameterError(name, f"cannot write {path!r}: it is a folder (remove it or choose another --out)")
    created = False
    if not os.path.isdir(out):
        try:
            os.mkdir(out)
            created = True
        except OSError as e:
            raise ParameterError(name, f"cannot create folder {out!r}: {e.strerror or e}") from None
    try:
        os.remove(temp_beside(os.path.join(out, "probe"), ".probe"))
    except OSError as e:
        if created:
            with contextlib.suppress(OSError):
                os.rmdir(out)
        raise ParameterError(name, f"cannot write in {out!r}: {e.strerror or e}") from None
    return out


def atomic_write(path: str, write: Callable[[str], Any], name: str = "out") -> str:
    """``write(tmp)`` to a temporary file beside ``path``, then rename it over ``path``.

    A failure leaves no half file and the previous ``path``, if any, as it was.

    Parameters
    ----------
    path : str
        The target.
    write : callable
        Called with the temporary file's path; writes the content there.
    name : str, default="out"
        The parameter named in the error.

    Returns
    -------
    str
        The sha256 (hex) of the content written.

    Raises
    ------
    ParameterError
        The file could not be written (``OSError``: a full disk, a folder gone read-only).
    """
    try:
        tmp = temp_beside(path)
    except OSError as e:
        raise ParameterError(name, f"cannot write {path!r} ({e.strerror or e})") from None
    try:
        write(tmp)
        h = hashlib.sha256()
        with open(tmp, "rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                h.update(block)
        os.replace(tmp, path)
    except OSError as e:
        raise ParameterError(name, f"cannot write {path!r} ({e.strerror or e}); nothing was written") from None
    finally:
        with contextlib.suppress(OSError):
            os.remove(tmp)
    return h.hexdigest()
