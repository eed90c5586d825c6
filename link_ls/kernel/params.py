"""Pipeline parameters: typed values from ``metadata.canvas.parameters``, ``--param`` overrides.

Declared types (Link's, with common aliases): ``int``, ``float``, ``str``, ``bool``,
``list``, ``dict``. An override ``NAME=VALUE`` is converted by the declared type;
``list``/``dict`` values are JSON (or a Python literal). A parameter of a type
link-ls does not know keeps its declared value, and an override of it is read as
a Python literal, falling back to the plain string. Parameters reach the kernel as
JSON decoded inside it, so no value is ever spliced into code as text.
"""

from __future__ import annotations

import ast
import json
import keyword
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from link_ls.kernel.errors import ParameterError
from link_ls.notebook import Parameter

_ALIASES = {
    "int": "int",
    "integer": "int",
    "float": "float",
    "number": "float",
    "double": "float",
    "str": "str",
    "string": "str",
    "text": "str",
    "bool": "bool",
    "boolean": "bool",
    "list": "list",
    "array": "list",
    "tuple": "list",
    "dict": "dict",
    "object": "dict",
    "json": "json",
}
_TRUE = {"true", "1", "yes", "y", "on"}
_FALSE = {"false", "0", "no", "n", "off"}


@dataclass(frozen=True)
class ParamValue:
    """A parameter as the kernel will see it: converted to its declared type."""

    name: str
    type: str
    value: Any
    overridden: bool = False


def _literal(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return ast.literal_eval(text)


def _from_text(kind: str, text: str) -> Any:
    if kind == "int":
        return int(text.strip())
    if kind == "float":
        return float(text.strip())
    if kind == "str":
        return text
    if kind == "bool":
        low = text.strip().lower()
        if low in _TRUE:
            return True
        if low in _FALSE:
            return False
        raise ValueError(text)
    if kind in ("list", "dict", "json"):
        value = _literal(text)
        if kind == "list" and isinstance(value, tuple):
            value = list(value)
        if kind == "list" and not isinstance(value, list):
            raise ValueError(text)
        if kind == "dict" and not isinstance(value, dict):
            raise ValueError(text)
        return value
    try:
        return _literal(text)
    except (ValueError, SyntaxError):
        return text


def _from_declared(kind: str, value: Any) -> Any:
    """A value from the notebook's JSON metadata, into its declared type."""
    if isinstance(value, str) and kind not in ("str", ""):
        return _from_text(kind, value)
    if kind == "int":
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ValueError(value)
        if isinstance(value, float) and not value.is_integer():
            raise ValueError(value)
        return int(value)
    if kind == "float":
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ValueError(value)
        return float(value)
    if kind == "str":
        return value if isinstance(value, str) else json.dumps(value)
    if kind == "bool":
        if isinstance(value, bool):
            return value
        if isinstance(value, int) and value in (0, 1):
            return bool(value)
        raise ValueError(value)
    if kind == "list" and not isinstance(value, list):
        raise ValueError(value)
    if kind == "dict" and not isinstance(value, dict):
        raise ValueError(value)
    return value


def _kind(type_name: str) -> str:
    return _ALIASES.get(type_name.strip().lower(), "")


def parse_overrides(items: Sequence[str]) -> dict[str, str]:
    """``["a=1", "b=x=y"]`` -> ``{"a": "1", "b": "x=y"}``; a missing ``=`` is an error."""
    out: dict[str, str] = {}
    for item in items:
        name, sep, text = item.partition("=")
        name = name.strip()
        if not sep or not name:
            raise ParameterError(f"--param {item!r}: expected NAME=VALUE")
        out[name] = text
    return out


def resolve_parameters(
    declared: Sequence[Parameter], overrides: Mapping[str, str] | None = None
) -> tuple[ParamValue, ...]:
    """Declared parameters converted to their types, with ``overrides`` (raw text) applied."""
    overrides = dict(overrides or {})
    known = {p.name for p in declared}
    for name in overrides:
        if name not in known:
            listed = ", ".join(p.name for p in declared) or "none"
            raise ParameterError(
                f"--param {name}: the notebook declares no parameter {name!r} (declared: {listed})"
            )
    out: list[ParamValue] = []
    for p in declared:
        if not p.name.isidentifier() or keyword.iskeyword(p.name):
            raise ParameterError(f"parameter {p.name!r} is not a valid Python name")
        kind = _kind(p.type)
        shown = kind or p.type
        if p.name in overrides:
            text = overrides[p.name]
            try:
                value = _from_text(kind, text)
            except (ValueError, SyntaxError, TypeError):
                raise ParameterError(
                    f"--param {p.name}={text}: not a valid {shown} for parameter {p.name!r}"
                ) from None
            _check_json(p.name, value, f"--param {p.name}={text}")
            out.append(ParamValue(p.name, p.type, value, overridden=True))
            continue
        try:
            value = _from_declared(kind, p.value)
        except (ValueError, SyntaxError, TypeError):
            raise ParameterError(
                f"parameter {p.name!r}: declared value {p.value!r} is not a valid {shown}"
            ) from None
        _check_json(p.name, value, f"parameter {p.name!r}")
        out.append(ParamValue(p.name, p.type, value))
    return tuple(out)


def _check_json(name: str, value: Any, where: str) -> None:
    # values travel to the kernel as JSON: a set or other Python-only literal cannot
    try:
        json.dumps(value, allow_nan=True)
    except (TypeError, ValueError):
        raise ParameterError(
            f"{where}: {type(value).__name__} values cannot be passed to the kernel "
            f"(parameter {name!r})"
        ) from None


def parameters_code(values: Sequence[ParamValue]) -> str:
    """Python that defines every parameter as a global in the kernel."""
    if not values:
        return ""
    payload = json.dumps({v.name: v.value for v in values}, allow_nan=True)
    return (
        "import json as __link_ls_json\n"
        f"globals().update(__link_ls_json.loads({payload!r}))\n"
        "del __link_ls_json\n"
    )


def parameters_json(values: Sequence[ParamValue]) -> dict[str, Any]:
    """``{name: value}`` for reports; non-finite floats become strings (JSON has no NaN)."""
    out: dict[str, Any] = {}
    for v in values:
        val = v.value
        if isinstance(val, float) and not math.isfinite(val):
            val = str(val)
        out[v.name] = val
    return out
