"""MakinaRocks Link's own export list, read tolerantly and written exactly.

Link exports a pipeline as a JSON list with one entry per component::

    {"component_id", "component_name", "component_type", "cell_code",
     "predefined", "parents_name"}

Edges are by *name* (``parents_name``), so names must be unique to be linked. The
pipeline parameters are one more entry whose ``component_type`` is
``"PipelineParameters"``; its ``cell_code`` holds them as Python assignments with
the Link type as annotation (``seed: int = 7``).

Reading accepts what older or hand-made lists carry: missing keys (a missing id
gets a stable one derived from the entry, a missing type is ``CodeCell``),
``cell_code`` as a list of lines, ``parents_name`` as one string or as
``{"name": …}`` objects, parameters as ``parameters``/``PipelineParameters`` keys
holding ``[{name, type, value}]`` or ``{name: value}``, or ``cell_code`` holding
JSON or plain ``name = literal`` lines. A parent name that matches no entry is a
parent outside the file (see ``--link-existing``). Unknown entry keys are ignored.
Writing emits exactly the six keys above, in that order.
"""

from __future__ import annotations

import ast
import json
import keyword
import math
import re
import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from link_ls.exchange.errors import ExchangeFormatError, ExportError
from link_ls.exchange.model import LINK_LS_KEY, ExchangeComponent, ExchangePipeline, ExternalParent
from link_ls.notebook import ComponentId, Parameter

PARAMETERS_TYPE = "PipelineParameters"
#: one fixed id for the parameters entry, so a re-export gives the same file
PARAMETERS_ID = str(uuid.uuid5(uuid.NAMESPACE_URL, "link-ls/PipelineParameters"))
_TYPE_ANNOTATION = re.compile(r"^[A-Za-z_][A-Za-z0-9_.]*$")


def _stable_id(*parts: str) -> ComponentId:
    return ComponentId(str(uuid.uuid5(uuid.NAMESPACE_URL, "link-ls/link/" + "/".join(parts))))


def is_link_list(data: Any) -> bool:
    return isinstance(data, list)


def _is_parameters_entry(entry: Mapping[str, Any]) -> bool:
    return (
        entry.get("component_type") == PARAMETERS_TYPE
        or PARAMETERS_TYPE in entry
        or ("component_type" not in entry and entry.get("component_name") == PARAMETERS_TYPE)
    )


# -- parameters ------------------------------------------------------------------------
def _type_of(value: Any) -> str:
    if isinstance(value, bool):
        return "bool"
    for t in (int, float, str, list, dict):
        if isinstance(value, t):
            return t.__name__
    return "str" if value is None else type(value).__name__


def _params_from_json(raw: Any, where: str) -> list[Parameter]:
    if isinstance(raw, Mapping):
        return [Parameter(str(k), _type_of(v), v) for k, v in raw.items()]
    if isinstance(raw, list):
        out = []
        for i, p in enumerate(raw, 1):
            if not isinstance(p, Mapping) or not isinstance(p.get("name"), str):
                raise ExchangeFormatError(f"{where}: parameter #{i} has no name")
            value = p.get("value")
            out.append(Parameter(p["name"], str(p.get("type") or _type_of(value)), value))
        return out
    raise ExchangeFormatError(f"{where}: parameters are neither a list nor an object")


def _params_from_code(code: str, where: str) -> list[Parameter]:
    stripped = code.strip()
    if stripped.startswith(("[", "{")):
        try:
            return _params_from_json(json.loads(stripped), where)
        except json.JSONDecodeError:
            pass  # a Python list/dict literal assignment cannot start a line; fall through
    try:
        tree = ast.parse(code)
    except SyntaxError as e:
        raise ExchangeFormatError(f"{where}: cell_code line {e.lineno}: {e.msg}") from None
    out = []
    for stmt in tree.body:
        target: ast.expr | None = None
        annotation: ast.expr | None = None
        value: ast.expr | None = None
        if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1:
            target, value = stmt.targets[0], stmt.value
        elif isinstance(stmt, ast.AnnAssign) and stmt.value is not None:
            target, annotation, value = stmt.target, stmt.annotation, stmt.value
        if not isinstance(target, ast.Name) or value is None:
            raise ExchangeFormatError(
                f"{where}: cell_code line {stmt.lineno} is not `name = value`"
            )
        try:
            literal = ast.literal_eval(value)
        except ValueError:
            raise ExchangeFormatError(
                f"{where}: cell_code line {stmt.lineno}: value of {target.id!r} is not a literal"
            ) from None
        ptype = ast.unparse(annotation) if annotation is not None else _type_of(literal)
        out.append(Parameter(target.id, ptype, literal))
    return out


def _read_parameters(entry: Mapping[str, Any], where: str) -> list[Parameter]:
    for key in ("parameters", PARAMETERS_TYPE):
        if key in entry:
            return _params_from_json(entry[key], where)
    return _params_from_code(_code(entry, where), where)


def _coerce(ptype: str, value: Any) -> Any:
    """Link keeps some values as text (``{"type": "int", "value": "12"}``); code says 12."""
    if not isinstance(value, str):
        return value
    try:
        if ptype == "int":
            return int(value)
        if ptype == "float":
            return float(value)
    except ValueError:
        return value
    if ptype == "bool" and value.lower() in ("true", "false"):
        return value.lower() == "true"
    return value


def _parameters_code(params: Sequence[Parameter]) -> str:
    lines = []
    for p in params:
        value = _coerce(p.type, p.value)
        text = repr(value)
        try:
            exact = ast.literal_eval(text) == value
        except (ValueError, SyntaxError):
            exact = False
        if isinstance(value, float) and not math.isfinite(value):
            exact = False
        if not p.name.isidentifier() or keyword.iskeyword(p.name) or not exact:
            # not expressible as code: keep the parameters exactly, as JSON
            return json.dumps(
                [{"name": q.name, "type": q.type, "value": q.value} for q in params],
                ensure_ascii=False,
            )
        if _TYPE_ANNOTATION.match(p.type):
            lines.append(f"{p.name}: {p.type} = {text}")
        else:
            lines.append(f"{p.name} = {text}")
    return "\n".join(lines) + "\n"


# -- components ------------------------------------------------------------------------
def _code(entry: Mapping[str, Any], where: str) -> str:
    code = entry.get("cell_code", "")
    if code is None:
        return ""
    if isinstance(code, list) and all(isinstance(s, str) for s in code):
        return "".join(code)
    if not isinstance(code, str):
        raise ExchangeFormatError(f"{where}: cell_code is not text")
    return code


def _parent_names(entry: Mapping[str, Any], where: str) -> list[str]:
    raw = entry.get("parents_name", entry.get("parents", []))
    if raw is None:
        return []
    if isinstance(raw, str):
        raw = [raw]
    if not isinstance(raw, list):
        raise ExchangeFormatError(f"{where}: parents_name is not a list of names")
    names = []
    for p in raw:
        if isinstance(p, Mapping) and isinstance(p.get("name"), str):
            names.append(p["name"])
        elif isinstance(p, str):
            names.append(p)
        else:
            raise ExchangeFormatError(f"{where}: parents_name holds {p!r}, not a name")
    return names


def read_link(data: Sequence[Any], name: str) -> ExchangePipeline:
    """Parse Link's export list (already decoded from JSON)."""
    params: list[Parameter] = []
    raw: list[tuple[int, Mapping[str, Any]]] = []
    for i, entry in enumerate(data, 1):
        where = f"{name}: entry #{i}"
        if not isinstance(entry, Mapping):
            raise ExchangeFormatError(f"{where} is not an object")
        if _is_parameters_entry(entry):
            params.extend(_read_parameters(entry, where))
        else:
            raw.append((i, entry))
    ids: list[ComponentId] = []
    names: list[str] = []
    for i, entry in raw:
        where = f"{name}: entry #{i}"
        cname = entry.get("component_name", f"component_{i}")
        if not isinstance(cname, str):
            raise ExchangeFormatError(f"{where}: component_name is not text")
        cid = entry.get("component_id")
        if cid is not None and not isinstance(cid, str):
            raise ExchangeFormatError(f"{where}: component_id is not text")
        ids.append(ComponentId(cid) if cid else _stable_id(str(i), cname, _code(entry, where)))
        names.append(cname)
    by_name: dict[str, list[ComponentId]] = {}
    for cid, cname in zip(ids, names, strict=True):
        by_name.setdefault(cname, []).append(cid)
    external: dict[str, ExternalParent] = {}
    comps = []
    for (i, entry), cid, cname in zip(raw, ids, names, strict=True):
        where = f"{name}: entry #{i} ({cname!r})"
        parents = []
        for pname in _parent_names(entry, where):
            hits = by_name.get(pname, [])
            if len(hits) > 1:
                raise ExchangeFormatError(
                    f"{where}: parent {pname!r} is ambiguous: {len(hits)} components have that name"
                )
            if hits:
                parents.append(hits[0])
            else:
                ext = external.setdefault(
                    pname, ExternalParent(_stable_id("external", pname), pname)
                )
                parents.append(ext.id)
        ctype = entry.get("component_type") or "CodeCell"
        metadata: dict[str, Any] = {}
        if entry.get("predefined") is True:
            metadata[LINK_LS_KEY] = {"predefined": True}
        comps.append(
            ExchangeComponent(
                id=cid,
                name=cname,
                source=_code(entry, where),
                parents=tuple(parents),
                type=str(ctype),
                metadata=metadata,
            )
        )
    return ExchangePipeline(
        components=tuple(comps),
        parameters=tuple(params),
        external=tuple(external.values()),
        format="link",
    )


def write_link(pipe: ExchangePipeline, name: str = "<pipeline>") -> list[dict[str, Any]]:
    """Link's export list for ``pipe``; names must be unique since Link links by name."""
    seen: set[str] = set()
    for c in pipe.components:
        if not c.name:
            raise ExportError(f"{name}: component {c.id} has no name; Link's format links by name")
        if c.name in seen:
            raise ExportError(
                f"{name}: two components are named {c.name!r}; Link's format links by name "
                "(rename one, or use --format link-ls)"
            )
        seen.add(c.name)
    for e in pipe.external:
        if not e.name or e.name in seen:
            raise ExportError(
                f"{name}: parent {e.id} outside the export is named {e.name!r}, which Link's "
                "format cannot tell apart (add --with-ancestors, or use --format link-ls)"
            )
    out: list[dict[str, Any]] = []
    if pipe.parameters:
        out.append(
            {
                "component_id": PARAMETERS_ID,
                "component_name": PARAMETERS_TYPE,
                "component_type": PARAMETERS_TYPE,
                "cell_code": _parameters_code(pipe.parameters),
                "predefined": True,
                "parents_name": [],
            }
        )
    for c in pipe.components:
        out.append(
            {
                "component_id": c.id,
                "component_name": c.name,
                "component_type": c.type,
                "cell_code": c.source,
                "predefined": c.predefined,
                "parents_name": [pipe.parent_name(p) for p in c.parents],
            }
        )
    return out
