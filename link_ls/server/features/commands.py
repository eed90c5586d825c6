"""``workspace/executeCommand``: link.graph, link.plan, link.check, link.addEdge, link.removeEdge,
link.toPipeline. Argument and result shapes are documented in docs/commands.md.

Every command takes one JSON object. ``uri`` names an open document (a notebook,
any of its cells, or a text document) or, for the read-only commands, a notebook
file on disk. Cells are referenced the way the CLI does: component name,
``canvas.id``, nbformat ``cell.id`` or ``#N``.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from lsprotocol import types
from lsprotocol.converters import get_converter

from link_ls.errors import NotebookNotFound, UsageError
from link_ls.notebook import Notebook, load, resolve_cell
from link_ls.pipeline import RunPlan, plan
from link_ls.pipeline.render import graph_json
from link_ls.server.base import LinkServer, guard
from link_ls.server.documents import uri_path
from link_ls.server.edits import Op, Rendered, add_edge, remove_edge, render, to_pipeline
from link_ls.server.progress import Work
from link_ls.server.snapshot import Snapshot
from link_ls.usecases import diagnose

_CONVERTER = get_converter()
log = logging.getLogger(__name__)


def argument(args: tuple[Any, ...]) -> dict[str, Any]:
    """The single JSON-object argument every link.* command takes."""
    if len(args) != 1 or not isinstance(args[0], dict):
        raise UsageError("expected one argument, a JSON object (see docs/commands.md)")
    obj: dict[str, Any] = args[0]
    if not isinstance(obj.get("uri"), str):
        raise UsageError("argument needs a 'uri' string")
    return obj


def opt_str(obj: dict[str, Any], key: str) -> str | None:
    value = obj.get(key)
    if value is None:
        return None
    if not isinstance(value, (str, int)):
        raise UsageError(f"'{key}' must be a cell reference string")
    return str(value)


def req_str(obj: dict[str, Any], key: str) -> str:
    value = opt_str(obj, key)
    if value is None:
        raise UsageError(f"argument needs '{key}'")
    return value


def open_snapshot(ls: LinkServer, uri: str) -> tuple[Snapshot, int | None]:
    got = ls.store.get(uri)
    if got is None:
        raise UsageError(f"{uri}: not an open document")
    snap, cell = got
    if snap.notebook is None:
        raise UsageError(f"{uri}: {snap.error or 'not a notebook'}")
    return snap, cell


def notebook_for(ls: LinkServer, uri: str) -> tuple[Notebook, int | None]:
    """An open document's notebook, else the file on disk (read-only commands)."""
    if ls.store.is_open(uri):
        snap, cell = open_snapshot(ls, uri)
        assert snap.notebook is not None
        return snap.notebook, cell
    path = Path(uri_path(uri)) if "://" in uri else Path(uri)
    if not path.exists():
        raise NotebookNotFound(f"{uri}: not an open document and no such file")
    return load(path), None


def run_plan(nb_cell: tuple[Notebook, int | None], args: dict[str, Any], pipe: Any) -> RunPlan:
    nb, uri_cell = nb_cell
    ref = opt_str(args, "cell")
    mode = args.get("mode") or ("all" if ref is None and uri_cell is None else "upTo")
    if not isinstance(mode, str):
        raise UsageError("'mode' must be upTo, cell or all")
    index = None
    if ref is not None:
        index = resolve_cell(nb, ref).index
    elif uri_cell is not None:
        index = uri_cell
    return plan(pipe, mode, index)


async def edit(ls: LinkServer, args: dict[str, Any], op: Op, label: str) -> dict[str, Any]:
    snap, _ = open_snapshot(ls, args["uri"])
    assert snap.notebook is not None
    rendered = render(
        snap,
        op(snap.notebook),
        document_changes=ls.supports("workspace.workspace_edit.document_changes"),
        encoding=ls.store.encoding,
    )
    return await deliver(ls, rendered, label, apply=args.get("apply", True) is not False)


async def deliver(ls: LinkServer, r: Rendered, label: str, *, apply: bool) -> dict[str, Any]:
    """Send a text edit to the client (``workspace/applyEdit``) and describe the result."""
    applied = False
    if r.workspace_edit is not None and apply and ls.supports("workspace.apply_edit"):
        try:
            res = await ls.workspace_apply_edit_async(
                types.ApplyWorkspaceEditParams(edit=r.workspace_edit, label=label)
            )
            applied = bool(res.applied)
        except Exception as e:  # the client refused or failed: it still gets the edit back
            log.warning("workspace/applyEdit failed: %s", e)
    return {
        "changed": not r.empty,
        "applied": applied,
        "cells": [i + 1 for i in r.changed],
        "edit": _CONVERTER.unstructure(r.workspace_edit) if r.workspace_edit else None,
        "notebookEdits": [e.to_json() for e in r.notebook_edits],
    }


def register(server: LinkServer) -> None:
    @server.command("link.graph")
    @guard
    async def link_graph(ls: LinkServer, *args: Any) -> dict[str, Any]:
        a = argument(args)
        nb, _ = notebook_for(ls, a["uri"])
        async with Work(ls, "link: graph") as work:
            pipe = await work.build(nb)
            return {"uri": a["uri"], **graph_json(pipe)}

    @server.command("link.check")
    @guard
    async def link_check(ls: LinkServer, *args: Any) -> dict[str, Any]:
        a = argument(args)
        nb, _ = notebook_for(ls, a["uri"])
        async with Work(ls, "link: check") as work:
            pipe = await work.build(nb)
            work.report("checking the pipeline")
            await work.checkpoint()
            diags = diagnose(nb, pipe)
            return {"uri": a["uri"], "diagnostics": [d.to_json() for d in diags]}

    @server.command("link.plan")
    @guard
    async def link_plan(ls: LinkServer, *args: Any) -> dict[str, Any]:
        a = argument(args)
        nb_cell = notebook_for(ls, a["uri"])
        async with Work(ls, "link: plan") as work:
            pipe = await work.build(nb_cell[0])
            return {"uri": a["uri"], **run_plan(nb_cell, a, pipe).to_json()}

    @server.command("link.addEdge")
    @guard
    async def link_add_edge(ls: LinkServer, *args: Any) -> dict[str, Any]:
        a = argument(args)
        child, parent = req_str(a, "child"), req_str(a, "parent")
        return await edit(
            ls, a, lambda nb: add_edge(nb, child, parent), f"add edge {parent} → {child}"
        )

    @server.command("link.removeEdge")
    @guard
    async def link_remove_edge(ls: LinkServer, *args: Any) -> dict[str, Any]:
        a = argument(args)
        child, parent = req_str(a, "child"), req_str(a, "parent")
        return await edit(
            ls, a, lambda nb: remove_edge(nb, child, parent), f"remove edge {parent} → {child}"
        )

    @server.command("link.toPipeline")
    @guard
    async def link_to_pipeline(ls: LinkServer, *args: Any) -> dict[str, Any]:
        a = argument(args)
        return await edit(ls, a, to_pipeline, "turn the notebook into a pipeline")
