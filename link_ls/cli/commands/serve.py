"""``link-ls serve``: the language server on stdio (default), TCP or WebSocket."""

from __future__ import annotations

import argparse
import logging
import sys
from typing import Any

from link_ls.errors import UsageError

ORDER = 90


def register(sub: Any) -> None:
    p: argparse.ArgumentParser = sub.add_parser(
        "serve",
        help="run the language server (stdio by default)",
        description="Run the link-ls language server. Editors start it on stdio; "
        "--tcp and --ws listen on HOST:PORT instead. Logs go to stderr (or --log-file), "
        "never to stdout, which carries the protocol. See docs/server.md.",
    )
    where = p.add_mutually_exclusive_group()
    where.add_argument("--stdio", action="store_true", help="talk over stdin/stdout (default)")
    where.add_argument("--tcp", metavar="HOST:PORT", help="listen for one client on TCP")
    where.add_argument("--ws", metavar="HOST:PORT", help="listen on a WebSocket")
    p.add_argument("--log-file", metavar="FILE", help="write the log to FILE instead of stderr")
    p.add_argument(
        "--log-level",
        choices=["debug", "info", "warning", "error"],
        default="warning",
        help="log level (default: warning)",
    )
    p.set_defaults(func=run)


def _host_port(value: str, option: str) -> tuple[str, int]:
    host, sep, port = value.rpartition(":")
    if not sep or not port.isdigit() or int(port) > 65535:
        raise UsageError(f"{option} wants HOST:PORT, got {value!r}")
    return host or "127.0.0.1", int(port)


def run(args: argparse.Namespace) -> int:
    transport, host, port = "stdio", "127.0.0.1", 0
    if args.tcp:
        transport = "tcp"
        host, port = _host_port(args.tcp, "--tcp")
    elif args.ws:
        transport = "ws"
        host, port = _host_port(args.ws, "--ws")
    handler: logging.Handler = (
        logging.FileHandler(args.log_file, encoding="utf-8")
        if args.log_file
        else logging.StreamHandler(sys.stderr)
    )
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(getattr(logging, args.log_level.upper()))
    if transport == "ws":
        try:
            import websockets  # noqa: F401  (pygls needs it for --ws)
        except ImportError:
            raise UsageError(
                "--ws needs the 'websockets' package (pip install 'pygls[ws]')"
            ) from None

    from link_ls.server import serve  # imported here: the CLI's other commands stay fast

    serve(transport, host, port)
    return 0
