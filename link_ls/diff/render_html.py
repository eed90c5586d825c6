"""HTML rendering: one self-contained page (inline CSS and SVG, no network, no scripts).

The page has the summary, the pipeline before and after as drawings with changed
nodes and edges marked, then a side-by-side table per changed cell.
"""

from __future__ import annotations

import html

from link_ls.diff.model import CellDiff, CellStatus, NotebookDiff, PipelineDiff
from link_ls.diff.render_text import metadata_line
from link_ls.diff.svg import draw_graph

_CSS = """
body{font-family:-apple-system,Segoe UI,Helvetica,Arial,sans-serif;margin:24px;color:#1f2328}
h1{font-size:20px} h2{font-size:16px;margin-top:28px}
.summary{font-size:15px;margin-bottom:16px}
.graphs{display:flex;gap:24px;flex-wrap:wrap;align-items:flex-start}
.graphs figure{margin:0;border:1px solid #d0d7de;border-radius:6px;padding:8px;overflow:auto}
.cell{border:1px solid #d0d7de;border-radius:6px;margin:14px 0;overflow:hidden}
.cell h3{margin:0;padding:6px 10px;font-size:14px;background:#f6f8fa;
 border-bottom:1px solid #d0d7de}
.cell.added h3{background:#e6ffec}.cell.removed h3{background:#ffebe9}
.cell.modified h3{background:#fff8c5}.cell.moved h3{background:#ddf4ff}
table.sbs{border-collapse:collapse;width:100%;table-layout:fixed;
 font-family:ui-monospace,SFMono-Regular,Menlo,monospace;font-size:12px}
table.sbs td{padding:0 6px;vertical-align:top;white-space:pre-wrap;word-break:break-all}
table.sbs td.ln{width:3em;color:#8c959f;text-align:right;user-select:none}
td.del{background:#ffebe9}td.ins{background:#e6ffec}td.empty{background:#f6f8fa}
tr.hunk td{background:#ddf4ff;color:#57606a}
.note{padding:4px 10px;font-size:13px;color:#57606a}
ul.pipe li.added{color:#1a7f37}ul.pipe li.removed{color:#cf222e}
ul.pipe li.renamed,ul.pipe li.changed{color:#9a6700}
"""


def _pairs(dels: list[str], ins: list[str], ln_a: int, ln_b: int) -> tuple[list[str], int, int]:
    rows: list[str] = []
    for k in range(max(len(dels), len(ins))):
        left = dels[k] if k < len(dels) else None
        right = ins[k] if k < len(ins) else None
        rows.append(
            "<tr>"
            + _td(ln_a if left is not None else None, left, "del")
            + _td(ln_b if right is not None else None, right, "ins")
            + "</tr>"
        )
        ln_a += left is not None
        ln_b += right is not None
    return rows, ln_a, ln_b


def _rows(c: CellDiff) -> list[str]:
    """Side-by-side rows from unified hunks: deletions paired with the insertions after them."""
    rows: list[str] = []
    for h in c.hunks:
        if c.status is CellStatus.MODIFIED:
            rows.append(
                f'<tr class="hunk"><td class="ln"></td><td>@@ -{h.old_start},{h.old_len}</td>'
                f'<td class="ln"></td><td>+{h.new_start},{h.new_len} @@</td></tr>'
            )
        ln_a, ln_b = h.old_start, h.new_start
        dels: list[str] = []
        ins: list[str] = []
        for line in h.lines:
            tag, text = line[:1], line[1:]
            if tag == "-":
                dels.append(text)
                continue
            if tag == "+":
                ins.append(text)
                continue
            more, ln_a, ln_b = _pairs(dels, ins, ln_a, ln_b)
            rows.extend(more)
            dels, ins = [], []
            if tag == "\\":
                rows.append(f'<tr class="hunk"><td colspan="4">{html.escape(line)}</td></tr>')
            else:
                rows.append("<tr>" + _td(ln_a, text, "") + _td(ln_b, text, "") + "</tr>")
                ln_a += 1
                ln_b += 1
        rows.extend(_pairs(dels, ins, ln_a, ln_b)[0])
    return rows


def _td(ln: int | None, text: str | None, cls: str) -> str:
    if text is None:
        return '<td class="ln"></td><td class="empty"></td>'
    return f'<td class="ln">{ln}</td><td class="{cls}">{html.escape(text)}</td>'


def _cell(c: CellDiff) -> str:
    status = c.status.value + (", moved" if c.moved and c.status is CellStatus.MODIFIED else "")
    parts = [
        f'<section class="cell {c.status.value}">',
        f"<h3>{html.escape(c.label)} · {html.escape(status)}</h3>",
    ]
    rows = _rows(c)
    if rows:
        parts.append(
            '<table class="sbs"><colgroup><col style="width:3.5em"><col>'
            '<col style="width:3.5em"><col></colgroup>'
        )
        parts.extend(rows)
        parts.append("</table>")
    if c.outputs is not None:
        parts.append(f'<div class="note">outputs: {html.escape(c.outputs.summary)}</div>')
    for m in c.metadata:
        parts.append(f'<div class="note">metadata: {html.escape(metadata_line(m))}</div>')
    parts.append("</section>")
    return "\n".join(parts)


def _pipeline(d: NotebookDiff, p: PipelineDiff) -> str:
    node_marks: dict[str, str] = {}
    for k, c in enumerate(d.cells):
        if c.status is not CellStatus.UNCHANGED:
            node_marks[f"n{k}"] = c.status.value
    for comp in p.components:
        node_marks[comp.node.key] = comp.op
    before_marks = {k: v for k, v in node_marks.items() if v != "added"}
    after_marks = {k: v for k, v in node_marks.items() if v != "removed"}
    removed = {(e.source.key, e.target.key): "removed" for e in p.edges if e.op == "removed"}
    added = {(e.source.key, e.target.key): "added" for e in p.edges if e.op == "added"}
    items = [
        f'<li class="{html.escape(op)}">{html.escape(text)}</li>'
        for op, text in [
            *((c.op, c.text) for c in p.components),
            *((e.op, e.text) for e in p.edges),
            *((q.op, q.text) for q in p.parameters),
        ]
    ]
    return "\n".join(
        [
            "<h2>Pipeline</h2>",
            f'<ul class="pipe">{"".join(items)}</ul>' if items else "<p>No pipeline changes.</p>",
            '<div class="graphs">',
            f"<figure>{draw_graph(p.before, before_marks, removed, 'before')}</figure>",
            f"<figure>{draw_graph(p.after, after_marks, added, 'after')}</figure>",
            "</div>",
        ]
    )


def render_html(d: NotebookDiff) -> str:
    """A complete HTML document."""
    title = f"{d.old_label} → {d.new_label}"
    body = [
        f"<h1>{html.escape(title)}</h1>",
        f'<div class="summary">{html.escape(d.summary())}</div>',
    ]
    if d.pipeline is not None:
        body.append(_pipeline(d, d.pipeline))
    body.append("<h2>Cells</h2>")
    changed = d.changed_cells
    body.extend(_cell(c) for c in changed)
    if not changed:
        body.append("<p>No cell changes.</p>")
    if d.metadata:
        body.append("<h2>Notebook metadata</h2><ul>")
        body.extend(f"<li>{html.escape(metadata_line(m))}</li>" for m in d.metadata)
        body.append("</ul>")
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title><style>{_CSS}</style></head>\n<body>\n"
        + "\n".join(body)
        + "\n</body></html>\n"
    )
