"""Cell references as users type them: component name, ``canvas.id``, ``cell.id`` or ``#N``."""

from __future__ import annotations

from link_ls.errors import CellReferenceError
from link_ls.notebook.model import Cell, Notebook


def resolve_cell(nb: Notebook, ref: str) -> Cell:
    """Find the one cell ``ref`` names; an unknown or ambiguous reference is an error."""
    ref = ref.strip()
    cells = nb.cells
    if not ref:
        raise CellReferenceError("empty cell reference")
    if ref.startswith("#") and ref[1:].isdigit():
        n = int(ref[1:])
        if 1 <= n <= len(cells):
            return cells[n - 1]
        raise CellReferenceError(
            f"{nb.display_name}: cell {ref} is out of range (notebook has {len(cells)} cells)"
        )
    for label, hits in (
        ("canvas id", [c for c in cells if c.canvas is not None and c.canvas.id == ref]),
        ("cell id", [c for c in cells if c.cell_id == ref]),
    ):
        if len(hits) == 1:
            return hits[0]
        if len(hits) > 1:
            raise _ambiguous(nb, ref, hits, label)
    by_name = [c for c in cells if c.canvas is not None and c.canvas.name == ref]
    if len(by_name) == 1:
        return by_name[0]
    if len(by_name) > 1:
        raise _ambiguous(nb, ref, by_name, "name")
    names = [c.canvas.name for c in cells if c.canvas is not None and c.canvas.name]
    hint = f"; components: {', '.join(names[:10])}" if names else "; use #N for a cell position"
    raise CellReferenceError(f"{nb.display_name}: no cell named {ref!r}{hint}")


def _ambiguous(nb: Notebook, ref: str, hits: list[Cell], label: str) -> CellReferenceError:
    cands = ", ".join(f"{c.position} ({c.name})" for c in hits)
    return CellReferenceError(f"{nb.display_name}: {label} {ref!r} is ambiguous: {cands}")
