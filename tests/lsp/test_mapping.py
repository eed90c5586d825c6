"""``server/mapping.py``: positions between cells and editor documents, in every encoding."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st
from lsprotocol import types

from link_ls.analysis import Span
from link_ls.server.mapping import CellPos, Mapper, byte_of_char, char_of_byte, units
from link_ls.server.textforms import locate_json, locate_text

UTF8, UTF16, UTF32 = (
    types.PositionEncodingKind.Utf8,
    types.PositionEncodingKind.Utf16,
    types.PositionEncodingKind.Utf32,
)


@pytest.mark.parametrize(
    ("text", "utf8", "utf16", "utf32"),
    [("abc", 3, 3, 3), ("é", 2, 1, 1), ("😀", 4, 2, 1), ("a😀b", 6, 4, 3)],
)
def test_units_count_what_each_encoding_counts(
    text: str, utf8: int, utf16: int, utf32: int
) -> None:
    assert (units(text, UTF8), units(text, UTF16), units(text, UTF32)) == (utf8, utf16, utf32)


@given(st.text(max_size=20), st.data())
def test_bytes_and_chars_convert_both_ways(line: str, data: st.DataObject) -> None:
    char = data.draw(st.integers(0, len(line)))
    assert char_of_byte(line, byte_of_char(line, char)) == char


def test_a_notebook_document_maps_each_cell_to_its_own_uri() -> None:
    m = Mapper("nb", ["x = 1", "y = 'é😀'\nz = y"], cell_uris=["c0", "c1"])
    assert m.is_notebook and m.uri_of(1) == "c1"
    uri, pos = m.to_lsp(CellPos(1, 0, 7))  # after the emoji: 8 UTF-16 units
    assert (uri, pos.line, pos.character) == ("c1", 0, 8)
    assert m.from_lsp("c1", types.Position(0, 8)) == CellPos(1, 0, 7)
    assert m.from_lsp("elsewhere", types.Position(0, 0)) is None


def test_a_span_in_utf8_bytes_becomes_an_lsp_range() -> None:
    m = Mapper("nb", ["s = 'é'; t"], cell_uris=["c0"])
    # ast puts ``t`` at byte 10 (é is two bytes), str index 9
    _, rng = m.span_range(0, Span(0, 10, 0, 11))
    assert (rng.start.character, rng.end.character) == (9, 10)
    _, first = m.span_range(0, None)
    assert first.start == types.Position(0, 0) and first.end.character == 10


def test_cells_of_a_percent_text_map_to_their_lines_and_back() -> None:
    text = "# %%\nx = 1\n\n# %%\ny = x\nprint(y)\n"
    sources = ["x = 1", "y = x\nprint(y)"]
    lines = text.split("\n")
    m = Mapper("doc", sources, segs=locate_text(lines, sources), doc_lines=lines)
    assert m.to_lsp(CellPos(1, 1, 6))[1] == types.Position(5, 6)
    assert m.from_lsp("doc", types.Position(4, 2)) == CellPos(1, 0, 2)
    assert m.from_lsp("doc", types.Position(3, 0)) is None  # a cell marker is no cell's line
    assert m.head_line(1) == ("doc", 3)  # a lens goes on the "# %%" line


def test_cells_of_an_ipynb_json_text_map_through_the_escaping() -> None:
    cells = [{"cell_type": "code", "source": ['s = "a\\tb"\n', "t = s"], "metadata": {}}]
    text = json.dumps({"cells": cells}, indent=1)
    sources = ['s = "a\\tb"\nt = s']
    lines = text.split("\n")
    m = Mapper("doc", sources, segs=locate_json(text, sources), doc_lines=lines)
    _, start = m.to_lsp(CellPos(0, 1, 0))
    assert lines[start.line][start.character :].startswith("t = s")
    # inside the JSON literal, a \\t takes two columns but is one character of the source
    _, after_tab = m.to_lsp(CellPos(0, 0, 8))
    assert lines[after_tab.line][after_tab.character] == "b"
    assert m.from_lsp("doc", after_tab) == CellPos(0, 0, 8)
