"""The light .ipynb reader/writer give exactly what nbformat's would (bytes and nodes)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import nbformat
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from nbformat.v4.rwbase import rejoin_lines

from link_ls.notebook import dumps, load, loads
from link_ls.notebook.ipynb import ipynb_text

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
NOTEBOOKS = sorted(FIXTURES.rglob("*.ipynb"))


def _nbformat_text(node: dict[str, Any]) -> str:
    text: str = nbformat.writes(nbformat.from_dict(node), version=nbformat.NO_CONVERT)
    return text


def _v4_fixtures() -> list[Path]:
    out = []
    for p in NOTEBOOKS:
        try:
            data = json.loads(p.read_text(encoding="utf-8-sig"))
        except ValueError:
            continue  # jupytext text named .ipynb
        if isinstance(data, dict) and data.get("nbformat") == 4:
            out.append(p)
    return out


V4 = _v4_fixtures()


def test_there_are_fixtures_to_compare() -> None:
    assert len(V4) >= 20


@pytest.mark.parametrize("path", V4, ids=lambda p: str(p.relative_to(FIXTURES)))
def test_writer_gives_nbformats_bytes_for_every_fixture(path: Path) -> None:
    nb = load(path)
    saved = dumps(nb)  # as a save writes it (ids completed, minor raised where needed)
    text = ipynb_text(nb.node)
    assert text is not None, "a well-formed v4 notebook takes the light writer"
    assert text == _nbformat_text(nb.node)
    assert saved == text + "\n"
    # and the notebook written is the notebook read: nothing mutated on the way out
    assert loads(dumps(nb), name=path.name).node == nb.node


@pytest.mark.parametrize("path", V4, ids=lambda p: str(p.relative_to(FIXTURES)))
def test_reader_gives_nbformats_nodes_for_every_fixture(path: Path) -> None:
    data = json.loads(path.read_text(encoding="utf-8-sig"))
    expected = rejoin_lines(nbformat.from_dict(data))
    got = load(path).node
    assert isinstance(got, nbformat.NotebookNode)
    assert all(isinstance(c, nbformat.NotebookNode) for c in got["cells"])
    for k, v in expected.items():
        if k != "cells":
            assert got[k] == v
    for c_exp, c_got in zip(expected["cells"], got["cells"], strict=True):
        assert {k: v for k, v in c_got.items() if k in c_exp} == c_exp


def test_ids_nbformat_would_change_are_left_to_nbformat() -> None:
    nb = load(V4[0])
    nb.complete_for_link()
    node = json.loads(json.dumps(nb.node))
    node["nbformat_minor"] = 5
    node["cells"][0].pop("id")
    assert ipynb_text(node) is None
    if len(node["cells"]) > 1:
        node = json.loads(json.dumps(nb.node))
        node["nbformat_minor"] = 5
        node["cells"][1]["id"] = node["cells"][0]["id"]
        assert ipynb_text(node) is None


_text = st.text(st.characters(blacklist_categories=("Cs",)), max_size=30)
_lines = st.lists(_text, max_size=4).map(lambda xs: "\n".join(xs))
_json_leaf = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), _text)
_json = st.recursive(
    _json_leaf,
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(_text, inner, max_size=3)),
    max_leaves=8,
)
_bundle = st.dictionaries(
    st.sampled_from(["text/plain", "text/html", "image/svg+xml", "application/json", "image/png"]),
    _lines,
    max_size=3,
)
_output = st.one_of(
    st.builds(
        lambda t, n: {"output_type": "stream", "name": n, "text": t},
        _lines,
        st.sampled_from(["stdout", "stderr"]),
    ),
    st.builds(lambda d: {"output_type": "display_data", "data": d, "metadata": {}}, _bundle),
    st.builds(
        lambda d, n: {
            "output_type": "execute_result",
            "data": d,
            "metadata": {},
            "execution_count": n,
        },
        _bundle,
        st.one_of(st.none(), st.integers(1, 99)),
    ),
)
_code = st.builds(
    lambda s, md, outs: {
        "cell_type": "code",
        "source": s,
        "metadata": md,
        "outputs": outs,
        "execution_count": None,
    },
    _lines,
    st.dictionaries(_text, _json, max_size=3),
    st.lists(_output, max_size=3),
)
_markdown = st.builds(
    lambda s, md: {"cell_type": "markdown", "source": s, "metadata": md},
    _lines,
    st.dictionaries(st.sampled_from(["trusted", "tags", "x"]), _json, max_size=2),
)


@settings(max_examples=150, deadline=None)
@given(
    cells=st.lists(st.one_of(_code, _markdown), max_size=6),
    md=st.dictionaries(st.sampled_from(["signature", "kernelspec", "orig_nbformat", "y"]), _json),
)
def test_writer_gives_nbformats_bytes_for_any_notebook(
    cells: list[dict[str, Any]], md: dict[str, Any]
) -> None:
    for i, c in enumerate(cells):
        c["id"] = f"cell-{i}"
    node = {"nbformat": 4, "nbformat_minor": 5, "metadata": md, "cells": cells}
    before = json.dumps(node, sort_keys=True)
    text = ipynb_text(node)
    assert text is not None
    assert text == _nbformat_text(node)
    assert json.dumps(node, sort_keys=True) == before  # the notebook itself is untouched
