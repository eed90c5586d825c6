"""Memory of ``link-ls serve`` across many notebook opens and closes (issue 18).

A 1000-component pipeline is opened as an LSP notebook document (VS Code's way) under a
new uri each time, its diagnostics are awaited (so the server really built and checked
it), then it is closed — 500 times. The server's resident set size (``VmRSS`` from
``/proc``, Linux) is printed after start, after the first open/close (the warm state:
modules loaded, caches filled) and along the way. A flat line from the warm state on
means nothing per document outlives its close. Not a timed test; asserts nothing.

    .venv/bin/python benchmarks/memory.py [--cells 1000] [--rounds 500]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
import uuid
from pathlib import Path

from lsprotocol import types
from pygls.lsp.client import LanguageClient


def _cells(n: int) -> list[tuple[str, dict[str, object]]]:
    out = []
    for i in range(n):
        cid = str(uuid.uuid5(uuid.NAMESPACE_URL, f"mem/{i}"))
        prev = str(uuid.uuid5(uuid.NAMESPACE_URL, f"mem/{i - 1}"))
        canvas = {
            "id": cid,
            "name": f"c{i}",
            "isComponent": True,
            "componentType": "CodeCell",
            "parents": [{"id": prev, "name": f"c{i - 1}"}] if i else [],
            "diskcache": False,
        }
        source = f"x{i} = x{i - 1} + 1\ny{i} = [x{i}] * 3" if i else "x0 = 0"
        out.append((source, {"metadata": {"canvas": canvas}}))
    return out


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS (Linux only)")


async def main(n_cells: int, rounds: int) -> None:
    client = LanguageClient("memory-bench", "1")
    published: dict[str, asyncio.Event] = {}

    @client.feature(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
    def on_diags(params: types.PublishDiagnosticsParams) -> None:
        for uri, event in published.items():
            if params.uri.startswith(uri):
                event.set()

    await client.start_io(sys.executable, "-m", "link_ls", "serve")
    server = client._server
    assert server is not None
    pid = server.pid
    caps = types.ClientCapabilities(
        notebook_document=types.NotebookDocumentClientCapabilities(
            synchronization=types.NotebookDocumentSyncClientCapabilities()
        )
    )
    await client.initialize_async(types.InitializeParams(capabilities=caps))
    client.initialized(types.InitializedParams())
    cells = _cells(n_cells)
    rows = [("started", 0, rss_mib(pid))]
    marks = {1, 10, 50, 100, 250, rounds}
    t0 = time.perf_counter()
    for r in range(1, rounds + 1):
        uri = f"file:///memory-bench/nb{r}.ipynb"
        published[uri] = asyncio.Event()
        nb_cells, docs = [], []
        for i, (src, md) in enumerate(cells):
            cell_uri = f"vscode-notebook-cell:/memory-bench/nb{r}.ipynb#c{i}"
            nb_cells.append(
                types.NotebookCell(kind=types.NotebookCellKind.Code, document=cell_uri, metadata=md)
            )
            docs.append(types.TextDocumentItem(cell_uri, "python", 1, src))
        client.notebook_document_did_open(
            types.DidOpenNotebookDocumentParams(
                types.NotebookDocument(uri, "jupyter-notebook", 1, nb_cells), docs
            )
        )
        # diagnostics arrive per cell uri; the first one means the notebook was checked
        published[f"vscode-notebook-cell:/memory-bench/nb{r}.ipynb"] = published.pop(uri)
        await asyncio.wait_for(
            published[f"vscode-notebook-cell:/memory-bench/nb{r}.ipynb"].wait(), 120
        )
        client.notebook_document_did_close(
            types.DidCloseNotebookDocumentParams(
                types.NotebookDocumentIdentifier(uri),
                [types.TextDocumentIdentifier(d.uri) for d in docs],
            )
        )
        published.clear()
        if r in marks:
            await client.text_document_document_symbol_async(
                types.DocumentSymbolParams(types.TextDocumentIdentifier(uri))
            )  # a round trip: the close has been handled
            rows.append((f"after {r} open/close", r, rss_mib(pid)))
    elapsed = time.perf_counter() - t0
    await client.shutdown_async(None)
    client.exit(None)
    await client.stop()
    warm = rows[1][2]
    print(f"link-ls serve memory: {n_cells}-cell notebook opened and closed {rounds} times")
    print(f"{'when':<26}{'RSS MiB':>10}{'vs warm':>10}")
    for label, _, mib in rows:
        print(f"{label:<26}{mib:>10.1f}{mib - warm:>+10.1f}")
    print(f"({elapsed:.0f} s, {elapsed / rounds * 1000:.0f} ms per open/close)")


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cells", type=int, default=1000)
    ap.add_argument("--rounds", type=int, default=500)
    a = ap.parse_args()
    asyncio.run(main(a.cells, a.rounds))
