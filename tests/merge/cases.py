"""Small named notebooks for merge tests: a three-component pipeline and its variants."""

from __future__ import annotations

import copy
from typing import Any

from link_ls.notebook import Notebook
from tests.nbmake import component, markdown, notebook

Cell = dict[str, Any]

LOAD = "rows = list(range(1000))\nrows = [r * 2 for r in rows]\nrows = rows[:100]"
TRAIN = "model = sum(rows)\nscore = model / 2"
EVAL = "print(score)"
PARAMS = [{"name": "lr", "type": "float", "value": 0.1}]


def pipeline_cells() -> list[Cell]:
    """load → train → eval, with a title cell."""
    return [
        markdown("# Pipeline"),
        component("load", LOAD),
        component("train", TRAIN, ["load"]),
        component("eval", EVAL, ["train"]),
    ]


def nb(cells: list[Cell], params: list[dict[str, Any]] | None = None) -> Notebook:
    return notebook(copy.deepcopy(cells), PARAMS if params is None else params)


def edit(cells: list[Cell], name: str, source: str) -> list[Cell]:
    out = copy.deepcopy(cells)
    for c in out:
        if c["metadata"].get("canvas", {}).get("name") == name:
            c["source"] = source
    return out


def by_name(cells: list[Cell], name: str) -> Cell:
    return next(c for c in cells if c["metadata"].get("canvas", {}).get("name") == name)


def drop(cells: list[Cell], name: str) -> list[Cell]:
    """Delete a component the way Link does: its cell and the edges that point at it."""
    out = [copy.deepcopy(c) for c in cells if c["metadata"].get("canvas", {}).get("name") != name]
    for c in out:
        cv = c["metadata"].get("canvas")
        if cv:
            cv["parents"] = [p for p in cv["parents"] if p["name"] != name]
    return out


def add_edge(cells: list[Cell], child: str, parent: str) -> list[Cell]:
    out = copy.deepcopy(cells)
    p = by_name(out, parent)["metadata"]["canvas"]
    by_name(out, child)["metadata"]["canvas"]["parents"].append({"id": p["id"], "name": parent})
    return out


def parents(nbk: Notebook, name: str) -> list[str]:
    cell = next(c for c in nbk.cells if c.name == name)
    assert cell.canvas is not None
    return [p.name for p in cell.canvas.parents]


def source(nbk: Notebook, name: str) -> str:
    return next(c for c in nbk.cells if c.name == name).source
