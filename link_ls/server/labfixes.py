"""Quick fixes for the JupyterLab extension, as changes to the notebook model it sent.

The same fixes as the code actions (add / remove a parent, break a cycle, turn into a
pipeline, take ours / theirs / both / base for a merge conflict), listed per cell from
the core's diagnostics and conflicts, and applied by the core (``link_ls.pipeline.edits``,
``link_ls.merge.resolve_conflict``). The answer names the cells to replace (index in the
notebook as sent), the cells to delete and the notebook metadata, so the extension
changes its model in one undoable step and the user saves — never the file.
"""

from __future__ import annotations

from typing import Any

from link_ls.errors import LinkError, UsageError
from link_ls.notebook import NodeId, Notebook
from link_ls.pipeline import Code, Pipeline
from link_ls.pipeline.edits import add_edge, remove_edge, to_pipeline
from link_ls.usecases import diagnose

TAKE = {"ours": "Take ours", "theirs": "Take theirs", "both": "Take both", "base": "Take base"}


def _name(nb: Notebook, node: Any) -> str:
    c = nb.cell_by_node(NodeId(str(node)))
    return c.name if c is not None else str(node)


def _edge_fixes(nb: Notebook, p: Pipeline, skip: set[int]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    seen: set[tuple[str, str]] = set()
    for d in diagnose(nb, p):
        data, idx = dict(d.data), d.cell_index
        if idx in skip:
            continue  # a cell in conflict: its edges are for after the conflict
        child = str(nb.cells[idx].node_id) if 0 <= idx < len(nb.cells) else ""
        specs: list[tuple[str, dict[str, Any]]] = []
        if d.code == Code.MISSING_PARENT and "parent" in data:
            cands = [str(data["parent"])]
            cands += [str(c) for c in data.get("candidates", []) if str(c) not in cands]
            for par in cands:
                spec = {"op": "addEdge", "child": child, "parent": par}
                specs.append((f"Add parent {_name(nb, par)}", spec))
        elif d.code == Code.UNUSED_PARENT and "parent" in data:
            spec = {"op": "removeEdge", "child": child, "parent": str(data["parent"])}
            specs.append((f"Remove unused parent {_name(nb, data['parent'])}", spec))
        elif d.code == Code.CYCLE:
            for e in data.get("edges", []):
                spec = {"op": "removeEdge", "child": str(e["target"]), "parent": str(e["source"])}
                title = (
                    f"Break the cycle: remove {_name(nb, e['source'])} → {_name(nb, e['target'])}"
                )
                specs.append((title, spec))
        for title, spec in specs:
            key = (title, str(spec))
            if key not in seen:
                seen.add(key)
                out.append({"cell": idx + 1, "title": title, "code": str(d.code), "fix": spec})
    return out


def _conflict_fixes(nb: Notebook) -> list[dict[str, Any]]:
    from link_ls.merge import CHOICES, find_conflicts, resolve_conflict

    out: list[dict[str, Any]] = []
    conflicts = find_conflicts(nb)
    for c in conflicts:
        several = sum(1 for o in conflicts if o.cell_index == c.cell_index) > 1
        for choice in CHOICES:
            try:
                resolve_conflict(nb, c.cell_index, c.id, choice)
            except LinkError:
                continue  # e.g. "base" for markers without a base section
            spec = {"op": "resolve", "cell": c.cell_index, "conflict": c.id, "choice": choice}
            title = TAKE[choice] + (f" ({c.id})" if several else "")
            cell = None if c.cell_index is None else c.cell_index + 1
            out.append({"cell": cell, "title": title, "code": "LNK007", "fix": spec})
    return out


def lab_fixes(nb: Notebook, p: Pipeline) -> list[dict[str, Any]]:
    """Every fix for the notebook: per cell (1-based ``cell``; None: the notebook)."""
    conflicts = _conflict_fixes(nb)
    in_conflict = {f["cell"] - 1 for f in conflicts if f["cell"] is not None}
    out = conflicts + _edge_fixes(nb, p, in_conflict)
    if not p.is_pipeline and any(c.cell_type == "code" for c in nb.cells):
        out.append(
            {"cell": None, "title": "Turn into a pipeline", "code": "", "fix": {"op": "toPipeline"}}
        )
    return out


def apply_fix(nb: Notebook, spec: dict[str, Any]) -> dict[str, Any]:
    """The fix applied: ``cells`` to replace, ``deleted`` (highest first), notebook ``metadata``."""
    op = spec.get("op")
    deleted: list[int] = []
    if op == "addEdge":
        new = add_edge(nb, str(spec["child"]), str(spec["parent"]))
    elif op == "removeEdge":
        new = remove_edge(nb, str(spec["child"]), str(spec["parent"]))
    elif op == "toPipeline":
        new = to_pipeline(nb)
    elif op == "resolve":
        from link_ls.merge import resolve_conflict

        cell = spec.get("cell")
        if cell is not None and not isinstance(cell, int):
            raise UsageError("'cell' of a conflict fix is a 0-based cell index or null")
        r = resolve_conflict(nb, cell, str(spec.get("conflict")), str(spec.get("choice")))
        new, deleted = r.notebook, sorted(r.deleted_cells, reverse=True)
    else:
        raise UsageError(f"unknown fix {op!r}")
    kept = [i for i in range(len(nb.raw_cells)) if i not in deleted]
    if len(kept) != len(new.raw_cells):
        raise UsageError("the fix changed the number of cells in a way the editor cannot apply")
    cells = [
        {"index": old, "cell": new.raw_cells[pos]}
        for pos, old in enumerate(kept)
        if new.raw_cells[pos] != nb.raw_cells[old]
    ]
    md = new.node.get("metadata") or {}
    return {
        "cells": cells,
        "deleted": deleted,
        "metadata": md if md != (nb.node.get("metadata") or {}) else None,
    }
