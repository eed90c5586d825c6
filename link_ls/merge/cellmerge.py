"""Merging one cell present on all three sides (or added on both): fields, source, outputs.

The source merges line by line (diff3, markers where edits overlap); metadata
merges per key with ``canvas.parents`` merged as a set of edges; outputs both
sides changed differently are cleared (or taken from the side the caller
prefers) and execution counts that disagree are reset. Conflicts other than
source come back as JSON records for ``metadata.link_ls.conflict``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from link_ls.merge.diff3 import merge_text
from link_ls.merge.edges import merge_parents
from link_ls.merge.model import CONFLICT_KEY, LINK_LS_KEY, ConflictKind, OutputPolicy
from link_ls.merge.values import ABSENT, ValueConflict, get, merge_set, merge_value, same, wrap

Json = dict[str, Any]

_OUTPUT_FIELDS = ("outputs", "execution_count")
#: the fields nbformat 4 allows on each cell type (anything else fails ``nbformat.validate``)
_CELL_FIELDS = {
    "code": frozenset({"id", "cell_type", "metadata", "source", *_OUTPUT_FIELDS}),
    "markdown": frozenset({"id", "cell_type", "metadata", "source", "attachments"}),
    "raw": frozenset({"id", "cell_type", "metadata", "source", "attachments"}),
}


def source_text(src: Any) -> str:
    if isinstance(src, list):
        return "".join(str(s) for s in src)
    return src if isinstance(src, str) else ""


@dataclass
class CellMerge:
    """The merged cell dict, the structured conflicts for it, and how many source conflicts."""

    cell: Json
    records: list[Json] = field(default_factory=list)
    source_conflicts: int = 0


def value_record(vc: ValueConflict, *, notebook: bool = False) -> Json:
    """A JSON record for one value conflict (cell field, cell metadata or notebook metadata)."""
    path = list(vc.path)
    if path and path[0] == "metadata":
        kind, rid = ConflictKind.METADATA, "metadata:" + ".".join(path[1:])
    elif notebook and path[:1] == ["parameters"]:
        kind, rid = ConflictKind.PARAMETER, "parameter:" + ".".join(path[1:])
    else:
        kind, rid = ConflictKind.FIELD, "field:" + ".".join(path)
    return {
        "id": rid,
        "kind": kind.value,
        "path": path,
        "base": wrap(vc.base),
        "ours": wrap(vc.ours),
        "theirs": wrap(vc.theirs),
    }


def strip_conflicts(md: Any) -> Any:
    """Metadata without link-ls's own conflict list (kept apart: it merges as a set)."""
    if not isinstance(md, Mapping):
        return md
    own = md.get(LINK_LS_KEY)
    if not isinstance(own, Mapping) or CONFLICT_KEY not in own:
        return md
    out = dict(md)
    rest = {k: v for k, v in own.items() if k != CONFLICT_KEY}
    if rest:
        out[LINK_LS_KEY] = rest
    else:
        del out[LINK_LS_KEY]
    return out


def existing_records(md: Any) -> list[Json]:
    own = md.get(LINK_LS_KEY) if isinstance(md, Mapping) else None
    recs = own.get(CONFLICT_KEY) if isinstance(own, Mapping) else None
    return [r for r in recs if isinstance(r, dict)] if isinstance(recs, list) else []


def merge_records(base: Any, ours: Any, theirs: Any) -> list[Json]:
    """Conflicts already recorded on the sides (committed unresolved) merge as a set."""
    keyed = {
        json.dumps(r, sort_keys=True): r
        for r in (*existing_records(base), *existing_records(ours), *existing_records(theirs))
    }
    keys = merge_set(
        [json.dumps(r, sort_keys=True) for r in existing_records(base)],
        [json.dumps(r, sort_keys=True) for r in existing_records(ours)],
        [json.dumps(r, sort_keys=True) for r in existing_records(theirs)],
    )
    return [keyed[k] for k in keys]


def attach_records(md: Json, records: list[Json]) -> None:
    """Store conflict records under ``md["link_ls"]["conflict"]`` (replacing what was there)."""
    own = md.get(LINK_LS_KEY)
    own = dict(own) if isinstance(own, dict) else {}
    if records:
        own[CONFLICT_KEY] = records
    else:
        own.pop(CONFLICT_KEY, None)
    if own:
        md[LINK_LS_KEY] = own
    else:
        md.pop(LINK_LS_KEY, None)


def _canvas(md: Any) -> Any:
    return get(md, "canvas")


def merge_metadata(base: Any, ours: Any, theirs: Any, conflicts: list[ValueConflict]) -> Json:
    """Cell metadata per key; ``canvas.parents`` as edges; conflict records as a set."""
    b, o, t = (strip_conflicts(x) if isinstance(x, Mapping) else {} for x in (base, ours, theirs))
    canvases = [_canvas(x) for x in (b, o, t)]
    has_parents = [isinstance(c, Mapping) and "parents" in c for c in canvases]
    if any(has_parents):
        b, o, t = (_without_parents(x) for x in (b, o, t))
    merged = merge_value(b, o, t, ("metadata",), conflicts)
    md: Json = dict(merged) if isinstance(merged, Mapping) else {}
    canvas = md.get("canvas")
    if any(has_parents) and isinstance(canvas, dict):
        sides = [_parents(c) for c in canvases]
        canvas = dict(canvas)
        canvas["parents"] = merge_parents(*sides)
        md["canvas"] = canvas
    records = merge_records(base, ours, theirs)
    if records:
        attach_records(md, records)
    return md


def _parents(canvas: Any) -> list[Any]:
    p = canvas.get("parents") if isinstance(canvas, Mapping) else None
    return list(p) if isinstance(p, list) else []


def _without_parents(md: Any) -> Any:
    canvas = _canvas(md)
    if not isinstance(canvas, Mapping) or "parents" not in canvas:
        return md
    out = dict(md)
    out["canvas"] = {k: v for k, v in canvas.items() if k != "parents"}
    return out


def merge_outputs(base: Json, ours: Json, theirs: Json, policy: OutputPolicy) -> tuple[Any, Any]:
    """(outputs, execution_count) of a merged code cell."""
    bo, oo, to = (get(x, "outputs") for x in (base, ours, theirs))
    be, oe, te = (get(x, "execution_count") for x in (base, ours, theirs))
    scratch: list[ValueConflict] = []
    outs = merge_value(bo, oo, to, ("outputs",), scratch)
    if scratch:
        if policy is OutputPolicy.OURS and oo is not ABSENT:
            return oo, None if oe is ABSENT else oe
        if policy is OutputPolicy.THEIRS and to is not ABSENT:
            return to, None if te is ABSENT else te
        return [], None
    count_conflicts: list[ValueConflict] = []
    count = merge_value(be, oe, te, ("execution_count",), count_conflicts)
    if count_conflicts or count is ABSENT:
        count = None
    return ([] if outs is ABSENT else outs), count


def merge_cell(base: Json, ours: Json, theirs: Json, policy: OutputPolicy) -> CellMerge:
    """Three-way merge of one cell; ``base`` is ``{}`` for a cell both sides added."""
    if same(ours, theirs) or same(theirs, base):
        return CellMerge(ours)
    if same(ours, base):
        return CellMerge(theirs)
    conflicts: list[ValueConflict] = []
    out: Json = {}
    src_conflicts = 0
    keys = dict.fromkeys([*base, *ours, *theirs])
    for key in keys:
        if key in _OUTPUT_FIELDS:
            continue
        b, o, t = get(base, key), get(ours, key), get(theirs, key)
        if key == "source":
            tm = merge_text(source_text(b), source_text(o), source_text(t))
            src_conflicts = tm.conflicts
            v: Any = _same_form(tm.text, b, o, t)
        elif key == "metadata":
            v = merge_metadata(b, o, t, conflicts)
        elif key == "id":
            # ids are bookkeeping, not content: never a conflict
            scratch: list[ValueConflict] = []
            v = merge_value(b, o, t, ("id",), scratch)
            if scratch or v is ABSENT:
                v = b if b is not ABSENT else min(x for x in (o, t) if isinstance(x, str))
        else:
            before = len(conflicts)
            v = merge_value(b, o, t, (key,), conflicts)
            if len(conflicts) > before and v is ABSENT:
                # a required field (cell_type) both sides set differently with no base
                v = min((x for x in (o, t) if x is not ABSENT), key=repr)
        if v is not ABSENT:
            out[key] = v
    _keep_valid_fields(out, base, ours, theirs, conflicts)
    if out.get("cell_type") == "code":
        out["outputs"], out["execution_count"] = merge_outputs(base, ours, theirs, policy)
    merged = CellMerge(out, [value_record(c) for c in conflicts], src_conflicts)
    return merged


def _keep_valid_fields(
    out: Json, base: Json, ours: Json, theirs: Json, conflicts: list[ValueConflict]
) -> None:
    """Move fields the merged cell type does not allow (``attachments`` on a code cell) out
    of the cell into a conflict record: the file stays valid and nothing a side wrote is lost."""
    allowed = _CELL_FIELDS.get(str(out.get("cell_type")))
    if allowed is None:
        return
    for key in [k for k in out if k not in allowed]:
        del out[key]
        if not any(c.path == (key,) for c in conflicts):
            conflicts.append(
                ValueConflict((key,), get(base, key), get(ours, key), get(theirs, key))
            )


def _same_form(text: str, *sides: Any) -> Any:
    # keep a side's raw value (list or str) when the merge gave exactly its text
    for s in sides:
        if s is not ABSENT and source_text(s) == text:
            return s
    return text


def snapshot(cell: Json | None) -> Json | None:
    """What a cell conflict record keeps of one side's cell (no outputs: they are not content)."""
    if cell is None:
        return None
    md = strip_conflicts(cell.get("metadata", {}))
    return {
        "cell_type": cell.get("cell_type", "code"),
        "source": source_text(cell.get("source", "")),
        "metadata": md if isinstance(md, Mapping) else {},
    }


def content_changed(base: Json, side: Json) -> bool:
    """Did a side change a cell beyond re-running it (outputs and counts do not count)?"""
    keys = (set(base) | set(side)) - set(_OUTPUT_FIELDS)
    for k in keys:
        bv, sv = get(base, k), get(side, k)
        if k == "source":
            if source_text(bv) != source_text(sv):
                return True
        elif not same(bv, sv):
            return True
    return False
