"""Diagnostics LNK001–LNK012 but LNK007 (DESIGN §3) computed from a :class:`Pipeline` snapshot.

A pipeline derived incrementally (:mod:`link_ls.pipeline.index`) is re-checked from its
base version's per-cell findings: only the edited cells, the nodes reading a name they
touched, their declared children and the cells with an LNK006 are checked again; every
other cell keeps its diagnostics. The result equals a check from scratch.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator
from dataclasses import dataclass, replace

from link_ls.analysis import CellAnalysis, Span
from link_ls.pipeline.codes import Code
from link_ls.pipeline.graph import Delta, Pipeline
from link_ls.pipeline.index import loose_definer
from link_ls.pipeline.model import Diagnostic, Severity

E, W, INFO, H = Severity.ERROR, Severity.WARNING, Severity.INFO, Severity.HINT


@dataclass(frozen=True)
class Checked:
    """One version's diagnostics by cell: what an incremental re-check starts from."""

    #: cell -> its diagnostics ordered by code (cells without any are absent)
    by_cell: dict[int, list[Diagnostic]]
    #: pipeline-wide findings (LNK001/002/008) by cell: they change only with the canvas
    shared: dict[int, list[Diagnostic]]
    #: cells with an LNK006, whose message names cells below them
    unused: frozenset[int]


def _first_use(a: CellAnalysis, name: str) -> Span | None:
    for o in a.occurrences:
        if o.name == name and o.kind in ("read", "mutate", "delete"):
            return o.span
    return None


def _head(p: Pipeline, idx: int) -> Span:
    first = p.cell(idx).source.split("\n", 1)[0]
    return Span(0, 0, 0, max(len(first), 1))


def check(p: Pipeline) -> list[Diagnostic]:
    """Every diagnostic for the notebook, ordered by cell then code."""
    checked = p.checked
    if checked is None:
        delta = p.delta
        if delta is not None and delta.checked is not None:
            checked = _recheck(p, delta)
        else:
            checked = _check_all(p)
        p.checked = checked
    by_cell = checked.by_cell
    return [d for i in sorted(by_cell) for d in by_cell[i]]


def _by_cell(found: Iterable[Diagnostic]) -> dict[int, list[Diagnostic]]:
    out: dict[int, list[Diagnostic]] = {}
    for d in found:
        out.setdefault(d.cell_index, []).append(d)
    return out


def _check_all(p: Pipeline) -> Checked:
    shared: dict[int, list[Diagnostic]] = {}
    if p.is_pipeline:
        shared = _by_cell([*_duplicates(p), *_links(p), *_cycles(p)])
    by_cell = _by_cell(_for_cells(p, None, shared))
    return Checked(by_cell, shared, _unused_cells(by_cell))


def _recheck(p: Pipeline, delta: Delta) -> Checked:
    prev: Checked = delta.checked
    affected = set(delta.changed) | delta.readers
    shared = prev.shared
    if p.is_pipeline:
        children = p.declared_by_child()[1]
        for k in delta.changed:
            affected.update(children.get(k, ()))
        affected |= prev.unused
        if any(k in shared for k in delta.changed):
            # their messages name canvas ids and names only; the span is the first line
            shared = dict(shared)
            for k in delta.changed:
                if k in shared:
                    shared[k] = [replace(d, span=_head(p, k)) for d in shared[k]]
    by_cell = dict(prev.by_cell)
    for i in affected:
        by_cell.pop(i, None)
    fresh = _by_cell(_for_cells(p, affected, shared))
    by_cell.update(fresh)
    unused = (prev.unused - affected) | _unused_cells(fresh)
    return Checked(by_cell, shared, unused)


def _unused_cells(by_cell: dict[int, list[Diagnostic]]) -> frozenset[int]:
    return frozenset(
        i for i, ds in by_cell.items() if any(d.code == Code.UNUSED_PARENT for d in ds)
    )


def _for_cells(
    p: Pipeline, only: Collection[int] | None, shared: dict[int, list[Diagnostic]]
) -> list[Diagnostic]:
    """The diagnostics of the cells ``only`` (every cell when None), ordered by cell and code."""
    out: list[Diagnostic] = []
    out.extend(_syntax(p, only))
    for idx in sorted(shared) if only is None else sorted(only):
        out.extend(shared.get(idx, ()))
    if p.is_pipeline:
        out.extend(_dataflow(p, only))
    else:
        out.extend(_plain(p, only))
    out.extend(_unknown(p, only))
    out.extend(_stray_components(p, only))
    out.sort(key=lambda d: (d.cell_index, d.code))
    return out


def _nodes(p: Pipeline, only: Collection[int] | None) -> Iterable[int]:
    if only is None:
        return p.nodes
    return sorted(i for i in only if i in p.position)


def _syntax(p: Pipeline, only: Collection[int] | None) -> Iterator[Diagnostic]:
    cells = sorted(p.analyses) if only is None else sorted(i for i in only if i in p.analyses)
    for idx in cells:
        a = p.analyses[idx]
        if a.syntax_error is not None:
            yield Diagnostic(
                Code.SYNTAX, E, f"syntax error: {a.syntax_error.message}", idx, a.syntax_error.span
            )


def _stray_components(p: Pipeline, only: Collection[int] | None) -> Iterator[Diagnostic]:
    cells = p.cells if only is None else [p.cells[i] for i in sorted(only)]
    for c in cells:
        if c.is_stray_component:
            yield Diagnostic(
                Code.STRAY_COMPONENT,
                E,
                f"this {c.cell_type} cell is still marked as a Link component:"
                " Link cannot open the notebook; link-ls ignores the mark",
                c.index,
                _head(p, c.index),
                {"child": c.cell_id or c.position, "cellType": c.cell_type},
            )


def _unknown(p: Pipeline, only: Collection[int] | None) -> Iterator[Diagnostic]:
    for idx in _nodes(p, only):
        a = p.analyses[idx]
        if a.unknown:
            yield Diagnostic(
                Code.UNKNOWN_DEFS,
                INFO,
                f"dependencies unknown: {', '.join(a.unknown)} may define any name",
                idx,
                _head(p, idx),
            )


def _duplicates(p: Pipeline) -> Iterator[Diagnostic]:
    seen_id: dict[str, int] = {}
    seen_name: dict[str, int] = {}
    for idx in p.nodes:
        comp = p.cell(idx).canvas
        assert comp is not None
        if comp.id in seen_id:
            first = p.cell(seen_id[comp.id])
            yield Diagnostic(
                Code.DUPLICATE,
                E,
                f"duplicate component id {comp.id} (also on {first.position} {first.name})",
                idx,
                _head(p, idx),
                {"kind": "id", "first": seen_id[comp.id] + 1},
            )
        else:
            seen_id[comp.id] = idx
        if comp.name and comp.name in seen_name:
            first = p.cell(seen_name[comp.name])
            yield Diagnostic(
                Code.DUPLICATE,
                E,
                f"duplicate component name {comp.name!r} (also {first.position})",
                idx,
                _head(p, idx),
                {"kind": "name", "first": seen_name[comp.name] + 1},
            )
        elif comp.name:
            seen_name[comp.name] = idx
        if not comp.id:
            yield Diagnostic(Code.DUPLICATE, E, "component has no canvas id", idx, _head(p, idx))


def _links(p: Pipeline) -> Iterator[Diagnostic]:
    for link in p.links:
        label = link.parent_name or link.parent_id
        if link.problem == "missing":
            msg = f"parent {label!r} ({link.parent_id}) not found in this notebook"
        elif link.problem == "not-component":
            msg = f"parent {label!r} is not a component"
        else:
            continue
        yield Diagnostic(
            Code.BAD_PARENT,
            E,
            msg,
            link.child,
            _head(p, link.child),
            {"parentId": link.parent_id, "child": p.node_id(link.child)},
        )


def _cycles(p: Pipeline) -> Iterator[Diagnostic]:
    import networkx as nx  # imported on first use: most re-checks never get here

    for scc in nx.strongly_connected_components(p.graph):
        if len(scc) == 1:
            (n,) = scc
            if not p.graph.has_edge(n, n):
                continue
            cyc = [(n, n)]
        else:
            cyc = [(int(a), int(b)) for a, b, *_ in nx.find_cycle(p.graph.subgraph(scc))]
        path = " → ".join([p.cell(a).name for a, _ in cyc] + [p.cell(cyc[0][0]).name])
        edges = [{"source": p.node_id(a), "target": p.node_id(b)} for a, b in cyc]
        for idx in sorted(scc):
            yield Diagnostic(
                Code.CYCLE,
                E,
                f"cycle in the pipeline: {path}",
                idx,
                _head(p, idx),
                {"edges": edges},
            )


def _suppliers(p: Pipeline) -> dict[str, list[int]]:
    """Name -> the nodes that define or mutate it, in notebook order."""
    if p.name_index is not None:
        suppliers: dict[str, list[int]] = p.name_index.suppliers
        return suppliers
    providers: dict[str, list[int]] = {}
    an = p.analyses
    for idx in p.nodes:
        for n in an[idx].provides:
            providers.setdefault(n, []).append(idx)
    return providers


def _dataflow(p: Pipeline, only: Collection[int] | None) -> Iterator[Diagnostic]:
    """LNK003/4/5/6 for pipeline notebooks: reads checked against declared ancestry."""
    an = p.analyses
    providers = _suppliers(p)
    anc = p.ancestor_bits()
    undefined = set(p.undefined)
    parents_of = p.declared_by_child()[0]
    for idx in _nodes(p, only):
        a = an[idx]
        my_anc = anc[idx]
        for name in sorted(a.reads):
            provs = [q for q in providers.get(name, ()) if q != idx]
            if not provs:
                if (idx, name) in undefined:
                    yield _undefined(p, idx, name)
                continue
            in_anc = [q for q in provs if my_anc & p.bit(q)]
            if not in_anc:
                before = [q for q in provs if q < idx]
                suggest = before[-1] if before else provs[0]
                yield Diagnostic(
                    Code.MISSING_PARENT,
                    W,
                    f"{name!r} comes from {p.cell(suggest).name}, which is not an ancestor"
                    " of this component",
                    idx,
                    _first_use(a, name),
                    {
                        "name": name,
                        "parent": p.node_id(suggest),
                        "parentName": p.cell(suggest).name,
                        "candidates": [p.node_id(q) for q in provs],
                    },
                )
                continue
            defs = [q for q in in_anc if name in an[q].defs]
            unordered = [
                (x, y)
                for i, x in enumerate(defs)
                for y in defs[i + 1 :]
                if not (anc[y] & p.bit(x) or anc[x] & p.bit(y))
            ]
            if unordered:
                x, y = unordered[0]
                yield Diagnostic(
                    Code.AMBIGUOUS,
                    W,
                    f"{name!r} is defined by both {p.cell(x).name} and {p.cell(y).name};"
                    " the value depends on run order",
                    idx,
                    _first_use(a, name),
                    {"name": name, "definers": [p.node_id(x), p.node_id(y)]},
                )
        yield from _unused_parents(p, idx, providers, parents_of.get(idx, []))


def _unused_parents(
    p: Pipeline, idx: int, providers: dict[str, list[int]], parents: list[int]
) -> Iterator[Diagnostic]:
    an = p.analyses
    a = an[idx]
    anc = p.ancestor_bits()
    for par in parents:
        assert par is not None
        pa = an[par]
        if pa.unknown or pa.provides & a.reads:
            continue
        others = 0
        for q in parents:
            if q != par and q is not None:
                others |= anc[q] | p.bit(q)
        needed = False
        for name in a.reads:
            pbits = 0
            for q in providers.get(name, ()):
                pbits |= p.bit(q)
            if pbits & anc[idx] and not pbits & others:
                needed = True
                break
        if needed:
            continue
        pc = p.cell(par)
        below = _needed_below(p, par, idx, providers)
        msg = f"parent {pc.name} provides nothing this component reads"
        data: dict[str, object] = {
            "parent": p.node_id(par),
            "parentName": pc.name,
            "child": p.node_id(idx),
        }
        if below:
            names = ", ".join(p.cell(d).name for d in below)
            msg += f"; {names} below {'needs' if len(below) == 1 else 'need'} it through this edge"
            data["neededBy"] = [p.node_id(d) for d in below]
        yield Diagnostic(Code.UNUSED_PARENT, H, msg, idx, _head(p, idx), data)


def _needed_below(p: Pipeline, par: int, idx: int, providers: dict[str, list[int]]) -> list[int]:
    """Descendants of ``idx`` that would lose a provider of a name they read without the edge.

    Removing ``par -> idx`` must never create an LNK003 below: the quick fix moves the edge
    down to these cells instead (topmost ones only: the rest inherit ``par`` through them).
    """
    import networkx as nx

    g = p.graph.copy()
    g.remove_edge(par, idx)
    anc = p.ancestor_bits()
    broken: list[int] = []
    for d in sorted(nx.descendants(p.graph, idx)):
        new_anc = 0
        for q in nx.ancestors(g, d):
            new_anc |= p.bit(q)
        lost = anc[d] & ~new_anc
        if not lost:
            continue
        for name in p.analyses[d].reads:
            pbits = 0
            for q in providers.get(name, ()):
                if q != d:
                    pbits |= p.bit(q)
            if pbits & lost and not pbits & new_anc:
                broken.append(d)
                break
    return [d for d in broken if not any(p.is_ancestor(b, d) for b in broken if b != d)]


def _undefined(p: Pipeline, idx: int, name: str) -> Diagnostic:
    msg = f"{name!r} is read but no cell defines it"
    if p.is_pipeline:
        # a plain cell may define it, but a pipeline run executes components only
        loose = loose_definer(p, name)
        if loose is not None:
            msg = f"{name!r} is defined only by {p.cell(loose).position}, which is not a component"
    return Diagnostic(
        Code.UNDEFINED, W, msg, idx, _first_use(p.analyses[idx], name), {"name": name}
    )


def _plain(p: Pipeline, only: Collection[int] | None) -> Iterator[Diagnostic]:
    for idx, name, definer in p.out_of_order:
        if only is not None and idx not in only:
            continue
        yield Diagnostic(
            Code.OUT_OF_ORDER,
            W,
            f"{name!r} is read before the cell that defines it ({p.cell(definer).position})",
            idx,
            _first_use(p.analyses[idx], name),
            {"name": name, "definer": p.node_id(definer)},
        )
    if p.has_unknown:
        return
    for idx, name in p.undefined:
        if only is None or idx in only:
            yield _undefined(p, idx, name)
