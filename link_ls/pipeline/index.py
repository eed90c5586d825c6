"""Incremental re-build of a plain notebook's DAG after one cell's source changed.

Keeps, per name, the sorted cells that provide it (define, mutate, delete), define
it, and read it; an edit of one cell re-points only the readers of the names that
cell touched before or after the edit. Anything else (pipelines, star imports,
a changed cell list) falls back to a full :class:`Pipeline` build.
"""

from __future__ import annotations

from bisect import bisect_left, insort
from dataclasses import dataclass, field

from link_ls.analysis import BUILTIN_NAMES, AnalysisCache, CellAnalysis, default_cache
from link_ls.notebook.model import Notebook
from link_ls.pipeline.graph import Pipeline, _analyses, build


@dataclass
class NameIndex:
    """Per name: sorted provider, definer and reader cell indexes."""

    providers: dict[str, list[int]] = field(default_factory=dict)
    definers: dict[str, list[int]] = field(default_factory=dict)
    readers: dict[str, list[int]] = field(default_factory=dict)

    @classmethod
    def of(cls, pipe: Pipeline) -> NameIndex:
        ix = cls()
        for idx in pipe.nodes:
            ix.add(idx, pipe.analyses[idx])
        return ix

    def add(self, idx: int, a: CellAnalysis) -> None:
        for n in a.defs | a.mutations | a.deletes:
            insort(self.providers.setdefault(n, []), idx)
        for n in a.defs:
            insort(self.definers.setdefault(n, []), idx)
        for n in a.reads:
            insort(self.readers.setdefault(n, []), idx)

    def remove(self, idx: int, a: CellAnalysis) -> None:
        for table, names in (
            (self.providers, a.defs | a.mutations | a.deletes),
            (self.definers, a.defs),
            (self.readers, a.reads),
        ):
            for n in names:
                lst = table[n]
                del lst[bisect_left(lst, idx)]

    def provider(self, name: str, before: int) -> int | None:
        lst = self.providers.get(name)
        if not lst:
            return None
        i = bisect_left(lst, before)
        return lst[i - 1] if i else None


def _touched(a: CellAnalysis) -> frozenset[str]:
    return a.defs | a.mutations | a.deletes | a.reads


def rebuilt(previous: Pipeline, nb: Notebook, analyses: dict[int, CellAnalysis]) -> Pipeline:
    """The pipeline of ``nb``: incremental from ``previous`` when only one cell's source changed.

    ``previous`` hands its index over (it must not be used as a base again).
    """
    ix: NameIndex | None = getattr(previous, "_name_index", None)
    previous._name_index = None  # type: ignore[attr-defined]
    old_nb = previous.notebook
    if (
        nb.is_pipeline
        or previous.is_pipeline
        or len(nb.cells) != len(old_nb.cells)
        or nb.parameters != old_nb.parameters
        or (
            nb is not old_nb
            and any(a.is_code != b.is_code for a, b in zip(nb.cells, old_nb.cells, strict=True))
        )
    ):
        return _fresh(nb, analyses)
    changed = [i for i in previous.nodes if analyses[i] is not previous.analyses[i]]
    if (
        len(changed) > 1
        or any(analyses[i].unknown or previous.analyses[i].unknown for i in changed)
        or (ix is None and any(analyses[i].unknown for i in previous.nodes))
    ):
        return _fresh(nb, analyses)
    if ix is None:
        ix = NameIndex.of(previous)
    pipe = Pipeline.__new__(Pipeline)
    pipe.notebook = nb
    pipe.analyses = analyses
    pipe.is_pipeline = False
    pipe.nodes = previous.nodes
    pipe._pos = previous._pos
    pipe.links = []
    pipe.declared = set()
    pipe._anc = None
    pipe._graph = None
    if not changed:
        pipe.inferred = previous.inferred
        pipe.out_of_order = previous.out_of_order
        pipe.undefined = previous.undefined
        pipe._name_index = ix  # type: ignore[attr-defined]
        return pipe
    k = changed[0]
    old, new = previous.analyses[k], analyses[k]
    names = _touched(old) | _touched(new)
    # a builtin nobody provides, before or after, makes no edge and no diagnostic
    names = frozenset(
        n
        for n in names
        if n not in BUILTIN_NAMES
        or ix.providers.get(n)
        or n in new.defs | new.mutations | new.deletes
    )
    inferred = dict(previous.inferred)
    # drop the old edges carrying a touched name
    for n in names:
        for r in ix.readers.get(n, ()):
            src = ix.provider(n, r)
            if src is not None:
                key = (src, r)
                lst = [m for m in inferred[key] if m != n]
                if lst:
                    inferred[key] = lst
                else:
                    del inferred[key]
    ix.remove(k, old)
    ix.add(k, new)
    params = {prm.name for prm in nb.parameters}
    out_of_order = [e for e in previous.out_of_order if e[1] not in names]
    undefined = [e for e in previous.undefined if e[1] not in names]
    touched_keys: list[tuple[int, int]] = []
    for n in names:
        for r in ix.readers.get(n, ()):
            src = ix.provider(n, r)
            if src is not None:
                inferred[(src, r)] = [*inferred.get((src, r), ()), n]
                touched_keys.append((src, r))
            elif n in BUILTIN_NAMES or n in params:
                continue
            else:
                defs = ix.definers.get(n)
                definer = defs[0] if defs else None
                if definer is not None and definer != r:
                    out_of_order.append((r, n, definer))
                else:
                    undefined.append((r, n))
    for key in set(touched_keys):
        lst = inferred[key]
        if len(lst) > 1:
            order = {m: i for i, m in enumerate(analyses[key[1]].reads)}
            inferred[key] = sorted(lst, key=order.__getitem__)
    order_cache: dict[int, dict[str, int]] = {}

    def rank(idx: int, name: str) -> tuple[int, int]:
        o = order_cache.get(idx)
        if o is None:
            o = order_cache[idx] = {m: i for i, m in enumerate(analyses[idx].reads)}
        return (idx, o[name])

    out_of_order.sort(key=lambda e: rank(e[0], e[1]))
    undefined.sort(key=lambda e: rank(e[0], e[1]))
    pipe.inferred = inferred
    pipe.out_of_order = out_of_order
    pipe.undefined = undefined
    pipe._name_index = ix  # type: ignore[attr-defined]
    return pipe


def _fresh(nb: Notebook, analyses: dict[int, CellAnalysis]) -> Pipeline:
    pipe = Pipeline(nb, analyses)
    pipe._name_index = None  # type: ignore[attr-defined]
    return pipe


def build_after(
    previous: Pipeline | None, nb: Notebook, cache: AnalysisCache | None = None
) -> Pipeline:
    """:func:`build` of ``nb``, incremental from ``previous`` (the last version) when given."""
    if previous is None:
        return build(nb, cache)
    code = [c.index for c in nb.cells if c.is_code]
    return rebuilt(previous, nb, _analyses(nb, cache or default_cache, code))
