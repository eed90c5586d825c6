"""Import into existing notebooks: order, placement, clashes, parameters, outside parents."""

from __future__ import annotations

import json
from collections.abc import Sequence

import pytest

from link_ls.errors import CellReferenceError
from link_ls.exchange import (
    ExchangeError,
    ImportOptions,
    ParameterClashError,
    apply_import,
    export_pipeline,
    load_pipeline,
    new_notebook,
    plan_import,
)
from link_ls.notebook import Cell, dumps, load, loads
from tests.exchange.exchange_nb import EXAMPLE, FIXTURES, cid, component, markdown, nb_from


def _names(cells: Sequence[Cell]) -> list[str]:
    return [c.name for c in cells]


def test_components_arrive_parents_first_with_ties_in_file_order() -> None:
    # the file lists report, count, total, load: children before parents
    target = new_notebook()
    result = plan_import(target, load_pipeline(FIXTURES / "children-first.json"))
    apply_import(target, result)
    assert _names(target.cells) == ["load", "count", "total", "report"]
    assert [c.index for c in result.components] == [0, 1, 2, 3]


def test_unknown_metadata_and_canvas_extras_survive_in_link_shape() -> None:
    target = new_notebook()
    apply_import(target, plan_import(target, load_pipeline(FIXTURES / "children-first.json")))
    total = next(c for c in target.cells if c.name == "total")
    md = target.raw_cells[total.index]["metadata"]
    assert md["tags"] == ["keep"]
    canvas = md["canvas"]
    assert canvas["id"] == "c-total" and canvas["isComponent"] is True
    assert canvas["componentType"] == "CodeCell"
    assert canvas["parents"] == [{"id": "c-load", "name": "load"}]
    assert canvas["headerColor"] == "#00E3FF" and canvas["copiedOriginId"] == "orig-1"
    assert canvas["comments"] == [{"message": "sums", "writer": "ann"}]
    assert canvas["diskcache"] is True and canvas["futureKey"] == 1


def test_after_places_the_block_behind_the_chosen_cell() -> None:
    nb = nb_from([markdown("# intro"), component("a", "a = 1"), markdown("# end")])
    data = load_pipeline(FIXTURES / "children-first.json")
    result = plan_import(nb, data, ImportOptions(after="a"))
    apply_import(nb, result)
    assert _names(nb.cells) == ["#1", "a", "load", "count", "total", "report", "#7"]
    assert result.insert_at == 2


def test_after_an_unknown_cell_is_an_error() -> None:
    nb = nb_from([component("a", "a = 1")])
    with pytest.raises(CellReferenceError):
        plan_import(nb, load_pipeline(FIXTURES / "children-first.json"), ImportOptions(after="zz"))


def test_id_collision_gets_new_id_and_children_follow_it() -> None:
    # the notebook already uses the id the file gives 'load' (for another component)
    nb = nb_from([component("mine", "m = 0", id="c-load")])
    result = plan_import(nb, load_pipeline(FIXTURES / "children-first.json"))
    apply_import(nb, result)
    load_cell = next(c for c in nb.cells if c.name == "load")
    assert load_cell.canvas is not None and load_cell.canvas.id != "c-load"
    assert result.renamed_ids == {"c-load": load_cell.canvas.id}
    for child in ("count", "total"):
        cell = next(c for c in nb.cells if c.name == child)
        assert cell.canvas is not None
        assert [p.id for p in cell.canvas.parents] == [load_cell.canvas.id]


def test_name_clash_gets_numbered_suffix_and_edges_carry_new_names() -> None:
    nb = nb_from([component("load", "rows = []"), component("load_2", "rows = ()")])
    result = plan_import(nb, load_pipeline(FIXTURES / "children-first.json"))
    apply_import(nb, result)
    assert result.renamed_names == {"load": "load_3"}
    total = next(c for c in nb.cells if c.name == "total")
    assert total.canvas is not None
    assert [p.name for p in total.canvas.parents] == ["load_3"]


def test_export_one_component_then_import_it_twice_into_its_own_notebook() -> None:
    nb = load(EXAMPLE)
    data = json.loads(json.dumps(export_pipeline(nb, ["train"], with_ancestors=True)))
    before = len(nb.cells)
    for _ in range(2):
        apply_import(nb, plan_import(nb, data))
    names = _names(nb.cells[before:])
    assert names == [
        *("load_data_2", "clean_2", "split_2", "features_2", "train_2"),
        *("load_data_3", "clean_3", "split_3", "features_3", "train_3"),
    ]
    ids = [c.canvas.id for c in nb.cells if c.canvas is not None]
    assert len(ids) == len(set(ids))
    train3 = nb.cells[-1]
    assert train3.canvas is not None
    assert [p.name for p in train3.canvas.parents] == ["features_3"]
    assert str(train3.canvas.parents[0].id) == str(nb.cells[-2].node_id)


def test_parameter_clash_is_an_error_naming_them_unless_overwriting() -> None:
    nb = nb_from([component("a", "a = 1")], [{"name": "seed", "type": "int", "value": 1}])
    data = load_pipeline(FIXTURES / "one-component-outside-parent.json")
    with pytest.raises(ParameterClashError, match=r"seed \(1 in notebook, 7 in file\)"):
        plan_import(nb, data)
    result = plan_import(nb, data, ImportOptions(overwrite_parameters=True))
    apply_import(nb, result)
    assert [(p.name, p.value) for p in nb.parameters] == [("seed", 7)]


def test_equal_parameters_are_not_a_clash_and_new_ones_are_appended() -> None:
    nb = nb_from(
        [component("a", "a = 1")],
        [{"name": "seed", "type": "int", "value": 7}, {"name": "n", "type": "int", "value": 3}],
    )
    data = load_pipeline(FIXTURES / "link-export.json")
    result = plan_import(nb, data)
    assert result.parameters_changed
    apply_import(nb, result)
    assert [p.name for p in nb.parameters] == ["seed", "n", "epochs", "lr", "model_name"]
    same = plan_import(
        nb_from([], [{"name": "seed", "type": "int", "value": 7}]),
        load_pipeline(FIXTURES / "one-component-outside-parent.json"),
    )
    assert not same.parameters_changed


def test_outside_parent_is_dropped_unless_linked_to_an_existing_name() -> None:
    data = load_pipeline(FIXTURES / "one-component-outside-parent.json")
    nb = nb_from([component("load", "rows = [1]")])
    dropped = plan_import(nb, data)
    assert dropped.components[0].cell["metadata"]["canvas"]["parents"] == []
    assert dropped.outside_parents[0].linked_to is None
    linked = plan_import(nb, data, ImportOptions(link_existing=True))
    apply_import(nb, linked)
    total = nb.cells[-1]
    assert total.canvas is not None
    assert [(p.id, p.name) for p in total.canvas.parents] == [(cid("load"), "load")]


def test_link_existing_refuses_an_ambiguous_name() -> None:
    data = load_pipeline(FIXTURES / "one-component-outside-parent.json")
    nb = nb_from([component("load", "a = 1", id="x1"), component("load", "a = 2", id="x2")])
    with pytest.raises(ExchangeError, match="several components"):
        plan_import(nb, data, ImportOptions(link_existing=True))


def test_old_minor_notebook_gets_cell_ids_because_link_needs_them() -> None:
    text = json.dumps(
        {
            "cells": [{"cell_type": "markdown", "metadata": {}, "source": "hi"}],
            "metadata": {},
            "nbformat": 4,
            "nbformat_minor": 4,
        }
    )
    nb = loads(text, name="old.ipynb")
    apply_import(nb, plan_import(nb, load_pipeline(FIXTURES / "children-first.json")))
    written = json.loads(dumps(nb))
    assert written["nbformat_minor"] == 5  # Link 2.7 refuses a notebook without cell ids
    assert all(isinstance(c["id"], str) for c in written["cells"])


def test_result_json_is_an_editor_edit() -> None:
    nb = nb_from([component("a", "a = 1")])
    result = plan_import(nb, load_pipeline(FIXTURES / "children-first.json"))
    out = result.to_json()
    assert out["insertAt"] == 1
    assert [c["metadata"]["canvas"]["name"] for c in out["cells"]] == [
        "load",
        "count",
        "total",
        "report",
    ]
    assert all(c["cell_type"] == "code" and c["outputs"] == [] for c in out["cells"])
    assert out["components"][0] == {
        "fileId": "c-load",
        "fileName": "load",
        "id": "c-load",
        "name": "load",
        "index": 1,
    }
    json.dumps(out)  # JSON all the way down
    assert len(nb.cells) == 1  # planning touched nothing
