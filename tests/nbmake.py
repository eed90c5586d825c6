"""Small builders for notebooks in tests: plain cells, Link components, parameters."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from link_ls.notebook import Notebook, loads


def cid(name: str) -> str:
    """A stable canvas id for a component name (uuid5, like a real uuid)."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, "test/" + name))


def component(
    name: str,
    source: str,
    parents: Sequence[str] = (),
    *,
    id: str | None = None,
    parent_ids: Sequence[str] = (),
    extra: dict[str, Any] | None = None,
) -> dict[str, Any]:
    c = new_code_cell(source)
    canvas = {
        "id": id or cid(name),
        "name": name,
        "isComponent": True,
        "componentType": "CodeCell",
        "parents": [{"id": cid(p), "name": p} for p in parents]
        + [{"id": pid, "name": "?"} for pid in parent_ids],
        "diskcache": False,
        "comments": [],
        "headerColor": "none",
    }
    canvas.update(extra or {})
    c.metadata["canvas"] = canvas
    return dict(c)


def code(source: str) -> dict[str, Any]:
    return dict(new_code_cell(source))


def markdown(source: str) -> dict[str, Any]:
    return dict(new_markdown_cell(source))


def notebook_json(
    cells: Sequence[dict[str, Any]], parameters: Sequence[dict[str, Any]] = ()
) -> str:
    nb = new_notebook()
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nb.metadata["language_info"] = {"name": "python"}
    if parameters:
        nb.metadata["canvas"] = {"version": "1.0", "parameters": list(parameters)}
    nb.cells = [nbformat.from_dict(c) for c in cells]
    return str(nbformat.writes(nb))


def notebook(
    cells: Sequence[dict[str, Any]], parameters: Sequence[dict[str, Any]] = ()
) -> Notebook:
    return loads(notebook_json(cells, parameters), name="test.ipynb")
