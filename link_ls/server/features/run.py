"""link.run, link.interrupt, link.restartKernel: the seam where execution plugs in.

The execution engine (``link_ls.kernel``) is not wired yet, so ``link.run`` answers
with the run plan it *would* execute and ``executed: false`` plus a message, and
tells the user so. To wire the kernel, replace :func:`execute` (and the two
small handlers below) — nothing else in the server needs to change: the plan is
already computed by the core, progress/cancellation come from :class:`Work`.
"""

from __future__ import annotations

from typing import Any

from lsprotocol import types

from link_ls.pipeline import RunPlan
from link_ls.server.base import LinkServer, guard
from link_ls.server.features.commands import argument, notebook_for, run_plan
from link_ls.server.progress import Work

NOT_AVAILABLE = "execution not available: link-ls has no kernel support yet"


async def execute(ls: LinkServer, uri: str, plan: RunPlan, work: Work) -> dict[str, Any]:
    """Run ``plan`` for the notebook at ``uri``; the kernel-less answer for now."""
    return {"executed": False, "message": NOT_AVAILABLE, "ran": [], "restored": []}


def register(server: LinkServer) -> None:
    @server.command("link.run")
    @guard
    async def link_run(ls: LinkServer, *args: Any) -> dict[str, Any]:
        a = argument(args)
        nb_cell = notebook_for(ls, a["uri"])
        async with Work(ls, "link: run") as work:
            pipe = await work.build(nb_cell[0])
            plan = run_plan(nb_cell, a, pipe)
            outcome = await execute(ls, a["uri"], plan, work)
        if not outcome["executed"]:
            names = ", ".join(s.name for s in plan.steps) or "nothing"
            ls.tell(f"{outcome['message']} (plan: {names})", types.MessageType.Warning)
        return {"uri": a["uri"], "plan": plan.to_json(), **outcome}

    @server.command("link.interrupt")
    @guard
    def link_interrupt(ls: LinkServer, *args: Any) -> dict[str, Any]:
        a = argument(args)
        return {"uri": a["uri"], "interrupted": False, "message": NOT_AVAILABLE}

    @server.command("link.restartKernel")
    @guard
    def link_restart(ls: LinkServer, *args: Any) -> dict[str, Any]:
        a = argument(args)
        return {"uri": a["uri"], "restarted": False, "message": NOT_AVAILABLE}
