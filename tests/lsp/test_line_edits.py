"""``server/edits.line_edit``: the edit of the changed lines, applied, gives the new text."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from lsprotocol import types

from link_ls.server.edits import line_edit
from link_ls.server.mapping import char_of_units

LINES = st.lists(st.sampled_from(["", "a", "b = 1", "é😀", "  x", "#"]), max_size=6)
ENCODINGS = st.sampled_from(
    [
        types.PositionEncodingKind.Utf8,
        types.PositionEncodingKind.Utf16,
        types.PositionEncodingKind.Utf32,
    ]
)


def _offset(text: str, pos: types.Position, encoding: str) -> int:
    lines = text.split("\n")
    before = sum(len(line) + 1 for line in lines[: pos.line])
    return before + char_of_units(lines[pos.line], pos.character, encoding)


def _apply(text: str, edit: types.TextEdit, encoding: str) -> str:
    start = _offset(text, edit.range.start, encoding)
    end = _offset(text, edit.range.end, encoding)
    return text[:start] + edit.new_text + text[end:]


@settings(max_examples=300)
@given(LINES, LINES, ENCODINGS)
def test_applying_the_edit_gives_the_new_text(old: list[str], new: list[str], enc: str) -> None:
    a, b = "\n".join(old), "\n".join(new)
    edit = line_edit(a, b, enc)
    if a == b:
        assert edit is None
        return
    assert edit is not None
    assert _apply(a, edit, enc) == b


@given(LINES, st.integers(0, 5), st.sampled_from(["changed", "é😀 too"]))
def test_one_changed_line_is_all_the_edit_replaces(lines: list[str], at: int, text: str) -> None:
    old = [*lines, "tail"]
    i = min(at, len(old) - 1)
    new = [*old[:i], text, *old[i + 1 :]]
    edit = line_edit("\n".join(old), "\n".join(new), types.PositionEncodingKind.Utf16)
    if old == new:
        assert edit is None
        return
    assert edit is not None
    assert edit.range.start.line == i and text in edit.new_text
    assert edit.new_text.count("\n") <= 1
