"""Which steps a cached "run up to" restores, executes and skips (table-driven, no kernel)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pytest

from link_ls.cache import CacheStore, preview_plan
from link_ls.cache.planner import Disposition, decide_steps
from link_ls.notebook import load
from link_ls.pipeline import build, plan_all, plan_up_to
from tests.cache.entries import copy_fixture, fill_store
from tests.nbmake import code, component, notebook

R, E, S = Disposition.RESTORE, Disposition.EXECUTE, Disposition.SKIP

# a -> b -> c -> d (target); side branch a -> s
CHAIN = [
    component("a", "x = 1"),
    component("b", "y = x + 1", ["a"]),
    component("c", "z = y + x", ["b"]),
    component("d", "print(z)", ["c"]),
    component("s", "w = x", ["a"]),
]


@dataclass(frozen=True)
class Case:
    name: str
    cached: frozenset[str]
    expected: dict[str, Disposition]
    target: str = "d"
    cells: list[dict[str, object]] = field(default_factory=lambda: CHAIN)
    absent: dict[str, frozenset[str]] = field(default_factory=dict)


CASES = [
    Case("nothing cached: everything executes", frozenset(), {"a": E, "b": E, "c": E, "d": E}),
    Case(
        "target cached: restore it, skip the rest",
        frozenset("abcd"),
        {"a": S, "b": S, "c": S, "d": R},
    ),
    Case(
        "parent cached: restore it and what the target reads through it",
        frozenset("abc"),
        {"a": S, "b": S, "c": R, "d": E},
    ),
    # c reads x from a directly (not through b): a must be restored as well
    Case(
        "middle cached: restore b, and a for the x that c reads",
        frozenset("ab"),
        {"a": R, "b": R, "c": E, "d": E},
    ),
    # after an edit of b, only a's entry still matches its (unchanged) key
    Case(
        "upstream edited (b has no entry): execute from b down",
        frozenset("a"),
        {"a": R, "b": E, "c": E, "d": E},
    ),
    Case(
        "other branch: only its own ancestors are planned",
        frozenset("abcds"),
        {"a": S, "s": R},
        target="s",
    ),
]


def _run(case: Case) -> dict[str, Disposition]:
    nb = notebook(case.cells)
    p = build(nb)
    by_name = {nb.cells[i].name: i for i in p.nodes}
    plan = plan_up_to(p, by_name[case.target])
    steps = [s.index for s in plan.steps]
    restorable = {by_name[n]: case.absent.get(n, frozenset()) for n in case.cached if n in by_name}
    got = decide_steps(p, steps, [steps[-1]], restorable)
    return {nb.cells[i].name: d for i, d in got.items()}


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_dispositions(case: Case) -> None:
    assert _run(case) == case.expected


def test_run_all_restores_every_cached_step_and_executes_the_rest() -> None:
    nb = notebook(CHAIN)
    p = build(nb)
    steps = [s.index for s in plan_all(p).steps]
    got = decide_steps(p, steps, steps, {0: frozenset(), 1: frozenset()})
    assert [got[i] for i in steps] == [R, R, E, E, E]


def test_plain_notebook_mutation_is_restored_from_the_mutating_cell() -> None:
    nb = notebook([code("xs = []"), code("xs.append(1)"), code("n = len(xs)\nprint(n)")])
    p = build(nb)
    steps = [s.index for s in plan_up_to(p, 2).steps]
    got = decide_steps(p, steps, [2], {0: frozenset(), 1: frozenset()})
    # xs as the second cell left it: restoring cell 1 alone is enough
    assert got == {0: S, 1: R, 2: E}


def test_a_cell_with_unknown_definitions_is_kept_when_a_name_may_come_from_it() -> None:
    nb = notebook([code("from os.path import *"), code("x = 1"), code("print(join('a', 'b'), x)")])
    p = build(nb)
    steps = [s.index for s in plan_up_to(p, 2).steps]
    got = decide_steps(p, steps, [2], {1: frozenset()})
    assert got[0] is E and got[1] is R and got[2] is E


def test_preview_plan_reads_the_store_like_a_run_would(tmp_path: Path) -> None:
    nb_path = copy_fixture("diskcache-pipeline.ipynb", tmp_path)
    nb = load(nb_path)
    fill_store(nb, CacheStore.for_notebook(nb_path), ["load", "total"])
    report = next(c.index for c in nb.cells if c.name == "report")
    got = preview_plan(nb, plan_up_to(build(nb), report), CacheStore.for_notebook(nb_path))
    names = {nb.cells[i].name: d for i, d in got.items()}
    # evens is not cached, so it executes and needs data: load is restored
    assert names == {"load": R, "square": S, "total": R, "evens": E, "report": E}
