"""Run plans: what to execute, in which order, to run up to a cell, one cell, or all."""

from __future__ import annotations

from link_ls.errors import PipelineError
from link_ls.pipeline.graph import Pipeline
from link_ls.pipeline.model import PlanStep, RunPlan


def _ordered(p: Pipeline, members: set[int]) -> list[int]:
    import networkx as nx

    sub = p.graph.subgraph(members)
    try:
        return list(nx.lexicographical_topological_sort(sub, key=lambda n: n))
    except nx.NetworkXUnfeasible:
        cyc = nx.find_cycle(sub)
        names = " → ".join(p.cell(int(a)).name for a, *_ in cyc)
        raise PipelineError(
            f"{p.notebook.display_name}: cannot plan a run through a cycle: {names}"
        ) from None


def _steps(p: Pipeline, order: list[int]) -> tuple[PlanStep, ...]:
    return tuple(PlanStep(i, p.node_id(i), p.cell(i).name) for i in order)


def _require_node(p: Pipeline, index: int) -> None:
    if index not in p.graph:
        c = p.cell(index)
        kind = "a component" if p.is_pipeline else "a code cell"
        raise PipelineError(f"{p.notebook.display_name}: {c.position} ({c.name}) is not {kind}")


def plan_up_to(p: Pipeline, index: int) -> RunPlan:
    """The target's ancestors plus the target, topologically, ties by notebook order."""
    _require_node(p, index)
    import networkx as nx

    members = set(nx.ancestors(p.graph, index)) | {index}
    return RunPlan("upTo", p.node_id(index), _steps(p, _ordered(p, members)))


def plan_cell(p: Pipeline, index: int) -> RunPlan:
    _require_node(p, index)
    return RunPlan("cell", p.node_id(index), _steps(p, [index]))


def plan_all(p: Pipeline) -> RunPlan:
    return RunPlan("all", None, _steps(p, _ordered(p, set(p.nodes))))


def plan(p: Pipeline, mode: str, index: int | None) -> RunPlan:
    if mode == "all":
        return plan_all(p)
    if index is None:
        raise PipelineError(f"mode {mode!r} needs a target cell")
    if mode == "upTo":
        return plan_up_to(p, index)
    if mode == "cell":
        return plan_cell(p, index)
    raise PipelineError(f"unknown run mode {mode!r} (use upTo, cell or all)")


def up_to_sizes(p: Pipeline) -> dict[int, int]:
    """For every node, the number of steps :func:`plan_up_to` gives it (its ancestors and
    itself), all in one pass over the graph: a view of every cell's "run up to" size
    would otherwise plan 1,000 runs for 1,000 components. A cycle raises as a plan does."""
    import networkx as nx

    try:
        order = list(nx.topological_sort(p.graph))
    except nx.NetworkXUnfeasible:
        _ordered(p, set(p.nodes))  # raises, naming the cycle
        raise
    # ancestors as bit sets over the topological positions
    bit = {n: 1 << i for i, n in enumerate(order)}
    below: dict[int, int] = {}
    for n in order:
        seen = bit[n]
        for parent in p.graph.predecessors(n):
            seen |= below[parent]
        below[n] = seen
    return {n: below[n].bit_count() for n in order}
