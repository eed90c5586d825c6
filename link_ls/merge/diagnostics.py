"""LNK007: the unresolved conflicts of a notebook (git markers, structured records) as diagnostics.

The one producer of LNK007; ``link_ls.usecases.diagnose`` adds them to the
pipeline checks for the CLI, the server and the tests alike.
"""

from __future__ import annotations

from link_ls.analysis import Span
from link_ls.merge.unresolved import find_conflicts
from link_ls.notebook import Notebook
from link_ls.pipeline import Code, Diagnostic, Severity


def conflict_diagnostics(nb: Notebook) -> list[Diagnostic]:
    """One LNK007 error per conflict: on its marker lines, else on the cell's first line.

    Notebook-level conflicts (parameters) go on the first cell; ``data.notebookLevel``
    says so, and the quick fixes resolve them on the notebook.
    """
    out: list[Diagnostic] = []
    for c in find_conflicts(nb):
        index = c.cell_index if c.cell_index is not None else 0
        if index >= len(nb.cells):
            continue
        if c.start_line is not None and c.end_line is not None:
            last = max(c.end_line - 1, c.start_line)
            span = Span(c.start_line, 0, last, 7)
        else:
            span = Span(0, 0, 0, max(len(nb.cells[index].source.split("\n")[0].encode()), 1))
        out.append(
            Diagnostic(
                Code.CONFLICT,
                Severity.ERROR,
                f"unresolved merge conflict: {c.message}",
                index,
                span,
                {"conflict": c.id, "kind": c.kind.value, "notebookLevel": c.cell_index is None},
            )
        )
    return out
