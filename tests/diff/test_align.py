"""Cell alignment: ids first, then content anchors, then similarity in the gaps."""

from __future__ import annotations

import copy

from link_ls.diff.align import align_cells
from link_ls.notebook import Notebook
from tests.nbmake import code, component, markdown, notebook


def _plain(n: int, *, ids: bool) -> Notebook:
    cells = [code(f"value_{k} = compute_{k}(value_{k - 1})\nprint(value_{k})\n") for k in range(n)]
    nb = notebook(cells)
    if not ids:
        for c in nb.raw_cells:
            c.pop("id", None)
        nb.touch()
    return nb


def _copy(nb: Notebook) -> Notebook:
    return Notebook(copy.deepcopy(nb.node))


def _check_partition(pairs: list[tuple[int | None, int | None]], na: int, nb: int) -> None:
    assert sorted(i for i, _ in pairs if i is not None) == list(range(na))
    assert sorted(j for _, j in pairs if j is not None) == list(range(nb))
    js = [j for _, j in pairs if j is not None]
    assert js == sorted(js), "pairs are ordered by position in b"


def test_notebook_aligned_with_itself_is_identity() -> None:
    for ids in (True, False):
        nb = _plain(50, ids=ids)
        assert align_cells(nb.cells, nb.cells) == [(k, k) for k in range(50)]


def test_canvas_id_wins_over_content_and_position() -> None:
    a = notebook([component("load", "x = 1\n"), component("train", "y = x\n", ["load"])])
    b = notebook([component("train", "y = x * 2\n", ["load"]), component("load", "totally new\n")])
    for c in b.raw_cells:  # different nbformat ids: only canvas ids can match them
        c["id"] = "other-" + c["id"]
    b.touch()
    pairs = align_cells(a.cells, b.cells)
    assert pairs == [(1, 0), (0, 1)]


def test_cell_id_matches_edited_cell_even_when_rewritten() -> None:
    a = notebook([code("a = 1\n"), code("b = 2\n")])
    b = _copy(a)
    b.set_source(1, "completely different text that shares nothing\n")
    assert align_cells(a.cells, b.cells) == [(0, 0), (1, 1)]


def test_without_ids_insert_delete_modify_by_content() -> None:
    a = _plain(30, ids=False)
    b = _copy(a)
    del b.raw_cells[10]
    b.raw_cells.insert(20, code("brand_new_cell()\n"))
    b.raw_cells[5]["source"] += "extra = True\n"
    for c in b.raw_cells:
        c.pop("id", None)
    b.touch()
    pairs = align_cells(a.cells, b.cells)
    _check_partition(pairs, 30, 30)
    assert (10, None) in pairs
    assert (None, 20) in pairs
    assert (5, 5) in pairs  # modified, matched by similarity in its gap
    # the removed cell sits right after the pair of its predecessor in a
    assert pairs[pairs.index((9, 9)) + 1] == (10, None)


def test_without_ids_moved_cell_is_matched_out_of_order() -> None:
    a = _plain(10, ids=False)
    b = _copy(a)
    moved = b.raw_cells.pop(2)
    b.raw_cells.insert(8, moved)
    b.touch()
    pairs = align_cells(a.cells, b.cells)
    _check_partition(pairs, 10, 10)
    assert (2, 8) in pairs
    assert all(i is not None and j is not None for i, j in pairs)


def test_different_cell_types_do_not_match_by_similarity() -> None:
    a = notebook([code("print('hello world')\n")])
    b = notebook([markdown("print('hello world!')\n")])
    for c in a.raw_cells + b.raw_cells:
        c.pop("id", None)
    a.touch()
    b.touch()
    assert align_cells(a.cells, b.cells) == [(0, None), (None, 0)]


def test_large_notebooks_without_ids_align_completely() -> None:
    a = _plain(3000, ids=False)
    b = _copy(a)
    for k in (100, 1500, 2900):
        b.raw_cells[k]["source"] += "# edited\n"
    del b.raw_cells[2000]
    b.raw_cells.insert(700, code("inserted()\n"))
    b.touch()
    pairs = align_cells(a.cells, b.cells)
    _check_partition(pairs, 3000, 3000)
    changed = [
        p
        for p in pairs
        if p[0] is None or p[1] is None or a.cells[p[0]].source != b.cells[p[1]].source
    ]
    assert len(changed) == 5


def test_all_different_notebooks_still_partition() -> None:
    a = notebook([code(f"alpha_{k}()\n") for k in range(200)])
    b = notebook([code(f"omega_{k} = {k}\n") for k in range(150)])
    for c in a.raw_cells + b.raw_cells:
        c.pop("id", None)
    a.touch()
    b.touch()
    _check_partition(align_cells(a.cells, b.cells), 200, 150)
