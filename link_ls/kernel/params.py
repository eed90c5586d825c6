"""Pipeline parameters: typed values from ``metadata.canvas.parameters`` and overrides.

Declared types (Link's, with common aliases): ``int``, ``float``, ``str``, ``bool``,
``list``, ``tuple``, ``dict``. An override ``--param NAME=VALUE`` is converted by the
declared type; ``list``/``tuple``/``dict`` values are JSON (or a Python literal). A
parameter of a type link-ls does not know keeps its declared value, and an override of
it is read as a Python literal, falling back to the plain string.

An override in Link's shape, ``-p NAME TYPE VALUE`` (``mrx-link run``), brings its own
type, which wins over the declared one as in Link. Its value is read as Link 2.7 reads
it: ``str`` takes the text as it is, every other type a Python literal (``True``,
``3``, ``0.5``, ``[1, 2]``, ``{'k': 1}``; so ``true`` or ``yes`` is an error). Link
then passes whatever the literal was (``-p n int 3.5`` gives the float 3.5, ``-p flag
bool 1`` the int 1); link-ls requires the literal to be of the stated type instead
(an ``int`` is accepted for ``float``, a list for ``tuple`` and a tuple for ``list``).

Parameters reach the kernel as JSON decoded inside it, so no value is ever spliced
into code as text; a ``tuple`` parameter is turned back into a tuple there.
"""

from __future__ import annotations

import ast
import json
import keyword
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeAlias

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
    "tuple": "tuple",
    "dict": "dict",
    "object": "dict",
    "json": "json",
}
_TRUE = {"true", "1", "yes", "y", "on"}
_FALSE = {"false", "0", "no", "n", "off"}
#: the types ``mrx-link run -p NAME TYPE VALUE`` accepts (any letter case), in Link's order
LINK_TYPES = ("bool", "int", "float", "str", "dict", "list", "tuple")


@dataclass(frozen=True)
class TypedOverride:
    """An override in Link's shape, ``-p NAME TYPE VALUE``: the value's type comes with it."""

    type: str
    text: str


#: an override as typed on the command line: ``--param`` text, or Link's typed triple
Override: TypeAlias = "str | TypedOverride"


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
    if kind in ("list", "tuple", "dict", "json"):
        return _of_kind(kind, _literal(text))
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
    return _of_kind(kind, value)


def _of_kind(kind: str, value: Any) -> Any:
    """``value`` (a decoded literal) as ``kind`` for the container types; ValueError if not."""
    if kind in ("list", "tuple") and isinstance(value, (list, tuple)):
        return list(value) if kind == "list" else tuple(value)
    if kind in ("list", "tuple") or (kind == "dict" and not isinstance(value, dict)):
        raise ValueError(value)
    return value


def link_value(type_name: str, text: str) -> Any:
    """A ``-p NAME TYPE VALUE`` value, read as Link reads it and checked against TYPE.

    Raises ValueError with a short reason when TYPE is not one of Link's or the value
    does not fit it.
    """
    kind = type_name.strip().lower()
    if kind not in LINK_TYPES:
        raise ValueError(f"unknown type {type_name!r} (Link's types: {', '.join(LINK_TYPES)})")
    if kind == "str":
        return text
    try:
        value = ast.literal_eval(text.strip())
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        hint = " (True or False, as Python writes them)" if kind == "bool" else ""
        raise ValueError(f"not a Python literal{hint}, which is how Link reads it") from None
    if kind == "bool" and isinstance(value, bool):
        return value
    if kind in ("int", "float") and isinstance(value, int) and not isinstance(value, bool):
        return value if kind == "int" else float(value)
    if kind == "float" and isinstance(value, float):
        return value
    if kind in ("list", "tuple", "dict"):
        try:
            return _of_kind(kind, value)
        except ValueError:
            pass
    article = "an" if kind == "int" else "a"
    raise ValueError(f"not {article} {kind} (it reads as the {type(value).__name__} {value!r})")


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


def collect_overrides(
    params: Sequence[str] = (), typed: Sequence[Sequence[str]] = ()
) -> dict[str, Override]:
    """``--param NAME=VALUE`` items and Link's ``-p NAME TYPE VALUE`` triples, together.

    A triple's type and value are checked here (before any kernel starts); a name given
    twice with ``-p``, or by both forms, is an error, as Link refuses duplicates.
    """
    out: dict[str, Override] = dict(parse_overrides(params))
    seen: set[str] = set()
    for triple in typed:
        name, type_name, text = triple
        where = f"-p {name} {type_name} {text}"
        if name in seen or name in out:
            raise ParameterError(f"{where}: parameter {name!r} is given twice")
        seen.add(name)
        try:
            link_value(type_name, text)
        except ValueError as e:
            raise ParameterError(f"{where}: {e}") from None
        out[name] = TypedOverride(type_name.strip().lower(), text)
    return out


def resolve_parameters(
    declared: Sequence[Parameter], overrides: Mapping[str, Override] | None = None
) -> tuple[ParamValue, ...]:
    """Declared parameters converted to their types, with ``overrides`` applied."""
    overrides = dict(overrides or {})
    known = {p.name for p in declared}
    for name, given in overrides.items():
        if name not in known:
            listed = ", ".join(p.name for p in declared) or "none"
            opt = f"-p {name}" if isinstance(given, TypedOverride) else f"--param {name}"
            raise ParameterError(
                f"{opt}: the notebook declares no parameter {name!r} (declared: {listed})"
            )
    out: list[ParamValue] = []
    for p in declared:
        if not p.name.isidentifier() or keyword.iskeyword(p.name):
            raise ParameterError(f"parameter {p.name!r} is not a valid Python name")
        kind = _kind(p.type)
        shown = kind or p.type
        override = overrides.get(p.name)
        if isinstance(override, TypedOverride):
            where = f"-p {p.name} {override.type} {override.text}"
            try:
                value = link_value(override.type, override.text)
            except ValueError as e:
                raise ParameterError(f"{where}: {e}") from None
            _check_json(p.name, value, where)
            out.append(ParamValue(p.name, override.type, value, overridden=True))
            continue
        if override is not None:
            text = override
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
    code = (
        "import json as __link_ls_json\n"
        f"globals().update(__link_ls_json.loads({payload!r}))\n"
        "del __link_ls_json\n"
    )
    # JSON has no tuples: a tuple parameter arrives as a list and is turned back
    for name in (v.name for v in values if isinstance(v.value, tuple)):
        code += f"{name} = tuple({name})\n"
    return code


def parameters_json(values: Sequence[ParamValue]) -> dict[str, Any]:
    """``{name: value}`` for reports; non-finite floats become strings (JSON has no NaN)."""
    out: dict[str, Any] = {}
    for v in values:
        val = v.value
        if isinstance(val, float) and not math.isfinite(val):
            val = str(val)
        out[v.name] = val
    return out
