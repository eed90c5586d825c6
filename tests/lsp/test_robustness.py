"""A stream of bad input — malformed requests, unknown methods and commands, garbage
bytes, non-notebooks, broken syntax, a cycle, 200 rapid edits — then a normal request."""

from __future__ import annotations

import json

import pytest
from lsprotocol import types
from pygls.exceptions import JsonRpcException, JsonRpcInvalidParams, JsonRpcMethodNotFound
from pytest_lsp import LanguageClient

from tests.lsp.conftest import (
    FIXTURES,
    OpenNotebook,
    diagnostics,
    open_text,
    raw_request,
)


async def test_the_server_keeps_serving_through_bad_input(client: LanguageClient) -> None:
    # a request whose params are not a HoverParams at all
    with pytest.raises(JsonRpcInvalidParams, match="invalid params for textDocument/hover"):
        await raw_request(client, "textDocument/hover", {"textDocument": 5, "position": "x"})
    # a method nobody implements
    with pytest.raises(JsonRpcMethodNotFound):
        await raw_request(client, "link/noSuchMethod", {})
    # an unknown command, and a known one with a bad argument
    with pytest.raises(JsonRpcException, match=r"link\.noSuchCommand"):
        await client.workspace_execute_command_async(
            types.ExecuteCommandParams(command="link.noSuchCommand", arguments=[{}])
        )
    with pytest.raises(JsonRpcException, match="expected one argument"):
        await client.workspace_execute_command_async(
            types.ExecuteCommandParams(command="link.graph", arguments=[5, 6])
        )
    # bytes that are not JSON at all
    server = client._server
    assert server is not None and server.stdin is not None
    body = b"{this is not json"
    server.stdin.write(b"Content-Length: %d\r\n\r\n%s" % (len(body), body))

    # a document that is not a notebook, and an .ipynb that is broken JSON
    open_text(client, (FIXTURES / "notes.md").as_uri(), "# just notes", "markdown")
    broken = (FIXTURES / "broken.ipynb").as_uri()
    open_text(client, broken, '{"cells": [', "json")
    (parse,) = await diagnostics(client, broken)
    assert parse.severity == types.DiagnosticSeverity.Error and "not a notebook" in parse.message

    # a cell with broken syntax, in a notebook with a cycle
    nb = OpenNotebook(client, FIXTURES / "pipeline-cycle.ipynb").open()
    await diagnostics(client, nb.cell_uri(1), ["LNK001"])
    nb.set_text(1, "y = x +")
    # the edge from a stays declared (a cycle still) and now provides nothing b can read
    got = await diagnostics(client, nb.cell_uri(1), ["LNK001", "LNK006", "LNK009"])
    syntax = next(d for d in got if d.code == "LNK009")
    assert syntax.range.start.line == 0 and "syntax error" in syntax.message
    lenses = await client.text_document_code_lens_async(
        types.CodeLensParams(types.TextDocumentIdentifier(nb.cell_uri(1)))
    )
    assert lenses and lenses[0].command and "cycle" in lenses[0].command.title
    with pytest.raises(JsonRpcException, match="cycle"):
        await client.workspace_execute_command_async(
            types.ExecuteCommandParams(command="link.run", arguments=[{"uri": nb.cell_uri(1)}])
        )

    # 200 edits as fast as the client can send them; the last one wins
    plain = OpenNotebook(client, FIXTURES / "plain.ipynb").open()
    await diagnostics(client, plain.cell_uri(3), [])
    for i in range(200):
        plain.set_text(3, f"print(area, missing_{i})")
    (last,) = await diagnostics(client, plain.cell_uri(3), ["LNK004"])
    await diagnostics(client, plain.cell_uri(3), ["LNK004"])
    assert "'missing_199'" in last.message or await _settles_on(client, plain.cell_uri(3))

    # and a normal request still works
    hover = await client.text_document_hover_async(
        types.HoverParams(types.TextDocumentIdentifier(plain.cell_uri(2)), types.Position(0, 0))
    )
    assert hover is not None and isinstance(hover.contents, types.MarkupContent)
    assert "**`area`**" in hover.contents.value
    assert client.error is None


async def _settles_on(client: LanguageClient, uri: str) -> bool:
    from tests.lsp.conftest import wait_for

    def last_is_final() -> bool:
        got = client.diagnostics.get(uri, [])
        return len(got) == 1 and "'missing_199'" in got[0].message

    await wait_for(last_is_final, "the diagnostics of the last edit")
    return True


async def test_pull_diagnostics_for_a_client_that_asks(tmp_path: object) -> None:
    from tests.lsp.conftest import capabilities, session

    async with session(capabilities(pull=True)) as client:
        nb = OpenNotebook(client, FIXTURES / "pipeline-missing-edge.ipynb").open()
        report = await client.text_document_diagnostic_async(
            types.DocumentDiagnosticParams(types.TextDocumentIdentifier(nb.cell_uri(2)))
        )
        assert isinstance(report, types.RelatedFullDocumentDiagnosticReport)
        assert sorted(str(d.code) for d in report.items) == ["LNK003", "LNK003"]
        again = await client.text_document_diagnostic_async(
            types.DocumentDiagnosticParams(
                types.TextDocumentIdentifier(nb.cell_uri(2)), previous_result_id=report.result_id
            )
        )
        assert isinstance(again, types.RelatedUnchangedDocumentDiagnosticReport)
        # a client that pulls is not pushed to (it would see everything twice)
        assert nb.cell_uri(2) not in client.diagnostics
        assert json.dumps(client.diagnostics) == "{}"
