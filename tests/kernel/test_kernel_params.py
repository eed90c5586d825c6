"""Pipeline parameters: declared types, `--param` overrides, errors naming the parameter."""

from __future__ import annotations

import math
from typing import Any

import pytest

from link_ls.errors import UsageError
from link_ls.kernel import ParameterError, parse_overrides, resolve_parameters
from link_ls.kernel.params import collect_overrides, parameters_code
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
        (
            Parameter("s", "str", "x'); import os; ('"),
            Parameter("q", "str", "'); import os; ('"),
            Parameter("x", "float", "nan"),
        )
    )
    ns: dict[str, Any] = {}
    exec(parameters_code(vals), ns)
    assert ns["s"] == "x'); import os; ('"
    # a quoted literal is the string it spells (as Link reads it), never code
    assert ns["q"] == "); import os; ("
    assert math.isnan(ns["x"])
    assert "os" not in ns


def test_values_that_cannot_travel_as_json_are_refused() -> None:
    with pytest.raises(ParameterError, match="parameter 'items'"):
        resolve_parameters((Parameter("items", "json", None),), {"items": "{1, 2}"})


# -- Link's shape: -p NAME TYPE VALUE (as `mrx-link run` 2.7 reads it) -----------------


def link(*triples: tuple[str, str, str]) -> dict[str, Any]:
    overrides = collect_overrides((), triples)
    return {p.name: p.value for p in resolve_parameters(DECLARED, overrides)}


@pytest.mark.parametrize(
    ("triple", "expected"),
    [
        (("n", "int", "42"), 42),
        (("n", "int", " 4"), 4),
        (("n", "int", "1_000"), 1000),
        (("n", "Int", "4"), 4),  # Link lower-cases the type
        (("rate", "float", "5"), 5.0),
        (("rate", "float", "1e-3"), 1e-3),
        (("flag", "bool", "False"), False),
        (("flag", "bool", "True"), True),
        (("label", "str", "[1"), "[1"),  # str: the text as it is, never a literal
        (("label", "str", "'quoted'"), "'quoted'"),
        (("label", "str", ""), ""),
        (("items", "list", "[3, 'a']"), [3, "a"]),
        (("items", "list", "(3, 4)"), [3, 4]),
        (("opts", "dict", '{"a": [1]}'), {"a": [1]}),
        (("opts", "dict", "{'a': None}"), {"a": None}),
        (("items", "tuple", "[1]"), (1,)),
        # the -p type wins over the declared one, as in Link
        (("n", "str", "4"), "4"),
    ],
)
def test_link_p_reads_values_as_link_does(triple: tuple[str, str, str], expected: Any) -> None:
    got = link(triple)[triple[0]]
    assert got == expected
    assert type(got) is type(expected)


@pytest.mark.parametrize(
    ("triple", "message"),
    [
        # Link: "Parameter names/fields contain invalid Python literals"
        (("flag", "bool", "true"), "not a Python literal (True or False"),
        (("flag", "bool", "yes"), "not a Python literal"),
        (("n", "int", "abc"), "not a Python literal"),
        (("opts", "dict", "null"), "not a Python literal"),
        # Link passes these on as they read; link-ls checks the type
        (("flag", "bool", "1"), "not a bool (it reads as the int 1)"),
        (("n", "int", "3.5"), "not an int (it reads as the float 3.5)"),
        (("n", "int", "None"), "not an int (it reads as the NoneType None)"),
        (("n", "int", '"5"'), "not an int (it reads as the str '5')"),
        (("opts", "dict", "[1]"), "not a dict"),
        # Link: "xyz should be in ['bool', 'int', ...]"
        (("items", "xyz", "[1]"), "unknown type 'xyz' (Link's types: bool, int, float"),
    ],
)
def test_link_p_bad_type_or_value_is_a_usage_error(
    triple: tuple[str, str, str], message: str
) -> None:
    with pytest.raises(ParameterError) as e:
        collect_overrides((), (triple,))
    assert e.value.exit_code == 2
    assert str(e.value).startswith(f"-p {' '.join(triple)}: ")
    assert message in str(e.value)
    assert "\n" not in str(e.value)


def test_link_p_duplicates_and_unknown_names_are_refused() -> None:
    with pytest.raises(ParameterError, match="'n' is given twice"):
        collect_overrides((), (("n", "int", "4"), ("n", "int", "5")))
    with pytest.raises(ParameterError, match="'n' is given twice"):
        collect_overrides(("n=4",), (("n", "int", "5"),))
    with pytest.raises(ParameterError, match=r"^-p newp: the notebook declares no parameter"):
        resolve_parameters(DECLARED, collect_overrides((), (("newp", "int", "4"),)))


def test_link_p_and_param_combine() -> None:
    overrides = collect_overrides(("n=7",), (("flag", "bool", "False"),))
    got = {p.name: p.value for p in resolve_parameters(DECLARED, overrides)}
    assert (got["n"], got["flag"], got["label"]) == (7, False, "run")


def test_tuple_parameters_reach_the_kernel_as_tuples() -> None:
    vals = resolve_parameters(
        (Parameter("t", "tuple", "(1, 2)"), Parameter("l", "list", "[1, 2]")),
        collect_overrides((), (("l", "tuple", "(3,)"),)),
    )
    ns: dict[str, Any] = {}
    exec(parameters_code(vals), ns)
    assert ns["t"] == (1, 2) and ns["l"] == (3,)


@pytest.mark.parametrize(
    ("declared", "expected"),
    [
        ("'mlp'", "mlp"),  # Link's editor writes a str as a quoted literal
        (' "a b" ', "a b"),
        ("'a' + 'b'", "'a' + 'b'"),  # not a literal: the text
        ("12", "12"),  # Link would give the int 12; link-ls keeps the declared str
        ("'unterminated", "'unterminated"),
    ],
)
def test_declared_str_values_read_as_link_reads_them(declared: str, expected: str) -> None:
    (value,) = resolve_parameters((Parameter("s", "str", declared),))
    assert value.value == expected
