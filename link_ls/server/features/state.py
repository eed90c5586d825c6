"""link.state: each component's run state (never run, up to date, stale, cached, untrusted).

One rule (``link_ls.usecases.state``) for every editor: the JupyterLab extension shows
it on its headers (through ``link.lab.view``), VS Code and Neovim ask this command.
The store is the one a run uses, read from the server's in-memory index of it
(``link_ls.server.cachelens.checked_index``: two ``stat`` calls per request, changed
entries only read again); "up to date" comes from this server session's runs
(``link_ls.server.runstate``).
"""

from __future__ import annotations

import asyncio
from typing import Any

from link_ls.server.args import argument, overrides
from link_ls.server.base import LinkServer, guard


def states(ls: LinkServer, a: dict[str, Any]) -> dict[str, Any]:
    from link_ls.cache import effective_parameters
    from link_ls.pipeline import build
    from link_ls.server.cachelens import checked_index, snapshot_keys
    from link_ls.server.runstate import last_run
    from link_ls.server.workspace import target
    from link_ls.usecases.state import component_states

    t = target(ls, a["uri"])
    nb = t.notebook
    params = effective_parameters(nb, overrides(a))
    # an open document's pipeline and keys are computed once per version (its snapshot's)
    p = t.snap.pipeline if t.snap is not None else build(nb)
    keys = snapshot_keys(t.snap, params) if t.snap is not None else None
    index = checked_index(ls, nb)
    rows = component_states(nb, index, p, last_run(ls, nb), params, keys=keys)
    return {"uri": a["uri"], "components": [r.to_json() for r in rows]}


def register(server: LinkServer) -> None:
    @server.command("link.state")
    @guard
    async def link_state(ls: LinkServer, *args: Any) -> dict[str, Any]:
        return await asyncio.to_thread(states, ls, argument(args))
