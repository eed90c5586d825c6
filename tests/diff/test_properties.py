"""Property tests: the diff names exactly the cells and edges that were edited, and nothing else."""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from link_ls.diff.align import align_cells
from link_ls.diff.compute import diff_notebooks
from link_ls.diff.model import CellStatus
from link_ls.notebook import Notebook
from tests.nbmake import cid, code, component, notebook

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _source(k: int, salt: int) -> str:
    return f"# step {k}\nvalue_{k} = compute({salt}, 'input_{k}')\nresult_{k} = value_{k} * {k}\n"


@dataclass
class Case:
    old: Notebook
    new: Notebook
    modified: set[str]
    removed: set[str]
    added: set[str]


def _edges(nb: Notebook) -> set[tuple[str, str]]:
    out: set[tuple[str, str]] = set()
    for c in nb.cells:
        if c.canvas is not None:
            out |= {(p.id, c.canvas.id) for p in c.canvas.parents}
    return out


@st.composite
def pipeline_edits(draw: st.DrawFn) -> Case:
    n = draw(st.integers(2, 12))
    salt = draw(st.integers(0, 10**6))
    names = [f"c{k}" for k in range(n)]
    cells: list[dict[str, Any]] = []
    for k, name in enumerate(names):
        parents = [p for p in names[:k] if draw(st.booleans())] if k else []
        cells.append(component(name, _source(k, salt), parents))
    old = notebook(cells)
    keep_ids = draw(st.booleans())
    if not keep_ids:  # nbformat 4.4: only Link's canvas ids identify cells
        for c in old.raw_cells:
            c.pop("id", None)
        old.node["nbformat_minor"] = 4
        old.touch()
    raw = copy.deepcopy(old.raw_cells)
    by_name = {c["metadata"]["canvas"]["name"]: c for c in raw}
    modified = set(draw(st.sets(st.sampled_from(names))))
    removed = set(draw(st.sets(st.sampled_from(names), max_size=n - 1)))
    for name in modified:
        by_name[name]["source"] += f"tweak = '{name}'\n"
    raw = [c for c in raw if c["metadata"]["canvas"]["name"] not in removed]
    # a dangling parent is not an edge; drop parents of removed components like an editor does
    for c in raw:
        c["metadata"]["canvas"]["parents"] = [
            p for p in c["metadata"]["canvas"]["parents"] if p["name"] not in removed
        ]
    # toggle some edges among what is left (earlier → later keeps it a DAG)
    left = [c["metadata"]["canvas"]["name"] for c in raw]
    for _ in range(draw(st.integers(0, 4))):
        if len(left) < 2:
            break
        i = draw(st.integers(0, len(left) - 2))
        j = draw(st.integers(i + 1, len(left) - 1))
        canvas = raw[j]["metadata"]["canvas"]
        ref = {"id": cid(left[i]), "name": left[i]}
        if ref in canvas["parents"]:
            canvas["parents"].remove(ref)
        else:
            canvas["parents"].append(ref)
    added: set[str] = set()
    for u in range(draw(st.integers(0, 3))):
        name = f"new{u}"
        pos = draw(st.integers(0, len(raw)))
        parents = [left[draw(st.integers(0, len(left) - 1))]] if left else []
        cell = component(name, f"brand_new_{u}_{salt}()\n", parents)
        if not keep_ids:
            cell.pop("id", None)
        raw.insert(pos, cell)
        added.add(name)
    # move one unmodified survivor somewhere else: still the same cell
    if len(raw) > 2 and draw(st.booleans()):
        cell = raw.pop(draw(st.integers(0, len(raw) - 1)))
        raw.insert(draw(st.integers(0, len(raw))), cell)
    new = Notebook(copy.deepcopy(old.node))
    new.node["cells"] = raw
    new.touch()
    return Case(old, new, modified - removed, removed, added)


@SETTINGS
@given(pipeline_edits())
def test_diff_names_exactly_the_edited_cells_and_edges(case: Case) -> None:
    d = diff_notebooks(case.old, case.new)

    def names(status: CellStatus) -> set[str]:
        return {c.side.name for c in d.cells if c.status is status}

    assert names(CellStatus.MODIFIED) == case.modified
    assert names(CellStatus.REMOVED) == case.removed
    assert names(CellStatus.ADDED) == case.added
    assert d.pipeline is not None
    old_e, new_e = _edges(case.old), _edges(case.new)
    got_added = {
        (e.source.component_id, e.target.component_id) for e in d.pipeline.edges if e.op == "added"
    }
    got_removed = {
        (e.source.component_id, e.target.component_id)
        for e in d.pipeline.edges
        if e.op == "removed"
    }
    assert got_added == new_e - old_e
    assert got_removed == old_e - new_e
    comps = {(c.op, c.node.name) for c in d.pipeline.components}
    assert comps == {("added", n) for n in case.added} | {("removed", n) for n in case.removed}


@st.composite
def plain_edits(draw: st.DrawFn) -> Case:
    """Plain cells without any ids: alignment rests on content alone."""
    n = draw(st.integers(1, 25))
    salt = draw(st.integers(0, 10**6))
    old = notebook([code(_source(k, salt)) for k in range(n)])
    for c in old.raw_cells:
        c.pop("id", None)
    old.node["nbformat_minor"] = 4
    old.touch()
    raw = copy.deepcopy(old.raw_cells)
    modified = set(draw(st.sets(st.integers(0, n - 1))))
    removed = set(draw(st.sets(st.integers(0, n - 1))))
    for k in modified:
        raw[k]["source"] += f"tweak_{k} = True\n"
    raw = [c for k, c in enumerate(raw) if k not in removed]
    added: set[str] = set()
    for u in range(draw(st.integers(0, 3))):
        raw.insert(draw(st.integers(0, len(raw))), code(f"fresh_{u}_{salt} = object()\n"))
        raw[-1].pop("id", None)
        added.add(f"fresh_{u}_{salt}")
    for c in raw:
        c.pop("id", None)
    new = Notebook(copy.deepcopy(old.node))
    new.node["cells"] = raw
    new.touch()
    return Case(
        old, new, {f"#{k + 1}" for k in modified - removed}, {f"#{k + 1}" for k in removed}, added
    )


@SETTINGS
@given(plain_edits())
def test_plain_notebook_diff_is_exact_without_ids(case: Case) -> None:
    d = diff_notebooks(case.old, case.new)
    modified = {c.old.position for c in d.cells if c.status is CellStatus.MODIFIED and c.old}
    removed = {c.old.position for c in d.cells if c.status is CellStatus.REMOVED and c.old}
    added = {
        case.new.cells[c.new.index].source.split(" =")[0]
        for c in d.cells
        if c.status is CellStatus.ADDED and c.new
    }
    assert modified == case.modified
    assert removed == case.removed
    assert added == case.added
    assert not any(c.status is CellStatus.MOVED for c in d.cells)


@SETTINGS
@given(pipeline_edits())
def test_aligning_a_notebook_with_itself_gives_no_change(case: Case) -> None:
    for nb in (case.old, case.new):
        n = len(nb.cells)
        assert align_cells(nb.cells, nb.cells) == [(k, k) for k in range(n)]
        d = diff_notebooks(nb, Notebook(copy.deepcopy(nb.node)))
        assert not d.changed
        assert d.pipeline is not None and not d.pipeline.edges
