"""An inline SVG drawing of a pipeline graph with changed nodes and edges marked.

Layout is a plain layered drawing: layers are networkx topological generations
(strongly connected components first collapsed, so a cycle still draws), nodes
left to right in notebook order inside a layer. Big graphs are cut down to the
changed nodes and their neighbours so the page stays readable.
"""

from __future__ import annotations

import html
from collections.abc import Mapping

import networkx as nx

from link_ls.diff.model import GraphSide

NODE_W, NODE_H, GAP_X, GAP_Y, PAD = 150, 34, 24, 46, 16
MAX_NODES = 120

#: node/edge mark → (fill, stroke)
COLORS = {
    "added": ("#e6ffec", "#1a7f37"),
    "removed": ("#ffebe9", "#cf222e"),
    "modified": ("#fff8c5", "#9a6700"),
    "renamed": ("#fff8c5", "#9a6700"),
    "moved": ("#ddf4ff", "#0969da"),
    "": ("#f6f8fa", "#57606a"),
}


def _layers(g: nx.DiGraph[str], order: Mapping[str, int]) -> list[list[str]]:
    cond = nx.condensation(g)
    members: Mapping[int, set[str]] = nx.get_node_attributes(cond, "members")
    layers: list[list[str]] = []
    for gen in nx.topological_generations(cond):
        nodes = [n for c in gen for n in members[c]]
        layers.append(sorted(nodes, key=lambda n: order.get(n, 0)))
    return layers


def _shorten(name: str, limit: int = 20) -> str:
    return name if len(name) <= limit else name[: limit - 1] + "…"


def draw_graph(
    side: GraphSide,
    node_marks: Mapping[str, str],
    edge_marks: Mapping[tuple[str, str], str],
    title: str,
) -> str:
    """An ``<svg>`` element; ``node_marks``/``edge_marks`` map keys to a change kind."""
    names = {n.key: n.name for n in side.nodes}
    order = {n.key: k for k, n in enumerate(side.nodes)}
    keep = set(names)
    note = ""
    if len(keep) > MAX_NODES:
        marked = {k for k in names if node_marks.get(k)}
        marked |= {x for e in side.edges if edge_marks.get(e) for x in e}
        near = {x for s, t in side.edges if s in marked or t in marked for x in (s, t)}
        keep = (marked | near) & set(names)
        note = f" (showing {len(keep)} of {len(names)} nodes: changes and their neighbours)"
    g: nx.DiGraph[str] = nx.DiGraph()
    g.add_nodes_from(k for k in names if k in keep)
    g.add_edges_from((s, t) for s, t in side.edges if s in keep and t in keep)
    layers = _layers(g, order) if len(g) else []
    pos: dict[str, tuple[int, int]] = {}
    width = max((len(layer) for layer in layers), default=1) * (NODE_W + GAP_X) + 2 * PAD
    for y, layer in enumerate(layers):
        row_w = len(layer) * (NODE_W + GAP_X) - GAP_X
        x0 = (width - row_w) // 2
        for x, n in enumerate(layer):
            pos[n] = (x0 + x * (NODE_W + GAP_X), PAD + 24 + y * (NODE_H + GAP_Y))
    height = PAD * 2 + 24 + max(len(layers), 1) * (NODE_H + GAP_Y)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="{html.escape(title)}">',
        "<defs>",
    ]
    for mark, (_, stroke) in COLORS.items():
        mid = f"arrow-{mark or 'same'}"
        parts.append(
            f'<marker id="{mid}" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" '
            f'markerHeight="7" orient="auto-start-reverse"><path d="M0,0L10,5L0,10z" '
            f'fill="{stroke}"/></marker>'
        )
    parts.append("</defs>")
    parts.append(
        f'<text x="{PAD}" y="{PAD + 6}" font-weight="bold">{html.escape(title + note)}</text>'
    )
    for s, t in g.edges:
        mark = edge_marks.get((s, t), "")
        _, stroke = COLORS.get(mark, COLORS[""])
        (x1, y1), (x2, y2) = pos[s], pos[t]
        sx, sy = x1 + NODE_W // 2, y1 + NODE_H
        tx, ty = x2 + NODE_W // 2, y2
        if ty <= sy:  # same layer or upward (cycle): route around the side
            sy, ty = y1 + NODE_H // 2, y2 + NODE_H // 2
        dash = ' stroke-dasharray="5,4"' if mark == "removed" else ""
        width_px = 2.5 if mark else 1.2
        cls = f"edge {mark}".strip()
        parts.append(
            f'<path class="{cls}" d="M{sx},{sy} C{sx},{sy + 30} {tx},{ty - 30} {tx},{ty}" '
            f'fill="none" stroke="{stroke}" stroke-width="{width_px}"{dash} '
            f'marker-end="url(#arrow-{mark or "same"})"><title>'
            f"{html.escape(names[s])} → {html.escape(names[t])}"
            f"{' (' + mark + ')' if mark else ''}</title></path>"
        )
    for n, (x, y) in pos.items():
        mark = node_marks.get(n, "")
        fill, stroke = COLORS.get(mark, COLORS[""])
        cls = f"node {mark}".strip()
        parts.append(
            f'<g class="{cls}"><title>{html.escape(names[n])}'
            f"{' (' + mark + ')' if mark else ''}</title>"
            f'<rect x="{x}" y="{y}" width="{NODE_W}" height="{NODE_H}" rx="6" '
            f'fill="{fill}" stroke="{stroke}" stroke-width="{2 if mark else 1}"/>'
            f'<text x="{x + NODE_W // 2}" y="{y + NODE_H // 2 + 5}" text-anchor="middle" '
            f'font-size="13">{html.escape(_shorten(names[n]))}</text></g>'
        )
    if not pos:
        parts.append(f'<text x="{PAD}" y="{PAD + 40}" fill="#57606a">(no nodes)</text>')
    parts.append("</svg>")
    return "\n".join(parts)
