"""Pipeline edges in a merge: parents merged as sets, and the cycles two sides make together.

Edges live on the child as ``metadata.canvas.parents``. An edge added on one
side is kept, one removed on one side is removed. Each side on its own is
acyclic, so a cycle in the merged graph needs edges added by *each* side; those
one-sided edges inside a strongly connected component are taken out of the
merged parents and recorded as an edges conflict on their child cell.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from link_ls.merge.values import ABSENT, ValueConflict, merge_value, same

if TYPE_CHECKING:
    import networkx as nx


def ref_id(ref: Any) -> str | None:
    """The parent id of one ``parents`` entry (Link's ``{"id", "name"}`` or a bare id)."""
    if isinstance(ref, Mapping) and isinstance(ref.get("id"), str):
        return str(ref["id"])
    if isinstance(ref, str):
        return ref
    return None


def refs_of(cell: Mapping[str, Any] | None) -> list[Any] | None:
    """The raw parents list of a cell, or None when the cell has no canvas."""
    if cell is None:
        return None
    md = cell.get("metadata")
    canvas = md.get("canvas") if isinstance(md, Mapping) else None
    if not isinstance(canvas, Mapping):
        return None
    parents = canvas.get("parents", [])
    return list(parents) if isinstance(parents, list) else []


def ids_of(refs: Sequence[Any] | None) -> set[str]:
    return {i for i in (ref_id(r) for r in refs or ()) if i is not None}


def merge_parents(base: Sequence[Any], ours: Sequence[Any], theirs: Sequence[Any]) -> list[Any]:
    """Set merge of parents lists; entries for one id merge like values (names may differ)."""
    if same(list(ours), list(theirs)) or same(list(ours), list(base)):
        return list(theirs)
    if same(list(theirs), list(base)):
        return list(ours)
    b, o, t = (_by_id(x) for x in (base, ours, theirs))
    keep = (o.keys() & t.keys()) | (o.keys() - b.keys()) | (t.keys() - b.keys())
    order = [i for i in b if i in keep] + sorted(keep - b.keys())
    out: list[Any] = []
    for i in order:
        scratch: list[ValueConflict] = []
        v = merge_value(b.get(i, ABSENT), o.get(i, ABSENT), t.get(i, ABSENT), (), scratch)
        if scratch or v is ABSENT:
            # a parent renamed differently on both sides: the name is derived data, not worth
            # a conflict; pick one the same way whichever side is "ours"
            sides = [x for x in (o.get(i), t.get(i)) if x is not None]
            v = min(sides, key=repr)
        out.append(v)
    return out


def _by_id(refs: Sequence[Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for r in refs:
        i = ref_id(r)
        if i is not None:
            out.setdefault(i, r)
    return out


@dataclass(frozen=True)
class CycleCut:
    """One-sided edges removed from a child to break a cycle, and the cycle's members."""

    child: int
    parent_ids: frozenset[str]
    members: tuple[int, ...]


def cycle_cuts(
    parents: Mapping[int, Sequence[Any]],
    canvas_ids: Mapping[int, str],
    declared: Mapping[int, tuple[set[str], set[str]]],
) -> list[CycleCut]:
    """Edges to cut so the merged graph has no cycle the merge itself created.

    ``parents``: merged parents per live cell key; ``canvas_ids``: canvas id per
    live cell key; ``declared``: per child, the parent ids ours and theirs declare.
    A cycle counts as the merge's only if it holds an edge only ours declares and
    one only theirs declares; a cycle one side already had is left for LNK001.
    """
    import networkx  # late: a notebook without edges never pays for importing it

    by_canvas: dict[str, int] = {}
    for key, cid in canvas_ids.items():
        by_canvas.setdefault(cid, key)
    g: nx.DiGraph[int] = networkx.DiGraph()
    g.add_nodes_from(parents)
    for child, refs in parents.items():
        for pid in ids_of(refs):
            p = by_canvas.get(pid)
            if p is not None:
                g.add_edge(p, child)
    cuts: list[CycleCut] = []
    for scc in networkx.strongly_connected_components(g):
        if len(scc) == 1:
            (only,) = scc
            if not g.has_edge(only, only):
                continue
        members = tuple(sorted(scc))
        one_sided: dict[int, frozenset[str]] = {}
        from_ours = from_theirs = False
        for child in members:
            o, t = declared.get(child, (set(), set()))
            inside = {pid for pid in ids_of(parents[child]) if by_canvas.get(pid) in scc}
            from_ours = from_ours or bool(inside & (o - t))
            from_theirs = from_theirs or bool(inside & (t - o))
            if inside - (o & t):
                one_sided[child] = frozenset(inside - (o & t))
        if from_ours and from_theirs:
            cuts.extend(CycleCut(child, cut, members) for child, cut in one_sided.items())
    return cuts
