"""link.cache.list|export|import|trust|clear, and what the cache covers for the "Run up to" lens.

The commands translate arguments to ``link_ls.cache`` calls and return their JSON
(docs/commands.md). A notebook that is open is taken as the editor has it (its keys
follow the unsaved sources); the store is the one a run uses (``cacheDir`` from
the initialization options, else ``$LINK_LS_CACHE_DIR``, else beside the notebook).
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from link_ls.errors import UsageError
from link_ls.notebook import Notebook, resolve_cell
from link_ls.server.base import LinkServer, guard
from link_ls.server.documents import uri_path
from link_ls.server.features.commands import argument, notebook_for
from link_ls.server.snapshot import Snapshot


def store_for(ls: LinkServer, nb: Notebook) -> Any:
    from link_ls.cache import CacheStore

    if nb.path is None:
        raise UsageError(f"{nb.display_name}: the notebook has no file, so no cache store")
    return CacheStore.for_notebook(Path(nb.path), ls.cache_dir)


def _path_arg(a: dict[str, Any], key: str) -> Path:
    value = a.get(key)
    if not isinstance(value, str) or not value:
        raise UsageError(f"argument needs '{key}', a path or file: uri")
    return Path(uri_path(value)) if value.startswith("file:") else Path(value)


def _cells(nb: Notebook, a: dict[str, Any]) -> list[int] | None:
    refs = a.get("cells")
    if refs is None:
        return None
    if not isinstance(refs, list) or not all(isinstance(r, (str, int)) for r in refs):
        raise UsageError("'cells' must be a list of cell references")
    return [resolve_cell(nb, str(r)).index for r in refs]


class CachedCounts:
    """Per snapshot and cache generation: how many cells of "run up to X" the cache covers.

    A cell counts when the run would not execute it: restored from its entry, or
    skipped because a cached cell below it is restored (the same decision a run
    makes, ``link_ls.cache.planner``). ``None`` when the notebook has no cache at all,
    so the lens stays "(N cells)" for people who never cache.
    """

    def __init__(self, ls: LinkServer, snap: Snapshot) -> None:
        from link_ls.cache import compute_keys, effective_parameters

        assert snap.notebook is not None
        self.snap = snap
        self.counts: dict[int, int] = {}
        self.restorable: dict[int, frozenset[str]] | None = None
        nb = snap.notebook
        if nb.path is None or nb.language != "python":
            return
        store = store_for(ls, nb)
        if not store.keys():
            return
        from link_ls.cache import CacheError, load_user_key

        try:
            user = load_user_key()
        except CacheError:
            return
        keys = compute_keys(nb, snap.pipeline, effective_parameters(nb))
        restorable: dict[int, frozenset[str]] = {}
        for idx, key in keys.items():
            # only trusted entries are restored by a run (docs/cache.md, Trust)
            m = store.trusted_manifest(key, user)
            if m is not None and m.usable and store.complete(m):
                restorable[idx] = frozenset(m.absent)
        self.restorable = restorable

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


def cached_counts(ls: LinkServer, snap: Snapshot) -> CachedCounts:
    """The snapshot's :class:`CachedCounts`, made again when the cache changed."""
    memo = snap.extra.get("cached")
    if memo is None or memo[0] != ls.cache_generation:
        memo = (ls.cache_generation, CachedCounts(ls, snap))
        snap.extra["cached"] = memo
    counts: CachedCounts = memo[1]
    return counts


def register(server: LinkServer) -> None:
    @server.command("link.cache.list")
    @guard
    async def cache_list(ls: LinkServer, *args: Any) -> dict[str, Any]:
        from link_ls.cache import component_statuses, effective_parameters
        from link_ls.server.features.run import overrides

        a = argument(args)
        nb, _ = notebook_for(ls, a["uri"])
        store = store_for(ls, nb)
        params = effective_parameters(nb, overrides(a))
        rows = await asyncio.to_thread(component_statuses, nb, store, parameters=params)
        return {
            "uri": a["uri"],
            "notebook": str(nb.path),
            "store": str(store.folder),
            "components": [r.to_json() for r in rows],
        }

    @server.command("link.cache.export")
    @guard
    async def cache_export(ls: LinkServer, *args: Any) -> dict[str, Any]:
        from link_ls.cache import effective_parameters
        from link_ls.cache.export import export_cache
        from link_ls.server.features.run import overrides

        a = argument(args)
        nb, _ = notebook_for(ls, a["uri"])
        out = _path_arg(a, "output")
        if out.is_dir():
            raise UsageError(f"{out}: is a directory")
        store = store_for(ls, nb)
        params = effective_parameters(nb, overrides(a))
        report = await asyncio.to_thread(
            export_cache, nb, store, out, cells=_cells(nb, a), parameters=params
        )
        return {"uri": a["uri"], **report.to_json()}

    @server.command("link.cache.import")
    @guard
    async def cache_import(ls: LinkServer, *args: Any) -> dict[str, Any]:
        from link_ls.cache import effective_parameters
        from link_ls.cache.archive import ImportLimits
        from link_ls.cache.importer import import_cache
        from link_ls.server.features.run import overrides

        a = argument(args)
        nb, _ = notebook_for(ls, a["uri"])
        archive = _path_arg(a, "archive")
        sizes = [a.get("maxMemberSize"), a.get("maxTotalSize")]
        if any(s is not None and (not isinstance(s, int) or s <= 0) for s in sizes):
            raise UsageError("'maxMemberSize' and 'maxTotalSize' are positive byte counts")
        limits = ImportLimits.from_env(sizes[0], sizes[1])
        store = store_for(ls, nb)
        params = effective_parameters(nb, overrides(a))
        trust = a.get("trust", False)
        if not isinstance(trust, bool):
            raise UsageError("'trust' must be true or false")
        report = await asyncio.to_thread(
            import_cache, archive, store, nb, limits=limits, parameters=params, trust=trust
        )
        ls.cache_changed()
        return {"uri": a["uri"], "store": str(store.folder), **report.to_json()}

    @server.command("link.cache.trust")
    @guard
    async def cache_trust(ls: LinkServer, *args: Any) -> dict[str, Any]:
        from link_ls.cache import trust_stores

        a = argument(args)
        nb, _ = notebook_for(ls, a["uri"])
        store = store_for(ls, nb)
        report = await asyncio.to_thread(trust_stores, [store])
        ls.cache_changed()
        return {"uri": a["uri"], "store": str(store.folder), **report.to_json()}

    @server.command("link.cache.clear")
    @guard
    async def cache_clear(ls: LinkServer, *args: Any) -> dict[str, Any]:
        a = argument(args)
        nb, _ = notebook_for(ls, a["uri"])
        store = store_for(ls, nb)
        count, size = await asyncio.to_thread(store.clear)
        ls.cache_changed()
        return {"uri": a["uri"], "store": str(store.folder), "removed": count, "bytes": size}
