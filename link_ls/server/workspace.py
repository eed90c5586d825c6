"""What command handlers share: the notebook a ``uri`` names, and handing edits to the client.

A ``uri`` names an open document (a notebook, any of its cells, or a text
document) or, for commands that only read, a notebook file on disk.
"""

from __future__ import annotations

import functools
import logging
from dataclasses import dataclass
from typing import Any

from cattrs import Converter
from lsprotocol import types
from lsprotocol.converters import get_converter

from link_ls.errors import NotebookNotFound, UsageError
from link_ls.notebook import Notebook, load, resolve_cell
from link_ls.pipeline import Pipeline, RunPlan, plan
from link_ls.server.args import opt_str
from link_ls.server.base import LinkServer
from link_ls.server.edits import Rendered
from link_ls.server.snapshot import Snapshot
from link_ls.uris import uri_to_path

log = logging.getLogger(__name__)


@functools.cache
def _converter() -> Converter:
    """lsprotocol's converter for the edits handed back, made when the first is."""
    return get_converter()


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
    path = uri_to_path(uri)
    if not path.exists():
        raise NotebookNotFound(f"{uri}: not an open document and no such file")
    return load(path), None


@dataclass(frozen=True)
class Target:
    """What a command's ``uri`` names: the notebook, the cell (cell uris), the kernel key."""

    notebook: Notebook
    cell: int | None
    #: the kernel pool key: the notebook document's (or text document's, or file's) uri
    key: str
    snap: Snapshot | None


def target(ls: LinkServer, uri: str) -> Target:
    nb, cell = notebook_for(ls, uri)
    got = ls.store.get(uri) if ls.store.is_open(uri) else None
    if got is not None:
        return Target(nb, cell, got[0].uri, got[0])
    return Target(nb, cell, uri_to_path(uri).resolve().as_uri(), None)


def kernel_key(ls: LinkServer, uri: str) -> str:
    """The pool key without reading the notebook (interrupt and restart must be instant)."""
    got = ls.store.get(uri) if ls.store.is_open(uri) else None
    if got is not None:
        return got[0].uri
    return uri_to_path(uri).resolve().as_uri()


def plan_for(nb: Notebook, uri_cell: int | None, args: dict[str, Any], pipe: Pipeline) -> RunPlan:
    """The plan ``mode`` (upTo, cell, all) and ``cell`` (else the cell uri's) ask for."""
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


async def deliver(ls: LinkServer, r: Rendered, label: str, *, apply: bool) -> dict[str, Any]:
    """Send a text edit to the client (``workspace/applyEdit``) and describe the result."""
    applied = False
    if r.workspace_edit is not None and apply and ls.client.apply_edit:
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
        "edit": _converter().unstructure(r.workspace_edit) if r.workspace_edit else None,
        "notebookEdits": [e.to_json() for e in r.notebook_edits],
    }
