"""Loading and saving: Link round trips, jupytext text, atomic writes, bad input."""

from __future__ import annotations

import json
import os
from pathlib import Path

import nbformat
import pytest

from link_ls.errors import CellReferenceError, NotebookFormatError, NotebookNotFound
from link_ls.notebook import ParentRef, dumps, load, loads, resolve_cell, save
from tests.nbmake import cid, code, component, notebook_json

EXAMPLES = Path(__file__).parents[2] / "examples"


def test_link_notebook_round_trip_is_byte_identical(tmp_path: Path) -> None:
    src = EXAMPLES / "pipeline.ipynb"
    original = src.read_text()
    target = tmp_path / "p.ipynb"
    target.write_text(original)
    save(load(target))
    assert target.read_text() == original


def test_unknown_metadata_survives_an_edge_change(tmp_path: Path) -> None:
    text = notebook_json(
        [
            component("a", "x = 1", extra={"comments": [{"text": "hi"}], "headerColor": "red"}),
            component("b", "y = x"),
        ]
    )
    data = json.loads(text)
    data["metadata"]["custom"] = {"keep": [1, 2, {"deep": True}]}
    data["cells"][1]["metadata"]["tags"] = ["important"]
    data["cells"][1]["metadata"]["canvas"]["copiedOriginId"] = "origin-1"
    path = tmp_path / "n.ipynb"
    path.write_text(json.dumps(data))
    nb = load(path)
    nb.add_parent(1, 0)
    save(nb)
    after = json.loads(path.read_text())
    assert after["metadata"]["custom"] == {"keep": [1, 2, {"deep": True}]}
    assert after["cells"][1]["metadata"]["tags"] == ["important"]
    canvas = after["cells"][1]["metadata"]["canvas"]
    assert canvas["copiedOriginId"] == "origin-1"
    assert canvas["parents"] == [{"id": cid("a"), "name": "a"}]
    assert after["cells"][0]["metadata"]["canvas"]["comments"] == [{"text": "hi"}]
    assert load(path).cells[1].canvas.parents == (ParentRef(cid("a"), "a"),)  # type: ignore[union-attr]


def test_nbformat_44_without_ids_stays_44(tmp_path: Path) -> None:
    nb = nbformat.v4.new_notebook()
    nb.nbformat_minor = 4
    nb.cells = [nbformat.v4.new_code_cell("x = 1")]
    raw = json.loads(nbformat.writes(nb))
    for c in raw["cells"]:
        c.pop("id", None)
    path = tmp_path / "old.ipynb"
    path.write_text(json.dumps(raw))
    loaded = load(path)
    save(loaded)
    again = json.loads(path.read_text())
    assert again["nbformat_minor"] == 4
    assert "id" not in again["cells"][0]


def test_percent_text_in_an_ipynb_buffer_is_jupytext() -> None:
    text = (
        '# %% canvas={"id": "a1", "name": "load", "isComponent": true, "parents": []}\n'
        "x = 1\n\n"
        '# %% canvas={"id": "b1", "name": "use", "isComponent": true, '
        '"parents": [{"id": "a1", "name": "load"}]}\n'
        "print(x)\n"
    )
    nb = loads(text, name="notes.ipynb")
    assert nb.fmt.kind == "percent"
    assert [c.name for c in nb.cells] == ["load", "use"]
    assert nb.cells[1].canvas.parents[0].id == "a1"  # type: ignore[union-attr]
    assert loads(dumps(nb), name="notes.ipynb").cells[1].source == "print(x)"


def test_light_script() -> None:
    nb = loads("x = 1\n\n\ny = x\n", name="script.py")
    assert nb.fmt.kind == "light"
    assert [c.source for c in nb.cells if c.is_code] == ["x = 1", "y = x"]


def test_atomic_save_keeps_old_file_when_serialising_fails(tmp_path: Path) -> None:
    path = tmp_path / "n.ipynb"
    path.write_text(notebook_json([code("x = 1")]))
    before = path.read_bytes()
    nb = load(path)
    nb.raw_cells[0]["source"] = object()  # not serialisable
    with pytest.raises(TypeError):
        save(nb)
    assert path.read_bytes() == before
    assert sorted(os.listdir(tmp_path)) == ["n.ipynb"]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('{"cells": [', "invalid JSON"),
        ("[1, 2]", "not a notebook"),
        ('{"a": 1}', "not a notebook"),
        ('{"cells": [], "nbformat": 5}', "unsupported nbformat"),
        ('{"cells": [{"cell_type": "weird"}], "nbformat": 4, "metadata": {}}', "unknown cell_type"),
        ('{"cells": "no", "nbformat": 4, "metadata": {}}', "not a list"),
        ("", "empty file"),
    ],
)
def test_bad_input_is_a_one_line_error(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "bad.ipynb"
    path.write_text(content)
    with pytest.raises(NotebookFormatError, match=message) as info:
        load(path)
    assert "\n" not in str(info.value)
    assert str(path) in str(info.value)


def test_nbformat3_is_upgraded_in_memory(tmp_path: Path) -> None:
    v3 = {
        "metadata": {"name": "old"},
        "nbformat": 3,
        "nbformat_minor": 0,
        "worksheets": [
            {
                "cells": [
                    {"cell_type": "code", "input": "x = 1", "language": "python", "outputs": []}
                ]
            }
        ],
    }
    path = tmp_path / "v3.ipynb"
    path.write_text(json.dumps(v3))
    nb = load(path)
    assert [c.source for c in nb.cells] == ["x = 1"]


def test_missing_file() -> None:
    with pytest.raises(NotebookNotFound, match="no such file"):
        load("/nonexistent/x.ipynb")


def test_cell_references() -> None:
    nb = loads(
        notebook_json([code("a = 1"), component("train", "b = a"), component("eval", "c = b")]),
        name="r.ipynb",
    )
    assert resolve_cell(nb, "#1").index == 0
    assert resolve_cell(nb, "train").index == 1
    assert resolve_cell(nb, cid("eval")).index == 2
    assert resolve_cell(nb, nb.cells[0].cell_id or "").index == 0
    with pytest.raises(CellReferenceError, match="out of range"):
        resolve_cell(nb, "#9")
    with pytest.raises(CellReferenceError, match="no cell named 'nope'"):
        resolve_cell(nb, "nope")


def test_ambiguous_reference_lists_candidates() -> None:
    nb = loads(
        notebook_json([component("x", "a = 1"), component("x", "b = 2", id="other")]),
        name="amb.ipynb",
    )
    with pytest.raises(CellReferenceError, match=r"ambiguous: #1 \(x\), #2 \(x\)"):
        resolve_cell(nb, "x")


def test_text_notebook_keeps_canvas_added_after_reading() -> None:
    nb = loads("# %%\nx = 1\n\n# %%\ny = x\n", name="flow.py")
    nb.make_component(0, "load")
    nb.make_component(1, "use")
    nb.add_parent(1, 0)
    again = loads(dumps(nb), name="flow.py")
    assert [c.name for c in again.cells] == ["load", "use"]
    assert again.cells[1].canvas is not None
    assert again.cells[1].canvas.parents[0].name == "load"


def test_json_sources_are_strings_in_memory() -> None:
    nb = loads(notebook_json([code("a = 1\nb = 2")]), name="s.ipynb")
    assert nb.raw_cells[0]["source"] == "a = 1\nb = 2"
