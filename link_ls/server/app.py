"""Build the server with every feature registered, and run it on stdio, TCP or WebSocket."""

from __future__ import annotations

import functools
import gc
import logging
import os
import signal
import sys
import threading
from types import FrameType
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from link_ls.server.base import LinkServer

#: seconds the server waits for its kernels to stop when terminated
STOP_WAIT = 15.0


def create_server() -> LinkServer:
    from link_ls.server.base import LinkServer
    from link_ls.server.features import register_all

    server = LinkServer()
    register_all(server)
    return server


def serve(transport: str = "stdio", host: str = "127.0.0.1", port: int = 0) -> None:
    """Serve until the client exits (stdio) or the process is stopped (tcp, ws).

    Making the server (importing pygls and the protocol's hundreds of types, registering
    every feature) leaves ~50,000 objects that live as long as the process, and ~40,000
    that are garbage (the classes attrs replaces): instead of the ~130 collections that
    would walk them while they are made, the collector is off until the first message
    (``initialize``) is answered; then one collection frees the garbage and the rest is
    frozen, so later collections (every edit makes some) never walk it again.
    """
    from link_ls.server.base import LinkProtocol

    collecting = gc.isenabled()
    gc.disable()
    server = create_server()
    if isinstance(server.protocol, LinkProtocol):
        server.protocol.after_first_message = functools.partial(_settle_heap, collecting)
    _end_kernels_on_sigterm(server)
    logging.getLogger("link_ls.server").info("link-ls serving on %s", transport)
    if transport == "tcp":
        server.start_tcp(host, port)
    elif transport == "ws":
        server.start_ws(host, port)
    else:
        server.start_io()


def _settle_heap(collecting: bool) -> None:
    """Free the start-up garbage, freeze what is left, turn the collector back on."""
    gc.collect()
    gc.freeze()
    if collecting:
        gc.enable()


def _end_kernels_on_sigterm(server: LinkServer) -> None:
    """SIGTERM (an editor or a test harness stopping the server) ends the kernels first.

    Python's default for SIGTERM skips ``atexit``, where the kernel layer stops its
    kernels, and a clean ``sys.exit`` can hang on the thread reading stdin. The
    handler itself only starts a thread (it may interrupt code holding the locks the
    shutdown needs); that thread stops every kernel, waiting at most ``STOP_WAIT``
    seconds, then ends the process.
    """
    if threading.current_thread() is not threading.main_thread():
        return

    def stop(signum: int) -> None:
        kernels = sys.modules.get("link_ls.kernel.session")
        if kernels is not None:
            worker = threading.Thread(target=kernels.shutdown_live_sessions, daemon=True)
            worker.start()
            worker.join(STOP_WAIT)
        os._exit(128 + signum)

    def handler(signum: int, frame: FrameType | None) -> None:
        threading.Thread(target=stop, args=(signum,), daemon=True).start()

    signal.signal(signal.SIGTERM, handler)
