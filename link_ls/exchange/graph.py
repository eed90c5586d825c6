"""The graph inside a pipeline file: validity (ids, dangling parents, cycles) and order."""

from __future__ import annotations

from collections.abc import Iterable

import networkx as nx

from link_ls.exchange.errors import ExchangeError, ExchangeFormatError
from link_ls.exchange.model import ExchangeComponent, ExchangePipeline
from link_ls.notebook import ComponentId


def _digraph(pipe: ExchangePipeline) -> nx.DiGraph[ComponentId]:
    g: nx.DiGraph[ComponentId] = nx.DiGraph()
    for c in pipe.components:
        g.add_node(c.id)
    for c in pipe.components:
        for p in c.parents:
            if p in g:
                g.add_edge(p, c.id)
    return g


def validate(
    pipe: ExchangePipeline, name: str, error: type[ExchangeError] = ExchangeFormatError
) -> None:
    """Raise ``error`` (one line, naming ``name``) unless the file's graph is usable."""
    seen: dict[ComponentId, str] = {}
    for c in pipe.components:
        if c.id in seen:
            raise error(f"{name}: duplicate component id {c.id!r} ({seen[c.id]!r} and {c.name!r})")
        seen[c.id] = c.name
    external = {e.id for e in pipe.external}
    for e in pipe.external:
        if e.id in seen:
            raise error(f"{name}: id {e.id!r} is both a component and an external parent")
    for c in pipe.components:
        for p in c.parents:
            if p not in seen and p not in external:
                raise error(f"{name}: component {c.name!r} has parent {p!r}, which names nothing")
        if len(set(c.parents)) != len(c.parents):
            raise error(f"{name}: component {c.name!r} lists a parent twice")
    params: set[str] = set()
    for prm in pipe.parameters:
        if prm.name in params:
            raise error(f"{name}: parameter {prm.name!r} is defined twice")
        params.add(prm.name)
    g = _digraph(pipe)
    try:
        cycle = nx.find_cycle(g)
    except nx.NetworkXNoCycle:
        return
    names = [seen[u] or u for u, _v in cycle]
    raise error(f"{name}: cycle in the pipeline: {' -> '.join([*names, names[0]])}")


def topological(pipe: ExchangePipeline) -> list[ExchangeComponent]:
    """Components parents-first; among the ready ones, file order first."""
    pos = {c.id: i for i, c in enumerate(pipe.components)}
    by_id = {c.id: c for c in pipe.components}
    order = nx.lexicographical_topological_sort(_digraph(pipe), key=lambda n: pos[n])
    return [by_id[n] for n in order]


def with_ancestors(pipe: ExchangePipeline, ids: Iterable[ComponentId]) -> set[ComponentId]:
    """``ids`` and every component upstream of them."""
    g = _digraph(pipe)
    out: set[ComponentId] = set()
    for i in ids:
        out.add(i)
        out |= nx.ancestors(g, i)
    return out
