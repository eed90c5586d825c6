"""VS Code's path: LSP 3.17 notebook documents, each cell its own text document."""

from __future__ import annotations

from typing import Any

from lsprotocol import types
from pytest_lsp import LanguageClient

from tests.lsp.conftest import FIXTURES, OpenNotebook, diagnostics, raw_request, wait_for

LOAD, CLEAN, REPORT = 1, 2, 3  # cell positions in pipeline-missing-edge.ipynb


async def test_diagnostics_land_on_the_cell_that_has_the_problem(client: LanguageClient) -> None:
    nb = OpenNotebook(client, FIXTURES / "pipeline-missing-edge.ipynb").open()
    clean = await diagnostics(client, nb.cell_uri(CLEAN), ["LNK003", "LNK003"])
    report = await diagnostics(client, nb.cell_uri(REPORT), ["LNK006"])
    rows = next(d for d in clean if "'rows'" in d.message)
    # cell text: "cleaned = [r * scale for r in rows if r > 1]" — the range is on `rows`
    assert (rows.range.start.line, rows.range.start.character) == (0, 30)
    assert (rows.range.end.line, rows.range.end.character) == (0, 34)
    assert rows.severity == types.DiagnosticSeverity.Warning
    assert report[0].severity == types.DiagnosticSeverity.Hint
    assert await diagnostics(client, nb.cell_uri(LOAD), []) == []


async def test_editing_one_cell_updates_its_diagnostics(client: LanguageClient) -> None:
    nb = OpenNotebook(client, FIXTURES / "pipeline-missing-edge.ipynb").open()
    await diagnostics(client, nb.cell_uri(CLEAN), ["LNK003", "LNK003"])
    nb.set_text(CLEAN, "cleaned = [1, 2]")
    assert await diagnostics(client, nb.cell_uri(CLEAN), []) == []
    nb.set_text(CLEAN, "cleaned = [1, 2]\nprint(undefined_thing)")
    got = await diagnostics(client, nb.cell_uri(CLEAN), ["LNK004"])
    assert got[0].range.start.line == 1


async def test_quick_fix_adds_the_parent_as_a_client_applied_notebook_edit(
    client: LanguageClient,
) -> None:
    nb = OpenNotebook(client, FIXTURES / "pipeline-missing-edge.ipynb").open()
    diags = await diagnostics(client, nb.cell_uri(CLEAN), ["LNK003", "LNK003"])
    # raw JSON: lsprotocol would misread a code action carrying a command as a Command
    actions = await raw_request(
        client,
        types.TEXT_DOCUMENT_CODE_ACTION,
        types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(nb.cell_uri(CLEAN)),
            range=diags[0].range,
            context=types.CodeActionContext(diagnostics=diags[:1]),
        ),
    )
    preferred = [a for a in actions if a.get("isPreferred")]
    assert len(preferred) == 1, actions
    fix = preferred[0]
    assert fix["title"] == "Add parent load to clean" and fix["kind"] == "quickfix"
    assert fix["command"]["command"] == "link.applyNotebookEdit"
    (arg,) = fix["command"]["arguments"]
    assert arg["notebookUri"] == nb.uri and arg["cellIndex"] == CLEAN
    whole: dict[str, Any] = arg["metadata"]
    # the whole VS Code cell metadata comes back, nbformat metadata nested under "metadata"
    assert whole["id"] == nb.nb.cells[CLEAN].id and "execution_count" in whole
    load_id = nb.nb.cells[LOAD].metadata["canvas"]["id"]
    assert whole["metadata"]["canvas"]["parents"] == [{"id": load_id, "name": "load"}]
    assert whole["metadata"]["canvas"]["name"] == "clean"

    nb.set_metadata(CLEAN, whole)  # what the VS Code client does with the command
    assert await diagnostics(client, nb.cell_uri(CLEAN), []) == []


async def test_code_lenses_hover_definition_references_symbols(client: LanguageClient) -> None:
    nb = OpenNotebook(client, FIXTURES / "pipeline-missing-edge.ipynb").open()
    await diagnostics(client, nb.cell_uri(REPORT), ["LNK006"])
    doc = types.TextDocumentIdentifier(nb.cell_uri(REPORT))

    lenses = await client.text_document_code_lens_async(types.CodeLensParams(doc))
    titles = [lens.command.title for lens in lenses or [] if lens.command]
    assert titles == [
        "▶ Run up to here (3 cells)",
        "▶ Run cell",
        "parents: load, clean · no children",
    ]
    run = next(lens.command for lens in lenses or [] if lens.command)
    assert run.command == "link.run"
    assert list(run.arguments or []) == [
        {"uri": nb.uri, "cell": nb.nb.cells[REPORT].metadata["canvas"]["id"], "mode": "upTo"}
    ]

    # hover `rows` in clean: who defines it, and the component
    hover = await client.text_document_hover_async(
        types.HoverParams(types.TextDocumentIdentifier(nb.cell_uri(CLEAN)), types.Position(0, 31))
    )
    assert hover is not None and isinstance(hover.contents, types.MarkupContent)
    assert "defined by: load" in hover.contents.value
    assert "**clean** (#3, component)" in hover.contents.value

    # go to definition of `rows` jumps into the load cell
    defs = await client.text_document_definition_async(
        types.DefinitionParams(
            types.TextDocumentIdentifier(nb.cell_uri(CLEAN)), types.Position(0, 31)
        )
    )
    assert isinstance(defs, list) and len(defs) == 1
    assert isinstance(defs[0], types.Location)
    assert defs[0].uri == nb.cell_uri(LOAD) and defs[0].range.start == types.Position(0, 0)

    refs = await client.text_document_references_async(
        types.ReferenceParams(
            text_document=types.TextDocumentIdentifier(nb.cell_uri(LOAD)),
            position=types.Position(1, 1),
            context=types.ReferenceContext(include_declaration=True),
        )
    )
    assert sorted((r.uri, r.range.start.line) for r in refs or []) == [
        (nb.cell_uri(LOAD), 1),
        (nb.cell_uri(CLEAN), 0),
    ]

    symbols = await client.text_document_document_symbol_async(types.DocumentSymbolParams(doc))
    assert symbols and isinstance(symbols[0], types.DocumentSymbol)
    assert symbols[0].name == "report" and symbols[0].detail == "← load, clean"
    assert [c.name for c in symbols[0].children or []] == ["total"]


async def test_inserted_and_removed_cells_are_followed(client: LanguageClient) -> None:
    nb = OpenNotebook(client, FIXTURES / "plain.ipynb").open()
    await diagnostics(client, nb.cell_uri(3), [])
    new = nb.insert_code_cell(4, "print(volume)")
    await diagnostics(client, new, ["LNK004"])
    lenses = await client.text_document_code_lens_async(
        types.CodeLensParams(types.TextDocumentIdentifier(new))
    )
    assert lenses and lenses[0].command and lenses[0].command.title.startswith("▶ Run up to here")

    await wait_for(lambda: True, "")
    client.notebook_document_did_close(
        types.DidCloseNotebookDocumentParams(
            notebook_document=types.NotebookDocumentIdentifier(nb.uri),
            cell_text_documents=[types.TextDocumentIdentifier(c.document) for c in nb.cells],
        )
    )
    assert await diagnostics(client, new, []) == []
