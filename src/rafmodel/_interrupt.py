"""Ctrl-C while the ``raf`` command is still starting exits 130 in one line, as it does later.

Python turns a Ctrl-C into ``KeyboardInterrupt``; one that arrives while the command imports
its modules (about a second) would end the process by SIGINT, with a traceback, before
:func:`rafmodel.cli.main` can answer it.  Imported first by the package, this module installs,
for the ``raf`` command only (``raf ...`` or ``python -m rafmodel ...``; never in a program that
imports rafmodel), a handler that exits 130; :func:`release` hands Ctrl-C back to Python once
the command's own handling is in place.
"""

from __future__ import annotations

import os
import signal
import sys
from typing import Any

__all__ = ["release"]


def _as_command() -> bool:
    argv = list(getattr(sys, "orig_argv", []) or [])
    if "-m" in argv:
        i = argv.index("-m")
        return argv[i + 1:i + 2] in (["rafmodel"], ["rafmodel.cli"])
    return bool(sys.argv) and os.path.basename(sys.argv[0]) in ("raf", "raf.exe", "raf-script.py")


def _exit_130(signum: int, frame: Any) -> None:
    sys.stderr.write("raf: interrupted while starting; nothing was done\n")
    raise SystemExit(130)


def release() -> None:
    """Give Ctrl-C back to Python (``KeyboardInterrupt``) if this module's handler holds it."""
    if signal.getsignal(signal.SIGINT) is _exit_130:
        signal.signal(signal.SIGINT, signal.default_int_handler)


if _as_command() and signal.getsignal(signal.SIGINT) is signal.default_int_handler:
    try:
        signal.signal(signal.SIGINT, _exit_130)
    except ValueError:  # pragma: no cover - not the main thread
        pass
