"""``link-ls serve --tcp`` and ``--ws``: the same server over a socket."""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import subprocess
import sys
from collections.abc import Awaitable, Callable

import pytest
from lsprotocol import types
from pygls.lsp.client import LanguageClient

from tests.lsp.conftest import FIXTURES, WAIT, wait_for


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def _talk(flag: str, connect: Callable[[LanguageClient, int], Awaitable[None]]) -> None:
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "link_ls", "serve", flag, f"127.0.0.1:{port}"],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
    )
    client = LanguageClient("transport-test", "1")
    seen: dict[str, list[types.Diagnostic]] = {}

    @client.feature(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
    def on_diags(params: types.PublishDiagnosticsParams) -> None:
        seen[params.uri] = list(params.diagnostics)

    try:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + WAIT
        while True:  # the server takes a moment to start listening
            try:
                await connect(client, port)
                break
            except OSError:
                if loop.time() > deadline or proc.poll() is not None:
                    raise
                await asyncio.sleep(0.2)
        result = await asyncio.wait_for(
            client.initialize_async(
                types.InitializeParams(capabilities=types.ClientCapabilities())
            ),
            WAIT,
        )
        assert result.server_info is not None and result.server_info.name == "link-ls"
        uri = (FIXTURES / "pipeline-percent.py").as_uri()
        client.text_document_did_open(
            types.DidOpenTextDocumentParams(
                types.TextDocumentItem(
                    uri, "python", 1, (FIXTURES / "pipeline-percent.py").read_text()
                )
            )
        )
        await wait_for(lambda: len(seen.get(uri, [])) == 3, f"diagnostics over {flag}")
    finally:
        proc.terminate()
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(10)
        if proc.poll() is None:
            proc.kill()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(client.stop(), 5)


async def test_tcp() -> None:
    await _talk("--tcp", lambda c, port: c.start_tcp("127.0.0.1", port))


async def test_websocket() -> None:
    try:
        import websockets  # noqa: F401
    except ImportError:
        if os.environ.get("CI") == "true":
            pytest.fail("--ws needs the 'websockets' package (pygls[ws]); CI must install it")
        pytest.skip("websockets is not installed (pip install 'pygls[ws]')")
    await _talk("--ws", lambda c, port: c.start_ws("127.0.0.1", port))
