"""Issue 18 through a real server: each failing input of the issue, as an editor sends it."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from link_ls.notebook import loads
from link_ls.pipeline import build, check
from tests.lsp.rawclient import RawServer
from tests.nbmake import code, component, notebook_json

ROOT = Path(__file__).resolve().parents[2]
SPIRAL = ROOT / "tests/fixtures/link/notebooks/mrx-link-examples/Spiral_Classification.ipynb"


@pytest.fixture(scope="module")
def srv(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[RawServer, Path]]:
    root = tmp_path_factory.mktemp("hard")
    server = RawServer()
    server.initialize(root)
    yield server, root
    assert server.internal_errors() == []
    server.close()


def _open(server: RawServer, path: Path, text: str) -> str:
    uri = path.as_uri()
    server.notify(
        "textDocument/didOpen",
        {"textDocument": {"uri": uri, "languageId": "json", "version": 1, "text": text}},
    )
    return uri


def _diagnostics(server: RawServer, uri: str, code: str) -> list[dict[str, Any]]:
    end = time.monotonic() + 30
    while time.monotonic() < end:
        for n in reversed(server.notifications):
            if n.get("method") == "textDocument/publishDiagnostics" and n["params"]["uri"] == uri:
                found = [d for d in n["params"]["diagnostics"] if d.get("code") == code]
                if found:
                    return found
                break
        time.sleep(0.05)
    raise AssertionError(f"no {code} on {uri}")


def _result(server: RawServer, method: str, params: Any) -> Any:
    got = server.request(method, params)
    assert "result" in got, got
    return got["result"]


def _actions(server: RawServer, uri: str, rng: Any, diags: list[Any]) -> list[dict[str, Any]]:
    params = {"textDocument": {"uri": uri}, "range": rng, "context": {"diagnostics": diags}}
    return list(_result(server, "textDocument/codeAction", params))


def _apply(server: RawServer, uri: str, text: str, action: dict[str, Any]) -> str:
    if "edit" not in action:
        action = _result(server, "codeAction/resolve", action)
    edits: list[dict[str, Any]] = []
    for dc in action["edit"].get("documentChanges") or []:
        if dc["textDocument"]["uri"] == uri:
            edits += dc["edits"]
    edits += (action["edit"].get("changes") or {}).get(uri, [])
    lines = text.split("\n")
    starts = [0]
    for line in lines[:-1]:
        starts.append(starts[-1] + len(line) + 1)

    def offset(p: dict[str, int]) -> int:
        return starts[p["line"]] + p["character"] if p["line"] < len(lines) else len(text)

    for e in sorted(edits, key=lambda e: offset(e["range"]["start"]), reverse=True):
        text = (
            text[: offset(e["range"]["start"])] + e["newText"] + text[offset(e["range"]["end"]) :]
        )
    return text


def _stray_text() -> str:
    nb = json.loads(
        notebook_json(
            [
                component("load", "data = 1"),
                component("notes", "Some *notes*"),
                component("train", "model = data", ["load"]),
            ]
        )
    )
    cell = nb["cells"][1]
    cell["cell_type"] = "markdown"
    del cell["outputs"], cell["execution_count"]
    return json.dumps(nb, indent=1)


def test_a_markdown_cell_marked_as_component_is_served_and_fixed(
    srv: tuple[RawServer, Path],
) -> None:
    # the failing input: KeyError behind diagnostics, lenses, hover, symbols, graph, plan
    server, root = srv
    text = _stray_text()
    uri = _open(server, root / "stray.ipynb", text)
    (stray,) = _diagnostics(server, uri, "LNK012")
    assert "Link cannot open the notebook" in stray["message"]
    doc = {"textDocument": {"uri": uri}}
    lenses = _result(server, "textDocument/codeLens", doc)
    assert any("Run up to here" in (lens["command"]["title"]) for lens in lenses)
    _result(server, "textDocument/documentSymbol", doc)
    _result(server, "textDocument/hover", {**doc, "position": stray["range"]["start"]})
    graph = _result(
        server, "workspace/executeCommand", {"command": "link.graph", "arguments": [{"uri": uri}]}
    )
    assert [n["name"] for n in graph["nodes"]] == ["load", "train"]
    (fix,) = [a for a in _actions(server, uri, stray["range"], [stray]) if a.get("isPreferred")]
    assert fix["title"].startswith("Clear the component mark")
    fixed = loads(_apply(server, uri, text, fix), name="fixed.ipynb")
    assert fixed.raw_cells[1]["metadata"]["canvas"]["isComponent"] is False
    assert "LNK012" not in [d.code for d in check(build(fixed))]


def test_a_component_below_a_cycle_says_which_cycle_blocks_it(
    srv: tuple[RawServer, Path],
) -> None:
    server, root = srv
    text = notebook_json(
        [
            component("a", "x = y", ["b"]),
            component("b", "y = x", ["a"]),
            component("below", "z = x + y", ["b"]),
        ]
    )
    uri = _open(server, root / "below-cycle.ipynb", text)
    _diagnostics(server, uri, "LNK001")
    titles = [
        lens["command"]["title"]
        for lens in _result(server, "textDocument/codeLens", {"textDocument": {"uri": uri}})
    ]
    blocked = [t for t in titles if "blocked by the cycle" in t]
    assert blocked == ["⚠ blocked by the cycle a → b → a: cannot run up to here"]
    assert not [t for t in titles if t.startswith("▶ Run up to here")]


def test_lnk006_on_spiral_moves_the_edge_down_and_breaks_nothing(
    srv: tuple[RawServer, Path],
) -> None:
    # the failing input: the preferred fix gave "Train Linear model" ten LNK003 warnings
    server, root = srv
    text = SPIRAL.read_text()
    uri = _open(server, root / "Spiral_Classification.ipynb", text)
    diags = _diagnostics(server, uri, "LNK006")
    linear = next(
        d
        for d in diags
        if "Train Linear model" in d["message"] and "Two-layered" not in d["message"]
    )
    actions = _actions(server, uri, linear["range"], [linear])
    (fix,) = [a for a in actions if a.get("isPreferred")]
    assert fix["title"] == "Move parent Make spiral data down to Train Linear model"
    fixed = loads(_apply(server, uri, text, fix), name="fixed.ipynb")
    before = {(d.code, d.cell_index) for d in check(build(loads(text, name="x.ipynb")))}
    after = {(d.code, d.cell_index) for d in check(build(fixed))}
    assert after - before == set()
    train = next(c for c in fixed.cells if c.name == "Train Linear model")
    assert train.canvas is not None
    assert {p.name for p in train.canvas.parents} == {
        "Set Linear model variables",
        "Make spiral data",
    }


def test_a_new_code_cell_can_become_a_component_with_inferred_parents(
    srv: tuple[RawServer, Path],
) -> None:
    server, root = srv
    text = notebook_json(
        [component("load", "data = 1"), component("prep", "clean = data"), code("out = clean + 1")]
    )
    uri = _open(server, root / "new-cell.ipynb", text)
    line = next(i for i, ln in enumerate(text.split("\n")) if "out = clean" in ln)
    col = text.split("\n")[line].index("out")
    rng = {"start": {"line": line, "character": col}, "end": {"line": line, "character": col}}
    made = [a for a in _actions(server, uri, rng, []) if a["title"].startswith("Make this cell")]
    assert [a["title"] for a in made] == ["Make this cell a component (parents inferred: prep)"]
    fixed = loads(_apply(server, uri, text, made[0]), name="fixed.ipynb")
    canvas = fixed.raw_cells[2]["metadata"]["canvas"]
    assert canvas["name"] == "out" and canvas["isComponent"] is True
    assert [p["name"] for p in canvas["parents"]] == ["prep"]
    assert {"diskcache", "comments", "headerColor", "componentType"} <= set(canvas)


def test_every_request_gets_an_answer(srv: tuple[RawServer, Path]) -> None:
    server, _ = srv
    # a notification-only method sent as a request: it used to get no answer at all
    got = server.request("textDocument/didSave", {"textDocument": {"uri": "file:///x.py"}})
    assert got["error"]["code"] == -32600 and "notification" in got["error"]["message"]
    # malformed params name the field
    got = server.request(
        "textDocument/hover",
        {"textDocument": {"uri": "file:///x.py"}, "position": {"line": "one", "character": 0}},
    )
    assert got["error"]["code"] == -32602 and "params.position.line" in got["error"]["message"]
    # an id that is neither a string nor a number is answered with id null
    server.send({"jsonrpc": "2.0", "id": [1], "method": "textDocument/hover", "params": {}})
    assert server.wait(None)["error"]["code"] == -32600
    got = server.request("link/nothing", {})
    assert got["error"]["code"] == -32601


def test_notebook_documents_get_the_new_actions_as_cell_metadata_edits(
    srv: tuple[RawServer, Path],
) -> None:
    # VS Code's way: the code action is a link.applyNotebookEdit command with whole metadata
    server, root = srv
    uri = (root / "vscode.ipynb").as_uri()
    canvas = {"id": "c-load", "name": "load", "isComponent": True, "parents": []}
    stray = {"id": "c-md", "name": "notes", "isComponent": True, "parents": []}
    cells = [
        ("x = 1", 2, {"metadata": {"canvas": canvas}}),
        ("# notes", 1, {"metadata": {"canvas": stray}}),
        ("y = x + 1", 2, {}),
    ]
    server.notify(
        "notebookDocument/didOpen",
        {
            "notebookDocument": {
                "uri": uri,
                "notebookType": "jupyter-notebook",
                "version": 1,
                "cells": [
                    {"kind": kind, "document": f"{uri}#c{i}", "metadata": md}
                    for i, (_, kind, md) in enumerate(cells)
                ],
            },
            "cellTextDocuments": [
                {"uri": f"{uri}#c{i}", "languageId": "python", "version": 1, "text": text}
                for i, (text, _, _) in enumerate(cells)
            ],
        },
    )
    (lnk012,) = _diagnostics(server, f"{uri}#c1", "LNK012")
    (clear,) = _actions(server, f"{uri}#c1", lnk012["range"], [lnk012])
    (edit,) = clear["command"]["arguments"]
    # VS Code nests the nbformat metadata under "metadata": the edit keeps that form
    assert edit["cellIndex"] == 1
    assert edit["metadata"]["metadata"]["canvas"]["isComponent"] is False
    here = {"start": {"line": 0, "character": 0}, "end": {"line": 0, "character": 0}}
    made = [a for a in _actions(server, f"{uri}#c2", here, []) if a["title"].startswith("Make")]
    assert [a["title"] for a in made] == ["Make this cell a component (parents inferred: load)"]
    (edit,) = made[0]["command"]["arguments"]
    # a cell that had no metadata gets it flat, as toPipeline does
    new = edit["metadata"].get("metadata", edit["metadata"])["canvas"]
    assert edit["cellIndex"] == 2 and new["name"] == "y" and new["parents"][0]["id"] == "c-load"
    assert {"diskcache", "comments", "headerColor", "componentType"} <= set(new)
