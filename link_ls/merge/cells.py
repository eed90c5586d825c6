"""Which cells of base, ours and theirs are the same cell, and in what order the merge puts them.

Matching reuses the diff's aligner (canvas id, cell id, content) for base↔ours
and base↔theirs; cells added on both sides are paired only when they are the
same cell (same canvas id, same cell id, or same type and source), otherwise both
are kept. Every resulting cell is a :class:`Slot` with its index on each side.

Order is a three-way merge of the three sequences of slots (diff3 again, on
slot keys), so a move or insertion made on one side is taken. Where both sides
reordered or inserted at the same place, both runs are kept in an order that
depends only on their content — the same notebook whichever branch is "ours".
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher

from link_ls.diff.align import align_cells
from link_ls.merge.diff3 import Clean, merge_regions
from link_ls.notebook.model import Cell

Label = tuple[str, str, str, str]


@dataclass(frozen=True)
class Slot:
    """One cell of the merge: its index in base, ours and theirs (None = not there)."""

    key: int
    base: int | None
    ours: int | None
    theirs: int | None


@dataclass(frozen=True)
class Matching:
    slots: tuple[Slot, ...]
    base_seq: tuple[int, ...]
    ours_seq: tuple[int, ...]
    theirs_seq: tuple[int, ...]


def label(c: Cell) -> Label:
    """Content of a cell as a sortable value (used only to order ties, never to match)."""
    cid = c.canvas.id if c.canvas is not None else ""
    return (c.cell_type, c.source, cid, c.cell_id or "")


def same_added(a: Cell, b: Cell) -> bool:
    """Two cells added on both sides are one cell only if they are plainly the same."""
    ca = a.canvas.id if a.canvas is not None else ""
    cb = b.canvas.id if b.canvas is not None else ""
    if ca or cb:
        return ca == cb
    if a.cell_id is not None and a.cell_id == b.cell_id:
        return True
    return a.cell_type == b.cell_type and a.source == b.source


def _symmetric_align(a: Sequence[Cell], b: Sequence[Cell]) -> list[tuple[int | None, int | None]]:
    # the aligner need not be symmetric; call it on the two lists in a content order so the
    # pairing does not depend on which side is "ours"
    if [label(c) for c in a] <= [label(c) for c in b]:
        return align_cells(a, b)
    return [(i, j) for j, i in align_cells(b, a)]


def match_cells(base: Sequence[Cell], ours: Sequence[Cell], theirs: Sequence[Cell]) -> Matching:
    b2o: dict[int, int] = {}
    b2t: dict[int, int] = {}
    o_added: list[int] = []
    t_added: list[int] = []
    for side, mapping, added in ((ours, b2o, o_added), (theirs, b2t, t_added)):
        for i, j in align_cells(base, side):
            if i is not None and j is not None:
                mapping[i] = j
            elif j is not None:
                added.append(j)
    slots = [Slot(i, i, b2o.get(i), b2t.get(i)) for i in range(len(base))]
    o_cells = [ours[j] for j in o_added]
    t_cells = [theirs[j] for j in t_added]
    paired: dict[int, int] = {}
    if o_cells and t_cells:
        for x, y in _symmetric_align(o_cells, t_cells):
            if x is not None and y is not None and same_added(o_cells[x], t_cells[y]):
                paired[o_added[x]] = t_added[y]
    t_paired = set(paired.values())
    for j in o_added:
        slots.append(Slot(len(slots), None, j, paired.get(j)))
    for j in t_added:
        if j not in t_paired:
            slots.append(Slot(len(slots), None, None, j))
    o_key = {s.ours: s.key for s in slots if s.ours is not None}
    t_key = {s.theirs: s.key for s in slots if s.theirs is not None}
    return Matching(
        slots=tuple(slots),
        base_seq=tuple(range(len(base))),
        ours_seq=tuple(o_key[j] for j in range(len(ours))),
        theirs_seq=tuple(t_key[j] for j in range(len(theirs))),
    )


def _merge_runs(x: Sequence[int], y: Sequence[int], rank: Callable[[int], Label]) -> list[int]:
    """Both sides rewrote the same stretch: keep what they share in order, both runs between."""
    lx, ly = [rank(k) for k in x], [rank(k) for k in y]
    if lx > ly:
        x, y, lx, ly = y, x, ly, lx
    out: list[int] = []
    sm = SequenceMatcher(None, list(x), list(y), autojunk=False)
    for tag, i1, i2, j1, j2 in sm.get_opcodes():
        if tag == "equal":
            out.extend(x[i1:i2])
            continue
        runs = sorted([(lx[i1:i2], list(x[i1:i2])), (ly[j1:j2], list(y[j1:j2]))])
        for _, run in runs:
            out.extend(run)
    return out


def merge_order(m: Matching, alive: set[int], rank: Callable[[int], Label]) -> list[int]:
    """The merged order of the live slots; every live slot exactly once."""
    merged: list[int] = []
    for region in merge_regions(m.base_seq, m.ours_seq, m.theirs_seq):
        if isinstance(region, Clean):
            merged.extend(region.lines)
        else:
            merged.extend(_merge_runs(region.ours, region.theirs, rank))
    out: list[int] = []
    seen: set[int] = set()
    for k in merged:
        if k in alive and k not in seen:
            seen.add(k)
            out.append(k)
    missing = alive - seen
    if missing:
        _insert_missing(m, out, missing)
    return out


def _insert_missing(m: Matching, out: list[int], missing: set[int]) -> None:
    """Put back live slots the sequence merge dropped (a cell deleted on one side but kept).

    Each goes right after its nearest predecessor, in the side that still has it,
    that is already placed.
    """
    slots = {s.key: s for s in m.slots}

    def home(k: int) -> tuple[int, ...]:
        s = slots[k]
        if s.ours is not None and s.theirs is None:
            return m.ours_seq
        if s.theirs is not None and s.ours is None:
            return m.theirs_seq
        return m.base_seq if s.base is not None else m.ours_seq

    pending = sorted(missing, key=lambda k: (home(k).index(k), k))
    placed = set(out)
    for k in pending:
        seq = home(k)
        pos = seq.index(k)
        at = 0
        for prev in reversed(seq[:pos]):
            if prev in placed:
                at = out.index(prev) + 1
                break
        out.insert(at, k)
        placed.add(k)
