"""Go to definition and find references of a module-level name, across cells.

Definition follows the dataflow the pipeline uses: in a pipeline notebook the
ancestors that define the name, in a plain notebook the latest earlier cell that
does (as a run would see it); failing that, every cell that defines it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from lsprotocol import types

from link_ls.server.base import LinkServer, guard

if TYPE_CHECKING:
    from link_ls.analysis import Occurrence
    from link_ls.server.mapping import CellPos
    from link_ls.server.snapshot import Snapshot


def _location(snap: Snapshot, cell: int, occ: Occurrence) -> types.Location:
    assert snap.mapper is not None
    uri, rng = snap.mapper.span_range(cell, occ.span)
    return types.Location(uri, rng)


def _first_def(snap: Snapshot, cell: int, name: str) -> Occurrence | None:
    a = snap.pipeline.analyses.get(cell)
    if a is None:
        return None
    return next((o for o in a.occurrences if o.name == name and o.kind == "def"), None)


def definers(snap: Snapshot, cell: int, name: str) -> list[int]:
    p = snap.pipeline
    others = [q for q, a in sorted(p.analyses.items()) if q != cell and name in a.defs]
    if p.is_pipeline and cell in p.graph:
        upstream = [q for q in others if q in p.graph and p.is_ancestor(q, cell)]
        if upstream:
            return upstream
    else:
        earlier = [q for q in others if q < cell]
        if earlier:
            return [earlier[-1]]
    return others


def _at(
    ls: LinkServer, uri: str, position: types.Position
) -> tuple[Snapshot, CellPos, Occurrence] | None:
    got = ls.store.get(uri)
    if got is None or not got[0].ok:
        return None
    snap = got[0]
    assert snap.mapper is not None
    pos = snap.mapper.from_lsp(uri, position)
    if pos is None:
        return None
    occ = snap.occurrence_at(pos)
    if occ is None:
        return None
    return snap, pos, occ


def register(server: LinkServer) -> None:
    @server.feature(types.TEXT_DOCUMENT_DEFINITION)
    @guard
    def definition(ls: LinkServer, params: types.DefinitionParams) -> list[types.Location] | None:
        found = _at(ls, params.text_document.uri, params.position)
        if found is None:
            return None
        snap, pos, occ = found
        if occ.kind == "def":
            return [_location(snap, pos.cell, occ)]
        out = []
        for q in definers(snap, pos.cell, occ.name):
            d = _first_def(snap, q, occ.name)
            if d is not None:
                out.append(_location(snap, q, d))
        if not out:
            own = _first_def(snap, pos.cell, occ.name)
            if own is not None:
                out.append(_location(snap, pos.cell, own))
        return out or None

    @server.feature(types.TEXT_DOCUMENT_REFERENCES)
    @guard
    def references(ls: LinkServer, params: types.ReferenceParams) -> list[types.Location] | None:
        found = _at(ls, params.text_document.uri, params.position)
        if found is None:
            return None
        snap, _pos, occ = found
        want_defs = params.context.include_declaration
        out = []
        for cell, a in sorted(snap.pipeline.analyses.items()):
            for o in a.occurrences:
                if o.name == occ.name and (want_defs or o.kind != "def"):
                    out.append(_location(snap, cell, o))
        return out
