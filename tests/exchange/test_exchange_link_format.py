"""Link's pipeline file: read with Link's rules, written byte for byte as Link writes it.

The expected bytes come from files real Link 2.7.0 wrote (tests/fixtures/link/, see its
README); tests/link/test_pipeline_json.py checks the same against the live package.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from link_ls.exchange import (
    ExportError,
    apply_import,
    collect,
    dumps_pipeline,
    export_pipeline,
    file_text,
    load_pipeline,
    new_notebook,
    plan_import,
)
from link_ls.exchange.link_format import COMPONENT_KEYS
from link_ls.notebook import Notebook, dumps, load, loads
from tests.exchange.exchange_nb import EXAMPLE, FIXTURES, component, nb_from

LINK = Path(__file__).resolve().parents[1] / "fixtures" / "link"
LINK_JSON = sorted((LINK / "json").glob("*/*.json"))
PARAMETER_KEYS = ["name", "type", "value", "metadata"]


def _notebook_of(json_path: Path) -> Path:
    return LINK / "notebooks" / json_path.parent.name / f"{json_path.stem}.ipynb"


def _imported(path: Path) -> Notebook:
    nb = new_notebook()
    apply_import(nb, plan_import(nb, load_pipeline(path)))
    return loads(dumps(nb), name="imported.ipynb")


def pipeline_of_file(data: dict[str, Any]) -> tuple[dict[str, Any], list[Any]]:
    """What a Link file means: components by id (name, code, parent ids and names as sets)
    and parameters in order."""
    comps = {
        c["component_id"]: (
            c["component_name"],
            c["cell_code"],
            frozenset((p["id"], p["name"]) for p in c["parents"]),
        )
        for c in data["components"]
    }
    params = [(p["name"], p["type"], p["value"]) for p in data["parameters"]]
    return comps, params


def pipeline_of_notebook(nb: Notebook) -> tuple[dict[str, Any], list[Any]]:
    comps = {
        c.canvas.id: (
            c.canvas.name,
            c.source,
            frozenset((p.id, p.name) for p in c.canvas.parents),
        )
        for c in nb.cells
        if c.canvas is not None and c.is_component and c.is_code
    }
    params = [(p.name, p.type, p.value) for p in nb.parameters]
    return comps, params


def in_order_of(ours: dict[str, Any], links: dict[str, Any]) -> dict[str, Any]:
    """Link's file with its components and parents put in our order (Link's own order
    depends on string hashing, see tests/fixtures/link/README.md)."""
    by_id = {c["component_id"]: c for c in links["components"]}
    comps = []
    for c in ours["components"]:
        theirs = dict(by_id[c["component_id"]])
        parents = {p["id"]: p for p in theirs["parents"]}
        theirs["parents"] = [parents[p["id"]] for p in c["parents"]]
        comps.append(theirs)
    return {"components": comps, "parameters": links["parameters"]}


def test_there_is_a_link_file_for_each_of_the_19_published_notebooks() -> None:
    assert len(LINK_JSON) == 19
    assert all(_notebook_of(p).exists() for p in LINK_JSON)


@pytest.mark.parametrize("path", LINK_JSON, ids=lambda p: p.stem)
def test_links_file_imports_with_identical_components_code_edges_parameters(path: Path) -> None:
    data = json.loads(path.read_text("utf-8"))
    imported = _imported(path)
    assert pipeline_of_notebook(imported) == pipeline_of_file(data)
    # and that is the pipeline of the notebook Link exported it from
    assert pipeline_of_notebook(load(_notebook_of(path))) == pipeline_of_file(data)


@pytest.mark.parametrize("path", LINK_JSON, ids=lambda p: p.stem)
def test_export_writes_the_bytes_link_writes(path: Path) -> None:
    links_text = path.read_text("utf-8")
    ours_text = dumps_pipeline(collect(load(_notebook_of(path))), fmt="link")
    ours = json.loads(ours_text)
    # Link's formatting: json.dumps defaults, ASCII only, no final newline
    assert ours_text == json.dumps(ours) and ours_text.isascii() and links_text.isascii()
    assert not ours_text.endswith("\n") and not links_text.endswith("\n")
    assert all(list(c) == list(COMPONENT_KEYS) for c in ours["components"])
    assert all(list(p) == PARAMETER_KEYS for p in ours["parameters"])
    # the same file as Link's, once Link's hash-dependent order is put in ours
    assert ours_text == json.dumps(in_order_of(ours, json.loads(links_text)))


def test_components_are_written_parents_first_ties_in_notebook_order() -> None:
    out = export_pipeline(load(EXAMPLE), fmt="link")
    names = [c["component_name"] for c in out["components"]]
    seen: set[str] = set()
    for c in out["components"]:
        assert {p["name"] for p in c["parents"]} <= seen
        seen.add(c["component_name"])
    notebook_order = [c.name for c in load(EXAMPLE).components]
    assert names == notebook_order  # the example is already parents-first


def test_parameters_become_link_text_values() -> None:
    out = export_pipeline(load(EXAMPLE), fmt="link")
    assert out["parameters"] == [
        {"name": "n_samples", "type": "int", "value": "400", "metadata": None},
        {"name": "noise", "type": "float", "value": "0.3", "metadata": None},
        {"name": "seed", "type": "int", "value": "7", "metadata": None},
    ]
    nb = nb_from(
        [component("a", "a = 1")],
        [
            {"name": "words", "type": "list", "value": ["x", True, None]},
            {"name": "cfg", "type": "object", "value": {"k": 1.5}},
            {"name": "label", "type": "str", "value": "'run 1'"},  # already Link's text
            {"name": "odd", "type": "json", "value": 3},
        ],
    )
    got = [(p["type"], p["value"]) for p in export_pipeline(nb, fmt="link")["parameters"]]
    assert got == [
        ("list", "['x', True, None]"),
        ("dict", "{'k': 1.5}"),
        ("str", "'run 1'"),
        (None, "3"),  # a type Link does not know: null, Link takes the literal's
    ]


def test_a_value_without_a_python_literal_cannot_be_written() -> None:
    nb = nb_from([component("a", "a = 1")], [{"name": "x", "type": "float", "value": 1e400}])
    with pytest.raises(ExportError, match="parameter 'x' = inf has no Python literal"):
        export_pipeline(nb, fmt="link")


def test_parents_outside_the_export_and_duplicate_names_are_refused() -> None:
    with pytest.raises(ExportError, match="needs every parent in the file"):
        export_pipeline(load(EXAMPLE), ["evaluate"], fmt="link")
    assert export_pipeline(load(EXAMPLE), ["evaluate"], with_ancestors=True, fmt="link")
    nb = nb_from([component("a", "x = 1", id="i1"), component("a", "x = 2", id="i2")])
    with pytest.raises(ExportError, match="two components are named 'a', which Link refuses"):
        export_pipeline(nb, fmt="link")
    assert export_pipeline(nb)  # link-ls's own format links by id: fine


def test_a_link_file_round_trips_byte_for_byte() -> None:
    path = FIXTURES / "link-export.json"
    back = export_pipeline(_imported(path), fmt="link")
    assert file_text(back, "link") == path.read_text("utf-8")


def test_header_colour_and_parameter_text_reach_the_notebook_as_link_writes_them() -> None:
    nb = _imported(FIXTURES / "link-export.json")
    colours = {c.name: nb.raw_cells[c.index]["metadata"]["canvas"]["headerColor"] for c in nb.cells}
    assert colours == {
        "Load iris data": "#00E3FF",
        "Define model": "#FF004F",
        "Create dataframe": "inherit",
        "Train model": "none",
    }
    assert nb.metadata["canvas"]["parameters"][2] == {
        "name": "model_name",
        "type": "str",
        "value": "'mlp'",
    }


def test_components_link_drops_are_dropped_and_named() -> None:
    pipe = load_pipeline(FIXTURES / "link-drops.json")
    assert [c.name for c in pipe.components] == ["prep", "fit"]
    assert [(d.position, d.name, d.reason) for d in pipe.dropped] == [
        (3, "code as lines", "cell_code is a list of lines, not one string"),
        (4, "parents as names", 'parents are not a list of {"id", "name"} objects'),
        (5, "a markdown note", "component_type is 'Markdown', not 'CodeCell'"),
    ]
    # a parameter without a type takes its literal's, as Link does
    assert [(p.name, p.type, p.value) for p in pipe.parameters] == [("n", "int", "3")]


def test_written_notebook_has_what_link_needs_to_open_it() -> None:
    nb = _imported(FIXTURES / "link-export.json")
    node = json.loads(dumps(nb))
    assert node["nbformat_minor"] == 5
    for cell in node["cells"]:
        assert cell["id"] == cell["metadata"]["canvas"]["id"] or len(cell["id"]) == 8
        assert {
            "id", "name", "isComponent", "componentType", "parents", "diskcache",
            "headerColor", "comments", "copiedOriginId",
        } <= set(cell["metadata"]["canvas"])  # fmt: skip


@pytest.mark.parametrize(
    "path", sorted((LINK / "notebooks").glob("*/*.ipynb")), ids=lambda p: p.stem
)
def test_published_notebooks_are_written_back_as_link_27_opens_them(path: Path) -> None:
    before = json.loads(path.read_text("utf-8"))
    node = json.loads(dumps(load(path)))
    assert node["nbformat_minor"] == 5
    assert all(isinstance(c.get("id"), str) for c in node["cells"])
    for old, new in zip(before["cells"], node["cells"], strict=True):
        if "id" in old:
            assert new["id"] == old["id"]
        canvas = new["metadata"].get("canvas")
        if old["cell_type"] == "code" and canvas and canvas.get("isComponent"):
            assert "id" in old or new["id"] == canvas["id"]
            assert isinstance(canvas["diskcache"], bool)
            assert isinstance(canvas["headerColor"], str)
            # nothing a Link notebook had is lost
            assert set(old["metadata"]["canvas"]) <= set(canvas)


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("cnn_mnist_classification", "MNIST_Classification"),
        ("vae_mnist_generation", "MNIST_Generation_with_VAE"),
    ],
)
def test_old_palette_colours_become_the_ones_makinarocks_chose(old: str, new: str) -> None:
    def colours(path: Path) -> dict[str, str]:
        node = json.loads(dumps(load(path)))
        return {
            c["metadata"]["canvas"]["id"]: c["metadata"]["canvas"]["headerColor"]
            for c in node["cells"]
            if c["metadata"].get("canvas", {}).get("isComponent")
        }

    ours = colours(LINK / "notebooks" / "link-example" / f"{old}.ipynb")
    theirs = colours(LINK / "notebooks" / "mrx-link-examples" / f"{new}.ipynb")
    shared = ours.keys() & theirs.keys()
    assert len(shared) == 10
    assert {k: ours[k] for k in shared} == {k: theirs[k] for k in shared}


def test_a_notebook_without_components_keeps_its_minor_and_gets_no_ids() -> None:
    node = {
        "cells": [{"cell_type": "code", "metadata": {}, "source": "x = 1", "outputs": [],
                   "execution_count": None}],
        "metadata": {}, "nbformat": 4, "nbformat_minor": 4,
    }  # fmt: skip
    written = json.loads(dumps(loads(json.dumps(node), name="plain.ipynb")))
    assert written["nbformat_minor"] == 4 and "id" not in written["cells"][0]
