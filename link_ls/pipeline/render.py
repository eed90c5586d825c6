"""The pipeline graph as data and as text: JSON, Mermaid, Graphviz dot, an indented list."""

from __future__ import annotations

import json
from typing import Any

from link_ls.pipeline.graph import Pipeline


def graph_json(p: Pipeline) -> dict[str, Any]:
    """``{"nodes": [{"id","name","index","kind"}], "edges": [{"source","target","kind","names"}]}``.

    ``index`` is 1-based (the ``#N`` reference); ``kind`` is ``component`` or ``cell``.
    """
    nodes = [
        {
            "id": p.node_id(i),
            "name": p.cell(i).name,
            "index": i + 1,
            "kind": "component" if p.cell(i).is_component else "cell",
        }
        for i in p.nodes
    ]
    edges = [
        {"source": e.source, "target": e.target, "kind": e.kind, "names": list(e.names)}
        for e in p.edges()
    ]
    return {"pipeline": p.is_pipeline, "nodes": nodes, "edges": edges}


def _label(p: Pipeline, i: int) -> str:
    c = p.cell(i)
    return c.name if c.is_component else f"{c.position} {_first_line(c.source)}".strip()


def _first_line(src: str, width: int = 32) -> str:
    for line in src.splitlines():
        s = line.strip()
        if s:
            return s if len(s) <= width else s[: width - 1] + "…"
    return ""


def graph_mermaid(p: Pipeline) -> str:
    ids = {i: f"n{k}" for k, i in enumerate(p.nodes)}
    lines = ["flowchart TD"]
    for i in p.nodes:
        lines.append(f'    {ids[i]}["{_label(p, i).replace(chr(34), "#quot;")}"]')
    by_node = {p.node_id(i): i for i in p.nodes}
    for e in p.edges():
        s, t = by_node.get(e.source), by_node.get(e.target)
        if s is None or t is None:
            continue
        arrow = "-->" if e.kind == "explicit" or not p.is_pipeline else "-.->"
        label = f"|{', '.join(e.names)}|" if e.names else ""
        lines.append(f"    {ids[s]} {arrow}{label} {ids[t]}")
    return "\n".join(lines) + "\n"


def graph_dot(p: Pipeline) -> str:
    lines = ["digraph pipeline {", "  rankdir=TB;", "  node [shape=box, style=rounded];"]
    for i in p.nodes:
        lines.append(f"  n{i + 1} [label={json.dumps(_label(p, i))}];")
    by_node = {p.node_id(i): i for i in p.nodes}
    for e in p.edges():
        s, t = by_node.get(e.source), by_node.get(e.target)
        if s is None or t is None:
            continue
        attrs = [f"label={json.dumps(', '.join(e.names))}"] if e.names else []
        if e.kind == "inferred" and p.is_pipeline:
            attrs.append("style=dashed")
        suffix = f" [{', '.join(attrs)}]" if attrs else ""
        lines.append(f"  n{s + 1} -> n{t + 1}{suffix};")
    lines.append("}")
    return "\n".join(lines) + "\n"


def graph_text(p: Pipeline) -> str:
    """One line per node in notebook order with what it depends on."""
    kind = "pipeline" if p.is_pipeline else "plain notebook (edges inferred)"
    out = [f"{p.notebook.display_name}: {kind}, {len(p.nodes)} nodes"]
    by_node = {p.node_id(i): i for i in p.nodes}
    incoming: dict[int, list[str]] = {i: [] for i in p.nodes}
    for e in p.edges():
        s, t = by_node.get(e.source), by_node.get(e.target)
        if s is None or t is None:
            continue
        what = f" ({', '.join(e.names)})" if e.names else ""
        mark = "" if e.kind == "explicit" or not p.is_pipeline else " [inferred]"
        incoming[t].append(f"{p.cell(s).name}{what}{mark}")
    for i in p.nodes:
        deps = "; ".join(incoming[i]) if incoming[i] else "-"
        c = p.cell(i)
        label = c.name if c.is_component else _first_line(c.source)
        out.append(f"  {c.position:>5} {label}  <- {deps}")
    return "\n".join(out) + "\n"
