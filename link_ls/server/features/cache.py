"""link.cache.list|export|import|trust|clear: the cache of a notebook, through ``link_ls.cache``.

The commands translate arguments to ``link_ls.cache`` calls and return their JSON
(docs/commands.md). A notebook that is open is taken as the editor has it (its keys
follow the unsaved sources); the store is the one a run uses (``cacheDir`` from
the initialization options, else ``$LINK_LS_CACHE_DIR``, else beside the notebook).
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import TYPE_CHECKING, Any

from link_ls.errors import UsageError
from link_ls.server.args import argument, overrides, path_of
from link_ls.server.base import LinkServer, guard

if TYPE_CHECKING:
    from link_ls.notebook import Notebook


def _cells(nb: Notebook, a: dict[str, Any]) -> list[int] | None:
    from link_ls.notebook import resolve_cell

    refs = a.get("cells")
    if refs is None:
        return None
    if not isinstance(refs, list) or not all(isinstance(r, (str, int)) for r in refs):
        raise UsageError("'cells' must be a list of cell references")
    return [resolve_cell(nb, str(r)).index for r in refs]


async def cache_list(ls: LinkServer, *args: Any) -> dict[str, Any]:
    from link_ls.cache import component_statuses, effective_parameters
    from link_ls.server.cachelens import store_for
    from link_ls.server.workspace import notebook_for

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


async def cache_export(ls: LinkServer, *args: Any) -> dict[str, Any]:
    from link_ls.cache import effective_parameters
    from link_ls.cache.archives import LAYOUTS, export_archive
    from link_ls.server.cachelens import store_for
    from link_ls.server.workspace import notebook_for

    a = argument(args)
    nb, _ = notebook_for(ls, a["uri"])
    out = path_of(a.get("output"), "output")
    if out.is_dir():
        raise UsageError(f"{out}: is a directory")
    layout = a.get("layout", "link-ls")
    if layout not in LAYOUTS:
        raise UsageError(f"'layout' must be one of {', '.join(LAYOUTS)}")
    store = store_for(ls, nb)
    params = effective_parameters(nb, overrides(a))
    report = await asyncio.to_thread(
        export_archive, nb, store, out, layout=layout, cells=_cells(nb, a), parameters=params
    )
    return {"uri": a["uri"], **report.to_json()}


async def cache_import(ls: LinkServer, *args: Any) -> dict[str, Any]:
    from link_ls.cache import effective_parameters
    from link_ls.cache.archive import ImportLimits
    from link_ls.cache.archives import import_archive
    from link_ls.server.cachelens import store_for
    from link_ls.server.workspace import notebook_for

    a = argument(args)
    nb, _ = notebook_for(ls, a["uri"])
    archive = path_of(a.get("archive"), "archive")
    sizes = [a.get("maxMemberSize"), a.get("maxTotalSize")]
    if any(s is not None and (not isinstance(s, int) or s <= 0) for s in sizes):
        raise UsageError("'maxMemberSize' and 'maxTotalSize' are positive byte counts")
    limits = ImportLimits.from_env(sizes[0], sizes[1])
    trust = a.get("trust", False)
    if not isinstance(trust, bool):
        raise UsageError("'trust' must be true or false")
    store = store_for(ls, nb)
    params = effective_parameters(nb, overrides(a))
    report = await asyncio.to_thread(
        import_archive, archive, store, nb, limits=limits, parameters=params, trust=trust
    )
    ls.cache_changed()
    return {"uri": a["uri"], "store": str(store.folder), **report.to_json()}


async def cache_trust(ls: LinkServer, *args: Any) -> dict[str, Any]:
    from link_ls.cache import trust_stores
    from link_ls.cache.trusting import notebook_store
    from link_ls.server.cachelens import store_for
    from link_ls.server.workspace import notebook_for

    a = argument(args)
    nb, _ = notebook_for(ls, a["uri"])
    url = a.get("store")
    if url is not None and (not isinstance(url, str) or not url):
        raise UsageError("'store' must be a store folder or URL, as a run's 'store' names it")
    store = store_for(ls, nb)  # a notebook without a file has no store: says so
    if url is not None:
        path = Path(str(nb.path))
        store = await asyncio.to_thread(notebook_store, path, store=url, cache_dir=ls.cache_dir)
    report = await asyncio.to_thread(trust_stores, [store])
    ls.cache_changed()
    return {"uri": a["uri"], "store": store.location, **report.to_json()}


async def cache_clear(ls: LinkServer, *args: Any) -> dict[str, Any]:
    from link_ls.server.cachelens import store_for
    from link_ls.server.workspace import notebook_for

    a = argument(args)
    nb, _ = notebook_for(ls, a["uri"])
    store = store_for(ls, nb)
    count, size = await asyncio.to_thread(store.clear)
    ls.cache_changed()
    return {"uri": a["uri"], "store": str(store.folder), "removed": count, "bytes": size}


def register(server: LinkServer) -> None:
    server.command("link.cache.list")(guard(cache_list))
    server.command("link.cache.export")(guard(cache_export))
    server.command("link.cache.import")(guard(cache_import))
    server.command("link.cache.trust")(guard(cache_trust))
    server.command("link.cache.clear")(guard(cache_clear))
