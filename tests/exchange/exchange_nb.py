"""Builders for exchange tests: pipeline notebooks from plain values, and the CLI runner."""

from __future__ import annotations

import json
import subprocess
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from link_ls.notebook import Notebook, loads
from tests.conftest import run_link_ls

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures" / "exchange"
EXAMPLE = ROOT / "examples" / "pipeline.ipynb"


def cid(name: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, "exchange-test/" + name))


def component(
    name: str, source: str, parents: Sequence[str] = (), *, id: str | None = None
) -> dict[str, Any]:
    cell = new_code_cell(source)
    cell.metadata["canvas"] = {
        "id": id or cid(name),
        "name": name,
        "isComponent": True,
        "componentType": "CodeCell",
        "parents": [{"id": cid(p), "name": p} for p in parents],
        "diskcache": False,
        "comments": [],
        "headerColor": "none",
        "copiedOriginId": None,
    }
    out: dict[str, Any] = json.loads(json.dumps(cell))
    return out


def markdown(text: str) -> dict[str, Any]:
    out: dict[str, Any] = json.loads(json.dumps(new_markdown_cell(text)))
    return out


def notebook(cells: Sequence[dict[str, Any]], parameters: Sequence[dict[str, Any]] = ()) -> str:
    nb = new_notebook()
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nb.metadata["language_info"] = {"name": "python"}
    if parameters:
        nb.metadata["canvas"] = {"version": "1.0", "parameters": list(parameters)}
    nb.cells = list(cells)
    return json.dumps(nb, indent=1) + "\n"


def nb_from(cells: Sequence[dict[str, Any]], parameters: Sequence[dict[str, Any]] = ()) -> Notebook:
    return loads(notebook(cells, parameters), name="test.ipynb")


def graph_of(nb: Notebook) -> dict[str, tuple[str, str, tuple[str, ...]]]:
    """canvas id -> (name, source, parent ids) for every component: what a user compares."""
    return {
        c.canvas.id: (c.canvas.name, c.source, tuple(p.id for p in c.canvas.parents))
        for c in nb.cells
        if c.canvas is not None and c.canvas.is_component
    }


def run_cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return run_link_ls(*args, cwd=cwd, env={"NO_COLOR": "1", "COLUMNS": "200"})
