"""Link's export list: exact on write, tolerant on read, and a faithful round trip."""

from __future__ import annotations

import json
from typing import Any

import pytest

from link_ls.exchange import (
    ExchangeFormatError,
    ExportError,
    apply_import,
    export_pipeline,
    load_pipeline,
    new_notebook,
    parse_pipeline,
    plan_import,
)
from link_ls.notebook import Notebook, load
from tests.exchange.exchange_nb import EXAMPLE, FIXTURES, component, nb_from

LINK_KEYS = [
    "component_id",
    "component_name",
    "component_type",
    "cell_code",
    "predefined",
    "parents_name",
]


def _imported(path_or_data: Any) -> Notebook:
    data = load_pipeline(path_or_data) if not isinstance(path_or_data, list) else path_or_data
    nb = new_notebook()
    apply_import(nb, plan_import(nb, data))
    return nb


def test_a_link_export_round_trips_to_the_same_list() -> None:
    original = json.loads((FIXTURES / "link-export.json").read_text())
    back = export_pipeline(_imported(FIXTURES / "link-export.json"), fmt="link")
    assert isinstance(back, list)
    # the parameters entry is no component: its id means nothing and is not kept
    assert back[0].pop("component_id") != ""
    original[0].pop("component_id")
    assert back == original


def test_write_is_exactly_links_six_keys_with_parameters_entry_first() -> None:
    out = export_pipeline(load(EXAMPLE), fmt="link")
    assert isinstance(out, list)
    assert all(list(e) == LINK_KEYS for e in out)
    params = out[0]
    assert params["component_type"] == "PipelineParameters"
    assert params["predefined"] is True and params["parents_name"] == []
    assert params["cell_code"] == "n_samples: int = 400\nnoise: float = 0.3\nseed: int = 7\n"
    evaluate = next(e for e in out if e["component_name"] == "evaluate")
    assert evaluate["parents_name"] == ["features", "train", "baseline"]
    assert evaluate["predefined"] is False


def test_predefined_survives_in_link_ls_metadata_not_in_the_canvas() -> None:
    nb = _imported(FIXTURES / "link-export.json")
    cell = next(c for c in nb.cells if c.name == "Define model")
    md = nb.raw_cells[cell.index]["metadata"]
    assert md["link_ls"] == {"predefined": True}
    assert set(md["canvas"]) == {
        "id",
        "name",
        "isComponent",
        "componentType",
        "parents",
        "diskcache",
        "comments",
        "headerColor",
    }


def test_loose_list_is_read_tolerantly() -> None:
    pipe = load_pipeline(FIXTURES / "link-export-loose.json")
    by_name = {c.name: c for c in pipe.components}
    assert by_name["load"].source == "rows = list(range(seed))\nprint(len(rows))"
    assert by_name["load"].type == "CodeCell" and by_name["load"].id  # ids made up, stable
    assert load_pipeline(FIXTURES / "link-export-loose.json").components[0].id == (
        by_name["load"].id
    )
    assert by_name["total"].parents == (by_name["load"].id,)
    assert by_name["report"].parents == (by_name["total"].id, by_name["load"].id)
    assert [(p.name, p.type, p.value) for p in pipe.parameters] == [
        ("seed", "int", 7),
        ("label", "str", "run-1"),
    ]


def test_text_valued_parameters_keep_their_meaning() -> None:
    # Link keeps {"type": "int", "value": "12"}; code says 12
    nb = _imported(FIXTURES / "link-params-as-text.json")
    assert [(p.name, p.type, p.value) for p in nb.parameters] == [
        ("a", "int", "12"),
        ("flag", "bool", "true"),
    ]
    out = export_pipeline(nb, fmt="link")
    assert isinstance(out, list)
    assert out[0]["cell_code"] == "a: int = 12\nflag: bool = True\n"
    again = _imported(out)
    assert [(p.name, p.type, p.value) for p in again.parameters] == [
        ("a", "int", 12),
        ("flag", "bool", True),
    ]


@pytest.mark.parametrize(
    ("entry", "expected"),
    [
        ({"cell_code": "x = 1\ny = 'a'  # note\n"}, [("x", "int", 1), ("y", "str", "a")]),
        ({"cell_code": "lr: float = 1e-3"}, [("lr", "float", 0.001)]),
        ({"parameters": [{"name": "k", "type": "int", "value": 3}]}, [("k", "int", 3)]),
        ({"parameters": {"k": [1, 2]}}, [("k", "list", [1, 2])]),
        ({"cell_code": '{"k": true}'}, [("k", "bool", True)]),
        ({"cell_code": ""}, []),
    ],
)
def test_parameter_entry_forms(entry: dict[str, Any], expected: list[Any]) -> None:
    data = [{"component_name": "PipelineParameters", "component_type": "PipelineParameters"}]
    data[0].update(entry)
    pipe = parse_pipeline(data)
    assert [(p.name, p.type, p.value) for p in pipe.parameters] == expected


def test_parameters_not_expressible_as_code_are_kept_as_json() -> None:
    nb = nb_from([component("a", "a = 1")], [{"name": "odd name", "type": "str", "value": "v"}])
    out = export_pipeline(nb, fmt="link")
    assert isinstance(out, list)
    assert json.loads(out[0]["cell_code"]) == [{"name": "odd name", "type": "str", "value": "v"}]
    assert [p.name for p in parse_pipeline(out).parameters] == ["odd name"]


def test_parent_missing_from_the_list_is_an_outside_parent() -> None:
    pipe = parse_pipeline([{"component_name": "b", "cell_code": "", "parents_name": ["a"]}])
    assert [e.name for e in pipe.external] == ["a"]
    assert pipe.components[0].parents == (pipe.external[0].id,)


def test_duplicate_names_cannot_be_written_in_links_format() -> None:
    nb = nb_from([component("a", "x = 1", id="i1"), component("a", "x = 2", id="i2")])
    with pytest.raises(ExportError, match="two components are named 'a'"):
        export_pipeline(nb, fmt="link")
    assert isinstance(export_pipeline(nb), dict)  # link-ls format links by id: fine


def test_ambiguous_parent_name_is_an_error() -> None:
    with pytest.raises(ExchangeFormatError, match="ambiguous"):
        load_pipeline(FIXTURES / "bad" / "link-ambiguous-parent.json")


def test_parameter_named_like_a_keyword_survives_link_format() -> None:
    from link_ls.exchange.link_format import _parameters_code, _params_from_code
    from link_ls.notebook import Parameter

    params = [Parameter("if", "int", 1), Parameter("rate", "float", 0.5)]
    assert _params_from_code(_parameters_code(params), "t") == params
