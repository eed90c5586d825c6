"""link.diff and link.history: cell-level and pipeline diffs, and a notebook's git history.

Thin wrappers of ``link_ls.diff.api.diff_json`` and ``link_ls.history.api.history_json``
(shapes in docs/diff-format.md and docs/commands.md). The "now" side of a diff
(``target: null``) is what the editor shows for a text document (its unsaved
text) and the file on disk for a notebook document, whose editor does not send
outputs (diffing its cells would report every output as removed).
"""

from __future__ import annotations

import asyncio
from typing import Any

from link_ls.errors import UsageError
from link_ls.server.args import argument
from link_ls.server.base import LinkServer, guard
from link_ls.uris import uri_to_path


def _notebook_path(ls: LinkServer, uri: str) -> tuple[str, str | None]:
    """The notebook's path, and the editor's text of it when it is an open text document."""
    from link_ls.server.snapshot import DocKind

    got = ls.store.get(uri) if ls.store.is_open(uri) else None
    if got is None:
        return str(uri_to_path(uri)), None
    snap = got[0]
    text = snap.text if snap.kind in (DocKind.IPYNB, DocKind.JUPYTEXT) else None
    return snap.path or str(uri_to_path(snap.uri)), text


def _side(a: dict[str, Any], key: str, required: bool) -> str | None:
    value = a.get(key)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value:
        raise UsageError(f"'{key}' must be a git revision or a notebook's path/uri")
    return value


def register(server: LinkServer) -> None:
    @server.command("link.diff")
    @guard
    async def link_diff(ls: LinkServer, *args: Any) -> dict[str, Any]:
        from link_ls.diff.api import diff_json

        a = argument(args)
        path, text = _notebook_path(ls, a["uri"])
        base = _side(a, "base", True)
        assert base is not None
        target = _side(a, "target", False)
        fmt = a.get("format", "json")
        if not isinstance(fmt, str):
            raise UsageError("'format' must be json, text or html")
        result = await asyncio.to_thread(
            diff_json,
            path,
            base,
            target,
            format=fmt,
            ignore_outputs=a.get("ignoreOutputs") is True,
            ignore_metadata=a.get("ignoreMetadata") is True,
            text=text if target is None else None,
        )
        return {"uri": a["uri"], **result}

    @server.command("link.history")
    @guard
    async def link_history(ls: LinkServer, *args: Any) -> dict[str, Any]:
        from link_ls.history.api import history_json

        a = argument(args)
        path, _ = _notebook_path(ls, a["uri"])
        limit = a.get("limit")
        if limit is not None and (
            isinstance(limit, bool) or not isinstance(limit, int) or limit <= 0
        ):
            raise UsageError("'limit' must be a positive number of commits")
        result = await asyncio.to_thread(history_json, path, limit)
        return {"uri": a["uri"], **result}
