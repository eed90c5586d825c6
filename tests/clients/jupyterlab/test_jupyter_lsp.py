"""jupyter-lsp finds link-ls by its entry point and serves it on ``/lsp/ws/link-ls``.

The websocket test speaks to the server exactly as jupyterlab-lsp does: plain JSON-RPC
text frames, ``initialize`` with publishDiagnostics support and no notebook sync, then
``didOpen`` of the notebook's *virtual document* — the code cells concatenated with two
blank lines between them, under ``<root>/.virtual_documents/<notebook>``.
"""

from __future__ import annotations

import asyncio
import itertools
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import nbformat
import pytest
from websockets.asyncio.client import ClientConnection, connect

from tests.clients.jupyterlab.conftest import FIXTURE, Jupyter

#: real editors, servers and kernels on a loaded 2-core machine: far above the usual minute
pytestmark = pytest.mark.timeout(900)

TIMEOUT = 120.0


def test_status_lists_link_ls_without_configuration(jupyter: Jupyter) -> None:
    status = jupyter.get_json("/lsp/status")
    assert "link-ls" in status["sessions"], sorted(status["sessions"])
    spec = status["sessions"]["link-ls"]["spec"]
    assert spec["languages"] == ["python"]
    assert spec["display_name"].startswith("link-ls")


def virtual_document(nb_path: Path) -> tuple[str, list[tuple[int, int]]]:
    """jupyterlab-lsp's text for a notebook and each cell's (first, last) line.

    As JupyterLab 4's VirtualDocument builds it (seen in its websocket traffic): one block
    per cell, the cell's lines plus a newline, blocks joined by two more newlines; a
    markdown cell goes to a foreign document and leaves an empty block behind.
    """
    nb = nbformat.read(nb_path, as_version=4)
    blocks, spans, line = [], [], 0
    for cell in nb.cells:
        source = cell.source if cell.cell_type == "code" else ""
        blocks.append(source + "\n")
        n = source.count("\n") + 1
        spans.append((line, line + n - 1))
        line += n + 2
    return "\n\n".join(blocks), spans


class Rpc:
    """A JSON-RPC peer over jupyter-lsp's websocket that answers the server's requests."""

    def __init__(self, ws: ClientConnection) -> None:
        self.ws = ws
        self.ids = itertools.count(1)
        self.notifications: list[dict[str, Any]] = []

    async def send(self, msg: dict[str, Any]) -> None:
        await self.ws.send(json.dumps({"jsonrpc": "2.0", **msg}))

    async def notify(self, method: str, params: Any) -> None:
        await self.send({"method": method, "params": params})

    async def _next(self) -> dict[str, Any]:
        msg: dict[str, Any] = json.loads(await self.ws.recv())
        if "method" in msg and "id" in msg:  # a server request: progress, registrations
            await self.send({"id": msg["id"], "result": None})
        elif "method" in msg:
            self.notifications.append(msg)
        return msg

    async def request(self, method: str, params: Any) -> Any:
        rid = next(self.ids)
        await self.send({"id": rid, "method": method, "params": params})
        while True:
            msg = await self._next()
            if msg.get("id") == rid and "method" not in msg:
                assert "error" not in msg, msg
                return msg.get("result")

    async def wait_for(self, method: str, pred: Callable[[Any], bool]) -> Any:
        for n in self.notifications:
            if n["method"] == method and pred(n["params"]):
                return n["params"]
        while True:
            msg = await self._next()
            if msg.get("method") == method and "id" not in msg and pred(msg["params"]):
                return msg["params"]


#: what jupyterlab-lsp 5 announces (its features' capabilities merged), trimmed
CLIENT_CAPABILITIES = {
    "textDocument": {
        "synchronization": {"dynamicRegistration": True, "didSave": True},
        "publishDiagnostics": {"tagSupport": {"valueSet": [1, 2]}},
        "hover": {"dynamicRegistration": True, "contentFormat": ["markdown", "plaintext"]},
        "definition": {"dynamicRegistration": True, "linkSupport": True},
        "documentSymbol": {"dynamicRegistration": True, "hierarchicalDocumentSymbolSupport": True},
    },
    "workspace": {"didChangeConfiguration": {"dynamicRegistration": True}},
}


async def test_virtual_document_gets_the_edge_diagnostic_on_the_right_cell(
    jupyter: Jupyter,
) -> None:
    text, spans = virtual_document(FIXTURE)
    root_uri = jupyter.root.as_uri()
    doc_uri = f"{root_uri}/.virtual_documents/{FIXTURE.name}"
    lines = text.split("\n")
    async with connect(jupyter.ws_url("link-ls"), open_timeout=TIMEOUT) as ws:
        rpc = Rpc(ws)

        async def session() -> dict[str, Any]:
            init = await rpc.request(
                "initialize",
                {
                    "capabilities": CLIENT_CAPABILITIES,
                    "processId": None,
                    "rootUri": root_uri,
                    "workspaceFolders": None,
                    "initializationOptions": None,
                },
            )
            assert init["serverInfo"]["name"] == "link-ls"
            await rpc.notify("initialized", {})
            await rpc.notify("workspace/didChangeConfiguration", {"settings": {}})
            doc = {"uri": doc_uri, "languageId": "python", "version": 0, "text": text}
            await rpc.notify("textDocument/didOpen", {"textDocument": doc})
            published: dict[str, Any] = await rpc.wait_for(
                "textDocument/publishDiagnostics",
                lambda p: p["uri"] == doc_uri and bool(p["diagnostics"]),
            )
            await rpc.notify("textDocument/didClose", {"textDocument": {"uri": doc_uri}})
            return published

        published = await asyncio.wait_for(session(), TIMEOUT)

    diags = published["diagnostics"]
    assert [d["code"] for d in diags] == ["LNK003"], diags
    rng = diags[0]["range"]
    line = rng["start"]["line"]
    # the read of `unit` in `report`, the sixth cell
    assert spans[5][0] <= line <= spans[5][1]
    assert lines[line] == 'print(f"total weight: {total} {unit}")'
    assert rng["start"]["character"] == lines[line].index("unit")
    assert rng["end"]["character"] == lines[line].index("unit") + len("unit")
    assert "label" in diags[0]["message"]
