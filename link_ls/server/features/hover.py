"""Hover: the name under the cursor (who defines, mutates, reads it) and the component
(parents, children, defines, reads, cache state) — on a name or on a cell's first line."""

from __future__ import annotations

from typing import TYPE_CHECKING

from lsprotocol import types

from link_ls.server.base import LinkServer, guard

if TYPE_CHECKING:
    from link_ls.server.snapshot import Snapshot


def _list(items: list[str], limit: int = 8) -> str:
    if not items:
        return "—"
    more = f" (+{len(items) - limit} more)" if len(items) > limit else ""
    return ", ".join(items[:limit]) + more


def _code(names: frozenset[str]) -> str:
    return _list([f"`{n}`" for n in sorted(names)])


def component_markdown(snap: Snapshot, idx: int, cache: str | None = None) -> str:
    p = snap.pipeline
    c = p.cell(idx)
    a = p.analyses.get(idx)
    kind = "component" if c.is_component else "cell"
    lines = [f"**{c.name}** ({c.position}, {kind})", ""]
    if idx in p.graph:
        lines.append(f"- parents: {_list([p.cell(i).name for i in p.parents(idx)])}")
        lines.append(f"- children: {_list([p.cell(i).name for i in p.children(idx)])}")
    elif p.is_pipeline:
        lines.append("- not a component: a pipeline run skips this cell")
    if a is not None:
        lines.append(f"- defines: {_code(a.defs)}")
        lines.append(f"- reads: {_code(a.reads)}")
        if a.mutations:
            lines.append(f"- mutates: {_code(a.mutations)}")
    if cache is not None:
        lines.append(f"- cache: {cache}")
    return "\n".join(lines)


def cache_state(ls: LinkServer, snap: Snapshot, idx: int) -> str | None:
    """A component's cache state in words, or None when the notebook has no cache."""
    from link_ls.server.cachelens import cached_counts

    counts = cached_counts(ls, snap)
    if counts.restorable is None:
        return None
    if idx in counts.restorable:
        return "valid (a run restores it instead of executing it)"
    return "not cached for the current code and parameters"


def name_markdown(snap: Snapshot, name: str) -> str:
    p = snap.pipeline
    defs, muts, reads = [], [], []
    for idx, a in sorted(p.analyses.items()):
        label = p.cell(idx).name
        if name in a.defs:
            defs.append(label)
        if name in a.mutations:
            muts.append(label)
        if name in a.reads:
            reads.append(label)
    lines = [f"**`{name}`**", "", f"- defined by: {_list(defs)}"]
    if muts:
        lines.append(f"- changed in place by: {_list(muts)}")
    lines.append(f"- read by: {_list(reads)}")
    return "\n".join(lines)


def register(server: LinkServer) -> None:
    @server.feature(types.TEXT_DOCUMENT_HOVER)
    @guard
    def hover(ls: LinkServer, params: types.HoverParams) -> types.Hover | None:
        got = ls.store.get(params.text_document.uri)
        if got is None or not got[0].ok:
            return None
        snap = got[0]
        assert snap.mapper is not None
        pos = snap.mapper.from_lsp(params.text_document.uri, params.position)
        if pos is None or pos.cell not in snap.pipeline.analyses:
            return None
        occ = snap.occurrence_at(pos)
        parts = []
        rng = None
        if occ is not None:
            parts.append(name_markdown(snap, occ.name))
            _, rng = snap.mapper.span_range(pos.cell, occ.span)
        if occ is not None or pos.line == 0:
            parts.append(component_markdown(snap, pos.cell, cache_state(ls, snap, pos.cell)))
        if not parts:
            return None
        body = "\n\n---\n\n".join(parts)
        return types.Hover(types.MarkupContent(types.MarkupKind.Markdown, body), rng)
