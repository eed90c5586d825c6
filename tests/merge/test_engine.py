"""Per-cell merge decisions, edges, outputs, metadata and parameters, one behaviour per test."""

from __future__ import annotations

import copy

import nbformat
import pytest

from link_ls.merge import ConflictKind, MergeInputError, OutputPolicy, merge_notebooks
from link_ls.notebook import Notebook, loads
from link_ls.pipeline import build, check
from tests.merge.cases import (
    EVAL,
    LOAD,
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


def merged(base: list, ours: list, theirs: list, **kw: object) -> Notebook:
    result = merge_notebooks(nb(base), nb(ours), nb(theirs), **kw)  # type: ignore[arg-type]
    nbformat.validate(nbformat.from_dict(copy.deepcopy(result.notebook.node)))
    return result.notebook


def names(nbk: Notebook) -> list[str]:
    return [c.name for c in nbk.cells]


def test_edits_to_different_cells_both_land() -> None:
    ours = edit(BASE, "load", LOAD.replace("[:100]", "[:200]"))
    theirs = edit(BASE, "eval", "print('score', score)")
    r = merge_notebooks(nb(BASE), nb(ours), nb(theirs))
    assert r.clean
    assert "200" in source(r.notebook, "load")
    assert source(r.notebook, "eval") == "print('score', score)"
    assert r.stats.from_ours == 1 and r.stats.from_theirs == 1


def test_edits_to_different_lines_of_one_cell_merge_line_by_line() -> None:
    ours = edit(BASE, "load", LOAD.replace("list(range", "list(  # ints\n    range"))
    theirs = edit(BASE, "load", LOAD.replace("[:100]", "[:500]"))
    r = merge_notebooks(nb(BASE), nb(ours), nb(theirs))
    assert r.clean
    assert source(r.notebook, "load") == (
        "rows = list(  # ints\n    range(1000))\nrows = [r * 2 for r in rows]\nrows = rows[:500]"
    )
    assert r.stats.merged == 1


def test_edits_to_the_same_line_conflict_with_git_markers() -> None:
    ours = edit(BASE, "train", TRAIN.replace("/ 2", "/ 3"))
    theirs = edit(BASE, "train", TRAIN.replace("/ 2", "/ 4"))
    r = merge_notebooks(nb(BASE), nb(ours), nb(theirs))
    assert not r.clean
    assert source(r.notebook, "train") == (
        "model = sum(rows)\n"
        "<<<<<<< ours\nscore = model / 3\n"
        "||||||| base\nscore = model / 2\n"
        "=======\nscore = model / 4\n"
        ">>>>>>> theirs"
    )
    (c,) = r.conflicts
    assert (c.kind, c.id, c.cell_index, c.start_line, c.end_line) == (
        ConflictKind.SOURCE,
        "source:1",
        2,
        1,
        8,
    )
    assert (c.ours, c.base, c.theirs) == (
        "score = model / 3\n",
        "score = model / 2\n",
        "score = model / 4\n",
    )


def test_delete_on_both_sides_deletes() -> None:
    out = merged(BASE, drop(BASE, "eval"), drop(BASE, "eval"))
    assert names(out) == ["#1", "load", "train"]


def test_delete_against_unchanged_deletes() -> None:
    out = merged(BASE, drop(BASE, "eval"), BASE)
    assert names(out) == ["#1", "load", "train"]


def test_delete_against_rerun_only_still_deletes() -> None:
    rerun = copy.deepcopy(BASE)
    by_name(rerun, "eval")["outputs"] = [{"output_type": "stream", "name": "stdout", "text": "1\n"}]
    by_name(rerun, "eval")["execution_count"] = 3
    assert names(merged(BASE, rerun, drop(BASE, "eval"))) == ["#1", "load", "train"]


@pytest.mark.parametrize("deleter", ["ours", "theirs"])
def test_delete_against_edit_keeps_the_edit_and_records_a_cell_conflict(deleter: str) -> None:
    edited = edit(BASE, "eval", "print('final', score)")
    ours, theirs = (
        (drop(BASE, "eval"), edited) if deleter == "ours" else (edited, drop(BASE, "eval"))
    )
    r = merge_notebooks(nb(BASE), nb(ours), nb(theirs))
    assert names(r.notebook) == ["#1", "load", "train", "eval"]
    assert source(r.notebook, "eval") == "print('final', score)"
    (c,) = r.conflicts
    assert c.kind is ConflictKind.CELL and c.cell_index == 3
    assert getattr(c, deleter) is None
    kept = c.theirs if deleter == "ours" else c.ours
    assert kept["value"]["source"] == "print('final', score)"
    assert c.base["value"]["source"] == EVAL
    assert f"deleted in {deleter}" in c.message


def test_unchanged_against_changed_takes_the_change() -> None:
    theirs = edit(BASE, "train", "model = max(rows)")
    out = merged(BASE, BASE, theirs)
    assert source(out, "train") == "model = max(rows)"


def test_cells_inserted_at_the_same_place_are_both_kept_in_a_stable_order() -> None:
    ours = copy.deepcopy(BASE)
    ours.insert(2, component("clean", "rows = [r for r in rows if r]", ["load"]))
    theirs = copy.deepcopy(BASE)
    theirs.insert(2, component("augment", "rows = rows * 2", ["load"]))
    one = merge_notebooks(nb(BASE), nb(ours), nb(theirs))
    two = merge_notebooks(nb(BASE), nb(theirs), nb(ours))
    assert one.clean and two.clean
    assert names(one.notebook) == names(two.notebook)
    assert set(names(one.notebook)[2:4]) == {"clean", "augment"}
    assert names(one.notebook)[4:] == ["train", "eval"]


def test_identical_cells_added_on_both_sides_appear_once() -> None:
    new = component("report", "print('done')", ["eval"])
    ours, theirs = [*copy.deepcopy(BASE), new], [*copy.deepcopy(BASE), copy.deepcopy(new)]
    assert names(merged(BASE, ours, theirs)) == ["#1", "load", "train", "eval", "report"]


def test_a_move_on_one_side_is_kept_with_an_edit_on_the_other() -> None:
    ours = copy.deepcopy(BASE)
    ours.append(ours.pop(0))  # title moved to the end
    theirs = edit(BASE, "load", LOAD + "\nprint(len(rows))")
    out = merged(BASE, ours, theirs)
    assert names(out) == ["load", "train", "eval", "#4"]
    assert source(out, "load").endswith("print(len(rows))")


def test_edges_added_on_both_sides_are_all_kept() -> None:
    ours = add_edge(BASE, "eval", "load")
    theirs = copy.deepcopy(BASE)
    theirs.append(component("report", "print(score)", ["train"]))
    theirs = add_edge(theirs, "report", "eval")
    out = merged(BASE, ours, theirs)
    assert parents(out, "eval") == ["train", "load"]
    assert parents(out, "report") == ["train", "eval"]


def test_an_edge_removed_on_one_side_is_removed() -> None:
    base = add_edge(BASE, "eval", "load")
    ours = copy.deepcopy(base)
    by_name(ours, "eval")["metadata"]["canvas"]["parents"] = [
        p for p in by_name(ours, "eval")["metadata"]["canvas"]["parents"] if p["name"] != "load"
    ]
    theirs = edit(base, "eval", "print(score)\nprint('ok')")
    out = merged(base, ours, theirs)
    assert parents(out, "eval") == ["train"]


def test_edges_forming_a_cycle_conflict_and_are_left_out() -> None:
    ours = add_edge(BASE, "load", "eval")  # eval → load closes load → train → eval
    theirs = copy.deepcopy(BASE)
    r = merge_notebooks(nb(BASE), nb(ours), nb(theirs))
    assert r.clean  # one side alone: its own (cyclic) choice is taken as is
    both = merge_notebooks(nb(BASE), nb(add_edge(BASE, "eval", "load")), nb(BASE))
    assert both.clean
    # a real merge cycle: each side adds one half
    base = drop(BASE, "eval")
    base.append(component("eval", EVAL, []))
    ours = add_edge(base, "eval", "train")  # train → eval
    theirs = add_edge(base, "train", "eval")  # eval → train
    r = merge_notebooks(nb(base), nb(ours), nb(theirs))
    assert not r.clean
    out = r.notebook
    assert parents(out, "eval") == [] and parents(out, "train") == ["load"]
    kinds = sorted((out.cells[c.cell_index].name, c.kind.value) for c in r.conflicts)  # type: ignore[index]
    assert kinds == [("eval", "edges"), ("train", "edges")]
    assert not [d for d in check(build(out)) if d.code == "LNK001"]
    rec = next(c for c in r.conflicts if out.cells[c.cell_index].name == "train")  # type: ignore[index]
    assert [p["name"] for p in rec.theirs["value"]] == ["load", "eval"]
    assert [p["name"] for p in rec.ours["value"]] == ["load"]


def test_an_edge_to_a_component_the_other_side_deleted_keeps_it_as_a_conflict() -> None:
    ours = copy.deepcopy(BASE)
    ours.append(component("report", "print(rows)", ["load"]))
    theirs = drop(BASE, "load")
    r = merge_notebooks(nb(BASE), nb(ours), nb(theirs))
    out = r.notebook
    assert names(out) == ["#1", "load", "train", "eval", "report"]
    (c,) = r.conflicts
    assert c.kind is ConflictKind.CELL and out.cells[c.cell_index].name == "load"  # type: ignore[index]
    assert c.theirs is None and c.ours is not None
    assert "deleted in theirs" in c.message
    assert not [d for d in check(build(out)) if d.code == "LNK002"]


def _ran(cells: list, name: str, text: str, count: int) -> list:
    out = copy.deepcopy(cells)
    cell = by_name(out, name)
    cell["outputs"] = [{"output_type": "stream", "name": "stdout", "text": text}]
    cell["execution_count"] = count
    return out


def test_outputs_both_sides_changed_are_cleared_and_counts_reset() -> None:
    base = _ran(BASE, "eval", "0.5\n", 1)
    ours, theirs = _ran(base, "eval", "0.6\n", 7), _ran(base, "eval", "0.7\n", 9)
    r = merge_notebooks(nb(base), nb(ours), nb(theirs))
    assert r.clean
    cell = by_name(r.notebook.raw_cells, "eval")
    assert cell["outputs"] == [] and cell["execution_count"] is None
    kept = merge_notebooks(nb(base), nb(ours), nb(theirs), outputs=OutputPolicy.THEIRS)
    assert "".join(by_name(kept.notebook.raw_cells, "eval")["outputs"][0]["text"]) == "0.7\n"
    assert by_name(kept.notebook.raw_cells, "eval")["execution_count"] == 9


def test_outputs_changed_on_one_side_are_taken_and_disagreeing_counts_reset() -> None:
    base = _ran(BASE, "eval", "0.5\n", 1)
    ours = _ran(base, "eval", "0.6\n", 2)
    theirs = edit(_ran(base, "eval", "0.5\n", 4), "eval", "print(score)  # same")
    out = merged(base, ours, theirs)
    cell = by_name(out.raw_cells, "eval")
    assert "".join(cell["outputs"][0]["text"]) == "0.6\n"
    assert cell["execution_count"] is None


def test_metadata_merges_per_key() -> None:
    ours = copy.deepcopy(BASE)
    by_name(ours, "train")["metadata"]["tags"] = ["slow"]
    theirs = copy.deepcopy(BASE)
    by_name(theirs, "train")["metadata"]["canvas"]["diskcache"] = True
    by_name(theirs, "train")["metadata"]["tags"] = ["gpu"]
    out = merged(BASE, ours, theirs)
    md = by_name(out.raw_cells, "train")["metadata"]
    assert md["tags"] == ["gpu", "slow"] and md["canvas"]["diskcache"] is True


def test_metadata_key_changed_differently_is_a_structured_conflict_keeping_base() -> None:
    ours, theirs = copy.deepcopy(BASE), copy.deepcopy(BASE)
    by_name(ours, "train")["metadata"]["canvas"]["headerColor"] = "red"
    by_name(theirs, "train")["metadata"]["canvas"]["headerColor"] = "blue"
    r = merge_notebooks(nb(BASE), nb(ours), nb(theirs))
    (c,) = r.conflicts
    assert (c.kind, c.id) == (ConflictKind.METADATA, "metadata:canvas.headerColor")
    assert (c.base, c.ours, c.theirs) == ({"value": "none"}, {"value": "red"}, {"value": "blue"})
    assert by_name(r.notebook.raw_cells, "train")["metadata"]["canvas"]["headerColor"] == "none"


def test_parameters_merge_by_name() -> None:
    base = nb(BASE)
    ours = nb(
        BASE,
        [
            {"name": "lr", "type": "float", "value": 0.1},
            {"name": "seed", "type": "int", "value": 1},
        ],
    )
    theirs = nb(BASE, [{"name": "lr", "type": "float", "value": 0.01}])
    r = merge_notebooks(base, ours, theirs)
    assert r.clean
    assert [(p.name, p.value) for p in r.notebook.parameters] == [("lr", 0.01), ("seed", 1)]
    clash = merge_notebooks(base, nb(BASE, [{"name": "lr", "type": "float", "value": 0.2}]), theirs)
    (c,) = clash.conflicts
    assert (c.cell_index, c.kind, c.id) == (None, ConflictKind.PARAMETER, "parameter:lr")
    assert [(p.name, p.value) for p in clash.notebook.parameters] == [("lr", 0.1)]


def test_a_file_added_on_both_sides_merges_against_an_empty_base() -> None:
    from link_ls.merge.files import merge_texts
    from tests.merge.cases import nb as make

    ours = make(edit(BASE, "load", LOAD + "\n# ours"))
    theirs = make(BASE)
    from link_ls.notebook import dumps

    r = merge_texts("", dumps(ours), dumps(theirs))
    assert [c.name for c in r.notebook.cells] == ["#1", "load", "train", "eval"]
    assert [c.kind for c in r.conflicts] == [ConflictKind.SOURCE]


def test_different_nbformat_majors_are_refused() -> None:
    v3 = loads(
        '{"nbformat": 3, "nbformat_minor": 0, "metadata": {}, "worksheets": [{"cells": []}]}',
        name="old.ipynb",
    )
    v3.node["nbformat"] = 3  # as read from disk: the file's own major
    with pytest.raises(MergeInputError):
        merge_notebooks(nb(BASE), nb(BASE), v3)
