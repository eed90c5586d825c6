"""Text documents: .ipynb as JSON text, jupytext percent text (.py and .ipynb buffers),
jupyter-lsp's concatenated virtual document, and documents that are not notebooks."""

from __future__ import annotations

import shutil
from pathlib import Path

import nbformat
from lsprotocol import types
from pytest_lsp import LanguageClient

from tests.lsp.conftest import (
    FIXTURES,
    apply_text_edits,
    capabilities,
    diagnostics,
    edits_of,
    open_text,
    replace_text,
    session,
)


def _line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.split("\n")) if needle in line)


async def test_ipynb_json_text_diagnostics_point_into_the_json(client: LanguageClient) -> None:
    path = FIXTURES / "pipeline-missing-edge.ipynb"
    text = path.read_text()
    open_text(client, path.as_uri(), text, "json")
    got = await diagnostics(client, path.as_uri(), ["LNK003", "LNK003", "LNK006"])
    rows = next(d for d in got if "'rows'" in d.message)
    line = _line_of(text, "cleaned = [r * scale")
    assert rows.range.start.line == line
    start = rows.range.start.character
    assert text.split("\n")[line][start : start + 4] == "rows"


async def test_ipynb_json_quick_fix_is_a_workspace_edit(client: LanguageClient) -> None:
    path = FIXTURES / "pipeline-missing-edge.ipynb"
    uri = path.as_uri()
    text = path.read_text()
    open_text(client, uri, text, "json")
    got = await diagnostics(client, uri, ["LNK003", "LNK003", "LNK006"])
    unused = next(d for d in got if d.code == "LNK006")
    actions = await client.text_document_code_action_async(
        types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri),
            range=unused.range,
            context=types.CodeActionContext(diagnostics=[unused]),
        )
    )
    fix = next(a for a in actions or [] if isinstance(a, types.CodeAction))
    assert fix.title == "Remove unused parent load"
    assert fix.edit is not None
    (edit,) = edits_of(fix.edit, uri)
    fixed = apply_text_edits(text, [edit])
    # only the edge went away: the rest of the file is untouched
    nb = nbformat.reads(fixed, as_version=4)
    assert nb.cells[3].metadata["canvas"]["parents"] == [
        {"id": nb.cells[2].metadata["canvas"]["id"], "name": "clean"}
    ]
    assert len(fixed.split("\n")) == len(text.split("\n")) - 4
    assert edit.range.end.line - edit.range.start.line <= 6
    replace_text(client, uri, fixed, 2)
    await diagnostics(client, uri, ["LNK003", "LNK003"])


async def test_percent_text_maps_cells_back_to_their_lines(client: LanguageClient) -> None:
    path = FIXTURES / "pipeline-percent.py"
    text = path.read_text()
    open_text(client, path.as_uri(), text)
    got = await diagnostics(client, path.as_uri(), ["LNK003", "LNK003", "LNK006"])
    rows = next(d for d in got if "'rows'" in d.message)
    assert rows.range.start.line == _line_of(text, "cleaned = [r * scale")
    assert rows.range.start.character == 30
    unused = next(d for d in got if d.code == "LNK006")
    assert unused.range.start.line == _line_of(text, "total = sum(cleaned)")

    lenses = await client.text_document_code_lens_async(
        types.CodeLensParams(types.TextDocumentIdentifier(path.as_uri()))
    )
    heads = sorted({lens.range.start.line for lens in lenses or []})
    # lenses sit on the "# %%" header of each component
    assert heads == [i for i, line in enumerate(text.split("\n")) if line.startswith("# %% canvas")]

    symbols = await client.text_document_document_symbol_async(
        types.DocumentSymbolParams(types.TextDocumentIdentifier(path.as_uri()))
    )
    assert [s.name for s in symbols or []] == ["load", "clean", "report"]


async def test_ipynb_buffer_holding_percent_text_with_resolved_code_action() -> None:
    """jupytext.nvim: x.ipynb edited as percent text; this client resolves edits lazily."""
    text = (FIXTURES / "pipeline-percent.py").read_text()
    uri = (FIXTURES / "pipeline-as-percent.ipynb").as_uri()  # never read from disk
    async with session(capabilities(notebooks=False, resolve=True)) as client:
        open_text(client, uri, text)
        got = await diagnostics(client, uri, ["LNK003", "LNK003", "LNK006"])
        missing = next(d for d in got if d.code == "LNK003")
        actions = await client.text_document_code_action_async(
            types.CodeActionParams(
                text_document=types.TextDocumentIdentifier(uri),
                range=missing.range,
                context=types.CodeActionContext(diagnostics=[missing]),
            )
        )
        fix = next(a for a in actions or [] if isinstance(a, types.CodeAction))
        assert fix.title == "Add parent load to clean" and fix.edit is None
        resolved = await client.code_action_resolve_async(fix)
        assert resolved.edit is not None
        fixed = apply_text_edits(text, edits_of(resolved.edit, uri))
        header = next(line for line in fixed.split("\n") if '"name": "clean"' in line)
        assert '"parents": [{"id": "fd80d6cb' in header
        replace_text(client, uri, fixed, 2)
        await diagnostics(client, uri, ["LNK006"])


async def test_jupyter_lsp_virtual_document_uses_the_saved_notebook(
    client: LanguageClient, tmp_path: Path
) -> None:
    shutil.copy(FIXTURES / "pipeline-missing-edge.ipynb", tmp_path / "nb.ipynb")
    nb = nbformat.read(tmp_path / "nb.ipynb", as_version=4)
    code = [c.source for c in nb.cells if c.cell_type == "code"]
    # how jupyterlab-lsp concatenates cells: each followed by a newline, two blank lines apart
    text = "\n\n\n".join(code) + "\n"
    uri = (tmp_path / ".virtual_documents" / "nb.ipynb").as_uri()
    open_text(client, uri, text)
    got = await diagnostics(client, uri, ["LNK003", "LNK003", "LNK006"])
    rows = next(d for d in got if "'rows'" in d.message)
    assert rows.range.start.line == _line_of(text, "cleaned = [r * scale")
    assert rows.range.start.character == 30

    defs = await client.text_document_definition_async(
        types.DefinitionParams(types.TextDocumentIdentifier(uri), rows.range.start)
    )
    assert isinstance(defs, list) and defs[0].range.start.line == _line_of(text, "rows = [1")
    hover = await client.text_document_hover_async(
        types.HoverParams(types.TextDocumentIdentifier(uri), rows.range.start)
    )
    assert hover is not None and isinstance(hover.contents, types.MarkupContent)
    assert "**clean** (#3, component)" in hover.contents.value


async def test_plain_virtual_document_without_a_notebook_on_disk(
    client: LanguageClient, tmp_path: Path
) -> None:
    uri = (tmp_path / ".virtual_documents" / "gone.ipynb").as_uri()
    open_text(client, uri, "a = 1\n\n\nprint(a, b)\n")
    got = await diagnostics(client, uri, ["LNK004"])
    assert got[0].range.start.line == 3 and got[0].message.startswith("'b'")


async def test_documents_that_are_not_notebooks_get_nothing(client: LanguageClient) -> None:
    module = (FIXTURES / "module.py").as_uri()
    open_text(client, module, "import os\nprint(undefined_name)\n")
    assert await diagnostics(client, module, []) == []
    hover = await client.text_document_hover_async(
        types.HoverParams(types.TextDocumentIdentifier(module), types.Position(1, 8))
    )
    assert hover is None
    notes = (FIXTURES / "notes.txt").as_uri()
    open_text(client, notes, "hello", "plaintext")
    assert await diagnostics(client, notes, []) == []
    lenses = await client.text_document_code_lens_async(
        types.CodeLensParams(types.TextDocumentIdentifier(notes))
    )
    assert not lenses
