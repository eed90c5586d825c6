"""Compute a :class:`NotebookDiff` from two notebooks: align, then compare each aligned cell.

What counts as a change of a *cell*: its source, its type, its outputs (unless
ignored) and its metadata (unless ignored). Link's pipeline keys on a cell
(``canvas.name``, ``canvas.parents``, ``canvas.isComponent``, ``canvas.id``) are
pipeline structure: they are reported once, in the pipeline diff, not as metadata
noise. Execution counts are run-to-run noise and never a change.
"""

from __future__ import annotations

import bisect
import difflib
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from link_ls.diff.align import align_cells
from link_ls.diff.model import (
    CellDiff,
    CellSide,
    CellStatus,
    DiffOptions,
    Hunk,
    MetadataChange,
    NotebookDiff,
)
from link_ls.diff.outputs import compare_outputs
from link_ls.diff.pipeline import diff_pipeline
from link_ls.notebook import Cell, Notebook

#: canvas keys that are pipeline structure, reported by the pipeline diff instead
PIPELINE_KEYS = frozenset({"id", "name", "parents", "isComponent"})
_CONTEXT = 3


def diff_notebooks(
    old: Notebook,
    new: Notebook,
    options: DiffOptions | None = None,
    *,
    old_label: str | None = None,
    new_label: str | None = None,
) -> NotebookDiff:
    """Diff two notebooks cell by cell, with the pipeline diff when ``options.pipeline``."""
    options = options or DiffOptions()
    oc, nc = old.cells, new.cells
    pairs = align_cells(oc, nc)
    moved = moved_pairs(pairs)
    ro, rn = old.raw_cells, new.raw_cells
    cells = tuple(
        _same_cell(oc[i], nc[j], k in moved)
        if i is not None and j is not None and ro[i] == rn[j]
        else _cell_diff(
            oc[i] if i is not None else None,
            nc[j] if j is not None else None,
            k in moved,
            old,
            new,
            options,
        )
        for k, (i, j) in enumerate(pairs)
    )
    meta: tuple[MetadataChange, ...] = ()
    if not options.ignore_metadata:
        meta = tuple(_notebook_metadata(old.metadata, new.metadata))
    pipe = diff_pipeline(old, new, pairs) if options.pipeline else None
    return NotebookDiff(
        old_label=old_label or old.display_name,
        new_label=new_label or new.display_name,
        cells=cells,
        metadata=meta,
        pipeline=pipe,
        options=options,
    )


def moved_pairs(pairs: Sequence[tuple[int | None, int | None]]) -> set[int]:
    """Positions (into ``pairs``) of matched cells outside a longest in-order subsequence."""
    matched = sorted((i, j, k) for k, (i, j) in enumerate(pairs) if i is not None and j is not None)
    # longest increasing subsequence of j in i-order, O(n log n), with back-pointers
    tails: list[int] = []
    tail_at: list[int] = []
    back: list[int] = [-1] * len(matched)
    for p, (_, j, _) in enumerate(matched):
        x = bisect.bisect_left(tails, j)
        if x == len(tails):
            tails.append(j)
            tail_at.append(p)
        else:
            tails[x] = j
            tail_at[x] = p
        back[p] = tail_at[x - 1] if x > 0 else -1
    keep: set[int] = set()
    p = tail_at[-1] if tail_at else -1
    while p >= 0:
        keep.add(p)
        p = back[p]
    return {matched[p][2] for p in range(len(matched)) if p not in keep}


def _side(c: Cell) -> CellSide:
    comp = c.canvas.id if c.canvas is not None and c.canvas.id else None
    return CellSide(c.index, c.cell_type, c.cell_id, comp, c.name, c.is_component)


def source_hunks(old: str, new: str, context: int = _CONTEXT) -> tuple[Hunk, ...]:
    """Unified-diff hunks between two sources (line based, like ``git diff``)."""
    a, b = old.splitlines(), new.splitlines()
    sm = difflib.SequenceMatcher(None, a, b, autojunk=False)
    hunks: list[Hunk] = []
    for group in sm.get_grouped_opcodes(context):
        lines: list[str] = []
        for tag, i1, i2, j1, j2 in group:
            if tag == "equal":
                lines.extend(" " + s for s in a[i1:i2])
                continue
            lines.extend("-" + s for s in a[i1:i2])
            lines.extend("+" + s for s in b[j1:j2])
        i1, i2 = group[0][1], group[-1][2]
        j1, j2 = group[0][3], group[-1][4]
        hunks.append(Hunk(i1 + 1, i2 - i1, j1 + 1, j2 - j1, tuple(lines)))
    if not hunks and old != new:
        # only a trailing newline differs: say so instead of showing nothing
        hunks.append(Hunk(len(a), 1, len(b), 1, ("\\ trailing newline changed",)))
    return tuple(hunks)


def _same_cell(a: Cell, b: Cell, moved: bool) -> CellDiff:
    """Two aligned cells whose JSON is equal (compared in C): nothing of theirs differs."""
    status = CellStatus.MOVED if moved else CellStatus.UNCHANGED
    side = _side(a)
    # at the same index, equal JSON makes an equal side (a frozen value: shared)
    return CellDiff(status, side, side if a.index == b.index else _side(b), moved)


def _cell_diff(
    a: Cell | None,
    b: Cell | None,
    moved: bool,
    old: Notebook,
    new: Notebook,
    options: DiffOptions,
) -> CellDiff:
    if a is None:
        assert b is not None
        return CellDiff(CellStatus.ADDED, None, _side(b), hunks=source_hunks("", b.source))
    if b is None:
        return CellDiff(CellStatus.REMOVED, _side(a), None, hunks=source_hunks(a.source, ""))
    hunks = source_hunks(a.source, b.source) if a.source != b.source else ()
    outputs = None if options.ignore_outputs else compare_outputs(a.outputs, b.outputs)
    meta: list[MetadataChange] = []
    if a.cell_type != b.cell_type:
        meta.append(MetadataChange("cell_type", "changed", a.cell_type, b.cell_type))
    if not options.ignore_metadata:
        md_a, md_b = _raw_md(old, a.index), _raw_md(new, b.index)
        if md_a != md_b:
            meta.extend(_cell_metadata(md_a, md_b))
    if hunks or outputs or meta:
        status = CellStatus.MODIFIED
    elif moved:
        status = CellStatus.MOVED
    else:
        status = CellStatus.UNCHANGED
    return CellDiff(status, _side(a), _side(b), moved, hunks, outputs, tuple(meta))


def _raw_md(nb: Notebook, index: int) -> Mapping[str, Any]:
    md = nb.raw_cells[index].get("metadata")
    return md if isinstance(md, Mapping) else {}


def _metadata_changes(
    a: Mapping[str, Any], b: Mapping[str, Any], canvas_skip: Iterable[str]
) -> list[MetadataChange]:
    """Per-key changes, with ``canvas`` opened up minus the keys diffed elsewhere."""
    out = diff_mapping(a, b, skip={"canvas"})
    ca, cb = a.get("canvas"), b.get("canvas")
    if isinstance(ca, Mapping) or isinstance(cb, Mapping):
        out.extend(
            diff_mapping(
                ca if isinstance(ca, Mapping) else {},
                cb if isinstance(cb, Mapping) else {},
                skip=set(canvas_skip),
                prefix="canvas.",
            )
        )
    return out


def _cell_metadata(a: Mapping[str, Any], b: Mapping[str, Any]) -> list[MetadataChange]:
    # edges, names and ids are pipeline changes, reported by the pipeline diff
    return _metadata_changes(a, b, PIPELINE_KEYS)


def _notebook_metadata(a: Mapping[str, Any], b: Mapping[str, Any]) -> list[MetadataChange]:
    # parameters are pipeline changes too
    return _metadata_changes(a, b, {"parameters"})


def diff_mapping(
    a: Mapping[str, Any], b: Mapping[str, Any], *, skip: frozenset[str] | set[str], prefix: str = ""
) -> list[MetadataChange]:
    """Top-level key changes between two JSON objects (values compared whole)."""
    out: list[MetadataChange] = []
    for k in a:
        if k in skip:
            continue
        if k not in b:
            out.append(MetadataChange(prefix + k, "removed", old=a[k]))
        elif a[k] != b[k]:
            out.append(MetadataChange(prefix + k, "changed", old=a[k], new=b[k]))
    for k in b:
        if k not in skip and k not in a:
            out.append(MetadataChange(prefix + k, "added", new=b[k]))
    return out
