"""Text rendering of a notebook diff: one header per changed cell naming it, then its changes.

The renderer returns styled lines (text, rich style); the CLI prints them with
colour on a terminal and as plain text otherwise, so one code path serves both.
"""

from __future__ import annotations

import json
from typing import Any

from link_ls.diff.model import CellDiff, CellStatus, MetadataChange, NotebookDiff

StyledLine = tuple[str, str]

_STATUS_STYLE = {
    CellStatus.ADDED: "green",
    CellStatus.REMOVED: "red",
    CellStatus.MODIFIED: "yellow",
    CellStatus.MOVED: "cyan",
}
_MAX_VALUE = 60


def short_json(v: Any, limit: int = _MAX_VALUE) -> str:
    s = json.dumps(v, ensure_ascii=False, sort_keys=True, default=str)
    return s if len(s) <= limit else s[: limit - 1] + "…"


def metadata_line(m: MetadataChange) -> str:
    if m.op == "added":
        return f"{m.key} added: {short_json(m.new)}"
    if m.op == "removed":
        return f"{m.key} removed (was {short_json(m.old)})"
    return f"{m.key}: {short_json(m.old)} → {short_json(m.new)}"


def cell_lines(c: CellDiff) -> list[StyledLine]:
    status = c.status.value + (", moved" if c.moved and c.status is CellStatus.MODIFIED else "")
    out: list[StyledLine] = [(f"━━ {c.label} · {status}", "bold " + _STATUS_STYLE[c.status])]
    for h in c.hunks:
        if c.status is CellStatus.MODIFIED:
            out.append((f"@@ -{h.old_start},{h.old_len} +{h.new_start},{h.new_len} @@", "cyan"))
        for line in h.lines:
            style = {"+": "green", "-": "red", "\\": "dim"}.get(line[:1], "")
            out.append((line, style))
    if c.outputs is not None:
        out.append((f"  outputs: {c.outputs.summary}", "magenta"))
    for m in c.metadata:
        out.append((f"  metadata: {metadata_line(m)}", "blue"))
    return out


def text_lines(d: NotebookDiff) -> list[StyledLine]:
    out: list[StyledLine] = [
        (f"diff {d.old_label} → {d.new_label}", "bold"),
        (d.summary(), "bold" if d.changed else "dim"),
    ]
    for c in d.changed_cells:
        out.append(("", ""))
        out.extend(cell_lines(c))
    p = d.pipeline
    if p is not None and p.changed:
        out.append(("", ""))
        out.append(("━━ pipeline", "bold"))
        for comp in p.components:
            mark = {"added": "+", "removed": "-"}.get(comp.op, "~")
            out.append((f"  {mark} {comp.text}", _mark_style(mark)))
        for e in p.edges:
            mark = "+" if e.op == "added" else "-"
            out.append((f"  {mark} edge {e.source.name}→{e.target.name}", _mark_style(mark)))
        for prm in p.parameters:
            mark = {"added": "+", "removed": "-"}.get(prm.op, "~")
            out.append((f"  {mark} {prm.text}", _mark_style(mark)))
    if d.metadata:
        out.append(("", ""))
        out.append(("━━ notebook metadata", "bold"))
        for m in d.metadata:
            out.append((f"  ~ {metadata_line(m)}", "blue"))
    return out


def _mark_style(mark: str) -> str:
    return {"+": "green", "-": "red"}.get(mark, "yellow")


def render_text(d: NotebookDiff) -> str:
    """The plain-text form (no colour codes)."""
    return "\n".join(t for t, _ in text_lines(d)) + "\n"
