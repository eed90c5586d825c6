"""What the cache covers, for the "Run up to here" lens, the hover and the components'
states (``link.state``, JupyterLab's headers): per snapshot, in memory.

The store of a notebook is the one a run uses (``cacheDir`` from the initialization
options, else ``$LINK_LS_CACHE_DIR``, else beside the notebook). What it holds
comes from the server's in-memory ``link_ls.cache.index`` (read once per store, again
after a run or a cache command). Other processes write stores too (a ``link-ls run``
in a terminal, a Dask worker, ``cache trust``): each request first asks the index to
check its store (two ``stat`` calls; the changed entries are read again only when
the store folder changed), so a lens never says "never run" for a cached component.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from link_ls.errors import UsageError
from link_ls.notebook import Notebook
from link_ls.server.base import LinkServer
from link_ls.server.snapshot import Snapshot

if TYPE_CHECKING:
    from link_ls.cache import CacheKey
    from link_ls.cache.index import StoreIndex


def store_for(ls: LinkServer, nb: Notebook) -> Any:
    from link_ls.cache import CacheStore

    if nb.path is None:
        raise UsageError(f"{nb.display_name}: the notebook has no file, so no cache store")
    return CacheStore.for_notebook(Path(nb.path), ls.cache_dir)


def snapshot_keys(snap: Snapshot, params: Mapping[str, Any]) -> Mapping[int, CacheKey]:
    """The Merkle keys of the snapshot's pipeline under ``params``, computed once per
    document version and parameter values (lenses, hovers and ``link.state`` share them)."""
    from link_ls.cache import compute_keys

    assert snap.notebook is not None
    memo = snap.extra.get("keys")
    if memo is None or memo[0] != params:
        memo = (dict(params), compute_keys(snap.notebook, snap.pipeline, params))
        snap.extra["keys"] = memo
    keys: Mapping[int, CacheKey] = memo[1]
    return keys


class CachedCounts:
    """Per snapshot and cache generation: how many cells of "run up to X" the cache covers.

    A cell counts when the run would not execute it: restored from its entry, or
    skipped because a cached cell below it is restored (the same decision a run
    makes, ``link_ls.cache.planner``). ``None`` when the notebook has no cache at all,
    so the lens stays "(N cells)" for people who never cache.
    """

    def __init__(self, snap: Snapshot, index: StoreIndex | None) -> None:
        from link_ls.cache import effective_parameters

        assert snap.notebook is not None
        self.snap = snap
        self.counts: dict[int, int] = {}
        self.restorable: dict[int, frozenset[str]] | None = None
        nb = snap.notebook
        if index is None or not index.has_entries:
            return
        keys = snapshot_keys(snap, effective_parameters(nb))
        self.restorable = {idx: index.usable[k] for idx, k in keys.items() if k in index.usable}

    def up_to(self, idx: int) -> int | None:
        from link_ls.cache.planner import Disposition, decide_steps
        from link_ls.pipeline import plan_up_to

        if self.restorable is None:
            return None
        if idx not in self.counts:
            p = self.snap.pipeline
            steps = [s.index for s in plan_up_to(p, idx).steps]
            disp = decide_steps(p, steps, {idx}, self.restorable)
            self.counts[idx] = sum(1 for d in disp.values() if d is not Disposition.EXECUTE)
        return self.counts[idx]


def checked_index(ls: LinkServer, nb: Notebook) -> StoreIndex | None:
    """The index of the notebook's store (None: no file), checked for other processes'
    writes — what every request that shows cache states reads instead of the store."""
    if nb.path is None:
        return None
    index = ls.cache_indexes.for_notebook(Path(nb.path), ls.cache_dir)
    if index.check():
        # the lenses of the other cells an editor shows were made before the change
        ls.refresh_code_lenses()
    return index


def _index(ls: LinkServer, snap: Snapshot) -> StoreIndex | None:
    nb = snap.notebook
    if nb is None or nb.language != "python":
        return None
    return checked_index(ls, nb)


def cached_counts(ls: LinkServer, snap: Snapshot) -> CachedCounts:
    """The snapshot's :class:`CachedCounts`, made again when the cache changed (this
    server's runs and cache commands, or another process's writes to the store)."""
    index = _index(ls, snap)
    stamp = (ls.cache_generation, index.version if index is not None else None)
    memo = snap.extra.get("cached")
    if memo is None or memo[0] != stamp:
        memo = (stamp, CachedCounts(snap, index))
        snap.extra["cached"] = memo
    counts: CachedCounts = memo[1]
    return counts
