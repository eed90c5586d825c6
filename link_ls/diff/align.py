"""Cell alignment between two notebooks: ids first, then exact content anchors, then similarity.

The order of evidence goes from strict to loose, as in nbdime, but without its
all-pairs similarity grid (which makes a 1000-cell notebook without ids take ~30 s):

1. ``canvas.id`` (Link's component id), when unique on both sides;
2. nbformat ``cell.id``, when unique on both sides;
3. exact content (cell type + source) of the remaining cells, as in-order anchors
   found by :class:`difflib.SequenceMatcher` on interned content keys — linear-ish
   for notebooks that share most cells;
4. exact content that moved (a key unique among the still-unmatched cells of both sides);
5. similarity of sources, only inside each gap between consecutive anchors, with an
   order-preserving DP for small gaps and a bounded look-ahead for large ones.
"""

from __future__ import annotations

import difflib
import itertools
from collections.abc import Callable, Hashable, Iterable, Sequence

from link_ls.notebook import Cell

#: minimum similarity (0..1) for two cells in a gap to count as "the same cell, modified"
SIMILARITY_THRESHOLD = 0.5
#: gaps with at most this many (a, b) pairs get a full order-preserving DP
_DP_CAP = 4096
#: in larger gaps, each removed-side cell looks this far ahead on the added side
_LOOKAHEAD = 24
#: sources longer than this are compared line by line instead of character by character
_CHAR_LIMIT = 4000

Pair = tuple[int | None, int | None]


def align_cells(a: Sequence[Cell], b: Sequence[Cell]) -> list[tuple[int | None, int | None]]:
    """Match cells of `a` to cells of `b` (Cell = link_ls.notebook.Cell).

    By canvas.id, then nbformat cell.id, then content (exact source-hash anchors, then
    similarity only inside the gaps between anchors — never an all-pairs grid over the
    whole notebook). Returns pairs (i, j) of indexes into a and b; (i, None) = removed
    from a, (None, j) = added in b. Every index of a and of b appears exactly once. Pairs
    are ordered by position in b, with removed cells placed after the pair that precedes
    them in a. Moved cells are matched pairs whose relative order changed.
    """
    a_to_b: dict[int, int] = {}
    _match_by_key(a, b, a_to_b, lambda c: c.canvas.id if c.canvas and c.canvas.id else None)
    _match_by_key(a, b, a_to_b, lambda c: c.cell_id)
    matched_b = set(a_to_b.values())
    rest_a = [i for i in range(len(a)) if i not in a_to_b]
    rest_b = [j for j in range(len(b)) if j not in matched_b]
    if rest_a and rest_b:
        # cell ids are trusted once some cells matched by them (not after a blanket regeneration)
        trust = any(
            a[i].cell_id is not None and a[i].cell_id == b[j].cell_id for i, j in a_to_b.items()
        )
        _match_by_content(a, b, rest_a, rest_b, a_to_b, trust)
    return _ordered_pairs(len(a), len(b), a_to_b)


def _match_by_key(
    a: Sequence[Cell],
    b: Sequence[Cell],
    a_to_b: dict[int, int],
    key: Callable[[Cell], str | None],
) -> None:
    """Match still-unmatched cells whose key is present and unique on both sides."""
    matched_b = set(a_to_b.values())
    ka = _unique_keys((i, key(c)) for i, c in enumerate(a) if i not in a_to_b)
    kb = _unique_keys((j, key(c)) for j, c in enumerate(b) if j not in matched_b)
    for k, i in ka.items():
        j = kb.get(k)
        if j is not None:
            a_to_b[i] = j


def _unique_keys(items: Iterable[tuple[int, str | None]]) -> dict[str, int]:
    seen: dict[str, int] = {}
    dup: set[str] = set()
    for idx, k in items:
        if k is None or k == "":
            continue
        if k in seen:
            dup.add(k)
        else:
            seen[k] = idx
    for k in dup:
        del seen[k]
    return seen


def _content_key(c: Cell) -> tuple[str, str, str]:
    # two components with different canvas ids are different components, however alike
    return (c.cell_type, c.source, c.canvas.id if c.canvas is not None else "")


def _distinct(x: Cell, y: Cell, trust_cell_ids: bool) -> bool:
    """Ids say these are different cells: both have canvas ids (or trusted cell ids) that differ."""
    if x.canvas is not None and y.canvas is not None and x.canvas.id and y.canvas.id:
        return x.canvas.id != y.canvas.id
    return trust_cell_ids and bool(x.cell_id and y.cell_id) and x.cell_id != y.cell_id


def _match_by_content(
    a: Sequence[Cell],
    b: Sequence[Cell],
    rest_a: list[int],
    rest_b: list[int],
    a_to_b: dict[int, int],
    trust_cell_ids: bool,
) -> None:
    # intern content keys to small ints so SequenceMatcher hashes ints, not 10 MB sources
    intern: dict[Hashable, int] = {}
    ka = [intern.setdefault(_content_key(a[i]), len(intern)) for i in rest_a]
    kb = [intern.setdefault(_content_key(b[j]), len(intern)) for j in rest_b]
    sm = difflib.SequenceMatcher(None, ka, kb, autojunk=True)
    anchors: list[tuple[int, int]] = []  # positions into rest_a / rest_b
    for blk in sm.get_matching_blocks():
        for k in range(blk.size):
            anchors.append((blk.a + k, blk.b + k))
    for pa, pb in anchors:
        a_to_b[rest_a[pa]] = rest_b[pb]
    anchored_a = {pa for pa, _ in anchors}
    anchored_b = {pb for _, pb in anchors}

    # moved cells: identical content, unique among what is left on both sides
    left_a = [(p, ka[p]) for p in range(len(ka)) if p not in anchored_a]
    left_b = [(p, kb[p]) for p in range(len(kb)) if p not in anchored_b]
    ua = _unique_int_keys(left_a)
    ub = _unique_int_keys(left_b)
    moved_a: set[int] = set()
    moved_b: set[int] = set()
    for k, pa in ua.items():
        hit = ub.get(k)
        if hit is not None:
            a_to_b[rest_a[pa]] = rest_b[hit]
            moved_a.add(pa)
            moved_b.add(hit)

    # similarity, gap by gap between consecutive in-order anchors
    bounds = [(-1, -1), *anchors, (len(ka), len(kb))]
    for (a0, b0), (a1, b1) in itertools.pairwise(bounds):
        ga = [rest_a[p] for p in range(a0 + 1, a1) if p not in moved_a]
        gb = [rest_b[p] for p in range(b0 + 1, b1) if p not in moved_b]
        if ga and gb:
            for i, j in _match_gap(a, b, ga, gb, trust_cell_ids):
                a_to_b[i] = j


def _unique_int_keys(items: list[tuple[int, int]]) -> dict[int, int]:
    seen: dict[int, int] = {}
    dup: set[int] = set()
    for p, k in items:
        if k in seen:
            dup.add(k)
        else:
            seen[k] = p
    for k in dup:
        del seen[k]
    return seen


def similarity(x: Cell, y: Cell) -> float:
    """How alike two cells are, 0..1; cells of different types never match."""
    if x.cell_type != y.cell_type:
        return 0.0
    sx, sy = x.source, y.source
    if sx == sy:
        return 1.0
    if not sx.strip() or not sy.strip():
        return 0.0
    if len(sx) > _CHAR_LIMIT or len(sy) > _CHAR_LIMIT:
        lm = difflib.SequenceMatcher(None, sx.splitlines(), sy.splitlines(), autojunk=False)
        return lm.ratio()
    sm = difflib.SequenceMatcher(None, sx, sy, autojunk=False)
    if sm.real_quick_ratio() < SIMILARITY_THRESHOLD or sm.quick_ratio() < SIMILARITY_THRESHOLD:
        return 0.0
    return sm.ratio()


def _match_gap(
    a: Sequence[Cell], b: Sequence[Cell], ga: list[int], gb: list[int], trust_cell_ids: bool
) -> list[tuple[int, int]]:
    def score(i: int, j: int) -> float:
        x, y = a[i], b[j]
        return 0.0 if _distinct(x, y, trust_cell_ids) else similarity(x, y)

    if len(ga) * len(gb) <= _DP_CAP:
        return _gap_dp(ga, gb, score)
    return _gap_lookahead(ga, gb, score)


def _gap_dp(
    ga: list[int], gb: list[int], score: Callable[[int, int], float]
) -> list[tuple[int, int]]:
    """Order-preserving matching maximising total similarity (weighted LCS)."""
    n, m = len(ga), len(gb)
    sim = [[0.0] * m for _ in range(n)]
    for x in range(n):
        for y in range(m):
            s = score(ga[x], gb[y])
            sim[x][y] = s if s >= SIMILARITY_THRESHOLD else 0.0
    best = [[0.0] * (m + 1) for _ in range(n + 1)]
    for x in range(n - 1, -1, -1):
        row, nxt = best[x], best[x + 1]
        for y in range(m - 1, -1, -1):
            v = max(nxt[y], row[y + 1])
            s = sim[x][y]
            if s > 0.0 and nxt[y + 1] + s > v:
                v = nxt[y + 1] + s
            row[y] = v
    out: list[tuple[int, int]] = []
    x = y = 0
    while x < n and y < m:
        s = sim[x][y]
        if s > 0.0 and best[x][y] == best[x + 1][y + 1] + s:
            out.append((ga[x], gb[y]))
            x += 1
            y += 1
        elif best[x][y] == best[x + 1][y]:
            x += 1
        else:
            y += 1
    return out


def _gap_lookahead(
    ga: list[int], gb: list[int], score: Callable[[int, int], float]
) -> list[tuple[int, int]]:
    """Large gaps: each cell of `a` looks a bounded distance ahead in `b` (stays linear)."""
    out: list[tuple[int, int]] = []
    q = 0
    for i in ga:
        best_s, best_y = 0.0, -1
        for y in range(q, min(q + _LOOKAHEAD, len(gb))):
            s = score(i, gb[y])
            if s >= SIMILARITY_THRESHOLD and s > best_s:
                best_s, best_y = s, y
                if s >= 0.95:
                    break
        if best_y >= 0:
            out.append((i, gb[best_y]))
            q = best_y + 1
            if q >= len(gb):
                break
    return out


def _ordered_pairs(na: int, nb: int, a_to_b: dict[int, int]) -> list[Pair]:
    """Pairs by position in b; a removed cell follows its nearest matched a-predecessor."""
    keyed: list[tuple[tuple[int, int, int], Pair]] = []
    b_to_a = {j: i for i, j in a_to_b.items()}
    for j in range(nb):
        keyed.append(((j, 0, 0), (b_to_a.get(j), j)))
    anchor_j = -1
    for i in range(na):
        mj = a_to_b.get(i)
        if mj is not None:
            anchor_j = mj
        else:
            keyed.append(((anchor_j, 1, i), (i, None)))
    keyed.sort(key=lambda kv: kv[0])
    return [p for _, p in keyed]
