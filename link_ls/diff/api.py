"""Core entry points shared by the CLI and the server: diff files or git revisions of a notebook.

A *side* of a diff is a file path, a ``file://`` URI, a git revision of the notebook
(``HEAD~2``, a sha, a branch), or — for the new side — the working tree (``None``)
or an in-memory text (an editor's unsaved buffer).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from link_ls.diff.compute import diff_notebooks
from link_ls.diff.model import DiffOptions, NotebookDiff
from link_ls.diff.reading import fast_load, fast_loads
from link_ls.diff.render_json import diff_to_json
from link_ls.errors import UsageError
from link_ls.gcpause import paused_gc
from link_ls.notebook import Notebook
from link_ls.uris import uri_to_path

if TYPE_CHECKING:
    from link_ls.gitint.repo import NotebookRepo

FORMATS = ("json", "text", "html")


def _repo(path: str | os.PathLike[str]) -> NotebookRepo:
    # GitPython is imported only when a revision is asked for: plain file diffs start faster
    from link_ls.gitint.repo import open_notebook_repo

    return open_notebook_repo(path)


def _short(rev: str) -> str:
    from link_ls.gitint.repo import short_rev

    return short_rev(rev)


def diff_files(
    old: str | os.PathLike[str], new: str | os.PathLike[str], options: DiffOptions | None = None
) -> NotebookDiff:
    with paused_gc():  # two notebooks' trees and their diff: no cycles
        # the trees are freed before the collector is back on: it never walks them
        d = diff_notebooks(
            fast_load(old), fast_load(new), options, old_label=str(old), new_label=str(new)
        )
    return d


def diff_revisions(
    path: str | os.PathLike[str],
    rev_a: str,
    rev_b: str | None = None,
    options: DiffOptions | None = None,
    *,
    text_b: str | None = None,
) -> NotebookDiff:
    """Diff ``path`` at ``rev_a`` against ``rev_b`` (default: the working tree, or ``text_b``)."""
    nr = _repo(path)
    old = nr.load_at(rev_a)
    old_label = f"{nr.relpath}@{_short(rev_a)}"
    new: Notebook
    if rev_b is not None:
        new = nr.load_at(rev_b)
        new_label = f"{nr.relpath}@{_short(rev_b)}"
    elif text_b is not None:
        new = fast_loads(text_b, name=str(path))
        new_label = f"{nr.relpath} (editor)"
    else:
        new = fast_load(path)
        new_label = f"{nr.relpath} (working tree)"
    return diff_notebooks(old, new, options, old_label=old_label, new_label=new_label)


def _is_file_ref(ref: str) -> bool:
    return ref.startswith("file:") or Path(ref).is_file()


def diff_json(
    uri: str,
    base: str,
    target: str | None = None,
    *,
    format: str = "json",
    ignore_outputs: bool = False,
    ignore_metadata: bool = False,
    text: str | None = None,
) -> dict[str, Any]:
    """The ``link.diff`` result: the JSON diff, plus ``text``/``html`` renderings when asked.

    ``base`` and ``target`` are each a revision of the notebook at ``uri`` or another
    notebook's path/URI; ``target=None`` means the notebook at ``uri`` as it is now
    (``text`` when the client passes its unsaved buffer, else the file on disk).
    """
    if format not in FORMATS:
        raise UsageError(f"unknown diff format {format!r} (use one of {', '.join(FORMATS)})")
    opts = DiffOptions(ignore_outputs=ignore_outputs, ignore_metadata=ignore_metadata)
    path = uri_to_path(uri)
    d = _diff_refs(path, base, target, opts, text)
    out = diff_to_json(d)
    if format == "text":
        from link_ls.diff.render_text import render_text

        out["text"] = render_text(d)
    elif format == "html":
        from link_ls.diff.render_html import render_html

        out["html"] = render_html(d)
    return out


def _diff_refs(
    path: Path, base: str, target: str | None, opts: DiffOptions, text: str | None
) -> NotebookDiff:
    if _is_file_ref(base):
        old = fast_load(uri_to_path(base))
        if target is None:
            new = fast_loads(text, name=str(path)) if text is not None else fast_load(path)
            return diff_notebooks(old, new, opts, old_label=str(base), new_label=str(path))
        if _is_file_ref(target):
            return diff_files(uri_to_path(base), uri_to_path(target), opts)
        nr = _repo(path)
        new = nr.load_at(target)
        return diff_notebooks(
            old, new, opts, old_label=str(base), new_label=f"{nr.relpath}@{_short(target)}"
        )
    if target is not None and _is_file_ref(target):
        nr = _repo(path)
        old = nr.load_at(base)
        new = fast_load(uri_to_path(target))
        return diff_notebooks(
            old, new, opts, old_label=f"{nr.relpath}@{_short(base)}", new_label=str(target)
        )
    return diff_revisions(path, base, target, opts, text_b=text)
