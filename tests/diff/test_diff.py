"""Notebook diff: cells, outputs, metadata and pipeline changes, in text, JSON and HTML."""

from __future__ import annotations

import base64
import copy
import json
from pathlib import Path
from typing import Any

from link_ls.diff.compute import diff_notebooks
from link_ls.diff.model import CellStatus, DiffOptions
from link_ls.diff.render_html import render_html
from link_ls.diff.render_json import diff_to_json
from link_ls.diff.render_text import render_text
from link_ls.notebook import Notebook, load
from tests.nbmake import cid, code, component, markdown, notebook

EXAMPLES = Path(__file__).parents[2] / "examples"
FIXTURES = Path(__file__).parents[1] / "fixtures" / "diff"

PNG_A = base64.b64encode(b"\x89PNG first image" * 400).decode()
PNG_B = base64.b64encode(b"\x89PNG second image" * 400).decode()


def _copy(nb: Notebook) -> Notebook:
    return Notebook(copy.deepcopy(nb.node))


def _stream(text: str, name: str = "stdout") -> dict[str, Any]:
    return {"output_type": "stream", "name": name, "text": text}


def _image(png: str) -> dict[str, Any]:
    return {"output_type": "display_data", "data": {"image/png": png}, "metadata": {}}


def test_identical_notebooks_have_no_changes() -> None:
    nb = load(EXAMPLES / "pipeline.ipynb")
    d = diff_notebooks(nb, _copy(nb))
    assert not d.changed
    assert d.summary() == "no changes"
    assert all(c.status is CellStatus.UNCHANGED for c in d.cells)


def test_cells_modified_added_removed_moved_with_summary() -> None:
    a = notebook([code(f"step_{k} = {k}\nprint(step_{k})\n") for k in range(6)])
    b = _copy(a)
    b.raw_cells[1]["source"] = "step_1 = 100\nprint(step_1)\n"
    b.raw_cells[2]["source"] = "step_2 = 200\nprint(step_2)\n"
    b.raw_cells[3]["source"] = "step_3 = 300\nprint(step_3)\n"
    moved = b.raw_cells.pop(0)
    b.raw_cells.append(moved)
    del b.raw_cells[3]  # the old cell 4
    b.raw_cells.insert(1, markdown("# notes"))
    b.touch()
    d = diff_notebooks(a, b)
    by_status = {s: d.count(s) for s in CellStatus}
    assert by_status[CellStatus.MODIFIED] == 3
    assert by_status[CellStatus.ADDED] == 1
    assert by_status[CellStatus.REMOVED] == 1
    assert by_status[CellStatus.MOVED] == 1
    assert d.summary().startswith("3 cells changed, 1 added, 1 removed, 1 moved")
    text = render_text(d)
    assert "━━ code cell #3 → #3 · modified" not in text
    assert "-step_1 = 1" in text and "+step_1 = 100" in text
    assert "· moved" in text and "· added" in text and "· removed" in text


def test_outputs_summarised_never_base64() -> None:
    a = notebook([code("plot()\n")])
    a.raw_cells[0]["outputs"] = [_stream("one\n"), _image(PNG_A)]
    b = _copy(a)
    b.raw_cells[0]["outputs"] = [_stream("one\ntwo\n"), _image(PNG_B), _stream("warn\n", "stderr")]
    b.touch()
    d = diff_notebooks(a, b)
    (cell,) = d.changed_cells
    assert cell.outputs is not None
    assert cell.outputs.summary == (
        "2 outputs → 3 outputs, stdout changed (1 → 2 lines), image/png changed, stderr added"
    )
    for rendered in (render_text(d), json.dumps(diff_to_json(d)), render_html(d)):
        assert PNG_A[:40] not in rendered and PNG_B[:40] not in rendered


def test_execution_counts_are_not_changes_and_outputs_can_be_ignored() -> None:
    a = notebook([code("1 + 1\n")])
    a.raw_cells[0]["execution_count"] = 1
    a.raw_cells[0]["outputs"] = [
        {
            "output_type": "execute_result",
            "execution_count": 1,
            "data": {"text/plain": "2"},
            "metadata": {},
        }
    ]
    b = _copy(a)
    b.raw_cells[0]["execution_count"] = 7
    b.raw_cells[0]["outputs"][0]["execution_count"] = 7
    b.touch()
    assert not diff_notebooks(a, b).changed
    b.raw_cells[0]["outputs"][0]["data"]["text/plain"] = "3"
    b.touch()
    assert diff_notebooks(a, b).changed
    assert not diff_notebooks(a, b, DiffOptions(ignore_outputs=True)).changed


def test_huge_stream_and_images_diff_readably() -> None:
    big_a = "".join(f"line {k}\n" for k in range(1_000_000))  # ~10 MB
    big_b = big_a + "one more\n"
    a = notebook([code("spam()\n"), code("show()\n")])
    a.raw_cells[0]["outputs"] = [_stream(big_a)]
    a.raw_cells[1]["outputs"] = [_image(PNG_A * 50)]
    b = _copy(a)
    b.raw_cells[0]["outputs"] = [_stream(big_b)]
    b.raw_cells[1]["outputs"] = [_image(PNG_B * 50)]
    b.touch()
    d = diff_notebooks(a, b)
    text = render_text(d)
    assert "stdout changed (1000000 → 1000001 lines)" in text
    assert "image/png changed" in text
    assert len(text) < 2000
    assert len(json.dumps(diff_to_json(d))) < 10_000


def test_metadata_changes_and_ignore_metadata() -> None:
    a = notebook([code("x = 1\n")])
    b = _copy(a)
    b.raw_cells[0]["metadata"]["tags"] = ["slow"]
    b.metadata["kernelspec"]["display_name"] = "Python 3.12"
    b.touch()
    d = diff_notebooks(a, b)
    (cell,) = d.changed_cells
    assert [(m.key, m.op) for m in cell.metadata] == [("tags", "added")]
    assert [(m.key, m.op) for m in d.metadata] == [("kernelspec", "changed")]
    assert 'metadata: tags added: ["slow"]' in render_text(d)
    assert not diff_notebooks(a, b, DiffOptions(ignore_metadata=True)).changed


def test_pipeline_diff_components_edges_parameters() -> None:
    params = [{"name": "seed", "type": "int", "value": 1}]
    a = notebook(
        [
            component("load", "rows = [1, 2]\n"),
            component("clean", "good = rows\n", ["load"]),
            component("train", "model = good\n", ["clean"]),
            component("plot", "draw(model)\n", ["train"]),
        ],
        params,
    )
    b = _copy(a)
    b.raw_cells[2]["metadata"]["canvas"]["parents"].append({"id": cid("load"), "name": "load"})
    b.raw_cells[1]["metadata"]["canvas"]["name"] = "cleanup"
    del b.raw_cells[3]
    b.raw_cells.append(component("evaluate", "score = model\n", ["train"]))
    b.metadata["canvas"]["parameters"] = [
        {"name": "seed", "type": "int", "value": 2},
        {"name": "rate", "type": "float", "value": 0.1},
    ]
    b.touch()
    d = diff_notebooks(a, b)
    p = d.pipeline
    assert p is not None
    assert [c.text for c in p.components] == [
        "component clean renamed to cleanup",
        "component plot removed",
        "component evaluate added",
    ]
    assert sorted(e.text for e in p.edges) == [
        "edge load→train added",
        "edge train→evaluate added",
        "edge train→plot removed",
    ]
    assert [q.text for q in p.parameters] == ["parameter seed 1 → 2", "parameter rate added"]
    # edges of an added/removed component are implied in the one-line summary
    assert d.summary() == (
        "1 cell added, 1 removed; component clean renamed to cleanup, component plot removed, "
        "component evaluate added, edge load→train added, parameter seed 1 → 2, "
        "parameter rate added"
    )
    text = render_text(d)
    assert "  + edge load→train" in text and "  - edge train→plot" in text
    # the rename is pipeline structure, not a metadata change of the cell
    assert not any(c.metadata for c in d.cells)


def test_plain_notebook_inferred_edges_change() -> None:
    a = notebook([code("a = 1\n"), code("b = 2\n"), code("c = a\n")])
    b = _copy(a)
    b.raw_cells[2]["source"] = "c = b\n"
    b.touch()
    d = diff_notebooks(a, b)
    assert d.pipeline is not None
    assert sorted(e.text for e in d.pipeline.edges) == ["edge #1→#3 removed", "edge #2→#3 added"]


def test_nbformat_44_without_ids_against_45_with_ids() -> None:
    old = load(FIXTURES / "plain-v4.4-no-ids.ipynb")
    new = load(FIXTURES / "plain-v4.5-ids-edited.ipynb")
    assert all(c.cell_id is None for c in old.cells)
    assert all(c.cell_id for c in new.cells)
    d = diff_notebooks(old, new)
    assert [(c.status.value, c.side.position) for c in d.changed_cells] == [
        ("modified", "#2"),
        ("added", "#4"),
    ]


def test_link_example_edit_is_named_by_component() -> None:
    a = load(EXAMPLES / "pipeline.ipynb")
    b = _copy(a)
    train = next(c for c in a.cells if c.name == "train")
    b.raw_cells[train.index]["source"] = train.source + "\n# tuned"
    b.touch()
    d = diff_notebooks(a, b)
    assert [c.label for c in d.changed_cells] == [f"component train ({train.position})"]
    assert d.summary() == "1 cell changed"


def test_html_is_self_contained_with_pipeline_drawings() -> None:
    a = notebook([component("load", "x = 1\n"), component("train", "y = x\n")])
    b = _copy(a)
    b.raw_cells[1]["metadata"]["canvas"]["parents"] = [{"id": cid("load"), "name": "load"}]
    b.raw_cells[1]["source"] = "y = x + 1\n"
    b.touch()
    page = render_html(diff_notebooks(a, b))
    assert page.startswith("<!DOCTYPE html>")
    assert "<script" not in page and "src=" not in page and "<link" not in page
    assert "https://" not in page
    assert page.count("<svg") == 2
    assert 'class="edge added"' in page
    assert 'class="node modified"' in page
    assert "y = x + 1" in page


def test_json_shape() -> None:
    a = notebook([component("load", "x = 1\n")])
    b = _copy(a)
    b.raw_cells.append(component("train", "y = x\n", ["load"]))
    b.touch()
    j = diff_to_json(diff_notebooks(a, b))
    assert j["format"] == "link-ls/diff" and j["version"] == 1
    assert j["changed"] is True
    assert j["counts"]["added"] == 1
    (cell,) = j["cells"]
    assert cell["status"] == "added"
    assert cell["new"]["name"] == "train" and cell["old"] is None
    assert cell["source"][0]["lines"] == ["+y = x"]
    edge = j["pipeline"]["edges"][0]
    assert (edge["op"], edge["source"]["name"], edge["target"]["name"]) == (
        "added",
        "load",
        "train",
    )
    assert edge["source"]["componentId"] == cid("load")
    json.dumps(j)  # JSON-able all the way down
