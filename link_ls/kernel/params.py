"""Pipeline parameters for a run: declared values and overrides, typed, as kernel code.

Values are typed by :mod:`link_ls.notebook.paramtypes` (declared types ``int``,
``float``, ``str``, ``bool``, ``list``, ``tuple``, ``dict``). An override ``--param
NAME=VALUE`` is converted by the declared type. An override in Link's shape, ``-p NAME
TYPE VALUE`` (``mrx-link run``), brings its own type, which wins over the declared one
as in Link; its value is read as Link 2.7 reads it (``str`` as is, every other type a
Python literal, so ``true`` or ``yes`` is an error). Link then passes whatever the
literal was (``-p n int 3.5`` gives the float 3.5, ``-p flag bool 1`` the int 1);
link-ls requires the literal to be of the stated type instead (an ``int`` is accepted
for ``float``, a list for ``tuple`` and a tuple for ``list``).

Parameters reach the kernel as JSON decoded inside it, so no value is ever spliced
into code as text; a ``tuple`` parameter is turned back into a tuple there.
"""

from __future__ import annotations

import json
import keyword
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeAlias

from link_ls.kernel.errors import ParameterError
from link_ls.notebook import Parameter
from link_ls.notebook.paramtypes import from_declared, from_text, kind_of, link_value


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
        kind = kind_of(p.type)
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
                value = from_text(kind, text)
            except (ValueError, SyntaxError, TypeError):
                raise ParameterError(
                    f"--param {p.name}={text}: not a valid {shown} for parameter {p.name!r}"
                ) from None
            _check_json(p.name, value, f"--param {p.name}={text}")
            out.append(ParamValue(p.name, p.type, value, overridden=True))
            continue
        try:
            value = from_declared(kind, p.value)
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
