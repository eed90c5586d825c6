"""Where each cell's source sits inside a text document, for every text form editors send.

- ``.ipynb`` JSON text: each source line is a JSON string literal (``Seg.raw``);
- jupytext percent/light text: the source lines appear verbatim (magics commented);
- jupyter-lsp's virtual document: the code cells concatenated, two blank lines apart.

The notebook itself is always read by the core (``link_ls.notebook.loads``); this
module only finds the cells again in the text so positions can be mapped.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass

from link_ls.server.mapping import Seg

_SOURCE_KEY = re.compile(r'"source"\s*:\s*')
_DECODER = json.JSONDecoder()
#: jupyterlab-lsp puts ``blankLinesBetweenCells = 2`` blank lines after each cell
VIRTUAL_SEPARATOR = "\n\n\n"
#: a line git writes at the start of a conflict (text merges of a whole file)
_GIT_MARKER = re.compile(r"^(<{7}|={7}|>{7})( |$)", re.MULTILINE)


def text_conflict_line(text: str) -> int | None:
    """0-based line of the first git conflict marker in a document's text, if any."""
    m = _GIT_MARKER.search(text)
    if m is None or ">" * 7 not in text:
        return None
    return text.count("\n", 0, m.start())


def _line_starts(text: str) -> list[int]:
    starts = [0]
    pos = text.find("\n")
    while pos != -1:
        starts.append(pos + 1)
        pos = text.find("\n", pos + 1)
    return starts


def _line_col(starts: list[int], offset: int) -> tuple[int, int]:
    import bisect

    line = bisect.bisect_right(starts, offset) - 1
    return line, offset - starts[line]


def _string_at(text: str, pos: int) -> tuple[str, int] | None:
    """Decode the JSON string literal starting at ``pos``; (value, end offset)."""
    if pos >= len(text) or text[pos] != '"':
        return None
    try:
        value, end = _DECODER.raw_decode(text, pos)
    except ValueError:
        return None
    return (value, end) if isinstance(value, str) else None


def _skip_ws(text: str, pos: int) -> int:
    while pos < len(text) and text[pos] in " \t\r\n":
        pos += 1
    return pos


def _source_value(text: str, pos: int) -> tuple[list[tuple[str, int, int]], int] | None:
    """The string literals of a ``source`` value at ``pos``: [(value, start, end)], end."""
    if pos < len(text) and text[pos] == '"':
        got = _string_at(text, pos)
        if got is None:
            return None
        return [(got[0], pos, got[1])], got[1]
    if pos >= len(text) or text[pos] != "[":
        return None
    out: list[tuple[str, int, int]] = []
    pos = _skip_ws(text, pos + 1)
    while pos < len(text) and text[pos] != "]":
        got = _string_at(text, pos)
        if got is None:
            return None
        out.append((got[0], pos, got[1]))
        pos = _skip_ws(text, got[1])
        if pos < len(text) and text[pos] == ",":
            pos = _skip_ws(text, pos + 1)
    return out, pos


def _segs_of_literals(
    text: str, starts: list[int], literals: list[tuple[str, int, int]]
) -> list[Seg]:
    """One Seg per source line: a literal may hold several lines (``\\n`` escapes)."""
    segs: list[Seg] = []
    for _value, s, e in literals:
        body_start = s + 1
        raw = text[body_start : e - 1]
        # split the raw literal at escaped newlines so each cell line gets its own raw part
        parts = raw.split("\\n")
        offset = body_start
        for j, part in enumerate(parts):
            if j == len(parts) - 1 and part == "" and j > 0:
                break  # a literal ending in "\n": the next literal starts the next line
            line, col = _line_col(starts, offset)
            segs.append(Seg(line, col, part))
            offset += len(part) + 2
    return segs


def locate_json(text: str, sources: Sequence[str]) -> list[list[Seg]]:
    """Segs of every cell in ``.ipynb`` JSON text, found in order and checked by value."""
    starts = _line_starts(text)
    out: list[list[Seg]] = []
    cursor = 0
    for src in sources:
        found: list[Seg] = []
        probe = cursor
        for _ in range(8):  # a metadata key named "source" may come first: try the next one
            m = _SOURCE_KEY.search(text, probe)
            if m is None:
                break
            got = _source_value(text, m.end())
            if got is not None and "".join(v for v, _, _ in got[0]) == src:
                literals, end = got
                found = _segs_of_literals(text, starts, literals)
                if not found:  # empty source: point at the value itself
                    line, col = _line_col(starts, m.end())
                    found = [Seg(line, col, "")]
                cursor = end
                break
            probe = m.end()
        out.append(found)
    return out


def _norm(line: str) -> str:
    return line.strip()


def _matches(doc_line: str, target: str) -> bool:
    d = doc_line.strip()
    if d == target:
        return True
    # jupytext comments out magics in code cells and every markdown line
    return d.startswith("#") and d[1:].strip() == target


def locate_text(doc_lines: Sequence[str], sources: Sequence[str]) -> list[list[Seg]]:
    """Segs of every cell in jupytext percent/light text, matched in order."""
    out: list[list[Seg]] = []
    cursor = 0
    n = len(doc_lines)
    for src in sources:
        lines = src.split("\n")
        lead = next((k for k, ln in enumerate(lines) if ln.strip()), None)
        if lead is None:
            # empty cell: it sits right after its header, if there is one
            start = cursor
            while start < n and not doc_lines[start].lstrip().startswith(("# %%", "#%%")):
                start += 1
            start = start + 1 if start < n else cursor
            out.append([Seg(min(start, max(n - 1, 0)), 0)])
            cursor = min(start + 1, n)
            continue
        target = _norm(lines[lead])
        hit = next((i for i in range(cursor, n) if _matches(doc_lines[i], target)), None)
        start = (hit - lead) if hit is not None else cursor
        start = max(start, 0)
        segs: list[Seg] = []
        for k in range(len(lines)):
            dl = min(start + k, max(n - 1, 0))
            text = doc_lines[dl] if dl < n else ""
            # a commented magic ("# %time x") keeps the cell's columns after the "# "
            src_line = lines[k]
            body = src_line.lstrip()
            col = 0
            if body and text.rstrip() != src_line.rstrip():
                at = text.find(body)
                col = max(at - (len(src_line) - len(body)), 0) if at >= 0 else 0
            segs.append(Seg(dl, col))
        out.append(segs)
        cursor = min(start + len(lines), n)
    return out


@dataclass(frozen=True)
class VirtualCell:
    """One cell cut out of a jupyter-lsp virtual document: its text and first line."""

    source: str
    line: int


def split_virtual(text: str, known: frozenset[str] = frozenset()) -> list[VirtualCell]:
    """Cut jupyter-lsp's concatenation back into cells.

    Cells are joined as ``cell + "\\n" + "\\n\\n"``, so a separator is ambiguous with
    two blank lines inside a cell: pieces whose join is the exact source of a cell
    of the notebook on disk (``known``) are put back together.
    """
    body = text[:-1] if text.endswith("\n") else text
    pieces = body.split(VIRTUAL_SEPARATOR)
    out: list[VirtualCell] = []
    line = 0
    i = 0
    while i < len(pieces):
        j = i + 1
        if known and pieces[i] not in known:
            for k in range(min(len(pieces), i + 20), i + 1, -1):
                if VIRTUAL_SEPARATOR.join(pieces[i:k]) in known:
                    j = k
                    break
        src = VIRTUAL_SEPARATOR.join(pieces[i:j])
        out.append(VirtualCell(src, line))
        line += src.count("\n") + 3
        i = j
    return out
