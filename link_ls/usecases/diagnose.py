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


def _may_conflict(nb: Notebook, pipe: Pipeline) -> bool:
    """:func:`may_conflict`, looking only at the edited cells when the last version could not."""
    if pipe.notebook is not nb:
        return may_conflict(nb)
    if pipe.conflicts is None:
        delta = pipe.delta
        if delta is not None and delta.conflicts is False:
            raw = nb.raw_cells
            pipe.conflicts = "link_ls" in (nb.metadata or {}) or any(
                "<<<<<<<" in nb.cells[i].source or "link_ls" in (raw[i].get("metadata") or {})
                for i in delta.changed
            )
        else:
            pipe.conflicts = may_conflict(nb)
    return pipe.conflicts


def diagnose(notebook: Notebook, pipeline: Pipeline | None = None) -> list[Diagnostic]:
    """The pipeline checks, then one LNK007 per unresolved merge conflict.

    ``pipeline`` is ``build(notebook)`` when the caller already has it (the
    server keeps one per document version). A cell that does not parse because
    of git's conflict markers gets LNK007, not LNK009: the conflict is the news.
    """
    pipe = pipeline if pipeline is not None else build(notebook)
    found = check(pipe)
    # the cheap test runs on every keystroke; the merge package loads only when needed
    if not _may_conflict(notebook, pipe):
        return found
    from link_ls.merge.diagnostics import conflict_diagnostics

    conflicts = conflict_diagnostics(notebook)
    if conflicts:
        marked = {d.cell_index for d in conflicts if d.data.get("kind") == "source"}
        found = [d for d in found if not (d.code == Code.SYNTAX and d.cell_index in marked)]
        found.extend(conflicts)
    return found
