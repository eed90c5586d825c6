"""JSON shapes of a notebook's history for clients (server command ``link.history``)."""

from __future__ import annotations

import os
from typing import Any

from link_ls.diff.model import CellStatus
from link_ls.history.log import HistoryEntry, notebook_history

FORMAT = "link-ls/history"
VERSION = 1


def entry_json(e: HistoryEntry) -> dict[str, Any]:
    r = e.record
    out: dict[str, Any] = {
        "commit": r.sha,
        "short": e.short,
        "parents": list(r.parents),
        "author": r.author,
        "email": r.email,
        "date": r.date,
        "message": r.subject,
        "change": r.status,
        "path": r.path,
        "oldPath": r.old_path,
        "summary": e.summary,
        "counts": None,
        "pipeline": [],
    }
    if e.diff is not None:
        out["counts"] = {
            s.value: e.diff.count(s)
            for s in (CellStatus.MODIFIED, CellStatus.ADDED, CellStatus.REMOVED, CellStatus.MOVED)
        }
        out["pipeline"] = e.diff.pipeline.phrases() if e.diff.pipeline else []
    return out


def history_json(path: str | os.PathLike[str], limit: int | None = None) -> dict[str, Any]:
    """``{"format": "link-ls/history", "version": 1, "path", "commits": [...]}``, newest first."""
    entries = notebook_history(path, limit)
    return {
        "format": FORMAT,
        "version": VERSION,
        "path": str(path),
        "commits": [entry_json(e) for e in entries],
    }
