"""Build the server with every feature registered, and run it on stdio, TCP or WebSocket."""

from __future__ import annotations

import logging

from link_ls.server.base import LinkServer


def create_server() -> LinkServer:
    from link_ls.server.features import register_all

    server = LinkServer()
    register_all(server)
    return server


def serve(transport: str = "stdio", host: str = "127.0.0.1", port: int = 0) -> None:
    """Serve until the client exits (stdio) or the process is stopped (tcp, ws)."""
    server = create_server()
    logging.getLogger("link_ls.server").info("link-ls serving on %s", transport)
    if transport == "tcp":
        server.start_tcp(host, port)
    elif transport == "ws":
        server.start_ws(host, port)
    else:
        server.start_io()
