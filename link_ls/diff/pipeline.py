"""Pipeline diff: components added/removed/renamed, edges added/removed, parameters changed.

Nodes are identified across the two sides through the cell alignment, so an edge
``load→train`` is "the same edge" when both of its cells are aligned, whatever their
positions. Edges are the DAG's edges as :func:`link_ls.pipeline.build` sees them:
declared ``canvas.parents`` for pipeline notebooks, dataflow-inferred for plain ones.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from link_ls.diff.model import (
    ComponentChange,
    EdgeChange,
    GraphSide,
    NodeRef,
    ParameterChange,
    PipelineDiff,
)
from link_ls.notebook import Cell, Notebook

if TYPE_CHECKING:
    from link_ls.pipeline import Pipeline

Pair = tuple[int | None, int | None]


def _node_name(cell: Cell, is_pipeline: bool) -> str:
    if cell.canvas is not None and cell.canvas.name and (cell.is_component or not is_pipeline):
        return cell.canvas.name
    return cell.position


@dataclass(frozen=True)
class _Dag:
    is_pipeline: bool
    nodes: tuple[int, ...]
    edges: tuple[tuple[int, int], ...]


def _declared(nb: Notebook) -> _Dag:
    """Declared edges of a pipeline notebook, resolved as :class:`Pipeline` resolves them.

    Computed here rather than through :func:`build` because ``build`` also runs the
    dataflow analysis of every cell, which a diff of declared structure does not need
    and which dominates the time on big notebooks.
    """
    cells = nb.cells
    by_id: dict[str, int] = {}
    for c in cells:
        if c.canvas is not None and c.canvas.id and c.canvas.id not in by_id:
            by_id[c.canvas.id] = c.index
    nodes = tuple(c.index for c in cells if c.is_component)
    edges: set[tuple[int, int]] = set()
    for idx in nodes:
        comp = cells[idx].canvas
        assert comp is not None
        for ref in comp.parents:
            p = by_id.get(ref.id)
            if p is not None and cells[p].is_component:
                edges.add((p, idx))
    return _Dag(True, nodes, tuple(sorted(edges)))


def _dag(nb: Notebook) -> _Dag:
    if nb.is_pipeline:
        return _declared(nb)
    # plain notebook: edges come from dataflow inference (imported here: a diff of
    # pipeline notebooks never loads the analysis)
    from link_ls.pipeline import build

    pipe: Pipeline = build(nb)
    # the inferred edges are the plain notebook's graph: no networkx import (~0.1 s) needed
    return _Dag(False, pipe.nodes, tuple(sorted(pipe.inferred)))


def _side(
    dag: _Dag, key_of: dict[int, str], refs: dict[str, NodeRef]
) -> tuple[GraphSide, set[tuple[str, str]]]:
    nodes = tuple(refs[key_of[i]] for i in dag.nodes)
    edges = {(key_of[s], key_of[t]) for s, t in dag.edges}
    return GraphSide(dag.is_pipeline, nodes, tuple(sorted(edges))), edges


def diff_pipeline(old: Notebook, new: Notebook, pairs: Sequence[Pair]) -> PipelineDiff:
    """The pipeline changes between ``old`` and ``new`` given their cell alignment."""
    p_old, p_new = _dag(old), _dag(new)
    oc, nc = old.cells, new.cells
    key_old: dict[int, str] = {}
    key_new: dict[int, str] = {}
    refs: dict[str, NodeRef] = {}
    order: dict[str, int] = {}
    components: list[ComponentChange] = []
    for k, (i, j) in enumerate(pairs):
        key = f"n{k}"
        order[key] = k
        a = oc[i] if i is not None else None
        b = nc[j] if j is not None else None
        if i is not None:
            key_old[i] = key
        if j is not None:
            key_new[j] = key
        shown = b if b is not None else a
        assert shown is not None
        is_pipe = p_new.is_pipeline if b is not None else p_old.is_pipeline
        comp_id = shown.canvas.id if shown.canvas is not None and shown.canvas.id else None
        ref = NodeRef(key, _node_name(shown, is_pipe), comp_id)
        refs[key] = ref
        was = a is not None and a.is_component
        now = b is not None and b.is_component
        if now and not was:
            components.append(ComponentChange(ref, "added"))
        elif was and not now:
            components.append(ComponentChange(ref, "removed"))
        elif was and now and a is not None and b is not None and a.name != b.name:
            components.append(ComponentChange(ref, "renamed", a.name, b.name))
    before, e_old = _side(p_old, key_old, refs)
    after, e_new = _side(p_new, key_new, refs)

    def edge_order(e: tuple[str, str]) -> tuple[int, int]:
        return (order[e[1]], order[e[0]])

    gone = sorted(e_old - e_new, key=edge_order)
    came = sorted(e_new - e_old, key=edge_order)
    edges = [
        *(EdgeChange(refs[s], refs[t], "removed") for s, t in gone),
        *(EdgeChange(refs[s], refs[t], "added") for s, t in came),
    ]
    return PipelineDiff(
        components=tuple(components),
        edges=tuple(edges),
        parameters=diff_parameters(old, new),
        before=before,
        after=after,
    )


def diff_parameters(old: Notebook, new: Notebook) -> tuple[ParameterChange, ...]:
    po = {p.name: p for p in old.parameters}
    pn = {p.name: p for p in new.parameters}
    out: list[ParameterChange] = []
    for name, p in po.items():
        q = pn.get(name)
        if q is None:
            out.append(ParameterChange(name, "removed", old=p.value))
        elif (p.type, p.value) != (q.type, q.value):
            out.append(ParameterChange(name, "changed", old=p.value, new=q.value))
    for name, q in pn.items():
        if name not in po:
            out.append(ParameterChange(name, "added", new=q.value))
    return tuple(out)
