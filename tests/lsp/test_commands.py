"""workspace/executeCommand: link.graph/plan/check/addEdge/removeEdge/toPipeline, with progress
and cancellation (execution: test_run.py)."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path
from typing import Any

import nbformat
import pytest
from lsprotocol import types
from pygls.exceptions import JsonRpcException
from pytest_lsp import LanguageClient

from tests.lsp.conftest import (
    FIXTURES,
    OpenNotebook,
    apply_text_edits,
    diagnostics,
    edits_of,
    open_text,
    wait_for,
)
from tests.nbmake import code, notebook_json


async def command(client: LanguageClient, name: str, arg: Any) -> Any:
    return await client.workspace_execute_command_async(
        types.ExecuteCommandParams(command=name, arguments=[arg])
    )


async def test_graph_plan_check_on_an_open_notebook(client: LanguageClient) -> None:
    nb = OpenNotebook(client, FIXTURES / "pipeline-missing-edge.ipynb").open()
    await diagnostics(client, nb.cell_uri(3), ["LNK006"])
    graph = await command(client, "link.graph", {"uri": nb.uri})
    assert graph["pipeline"] is True
    assert [n["name"] for n in graph["nodes"]] == ["load", "clean", "report"]
    kinds = sorted((e["kind"], e["names"]) for e in graph["edges"])
    assert ("inferred", ["rows", "scale"]) in kinds

    plan = await command(client, "link.plan", {"uri": nb.uri, "cell": "report"})
    assert plan["mode"] == "upTo"
    assert [c["name"] for c in plan["cells"]] == ["load", "clean", "report"]
    # a cell uri alone means "up to this cell"
    plan = await command(client, "link.plan", {"uri": nb.cell_uri(2)})
    assert [c["name"] for c in plan["cells"]] == ["clean"]

    check = await command(client, "link.check", {"uri": nb.uri})
    codes = sorted(d["code"] for d in check["diagnostics"])
    assert codes == ["LNK003", "LNK003", "LNK006"]
    # progress was reported and ended for the long commands
    ends = [
        v
        for reports in client.progress_reports.values()
        for v in reports
        if isinstance(v, types.WorkDoneProgressEnd)
    ]
    assert len(ends) >= 3 and all(v.message == "done" for v in ends)


async def test_read_only_commands_work_on_a_file_that_is_not_open(client: LanguageClient) -> None:
    uri = (FIXTURES / "pipeline-cycle.ipynb").as_uri()
    check = await command(client, "link.check", {"uri": uri})
    assert {d["code"] for d in check["diagnostics"]} >= {"LNK001"}
    with pytest.raises(JsonRpcException, match="cycle"):
        await command(client, "link.plan", {"uri": uri, "cell": "b"})


async def test_add_and_remove_edge_on_a_text_document(client: LanguageClient) -> None:
    path = FIXTURES / "pipeline-missing-edge.ipynb"
    text = path.read_text()
    open_text(client, path.as_uri(), text, "json")
    await diagnostics(client, path.as_uri(), ["LNK003", "LNK003", "LNK006"])
    result = await command(
        client, "link.addEdge", {"uri": path.as_uri(), "child": "clean", "parent": "load"}
    )
    assert result["changed"] and result["applied"] and result["cells"] == [3]
    (applied,) = client.applied_edits  # type: ignore[attr-defined]
    fixed = apply_text_edits(text, edits_of(applied, path.as_uri()))
    nb = nbformat.reads(fixed, as_version=4)
    assert [p["name"] for p in nb.cells[2].metadata["canvas"]["parents"]] == ["load"]

    result = await command(
        client,
        "link.removeEdge",
        {"uri": path.as_uri(), "child": "#4", "parent": "load", "apply": False},
    )
    assert result["changed"] and not result["applied"] and result["edit"]["documentChanges"]

    with pytest.raises(JsonRpcException, match="no cell named 'nope'"):
        await command(
            client, "link.addEdge", {"uri": path.as_uri(), "child": "nope", "parent": "load"}
        )


async def test_add_edge_on_a_notebook_document_returns_notebook_edits(
    client: LanguageClient,
) -> None:
    nb = OpenNotebook(client, FIXTURES / "pipeline-missing-edge.ipynb").open()
    await diagnostics(client, nb.cell_uri(2), ["LNK003", "LNK003"])
    result = await command(
        client, "link.addEdge", {"uri": nb.uri, "child": "clean", "parent": "#2"}
    )
    assert result["edit"] is None and not result["applied"]
    (edit,) = result["notebookEdits"]
    assert edit["notebookUri"] == nb.uri and edit["cellIndex"] == 2
    nb.set_metadata(2, edit["metadata"])
    assert await diagnostics(client, nb.cell_uri(2), []) == []


async def test_to_pipeline_turns_cells_into_components(client: LanguageClient) -> None:
    path = FIXTURES / "plain.ipynb"
    text = path.read_text()
    open_text(client, path.as_uri(), text, "json")
    await diagnostics(client, path.as_uri(), [])
    actions = await client.text_document_code_action_async(
        types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(path.as_uri()),
            range=types.Range(types.Position(0, 0), types.Position(0, 0)),
            context=types.CodeActionContext(diagnostics=[]),
        )
    )
    (action,) = [a for a in actions or [] if isinstance(a, types.CodeAction)]
    assert action.kind == types.CodeActionKind.RefactorRewrite and action.edit is not None
    nb = nbformat.reads(apply_text_edits(text, edits_of(action.edit, path.as_uri())), 4)
    comps = [c.metadata["canvas"] for c in nb.cells if c.cell_type == "code"]
    assert [c["name"] for c in comps] == ["math", "area", "cell_4"]
    assert [[p["name"] for p in c["parents"]] for c in comps] == [[], ["math"], ["area"]]


async def test_cancelling_a_long_command(client: LanguageClient, tmp_path: Path) -> None:
    salt = uuid.uuid4().hex  # fresh sources: nothing is in the analysis cache yet
    big = tmp_path / "big.ipynb"
    big.write_text(notebook_json([code(f"v{i} = {i}  # {salt}") for i in range(3000)]))
    params = types.ExecuteCommandParams(command="link.check", arguments=[{"uri": big.as_uri()}])
    future = client.protocol.send_request(types.WORKSPACE_EXECUTE_COMMAND, params)
    msg_id = next(k for k, v in client.protocol._request_futures.items() if v is future)
    client.protocol.notify(types.CANCEL_REQUEST, types.CancelParams(id=msg_id))
    with pytest.raises(JsonRpcException, match="cancel"):
        await asyncio.wait_for(asyncio.wrap_future(future), 60)

    def ended_cancelled() -> bool:
        return any(
            isinstance(v, types.WorkDoneProgressEnd) and v.message == "cancelled"
            for reports in client.progress_reports.values()
            for v in reports
        )

    await wait_for(ended_cancelled, "the work to stop as cancelled")
    # and the server still answers
    graph = await command(client, "link.graph", {"uri": (FIXTURES / "plain.ipynb").as_uri()})
    assert len(graph["nodes"]) == 3
