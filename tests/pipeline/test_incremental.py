"""Incremental re-builds and re-checks after edits equal a from-scratch ``check(build(nb))``.

A state machine edits plain and pipeline notebooks (Link canvas metadata) the way an
editor does: in place (``Notebook.set_source``) or as a new notebook object whose
unchanged cells keep their views, one or several cells at a time, inserting and deleting
cells, renaming components and re-linking parents; after every step the DAG and the
diagnostics of the incremental path must equal those of a fresh build.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from link_ls.notebook.model import Notebook
from link_ls.pipeline import build, check
from link_ls.pipeline.index import build_after
from link_ls.usecases.diagnose import diagnose
from tests.fuzzing import examples
from tests.nbmake import cid, code, component, markdown, notebook

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
    "print(nope)",
    "len = print",
    "",
    "x = (",
    "def f():\n    return y",
    "q = 2\nprint(undefined_name)",
    "<<<<<<< ours\nx = 1\n=======\nx = 2\n>>>>>>> theirs",
]


@dataclass
class Rec:
    """One cell as the test edits it; ``uid`` stays with the cell (its nbformat id)."""

    uid: int
    src: str
    kind: str  # "code" | "md" | "comp" | "stray" (markdown still marked as a component)
    parent: int | None = None  # uid of the parent component
    name: str = ""


def cells_of(recs: list[Rec]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for r in recs:
        if r.kind in ("md", "stray"):
            c = markdown(r.src)
        elif r.kind == "code":
            c = code(r.src)
        else:
            parents = [] if r.parent is None else [f"c{r.parent}"]
            c = component(r.name or f"c{r.uid}", r.src, parents, id=cid(f"c{r.uid}"))
        if r.kind == "stray":
            c["metadata"]["canvas"] = {"id": cid(f"c{r.uid}"), "name": "s", "isComponent": True}
        c["id"] = f"cell-{r.uid}"
        out.append(c)
    return out


def descriptions(nb: Notebook) -> list[dict[str, Any]]:
    return [d.to_json() for d in diagnose(nb, build(nb))]


KINDS = st.sampled_from(["code", "md", "comp", "stray"])


class Edits(RuleBasedStateMachine):
    @initialize(
        sources=st.lists(st.sampled_from(VOCAB), min_size=1, max_size=8),
        pipeline=st.booleans(),
    )
    def start(self, sources: list[str], pipeline: bool) -> None:
        kind = "comp" if pipeline else "code"
        self.recs = [Rec(i, s, kind, i - 1 if i else None) for i, s in enumerate(sources)]
        self.uids = len(sources)
        self.nb = notebook(cells_of(self.recs))
        self.pipe = build(self.nb)
        diagnose(self.nb, self.pipe)

    def _refresh(self) -> None:
        """A new notebook object, as the server makes: unchanged cells keep their views."""
        nb = notebook(cells_of(self.recs))
        old_raw = self.nb.raw_cells
        for i, raw in enumerate(nb.raw_cells):
            if i < len(old_raw) and old_raw[i] == raw:
                nb.raw_cells[i] = old_raw[i]
        nb.reuse_views_from(self.nb)
        self.nb = nb
        self._step()

    def _step(self) -> None:
        self.pipe = build_after(self.pipe, self.nb)
        diagnose(self.nb, self.pipe)

    def _pick(self, data: st.DataObject) -> int:
        return data.draw(st.integers(0, len(self.recs) - 1))

    @rule(data=st.data(), src=st.sampled_from(VOCAB), in_place=st.booleans())
    def edit(self, data: st.DataObject, src: str, in_place: bool) -> None:
        i = self._pick(data)
        self.recs[i].src = src
        if in_place:
            self.nb.set_source(i, src)
            self._step()
        else:
            self._refresh()

    @rule(data=st.data(), srcs=st.lists(st.sampled_from(VOCAB), min_size=2, max_size=3))
    def edit_several(self, data: st.DataObject, srcs: list[str]) -> None:
        for src in srcs:
            self.recs[self._pick(data)].src = src
        self._refresh()

    @rule(data=st.data(), src=st.sampled_from(VOCAB), kind=KINDS, delete=st.booleans())
    def insert_or_delete(self, data: st.DataObject, src: str, kind: str, delete: bool) -> None:
        if delete and len(self.recs) > 1:
            del self.recs[self._pick(data)]
        else:
            i = data.draw(st.integers(0, len(self.recs)))
            parent = data.draw(st.none() | st.sampled_from([r.uid for r in self.recs]))
            self.recs.insert(i, Rec(self.uids, src, kind, parent))
            self.uids += 1
        self._refresh()

    @rule(data=st.data(), what=st.sampled_from(["kind", "parent", "name"]))
    def canvas(self, data: st.DataObject, what: str) -> None:
        """A cell's kind, its component's parent, or its name (maybe a duplicate) changes."""
        rec = self.recs[self._pick(data)]
        if what == "kind":
            rec.kind = data.draw(KINDS)
        elif what == "parent":
            rec.parent = data.draw(st.none() | st.sampled_from([r.uid for r in self.recs]))
        else:
            rec.name = data.draw(st.sampled_from(["", "dup"]))
        self._refresh()

    @invariant()
    def same_as_fresh(self) -> None:
        fresh = build(self.nb)
        assert self.pipe.edges() == fresh.edges()
        assert self.pipe.inferred == fresh.inferred
        assert self.pipe.out_of_order == fresh.out_of_order
        assert self.pipe.undefined == fresh.undefined
        assert [d.to_json() for d in check(self.pipe)] == [d.to_json() for d in check(fresh)]
        assert [d.to_json() for d in diagnose(self.nb, self.pipe)] == descriptions(self.nb)


Edits.TestCase.settings = settings(
    max_examples=examples(40), stateful_step_count=15, deadline=None, derandomize=True
)
TestIncremental = Edits.TestCase
