"""Merge conflicts in the editor: "Take ours/theirs/both/base" actions and lenses (LNK007),
"Resolve with link-ls" for an .ipynb git merged as text, and the commands
``link.resolveConflict``, ``link.merge`` and ``link.resolve`` (docs/commands.md).

Each fix resolves exactly one conflict through ``link_ls.merge.resolve_conflict``.
Text documents get a ``WorkspaceEdit``. Notebook documents get the cell text edit
as the action's edit and the cell metadata edits (or a deletion) as its
``link.applyNotebookEdit`` command. A lens can carry only one command: on a text
document it is ``link.resolveConflict`` (the server sends ``workspace/applyEdit``);
on a notebook document it is ``link.resolveConflict`` when only text changes, else
``link.applyNotebookEdit`` whose edits also carry the cell's new ``source``.
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Any

from lsprotocol import types

from link_ls.errors import LinkError, UsageError
from link_ls.merge import CHOICES
from link_ls.pipeline import Code
from link_ls.server.base import LinkServer, guard
from link_ls.server.conflicts import ResolvedEdit, resolve_in
from link_ls.server.documents import uri_path
from link_ls.server.edits import APPLY_NOTEBOOK_EDIT, Rendered, line_edit
from link_ls.server.features.commands import argument, deliver, open_snapshot
from link_ls.server.mapping import CellPos
from link_ls.server.snapshot import DocKind, Snapshot

log = logging.getLogger(__name__)

RESOLVE_CONFLICT = "link.resolveConflict"
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
                document_changes=ls.supports("workspace.workspace_edit.document_changes"),
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


def _cell_arg(snap: Snapshot, a: dict[str, Any]) -> int | None:
    from link_ls.notebook import resolve_cell

    assert snap.notebook is not None
    cell = a.get("cell")
    if cell is None or isinstance(cell, bool):
        return None
    if isinstance(cell, int):
        return cell
    if isinstance(cell, str):
        return resolve_cell(snap.notebook, cell).index
    raise UsageError("'cell' must be a 0-based cell index, a cell reference or null")


def _path(value: Any, key: str) -> Path:
    if not isinstance(value, str) or not value:
        raise UsageError(f"argument needs '{key}', a path or file: uri")
    return Path(uri_path(value)) if value.startswith("file:") else Path(value)


def register(server: LinkServer) -> None:
    @server.command(RESOLVE_CONFLICT)
    @guard
    async def resolve_conflict(ls: LinkServer, *args: Any) -> dict[str, Any]:
        a = argument(args)
        snap, _ = open_snapshot(ls, a["uri"])
        conflict, choice = a.get("conflict"), a.get("choice")
        if not isinstance(conflict, str) or choice not in CHOICES:
            raise UsageError(
                "argument needs 'conflict' (an id) and 'choice' (ours|theirs|both|base)"
            )
        edit = resolve_in(
            snap,
            _cell_arg(snap, a),
            conflict,
            str(choice),
            document_changes=ls.supports("workspace.workspace_edit.document_changes"),
            encoding=ls.store.encoding,
        )
        label = f"{TITLES[str(choice)].lower()} for {conflict}"
        out = await deliver(ls, edit.rendered, label, apply=a.get("apply", True) is not False)
        return {"uri": a["uri"], **out, "resolution": edit.resolution}

    @server.command("link.merge")
    @guard
    async def link_merge(ls: LinkServer, *args: Any) -> dict[str, Any]:
        from link_ls.merge import OutputPolicy
        from link_ls.merge.files import merge_files
        from link_ls.notebook import dumps
        from link_ls.notebook.formats import atomic_write_text

        if len(args) != 1 or not isinstance(args[0], dict):
            raise UsageError("expected one argument, a JSON object (see docs/commands.md)")
        a: dict[str, Any] = args[0]
        base, ours, theirs = (_path(a.get(k), k) for k in ("base", "ours", "theirs"))
        policy = a.get("outputs", "clear")
        if policy not in [p.value for p in OutputPolicy]:
            raise UsageError("'outputs' must be clear, ours or theirs")
        result = await asyncio.to_thread(
            merge_files, base, ours, theirs, outputs=OutputPolicy(policy)
        )
        out: dict[str, Any] = result.to_json()
        text = dumps(result.notebook)
        if a.get("output") is not None:
            target = _path(a["output"], "output")
            atomic_write_text(target, text)
            out["output"] = str(target)
        else:
            import json

            out["output"] = None
            out["notebook"] = json.loads(text)
        return out

    @server.command("link.resolve")
    @guard
    async def link_resolve(ls: LinkServer, *args: Any) -> dict[str, Any]:
        from link_ls.merge import OutputPolicy
        from link_ls.merge.gitstages import resolve_path

        a = argument(args)
        got = ls.store.get(a["uri"]) if ls.store.is_open(a["uri"]) else None
        path = Path(got[0].path) if got is not None and got[0].path else _path(a["uri"], "uri")
        policy = a.get("outputs", "clear")
        if policy not in [p.value for p in OutputPolicy]:
            raise UsageError("'outputs' must be clear, ours or theirs")
        done = await asyncio.to_thread(
            resolve_path, path, outputs=OutputPolicy(policy), force=a.get("force") is True
        )
        out: dict[str, Any] = {
            "uri": a["uri"],
            "path": str(done.path),
            "hadBase": done.had_base,
            **done.result.to_json(),
            "applied": False,
            "edit": None,
        }
        snap = got[0] if got is not None else None
        if snap is not None and snap.text is not None and snap.kind is not DocKind.NOTEBOOK:
            # the editor still shows the text merge: hand it the file as written
            new_text = done.path.read_text(encoding="utf-8")
            edit = line_edit(snap.text, new_text, ls.store.encoding)
            if edit is not None:
                ident = types.OptionalVersionedTextDocumentIdentifier(
                    uri=snap.uri, version=snap.version
                )
                wedit = types.WorkspaceEdit(
                    document_changes=[types.TextDocumentEdit(text_document=ident, edits=[edit])]
                )
                rendered = Rendered((0,), wedit, ())
                delivered = await deliver(
                    ls, rendered, "resolve with link-ls", apply=a.get("apply", True) is not False
                )
                out["applied"], out["edit"] = delivered["applied"], delivered["edit"]
        if not done.result.clean:
            n = len(done.result.conflicts)
            ls.tell(f"link-ls: {path.name}: {n} conflict(s) left to resolve in the editor")
        return out
