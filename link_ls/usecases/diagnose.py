"""``diagnose``: every diagnostic of a notebook (LNK001–LNK012), for `check` and the server."""

from __future__ import annotations

from link_ls.notebook import Notebook
from link_ls.pipeline import Code, Diagnostic, Pipeline, build, check


def may_conflict(nb: Notebook) -> bool:
    """Whether the notebook can hold a merge conflict (markers or ``link_ls`` records)."""
    if "link_ls" in (nb.metadata or {}):
        return True
    for raw, cell in zip(nb.raw_cells, nb.cells, strict=True):
        if "<<<<<<<" in cell.source or "link_ls" in (raw.get("metadata") or {}):
            return True
    return False


def diagnose(notebook: Notebook, pipeline: Pipeline | None = None) -> list[Diagnostic]:
    """The pipeline checks, then one LNK007 per unresolved merge conflict.

    ``pipeline`` is ``build(notebook)`` when the caller already has it (the
    server keeps one per document version). A cell that does not parse because
    of git's conflict markers gets LNK007, not LNK009: the conflict is the news.
    """
    found = check(pipeline if pipeline is not None else build(notebook))
    # the cheap test runs on every keystroke; the merge package loads only when needed
    if not may_conflict(notebook):
        return found
    from link_ls.merge.diagnostics import conflict_diagnostics

    conflicts = conflict_diagnostics(notebook)
    if conflicts:
        marked = {d.cell_index for d in conflicts if d.data.get("kind") == "source"}
        found = [d for d in found if not (d.code == Code.SYNTAX and d.cell_index in marked)]
        found.extend(conflicts)
    return found
