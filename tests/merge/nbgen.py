"""Random base/ours/theirs notebook triplets for the merge property tests (hypothesis)."""

from __future__ import annotations

import copy
import json
from typing import Any

import networkx as nx
from hypothesis import strategies as st

from link_ls.notebook import Notebook, loads

Cell = dict[str, Any]
LINES = ["a = 1", "b = a + 1", "c = b * 2", "print(c)", "x = 0", "y = x", "", "# note"]


def make_cell(name: str, lines: list[str], *, component: bool, with_id: bool) -> Cell:
    cell: Cell = {
        "cell_type": "code" if component else "markdown",
        "metadata": {},
        "source": "\n".join(lines),
    }
    if component:
        cell["outputs"] = []
        cell["execution_count"] = None
        cell["metadata"]["canvas"] = {
            "id": f"cid-{name}",
            "name": name,
            "isComponent": True,
            "componentType": "CodeCell",
            "parents": [],
            "diskcache": False,
        }
    if with_id:
        cell["id"] = f"id-{name}"
    return cell


def to_notebook(cells: list[Cell], with_ids: bool, params: list[Any] | None = None) -> Notebook:
    md: dict[str, Any] = {"kernelspec": {"name": "python3", "display_name": "Python 3"}}
    if params is not None:
        md["canvas"] = {"version": "1.0", "parameters": params}
    node = {"cells": cells, "metadata": md, "nbformat": 4, "nbformat_minor": 5 if with_ids else 4}
    return loads(json.dumps(node), name="gen.ipynb")


def canvas_id(c: Cell) -> str | None:
    cv = c.get("metadata", {}).get("canvas")
    return cv["id"] if isinstance(cv, dict) else None


def edges(cells: list[Cell]) -> set[tuple[str, str]]:
    out = set()
    for c in cells:
        cid = canvas_id(c)
        if cid:
            out |= {(cid, p["id"]) for p in c["metadata"]["canvas"]["parents"]}
    return out


def _graph(cells: list[Cell]) -> nx.DiGraph[str]:
    g: nx.DiGraph[str] = nx.DiGraph()
    for child, parent in edges(cells):
        g.add_edge(parent, child)
    return g


def _components(cells: list[Cell]) -> list[int]:
    return [i for i, c in enumerate(cells) if canvas_id(c)]


@st.composite
def _edit(draw: st.DrawFn, cells: list[Cell], side: str, n: int, with_ids: bool) -> None:
    """Apply one random edit to ``cells`` in place (keeps the side acyclic and without
    dangling edges, as Link itself would)."""
    kind = draw(
        st.sampled_from(
            ["line", "line", "insert", "delete", "move", "edge+", "edge+", "edge-", "meta", "rerun"]
        )
    )
    comps = _components(cells)
    if kind == "line" and cells:
        c = cells[draw(st.integers(0, len(cells) - 1))]
        lines = c["source"].split("\n") if c["source"] else []
        pos = draw(st.integers(0, len(lines)))
        op = draw(st.sampled_from(["replace", "insert", "delete"]))
        new = draw(st.sampled_from(LINES)) + f"  # {side}{n}"
        if op == "insert" or not lines:
            lines.insert(pos, new)
        elif op == "replace":
            lines[min(pos, len(lines) - 1)] = new
        else:
            del lines[min(pos, len(lines) - 1)]
        c["source"] = "\n".join(lines)
    elif kind == "insert":
        name = f"{side}{n}"
        lines = [*draw(st.lists(st.sampled_from(LINES), max_size=3)), f"new = '{name}'"]
        cell = make_cell(name, lines, component=draw(st.booleans()), with_id=with_ids)
        cells.insert(draw(st.integers(0, len(cells))), cell)
    elif kind == "delete" and cells:
        gone = cells.pop(draw(st.integers(0, len(cells) - 1)))
        cid = canvas_id(gone)
        for c in cells:
            if cid and canvas_id(c):
                cv = c["metadata"]["canvas"]
                cv["parents"] = [p for p in cv["parents"] if p["id"] != cid]
    elif kind == "move" and len(cells) > 1:
        cell = cells.pop(draw(st.integers(0, len(cells) - 1)))
        cells.insert(draw(st.integers(0, len(cells))), cell)
    elif kind == "edge+" and len(comps) > 1:
        # a few cells get most edges, so the two sides often touch the same pair
        child = cells[draw(st.sampled_from(comps[:3]))]
        parent = cells[draw(st.sampled_from(comps[:3]))]
        ccid, pcid = canvas_id(child), canvas_id(parent)
        assert ccid and pcid
        g = _graph(cells)
        has_path = ccid in g and pcid in g and nx.has_path(g, ccid, pcid)
        if ccid != pcid and not has_path and (ccid, pcid) not in edges(cells):
            child["metadata"]["canvas"]["parents"].append(
                {"id": pcid, "name": parent["metadata"]["canvas"]["name"]}
            )
    elif kind == "edge-" and comps:
        cv = cells[draw(st.sampled_from(comps))]["metadata"]["canvas"]
        if cv["parents"]:
            cv["parents"].pop(draw(st.integers(0, len(cv["parents"]) - 1)))
    elif kind == "meta" and cells:
        c = cells[draw(st.integers(0, min(2, len(cells) - 1)))]
        key = draw(st.sampled_from(["tags", "collapsed", "note"]))
        if key == "tags":
            c["metadata"]["tags"] = sorted(
                set(c["metadata"].get("tags", [])) | {draw(st.sampled_from(["a", "b", side]))}
            )
        elif key == "collapsed":
            c["metadata"][key] = draw(st.booleans())
        else:
            c["metadata"][key] = draw(st.sampled_from(["x", side]))
    elif kind == "rerun" and comps:
        c = cells[draw(st.sampled_from(comps))]
        c["execution_count"] = draw(st.integers(1, 9))
        c["outputs"] = [{"output_type": "stream", "name": "stdout", "text": f"{side}{n}\n"}]


@st.composite
def base_cells(draw: st.DrawFn, with_ids: bool) -> list[Cell]:
    n = draw(st.integers(0, 6))
    cells: list[Cell] = []
    for i in range(n):
        lines = draw(st.lists(st.sampled_from(LINES), max_size=4))
        cells.append(make_cell(f"c{i}", lines, component=draw(st.booleans()), with_id=with_ids))
    comps = _components(cells)
    for k, ci in enumerate(comps):
        for pj in comps[:k]:
            if draw(st.integers(0, 3)) == 0:
                p = cells[pj]["metadata"]["canvas"]
                cells[ci]["metadata"]["canvas"]["parents"].append(
                    {"id": p["id"], "name": p["name"]}
                )
    return cells


@st.composite
def side_of(draw: st.DrawFn, base: list[Cell], side: str, with_ids: bool) -> list[Cell]:
    cells = copy.deepcopy(base)
    for n in range(draw(st.integers(0, 6))):
        draw(_edit(cells, side, n, with_ids))
    return cells


PARAMS = [
    {"name": "lr", "type": "float", "value": 0.1},
    {"name": "epochs", "type": "int", "value": 3},
]


@st.composite
def params_of(draw: st.DrawFn, base: list[Any], side: str) -> list[Any]:
    params = copy.deepcopy(base)
    op = draw(st.sampled_from(["none", "none", "change", "add", "remove"]))
    if op == "change" and params:
        params[draw(st.integers(0, len(params) - 1))]["value"] = side
    elif op == "add":
        params.append({"name": draw(st.sampled_from(["seed", side])), "type": "str", "value": side})
    elif op == "remove" and params:
        params.pop(draw(st.integers(0, len(params) - 1)))
    return params


@st.composite
def triplets(draw: st.DrawFn) -> tuple[Notebook, Notebook, Notebook]:
    with_ids = draw(st.booleans())
    base = draw(base_cells(with_ids))
    ours = draw(side_of(base, "ours", with_ids))
    theirs = draw(side_of(base, "theirs", with_ids))
    p_ours, p_theirs = draw(params_of(PARAMS, "o")), draw(params_of(PARAMS, "t"))
    return (
        to_notebook(base, with_ids, copy.deepcopy(PARAMS)),
        to_notebook(ours, with_ids, p_ours),
        to_notebook(theirs, with_ids, p_theirs),
    )
