"""Merge commands: ``link.resolveConflict``, ``link.merge`` and ``link.resolve`` (docs/commands.md).

``link.resolveConflict`` resolves one conflict of an open document through
``link_ls.merge.resolve_conflict`` (the quick fixes and lenses of
``link_ls.server.conflict_fixes`` call it); ``link.merge`` is ``link-ls merge``
and ``link.resolve`` is ``link-ls resolve`` (an .ipynb git merged as text).
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lsprotocol import types

from link_ls.errors import UsageError
from link_ls.server.args import any_object, argument, path_of
from link_ls.server.base import LinkServer, guard
from link_ls.server.capabilities import RESOLVE_CONFLICT

if TYPE_CHECKING:
    from link_ls.server.snapshot import Snapshot

log = logging.getLogger(__name__)


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


async def resolve_conflict(ls: LinkServer, *args: Any) -> dict[str, Any]:
    from link_ls.merge import CHOICES
    from link_ls.server.conflict_edits import resolve_in
    from link_ls.server.conflict_fixes import TITLES
    from link_ls.server.workspace import deliver, open_snapshot

    a = argument(args)
    snap, _ = open_snapshot(ls, a["uri"])
    conflict, choice = a.get("conflict"), a.get("choice")
    if not isinstance(conflict, str) or choice not in CHOICES:
        raise UsageError("argument needs 'conflict' (an id) and 'choice' (ours|theirs|both|base)")
    edit = resolve_in(
        snap,
        _cell_arg(snap, a),
        conflict,
        str(choice),
        document_changes=ls.client.document_changes,
        encoding=ls.store.encoding,
    )
    label = f"{TITLES[str(choice)].lower()} for {conflict}"
    out = await deliver(ls, edit.rendered, label, apply=a.get("apply", True) is not False)
    return {"uri": a["uri"], **out, "resolution": edit.resolution}


async def link_merge(ls: LinkServer, *args: Any) -> dict[str, Any]:
    from link_ls.merge import OutputPolicy
    from link_ls.merge.files import merge_files
    from link_ls.notebook import dumps
    from link_ls.notebook.formats import atomic_write_text

    a = any_object(args)
    base, ours, theirs = (path_of(a.get(k), k) for k in ("base", "ours", "theirs"))
    policy = a.get("outputs", "clear")
    if policy not in [p.value for p in OutputPolicy]:
        raise UsageError("'outputs' must be clear, ours or theirs")
    result = await asyncio.to_thread(merge_files, base, ours, theirs, outputs=OutputPolicy(policy))
    out: dict[str, Any] = result.to_json()
    text = dumps(result.notebook)
    if a.get("output") is not None:
        target = path_of(a["output"], "output")
        atomic_write_text(target, text)
        out["output"] = str(target)
    else:
        import json

        out["output"] = None
        out["notebook"] = json.loads(text)
    return out


async def link_resolve(ls: LinkServer, *args: Any) -> dict[str, Any]:
    from link_ls.merge import OutputPolicy
    from link_ls.merge.gitstages import resolve_path
    from link_ls.server.edits import Rendered, line_edit
    from link_ls.server.snapshot import DocKind
    from link_ls.server.workspace import deliver

    a = argument(args)
    got = ls.store.get(a["uri"]) if ls.store.is_open(a["uri"]) else None
    path = Path(got[0].path) if got is not None and got[0].path else path_of(a["uri"], "uri")
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


def register(server: LinkServer) -> None:
    server.command(RESOLVE_CONFLICT)(guard(resolve_conflict))
    server.command("link.merge")(guard(link_merge))
    server.command("link.resolve")(guard(link_resolve))
