"""Pipeline parameter values and their declared types: text and JSON into typed values.

Declared types (Link's, with common aliases): ``int``, ``float``, ``str``, ``bool``,
``list``, ``tuple``, ``dict``. Text (a command-line override, or a value Link stores as
a string) is converted by the declared type; ``list``/``tuple``/``dict`` text is JSON
or a Python literal. A type link-ls does not know keeps its declared value, and text
for it is read as a Python literal, falling back to the plain string.

:func:`link_value` reads a value the way Link 2.7's ``mrx-link run -p NAME TYPE VALUE``
does (``str`` as is, everything else a Python literal) and checks it against TYPE.
Pure functions: the kernel (runs), the exchange (script export) and the cache (keys)
all type parameters through this one module.
"""

from __future__ import annotations

import ast
import json
from typing import Any

#: declared type names (lower case) -> the kind link-ls converts to
ALIASES = {
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
#: the words a bool parameter accepts as text (any letter case)
TRUE_WORDS = {"true", "1", "yes", "y", "on"}
FALSE_WORDS = {"false", "0", "no", "n", "off"}
#: the types ``mrx-link run -p NAME TYPE VALUE`` accepts (any letter case), in Link's order
LINK_TYPES = ("bool", "int", "float", "str", "dict", "list", "tuple")


def _literal(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return ast.literal_eval(text)


def from_text(kind: str, text: str) -> Any:
    """Text (an override, or a value stored as a string) into ``kind``; ValueError if not."""
    if kind == "int":
        return int(text.strip())
    if kind == "float":
        return float(text.strip())
    if kind == "str":
        return text
    if kind == "bool":
        low = text.strip().lower()
        if low in TRUE_WORDS:
            return True
        if low in FALSE_WORDS:
            return False
        raise ValueError(text)
    if kind in ("list", "tuple", "dict", "json"):
        return _of_kind(kind, _literal(text))
    try:
        return _literal(text)
    except (ValueError, SyntaxError):
        return text


def from_declared(kind: str, value: Any) -> Any:
    """A value from the notebook's JSON metadata, into its declared type.

    A ``str`` value is Link's text: a quoted Python string literal (``"'mlp'"``) is the
    string it spells, as ``mrx-link run`` gives it to the kernel; any other text is the
    string itself. (Link 2.7 also evaluates unquoted literals such as ``"12"`` or
    ``"[1]"`` for a ``str`` parameter, handing the kernel an int or a list; link-ls keeps
    the declared type and gives the text.)
    """
    if isinstance(value, str) and kind not in ("str", ""):
        return from_text(kind, value)
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
        return link_str(value) if isinstance(value, str) else json.dumps(value)
    if kind == "bool":
        if isinstance(value, bool):
            return value
        if isinstance(value, int) and value in (0, 1):
            return bool(value)
        raise ValueError(value)
    return _of_kind(kind, value)


def link_str(text: str) -> str:
    """A str parameter as Link stores it: Python-literal text (``"'mlp'"``) or bare text."""
    t = text.strip()
    if len(t) >= 2 and t[0] == t[-1] and t[0] in "'\"":
        try:
            value = ast.literal_eval(t)
        except (ValueError, SyntaxError, MemoryError, RecursionError):
            return text
        if isinstance(value, str):
            return value
    return text


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


def kind_of(type_name: str) -> str:
    """The kind a declared type name converts to; \"\" for a type link-ls does not know."""
    return ALIASES.get(type_name.strip().lower(), "")
