"""Merge conflicts in the editor: "Take ours/theirs/both/base" quick fixes and lenses (LNK007),
and "Resolve with link-ls" for an .ipynb git merged as text.

Each fix resolves exactly one conflict (``conflict_edits.resolve_in``). Text
documents get a ``WorkspaceEdit``. Notebook documents get the cell text edit as
the action's edit and the cell metadata edits (or a deletion) as its
``link.applyNotebookEdit`` command. A lens can carry only one command: on a text
document it is ``link.resolveConflict`` (the server sends ``workspace/applyEdit``);
on a notebook document it is ``link.resolveConflict`` when only text changes, else
``link.applyNotebookEdit`` whose edits also carry the cell's new ``source``.
"""

from __future__ import annotations

from typing import Any

from lsprotocol import types

from link_ls.errors import LinkError
from link_ls.merge import CHOICES
from link_ls.pipeline import Code
from link_ls.server.base import LinkServer
from link_ls.server.capabilities import RESOLVE_CONFLICT
from link_ls.server.conflict_edits import ResolvedEdit, resolve_in
from link_ls.server.edits import APPLY_NOTEBOOK_EDIT, Rendered
from link_ls.server.mapping import CellPos
from link_ls.server.snapshot import DocKind, Snapshot

TITLES = {"ours": "Take ours", "theirs": "Take theirs", "both": "Take both", "base": "Take base"}


def _options(
    ls: LinkServer, snap: Snapshot, cell: int | None, conflict: str
) -> list[tuple[str, ResolvedEdit]]:
    """Every choice that applies to this conflict, with its edit (failing choices left out)."""
    out: list[tuple[str, ResolvedEdit]] = []
    for choice in CHOICES:
        try:
            edit = resolve_in(
                snap,
                cell,
                conflict,
                choice,
                document_changes=ls.client.document_changes,
                encoding=ls.store.encoding,
            )
        except LinkError:
            continue  # e.g. "base" for markers without a base section
        if not edit.rendered.empty:
            out.append((choice, edit))
    return out


def _titles(snap: Snapshot, cell: int | None, conflict: str) -> str:
    """A suffix naming the conflict when its cell has more than one."""
    from link_ls.merge import find_conflicts

    assert snap.notebook is not None
    same_cell = [c for c in find_conflicts(snap.notebook) if c.cell_index == cell]
    return f" ({conflict})" if len(same_cell) > 1 else ""


def _without_source(edits: Rendered) -> list[Any]:
    out = []
    for e in edits.notebook_edits:
        j = e.to_json()
        j.pop("source", None)
        out.append(j)
    return out


def conflict_actions(ls: LinkServer, snap: Snapshot, d: types.Diagnostic) -> list[types.CodeAction]:
    """Quick fixes for one LNK007 diagnostic: take ours / theirs / both / base."""
    data = d.data if isinstance(d.data, dict) else {}
    conflict = data.get("conflict")
    idx = data.get("cellIndex")
    if d.code != Code.CONFLICT or not isinstance(conflict, str) or not isinstance(idx, int):
        return []
    cell = None if data.get("notebookLevel") else idx
    suffix = _titles(snap, cell, conflict)
    actions = []
    for choice, edit in _options(ls, snap, cell, conflict):
        title = TITLES[choice] + suffix
        action = types.CodeAction(title=title, kind=types.CodeActionKind.QuickFix, diagnostics=[d])
        action.edit = edit.rendered.workspace_edit
        if edit.rendered.notebook_edits:
            args = _without_source(edit.rendered)
            action.command = types.Command(title, APPLY_NOTEBOOK_EDIT, arguments=args)
        actions.append(action)
    return actions


def resolve_action(snap: Snapshot, diags: list[types.Diagnostic]) -> types.CodeAction:
    """The document-level fix for an .ipynb git merged as text."""
    title = "Resolve with link-ls"
    mine = [d for d in diags if isinstance(d.data, dict) and d.data.get("textConflict")]
    return types.CodeAction(
        title=title,
        kind=types.CodeActionKind.QuickFix,
        diagnostics=mine or None,
        is_preferred=True,
        command=types.Command(title, "link.resolve", arguments=[{"uri": snap.uri}]),
    )


def conflict_lenses(ls: LinkServer, snap: Snapshot, cells: list[int]) -> list[types.CodeLens]:
    """One lens per applicable choice on each conflict of ``cells``."""
    if snap.notebook is None or snap.mapper is None:
        return []
    wanted = set(cells)
    out: list[types.CodeLens] = []
    for d in snap.diagnostics:
        if d.code != Code.CONFLICT or d.cell_index not in wanted:
            continue
        conflict = str(d.data["conflict"])
        cell = None if d.data.get("notebookLevel") else d.cell_index
        line = d.span.line if d.span is not None else 0
        _, pos = snap.mapper.to_lsp(CellPos(d.cell_index, line, 0))
        rng = types.Range(pos, pos)
        suffix = _titles(snap, cell, conflict)
        for choice, edit in _options(ls, snap, cell, conflict):
            title = TITLES[choice] + suffix
            if snap.kind is DocKind.NOTEBOOK and not edit.text_only:
                args = [e.to_json() for e in edit.rendered.notebook_edits]
                cmd = types.Command(title, APPLY_NOTEBOOK_EDIT, arguments=args)
            else:
                arg = {"uri": snap.uri, "cell": cell, "conflict": conflict, "choice": choice}
                cmd = types.Command(title, RESOLVE_CONFLICT, arguments=[arg])
            out.append(types.CodeLens(rng, cmd))
    return out
