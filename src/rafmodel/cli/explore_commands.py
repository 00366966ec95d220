"""The explorer command: ``raf explore`` serves the interactive page locally until Ctrl-C or SIGTERM.

With ``--store FILE`` the page also draws the points of a sweep store that match its view.
"""

from __future__ import annotations

import errno
import os
import signal
import sys

from .._options import UsageError
from ._common import EXIT_OK, EXIT_USAGE


def _probe(address, port):
    """Bind ``address:port`` and let it go again (raises OSError where the server could not bind)."""
    import socket

    with socket.socket(socket.AF_INET6 if ":" in address else socket.AF_INET) as s:
        s.bind((address, port))


def _bind(start, address, port):
    try:
        return start()
    except OSError as e:
        if e.errno == errno.EADDRINUSE:
            raise UsageError(f"port: {port} is in use; give another --port, or none for a free one") from None
        raise UsageError(f"address: cannot listen on {address}:{port} ({e.strerror or e})") from None
    except OverflowError:
        raise UsageError(f"port: must be from 0 (a free port) to 65535, got {port}") from None


def cmd_explore(args):
    from ..explore import INSTALL_HINT, have_panel

    port = args.port
    if not 0 <= port <= 65535:
        raise UsageError(f"port: must be from 0 (a free port) to 65535, got {port}")
    if port:
        _bind(lambda: _probe(args.address, port), args.address, port)  # a busy port is told at once
    if not have_panel():
        print(f"raf explore: error: needs panel (with bokeh): {INSTALL_HINT}", file=sys.stderr)
        return EXIT_USAGE
    store = None
    if args.store is not None:
        from ..sweep import load_results

        store = load_results(args.store)  # a bad file: one line (ParameterError), exit 2
    from ..explore.app import start_server

    name = os.path.basename(args.store) if args.store else "the store"
    server = _bind(lambda: start_server(port=port, address=args.address, store=store, store_name=name),
                   args.address, port)
    loop = server.io_loop

    def stop(signum, frame):  # Ctrl-C or SIGTERM: end the loop; the sockets close below
        loop.add_callback_from_signal(loop.stop)

    old = {s: signal.signal(s, stop) for s in (signal.SIGINT, signal.SIGTERM)}
    host = f"[{args.address}]" if ":" in args.address else args.address
    url = f"http://{host}:{server.port}/"
    print(f"raf explore: serving on {url} (Ctrl-C to stop)", file=sys.stderr, flush=True)
    print(url, flush=True)
    try:
        server.start()
        if args.browser:
            import webbrowser

            loop.add_callback(webbrowser.open, url)
        loop.start()
    finally:
        server.stop()
        for s, h in old.items():
            signal.signal(s, h)
    print("raf explore: stopped", file=sys.stderr, flush=True)
    return EXIT_OK
