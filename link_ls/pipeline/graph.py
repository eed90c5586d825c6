"""The pipeline DAG of a notebook: nodes, declared and inferred edges, ancestry.

Pipeline notebooks (any Link component) run along declared ``canvas.parents``;
edges inferred from dataflow are kept beside them for checks and quick fixes.
Plain notebooks run along inferred edges: a reader depends on the latest earlier
cell that defines or mutates the name. Graph nodes are cell *positions*, so a
duplicate id (itself a diagnostic) never merges two cells into one node.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from link_ls.analysis import BUILTIN_NAMES, AnalysisCache, CellAnalysis, default_cache
from link_ls.gcpause import paused_gc
from link_ls.notebook.canvas import ComponentId, Parameter
from link_ls.notebook.model import Cell, NodeId, Notebook
from link_ls.pipeline.model import Edge

if TYPE_CHECKING:
    import networkx as nx


@dataclass(frozen=True)
class ParentLink:
    """A declared parent as found: ``parent`` is the cell index, or None if unresolved."""

    child: int
    parent_id: ComponentId
    parent_name: str
    parent: int | None
    problem: str | None  # "missing" | "not-component" | None


@dataclass(frozen=True)
class Delta:
    """How a pipeline derived incrementally differs from the one it came from."""

    #: the previous version's per-cell diagnostics (``checks.Checked``), if it was checked
    checked: Any
    #: whether the previous version could hold a merge conflict, if it was asked
    conflicts: bool | None
    #: cells whose source changed
    changed: frozenset[int]
    #: nodes that read a name an edited cell touched (before or after the edit)
    readers: frozenset[int]


class Pipeline:
    """A read-only snapshot of a notebook's DAG. Build one with :func:`build`."""

    #: set by :func:`link_ls.pipeline.index.rebuilt`: what changed since the base version
    delta: Delta | None = None
    #: the per-name index an incremental re-build keeps (``index.NameIndex``; typed loosely
    #: so that graph does not import index, which imports graph)
    name_index: Any = None
    #: per-cell diagnostics, once :func:`link_ls.pipeline.checks.check` ran (``checks.Checked``)
    checked: Any = None
    #: whether the notebook can hold a merge conflict, once ``usecases.diagnose`` asked
    conflicts: bool | None = None

    def __init__(self, nb: Notebook, analyses: dict[int, CellAnalysis]) -> None:
        self.notebook = nb
        self.analyses = analyses
        self.is_pipeline = nb.is_pipeline
        cells = nb.cells
        #: the cell views this DAG was built from (an edit in place makes new ones)
        self.cells = cells
        self.language = nb.language
        self.parameters: tuple[Parameter, ...] = tuple(nb.parameters)
        self.nodes: tuple[int, ...] = tuple(
            c.index for c in cells if (c.is_component if self.is_pipeline else c.is_code)
        )
        self._pos = {idx: p for p, idx in enumerate(self.nodes)}
        self.has_unknown = False
        self._by_child: tuple[dict[int, list[int]], dict[int, list[int]]] | None = None
        self.links: list[ParentLink] = []
        #: execution edges (declared for pipelines, inferred for plain notebooks)
        self.declared: set[tuple[int, int]] = set()
        #: edges inferred from dataflow: (source, target) -> names
        self.inferred: dict[tuple[int, int], list[str]] = {}
        #: for plain notebooks, reads whose only definitions come later: (cell, name, definer)
        self.out_of_order: list[tuple[int, str, int]] = []
        #: reads nobody provides (cell, name)
        self.undefined: list[tuple[int, str]] = []
        if self.is_pipeline:
            self._declared_edges(cells)
        self._infer_edges(cells)
        self._anc: dict[int, int] | None = None
        self._graph: nx.DiGraph[int] | None = None

    @classmethod
    def derived(
        cls, previous: Pipeline, nb: Notebook, analyses: dict[int, CellAnalysis]
    ) -> Pipeline:
        """A copy of ``previous`` for ``nb`` whose cells' sources alone changed: nodes,
        declared links and (for pipelines) the graph are shared; inferred edges are copied
        for :mod:`link_ls.pipeline.index` to re-point."""
        pipe = cls.__new__(cls)
        pipe.notebook = nb
        pipe.analyses = analyses
        pipe.is_pipeline = previous.is_pipeline
        pipe.cells = nb.cells
        pipe.language = previous.language
        pipe.parameters = previous.parameters
        pipe.nodes = previous.nodes
        pipe._pos = previous._pos
        pipe.links = previous.links
        pipe.declared = previous.declared
        pipe.inferred = dict(previous.inferred)
        pipe.out_of_order = previous.out_of_order
        pipe.undefined = previous.undefined
        pipe.has_unknown = previous.has_unknown
        pipe._by_child = previous._by_child
        # a pipeline runs along declared edges only: its graph and ancestry stay
        pipe._anc = previous._anc if pipe.is_pipeline else None
        pipe._graph = previous._graph if pipe.is_pipeline else None
        return pipe

    # -- construction ----------------------------------------------------------------
    def _declared_edges(self, cells: tuple[Cell, ...]) -> None:
        by_id: dict[str, int] = {}
        for c in cells:
            if c.canvas is not None and c.canvas.id and c.canvas.id not in by_id:
                by_id[c.canvas.id] = c.index
        for idx in self.nodes:
            comp = cells[idx].canvas
            assert comp is not None
            for ref in comp.parents:
                p = by_id.get(ref.id)
                if p is None:
                    self.links.append(ParentLink(idx, ref.id, ref.name, None, "missing"))
                elif not cells[p].is_component:
                    self.links.append(ParentLink(idx, ref.id, ref.name, p, "not-component"))
                else:
                    self.links.append(ParentLink(idx, ref.id, ref.name, p, None))
                    self.declared.add((p, idx))

    def _infer_edges(self, cells: tuple[Cell, ...]) -> None:
        """Latest-earlier-provider edges; in pipelines, among components only."""
        an = self.analyses
        last: dict[str, int] = {}
        last_unknown: int | None = None
        pending: list[tuple[int, str]] = []
        builtin_names = BUILTIN_NAMES
        inferred = self.inferred
        for idx in self.nodes:
            a = an[idx]
            for name in a.reads:
                src = last.get(name)
                if src is None:
                    if name in builtin_names:
                        continue
                    src = last_unknown
                    if src is None:
                        pending.append((idx, name))
                        continue
                if src != idx:
                    flows = inferred.get((src, idx))
                    if flows is None:
                        inferred[(src, idx)] = [name]
                    else:
                        flows.append(name)
            for name in a.defs:
                last[name] = idx
            for name in a.mutations:
                last[name] = idx
            for name in a.deletes:
                last[name] = idx
            if a.unknown:
                last_unknown = idx
                self.has_unknown = True
        if not pending:
            return
        # each name's first definer, for plain notebooks' out-of-order reads
        later_defs: dict[str, int] = {}
        if not self.is_pipeline:
            for idx in reversed(self.nodes):
                for n in an[idx].defs:
                    later_defs[n] = idx
        # pipeline parameters are set in the kernel before the first component runs
        params = {prm.name for prm in self.notebook.parameters}
        for idx, name in pending:
            if name in BUILTIN_NAMES or name in params:
                continue
            definer = later_defs.get(name)
            if definer is not None and definer != idx:
                self.out_of_order.append((idx, name, definer))
            elif self.is_pipeline:
                self._pipeline_unresolved(idx, name)
            else:
                self.undefined.append((idx, name))

    def _pipeline_unresolved(self, idx: int, name: str) -> None:
        # a later component may provide it (LNK003 finds that); else nobody does
        for other in self.nodes:
            if other != idx and name in self.analyses[other].provides:
                self.inferred.setdefault((other, idx), []).append(name)
                return
        if not self.has_unknown:
            self.undefined.append((idx, name))

    # -- queries ---------------------------------------------------------------------
    @property
    def graph(self) -> nx.DiGraph[int]:
        """The execution graph, built on first use (a re-check rarely needs networkx)."""
        if self._graph is None:
            import networkx as nx  # ~0.2 s to import: only when a graph is really needed

            g: nx.DiGraph[int] = nx.DiGraph()
            g.add_nodes_from(self.nodes)
            g.add_edges_from(self.declared if self.is_pipeline else self.inferred)
            self._graph = g
        return self._graph

    @property
    def position(self) -> dict[int, int]:
        """Node -> its position in :attr:`nodes`."""
        return self._pos

    def declared_by_child(self) -> tuple[dict[int, list[int]], dict[int, list[int]]]:
        """Resolved declared parents of each node, and children of each node (link order)."""
        if self._by_child is None:
            parents: dict[int, list[int]] = {}
            children: dict[int, list[int]] = {}
            for link in self.links:
                if link.problem is None and link.parent is not None:
                    parents.setdefault(link.child, []).append(link.parent)
                    children.setdefault(link.parent, []).append(link.child)
            self._by_child = (parents, children)
        return self._by_child

    def cell(self, idx: int) -> Cell:
        return self.cells[idx]

    def node_id(self, idx: int) -> NodeId:
        return self.cells[idx].node_id

    def parents(self, idx: int) -> list[int]:
        return sorted(self.graph.predecessors(idx))

    def children(self, idx: int) -> list[int]:
        return sorted(self.graph.successors(idx))

    def ancestor_bits(self) -> dict[int, int]:
        """Ancestors of each node as a bitset over node positions (fast set algebra)."""
        if self._anc is None:
            anc: dict[int, int] = {}
            pos = self._pos
            if not self.is_pipeline:
                # inferred edges always point forward: notebook order is topological
                preds: dict[int, list[int]] = {}
                for s, t in self.inferred:
                    preds.setdefault(t, []).append(s)
                for n in self.nodes:
                    bits = 0
                    for p in preds.get(n, ()):
                        bits |= anc[p] | (1 << pos[p])
                    anc[n] = bits
                self._anc = anc
                return anc
            import networkx as nx

            try:
                order = list(nx.topological_sort(self.graph))
                for n in order:
                    bits = 0
                    for p in self.graph.predecessors(n):
                        bits |= anc[p] | (1 << pos[p])
                    anc[n] = bits
            except nx.NetworkXUnfeasible:
                for n in self.nodes:
                    bits = 0
                    for a in nx.ancestors(self.graph, n):
                        bits |= 1 << pos[a]
                    anc[n] = bits
            self._anc = anc
        return self._anc

    def bit(self, idx: int) -> int:
        return 1 << self._pos[idx]

    def ancestors(self, idx: int) -> list[int]:
        bits = self.ancestor_bits()[idx]
        return [n for p, n in enumerate(self.nodes) if bits >> p & 1]

    def descendants(self, idx: int) -> list[int]:
        import networkx as nx

        return sorted(nx.descendants(self.graph, idx))

    def is_ancestor(self, a: int, b: int) -> bool:
        return bool(self.ancestor_bits()[b] & self.bit(a))

    def edges(self) -> list[Edge]:
        """Declared edges (pipelines) or inferred ones (plain), then inferred extras."""
        out: list[Edge] = []
        declared = self.declared if self.is_pipeline else set()
        for s, t in sorted(declared, key=lambda e: (e[1], e[0])):
            flows = tuple(sorted(self.inferred.get((s, t), ())))
            out.append(Edge(self.node_id(s), self.node_id(t), "explicit", flows))
        for (s, t), names in sorted(self.inferred.items(), key=lambda kv: (kv[0][1], kv[0][0])):
            if (s, t) in declared:
                continue
            out.append(Edge(self.node_id(s), self.node_id(t), "inferred", tuple(sorted(names))))
        return out


def _analyses(
    nb: Notebook, cache: AnalysisCache, indexes: Iterable[int]
) -> dict[int, CellAnalysis]:
    cells = nb.cells
    idx = list(indexes)
    sources = [cells[i].source for i in idx] if nb.language == "python" else [""] * len(idx)
    return dict(zip(idx, cache.analyze_many(sources), strict=True))


def build(nb: Notebook, cache: AnalysisCache | None = None) -> Pipeline:
    """Analyse every code cell (through the cache) and build the DAG.

    The collector is paused once for the whole build (syntax trees, analyses, edges: no
    reference cycles), not cell by cell: between cells it would otherwise walk the
    analyses made so far again and again, ~10% of 1,000 cells and a cost that grows
    faster than the notebook (~17% of 10,000).
    """
    cache = cache or default_cache
    with paused_gc():
        code = [c.index for c in nb.cells if c.is_code]
        return Pipeline(nb, _analyses(nb, cache, code))
