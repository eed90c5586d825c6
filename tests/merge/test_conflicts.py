"""Finding conflicts in a merged notebook and resolving exactly one with ours/theirs/both/base."""

from __future__ import annotations

import copy

import nbformat
import pytest

from link_ls.merge import (
    ConflictKind,
    ConflictNotFound,
    MergeError,
    find_conflicts,
    merge_notebooks,
    resolve_conflict,
)
from link_ls.notebook import Notebook, dumps, loads
from link_ls.pipeline import build, check
from tests.merge.cases import (
    EVAL,
    TRAIN,
    add_edge,
    by_name,
    drop,
    edit,
    nb,
    parents,
    pipeline_cells,
    source,
)
from tests.nbmake import component

BASE = pipeline_cells()


def valid(n: Notebook) -> None:
    nbformat.validate(nbformat.from_dict(copy.deepcopy(n.node)))


def two_source_conflicts() -> Notebook:
    base = edit(BASE, "train", "a = 1\nb = 2\nc = 3\nd = 4\ne = 5")
    ours = edit(base, "train", "a = 10\nb = 2\nc = 3\nd = 4\ne = 50")
    theirs = edit(base, "train", "a = 11\nb = 2\nc = 3\nd = 4\ne = 51")
    return merge_notebooks(nb(base), nb(ours), nb(theirs)).notebook


def test_find_conflicts_reports_each_marker_block_with_its_lines() -> None:
    merged = two_source_conflicts()
    found = find_conflicts(merged)
    assert [(c.id, c.start_line, c.end_line) for c in found] == [
        ("source:1", 0, 7),
        ("source:2", 10, 17),
    ]
    assert all(c.cell_index == 2 and c.kind is ConflictKind.SOURCE for c in found)
    assert found[1].to_json()["range"] == {"start_line": 10, "end_line": 17}


@pytest.mark.parametrize(
    ("choice", "expected"),
    [
        ("ours", "a = 10\nb = 2"),
        ("theirs", "a = 11\nb = 2"),
        ("both", "a = 10\na = 11\nb = 2"),
        ("base", "a = 1\nb = 2"),
    ],
)
def test_resolving_one_source_conflict_touches_only_that_block(choice: str, expected: str) -> None:
    merged = two_source_conflicts()
    res = resolve_conflict(merged, 2, "source:1", choice)
    text = source(res.notebook, "train")
    assert text.startswith(expected + "\n")
    assert [c.id for c in find_conflicts(res.notebook)] == [
        "source:1"
    ]  # the second one, renumbered
    assert source(merged, "train").count("<<<<<<<") == 2  # the input is not changed
    assert res.source_edit is not None and (
        res.source_edit.start_line,
        res.source_edit.end_line,
    ) == (0, 7)
    valid(res.notebook)


def test_resolving_the_last_block_keeps_the_source_without_a_final_newline() -> None:
    merged = two_source_conflicts()
    res = resolve_conflict(merged, 2, "source:2", "theirs")
    assert source(res.notebook, "train").endswith("d = 4\ne = 51")


def test_base_is_refused_for_markers_without_a_base_section() -> None:
    cells = edit(BASE, "train", "<<<<<<< ours\nx = 1\n=======\nx = 2\n>>>>>>> theirs\n")
    n = nb(cells)
    (c,) = find_conflicts(n)
    assert c.base is None
    with pytest.raises(MergeError, match="no base"):
        resolve_conflict(n, 2, "source:1", "base")
    assert source(resolve_conflict(n, 2, "source:1", "theirs").notebook, "train") == "x = 2\n"


def delete_edit() -> Notebook:
    return merge_notebooks(
        nb(BASE), nb(drop(BASE, "train")), nb(edit(BASE, "train", TRAIN + "\nprint(model)"))
    ).notebook


def test_delete_modify_take_the_deleting_side_removes_the_cell_and_its_edges() -> None:
    merged = delete_edit()
    (c,) = find_conflicts(merged)
    res = resolve_conflict(merged, c.cell_index, c.id, "ours")
    assert [x.name for x in res.notebook.cells] == ["#1", "load", "eval"]
    assert parents(res.notebook, "eval") == []
    assert res.deleted_cells == (2,)
    assert find_conflicts(res.notebook) == []
    valid(res.notebook)


@pytest.mark.parametrize("choice", ["theirs", "both"])
def test_delete_modify_keeping_the_edit_clears_the_record(choice: str) -> None:
    merged = delete_edit()
    res = resolve_conflict(merged, 2, "cell", choice)
    assert source(res.notebook, "train") == TRAIN + "\nprint(model)"
    assert "link_ls" not in by_name(res.notebook.raw_cells, "train")["metadata"]
    assert find_conflicts(res.notebook) == []


def test_delete_modify_take_base_restores_the_base_cell() -> None:
    res = resolve_conflict(delete_edit(), 2, "cell", "base")
    assert source(res.notebook, "train") == TRAIN


def cycle() -> Notebook:
    base = drop(BASE, "eval")
    base.append(component("eval", EVAL, []))
    ours = add_edge(base, "eval", "train")
    theirs = add_edge(base, "train", "eval")
    return merge_notebooks(nb(base), nb(ours), nb(theirs)).notebook


def test_edges_conflict_take_one_side_on_each_cell_resolves_the_cycle() -> None:
    merged = cycle()
    assert {merged.cells[c.cell_index].name for c in find_conflicts(merged)} == {"train", "eval"}  # type: ignore[index]
    res = resolve_conflict(merged, 3, "edges", "ours")
    res = resolve_conflict(res.notebook, 2, "edges", "ours")
    assert parents(res.notebook, "eval") == ["train"] and parents(res.notebook, "train") == ["load"]
    assert find_conflicts(res.notebook) == []
    assert not [d for d in check(build(res.notebook)) if d.severity.value == "error"]


def test_edges_conflict_take_both_restores_the_cycle_for_check_to_report() -> None:
    merged = cycle()
    res = resolve_conflict(merged, 2, "edges", "both")
    res = resolve_conflict(res.notebook, 3, "edges", "both")
    assert "LNK001" in {d.code for d in check(build(res.notebook))}


def metadata_clash() -> Notebook:
    ours, theirs = copy.deepcopy(BASE), copy.deepcopy(BASE)
    by_name(theirs, "load")["metadata"]["tags"] = ["io"]
    by_name(ours, "load")["metadata"]["canvas"]["name"] = "read"
    by_name(theirs, "load")["metadata"]["canvas"]["name"] = "fetch"
    return merge_notebooks(nb(BASE), nb(ours), nb(theirs)).notebook


@pytest.mark.parametrize(
    ("choice", "name"), [("ours", "read"), ("theirs", "fetch"), ("base", "load")]
)
def test_metadata_conflict_choices(choice: str, name: str) -> None:
    merged = metadata_clash()
    (c,) = find_conflicts(merged)
    assert c.id == "metadata:canvas.name"
    res = resolve_conflict(merged, c.cell_index, c.id, choice)
    cell = res.notebook.raw_cells[1]
    assert cell["metadata"]["canvas"]["name"] == name
    assert cell["metadata"]["tags"] == ["io"]
    assert find_conflicts(res.notebook) == []


def test_both_is_refused_for_two_different_scalars() -> None:
    with pytest.raises(MergeError, match="choose ours or theirs"):
        resolve_conflict(metadata_clash(), 1, "metadata:canvas.name", "both")


def test_parameter_conflict_is_notebook_level_and_resolves() -> None:
    base = nb(BASE)
    ours = nb(BASE, [{"name": "lr", "type": "float", "value": 0.2}])
    theirs = nb(BASE, [{"name": "lr", "type": "float", "value": 0.3}])
    merged = merge_notebooks(base, ours, theirs).notebook
    (c,) = find_conflicts(merged)
    assert c.cell_index is None and c.kind is ConflictKind.PARAMETER
    res = resolve_conflict(merged, None, c.id, "theirs")
    assert [(p.name, p.value) for p in res.notebook.parameters] == [("lr", 0.3)]
    assert find_conflicts(res.notebook) == []


def test_unknown_conflicts_and_choices_are_errors() -> None:
    merged = metadata_clash()
    with pytest.raises(ConflictNotFound):
        resolve_conflict(merged, 1, "metadata:nope", "ours")
    with pytest.raises(ConflictNotFound):
        resolve_conflict(merged, 2, "source:1", "ours")
    with pytest.raises(ConflictNotFound):
        resolve_conflict(merged, 99, "cell", "ours")
    with pytest.raises(MergeError, match="unknown choice"):
        resolve_conflict(merged, 1, "metadata:canvas.name", "mine")


def test_conflicts_survive_a_save_and_load() -> None:
    merged = delete_edit()
    again = loads(dumps(merged), name="again.ipynb")
    assert [c.to_json() for c in find_conflicts(again)] == [
        c.to_json() for c in find_conflicts(merged)
    ]
