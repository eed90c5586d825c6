"""Run plans: ancestors plus target, topologically, ties broken by notebook order."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from link_ls.errors import PipelineError
from link_ls.pipeline import build, plan_all, plan_cell, plan_up_to, up_to_sizes
from tests.nbmake import code, component, markdown, notebook


def names(plan: object) -> list[str]:
    return [s.name for s in plan.steps]  # type: ignore[attr-defined]


def test_up_to_runs_only_ancestors_in_order() -> None:
    nb = notebook(
        [
            component("load", "data = 1"),
            component("unrelated", "z = 0"),
            component("b", "bb = data", ["load"]),
            component("a", "aa = data", ["load"]),
            component("join", "r = aa + bb", ["a", "b"]),
            component("after", "print(r)", ["join"]),
        ]
    )
    p = build(nb)
    assert names(plan_up_to(p, 4)) == ["load", "b", "a", "join"]


def test_ties_follow_notebook_order_not_declaration_order() -> None:
    nb = notebook(
        [
            component("second_declared", "s = 1"),
            component("first_declared", "f = 1"),
            component("t", "print(s, f)", ["first_declared", "second_declared"]),
        ]
    )
    assert names(plan_up_to(build(nb), 2)) == ["second_declared", "first_declared", "t"]


def test_topology_beats_notebook_order() -> None:
    nb = notebook([component("late", "y = x", ["early"]), component("early", "x = 1")])
    assert names(plan_up_to(build(nb), 0)) == ["early", "late"]


def test_plain_notebook_plan_uses_inferred_edges() -> None:
    nb = notebook([markdown("m"), code("a = 1"), code("b = 2"), code("c = a * 3"), code("d = c")])
    p = build(nb)
    assert [s.index for s in plan_up_to(p, 4).steps] == [1, 3, 4]
    assert [s.index for s in plan_cell(p, 4).steps] == [4]
    assert [s.index for s in plan_all(p).steps] == [1, 2, 3, 4]


def test_plan_through_a_cycle_is_a_clear_error() -> None:
    nb = notebook([component("a", "x = 1", ["b"]), component("b", "y = 2", ["a"])])
    with pytest.raises(PipelineError, match="cycle"):
        plan_up_to(build(nb), 1)


def test_plan_for_a_non_component_is_an_error() -> None:
    nb = notebook([markdown("# title"), component("a", "x = 1")])
    with pytest.raises(PipelineError, match="not a component"):
        plan_up_to(build(nb), 0)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(st.integers(min_value=0, max_value=30), max_size=4), max_size=30))
def test_up_to_sizes_are_the_sizes_of_the_plans(parents: list[list[int]]) -> None:
    # a random DAG: each component's parents are among the components above it
    cells = [
        component(f"c{i}", f"v{i} = {i}", sorted({f"c{j % i}" for j in ps}) if i else [])
        for i, ps in enumerate(parents)
    ]
    p = build(notebook(cells))
    assert up_to_sizes(p) == {i: len(plan_up_to(p, i).steps) for i in p.nodes}


def test_up_to_sizes_refuse_a_cycle_as_a_plan_does() -> None:
    p = build(notebook([component("a", "x = y", ["b"]), component("b", "y = x", ["a"])]))
    with pytest.raises(PipelineError, match="cycle"):
        up_to_sizes(p)
