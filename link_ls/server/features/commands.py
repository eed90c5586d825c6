"""``workspace/executeCommand``: link.graph, link.plan, link.check, link.addEdge, link.removeEdge,
link.toPipeline. Argument and result shapes are documented in docs/commands.md.

Every command takes one JSON object. ``uri`` names an open document (a notebook,
any of its cells, or a text document) or, for the read-only commands, a notebook
file on disk. Cells are referenced the way the CLI does: component name,
``canvas.id``, nbformat ``cell.id`` or ``#N``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from link_ls.server.args import argument, req_str
from link_ls.server.base import LinkServer, guard

if TYPE_CHECKING:
    from link_ls.pipeline.edits import Op


async def edit(ls: LinkServer, args: dict[str, Any], op: Op, label: str) -> dict[str, Any]:
    from link_ls.server.edits import render
    from link_ls.server.workspace import deliver, open_snapshot

    snap, _ = open_snapshot(ls, args["uri"])
    assert snap.notebook is not None
    rendered = render(
        snap,
        op(snap.notebook),
        document_changes=ls.client.document_changes,
        encoding=ls.store.encoding,
    )
    return await deliver(ls, rendered, label, apply=args.get("apply", True) is not False)


async def link_graph(ls: LinkServer, *args: Any) -> dict[str, Any]:
    from link_ls.pipeline.render import graph_json
    from link_ls.server.progress import Work
    from link_ls.server.workspace import notebook_for

    a = argument(args)
    nb, _ = notebook_for(ls, a["uri"])
    async with Work(ls, "link: graph") as work:
        pipe = await work.build(nb)
        return {"uri": a["uri"], **graph_json(pipe)}


async def link_check(ls: LinkServer, *args: Any) -> dict[str, Any]:
    from link_ls.server.progress import Work
    from link_ls.server.workspace import notebook_for
    from link_ls.usecases import diagnose

    a = argument(args)
    nb, _ = notebook_for(ls, a["uri"])
    async with Work(ls, "link: check") as work:
        pipe = await work.build(nb)
        work.report("checking the pipeline")
        await work.checkpoint()
        diags = diagnose(nb, pipe)
        return {"uri": a["uri"], "diagnostics": [d.to_json() for d in diags]}


async def link_plan(ls: LinkServer, *args: Any) -> dict[str, Any]:
    from link_ls.server.progress import Work
    from link_ls.server.workspace import notebook_for, plan_for

    a = argument(args)
    nb, cell = notebook_for(ls, a["uri"])
    async with Work(ls, "link: plan") as work:
        pipe = await work.build(nb)
        return {"uri": a["uri"], **plan_for(nb, cell, a, pipe).to_json()}


async def link_add_edge(ls: LinkServer, *args: Any) -> dict[str, Any]:
    from link_ls.pipeline.edits import add_edge

    a = argument(args)
    child, parent = req_str(a, "child"), req_str(a, "parent")
    return await edit(ls, a, lambda nb: add_edge(nb, child, parent), f"add edge {parent} → {child}")


async def link_remove_edge(ls: LinkServer, *args: Any) -> dict[str, Any]:
    from link_ls.pipeline.edits import remove_edge

    a = argument(args)
    child, parent = req_str(a, "child"), req_str(a, "parent")
    return await edit(
        ls, a, lambda nb: remove_edge(nb, child, parent), f"remove edge {parent} → {child}"
    )


async def link_to_pipeline(ls: LinkServer, *args: Any) -> dict[str, Any]:
    from link_ls.pipeline.edits import to_pipeline

    a = argument(args)
    return await edit(ls, a, to_pipeline, "turn the notebook into a pipeline")


def register(server: LinkServer) -> None:
    for name, handler in (
        ("link.graph", link_graph),
        ("link.check", link_check),
        ("link.plan", link_plan),
        ("link.addEdge", link_add_edge),
        ("link.removeEdge", link_remove_edge),
        ("link.toPipeline", link_to_pipeline),
    ):
        server.command(name)(guard(handler))
