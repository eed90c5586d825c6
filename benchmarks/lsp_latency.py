"""LSP latency of ``link-ls serve`` through a real client over stdio.

A 1000-component pipeline is opened as an LSP notebook document (VS Code's way),
then 50 single-cell edits are sent one at a time; for each we time didChange →
the publishDiagnostics for that cell. The edits alternate between adding and
removing an undefined name, so every edit changes that cell's diagnostics.
Also timed: process start → ``initialize`` result. Prints a table; asserts nothing.

    .venv/bin/python benchmarks/lsp_latency.py [--cells 1000] [--edits 50]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
import uuid
from dataclasses import dataclass

from lsprotocol import types
from pygls.lsp.client import LanguageClient

TARGETS = {"median": 0.015, "p95": 0.040, "initialize": 0.35}


@dataclass(frozen=True)
class LatencyFigures:
    """Seconds."""

    initialize: float
    median: float
    p95: float
    open_all: float
    latencies: tuple[float, ...]
    #: server resident memory (MB) after didOpen, and after ``edits_sent`` edits
    rss_open: float
    rss_end: float
    edits_sent: int


def _component(i: int) -> tuple[str, dict[str, object]]:
    cid = str(uuid.uuid5(uuid.NAMESPACE_URL, f"bench/{i}"))
    parents = [{"id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"bench/{i - 1}")), "name": f"c{i - 1}"}]
    source = f"x{i} = x{i - 1} + 1\ny{i} = [x{i}] * 3" if i else "x0 = 0"
    canvas = {
        "id": cid,
        "name": f"c{i}",
        "isComponent": True,
        "componentType": "CodeCell",
        "parents": parents if i else [],
        "diskcache": False,
    }
    return source, {"id": f"cell{i}", "metadata": {"canvas": canvas}, "execution_count": None}


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


async def measure(cells: int = 1000, edits: int = 50, rss_edits: int = 0) -> LatencyFigures:
    """Latencies of ``edits`` timed edits; then more edits, up to ``rss_edits`` in all, and
    the server's resident memory before and after them."""
    client = LanguageClient("lsp-latency-bench", "1")
    arrived: dict[str, asyncio.Event] = {}
    published: set[str] = set()

    @client.feature(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
    def on_diags(params: types.PublishDiagnosticsParams) -> None:
        published.add(params.uri)
        event = arrived.get(params.uri)
        if event is not None:
            event.set()

    start = time.perf_counter()
    await client.start_io(sys.executable, "-m", "link_ls", "serve")
    caps = types.ClientCapabilities(
        notebook_document=types.NotebookDocumentClientCapabilities(
            synchronization=types.NotebookDocumentSyncClientCapabilities()
        )
    )
    await client.initialize_async(types.InitializeParams(capabilities=caps, process_id=None))
    init_time = time.perf_counter() - start
    client.initialized(types.InitializedParams())

    nb_uri = "file:///bench/pipeline.ipynb"
    uris = [f"vscode-notebook-cell:/bench/pipeline.ipynb#W{i}" for i in range(cells)]
    sources, metas = zip(*(_component(i) for i in range(cells)), strict=True)
    t_open = time.perf_counter()
    client.notebook_document_did_open(
        types.DidOpenNotebookDocumentParams(
            notebook_document=types.NotebookDocument(
                uri=nb_uri,
                notebook_type="jupyter-notebook",
                version=1,
                cells=[
                    types.NotebookCell(types.NotebookCellKind.Code, uri, metadata=meta)
                    for uri, meta in zip(uris, metas, strict=True)
                ],
                metadata={"cells": [], "nbformat": 4, "nbformat_minor": 5, "metadata": {}},
            ),
            cell_text_documents=[
                types.TextDocumentItem(uri, "python", 1, src)
                for uri, src in zip(uris, sources, strict=True)
            ],
        )
    )
    while len(published) < cells:
        await asyncio.sleep(0.005)
    open_time = time.perf_counter() - t_open

    texts = list(sources)
    flagged = [False] * cells

    async def edit(k: int) -> float:
        """Toggle an undefined name in one cell: its diagnostics change every time."""
        i = 1 + (k * 37) % (cells - 1)
        old = texts[i].split("\n")
        flagged[i] = not flagged[i]
        texts[i] = f"x{i} = x{i - 1} + 1\ny{i} = [x{i}] * 3" + (
            f"\nprint(nope{k})" if flagged[i] else ""
        )
        arrived[uris[i]] = event = asyncio.Event()
        t0 = time.perf_counter()
        client.notebook_document_did_change(
            types.DidChangeNotebookDocumentParams(
                notebook_document=types.VersionedNotebookDocumentIdentifier(
                    version=k + 2, uri=nb_uri
                ),
                change=types.NotebookDocumentChangeEvent(
                    cells=types.NotebookDocumentCellChanges(
                        text_content=[
                            types.NotebookDocumentCellContentChanges(
                                document=types.VersionedTextDocumentIdentifier(
                                    version=k + 2, uri=uris[i]
                                ),
                                changes=[
                                    types.TextDocumentContentChangePartial(
                                        range=types.Range(
                                            types.Position(0, 0),
                                            types.Position(len(old) - 1, len(old[-1])),
                                        ),
                                        text=texts[i],
                                    )
                                ],
                            )
                        ]
                    )
                ),
            )
        )
        await asyncio.wait_for(event.wait(), 60)
        del arrived[uris[i]]
        return time.perf_counter() - t0

    pid = client._server.pid if client._server is not None else None
    rss_open = _rss_mb(pid)
    latencies = [await edit(k) for k in range(edits)]
    for k in range(edits, max(edits, rss_edits)):
        await edit(k)
    rss_end = _rss_mb(pid)

    await client.shutdown_async(None)
    client.exit(None)
    await client.stop()

    return LatencyFigures(
        init_time,
        statistics.median(latencies),
        _p95(latencies),
        open_time,
        tuple(latencies),
        rss_open,
        rss_end,
        max(edits, rss_edits),
    )


def _rss_mb(pid: int | None) -> float:
    """Resident memory of a process in MB (Linux), or NaN where /proc cannot say."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except (OSError, ValueError):
        pass
    return float("nan")


async def initialize_time(*server: str) -> float:
    """Seconds from starting ``server`` (argv) to its ``initialize`` result."""
    client = LanguageClient("lsp-latency-bench", "1")
    start = time.perf_counter()
    await client.start_io(*server)
    await client.initialize_async(
        types.InitializeParams(capabilities=types.ClientCapabilities(), process_id=None)
    )
    took = time.perf_counter() - start
    await client.shutdown_async(None)
    client.exit(None)
    await client.stop()
    return took


async def main(cells: int, edits: int, rss_edits: int) -> None:
    f = await measure(cells, edits, rss_edits)
    init_time, median, p95, open_time = f.initialize, f.median, f.p95, f.open_all
    rows = [
        ("process start → initialize result", init_time, TARGETS["initialize"]),
        (f"didChange → diagnostics, median ({edits} edits)", median, TARGETS["median"]),
        (f"didChange → diagnostics, p95 ({edits} edits)", p95, TARGETS["p95"]),
        (f"didOpen {cells} cells → all cells published", open_time, None),
    ]

    print(f"link-ls LSP latency, {cells}-cell pipeline as a notebook document (stdio)")
    print(f"{'measure':<48} {'ms':>9} {'target ms':>10} {'ratio':>7}")
    for name, value, target in rows:
        t = f"{target * 1000:10.0f}" if target else f"{'-':>10}"
        ratio = f"{value / target:7.2f}" if target else f"{'-':>7}"
        print(f"{name:<48} {value * 1000:9.1f} {t} {ratio}")
    rss = f"server RSS {f.rss_open:.0f} MB after didOpen, {f.rss_end:.0f} MB after"
    print(f"{rss} {f.edits_sent} edits ({f.rss_end - f.rss_open:+.1f} MB)")


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    ap.add_argument("--cells", type=int, default=1000)
    ap.add_argument("--edits", type=int, default=50)
    ap.add_argument("--rss-edits", type=int, default=0, help="edits in all for the RSS figure")
    ns = ap.parse_args()
    asyncio.run(main(ns.cells, ns.edits, ns.rss_edits))
