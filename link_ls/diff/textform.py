"""The cell-level text form of a notebook, for ``git diff``/``git log -p`` (git textconv).

Git diffs this text line by line, so the form is chosen for line diffs: one header
line per cell naming it (component name and parents, or cell type and id — no
positions, so inserting a cell does not change every later header), the source
verbatim, and outputs summarised (sizes and hashes for binary data, a short preview
for text) so a 10 MB stream or a base64 image never floods the diff.
"""

from __future__ import annotations

import json

from link_ls.diff.outputs import describe_outputs
from link_ls.notebook import Cell, Notebook

_MAX_META = 200


def _header(c: Cell, names: dict[str, str]) -> str:
    if c.is_component and c.canvas is not None:
        parents = [names.get(p.id, p.name or p.id) for p in c.canvas.parents]
        deps = " ← " + ", ".join(parents) if parents else ""
        return f"━━ component {c.canvas.name or c.position}{deps}"
    ident = f" (id {c.cell_id})" if c.cell_id else ""
    return f"━━ {c.cell_type} cell{ident}"


def notebook_text(nb: Notebook, *, outputs: bool = True) -> str:
    """Render ``nb`` as cell-level text."""
    names: dict[str, str] = {}
    for c in nb.cells:
        if c.canvas is not None and c.canvas.id:
            names[c.canvas.id] = c.canvas.name or c.position
    lines: list[str] = []
    head = f"# notebook · nbformat 4.{nb.fmt.nbformat_minor} · language {nb.language}"
    lines.append(head)
    for p in nb.parameters:
        lines.append(f"# parameter {p.name}: {p.type} = {json.dumps(p.value, default=str)}")
    for c in nb.cells:
        lines.append("")
        lines.append(_header(c, names))
        md = nb.raw_cells[c.index].get("metadata")
        extra = {k: v for k, v in md.items() if k != "canvas"} if isinstance(md, dict) else {}
        if extra:
            text = json.dumps(extra, sort_keys=True, ensure_ascii=False, default=str)
            if len(text) > _MAX_META:
                text = text[: _MAX_META - 1] + "…"
            lines.append(f"·· metadata {text}")
        lines.extend(c.source.splitlines())
        if outputs and c.outputs:
            lines.append("── outputs")
            lines.extend(describe_outputs(c.outputs))
    return "\n".join(lines) + "\n"
