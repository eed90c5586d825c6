"""A real LSP client (pytest-lsp) against ``python -m link_ls serve``, and document helpers.

pytest-lsp's client presets have no ``notebookDocument`` capability, so the
capabilities are built here by hand, shaped like VS Code's. Every server started
here is remembered, and after the session no kernel any of them started may
still run (kernels carry their server's pid in their command line).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import sys
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import nbformat
import pytest
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "lsp"
SERVER = [sys.executable, "-m", "link_ls", "serve"]
#: generous: the suite must pass on a loaded 2-core machine
WAIT = 60.0
#: pids of the servers this session started (their kernels are checked at the end)
SERVER_PIDS: list[int] = []


@pytest.fixture(scope="session", autouse=True)
def no_orphan_kernels() -> Iterator[None]:
    """After the LSP tests, no kernel started by any of their servers may be running."""
    yield
    from link_ls.kernel.session import connection_tag
    from tests.kernel.procs import wait_gone

    left = {pid: wait_gone(connection_tag(pid)) for pid in SERVER_PIDS}
    left = {pid: procs for pid, procs in left.items() if procs}
    assert not left, f"kernels left running by servers (server pid: kernel pids): {left}"


def capabilities(
    *,
    notebooks: bool = True,
    pull: bool = False,
    progress: bool = True,
    resolve: bool = False,
) -> types.ClientCapabilities:
    kinds = [types.CodeActionKind.QuickFix, types.CodeActionKind.RefactorRewrite]
    return types.ClientCapabilities(
        workspace=types.WorkspaceClientCapabilities(
            apply_edit=True,
            workspace_edit=types.WorkspaceEditClientCapabilities(document_changes=True),
            execute_command=types.ExecuteCommandClientCapabilities(),
            diagnostics=types.DiagnosticWorkspaceClientCapabilities(refresh_support=True)
            if pull
            else None,
        ),
        text_document=types.TextDocumentClientCapabilities(
            synchronization=types.TextDocumentSyncClientCapabilities(did_save=True),
            publish_diagnostics=types.PublishDiagnosticsClientCapabilities(version_support=True),
            hover=types.HoverClientCapabilities(
                content_format=[types.MarkupKind.Markdown, types.MarkupKind.PlainText]
            ),
            definition=types.DefinitionClientCapabilities(),
            references=types.ReferenceClientCapabilities(),
            document_symbol=types.DocumentSymbolClientCapabilities(
                hierarchical_document_symbol_support=True
            ),
            code_lens=types.CodeLensClientCapabilities(),
            code_action=types.CodeActionClientCapabilities(
                code_action_literal_support=types.ClientCodeActionLiteralOptions(
                    code_action_kind=types.ClientCodeActionKindOptions(value_set=kinds)
                ),
                is_preferred_support=True,
                data_support=True,
                resolve_support=types.ClientCodeActionResolveOptions(properties=["edit"])
                if resolve
                else None,
            ),
            diagnostic=types.DiagnosticClientCapabilities() if pull else None,
        ),
        notebook_document=types.NotebookDocumentClientCapabilities(
            synchronization=types.NotebookDocumentSyncClientCapabilities(
                execution_summary_support=True
            )
        )
        if notebooks
        else None,
        window=types.WindowClientCapabilities(work_done_progress=progress),
    )


@contextlib.asynccontextmanager
async def session(
    caps: types.ClientCapabilities | None = None, options: dict[str, Any] | None = None
) -> AsyncIterator[LanguageClient]:
    """A started, initialized client; applies ``workspace/applyEdit`` like an editor would."""
    client = await ClientServerConfig(server_command=SERVER).start()
    assert isinstance(client, LanguageClient)
    if client._server is not None:
        SERVER_PIDS.append(client._server.pid)
    client.applied_edits = []  # type: ignore[attr-defined]

    @client.feature(types.WORKSPACE_APPLY_EDIT)
    def apply_edit(
        ls: LanguageClient, params: types.ApplyWorkspaceEditParams
    ) -> types.ApplyWorkspaceEditResult:
        ls.applied_edits.append(params.edit)  # type: ignore[attr-defined]
        return types.ApplyWorkspaceEditResult(applied=True)

    try:
        await client.initialize_session(
            types.InitializeParams(
                capabilities=caps or capabilities(),
                root_uri=FIXTURES.as_uri(),
                initialization_options=options,
            )
        )
        yield client
    finally:
        with contextlib.suppress(Exception):
            await asyncio.wait_for(client.shutdown_session(), WAIT)
        await client.stop()


@pytest.fixture
async def client() -> AsyncIterator[LanguageClient]:
    async with session() as c:
        yield c


# -- documents ---------------------------------------------------------------------------
class OpenNotebook:
    """A notebook opened as an LSP notebook document, the way VS Code sends one."""

    def __init__(self, client: LanguageClient, path: Path, uri: str | None = None) -> None:
        self.client = client
        self.uri = uri or path.as_uri()
        self.nb = nbformat.read(path, as_version=4)
        self.version = 1
        self.cells: list[types.NotebookCell] = []
        self.texts: list[str] = []
        self.cell_versions: list[int] = []
        for i, c in enumerate(self.nb.cells):
            self.cells.append(self._cell(i, c))
            self.texts.append(c.source)
            self.cell_versions.append(1)

    def _cell(self, i: int, c: Any) -> types.NotebookCell:
        kind = (
            types.NotebookCellKind.Code if c.cell_type == "code" else types.NotebookCellKind.Markup
        )
        meta = {"id": c.get("id"), "metadata": json.loads(json.dumps(c.metadata))}
        if c.cell_type == "code":
            meta["execution_count"] = None
        return types.NotebookCell(kind=kind, document=self.cell_uri(i), metadata=meta)

    def cell_uri(self, i: int) -> str:
        return f"vscode-notebook-cell:{self.uri.removeprefix('file://')}#W{i}"

    def open(self) -> OpenNotebook:
        docs = [
            types.TextDocumentItem(
                uri=cell.document,
                language_id="python" if cell.kind == types.NotebookCellKind.Code else "markdown",
                version=1,
                text=text,
            )
            for cell, text in zip(self.cells, self.texts, strict=True)
        ]
        meta = {"cells": [], "nbformat": 4, "nbformat_minor": 5, "metadata": dict(self.nb.metadata)}
        self.client.notebook_document_did_open(
            types.DidOpenNotebookDocumentParams(
                notebook_document=types.NotebookDocument(
                    uri=self.uri,
                    notebook_type="jupyter-notebook",
                    version=self.version,
                    cells=self.cells,
                    metadata=json.loads(json.dumps(meta)),
                ),
                cell_text_documents=docs,
            )
        )
        return self

    def _send(self, change: types.NotebookDocumentChangeEvent) -> None:
        self.version += 1
        self.client.notebook_document_did_change(
            types.DidChangeNotebookDocumentParams(
                notebook_document=types.VersionedNotebookDocumentIdentifier(
                    version=self.version, uri=self.uri
                ),
                change=change,
            )
        )

    def set_text(self, i: int, text: str) -> None:
        """Replace a cell's whole text (an incremental change covering the old text)."""
        old = self.texts[i].split("\n")
        end = types.Position(len(old) - 1, len(old[-1]))
        self.texts[i] = text
        self.cell_versions[i] += 1
        change = types.TextDocumentContentChangePartial(
            range=types.Range(types.Position(0, 0), end), text=text
        )
        self._send(
            types.NotebookDocumentChangeEvent(
                cells=types.NotebookDocumentCellChanges(
                    text_content=[
                        types.NotebookDocumentCellContentChanges(
                            document=types.VersionedTextDocumentIdentifier(
                                uri=self.cell_uri(i), version=self.cell_versions[i]
                            ),
                            changes=[change],
                        )
                    ]
                )
            )
        )

    def set_metadata(self, i: int, metadata: dict[str, Any]) -> None:
        """What the VS Code client does for ``link.applyNotebookEdit``."""
        cell = self.cells[i]
        self.cells[i] = types.NotebookCell(
            kind=cell.kind, document=cell.document, metadata=metadata
        )
        self._send(
            types.NotebookDocumentChangeEvent(
                cells=types.NotebookDocumentCellChanges(data=[self.cells[i]])
            )
        )

    def insert_code_cell(self, i: int, text: str) -> str:
        uri = f"{self.cell_uri(len(self.cells))}-new"
        cell = types.NotebookCell(
            kind=types.NotebookCellKind.Code, document=uri, metadata={"metadata": {}}
        )
        self.cells.insert(i, cell)
        self.texts.insert(i, text)
        self.cell_versions.insert(i, 1)
        self._send(
            types.NotebookDocumentChangeEvent(
                cells=types.NotebookDocumentCellChanges(
                    structure=types.NotebookDocumentCellChangeStructure(
                        array=types.NotebookCellArrayChange(start=i, delete_count=0, cells=[cell]),
                        did_open=[types.TextDocumentItem(uri, "python", 1, text)],
                    )
                )
            )
        )
        return uri


def open_text(client: LanguageClient, uri: str, text: str, language: str = "python") -> None:
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(types.TextDocumentItem(uri, language, 1, text))
    )


def replace_text(client: LanguageClient, uri: str, text: str, version: int) -> None:
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
            content_changes=[types.TextDocumentContentChangeWholeDocument(text=text)],
        )
    )


async def wait_for(what: Callable[[], Any], description: str, timeout: float = WAIT) -> Any:
    """Poll until ``what()`` is truthy; fail with ``description`` after ``timeout`` seconds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        value = what()
        if value:
            return value
        if loop.time() > deadline:
            raise AssertionError(f"timed out waiting for {description}")
        await asyncio.sleep(0.02)


async def diagnostics(
    client: LanguageClient, uri: str, codes: Sequence[str] | None = None
) -> list[types.Diagnostic]:
    """Wait until ``uri`` has diagnostics with exactly ``codes`` (sorted); return them."""

    def ready() -> list[types.Diagnostic] | bool:
        if uri not in client.diagnostics:
            return False
        got = list(client.diagnostics[uri])
        if codes is None or sorted(str(d.code) for d in got) == sorted(codes):
            return got or True
        return False

    got = await wait_for(ready, f"diagnostics {codes} on {uri}")
    return got if isinstance(got, list) else []


def apply_text_edits(text: str, edits: Sequence[types.TextEdit]) -> str:
    """Apply LSP text edits (ASCII test documents: columns are characters)."""
    lines = text.split("\n")
    starts = [0]
    for line in lines[:-1]:
        starts.append(starts[-1] + len(line) + 1)

    def offset(p: types.Position) -> int:
        if p.line >= len(lines):
            return len(text)
        return starts[p.line] + min(p.character, len(lines[p.line]))

    for e in sorted(edits, key=lambda e: offset(e.range.start), reverse=True):
        text = text[: offset(e.range.start)] + e.new_text + text[offset(e.range.end) :]
    return text


def edits_of(edit: types.WorkspaceEdit, uri: str) -> list[types.TextEdit]:
    out: list[types.TextEdit] = []
    for dc in edit.document_changes or ():
        if isinstance(dc, types.TextDocumentEdit) and dc.text_document.uri == uri:
            out.extend(e for e in dc.edits if isinstance(e, types.TextEdit))
    out.extend((edit.changes or {}).get(uri, []))
    return out


async def raw_request(client: LanguageClient, method: str, params: Any) -> Any:
    """Send a request as plain JSON and return the raw JSON result (or raise its error).

    Used where lsprotocol's client-side parsing is wrong (it reads every code action
    that carries a ``command`` as a bare Command) and to send malformed requests.
    """
    import uuid
    from concurrent.futures import Future

    from lsprotocol.converters import get_converter

    msg_id = f"raw-{uuid.uuid4()}"
    future: Future[Any] = Future()
    client.protocol._request_futures[msg_id] = future
    if not isinstance(params, (dict, list)) and params is not None:
        params = get_converter().unstructure(params)
    client.protocol._send_data({"jsonrpc": "2.0", "id": msg_id, "method": method, "params": params})
    response = await asyncio.wait_for(asyncio.wrap_future(future), WAIT)
    return getattr(response, "result", response)
