"""Arguments of the ``link.*`` commands: the one JSON object each takes, checked field by field.

Shapes are documented in docs/commands.md; a wrong field is a ``UsageError``
(answered as "invalid params" with its one-line message).
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from link_ls.errors import UsageError
from link_ls.uris import uri_to_path


def argument(args: tuple[Any, ...]) -> dict[str, Any]:
    """The single JSON-object argument every link.* command takes."""
    obj = any_object(args)
    if not isinstance(obj.get("uri"), str):
        raise UsageError("argument needs a 'uri' string")
    return obj


def any_object(args: tuple[Any, ...]) -> dict[str, Any]:
    """The single JSON-object argument, ``uri`` or not (``link.merge``)."""
    if len(args) != 1 or not isinstance(args[0], dict):
        raise UsageError("expected one argument, a JSON object (see docs/commands.md)")
    obj: dict[str, Any] = args[0]
    return obj


def opt_str(obj: dict[str, Any], key: str) -> str | None:
    value = obj.get(key)
    if value is None:
        return None
    if not isinstance(value, (str, int)):
        raise UsageError(f"'{key}' must be a cell reference string")
    return str(value)


def req_str(obj: dict[str, Any], key: str) -> str:
    value = opt_str(obj, key)
    if value is None:
        raise UsageError(f"argument needs '{key}'")
    return value


def path_of(value: Any, key: str, *, needed: bool = True) -> Path:
    """A path or ``file:`` uri field as a path."""
    if not isinstance(value, str) or not value:
        if needed:
            raise UsageError(f"argument needs '{key}', a path or file: uri")
        raise UsageError(f"'{key}' must be a path or file: uri")
    return uri_to_path(value)


def overrides(a: dict[str, Any]) -> dict[str, str]:
    """``params``: pipeline parameter overrides, as text the kernel layer converts."""
    raw = a.get("params")
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise UsageError("'params' must be an object {name: value}")
    # the kernel layer converts text to the declared type, as for `link-ls run --param`
    return {str(k): v if isinstance(v, str) else json.dumps(v) for k, v in raw.items()}


def timeout(a: dict[str, Any]) -> float | None:
    t = a.get("timeout")
    if t is None:
        return None
    if isinstance(t, bool) or not isinstance(t, (int, float)) or not math.isfinite(t) or t <= 0:
        raise UsageError("'timeout' must be a positive number of seconds")
    return float(t)


def flag(a: dict[str, Any], key: str, default: bool) -> bool:
    v = a.get(key, default)
    if not isinstance(v, bool):
        raise UsageError(f"'{key}' must be true or false")
    return v
