"""Notebook edits (``link_ls.pipeline.edits``, conflict resolutions, imports) as LSP edits.

The edit is made by the core on a copy of the snapshot's notebook; this module
only turns the result into what the editor can apply:

- text documents (``.ipynb`` JSON, jupytext text): one ``TextEdit`` replacing just
  the lines that differ, inside a ``WorkspaceEdit``;
- notebook documents, whose cell metadata LSP cannot edit: ``NotebookCellEdit``
  values ``{notebookUri, cellIndex, metadata}`` — the cell's whole new metadata —
  that the client applies itself (``link.applyNotebookEdit``, see docs/commands.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from lsprotocol import types

from link_ls.errors import UsageError
from link_ls.notebook import Notebook, dumps
from link_ls.server.mapping import units
from link_ls.server.snapshot import DocKind, Snapshot

#: the client-side command that applies notebook cell edits (not run by the server)
APPLY_NOTEBOOK_EDIT = "link.applyNotebookEdit"


@dataclass(frozen=True)
class NotebookCellEdit:
    """One client-applied cell edit: new whole metadata, and/or new text, or a deletion.

    ``source`` and ``delete`` are only used by conflict resolutions (docs/commands.md).
    """

    notebook_uri: str
    cell_index: int
    metadata: dict[str, Any] | None
    source: str | None = None
    delete: bool = False

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"notebookUri": self.notebook_uri, "cellIndex": self.cell_index}
        if self.delete:
            out["delete"] = True
            return out
        if self.metadata is not None:
            out["metadata"] = self.metadata
        if self.source is not None:
            out["source"] = self.source
        return out


@dataclass(frozen=True)
class Rendered:
    """An edit ready for the client: a WorkspaceEdit or notebook cell edits (or nothing)."""

    changed: tuple[int, ...]
    workspace_edit: types.WorkspaceEdit | None
    notebook_edits: tuple[NotebookCellEdit, ...]

    @property
    def empty(self) -> bool:
        return not self.changed


def line_edit(old: str, new: str, encoding: str) -> types.TextEdit | None:
    """One edit replacing only the lines that differ between ``old`` and ``new``."""
    if old == new:
        return None
    a, b = old.split("\n"), new.split("\n")
    p = 0
    while p < len(a) and p < len(b) and a[p] == b[p]:
        p += 1
    s = 0
    while s < min(len(a), len(b)) - p and a[-1 - s] == b[-1 - s]:
        s += 1
    start = types.Position(p, 0)
    if s > 0:
        end = types.Position(len(a) - s, 0)
        text = "".join(line + "\n" for line in b[p : len(b) - s])
    else:
        end = types.Position(len(a) - 1, units(a[-1], encoding))
        text = "\n".join(b[p:])
        if 0 < p == len(b) < len(a):
            # lines removed at the end: the newline before them goes too
            start = types.Position(p - 1, units(a[p - 1], encoding))
        elif p > 0 and p >= len(a):
            start = types.Position(len(a) - 1, units(a[-1], encoding))
            text = "\n" + text
    return types.TextEdit(range=types.Range(start, end), new_text=text)


def render(
    snap: Snapshot,
    new: Notebook,
    *,
    document_changes: bool = True,
    encoding: str = types.PositionEncodingKind.Utf16,
) -> Rendered:
    assert snap.notebook is not None
    old_cells = snap.notebook.raw_cells
    changed = tuple(
        i
        for i, c in enumerate(new.raw_cells)
        if i >= len(old_cells) or (c.get("metadata") or {}) != (old_cells[i].get("metadata") or {})
    )
    if not changed and snap.kind is not DocKind.NOTEBOOK:
        # text documents also change by source, cell type or cell count (conflicts, imports)
        changed = tuple(
            i
            for i, c in enumerate(new.raw_cells)
            if i >= len(old_cells)
            or c.get("cell_type") != old_cells[i].get("cell_type")
            or new.cells[i].source != snap.notebook.cells[i].source
        ) or ((0,) if len(new.raw_cells) != len(old_cells) else ())
    if not changed:
        return Rendered((), None, ())
    if snap.kind is DocKind.NOTEBOOK:
        edits = []
        for i in changed:
            meta = snap.cells[i]
            md = new.raw_cells[i].get("metadata") or {}
            whole = {**meta.metadata, "metadata": md} if meta.nested else dict(md)
            edits.append(NotebookCellEdit(snap.uri, i, whole))
        return Rendered(changed, None, tuple(edits))
    if snap.kind is DocKind.VIRTUAL or snap.text is None:
        raise UsageError(
            "pipeline edits are not possible in a jupyter-lsp virtual document: "
            "change the notebook itself"
        )
    new_text = dumps(new)
    if not snap.text.endswith("\n"):
        new_text = new_text.rstrip("\n")  # keep the file's own ending: a smaller edit
    edit = line_edit(snap.text, new_text, encoding)
    if edit is None:
        return Rendered((), None, ())
    if document_changes:
        ident = types.OptionalVersionedTextDocumentIdentifier(uri=snap.uri, version=snap.version)
        wedit = types.WorkspaceEdit(
            document_changes=[types.TextDocumentEdit(text_document=ident, edits=[edit])]
        )
    else:
        wedit = types.WorkspaceEdit(changes={snap.uri: [edit]})
    return Rendered(changed, wedit, ())
