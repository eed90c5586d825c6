"""LNK007: unresolved merge conflicts (left by ``link-ls merge`` or git) as diagnostics."""

from __future__ import annotations

from link_ls.analysis import Span
from link_ls.notebook import Notebook
from link_ls.pipeline.model import Diagnostic, Severity


def conflict_diagnostics(nb: Notebook) -> list[Diagnostic]:
    """One LNK007 error per conflict, on the marker lines for source conflicts."""
    # imported here: the merge package itself builds on the pipeline package
    from link_ls.merge import find_conflicts

    out: list[Diagnostic] = []
    for c in find_conflicts(nb):
        index = c.cell_index if c.cell_index is not None else 0
        if c.start_line is not None and c.end_line is not None:
            span = Span(c.start_line, 0, max(c.end_line - 1, c.start_line), 7)
        else:
            span = Span(0, 0, 0, 1)
        out.append(
            Diagnostic(
                "LNK007",
                Severity.ERROR,
                f"unresolved merge conflict: {c.message}",
                index,
                span,
                {"conflict": c.id, "kind": c.kind.value, "notebookLevel": c.cell_index is None},
            )
        )
    return out
