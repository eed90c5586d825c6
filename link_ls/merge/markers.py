"""Finding git-style conflict markers in a cell source, and replacing one block by a choice."""

from __future__ import annotations

from dataclasses import dataclass

from link_ls.merge.errors import MergeError


@dataclass(frozen=True)
class MarkerBlock:
    """One ``<<<<<<< … >>>>>>>`` block: 0-based lines ``[start, end)`` and its three parts."""

    start: int
    end: int
    ours: str
    base: str | None  # None when the block has no ``|||||||`` section
    theirs: str


def _is_marker(line: str, mark: str) -> bool:
    body = line.rstrip("\r\n")
    return body.startswith(mark) and (len(body) == len(mark) or body[len(mark)] == " ")


def find_blocks(source: str) -> list[MarkerBlock]:
    """Well-formed marker blocks in order; a stray or unfinished marker is not a block."""
    lines = source.splitlines(keepends=True)
    out: list[MarkerBlock] = []
    i = 0
    while i < len(lines):
        if not _is_marker(lines[i], "<<<<<<<"):
            i += 1
            continue
        block = _parse_block(lines, i)
        if block is None:
            i += 1
            continue
        out.append(block)
        i = block.end
    return out


def _parse_block(lines: list[str], start: int) -> MarkerBlock | None:
    parts: dict[str, list[str]] = {"ours": [], "base": [], "theirs": []}
    part = "ours"
    has_base = False
    for j in range(start + 1, len(lines)):
        line = lines[j]
        if _is_marker(line, "<<<<<<<"):
            return None
        if part == "ours" and _is_marker(line, "|||||||"):
            part, has_base = "base", True
        elif part in ("ours", "base") and line.rstrip("\r\n") == "=======":
            part = "theirs"
        elif part == "theirs" and _is_marker(line, ">>>>>>>"):
            return MarkerBlock(
                start,
                j + 1,
                "".join(parts["ours"]),
                "".join(parts["base"]) if has_base else None,
                "".join(parts["theirs"]),
            )
        else:
            parts[part].append(line)
    return None


def replace_block(source: str, block: MarkerBlock, choice: str) -> tuple[str, str]:
    """(new source, replacement text) after taking ``choice`` for ``block``."""
    if choice == "ours":
        text = block.ours
    elif choice == "theirs":
        text = block.theirs
    elif choice == "both":
        text = block.ours + block.theirs
    elif choice == "base":
        if block.base is None:
            raise MergeError("this conflict has no base section; choose ours, theirs or both")
        text = block.base
    else:
        raise MergeError(f"unknown choice {choice!r}; use ours, theirs, both or base")
    lines = source.splitlines(keepends=True)
    before, after = "".join(lines[: block.start]), "".join(lines[block.end :])
    new = before + text + after
    # the closing marker was the source's last line with no newline: keep that shape
    if not after and not source.endswith("\n") and new.endswith("\n"):
        new = new[:-1]
        if text.endswith("\n"):
            text = text[:-1]
    return new, text
