"""Code lenses on each component (pipeline) or code cell (plain notebook).

"▶ Run up to here (N cells)" — "(N cells, k cached)" once the notebook has a cache —,
"▶ Run cell" (both call ``link.run``) and one lens naming the parents and children;
a cell on a cycle says so, and one below a cycle says which cycle blocks "run up to here";
on a cell with merge conflicts, "Take ours / theirs / both / base" per conflict.
For notebook documents the client asks per cell uri, so only that cell's lenses
are computed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from lsprotocol import types

from link_ls.server.base import LinkServer, guard

if TYPE_CHECKING:
    from link_ls.server.cachelens import CachedCounts
    from link_ls.server.snapshot import Snapshot


def _names(snap: Snapshot, cells: list[int], limit: int = 4) -> str:
    names = [snap.pipeline.cell(i).name for i in cells]
    more = f" +{len(names) - limit}" if len(names) > limit else ""
    return ", ".join(names[:limit]) + more


def _plural(n: int) -> str:
    return f"{n} cell" if n == 1 else f"{n} cells"


def _cycles(snap: Snapshot) -> dict[int, str]:
    """Each cell on a cycle -> the cycle's path (``a → b → a``), from its LNK001."""
    from link_ls.pipeline import Code

    out: dict[int, str] = {}
    for d in snap.diagnostics:
        if d.code == Code.CYCLE:
            out[d.cell_index] = d.message.split(": ", 1)[-1]
    return out


def _run_lenses(
    snap: Snapshot, idx: int, rng: types.Range, cycles: dict[int, str], cached: CachedCounts | None
) -> list[types.CodeLens]:
    p = snap.pipeline
    anc = p.ancestor_bits()
    if idx in cycles:
        return [types.CodeLens(rng, types.Command("⚠ in a cycle: cannot run", ""))]
    args = {"uri": snap.uri, "cell": str(p.node_id(idx))}
    run_cell = types.CodeLens(
        rng, types.Command("▶ Run cell", "link.run", arguments=[{**args, "mode": "cell"}])
    )
    above = next((c for c in sorted(cycles) if anc[idx] & p.bit(c)), None)
    if above is not None:
        # an ancestor is on a cycle: no plan can reach this cell (an empty command: text only)
        title = f"⚠ blocked by the cycle {cycles[above]}: cannot run up to here"
        return [types.CodeLens(rng, types.Command(title, "")), run_cell]
    n = bin(anc[idx]).count("1") + 1
    k = cached.up_to(idx) if cached is not None else None
    label = _plural(n) if k is None else f"{_plural(n)}, {k} cached"
    up_to = types.Command(
        f"▶ Run up to here ({label})", "link.run", arguments=[{**args, "mode": "upTo"}]
    )
    return [types.CodeLens(rng, up_to), run_cell]


def lenses(
    snap: Snapshot, cells: list[int], cached: CachedCounts | None = None
) -> list[types.CodeLens]:
    assert snap.mapper is not None
    p = snap.pipeline
    cycles = _cycles(snap)
    out: list[types.CodeLens] = []
    for idx in cells:
        if idx not in p.graph:
            continue
        _, line = snap.mapper.head_line(idx)
        rng = types.Range(types.Position(line, 0), types.Position(line, 0))
        out.extend(_run_lenses(snap, idx, rng, cycles, cached))
        parents, children = p.parents(idx), p.children(idx)
        rel = [
            f"parents: {_names(snap, parents)}" if parents else "no parents",
            f"children: {_names(snap, children)}" if children else "no children",
        ]
        # an empty command id: shown as text, not clickable
        out.append(types.CodeLens(rng, types.Command(" · ".join(rel), "")))
    return out


def register(server: LinkServer) -> None:
    @server.feature(types.TEXT_DOCUMENT_CODE_LENS)
    @guard
    def code_lens(ls: LinkServer, params: types.CodeLensParams) -> list[types.CodeLens]:
        from link_ls.server.cachelens import cached_counts
        from link_ls.server.conflict_fixes import conflict_lenses

        got = ls.store.get(params.text_document.uri)
        if got is None or not got[0].ok:
            return []
        snap, cell = got
        cached = cached_counts(ls, snap)
        if snap.mapper is not None and snap.mapper.is_notebook:
            if cell is None:
                return []
            return lenses(snap, [cell], cached) + conflict_lenses(ls, snap, [cell])
        every = list(range(len(snap.notebook.cells))) if snap.notebook is not None else []
        return lenses(snap, list(snap.pipeline.nodes), cached) + conflict_lenses(ls, snap, every)
