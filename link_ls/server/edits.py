"""Pipeline edits (add/remove an edge, make a pipeline) as LSP edits the client applies.

The edit is made by the core on a copy of the snapshot's notebook; this module
only turns the result into what the editor can apply:

- text documents (``.ipynb`` JSON, jupytext text): one ``TextEdit`` replacing just
  the lines that differ, inside a ``WorkspaceEdit``;
- notebook documents, whose cell metadata LSP cannot edit: ``NotebookCellEdit``
  values ``{notebookUri, cellIndex, metadata}`` — the cell's whole new metadata —
  that the client applies itself (``link.applyNotebookEdit``, see docs/commands.md).
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from lsprotocol import types

from link_ls.errors import CellReferenceError, UsageError
from link_ls.notebook import Cell, ComponentId, Notebook, ParentRef, dumps, resolve_cell
from link_ls.pipeline import build
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


def working_copy(nb: Notebook) -> Notebook:
    """A copy whose cell metadata can be changed without touching the snapshot."""
    cells = [{**c, "metadata": copy.deepcopy(c.get("metadata") or {})} for c in nb.raw_cells]
    node = {**nb.node, "cells": cells, "metadata": copy.deepcopy(nb.metadata)}
    return Notebook(node, path=nb.path, fmt=nb.fmt)


def _component(nb: Notebook, ref: str, role: str) -> Cell:
    cell = resolve_cell(nb, ref)
    if not cell.is_component:
        raise UsageError(f"{role} {cell.position} ({cell.name}) is not a component")
    return cell


def add_edge(nb: Notebook, child: str, parent: str) -> Notebook:
    out = working_copy(nb)
    c = _component(out, child, "child")
    p = _component(out, parent, "parent")
    if c.index == p.index:
        raise UsageError(f"{c.name} cannot be its own parent")
    out.add_parent(c.index, p.index)
    return out


def remove_edge(nb: Notebook, child: str, parent: str) -> Notebook:
    out = working_copy(nb)
    c = _component(out, child, "child")
    assert c.canvas is not None
    try:
        pid: ComponentId | None = resolve_cell(out, parent).canvas.id  # type: ignore[union-attr]
    except (CellReferenceError, AttributeError):
        pid = None
    # a dangling parent (LNK002) has no cell: match the declared id or name directly
    ids = {r.id for r in c.canvas.parents if r.id in (pid, parent) or r.name == parent}
    if not ids:
        raise UsageError(f"{c.name} has no parent {parent!r}")
    for rid in ids:
        out.remove_parent(c.index, rid)
    return out


def _name_for(cell: Cell, defs_in_order: list[str], taken: set[str]) -> str:
    base = next((n for n in defs_in_order if not n.startswith("_")), f"cell_{cell.index + 1}")
    name, k = base, 2
    while name in taken:
        name, k = f"{base}_{k}", k + 1
    taken.add(name)
    return name


def to_pipeline(nb: Notebook) -> Notebook:
    """Every code cell becomes a component; parents are the inferred dataflow edges."""
    if nb.is_pipeline:
        raise UsageError(f"{nb.display_name} is already a pipeline")
    plain = build(nb)
    out = working_copy(nb)
    taken: set[str] = set()
    for idx in plain.nodes:
        a = plain.analyses[idx]
        order = [o.name for o in a.occurrences if o.kind == "def"]
        out.make_component(idx, _name_for(nb.cells[idx], order, taken))
    cells = out.cells
    for idx in plain.nodes:
        refs = []
        for par in plain.parents(idx):
            pc = cells[par].canvas
            assert pc is not None
            refs.append(ParentRef(pc.id, pc.name))
        out.set_parents(idx, refs)
    return out


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


Op = Callable[[Notebook], Notebook]
