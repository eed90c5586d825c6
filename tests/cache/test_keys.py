"""Merkle keys: stable across processes, changed by every input, and by upstream edits only."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from link_ls.cache.keys import compute_keys, effective_parameters, normalise_source
from link_ls.notebook import Notebook, Parameter, load
from tests.cache.entries import FIXTURES
from tests.nbmake import component, notebook

PIPE = FIXTURES / "diskcache-pipeline.ipynb"


def _keys_by_name(nb: Notebook) -> dict[str, str]:
    return {nb.cells[i].name: k for i, k in compute_keys(nb).items()}


def _edit(nb: Notebook, name: str, source: str) -> Notebook:
    idx = next(c.index for c in nb.cells if c.name == name)
    nb.set_source(idx, source)
    return nb


def test_keys_are_sha256_hex_and_distinct() -> None:
    keys = _keys_by_name(load(PIPE))
    assert set(keys) == {"load", "square", "total", "evens", "report"}
    assert all(len(k) == 64 and int(k, 16) >= 0 for k in keys.values())
    assert len(set(keys.values())) == 5


def test_same_key_in_another_process_with_another_hash_seed() -> None:
    code = (
        "from link_ls.notebook import load; from link_ls.cache.keys import compute_keys;"
        f"print(sorted(compute_keys(load({str(PIPE)!r})).values()))"
    )
    outs = set()
    for seed in ("1", "2"):
        env = {"PYTHONHASHSEED": seed, "PATH": "/usr/bin:/bin"}
        outs.add(
            subprocess.run(
                [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True
            ).stdout
        )
    assert len(outs) == 1
    assert outs.pop().strip() == str(sorted(compute_keys(load(PIPE)).values()))


def test_upstream_edit_changes_every_key_below_and_no_other() -> None:
    before = _keys_by_name(load(PIPE))
    after = _keys_by_name(_edit(load(PIPE), "square", "squares = [x ** 2 for x in data]"))
    changed = {n for n in before if before[n] != after[n]}
    assert changed == {"square", "total", "report"}  # not load, not the sibling evens


def test_whitespace_at_line_ends_and_blank_edges_do_not_change_a_key() -> None:
    nb = load(PIPE)
    before = _keys_by_name(nb)
    src = next(c.source for c in nb.cells if c.name == "load")
    after = _keys_by_name(_edit(nb, "load", "\n\n" + src.replace("\n", "   \r\n") + "  \n"))
    assert before == after


def test_parameter_values_are_part_of_the_key() -> None:
    nb = load(PIPE)
    base = compute_keys(nb)
    same = compute_keys(nb, parameters=effective_parameters(nb, {"n": "10"}))
    other = compute_keys(nb, parameters=effective_parameters(nb, {"n": "11"}))
    assert base == same
    assert all(base[i] != other[i] for i in base)


def test_language_is_part_of_the_key() -> None:
    nb = load(PIPE)
    before = compute_keys(nb)
    nb.metadata["language_info"] = {"name": "R"}
    nb.metadata["kernelspec"]["language"] = "R"
    assert all(before[i] != k for i, k in compute_keys(nb).items())


def test_plain_notebook_uses_inferred_parents() -> None:
    nb = load(FIXTURES / "plain-chain.ipynb")
    before = compute_keys(nb)
    nb.set_source(0, "a = 3")  # read by cells 2 and 3, not by cell 4
    after = compute_keys(nb)
    assert [before[i] != after[i] for i in sorted(before)] == [True, True, True, False]


def test_parent_order_does_not_matter_but_parents_do() -> None:
    a = component("a", "x = 1")
    b = component("b", "y = 2")
    one = notebook([a, b, component("c", "z = x + y", ["a", "b"])])
    two = notebook([a, b, component("c", "z = x + y", ["b", "a"])])
    three = notebook([a, b, component("c", "z = x + y", ["a"])])
    assert compute_keys(one)[2] == compute_keys(two)[2] != compute_keys(three)[2]


def test_components_on_a_cycle_get_no_key() -> None:
    nb = notebook(
        [
            component("a", "x = 1"),
            component("b", "y = x", ["a", "c"]),
            component("c", "z = y", ["b"]),
            component("d", "w = z", ["c"]),
        ]
    )
    assert set(compute_keys(nb)) == {0}


@pytest.mark.parametrize(
    ("text", "expected"),
    [("a = 1\r\nb = 2  \r\n", "a = 1\nb = 2"), ("\n\nx\n\n", "x"), ("  x", "  x")],
)
def test_normalise_source(text: str, expected: str) -> None:
    assert normalise_source(text) == expected


def test_bad_declared_parameter_falls_back_to_raw_values(tmp_path: Path) -> None:
    nb = load(PIPE)
    nb.set_parameters([Parameter("n", "int", "not a number")])
    assert effective_parameters(nb) == {"n": "not a number"}
