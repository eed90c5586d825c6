"""Applying one side of a structured conflict record to a notebook (in place)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from link_ls.merge.cellmerge import attach_records
from link_ls.merge.edges import ref_id
from link_ls.merge.errors import MergeError
from link_ls.merge.model import Choice
from link_ls.notebook.model import Notebook

Json = dict[str, Any]
_MISSING = object()


def _alternative(rec: Json, choice: Choice) -> Any:
    """The chosen value, or ``_MISSING`` when that side does not have it."""
    if choice == "both":
        o, t = _unwrap(rec.get("ours")), _unwrap(rec.get("theirs"))
        if o is _MISSING:
            return t
        if t is _MISSING:
            return o
        return _combine(rec, o, t)
    return _unwrap(rec.get(choice))


def _unwrap(alt: Any) -> Any:
    if isinstance(alt, Mapping) and "value" in alt:
        return alt["value"]
    return _MISSING


def _combine(rec: Json, o: Any, t: Any) -> Any:
    if rec.get("kind") == "edges" and isinstance(o, list) and isinstance(t, list):
        ids = {ref_id(r) for r in o}
        return [*o, *(r for r in t if ref_id(r) not in ids)]
    if rec.get("kind") == "cell":
        return o  # two full cells cannot be one; ours is what "both" keeps
    if isinstance(o, list) and isinstance(t, list):
        return [*o, *(x for x in t if x not in o)]
    if isinstance(o, Mapping) and isinstance(t, Mapping):
        return {**t, **o}
    if o == t:
        return o
    raise MergeError(
        f"cannot take both values of {rec.get('id')!r} ({o!r} and {t!r}); choose ours or theirs"
    )


def _set_path(target: Json, path: list[str], value: Any) -> None:
    node: Any = target
    for key in path[:-1]:
        nxt = node.get(key)
        if not isinstance(nxt, dict):
            if value is _MISSING:
                return
            nxt = {}
            node[key] = nxt
        node = nxt
    if value is _MISSING:
        node.pop(path[-1], None)
    else:
        node[path[-1]] = value


def _normalise_cell(cell: Json) -> None:
    """Keep a cell valid after its type changed."""
    if cell.get("cell_type") == "code":
        cell.setdefault("outputs", [])
        cell.setdefault("execution_count", None)
        cell.pop("attachments", None)
    else:
        cell.pop("outputs", None)
        cell.pop("execution_count", None)


def apply_record(
    nb: Notebook, cell_index: int | None, rec: Json, choice: Choice, rest: list[Json]
) -> tuple[set[int], set[int]]:
    """Apply ``choice`` for ``rec``; ``rest`` are the holder's other records. Returns
    (changed cell indexes, deleted cell indexes) in terms of the notebook before the change."""
    kind = rec.get("kind")
    value = _alternative(rec, choice)
    path = [str(p) for p in rec.get("path", [])]
    if cell_index is None:
        md = nb.node.setdefault("metadata", {})
        if kind == "parameter" and len(path) >= 2:
            _set_parameter(md, path[1], value)
        elif path[:1] == ["metadata"] and len(path) > 1:
            _set_path(md, path[1:], value)
        else:
            raise MergeError(f"cannot apply notebook conflict {rec.get('id')!r}")
        attach_records(md, rest)
        return set(), set()
    cell = nb.raw_cells[cell_index]
    if kind == "cell":
        if value is _MISSING:
            return _delete_cell(nb, cell_index)
        if isinstance(value, Mapping):
            cell["cell_type"] = value.get("cell_type", cell.get("cell_type", "code"))
            cell["source"] = value.get("source", "")
            md = value.get("metadata")
            cell["metadata"] = dict(md) if isinstance(md, Mapping) else {}
    elif kind == "edges":
        refs = value if isinstance(value, list) else []
        canvas = cell.setdefault("metadata", {}).setdefault("canvas", {})
        if isinstance(canvas, dict):
            canvas["parents"] = refs
    elif path:
        _set_path(cell, path, value)
    else:
        raise MergeError(f"cannot apply conflict {rec.get('id')!r}: record has no path")
    _normalise_cell(cell)
    attach_records(cell.setdefault("metadata", {}), rest)
    return {cell_index}, set()


def _set_parameter(md: Json, name: str, value: Any) -> None:
    canvas = md.setdefault("canvas", {"version": "1.0"})
    params = canvas.setdefault("parameters", [])
    idx = next(
        (i for i, p in enumerate(params) if isinstance(p, Mapping) and p.get("name") == name),
        None,
    )
    if value is _MISSING:
        if idx is not None:
            del params[idx]
    elif idx is None:
        params.append(value)
    else:
        params[idx] = value


def _delete_cell(nb: Notebook, index: int) -> tuple[set[int], set[int]]:
    """Remove a cell and every edge that points at it (the deleting side removed it whole)."""
    cells = nb.raw_cells
    md = cells[index].get("metadata")
    canvas = md.get("canvas") if isinstance(md, Mapping) else None
    cid = canvas.get("id") if isinstance(canvas, Mapping) else None
    changed: set[int] = set()
    if isinstance(cid, str) and cid:
        for i, c in enumerate(cells):
            cmd = c.get("metadata")
            ccv = cmd.get("canvas") if isinstance(cmd, Mapping) else None
            parents = ccv.get("parents") if isinstance(ccv, dict) else None
            if i != index and isinstance(parents, list) and any(ref_id(r) == cid for r in parents):
                assert isinstance(ccv, dict)
                ccv["parents"] = [r for r in parents if ref_id(r) != cid]
                changed.add(i)
    del cells[index]
    return changed, {index}
