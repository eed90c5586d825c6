"""Merge conflict resolutions in open documents, as the edits an editor applies.

A resolution is
``link_ls.merge.resolve_conflict``'s new notebook, turned into what the editor
applies — one ``TextEdit`` for a text document, and for a notebook document a
text edit per changed cell plus the cell edits the client applies itself
(``link.applyNotebookEdit``: new metadata, or a deletion).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from lsprotocol import types

from link_ls.notebook import Notebook
from link_ls.server.edits import NotebookCellEdit, Rendered, line_edit, render


@dataclass(frozen=True)
class ResolvedEdit:
    """What the editor applies for one resolution, and the core's description of it."""

    resolution: dict[str, Any]
    rendered: Rendered
    #: notebook documents: the text edits, cell uri -> edits (applied with the edit)
    cell_edits: dict[str, list[types.TextEdit]]

    @property
    def text_only(self) -> bool:
        return not self.rendered.notebook_edits


def resolve_in(
    snap: Any,
    cell: int | None,
    conflict: str,
    choice: str,
    *,
    document_changes: bool = True,
    encoding: str = types.PositionEncodingKind.Utf16,
) -> ResolvedEdit:
    """Resolve one conflict of an open document; raise ``MergeError`` when the choice fails."""
    from link_ls.merge import resolve_conflict
    from link_ls.server.snapshot import DocKind

    assert snap.notebook is not None
    res = resolve_conflict(snap.notebook, cell, conflict, choice)
    if snap.kind is not DocKind.NOTEBOOK:
        rendered = render(snap, res.notebook, document_changes=document_changes, encoding=encoding)
        return ResolvedEdit(res.to_json(), rendered, {})
    return _notebook_edit(snap, res, encoding)


def _notebook_edit(snap: Any, res: Any, encoding: str) -> ResolvedEdit:
    old: Notebook = snap.notebook
    new: Notebook = res.notebook
    deleted = set(res.deleted_cells)
    kept = [i for i in range(len(old.raw_cells)) if i not in deleted]
    edits: list[NotebookCellEdit] = []
    text: dict[str, list[types.TextEdit]] = {}
    changed: list[int] = []
    for new_index, i in enumerate(kept):
        before, after = old.raw_cells[i], new.raw_cells[new_index]
        if before.get("cell_type") != after.get("cell_type"):
            from link_ls.errors import UsageError

            raise UsageError(
                "this choice changes the cell's type, which a notebook editor cannot do "
                "through link-ls: change it by hand"
            )
        src_old, src_new = old.cells[i].source, new.cells[new_index].source
        md_old, md_new = before.get("metadata") or {}, after.get("metadata") or {}
        if src_old != src_new:
            edit = line_edit(src_old, src_new, encoding)
            if edit is not None:
                text[snap.mapper.uri_of(i)] = [edit]
        if md_old != md_new:
            meta = snap.cells[i]
            whole = {**meta.metadata, "metadata": md_new} if meta.nested else dict(md_new)
            source = src_new if src_old != src_new else None
            edits.append(NotebookCellEdit(snap.uri, i, whole, source))
        if src_old != src_new or md_old != md_new:
            changed.append(i)
    # deletions last and from the end, so the indexes above stay those of the notebook as sent
    for i in sorted(deleted, reverse=True):
        edits.append(NotebookCellEdit(snap.uri, i, None, delete=True))
        changed.append(i)
    wedit = None
    if text:
        wedit = types.WorkspaceEdit(
            document_changes=[
                types.TextDocumentEdit(
                    text_document=types.OptionalVersionedTextDocumentIdentifier(
                        uri=u, version=None
                    ),
                    edits=list(e),
                )
                for u, e in text.items()
            ]
        )
    rendered = Rendered(tuple(sorted(set(changed))), wedit, tuple(edits))
    return ResolvedEdit(res.to_json(), rendered, text)
