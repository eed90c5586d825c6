"""Random LSP messages against a real ``python -m link_ls serve`` (issue 18).

Documents (text and notebook) mutated from real notebooks, edits with random ranges,
requests with random positions and diagnostics, commands with random arguments,
garbage params for every method, notifications sent as requests. What must hold for
every message: a request gets a response (a result or a JSON-RPC error, never
"internal error"), nothing is reported out of band, and the server keeps answering.

Fixed seed (``derandomize``); ``LINK_LS_FUZZ_EXAMPLES`` scales the count (``make fuzz``).
Commands that start kernels (``link.run``, ``link.restartKernel``) get only arguments
that fail before a kernel starts.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lsprotocol import types

from tests.fuzzing import examples
from tests.lsp.rawclient import RawServer
from tests.nbmake import component, markdown, notebook_json

ROOT = Path(__file__).resolve().parents[2]
SPIRAL = ROOT / "tests/fixtures/link/notebooks/mrx-link-examples/Spiral_Classification.ipynb"
pytestmark = pytest.mark.timeout(7200)

SMALL = notebook_json(
    [
        component("load", "data = [1, 2]"),
        markdown("# notes"),
        component("train", "model = sum(data)\nprint(model)", ["load"]),
        component("c", "x = y", ["d"]),
        component("d", "y = x", ["c"]),
    ]
)
PERCENT = (
    '# %% [markdown]\n# hi\n\n# %% canvas={"id": "a", "name": "a", "isComponent": true}\nx = 1\n'
)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[RawServer, Path]]:
    root = tmp_path_factory.mktemp("fuzz")
    shutil.copy(SPIRAL, root / "spiral.ipynb")
    (root / "small.ipynb").write_text(SMALL)
    srv = RawServer()
    srv.initialize(root)
    yield srv, root
    srv.close()


def _mutate(text: str, data: st.DataObject) -> str:
    ops = data.draw(st.lists(st.integers(0, 5), max_size=4), label="ops")
    for op in ops:
        i = data.draw(st.integers(0, max(len(text), 1)), label="at")
        if op == 0:
            text = text[:i] + text[i + data.draw(st.integers(1, 50)) :]
        elif op == 1:
            piece = data.draw(
                st.sampled_from(
                    ["\ud800", "[" * 300, "{", '"', "\\", "\n", "# %%\n", "<<<<<<< ours\n", "\x00"]
                )
            )
            text = text[:i] + piece + text[i:]
        elif op == 2:
            text = text[:i]
        elif op == 3:
            text = text.replace('"code"', '"markdown"', 1)
        elif op == 4:
            text = text.replace('"isComponent": true', '"isComponent": 7', 1)
        else:
            text = text + data.draw(st.text(max_size=30))
    return text


JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**40), 2**40) | st.text(max_size=10),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=8,
)
POS = st.fixed_dictionaries(
    {"line": st.integers(-2, 400) | JSON, "character": st.integers(-2, 400) | JSON}
)
#: paths a command may be asked to read or write: unwritable, missing, a folder, a file
PATHS = (
    st.sampled_from(
        ["/proc/link-ls-x.json", "/proc/x.tar.gz", "/no/such/dir/x.json", "/tmp", "/etc/hostname"]
    )
    | JSON
)
COMMANDS = [
    "link.graph",
    "link.check",
    "link.plan",
    "link.addEdge",
    "link.removeEdge",
    "link.toPipeline",
    "link.diff",
    "link.history",
    "link.export",
    "link.import",
    "link.merge",
    "link.resolve",
    "link.interrupt",
    "link.cache.list",
    "link.cache.clear",
    "link.cache.export",
    "link.cache.import",
    "link.applyNotebookEdit",
    "link.noSuchCommand",
]


class Fuzzer:
    def __init__(self, srv: RawServer, root: Path, data: st.DataObject) -> None:
        self.srv, self.root, self.data = srv, root, data
        self.uris = [
            (root / "spiral.ipynb").as_uri(),
            (root / "small.ipynb").as_uri(),
            (root / "text.py").as_uri(),
            (root / "nb-doc.ipynb").as_uri(),
            "untitled:Untitled-1",
            "file:///no/such/file.ipynb",
        ]

    def draw(self, strategy: st.SearchStrategy[Any], label: str = "") -> Any:
        return self.data.draw(strategy, label=label)

    def uri(self) -> str:
        return str(self.draw(st.sampled_from(self.uris) | st.text(max_size=12), "uri"))

    # -- messages ----------------------------------------------------------------------
    def open_text(self) -> None:
        base = self.draw(st.sampled_from([SMALL, SPIRAL.read_text(), PERCENT]), "base")
        uri = self.draw(st.sampled_from(self.uris[:3]))
        text = _mutate(base, self.data)
        lang = "python" if uri.endswith(".py") else "json"
        self.srv.notify(
            "textDocument/didOpen",
            {"textDocument": {"uri": uri, "languageId": lang, "version": 1, "text": text}},
        )

    def change_text(self) -> None:
        rng = {"start": self.draw(POS), "end": self.draw(POS)}
        change: dict[str, Any] = {"text": self.draw(st.text(max_size=20))}
        if self.draw(st.booleans()):
            change["range"] = rng
        self.srv.notify(
            "textDocument/didChange",
            {
                "textDocument": {"uri": self.uri(), "version": self.draw(st.integers(0, 99))},
                "contentChanges": [change],
            },
        )

    def open_notebook(self) -> None:
        uri = self.uris[3]
        n = self.draw(st.integers(0, 4))
        cells, docs = [], []
        for i in range(n):
            cell_uri = f"{uri}#cell{i}"
            canvas = self.draw(
                st.sampled_from(
                    [
                        None,
                        {"id": f"c{i}", "name": f"n{i}\ud800", "isComponent": True, "parents": []},
                        {"id": "c0", "name": "dup", "isComponent": True, "parents": [{"id": "c1"}]},
                    ]
                )
                | JSON
            )
            md: Any = {"metadata": {"canvas": canvas}} if canvas is not None else {}
            cells.append({"kind": self.draw(st.sampled_from([1, 2])), "document": cell_uri})
            if md:
                cells[-1]["metadata"] = md
            text = self.draw(
                st.sampled_from(["x = 1", "y = x", "\ud800", "def f(:", 'x = "\udfff"']) | st.text()
            )
            docs.append({"uri": cell_uri, "languageId": "python", "version": 1, "text": text})
        self.srv.notify(
            "notebookDocument/didOpen",
            {
                "notebookDocument": {
                    "uri": uri,
                    "notebookType": "jupyter-notebook",
                    "version": 1,
                    "cells": cells,
                    "metadata": self.draw(st.none() | JSON),
                },
                "cellTextDocuments": docs,
            },
        )

    def close(self) -> None:
        if self.draw(st.booleans()):
            self.srv.notify("textDocument/didClose", {"textDocument": {"uri": self.uri()}})
        else:
            self.srv.notify(
                "notebookDocument/didClose",
                {"notebookDocument": {"uri": self.uris[3]}, "cellTextDocuments": []},
            )

    def request(self) -> tuple[str, Any]:
        doc = {"uri": self.uri()}
        kind = self.draw(st.integers(0, 7), "request")
        if kind == 0:
            return "textDocument/hover", {"textDocument": doc, "position": self.draw(POS)}
        if kind == 1:
            return "textDocument/codeLens", {"textDocument": doc}
        if kind == 2:
            diag = {
                "range": {"start": self.draw(POS), "end": self.draw(POS)},
                "message": "m",
                "source": "link-ls",
                "code": self.draw(
                    st.sampled_from(["LNK001", "LNK003", "LNK006", "LNK007", "LNK012"])
                ),
                "data": self.draw(JSON),
            }
            return "textDocument/codeAction", {
                "textDocument": doc,
                "range": {"start": self.draw(POS), "end": self.draw(POS)},
                "context": {"diagnostics": [diag]},
            }
        if kind == 3:
            return "codeAction/resolve", {"title": "t", "data": self.draw(JSON)}
        if kind == 4:
            method = self.draw(
                st.sampled_from(
                    [
                        types.TEXT_DOCUMENT_DOCUMENT_SYMBOL,
                        types.TEXT_DOCUMENT_DIAGNOSTIC,
                        types.TEXT_DOCUMENT_DEFINITION,
                        types.TEXT_DOCUMENT_REFERENCES,
                    ]
                )
            )
            return method, {
                "textDocument": doc,
                "position": self.draw(POS),
                "context": {"includeDeclaration": True},
            }
        if kind == 5:
            arg = self.draw(
                JSON
                | st.fixed_dictionaries(
                    {"uri": st.sampled_from(self.uris)},
                    optional={
                        "cell": JSON,
                        "child": JSON,
                        "parent": JSON,
                        "mode": JSON,
                        "apply": JSON,
                        "output": PATHS,
                        "archive": PATHS,
                        "file": PATHS,
                        "format": JSON | st.sampled_from(["link", "py", "link-ls"]),
                    },
                )
            )
            return "workspace/executeCommand", {
                "command": self.draw(st.sampled_from(COMMANDS)),
                "arguments": self.draw(st.lists(st.just(arg), max_size=2)),
            }
        if kind == 6:
            return "workspace/executeCommand", {
                "command": self.draw(st.sampled_from(["link.run", "link.restartKernel"])),
                "arguments": [{"uri": "file:///no/such.ipynb", "cell": self.draw(JSON)}],
            }
        method = self.draw(st.sampled_from(sorted(types.METHOD_TO_TYPES)), "method")
        return method, self.draw(JSON)

    def step(self) -> None:
        what = self.draw(st.integers(0, 9), "what")
        if what == 0:
            self.open_text()
        elif what == 1:
            self.change_text()
        elif what == 2:
            self.open_notebook()
        elif what == 3:
            self.close()
        elif what == 4:
            # garbage bytes on the wire
            self.srv.write_raw(self.draw(st.binary(max_size=30)))
        else:
            method, params = self.request()
            if method in ("shutdown", "exit", "initialize", "window/workDoneProgress/cancel"):
                method = "textDocument/hover"
            got = self.srv.request(method, params, timeout=60)
            assert "result" in got or "error" in got, got
            if "error" in got:
                assert got["error"]["code"] != -32603, (method, json.dumps(params)[:300], got)


@settings(
    max_examples=examples(60),
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
    database=None,
)
@given(st.data())
def test_random_messages_get_answers_and_no_internal_error(
    server: tuple[RawServer, Path], data: st.DataObject
) -> None:
    srv, root = server
    fuzz = Fuzzer(srv, root, data)
    mark = srv.mark()
    for _ in range(data.draw(st.integers(1, 3), "steps")):
        fuzz.step()
    # the server still answers, and has reported nothing
    got = srv.request("textDocument/codeLens", {"textDocument": {"uri": fuzz.uris[1]}}, timeout=60)
    assert "result" in got or got["error"]["code"] != -32603
    assert srv.internal_errors(mark) == []


def test_nothing_was_reported_afterwards(server: tuple[RawServer, Path]) -> None:
    # diagnostics are published after a pause: errors in them show up late
    import time

    srv, root = server
    time.sleep(1.5)
    got = srv.request(
        "textDocument/codeLens", {"textDocument": {"uri": (root / "small.ipynb").as_uri()}}
    )
    assert "result" in got
    assert srv.internal_errors() == []
    assert srv.proc.poll() is None
