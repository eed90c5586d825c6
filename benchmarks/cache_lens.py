"""What noticing other processes' cache writes costs the server per lens request.

A 1,000-component pipeline with a signed cache entry per component (1,000 entries).
Prints, in-process (what the server does per request):

- ``check`` when nothing changed (the store's times settled): two ``stat`` calls;
- ``check`` after another process added one entry (the folder is listed, one entry read);
- the first read of the store, and ``refresh`` (what a run or cache command in the server
  costs; a full read before this change) once the store's times are settled;

and through a real client over stdio (``link-ls serve`` from ``--src``, default this
checkout): the median round trip of a code lens request for one cell document, of
``link.state`` (VS Code's and Neovim's state views) and of ``link.lab.view`` (JupyterLab's
headers, which carry the same states). ``--base DIR`` runs a second server from another
checkout (e.g. the main branch) on the same store, alternating with this one for
``--rounds`` rounds, and prints both and their ratio: a before/after comparison under the
same load. Asserts nothing.

    .venv/bin/python benchmarks/cache_lens.py [--cells 1000] [--requests 200] [--src DIR]
        [--base DIR] [--rounds 3]
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import os
import statistics
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from lsprotocol import types
from pygls.lsp.client import LanguageClient

from link_ls.cache import CacheStore, compute_keys
from link_ls.cache.model import EntryManifest, FileRecord, VariableRecord
from link_ls.cache.store import sign_folder
from link_ls.cache.trust import KEY_FILE_ENV, load_user_key
from link_ls.notebook import load

ROOT = Path(__file__).resolve().parent.parent


def _notebook(path: Path, cells: int) -> None:
    out = []
    for i in range(cells):
        cid = str(uuid.uuid5(uuid.NAMESPACE_URL, f"bench/{i}"))
        pid = str(uuid.uuid5(uuid.NAMESPACE_URL, f"bench/{i - 1}"))
        canvas = {
            "id": cid,
            "name": f"c{i}",
            "isComponent": True,
            "componentType": "CodeCell",
            "parents": [{"id": pid, "name": f"c{i - 1}"}] if i else [],
            "diskcache": True,
        }
        src = f"x{i} = x{i - 1} + 1" if i else "x0 = 0"
        out.append(
            {
                "cell_type": "code",
                "id": f"cell{i}",
                "metadata": {"canvas": canvas},
                "execution_count": None,
                "outputs": [],
                "source": src,
            }
        )
    meta = {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}}
    path.write_text(
        json.dumps({"cells": out, "metadata": meta, "nbformat": 4, "nbformat_minor": 5})
    )


def _entry(store: CacheStore, key: str, node: str, name: str) -> None:
    user = load_user_key()
    var = b"1"
    with store.staging() as stage:
        (stage / "vars").mkdir()
        (stage / "vars" / "000.json").write_bytes(var)
        (stage / "outputs.json").write_bytes(b"[]")

        def rec(p: str, data: bytes) -> FileRecord:
            return FileRecord(p, len(data), hashlib.sha256(data).hexdigest())

        m = EntryManifest(
            key=key,  # type: ignore[arg-type]
            notebook=store.notebook,
            node=node,
            name=name,
            language="python",
            created="2026-12-05T00:00:00+00:00",
            outputs=rec("outputs.json", b"[]"),
            variables=(VariableRecord(name, rec("vars/000.json", var), "json"),),
        )
        raw = json.dumps(m.to_json()).encode()
        (stage / "manifest.json").write_bytes(raw)
        sign_folder(stage, user, raw)
        store.commit(stage, key)  # type: ignore[arg-type]


def _age(store: CacheStore) -> None:
    for folder in [store.folder, *store.folder.iterdir()]:
        st = folder.stat()
        os.utime(folder, ns=(st.st_atime_ns, st.st_mtime_ns - 60_000_000_000))


def _median_us(f: object, n: int) -> float:
    times = []
    for _ in range(n):
        t0 = time.perf_counter()
        f()  # type: ignore[operator]
        times.append(time.perf_counter() - t0)
    return statistics.median(times) * 1e6


def in_process(path: Path, store: CacheStore, repeat: int) -> dict[str, float]:
    from link_ls.cache.index import StoreIndex

    t0 = time.perf_counter()
    index = StoreIndex(store)
    out = {"first_read_ms": (time.perf_counter() - t0) * 1000}
    _age(store)
    out["refresh_ms"] = _median_us(index.refresh, 5) / 1000
    check = getattr(index, "check", None)
    if check is None:  # an older link-ls: no check
        return out
    check()
    out["check_unchanged_us"] = _median_us(check, repeat)
    nb = load(path)
    keys = compute_keys(nb)
    last = max(keys)
    changed = []
    for k in range(5):
        store.remove(keys[last])
        _age(store)
        check()
        _entry(store, keys[last], f"n{k}", f"c{last}")
        t0 = time.perf_counter()
        check()
        changed.append(time.perf_counter() - t0)
    out["check_one_new_entry_ms"] = statistics.median(changed) * 1000
    return out


async def over_lsp(path: Path, src: Path, requests: int) -> dict[str, float]:
    client = LanguageClient("cache-lens-bench", "1")

    @client.feature(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
    def _diagnostics(params: types.PublishDiagnosticsParams) -> None:
        pass

    os.environ["PYTHONPATH"] = str(src)
    # -P: the current directory (a checkout itself, often) must not shadow ``src``
    await client.start_io(sys.executable, "-P", "-m", "link_ls", "serve")
    caps = types.ClientCapabilities(
        notebook_document=types.NotebookDocumentClientCapabilities(
            synchronization=types.NotebookDocumentSyncClientCapabilities()
        ),
        workspace=types.WorkspaceClientCapabilities(
            execute_command=types.ExecuteCommandClientCapabilities()
        ),
    )
    await client.initialize_async(types.InitializeParams(capabilities=caps, process_id=None))
    client.initialized(types.InitializedParams())
    nb = json.loads(path.read_text())
    uri = path.as_uri()
    cell_uris = [f"vscode-notebook-cell:{path}#W{i}" for i in range(len(nb["cells"]))]
    client.notebook_document_did_open(
        types.DidOpenNotebookDocumentParams(
            notebook_document=types.NotebookDocument(
                uri=uri,
                notebook_type="jupyter-notebook",
                version=1,
                cells=[
                    types.NotebookCell(
                        types.NotebookCellKind.Code,
                        u,
                        metadata={"id": c["id"], "metadata": c["metadata"]},
                    )
                    for u, c in zip(cell_uris, nb["cells"], strict=True)
                ],
                metadata={
                    "cells": [],
                    "nbformat": 4,
                    "nbformat_minor": 5,
                    "metadata": nb["metadata"],
                },
            ),
            cell_text_documents=[
                types.TextDocumentItem(u, "python", 1, c["source"])
                for u, c in zip(cell_uris, nb["cells"], strict=True)
            ],
        )
    )

    async def lens(i: int) -> float:
        t0 = time.perf_counter()
        got = await client.text_document_code_lens_async(
            types.CodeLensParams(types.TextDocumentIdentifier(cell_uris[i]))
        )
        assert got, "no lens"
        return time.perf_counter() - t0

    answers: dict[str, Any] = {}

    async def command(name: str) -> float:
        t0 = time.perf_counter()
        answers[name] = await client.workspace_execute_command_async(
            types.ExecuteCommandParams(command=name, arguments=[{"uri": uri}])
        )
        return time.perf_counter() - t0

    for i in range(len(cell_uris)):  # warm: every cell's lens once
        await lens(i)
    lenses = [await lens(i % len(cell_uris)) for i in range(requests)]
    title = await client.text_document_code_lens_async(
        types.CodeLensParams(types.TextDocumentIdentifier(cell_uris[-1]))
    )
    states = [await command("link.state") for _ in range(max(5, requests // 20))]
    views = [await command("link.lab.view") for _ in range(max(5, requests // 40))]
    await client.shutdown_async(None)
    client.exit(None)
    await client.stop()
    got = answers["link.state"]["components"]
    shown = answers["link.lab.view"]["cells"]
    return {
        "lens_ms": statistics.median(lenses) * 1000,
        "state_ms": statistics.median(states) * 1000,
        "lab_view_ms": statistics.median(views) * 1000,
        "last_lens": title[0].command.title if title and title[0].command else "",  # type: ignore[dict-item]
        # what the servers answered (the same, or the comparison is void)
        "states": _count(c["state"] for c in got),
        "lab_states": _count(c["state"] for c in shown),
    }


def _count(states: Iterable[str]) -> str:
    return ", ".join(f"{n} {s}" for s, n in sorted(Counter(states).items()))


def _rounds(path: Path, srcs: list[Path], requests: int, rounds: int) -> list[dict[str, Any]]:
    """Each server's figures: medians over ``rounds`` rounds, the servers alternating."""
    got: list[list[dict[str, Any]]] = [[] for _ in srcs]
    for _ in range(rounds):
        for i, src in enumerate(srcs):
            got[i].append(asyncio.run(over_lsp(path, src, requests)))
    out: list[dict[str, Any]] = []
    for runs in got:
        merged: dict[str, Any] = {}
        for k, v in runs[0].items():
            merged[k] = statistics.median(r[k] for r in runs) if isinstance(v, float) else v
        out.append(merged)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cells", type=int, default=1000)
    ap.add_argument("--requests", type=int, default=200)
    ap.add_argument("--src", type=Path, default=ROOT, help="the checkout the server runs from")
    ap.add_argument("--base", type=Path, help="a second checkout to compare with (same run)")
    ap.add_argument("--rounds", type=int, default=1)
    args = ap.parse_args()
    srcs = [args.src, *([args.base] if args.base else [])]
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        os.environ[KEY_FILE_ENV] = str(folder / "config" / "cache.key")
        path = folder / "pipeline.ipynb"
        _notebook(path, args.cells)
        nb = load(path)
        store = CacheStore.for_notebook(path)
        for idx, key in compute_keys(nb).items():
            _entry(store, key, str(nb.cells[idx].node_id), f"c{idx}")
        core = in_process(path, store, args.requests)
        lsp = _rounds(path, srcs, args.requests, args.rounds)
    print(f"load average: {Path('/proc/loadavg').read_text().split()[:3]}")
    print(f"{args.cells} components, {args.cells} entries; in process ({ROOT}):")
    for k, v in core.items():
        print(f"  {k:24} {v:.3f}")
    print(f"over stdio, medians of {args.rounds} round(s); server from {args.src}")
    if args.base:
        print(f"  {'':24} {'this':>10} {'base':>10} {'base/this':>10}   (base: {args.base})")
    for k, v in lsp[0].items():
        if not isinstance(v, float):
            print(f"  {k:24} {v}" + (f" | base: {lsp[1][k]}" if args.base else ""))
        elif args.base:
            b = lsp[1][k]
            print(f"  {k:24} {v:10.3f} {b:10.3f} {b / v:10.1f}")
        else:
            print(f"  {k:24} {v:10.3f}")


if __name__ == "__main__":
    main()
