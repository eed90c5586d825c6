"""Merge invariants over random base/ours/theirs notebooks: validity, nothing lost, identities,
and symmetry between ours and theirs."""

from __future__ import annotations

import copy
import json
import re
from typing import Any

import nbformat
import pytest
from hypothesis import HealthCheck, given, settings

from link_ls.merge import merge_notebooks
from link_ls.notebook import Notebook, dumps
from tests.fuzzing import examples
from tests.merge.nbgen import canvas_id, edges, triplets

SETTINGS = settings(
    max_examples=examples(100),
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
# many examples on a loaded 2-core machine: give each property room beyond the default timeout
pytestmark = pytest.mark.timeout(1200)
BLOCK = re.compile(
    r"<<<<<<< ours\n(.*?)\|\|\|\|\|\|\| base\n(.*?)=======\n(.*?)>>>>>>> theirs", re.DOTALL
)


def as_json(nb: Notebook) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(dumps(nb))
    return data


def validates(nb: Notebook) -> None:
    nbformat.validate(nbformat.from_dict(copy.deepcopy(nb.node)))
    nbformat.validate(nbformat.reads(dumps(nb), as_version=4))


def records(md: Any) -> list[dict[str, Any]]:
    return list(md.get("link_ls", {}).get("conflict", []))


def recorded_lines_and_edges(nb: Notebook) -> tuple[set[str], set[tuple[str, str]]]:
    lines: set[str] = set()
    found: set[tuple[str, str]] = set(edges(nb.raw_cells))
    for c in nb.raw_cells:
        src = c["source"] if isinstance(c["source"], str) else "".join(c["source"])
        lines |= set(src.splitlines())
        cid = canvas_id(c)
        for r in records(c["metadata"]):
            for side in ("base", "ours", "theirs"):
                alt = r.get(side)
                if alt is None:
                    continue
                if r["kind"] == "edges" and cid:
                    found |= {(cid, p["id"]) for p in alt["value"]}
                if r["kind"] == "cell":
                    snap = alt["value"]
                    lines |= set(snap["source"].splitlines())
                    cv = snap["metadata"].get("canvas")
                    if cv:
                        found |= {(cv["id"], p["id"]) for p in cv.get("parents", [])}
    return lines, found


@SETTINGS
@given(triplets())
def test_result_is_valid_and_loses_nothing(t: tuple[Notebook, Notebook, Notebook]) -> None:
    base, ours, theirs = t
    result = merge_notebooks(base, ours, theirs)
    validates(result.notebook)
    base_lines = {ln for c in base.cells for ln in c.source.splitlines()}
    base_edges = edges(base.raw_cells)
    lines, found = recorded_lines_and_edges(result.notebook)
    for side in (ours, theirs):
        for c in side.cells:
            for ln in c.source.splitlines():
                assert ln in base_lines or ln in lines, f"line {ln!r} lost"
        for e in edges(side.raw_cells) - base_edges:
            assert e in found, f"edge {e} lost"
    params = {p["name"] for p in result.notebook.metadata["canvas"]["parameters"]}
    nb_records = records(result.notebook.metadata)
    for side in (ours, theirs):
        for p in side.parameters:
            if p.name not in {q.name for q in base.parameters}:
                assert p.name in params or any(p.name in r["path"] for r in nb_records)


@SETTINGS
@given(triplets())
def test_same_change_on_both_sides_is_that_change(t: tuple[Notebook, Notebook, Notebook]) -> None:
    base, x, _ = t
    result = merge_notebooks(base, x, x)
    assert result.clean
    assert as_json(result.notebook) == as_json(x)


@SETTINGS
@given(triplets())
def test_change_on_one_side_only_is_taken(t: tuple[Notebook, Notebook, Notebook]) -> None:
    base, x, _ = t
    for ours, theirs in ((base, x), (x, base)):
        result = merge_notebooks(base, ours, theirs)
        assert result.clean
        assert as_json(result.notebook) == as_json(x)


def _swap_text(text: str) -> str:
    return BLOCK.sub(
        lambda m: f"<<<<<<< ours\n{m[3]}||||||| base\n{m[2]}=======\n{m[1]}>>>>>>> theirs",
        text,
    )


def swap_sides(data: dict[str, Any]) -> dict[str, Any]:
    """The merged notebook as it would be with ours and theirs exchanged."""
    out = copy.deepcopy(data)
    holders = [out["metadata"], *(c["metadata"] for c in out["cells"])]
    for c in out["cells"]:
        src = c["source"] if isinstance(c["source"], str) else "".join(c["source"])
        c["source"] = _swap_text(src)
    for md in holders:
        for r in records(md):
            r["ours"], r["theirs"] = r["theirs"], r["ours"]
    return out


def _normal(data: dict[str, Any], given: frozenset[str] = frozenset()) -> dict[str, Any]:
    # nbformat splits sources into line lists on write; compare them as text
    for c in data["cells"]:
        if isinstance(c["source"], list):
            c["source"] = "".join(c["source"])
        if c.get("id") not in given:
            # an id none of the inputs had is made on writing from the cell's text (a
            # conflicted cell's text names ours and theirs): compared through the text
            c.pop("id", None)
    return data


def _ids(*nbs: Notebook) -> frozenset[str]:
    return frozenset(str(c["id"]) for nb in nbs for c in nb.raw_cells if "id" in c)


@SETTINGS
@given(triplets())
def test_swapping_sides_swaps_conflicts_only(t: tuple[Notebook, Notebook, Notebook]) -> None:
    base, ours, theirs = t
    one = merge_notebooks(base, ours, theirs)
    two = merge_notebooks(base, theirs, ours)
    assert len(one.conflicts) == len(two.conflicts)
    given = _ids(base, ours, theirs)
    swapped = _normal(swap_sides(as_json(one.notebook)), given)
    assert swapped == _normal(as_json(two.notebook), given)
