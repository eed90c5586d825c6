"""History entries: each commit that touched a notebook, with its cell/pipeline summary.

A commit is compared with its first parent (at the path the notebook had there, so
renames do not show as "everything added"). A version that is not a readable
notebook does not stop the walk: its summary says what is wrong instead.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from link_ls.diff.compute import diff_notebooks
from link_ls.diff.model import DiffOptions, NotebookDiff
from link_ls.errors import LinkError
from link_ls.gitint.repo import LogRecord, NotebookRepo, open_notebook_repo
from link_ls.notebook import Notebook


@dataclass(frozen=True)
class HistoryEntry:
    """One commit in a notebook's history."""

    record: LogRecord
    summary: str
    diff: NotebookDiff | None = field(default=None, compare=False, repr=False)

    @property
    def short(self) -> str:
        return self.record.sha[:10]


def _load(nr: NotebookRepo, sha: str, path: str) -> Notebook:
    return nr.load_at(sha, path)


def entry_for(nr: NotebookRepo, rec: LogRecord, options: DiffOptions) -> HistoryEntry:
    """Diff one commit's version of the notebook against its first parent's."""
    if rec.status == "deleted":
        return HistoryEntry(rec, "notebook deleted")
    try:
        new = _load(nr, rec.sha, rec.path)
    except LinkError as e:
        return HistoryEntry(rec, f"not a readable notebook: {e}")
    old: Notebook | None = None
    parent = rec.parents[0] if rec.parents else None
    if parent is not None and rec.status != "added":
        try:
            old = _load(nr, parent, rec.old_path or rec.path)
        except LinkError:
            old = None
    if old is None:
        n = len(new.cells)
        comps = len(new.components)
        extra = f", {comps} components" if comps else ""
        return HistoryEntry(rec, f"notebook added: {n} cells{extra}")
    d = diff_notebooks(old, new, options, old_label=f"{parent}"[:10], new_label=rec.sha[:10])
    summary = d.summary()
    if rec.status in ("renamed", "copied") and rec.old_path:
        summary = f"{rec.status} from {rec.old_path}; {summary}"
    return HistoryEntry(rec, summary, d)


def notebook_history(
    path: str | os.PathLike[str],
    limit: int | None = None,
    options: DiffOptions | None = None,
) -> list[HistoryEntry]:
    """The commits (newest first) that touched ``path``, following renames."""
    nr = open_notebook_repo(path)
    opts = options or DiffOptions()
    return [entry_for(nr, rec, opts) for rec in nr.log(limit)]
