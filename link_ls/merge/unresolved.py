"""Listing the conflicts left in a notebook and resolving exactly one of them.

This is what an editor needs for LNK007 and its quick fixes: :func:`find_conflicts`
reads source markers and the structured records in ``metadata.link_ls.conflict``
(cells and notebook), :func:`resolve_conflict` applies ``ours`` / ``theirs`` /
``both`` / ``base`` to one of them and returns the new notebook and what changed.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from link_ls.merge.apply import apply_record
from link_ls.merge.errors import ConflictNotFound, MergeError
from link_ls.merge.markers import MarkerBlock, find_blocks, replace_block
from link_ls.merge.model import (
    CHOICES,
    CONFLICT_KEY,
    LINK_LS_KEY,
    Choice,
    Conflict,
    ConflictId,
    ConflictKind,
    Resolution,
    SourceEdit,
)
from link_ls.notebook.model import Notebook

Json = dict[str, Any]
SOURCE_PREFIX = "source:"


def _text(src: Any) -> str:
    if isinstance(src, list):
        return "".join(str(s) for s in src)
    return src if isinstance(src, str) else ""


def _records(md: Any) -> list[Json]:
    own = md.get(LINK_LS_KEY) if isinstance(md, Mapping) else None
    recs = own.get(CONFLICT_KEY) if isinstance(own, Mapping) else None
    return [r for r in recs if isinstance(r, dict)] if isinstance(recs, list) else []


def _record_ids(records: list[Json]) -> list[ConflictId]:
    """Record ids, made unique within one cell by a ``#n`` suffix (stable for a given list)."""
    seen: dict[str, int] = {}
    out: list[ConflictId] = []
    for r in records:
        rid = str(r.get("id") or r.get("kind") or "conflict")
        n = seen.get(rid, 0) + 1
        seen[rid] = n
        out.append(ConflictId(rid if n == 1 else f"{rid}#{n}"))
    return out


def _kind(r: Json) -> ConflictKind:
    try:
        return ConflictKind(str(r.get("kind")))
    except ValueError:
        return ConflictKind.METADATA


def _absent(r: Json, side: str) -> bool:
    return r.get(side) is None


def describe(r: Json) -> str:
    """A one-line message for a structured conflict record."""
    kind = _kind(r)
    path = ".".join(str(p) for p in r.get("path", [])[1:]) or ".".join(
        str(p) for p in r.get("path", [])
    )
    if kind is ConflictKind.CELL:
        gone = [s for s in ("ours", "theirs") if _absent(r, s)]
        kept = [s for s in ("ours", "theirs") if not _absent(r, s)]
        if r.get("reason") == "deleted-parent" and gone and kept:
            return f"deleted in {gone[0]}, but {kept[0]} added an edge to it; kept until you choose"
        if gone and kept:
            return f"deleted in {gone[0]}, changed in {kept[0]}; kept until you choose"
        return "cell changed differently on both sides"
    if kind is ConflictKind.EDGES:
        cycle = ", ".join(str(n) for n in r.get("cycle", []))
        return f"edges added on the two sides form a cycle among {cycle}; they are left out"
    if kind is ConflictKind.PARAMETER:
        return f"pipeline parameter {path!r} changed differently on both sides"
    if kind is ConflictKind.FIELD:
        return f"{path} changed differently on both sides"
    return f"metadata {path!r} changed differently on both sides"


def _source_conflicts(index: int, source: str) -> list[Conflict]:
    out = []
    for n, b in enumerate(find_blocks(source), 1):
        out.append(
            Conflict(
                cell_index=index,
                id=ConflictId(f"{SOURCE_PREFIX}{n}"),
                kind=ConflictKind.SOURCE,
                message=f"lines {b.start + 1}–{b.end}: both sides changed these lines",
                base=b.base,
                ours=b.ours,
                theirs=b.theirs,
                start_line=b.start,
                end_line=b.end,
            )
        )
    return out


def _record_conflicts(index: int | None, md: Any) -> list[Conflict]:
    recs = _records(md)
    return [
        Conflict(
            cell_index=index,
            id=rid,
            kind=_kind(r),
            message=describe(r),
            base=r.get("base"),
            ours=r.get("ours"),
            theirs=r.get("theirs"),
        )
        for rid, r in zip(_record_ids(recs), recs, strict=True)
    ]


def find_conflicts(nb: Notebook) -> list[Conflict]:
    """Every unresolved conflict: notebook-level first, then per cell in order."""
    out = _record_conflicts(None, nb.node.get("metadata"))
    for i, cell in enumerate(nb.raw_cells):
        out.extend(_source_conflicts(i, _text(cell.get("source", ""))))
        out.extend(_record_conflicts(i, cell.get("metadata")))
    return out


def resolve_conflict(
    nb: Notebook, cell_index: int | None, conflict_id: str, choice: Choice | str
) -> Resolution:
    """Apply ``choice`` to one conflict; ``nb`` is not changed, the result holds a new notebook."""
    if choice not in CHOICES:
        raise MergeError(f"unknown choice {choice!r}; use ours, theirs, both or base")
    ch: Choice = choice
    new = Notebook(copy.deepcopy(nb.node), path=nb.path, fmt=nb.fmt)
    cells = new.raw_cells
    if cell_index is not None and not 0 <= cell_index < len(cells):
        raise ConflictNotFound(f"cell {cell_index} is out of range ({len(cells)} cells)")
    if conflict_id.startswith(SOURCE_PREFIX) and cell_index is not None:
        return _resolve_source(new, cell_index, conflict_id, ch)
    holder = new.node if cell_index is None else cells[cell_index]
    recs = _records(holder.get("metadata"))
    ids = _record_ids(recs)
    if conflict_id not in ids:
        where = "the notebook" if cell_index is None else f"cell {cell_index}"
        raise ConflictNotFound(f"no conflict {conflict_id!r} in {where}")
    pos = ids.index(ConflictId(conflict_id))
    rec = recs[pos]
    rest = recs[:pos] + recs[pos + 1 :]
    changed, deleted = apply_record(new, cell_index, rec, ch, rest)
    new.touch()
    return Resolution(
        notebook=new,
        cell_index=cell_index,
        conflict_id=ConflictId(conflict_id),
        choice=ch,
        changed_cells=tuple(sorted(changed)),
        deleted_cells=tuple(sorted(deleted)),
    )


def _resolve_source(new: Notebook, index: int, conflict_id: str, choice: Choice) -> Resolution:
    cell = new.raw_cells[index]
    source = _text(cell.get("source", ""))
    blocks = find_blocks(source)
    n = conflict_id[len(SOURCE_PREFIX) :]
    if not n.isdigit() or not 1 <= int(n) <= len(blocks):
        raise ConflictNotFound(f"no conflict {conflict_id!r} in cell {index}")
    block: MarkerBlock = blocks[int(n) - 1]
    text, repl = replace_block(source, block, choice)
    cell["source"] = text
    new.touch()
    return Resolution(
        notebook=new,
        cell_index=index,
        conflict_id=ConflictId(conflict_id),
        choice=choice,
        changed_cells=(index,),
        deleted_cells=(),
        source_edit=SourceEdit(block.start, block.end, repl),
    )
