"""MakinaRocks Link's pipeline JSON file, read with Link's own rules and written byte-exact.

This is the file real Link 2.7 writes (``mrx-link convert X.ipynb --to-path X.json``,
JupyterLab's "Export pipeline", ``LinkPipeline.convert_to_json``) and reads
(``load_link_pipeline_from_json``)::

    {"components": [{"component_id", "component_name", "component_type": "CodeCell",
                     "cell_code": str, "headercolor": str,
                     "parents": [{"id", "name"}], "captured": []}, ...],
     "parameters": [{"name", "type", "value": str, "metadata": null}, ...]}

Written with ``json.dumps`` defaults (ASCII escapes, ``", "``/``": "`` separators, no
trailing newline), components parents-first. A parameter's ``value`` is the text of a
Python literal (``"12"``, ``"'abc'"``); ``type`` is ``bool``, ``int``, ``float``, ``str``,
``dict``, ``list``, ``tuple`` or null. (An earlier link-ls wrote a bare list here and
called it Link's; it never was, and it is no longer read.)

Reading follows what real Link does with a file, rule by rule (each one checked by
feeding files to Link, see ``tests/link/test_pipeline_json.py``):

- the file is refused when ``components`` or ``parameters`` is missing, when a component
  lacks ``component_id``, ``component_name``, ``component_type``, ``cell_code``,
  ``headercolor`` or ``parents`` (``captured`` may be missing), when a parent id is not a
  component of the file, on a cycle, on two components with one id or one name, and on a
  parameter without ``name``/``value``, with an unknown ``type``, or a value that is no
  Python literal (text is allowed for ``str``);
- a component Link cannot parse — parents that are not ``{"id": …}`` objects, code
  that is not one string, a type other than ``CodeCell``, an id, name or header colour
  that is not text, ``captured`` that is not a list of outputs — is *dropped* (Link
  drops it silently; link-ls lists it in :attr:`ExchangePipeline.dropped`, and the CLI
  says so). A component whose parent was dropped makes the file refused, as in Link.
- a parent's ``name`` is not used (Link links by id); a parent listed twice is one edge.
"""

from __future__ import annotations

import ast
import math
from collections.abc import Mapping
from typing import Any

from link_ls.exchange.errors import ExchangeFormatError, ExportError
from link_ls.exchange.graph import topological
from link_ls.exchange.model import (
    DroppedComponent,
    ExchangeComponent,
    ExchangePipeline,
)
from link_ls.notebook import ComponentId, Parameter
from link_ls.notebook.canvas import CANVAS_KEY, DEFAULT_HEADER_COLOR, link_header_color

#: every key of a component Link writes, in its order
COMPONENT_KEYS = (
    "component_id",
    "component_name",
    "component_type",
    "cell_code",
    "headercolor",
    "parents",
    "captured",
)
#: the keys Link's reader cannot do without (``captured`` may be missing)
REQUIRED_KEYS = COMPONENT_KEYS[:-1]
#: the parameter types Link accepts (null too: Link then takes the literal's type)
LINK_TYPES = ("bool", "int", "float", "str", "dict", "list", "tuple")
#: link-ls's type aliases (docs/run.md) as Link spells them
_TYPE_ALIASES = {
    "integer": "int",
    "number": "float",
    "double": "float",
    "string": "str",
    "text": "str",
    "boolean": "bool",
    "array": "list",
    "object": "dict",
}
#: output types Link accepts in ``captured``
_CAPTURED_TYPES = ("clear_output", "display_data", "execute_result", "stream")


def is_link(data: Any) -> bool:
    """Link's file by shape: an object with ``components``/``parameters``, no ``format``."""
    return (
        isinstance(data, Mapping)
        and "format" not in data
        and ("components" in data or "parameters" in data)
    )


# -- reading ---------------------------------------------------------------------------
def _why_dropped(entry: Mapping[str, Any]) -> str | None:
    """Why Link cannot parse this component (it then drops it), or None."""
    for key in ("component_id", "component_name"):
        if not isinstance(entry[key], str):
            return f"{key} is {type(entry[key]).__name__}, not text"
    if entry["component_type"] != "CodeCell":
        return f"component_type is {entry['component_type']!r}, not 'CodeCell'"
    code = entry["cell_code"]
    if not isinstance(code, str):
        what = "a list of lines" if isinstance(code, list) else type(code).__name__
        return f"cell_code is {what}, not one string"
    if not isinstance(entry["headercolor"], str):
        return f"headercolor is {type(entry['headercolor']).__name__}, not text"
    parents = entry["parents"]
    if not isinstance(parents, list) or not all(
        isinstance(p, Mapping)
        and isinstance(p.get("id"), str)
        and isinstance(p.get("name", ""), str)
        for p in parents
    ):
        return 'parents are not a list of {"id", "name"} objects'
    captured = entry.get("captured", [])
    if not isinstance(captured, list) or not all(
        isinstance(c, Mapping) and c.get("type") in _CAPTURED_TYPES for c in captured
    ):
        return "captured is not a list of outputs"
    return None


def _parameter(raw: Any, where: str) -> Parameter:
    if not isinstance(raw, Mapping):
        raise ExchangeFormatError(f"{where} is not an object")
    for key in ("name", "value"):
        if key not in raw:
            raise ExchangeFormatError(f"{where} has no '{key}'")
    name, value, ptype = raw["name"], raw["value"], raw.get("type")
    if not isinstance(name, str):
        raise ExchangeFormatError(f"{where}: name is not text")
    where = f"{where.rsplit(' #', 1)[0]} {name!r}"
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        value = repr(value)  # Link takes a number for its text
    if not isinstance(value, str):
        raise ExchangeFormatError(f"{where}: value is {type(value).__name__}, not text")
    if ptype is not None and ptype not in LINK_TYPES:
        raise ExchangeFormatError(
            f"{where}: type {ptype!r} is not one of Link's ({', '.join(LINK_TYPES)})"
        )
    try:
        literal = ast.literal_eval(value)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        if ptype != "str":
            raise ExchangeFormatError(
                f"{where}: value {value!r} is not a Python literal (Link refuses it)"
            ) from None
        literal = value
    if ptype is None:
        ptype = type(literal).__name__
        if ptype not in LINK_TYPES:
            raise ExchangeFormatError(f"{where}: value {value!r} is a {ptype}, not a Link type")
    metadata = raw.get("metadata")
    if metadata is not None and not (
        isinstance(metadata, Mapping) and isinstance(metadata.get("resource_type"), str)
    ):
        raise ExchangeFormatError(f"{where}: metadata is neither null nor a resource object")
    return Parameter(name, ptype, value, dict(metadata) if metadata is not None else None)


def read_link(data: Mapping[str, Any], name: str) -> ExchangePipeline:
    """Parse Link's pipeline file (already decoded from JSON), the way Link reads it."""
    for key in ("components", "parameters"):
        if key not in data:
            raise ExchangeFormatError(f"{name}: Link pipeline file has no {key!r} key")
        if not isinstance(data[key], list):
            raise ExchangeFormatError(f"{name}: {key!r} is not a list")
    params = tuple(
        _parameter(p, f"{name}: parameter #{i}") for i, p in enumerate(data["parameters"], 1)
    )
    kept: list[Mapping[str, Any]] = []
    dropped: list[DroppedComponent] = []
    for i, entry in enumerate(data["components"], 1):
        where = f"{name}: component #{i}"
        if not isinstance(entry, Mapping):
            raise ExchangeFormatError(f"{where} is not an object")
        missing = [k for k in REQUIRED_KEYS if k not in entry]
        if missing:
            label = entry.get("component_name")
            label = f" ({label!r})" if isinstance(label, str) else ""
            raise ExchangeFormatError(f"{where}{label} has no {missing[0]!r} key")
        reason = _why_dropped(entry)
        if reason is not None:
            cname, cid = entry["component_name"], entry["component_id"]
            dropped.append(
                DroppedComponent(i, cname if isinstance(cname, str) else "", str(cid), reason)
            )
        else:
            kept.append(entry)
    ids: dict[str, str] = {}
    names: set[str] = set()
    for entry in kept:
        cid, cname = entry["component_id"], entry["component_name"]
        if cid in ids:
            raise ExchangeFormatError(
                f"{name}: duplicate component id {cid!r} ({ids[cid]!r} and {cname!r})"
            )
        if cname in names:
            raise ExchangeFormatError(
                f"{name}: two components are named {cname!r} (Link refuses such a file)"
            )
        ids[cid] = cname
        names.add(cname)
    gone = {d.id: d for d in dropped}
    comps = []
    for entry in kept:
        cname = entry["component_name"]
        parents: list[ComponentId] = []
        for p in entry["parents"]:
            pid = p["id"]
            if pid not in ids:
                if pid in gone:
                    raise ExchangeFormatError(
                        f"{name}: component {cname!r} has parent {gone[pid].name!r}, which Link "
                        f"drops ({gone[pid].reason})"
                    )
                raise ExchangeFormatError(
                    f"{name}: component {cname!r} has parent id {pid!r}, which is not in the file"
                )
            if ComponentId(pid) not in parents:
                parents.append(ComponentId(pid))
        comps.append(
            ExchangeComponent(
                id=ComponentId(entry["component_id"]),
                name=cname,
                source=entry["cell_code"],
                parents=tuple(parents),
                metadata={CANVAS_KEY: {"headerColor": entry["headercolor"]}},
            )
        )
    return ExchangePipeline(
        components=tuple(comps), parameters=params, dropped=tuple(dropped), format="link"
    )


# -- writing ---------------------------------------------------------------------------
def link_type(ptype: str) -> str | None:
    """A parameter type as Link spells it; None (Link infers it) for one it does not know."""
    t = _TYPE_ALIASES.get(ptype, ptype)
    return t if t in LINK_TYPES else None


def link_value(p: Parameter, name: str = "<pipeline>") -> str:
    """A parameter's value as Link's text: a string is already Link's (that is how Link
    stores it in the notebook) and stays; a JSON value becomes its Python literal."""
    if isinstance(p.value, str):
        return p.value
    text = repr(p.value)
    try:
        ok = ast.literal_eval(text) == p.value
    except (ValueError, SyntaxError):
        ok = False
    if not ok or (isinstance(p.value, float) and not math.isfinite(p.value)):
        raise ExportError(
            f"{name}: parameter {p.name!r} = {p.value!r} has no Python literal Link can read"
        )
    return text


def _header_color(comp: ExchangeComponent) -> str:
    canvas = comp.metadata.get(CANVAS_KEY)
    if isinstance(canvas, Mapping) and "headerColor" in canvas:
        return link_header_color(canvas["headerColor"])
    return DEFAULT_HEADER_COLOR


def write_link(pipe: ExchangePipeline, name: str = "<pipeline>") -> dict[str, Any]:
    """Link's pipeline file for ``pipe``: the object ``json.dumps`` turns into Link's bytes."""
    if pipe.external:
        listed = ", ".join(repr(e.name or e.id) for e in pipe.external)
        raise ExportError(
            f"{name}: Link's format needs every parent in the file, and {listed} is not "
            "(add --with-ancestors, or use --format link-ls)"
        )
    seen: set[str] = set()
    for c in pipe.components:
        if c.name in seen:
            raise ExportError(
                f"{name}: two components are named {c.name!r}, which Link refuses "
                "(rename one, or use --format link-ls)"
            )
        seen.add(c.name)
    components = [
        {
            "component_id": c.id,
            "component_name": c.name,
            "component_type": "CodeCell",
            "cell_code": c.source,
            "headercolor": _header_color(c),
            "parents": [{"id": p, "name": pipe.parent_name(p)} for p in c.parents],
            "captured": [],
        }
        for c in topological(pipe)
    ]
    parameters = [
        {
            "name": p.name,
            "type": link_type(p.type),
            "value": link_value(p, name),
            "metadata": p.metadata,
        }
        for p in pipe.parameters
    ]
    return {"components": components, "parameters": parameters}
