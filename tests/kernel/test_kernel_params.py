"""Pipeline parameters: declared types, `--param` overrides, errors naming the parameter."""

from __future__ import annotations

import math
from typing import Any

import pytest

from link_ls.errors import UsageError
from link_ls.kernel import ParameterError, parse_overrides, resolve_parameters
from link_ls.kernel.params import parameters_code
from link_ls.notebook import Parameter

DECLARED = (
    Parameter("n", "int", 3),
    Parameter("rate", "float", 0.5),
    Parameter("label", "str", "run"),
    Parameter("flag", "bool", True),
    Parameter("items", "list", [1, 2]),
    Parameter("opts", "dict", {"k": 1}),
)


def values(overrides: dict[str, str] | None = None) -> dict[str, Any]:
    return {p.name: p.value for p in resolve_parameters(DECLARED, overrides)}


def test_declared_values_keep_their_types() -> None:
    assert values() == {
        "n": 3,
        "rate": 0.5,
        "label": "run",
        "flag": True,
        "items": [1, 2],
        "opts": {"k": 1},
    }


@pytest.mark.parametrize(
    ("name", "text", "expected"),
    [
        ("n", "42", 42),
        ("n", " -7 ", -7),
        ("rate", "1e-3", 1e-3),
        ("rate", "2", 2.0),
        ("label", "42", "42"),
        ("label", "", ""),
        ("flag", "false", False),
        ("flag", "YES", True),
        ("flag", "0", False),
        ("items", "[3, 4]", [3, 4]),
        ("items", "(5, 6)", [5, 6]),
        ("opts", '{"a": [1]}', {"a": [1]}),
        ("opts", "{'a': None}", {"a": None}),
    ],
)
def test_override_is_converted_by_declared_type(name: str, text: str, expected: Any) -> None:
    got = values({name: text})[name]
    assert got == expected
    assert type(got) is type(expected)


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("n", "1.5"),
        ("n", "ten"),
        ("rate", "fast"),
        ("flag", "maybe"),
        ("items", "{}"),
        ("opts", "["),
    ],
)
def test_bad_override_is_a_usage_error_naming_the_parameter(name: str, text: str) -> None:
    with pytest.raises(ParameterError) as e:
        resolve_parameters(DECLARED, {name: text})
    assert isinstance(e.value, UsageError) and e.value.exit_code == 2
    assert f"parameter {name!r}" in str(e.value)


def test_unknown_override_lists_the_declared_parameters() -> None:
    with pytest.raises(ParameterError, match=r"no parameter 'nn'.*declared: n, rate"):
        resolve_parameters(DECLARED, {"nn": "1"})


def test_declared_value_of_the_wrong_type_is_reported() -> None:
    with pytest.raises(ParameterError, match=r"parameter 'n': declared value 'many'"):
        resolve_parameters((Parameter("n", "int", "many"),))
    # numbers stored as text (some tools write them so) are converted
    assert resolve_parameters((Parameter("n", "int", "12"),))[0].value == 12


def test_parameter_names_must_be_python_names() -> None:
    with pytest.raises(ParameterError, match="not a valid Python name"):
        resolve_parameters((Parameter("class", "int", 1),))


def test_parse_overrides_splits_at_the_first_equals_sign() -> None:
    assert parse_overrides(["a=1", "b=x=y", "c="]) == {"a": "1", "b": "x=y", "c": ""}
    with pytest.raises(ParameterError, match="NAME=VALUE"):
        parse_overrides(["novalue"])


def test_parameters_code_defines_globals_without_splicing_text() -> None:
    vals = resolve_parameters(
        (Parameter("s", "str", "'); import os; ('"), Parameter("x", "float", "nan"))
    )
    ns: dict[str, Any] = {}
    exec(parameters_code(vals), ns)
    assert ns["s"] == "'); import os; ('"
    assert math.isnan(ns["x"])
    assert "os" not in ns


def test_values_that_cannot_travel_as_json_are_refused() -> None:
    with pytest.raises(ParameterError, match="parameter 'items'"):
        resolve_parameters((Parameter("items", "json", None),), {"items": "{1, 2}"})
