"""One-line summaries of a merge and its conflicts, as the CLI and the git driver print them."""

from __future__ import annotations

from link_ls.merge.model import MergeResult


def summary(result: MergeResult, what: str) -> list[str]:
    """``what`` names the merged thing (a path); the first line is the verdict."""
    s = result.stats
    parts = [f"{s.from_ours} from ours", f"{s.from_theirs} from theirs", f"{s.merged} merged"]
    if s.deleted:
        parts.append(f"{s.deleted} deleted")
    head = f"{what}: {s.cells} cells ({', '.join(parts)})"
    if result.clean:
        return [f"{head}: merged cleanly"]
    n = len(result.conflicts)
    lines = [f"{head}: {n} conflict{'s' if n != 1 else ''}"]
    cells = result.notebook.cells
    for c in result.conflicts:
        where = "notebook" if c.cell_index is None else f"{cells[c.cell_index].position}"
        name = "" if c.cell_index is None else f" ({cells[c.cell_index].name})"
        lines.append(f"  {where}{name} {c.id}: {c.message}")
    return lines
