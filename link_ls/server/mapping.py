"""Positions between the cells the user sees and the documents the editor sends.

One small mapper per document, used by every feature (the jedi-language-server
``notebook_utils`` idea). Cell coordinates are ``(cell index, line, str index)``;
document coordinates are ``(uri, line, str index)``; LSP columns are converted at
the edge with the negotiated position encoding (UTF-16 unless the client chose
otherwise). Analysis spans count UTF-8 bytes (``ast`` offsets) and are converted
here too, so no feature handles an encoding.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from dataclasses import dataclass

from lsprotocol import types

from link_ls.analysis import Span


@dataclass(frozen=True)
class Seg:
    """Where one source line of a cell sits in a text document.

    ``raw`` is set when the line is embedded as a JSON string literal (``.ipynb``
    opened as text): columns then go through the escaping of ``raw``.
    """

    doc_line: int
    doc_col: int
    raw: str | None = None


@dataclass(frozen=True)
class CellPos:
    """A position inside one cell: line in the cell source, ``str`` index in that line."""

    cell: int
    line: int
    char: int


def units(text: str, encoding: str) -> int:
    """Length of ``text`` in the client's position units."""
    if encoding == types.PositionEncodingKind.Utf8:
        return len(text.encode("utf-8", "surrogatepass"))
    if encoding == types.PositionEncodingKind.Utf32:
        return len(text)
    if text.isascii():
        return len(text)
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def char_of_units(text: str, n: int, encoding: str) -> int:
    """The ``str`` index ``n`` client units into ``text`` (clamped to the line)."""
    if encoding == types.PositionEncodingKind.Utf32 or text.isascii():
        return max(0, min(n, len(text)))
    seen = 0
    for i, ch in enumerate(text):
        if seen >= n:
            return i
        seen += units(ch, encoding)
    return len(text)


def char_of_byte(line: str, byte: int) -> int:
    """``str`` index of a UTF-8 byte offset (``ast`` columns)."""
    if line.isascii():
        return max(0, min(byte, len(line)))
    return len(line.encode("utf-8")[: max(byte, 0)].decode("utf-8", "ignore"))


def byte_of_char(line: str, char: int) -> int:
    if line.isascii():
        return char
    return len(line[:char].encode("utf-8"))


def _raw_offset(raw: str, char: int) -> int:
    """Offset in a JSON string literal body of decoded character ``char``."""
    if "\\" not in raw:
        return min(char, len(raw))
    i = 0
    decoded = 0
    while i < len(raw) and decoded < char:
        if raw[i] == "\\":
            i += 6 if raw[i + 1 : i + 2] == "u" else 2
        else:
            i += 1
        decoded += 1
    return i


def _decoded_index(raw: str, offset: int) -> int:
    if "\\" not in raw:
        return max(0, min(offset, len(raw)))
    i = 0
    decoded = 0
    while i < len(raw) and i < offset:
        i += 6 if raw[i] == "\\" and raw[i + 1 : i + 2] == "u" else (2 if raw[i] == "\\" else 1)
        decoded += 1
    return decoded


class Mapper:
    """Maps one document's cells to editor positions and back.

    Notebook documents: each cell is its own document (``cell_uris``), line for line.
    Text documents: every cell lives in ``uri`` at the lines given by ``segs``.
    """

    def __init__(
        self,
        uri: str,
        sources: Sequence[str],
        *,
        cell_uris: Sequence[str] | None = None,
        segs: Sequence[Sequence[Seg]] | None = None,
        doc_lines: Sequence[str] = (),
        encoding: str = types.PositionEncodingKind.Utf16,
    ) -> None:
        self.uri = uri
        self.encoding = encoding
        self._sources = sources
        self._src_lines: dict[int, list[str]] = {}
        self.cell_uris = tuple(cell_uris) if cell_uris is not None else None
        self._by_uri = {u: i for i, u in enumerate(self.cell_uris or ())}
        self._segs = segs
        self._doc_lines = doc_lines
        # reverse index for text documents: doc line -> [(cell, line in cell)]
        self._starts: list[int] = []
        self._start_cell: list[tuple[int, int]] = []
        if segs is not None:
            pairs = sorted(
                (s.doc_line, s.doc_col, ci, k)
                for ci, ss in enumerate(segs)
                for k, s in enumerate(ss)
            )
            self._starts = [p[0] for p in pairs]
            self._start_cell = [(p[2], p[3]) for p in pairs]

    @property
    def is_notebook(self) -> bool:
        return self.cell_uris is not None

    def source_lines(self, cell: int) -> list[str]:
        lines = self._src_lines.get(cell)
        if lines is None:
            lines = self._sources[cell].split("\n")
            self._src_lines[cell] = lines
        return lines

    def _src_line(self, cell: int, line: int) -> str:
        lines = self.source_lines(cell)
        return lines[line] if 0 <= line < len(lines) else ""

    def uri_of(self, cell: int) -> str:
        if self.cell_uris is not None:
            return self.cell_uris[cell]
        return self.uri

    def owns(self, uri: str) -> bool:
        return uri == self.uri or uri in self._by_uri

    # -- cell -> document ----------------------------------------------------------
    def _doc_line_text(self, line: int) -> str:
        return self._doc_lines[line] if 0 <= line < len(self._doc_lines) else ""

    def to_lsp(self, pos: CellPos) -> tuple[str, types.Position]:
        src = self._src_line(pos.cell, pos.line)
        char = max(0, min(pos.char, len(src)))
        if self.cell_uris is not None or self._segs is None:
            return self.uri_of(pos.cell), types.Position(pos.line, units(src[:char], self.encoding))
        segs = self._segs[pos.cell]
        if not segs:
            return self.uri, types.Position(0, 0)
        k = max(0, min(pos.line, len(segs) - 1))
        seg = segs[k]
        doc_text = self._doc_line_text(seg.doc_line)
        doc_char = seg.doc_col + (char if seg.raw is None else _raw_offset(seg.raw, char))
        return self.uri, types.Position(seg.doc_line, units(doc_text[:doc_char], self.encoding))

    def span_range(self, cell: int, span: Span | None) -> tuple[str, types.Range]:
        """LSP range of an analysis span (UTF-8 byte columns); ``None`` is the first line."""
        if span is None:
            first = self._src_line(cell, 0)
            span = Span(0, 0, 0, max(len(first.encode("utf-8")), 1))
        s_line = self._src_line(cell, span.line)
        e_line = self._src_line(cell, span.end_line)
        uri, start = self.to_lsp(CellPos(cell, span.line, char_of_byte(s_line, span.col)))
        _, end = self.to_lsp(CellPos(cell, span.end_line, char_of_byte(e_line, span.end_col)))
        if (end.line, end.character) < (start.line, start.character):
            end = start
        return uri, types.Range(start, end)

    def cell_range(self, cell: int) -> tuple[str, types.Range]:
        lines = self.source_lines(cell)
        uri, start = self.to_lsp(CellPos(cell, 0, 0))
        _, end = self.to_lsp(CellPos(cell, len(lines) - 1, len(lines[-1])))
        return uri, types.Range(start, end)

    def head_line(self, cell: int) -> tuple[str, int]:
        """Where a lens or symbol for the cell goes: its header line in text forms."""
        uri, start = self.to_lsp(CellPos(cell, 0, 0))
        if self._segs is not None and start.line > 0:
            above = self._doc_line_text(start.line - 1).lstrip()
            if above.startswith(("# %%", "#%%", "# +")):
                return uri, start.line - 1
        return uri, start.line

    # -- document -> cell ----------------------------------------------------------
    def from_lsp(self, uri: str, pos: types.Position) -> CellPos | None:
        if self.cell_uris is not None:
            cell = self._by_uri.get(uri)
            if cell is None:
                return None
            src = self._src_line(cell, pos.line)
            return CellPos(cell, pos.line, char_of_units(src, pos.character, self.encoding))
        if self._segs is None or uri != self.uri:
            return None
        doc_text = self._doc_line_text(pos.line)
        doc_char = char_of_units(doc_text, pos.character, self.encoding)
        i = bisect.bisect_right(self._starts, pos.line) - 1
        if i < 0 or self._starts[i] != pos.line:
            return None
        cell, k = self._start_cell[i]
        seg = self._segs[cell][k]
        if doc_char < seg.doc_col:
            return None
        rel = doc_char - seg.doc_col
        char = rel if seg.raw is None else _decoded_index(seg.raw, rel)
        return CellPos(cell, k, min(char, len(self._src_line(cell, k))))

    def cell_of_uri(self, uri: str) -> int | None:
        return self._by_uri.get(uri)
