"""Line-level three-way merge (diff3) of cell sources, with git-style conflict markers.

The region logic is the classic merge3 algorithm (bzr/breezy, Mercurial's
``simplemerge``): matching blocks of base↔ours and base↔theirs from difflib are
intersected into *sync regions*; between two sync regions a change made on one
side only is taken, the same change on both sides is taken once, and different
changes are a conflict. Changes that touch or overlap with no common line
between them conflict, as in git. The algorithm is symmetric in ours/theirs.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterator, Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher
from typing import Generic, TypeVar

T = TypeVar("T", bound=Hashable)

MARK_OURS = "<<<<<<< ours"
MARK_BASE = "||||||| base"
MARK_SEP = "======="
MARK_THEIRS = ">>>>>>> theirs"


@dataclass(frozen=True)
class Clean(Generic[T]):
    """Items every side agrees on after the merge."""

    lines: tuple[T, ...]


@dataclass(frozen=True)
class Overlap(Generic[T]):
    """A region both sides changed differently: the three versions of it."""

    base: tuple[T, ...]
    ours: tuple[T, ...]
    theirs: tuple[T, ...]


@dataclass(frozen=True)
class TextMerge:
    """A merged source: the text (with markers where it conflicts) and how many conflicts."""

    text: str
    conflicts: int

    @property
    def clean(self) -> bool:
        return self.conflicts == 0


def _matches(base: Sequence[T], side: Sequence[T]) -> list[tuple[int, int, int]]:
    sm = SequenceMatcher(None, base, side, autojunk=False)
    return [(m.a, m.b, m.size) for m in sm.get_matching_blocks()]


def _sync_regions(
    base: Sequence[T], a: Sequence[T], b: Sequence[T]
) -> list[tuple[int, int, int, int, int, int]]:
    """Stretches of base that both sides keep unchanged, with where they sit in a and b."""
    am, bm = _matches(base, a), _matches(base, b)
    ia = ib = 0
    out: list[tuple[int, int, int, int, int, int]] = []
    while ia < len(am) and ib < len(bm):
        abase, amatch, alen = am[ia]
        bbase, bmatch, blen = bm[ib]
        lo, hi = max(abase, bbase), min(abase + alen, bbase + blen)
        if lo < hi:
            asub, bsub = amatch + (lo - abase), bmatch + (lo - bbase)
            out.append((lo, hi, asub, asub + hi - lo, bsub, bsub + hi - lo))
        if abase + alen < bbase + blen:
            ia += 1
        else:
            ib += 1
    out.append((len(base), len(base), len(a), len(a), len(b), len(b)))
    return out


def merge_regions(
    base: Sequence[T], ours: Sequence[T], theirs: Sequence[T]
) -> Iterator[Clean[T] | Overlap[T]]:
    """Yield the merged regions in order (lines, or any hashable items such as cell keys)."""
    iz = ia = ib = 0
    for zmatch, zend, amatch, aend, bmatch, bend in _sync_regions(base, ours, theirs):
        a_part, b_part = ours[ia:amatch], theirs[ib:bmatch]
        z_part = base[iz:zmatch]
        if a_part or b_part:
            if a_part == b_part:
                yield Clean(tuple(a_part))
            elif a_part == z_part:
                yield Clean(tuple(b_part))
            elif b_part == z_part:
                yield Clean(tuple(a_part))
            else:
                yield Overlap(tuple(z_part), tuple(a_part), tuple(b_part))
        if zend > zmatch:
            yield Clean(tuple(base[zmatch:zend]))
            iz, ia, ib = zend, aend, bend
        else:
            iz, ia, ib = zmatch, amatch, bmatch


def _lines(text: str) -> list[str]:
    lines = text.splitlines(keepends=True)
    if lines and not lines[-1].endswith("\n"):
        lines[-1] += "\n"
    return lines


def conflict_block(base: Sequence[str], ours: Sequence[str], theirs: Sequence[str]) -> list[str]:
    """The marker block for one overlap (every line ends with a newline)."""
    return [
        MARK_OURS + "\n",
        *ours,
        MARK_BASE + "\n",
        *base,
        MARK_SEP + "\n",
        *theirs,
        MARK_THEIRS + "\n",
    ]


def merge_text(base: str, ours: str, theirs: str) -> TextMerge:
    """Three-way merge of one cell source.

    Sources are compared as lines that all end in a newline; whether the merged
    source ends with one is merged separately (one side changing it wins), so a
    missing final newline — Jupyter's habit — neither conflicts nor leaks into
    the markers.
    """
    if ours == theirs:
        return TextMerge(ours, 0)
    if ours == base:
        return TextMerge(theirs, 0)
    if theirs == base:
        return TextMerge(ours, 0)
    out: list[str] = []
    conflicts = 0
    for region in merge_regions(_lines(base), _lines(ours), _lines(theirs)):
        if isinstance(region, Clean):
            out.extend(region.lines)
        else:
            conflicts += 1
            out.extend(conflict_block(region.base, region.ours, region.theirs))
    text = "".join(out)
    nl_base, nl_ours, nl_theirs = (s.endswith("\n") for s in (base, ours, theirs))
    wants_nl = nl_ours if nl_ours != nl_base else nl_theirs
    if text.endswith("\n") and not wants_nl:
        text = text[:-1]
    return TextMerge(text, conflicts)
