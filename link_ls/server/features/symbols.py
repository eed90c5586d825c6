"""Document symbols: the components (or code cells of a plain notebook) in pipeline order,
each with the names it defines as children. A notebook document's outline asks per
cell uri, so each cell answers with its own symbol."""

from __future__ import annotations

from typing import TYPE_CHECKING

from lsprotocol import types

from link_ls.server.base import LinkServer, guard

if TYPE_CHECKING:
    from link_ls.server.snapshot import Snapshot


def _symbol(snap: Snapshot, idx: int) -> types.DocumentSymbol:
    assert snap.mapper is not None
    p = snap.pipeline
    c = p.cell(idx)
    _, body = snap.mapper.cell_range(idx)
    _, head = snap.mapper.head_line(idx)
    start = min(body.start, types.Position(head, 0), key=lambda q: (q.line, q.character))
    rng = types.Range(start, body.end)
    sel = types.Range(types.Position(head, 0), types.Position(head, 0))
    parents = [p.cell(i).name for i in p.parents(idx)]
    children: list[types.DocumentSymbol] = []
    a = p.analyses.get(idx)
    seen: set[str] = set()
    for o in a.occurrences if a is not None else ():
        if o.kind == "def" and o.name not in seen:
            seen.add(o.name)
            _, r = snap.mapper.span_range(idx, o.span)
            children.append(types.DocumentSymbol(o.name, types.SymbolKind.Variable, r, r))
    name = c.name if c.is_component else f"{c.position} {_first_line(c.source)}".strip()
    return types.DocumentSymbol(
        name=name,
        kind=types.SymbolKind.Module if c.is_component else types.SymbolKind.Namespace,
        range=rng,
        selection_range=sel,
        detail=f"← {', '.join(parents)}" if parents else None,
        children=children,
    )


def _first_line(src: str) -> str:
    line = next((ln.strip() for ln in src.splitlines() if ln.strip()), "")
    return line if len(line) <= 40 else line[:39] + "…"


def register(server: LinkServer) -> None:
    @server.feature(types.TEXT_DOCUMENT_DOCUMENT_SYMBOL)
    @guard
    def symbols(ls: LinkServer, params: types.DocumentSymbolParams) -> list[types.DocumentSymbol]:
        got = ls.store.get(params.text_document.uri)
        if got is None or not got[0].ok:
            return []
        snap, cell = got
        assert snap.mapper is not None
        if snap.mapper.is_notebook:
            ok = cell is not None and cell in snap.pipeline.graph
            return [_symbol(snap, cell)] if ok and cell is not None else []
        return [_symbol(snap, i) for i in snap.node_cells()]
