"""Incremental re-build after one-cell edits equals a from-scratch build (edges, diagnostics)."""

from __future__ import annotations

from typing import Any

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from link_ls.analysis import default_cache
from link_ls.pipeline import build
from link_ls.pipeline.graph import _analyses
from link_ls.pipeline.index import rebuilt
from link_ls.usecases.diagnose import diagnose
from tests.nbmake import code, component, notebook

VOCAB = [
    "x = 1",
    "y = x + 1",
    "print(x, y)",
    "x.append(y)",
    "del y",
    "z = len(w)",
    "w = [x]",
    "from os import *",
    "x = y",
    "print(w, z, q)",
    "len = print",
    "",
    "def f():\n    return y",
]


def cells_of(sources: list[str], pipeline: bool) -> list[dict[str, Any]]:
    if not pipeline:
        return [code(s) for s in sources]
    names = [f"c{i}" for i in range(len(sources))]
    return [
        component(n, s, [names[i - 1]] if i else [])
        for i, (n, s) in enumerate(zip(names, sources, strict=True))
    ]


class Edits(RuleBasedStateMachine):
    @initialize(
        sources=st.lists(st.sampled_from(VOCAB), min_size=1, max_size=8),
        pipeline=st.booleans(),
    )
    def start(self, sources: list[str], pipeline: bool) -> None:
        self.sources = sources
        self.is_pipeline = pipeline
        self.pipe = build(notebook(cells_of(sources, pipeline)))

    @rule(data=st.data(), src=st.sampled_from(VOCAB))
    def edit(self, data: st.DataObject, src: str) -> None:
        i = data.draw(st.integers(0, len(self.sources) - 1))
        self.sources = [*self.sources[:i], src, *self.sources[i + 1 :]]
        nb = notebook(cells_of(self.sources, self.is_pipeline))
        code_cells = [c.index for c in nb.cells if c.is_code]
        self.pipe = rebuilt(self.pipe, nb, _analyses(nb, default_cache, code_cells))

    @invariant()
    def same_as_fresh(self) -> None:
        fresh = build(self.pipe.notebook)
        assert self.pipe.edges() == fresh.edges()
        assert self.pipe.inferred == fresh.inferred
        assert self.pipe.out_of_order == fresh.out_of_order
        assert self.pipe.undefined == fresh.undefined
        assert diagnose(self.pipe.notebook, self.pipe) == diagnose(fresh.notebook, fresh)


Edits.TestCase.settings = settings(max_examples=60, stateful_step_count=20, deadline=None)
TestIncremental = Edits.TestCase
