"""Merge fuzzing (issue 18): random triplets, with cells whose type changes on one side and
markdown attachments, merged in-process and through ``link-ls merge``.

Must hold for every triplet: the result passes ``nbformat.validate``, no source line of
ours or theirs that differs from base is lost (kept or recorded in a conflict), and the
CLI exits 1 exactly when conflicts remain (0 otherwise). Fixed seed;
``LINK_LS_FUZZ_EXAMPLES`` scales the count (``make fuzz``).
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

import nbformat
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from link_ls.merge import merge_notebooks
from link_ls.notebook import Notebook, dumps, load, loads
from tests.cli.hostile import run_cli
from tests.fuzzing import examples
from tests.merge.nbgen import triplets
from tests.merge.test_properties import recorded_lines_and_edges, validates

#: a cell without an id in an nbformat 4.5 file is (soon) invalid: fail on the warning too
pytestmark = pytest.mark.filterwarnings("error::nbformat.warnings.MissingIDFieldWarning")

SETTINGS = settings(
    max_examples=examples(60),
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)


def _nb(cells: list[dict[str, Any]]) -> Notebook:
    node = {"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    return loads(json.dumps(node), name="x.ipynb")


def test_a_cell_added_as_code_and_as_markdown_with_attachments_merges_into_a_valid_file() -> None:
    # the failing input of issue 18: a code cell with `attachments`, invalid for nbformat
    ours = _nb(
        [
            {
                "cell_type": "code",
                "id": "abc",
                "metadata": {},
                "source": "x = 1",
                "outputs": [],
                "execution_count": None,
            }
        ]
    )
    attachments = {"a.png": {"image/png": "iVBO"}}
    theirs = _nb(
        [
            {
                "cell_type": "markdown",
                "id": "abc",
                "metadata": {},
                "source": "![a](attachment:a.png)",
                "attachments": attachments,
            }
        ]
    )
    result = merge_notebooks(_nb([]), ours, theirs)
    validates(result.notebook)
    assert not result.clean
    # the attachments are not lost: they wait in a conflict record
    records = result.notebook.raw_cells[0]["metadata"]["link_ls"]["conflict"]
    kept = next(r for r in records if r["path"] == ["attachments"])
    assert kept["theirs"] == {"value": attachments}


def _retype(cell: dict[str, Any], attach: bool) -> dict[str, Any]:
    out = {k: v for k, v in cell.items() if k not in ("outputs", "execution_count", "attachments")}
    if cell["cell_type"] == "code":
        out["cell_type"] = "markdown"
        if attach:
            out["attachments"] = {"p.png": {"image/png": "iVBORw0KGgo="}}
    else:
        out["cell_type"] = "code"
        out["outputs"], out["execution_count"] = [], None
    return out


@st.composite
def retyped_triplets(draw: st.DrawFn) -> tuple[Notebook, Notebook, Notebook]:
    """Triplets where cells may change type (and gain attachments) on either side."""
    base, ours, theirs = draw(triplets())
    sides: list[list[dict[str, Any]]] = []
    for side in (ours, theirs):
        cells = [dict(c) for c in side.raw_cells]
        for i in range(len(cells)):
            if draw(st.integers(0, 4)) == 0:
                cells[i] = _retype(cells[i], draw(st.booleans()))
        sides.append(cells)
    if draw(st.booleans()):
        # both sides add a cell with the same id, one as code, one as markdown
        code = {"cell_type": "code", "metadata": {}, "source": "twin = 1"}
        code |= {"outputs": [], "execution_count": None}
        if int(ours.node.get("nbformat_minor", 0)) >= 5:
            # ids only where the notebooks have them (nbformat 4.5): a lone id is no notebook
            code["id"] = "id-twin"
        text = _retype(code, attach=draw(st.booleans()))
        first = draw(st.booleans())
        sides[0].append(code if first else text)
        sides[1].append(text if first else code)
    out = [
        Notebook({**s.node, "cells": c}, fmt=s.fmt)
        for s, c in zip((ours, theirs), sides, strict=True)
    ]
    return base, out[0], out[1]


def _lost_lines(base: Notebook, sides: tuple[Notebook, ...], merged: Notebook) -> list[str]:
    base_lines = {ln for c in base.cells for ln in c.source.splitlines()}
    lines, _ = recorded_lines_and_edges(merged)
    return [
        ln
        for side in sides
        for c in side.cells
        for ln in c.source.splitlines()
        if ln not in base_lines and ln not in lines
    ]


@SETTINGS
@given(retyped_triplets())
def test_random_merges_validate_lose_nothing_and_exit_1_iff_conflicts(
    t: tuple[Notebook, Notebook, Notebook],
) -> None:
    base, ours, theirs = t
    result = merge_notebooks(base, ours, theirs)
    validates(result.notebook)
    assert _lost_lines(base, (ours, theirs), result.notebook) == []
    with tempfile.TemporaryDirectory() as tmp:
        paths = []
        for name, nb in (("base", base), ("ours", ours), ("theirs", theirs)):
            p = Path(tmp) / f"{name}.ipynb"
            p.write_text(dumps(nb))
            paths.append(str(p))
        out = Path(tmp) / "merged.ipynb"
        got = run_cli(["merge", *paths, "-o", str(out)])
        # the files as written: a cell without an id (in an nbformat 4.5 notebook) gets
        # one on writing, made from its text, so a retyped cell is a new cell there
        written = merge_notebooks(*(load(Path(p)) for p in paths))
        assert got.code == (0 if written.clean else 1), got.stderr
        nbformat.validate(nbformat.reads(out.read_text(), as_version=4))
