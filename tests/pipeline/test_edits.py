"""``link_ls.pipeline.edits``: edges added and removed, plain notebooks made pipelines."""

from __future__ import annotations

import pytest

from link_ls.errors import UsageError
from link_ls.notebook import Notebook, dumps
from link_ls.pipeline import build, check
from link_ls.pipeline.edits import add_edge, remove_edge, to_pipeline
from tests.nbmake import code, component, markdown, notebook


def _parents(nb: Notebook, name: str) -> list[str]:
    cell = next(c for c in nb.cells if c.name == name)
    assert cell.canvas is not None
    return [p.name for p in cell.canvas.parents]


def test_add_edge_declares_the_parent_and_leaves_the_original_alone() -> None:
    nb = notebook([component("load", "data = 1"), component("train", "model = data")])
    before = dumps(nb)
    out = add_edge(nb, "train", "load")
    assert _parents(out, "train") == ["load"]
    assert dumps(nb) == before
    assert not [d for d in check(build(out)) if d.code == "LNK003"]


def test_add_edge_refuses_a_self_edge_and_a_cell_that_is_no_component() -> None:
    nb = notebook([component("a", "x = 1"), code("y = x")])
    with pytest.raises(UsageError, match="its own parent"):
        add_edge(nb, "a", "a")
    with pytest.raises(UsageError, match="is not a component"):
        add_edge(nb, "a", "#2")


def test_remove_edge_by_name_and_a_dangling_parent_by_its_id() -> None:
    nb = notebook(
        [
            component("a", "x = 1"),
            component("b", "y = x", ["a"], parent_ids=["0000-gone"]),
        ]
    )
    out = remove_edge(nb, "b", "a")
    assert _parents(out, "b") == ["?"]
    out = remove_edge(out, "b", "0000-gone")
    assert _parents(out, "b") == []
    with pytest.raises(UsageError, match="has no parent"):
        remove_edge(out, "b", "a")


def test_to_pipeline_makes_components_named_after_their_first_definition() -> None:
    nb = notebook([code("data = [1, 2]"), markdown("# train"), code("model = sum(data)")])
    out = to_pipeline(nb)
    assert out.is_pipeline and not nb.is_pipeline
    names = [c.name for c in out.cells if c.is_component]
    assert names == ["data", "model"]
    assert _parents(out, "model") == ["data"]
    canvas = out.raw_cells[2]["metadata"]["canvas"]
    # Link's own keys, as Link writes a new component
    assert {"id", "name", "isComponent", "componentType", "parents", "diskcache"} <= set(canvas)
    assert check(build(out)) == []
    with pytest.raises(UsageError, match="already a pipeline"):
        to_pipeline(out)


def test_to_pipeline_gives_clashing_names_a_suffix() -> None:
    nb = notebook([code("x = 1"), code("x = x + 1"), code("print(x)")])
    names = [c.name for c in to_pipeline(nb).cells]
    assert names[:2] == ["x", "x_2"] and len(set(names)) == 3
