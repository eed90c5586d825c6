"""DAG cases: one or more per diagnostic code, on pipeline and plain notebooks."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from link_ls.pipeline import build, check
from tests.nbmake import cid, code, component, markdown, notebook


@dataclass(frozen=True)
class DagCase:
    name: str
    cells: list[dict[str, Any]]
    #: expected (code, 1-based cell) pairs, exactly
    expect: set[tuple[str, int]] = field(default_factory=set)
    parameters: list[dict[str, Any]] = field(default_factory=list)


CASES = [
    DagCase(
        "clean-pipeline",
        [
            component("load", "data = [1, 2, 3]"),
            component("train", "model = sum(data)", ["load"]),
            component("report", "print(model)", ["train"]),
        ],
    ),
    DagCase(
        "LNK001-cycle",
        [
            component("a", "x = y if 'y' in dir() else 0", ["c"]),
            component("b", "z = x", ["a"]),
            component("c", "y = z", ["b"]),
        ],
        {("LNK001", 1), ("LNK001", 2), ("LNK001", 3)},
    ),
    DagCase(
        "LNK001-self-loop",
        [component("a", "x = 1", ["a"])],
        {("LNK001", 1), ("LNK006", 1)},
    ),
    DagCase(
        "LNK002-missing-parent",
        [component("a", "x = 1"), component("b", "y = x", ["a"], parent_ids=["no-such-id"])],
        {("LNK002", 2)},
    ),
    DagCase(
        "LNK002-parent-not-component",
        [
            {**code("x = 1"), "metadata": {"canvas": {"id": cid("plain"), "isComponent": False}}},
            component("b", "y = 2", ["plain"]),
        ],
        {("LNK002", 2)},
    ),
    DagCase(
        "LNK003-missing-edge",
        [component("load", "data = 1"), component("train", "model = data * 2")],
        {("LNK003", 2)},
    ),
    DagCase(
        "LNK003-reads-from-later-component",
        [component("use", "print(later)"), component("make", "later = 1")],
        {("LNK003", 1)},
    ),
    DagCase(
        "LNK004-undefined",
        [component("a", "y = undefined_name + 1")],
        {("LNK004", 1)},
    ),
    DagCase(
        "LNK004-only-plain-cell-defines",
        [code("helper = 3"), component("a", "y = helper")],
        {("LNK004", 2)},
    ),
    DagCase(
        "parameters-are-defined",
        [component("a", "y = lr * 2")],
        set(),
        [{"name": "lr", "type": "float", "value": 0.1}],
    ),
    DagCase(
        "LNK005-two-unordered-definers",
        [
            component("a", "cfg = 1"),
            component("b", "cfg = 2"),
            component("c", "print(cfg)", ["a", "b"]),
        ],
        {("LNK005", 3)},
    ),
    DagCase(
        "ordered-redefinition-is-fine",
        [
            component("a", "cfg = 1"),
            component("b", "cfg = cfg + 1", ["a"]),
            component("c", "print(cfg)", ["b"]),
        ],
    ),
    DagCase(
        "LNK006-useless-parent",
        [
            component("a", "x = 1"),
            component("b", "y = 2"),
            component("c", "print(x)", ["a", "b"]),
        ],
        {("LNK006", 3)},
    ),
    DagCase(
        "parent-needed-transitively-is-not-LNK006",
        [
            component("a", "x = 1"),
            component("b", "y = 2", ["a"]),
            component("c", "print(x)", ["b"]),
        ],
        {("LNK006", 2)},
    ),
    DagCase(
        "LNK008-duplicate-id",
        [component("a", "x = 1", id="same"), component("b", "y = 2", id="same")],
        {("LNK008", 2)},
    ),
    DagCase(
        "LNK008-duplicate-name",
        [component("a", "x = 1"), component("a", "y = 2", id="other")],
        {("LNK008", 2)},
    ),
    DagCase(
        "LNK009-syntax-error",
        [component("a", "def f(:\n  pass")],
        {("LNK009", 1)},
    ),
    DagCase(
        "LNK010-star-import-suppresses-LNK004",
        [component("a", "from math import *"), component("b", "r = sqrt(2)", ["a"])],
        {("LNK010", 1)},
    ),
    DagCase(
        "plain-clean",
        [markdown("# t"), code("a = 1"), code("b = a + 1"), code("print(b)")],
    ),
    DagCase(
        "LNK011-out-of-order",
        [code("print(total)"), code("total = 3")],
        {("LNK011", 1)},
    ),
    DagCase("LNK004-plain", [code("print(nowhere)")], {("LNK004", 1)}),
    DagCase("LNK009-plain", [code("x = (")], {("LNK009", 1)}),
    DagCase(
        "LNK010-plain-exec",
        [code("exec('q = 1')"), code("print(q)")],
        {("LNK010", 1)},
    ),
    DagCase("empty-notebook", []),
]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_diagnostics(case: DagCase) -> None:
    nb = notebook(case.cells, case.parameters)
    got = {(d.code, d.cell_index + 1) for d in check(build(nb))}
    assert got == case.expect


def test_cycle_message_names_the_cells() -> None:
    nb = notebook(
        [
            component("first", "a = 1", ["second"]),
            component("second", "b = a", ["first"]),
        ]
    )
    msgs = [d.message for d in check(build(nb)) if d.code == "LNK001"]
    assert msgs and "first" in msgs[0] and "second" in msgs[0]


def test_lnk003_suggests_the_defining_component() -> None:
    nb = notebook([component("load", "data = 1"), component("train", "model = data")])
    (d,) = [d for d in check(build(nb)) if d.code == "LNK003"]
    assert d.data["parent"] == cid("load")
    assert d.data["name"] == "data"
    assert d.span is not None and d.span.col == 8


def test_declared_edges_are_exact_for_link_notebooks() -> None:
    nb = notebook(
        [
            component("load", "data = 1"),
            component("train", "model = data", ["load"]),
            component("report", "print(model)", ["train", "load"]),
        ]
    )
    p = build(nb)
    explicit = {(e.source, e.target) for e in p.edges() if e.kind == "explicit"}
    assert explicit == {
        (cid("load"), cid("train")),
        (cid("train"), cid("report")),
        (cid("load"), cid("report")),
    }


def test_plain_notebook_infers_latest_definer_and_mutations() -> None:
    nb = notebook([code("xs = []"), code("xs.append(1)"), code("print(xs)")])
    p = build(nb)
    edges = {(e.source, e.target) for e in p.edges()}
    ids = [c.node_id for c in nb.cells]
    assert (ids[1], ids[2]) in edges  # reader depends on the mutating cell
    assert (ids[0], ids[1]) in edges
