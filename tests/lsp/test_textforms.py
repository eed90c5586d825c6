"""``server/textforms.py``: finding a notebook's cells again in the text editors send."""

from __future__ import annotations

import json

from link_ls.server.textforms import (
    VIRTUAL_SEPARATOR,
    locate_json,
    locate_text,
    split_virtual,
    text_conflict_line,
)


def test_json_sources_are_found_by_value_past_a_metadata_key_named_source() -> None:
    cells = [
        {"cell_type": "code", "metadata": {"source": "x = 1"}, "source": ["y = 2"]},
        {"cell_type": "code", "metadata": {}, "source": ["x = 1\n", "z = x"]},
    ]
    text = json.dumps({"cells": cells}, indent=1)
    lines = text.split("\n")
    found = locate_json(text, ["y = 2", "x = 1\nz = x"])
    first = found[0][0]
    # the column of the first character inside the string literal
    assert lines[first.doc_line][first.doc_col :].startswith('y = 2"')
    assert [lines[s.doc_line].strip().startswith('"') for s in found[1]] == [True, True]


def test_an_empty_source_points_at_its_value() -> None:
    text = json.dumps({"cells": [{"cell_type": "code", "source": []}]})
    (segs,) = locate_json(text, [""])
    assert len(segs) == 1 and segs[0].raw == ""


def test_percent_text_cells_and_commented_magics() -> None:
    lines = ["# %%", "# %time x = 1", "y = 2", "", "# %%", "", "# %%", "print(y)"]
    segs = locate_text(lines, ["%time x = 1\ny = 2", "", "print(y)"])
    assert [s.doc_line for s in segs[0]] == [1, 2]
    assert segs[0][0].doc_col == 2  # after the "# " jupytext puts before a magic
    assert segs[1][0].doc_line == 5  # an empty cell sits right below its marker
    assert segs[2][0].doc_line == 7


def test_virtual_documents_split_back_into_cells_even_with_blank_lines_inside() -> None:
    a, b = "x = 1", "def f():\n    pass\n\n\nf()"
    text = a + "\n" + VIRTUAL_SEPARATOR[1:] + b + "\n"
    assert [c.source for c in split_virtual(text, frozenset({a, b}))] == [a, b]
    # without knowing the cells, the two blank lines inside the second one split it
    assert len(split_virtual(text)) == 3
    cells = split_virtual(text, frozenset({a, b}))
    assert cells[1].line == text[: text.index("def")].count("\n")


def test_git_text_merge_markers_are_found_only_when_complete() -> None:
    text = '{\n "cells": [\n<<<<<<< HEAD\n  1\n=======\n  2\n>>>>>>> other\n ]\n}'
    assert text_conflict_line(text) == 2
    assert text_conflict_line("<<<<<<< HEAD\nno end marker") is None
    assert text_conflict_line('{"source": "a <<<<<<< b"}') is None
