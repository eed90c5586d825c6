"""Issue 18 in the pipeline model: stray component marks (LNK012), LNK006 fixes that never
break a descendant, and single cells made components with inferred parents."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from link_ls.notebook import Notebook, load, loads
from link_ls.pipeline import build, check, plan_up_to
from link_ls.pipeline.edits import (
    clear_component,
    make_component,
    move_edge_down,
    remove_edge,
)
from tests.nbmake import code, component, notebook, notebook_json

ROOT = Path(__file__).resolve().parents[2]
SPIRAL = ROOT / "tests/fixtures/link/notebooks/mrx-link-examples/Spiral_Classification.ipynb"


def _codes(nb: Notebook) -> list[tuple[str, int]]:
    return [(str(d.code), d.cell_index) for d in check(build(nb))]


def _as_markdown(cell: dict[str, Any], keep_outputs: bool = False) -> dict[str, Any]:
    """What JupyterLab does to a component cell turned into markdown."""
    out = {k: v for k, v in cell.items() if k not in ("execution_count", "outputs")}
    out["cell_type"] = "markdown"
    if keep_outputs:
        out["outputs"] = []
    return out


def _stray_notebook() -> str:
    cells = [
        component("load", "data = 1"),
        _as_markdown(component("notes", "# about the data")),
        component("train", "model = data", ["load", "notes"]),
    ]
    return notebook_json(cells)


def test_a_markdown_cell_marked_as_component_is_reported_not_crashed_on() -> None:
    # the failing input: `check`/`graph` died with "internal error: KeyError"
    nb = loads(_stray_notebook(), name="stray.ipynb")
    p = build(nb)
    assert [nb.cells[i].name for i in p.nodes] == ["load", "train"]
    codes = _codes(nb)
    assert ("LNK012", 1) in codes
    # the child's edge to it is an edge to a non-component, as for any plain cell
    assert ("LNK002", 2) in codes
    assert [s.name for s in plan_up_to(p, 2).steps] == ["load", "train"]


def test_the_quick_fix_clears_the_mark_and_keeps_the_other_canvas_keys() -> None:
    nb = loads(_stray_notebook(), name="stray.ipynb")
    out = clear_component(nb, "#2")
    canvas = out.raw_cells[1]["metadata"]["canvas"]
    assert canvas["isComponent"] is False and canvas["name"] == "notes"
    assert "LNK012" not in [c for c, _ in _codes(out)]


def test_check_and_graph_on_the_cli_report_lnk012_and_exit_1(tmp_path: Path) -> None:
    path = tmp_path / "stray.ipynb"
    path.write_text(_stray_notebook())
    for cmd in (["check"], ["graph", "--format", "json"]):
        r = subprocess.run(
            [sys.executable, "-m", "link_ls", *cmd, str(path)], capture_output=True, text=True
        )
        assert "internal error" not in r.stderr
        if cmd == ["check"]:
            assert r.returncode == 1 and "LNK012" in r.stdout
        else:
            assert r.returncode == 0
            assert [n["name"] for n in json.loads(r.stdout)["nodes"]] == ["load", "train"]


def test_lnk006_on_spiral_never_offers_a_removal_that_breaks_a_descendant() -> None:
    # the failing input: removing "Make spiral data" from "Set Linear model variables" gave
    # its child "Train Linear model" ten LNK003 warnings
    nb = load(SPIRAL)
    diags = [d for d in check(build(nb)) if d.code == "LNK006"]
    linear = next(d for d in diags if nb.cells[d.cell_index].name == "Set Linear model variables")
    train = next(c for c in nb.cells if c.name == "Train Linear model")
    assert linear.data["neededBy"] == [train.node_id]
    fixed = move_edge_down(
        nb, str(linear.data["child"]), str(linear.data["parent"]), linear.data["neededBy"]
    )
    before = {(c, i) for c, i in _codes(nb) if c != "LNK006"}
    after = {(c, i) for c, i in _codes(fixed) if c != "LNK006"}
    assert after <= before
    # the naive removal is what broke it
    broken = remove_edge(nb, str(linear.data["child"]), str(linear.data["parent"]))
    assert ("LNK003", train.index) in _codes(broken)


def test_lnk006_with_nothing_below_needing_the_parent_stays_a_plain_removal() -> None:
    nb = notebook(
        [
            component("a", "x = 1"),
            component("b", "y = 2"),
            component("c", "z = y", ["a", "b"]),
            component("d", "print(z)", ["c"]),
        ]
    )
    (d,) = [d for d in check(build(nb)) if d.code == "LNK006"]
    assert "neededBy" not in d.data
    assert not [c for c, _ in _codes(remove_edge(nb, "c", "a")) if c == "LNK003"]


def test_make_component_infers_parents_and_writes_every_canvas_field() -> None:
    nb = notebook(
        [
            component("load", "data = 1"),
            component("prep", "clean = data * 2", ["load"]),
            code("result = clean + data"),
        ]
    )
    out = make_component(nb, "#3")
    canvas = out.raw_cells[2]["metadata"]["canvas"]
    assert set(canvas) >= {
        "id",
        "name",
        "isComponent",
        "componentType",
        "parents",
        "diskcache",
        "comments",
        "headerColor",
    }
    assert canvas["name"] == "result"
    assert [p["name"] for p in canvas["parents"]] == ["load", "prep"]
    assert not [c for c, _ in _codes(out) if c in ("LNK003", "LNK004")]
    assert nb.raw_cells[2]["metadata"] == {}
