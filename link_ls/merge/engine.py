"""Three-way merge of whole notebooks: per-cell decisions, edges, order, notebook metadata.

Per cell (a :class:`~link_ls.merge.cells.Slot`): deleted on both sides → gone;
deleted on one side and unchanged on the other → gone; deleted on one side and
changed on the other → kept as changed, with a ``cell`` conflict record; added
→ kept; present everywhere → :func:`~link_ls.merge.cellmerge.merge_cell`. Then
the pipeline: an edge one side added to a component the other side deleted
keeps that component (a ``cell`` conflict, reason ``deleted-parent``), and
one-sided edges that close a cycle are cut (an ``edges`` conflict). The result
always validates as nbformat v4.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from link_ls.merge.cellmerge import (
    CellMerge,
    Json,
    attach_records,
    content_changed,
    existing_records,
    merge_cell,
    merge_records,
    snapshot,
    strip_conflicts,
    value_record,
)
from link_ls.merge.cells import Label, Matching, Slot, label, match_cells, merge_order
from link_ls.merge.edges import cycle_cuts, ids_of, ref_id, refs_of
from link_ls.merge.errors import MergeInputError
from link_ls.merge.model import MergeResult, MergeStats, OutputPolicy
from link_ls.merge.unresolved import find_conflicts
from link_ls.merge.values import (
    ABSENT,
    ValueConflict,
    get,
    merge_named,
    merge_value,
    same,
    wrap,
)
from link_ls.notebook.model import Notebook, NotebookFormat


@dataclass
class _Outcome:
    """A live slot: its merged cell and what the merge recorded about it."""

    merge: CellMerge
    origin: str  # "ours" | "theirs" | "merged" | "unchanged" | "kept"


class _Sides:
    """The raw cells of the three notebooks, looked up by slot."""

    def __init__(self, base: Notebook, ours: Notebook, theirs: Notebook) -> None:
        self.raw = (base.raw_cells, ours.raw_cells, theirs.raw_cells)

    def cells(self, s: Slot) -> tuple[Json | None, Json | None, Json | None]:
        b, o, t = self.raw
        return (
            b[s.base] if s.base is not None else None,
            o[s.ours] if s.ours is not None else None,
            t[s.theirs] if s.theirs is not None else None,
        )


def _major(nb: Notebook) -> int:
    v = nb.node.get("nbformat", 4)
    return v if isinstance(v, int) else 4


def merge_notebooks(
    base: Notebook,
    ours: Notebook,
    theirs: Notebook,
    *,
    outputs: OutputPolicy = OutputPolicy.CLEAR,
) -> MergeResult:
    """Merge ``ours`` and ``theirs`` relative to ``base``; the inputs are not changed."""
    majors = {_major(ours), _major(theirs)} | ({_major(base)} if base.raw_cells else set())
    if len(majors) > 1:
        raise MergeInputError(f"notebooks have different nbformat versions: {sorted(majors)}")
    m = match_cells(base.cells, ours.cells, theirs.cells)
    sides = _Sides(base, ours, theirs)
    live, deleted = _decide(m, sides, outputs)
    _keep_needed_parents(m, sides, live, deleted)
    _cut_cycles(m, sides, live)
    rank = _ranker(m, base, ours, theirs)
    order = merge_order(m, set(live), rank)
    cells: list[Json] = []
    for key in order:
        out = live[key]
        cell = out.merge.cell
        if out.merge.records:
            cell = dict(cell)
            md = dict(cell.get("metadata") or {})
            attach_records(md, existing_records(md) + out.merge.records)
            cell["metadata"] = md
        cells.append(cell)
    node = _merge_top(base.node, ours.node, theirs.node)
    node["cells"] = cells
    _fix_ids(node)
    # the merged tree shares pieces with the inputs; a JSON round trip is a deep copy that
    # is much faster than copy.deepcopy on nbformat's NotebookNode objects
    node = json.loads(json.dumps(node))
    nb = Notebook(node, fmt=NotebookFormat("ipynb", None, int(node["nbformat_minor"])))
    counts = [o.origin for o in live.values()]
    stats = MergeStats(
        cells=len(cells),
        from_ours=counts.count("ours"),
        from_theirs=counts.count("theirs"),
        merged=counts.count("merged"),
        deleted=len(deleted),
        unchanged=counts.count("unchanged"),
    )
    return MergeResult(nb, tuple(find_conflicts(nb)), stats)


def _decide(
    m: Matching, sides: _Sides, policy: OutputPolicy
) -> tuple[dict[int, _Outcome], dict[int, Slot]]:
    live: dict[int, _Outcome] = {}
    deleted: dict[int, Slot] = {}
    for s in m.slots:
        b, o, t = sides.cells(s)
        if b is None:
            if o is not None and t is not None:
                live[s.key] = _outcome(merge_cell({}, o, t, policy), b, o, t)
            elif o is not None:
                live[s.key] = _Outcome(CellMerge(o), "ours")
            elif t is not None:
                live[s.key] = _Outcome(CellMerge(t), "theirs")
        elif o is not None and t is not None:
            live[s.key] = _outcome(merge_cell(b, o, t, policy), b, o, t)
        elif o is None and t is None:
            deleted[s.key] = s
        else:
            kept = o if o is not None else t
            assert kept is not None
            if content_changed(b, kept):
                rec = _cell_record("delete-modify", b, o, t)
                live[s.key] = _Outcome(CellMerge(kept, [rec]), "kept")
            else:
                deleted[s.key] = s
    return live, deleted


def _outcome(cm: CellMerge, b: Json | None, o: Json, t: Json) -> _Outcome:
    if b is not None and same(o, b) and same(t, b):
        return _Outcome(cm, "unchanged")
    if cm.cell is o:
        return _Outcome(cm, "ours")
    if cm.cell is t:
        return _Outcome(cm, "theirs")
    return _Outcome(cm, "merged")


def _cell_record(reason: str, b: Json | None, o: Json | None, t: Json | None) -> Json:
    return {
        "id": "cell",
        "kind": "cell",
        "reason": reason,
        "base": wrap(snapshot(b)) if b is not None else None,
        "ours": wrap(snapshot(o)) if o is not None else None,
        "theirs": wrap(snapshot(t)) if t is not None else None,
    }


def _canvas_id(cell: Json | None) -> str | None:
    md = cell.get("metadata") if cell is not None else None
    canvas = md.get("canvas") if isinstance(md, Mapping) else None
    cid = canvas.get("id") if isinstance(canvas, Mapping) else None
    return cid if isinstance(cid, str) and cid else None


def _keep_needed_parents(
    m: Matching, sides: _Sides, live: dict[int, _Outcome], deleted: dict[int, Slot]
) -> None:
    """A component one side deleted stays if the other side added an edge to it."""
    by_canvas: dict[str, int] = {}
    for s in m.slots:
        if s.key in deleted:
            for c in sides.cells(s):
                cid = _canvas_id(c)
                if cid is not None:
                    by_canvas.setdefault(cid, s.key)
    changed = True
    while changed and by_canvas:
        changed = False
        for key in list(live):
            _, o, t = sides.cells(m.slots[key])
            for pid in ids_of(refs_of(live[key].merge.cell)):
                dead = by_canvas.get(pid)
                if dead is None or dead not in deleted:
                    continue
                s = deleted[dead]
                b, po, pt = sides.cells(s)
                wanted_by_ours = po is not None and pid in ids_of(refs_of(o))
                wanted_by_theirs = pt is not None and pid in ids_of(refs_of(t))
                if not (wanted_by_ours or wanted_by_theirs):
                    continue
                kept = po if po is not None else pt
                assert kept is not None
                rec = _cell_record("deleted-parent", b, po, pt)
                live[dead] = _Outcome(CellMerge(kept, [rec]), "kept")
                del deleted[dead]
                changed = True


def _cut_cycles(m: Matching, sides: _Sides, live: dict[int, _Outcome]) -> None:
    parents: dict[int, list[Any]] = {}
    canvas_ids: dict[int, str] = {}
    declared: dict[int, tuple[set[str], set[str]]] = {}
    for key, out in live.items():
        refs = refs_of(out.merge.cell)
        cid = _canvas_id(out.merge.cell)
        if refs is None or cid is None:
            continue
        parents[key] = refs
        canvas_ids[key] = cid
        _, o, t = sides.cells(m.slots[key])
        declared[key] = (ids_of(refs_of(o)), ids_of(refs_of(t)))
    if not any(parents.values()):
        return
    names = {k: _name(live[k].merge.cell) for k in parents}
    for cut in cycle_cuts(parents, canvas_ids, declared):
        out = live[cut.child]
        b, o, t = sides.cells(m.slots[cut.child])
        cell = dict(out.merge.cell)
        md = dict(cell.get("metadata") or {})
        canvas = dict(md.get("canvas") or {})
        canvas["parents"] = [r for r in parents[cut.child] if ref_id(r) not in cut.parent_ids]
        md["canvas"] = canvas
        cell["metadata"] = md
        rec: Json = {
            "id": "edges",
            "kind": "edges",
            "reason": "cycle",
            "cycle": sorted(names[k] for k in cut.members),
            "base": wrap(refs_of(b)) if refs_of(b) is not None else None,
            "ours": wrap(refs_of(o)) if refs_of(o) is not None else None,
            "theirs": wrap(refs_of(t)) if refs_of(t) is not None else None,
        }
        out.merge = CellMerge(cell, [*out.merge.records, rec], out.merge.source_conflicts)
        out.origin = "merged"


def _name(cell: Json) -> str:
    md = cell.get("metadata")
    canvas = md.get("canvas") if isinstance(md, Mapping) else None
    name = canvas.get("name") if isinstance(canvas, Mapping) else None
    return name if isinstance(name, str) and name else (_canvas_id(cell) or "?")


def _ranker(m: Matching, base: Notebook, ours: Notebook, theirs: Notebook) -> Any:
    bc, oc, tc = base.cells, ours.cells, theirs.cells

    def rank(key: int) -> Label:
        s = m.slots[key]
        if s.base is not None:
            return label(bc[s.base])
        found = [label(oc[s.ours])] if s.ours is not None else []
        if s.theirs is not None:
            found.append(label(tc[s.theirs]))
        return min(found)

    return rank


def _merge_top(base: Json, ours: Json, theirs: Json) -> Json:
    """Notebook-level fields: metadata per key, parameters by name, nbformat_minor."""
    out: Json = {}
    conflicts: list[ValueConflict] = []
    for key in dict.fromkeys([*base, *ours, *theirs]):
        if key in ("cells", "metadata"):
            continue
        b, o, t = get(base, key), get(ours, key), get(theirs, key)
        scratch: list[ValueConflict] = []
        v = merge_value(b, o, t, (key,), scratch)
        if scratch:
            # only nbformat_minor can differ here: the newer minor reads both
            v = max((x for x in (o, t) if isinstance(x, int)), default=b)
        if v is not ABSENT:
            out[key] = v
    out.setdefault("nbformat", 4)
    out.setdefault("nbformat_minor", 5)
    bm, om, tm = (get(x, "metadata") for x in (base, ours, theirs))
    bm, om, tm = (strip_conflicts(x) if isinstance(x, Mapping) else {} for x in (bm, om, tm))
    params = [_params(x) for x in (bm, om, tm)]
    if any(p is not None for p in params):
        bm, om, tm = (_without_params(x) for x in (bm, om, tm))
    md_any = merge_value(bm, om, tm, ("metadata",), conflicts)
    md: Json = dict(md_any) if isinstance(md_any, Mapping) else {}
    if any(p is not None for p in params):
        merged = merge_named(
            params[0] or [], params[1] or [], params[2] or [], conflicts, ("parameters",)
        )
        canvas = md.get("canvas")
        canvas = dict(canvas) if isinstance(canvas, Mapping) else {"version": "1.0"}
        canvas["parameters"] = merged
        md["canvas"] = canvas
    records = merge_records(*(get(x, "metadata") for x in (base, ours, theirs)))
    records += [value_record(c, notebook=True) for c in conflicts]
    if records:
        attach_records(md, records)
    out["metadata"] = md
    return out


def _params(md: Any) -> list[Any] | None:
    canvas = md.get("canvas") if isinstance(md, Mapping) else None
    p = canvas.get("parameters") if isinstance(canvas, Mapping) else None
    return list(p) if isinstance(p, list) else None


def _without_params(md: Any) -> Any:
    canvas = md.get("canvas") if isinstance(md, Mapping) else None
    if not isinstance(canvas, Mapping) or "parameters" not in canvas:
        return md
    out = dict(md)
    out["canvas"] = {k: v for k, v in canvas.items() if k != "parameters"}
    return out


def _fix_ids(node: Json) -> None:
    """nbformat 4.5 wants a unique id on every cell; give one to cells that lack it."""
    cells: list[Json] = node["cells"]
    minor = int(node.get("nbformat_minor", 5))
    if minor < 5 and any("id" in c for c in cells):
        minor = 5
    node["nbformat_minor"] = minor
    if minor < 5:
        return
    used: set[str] = set()
    for i, c in enumerate(cells):
        cid = c.get("id")
        if isinstance(cid, str) and cid and cid not in used:
            used.add(cid)
            continue
        seed = f"{i}:{c.get('source', '')}"
        n = 0
        while True:
            new = hashlib.sha256(f"{seed}:{n}".encode()).hexdigest()[:12]
            if new not in used:
                break
            n += 1
        cells[i] = {**c, "id": new}
        used.add(new)
