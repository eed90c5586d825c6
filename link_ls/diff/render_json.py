"""JSON form of a notebook diff (schema ``link-ls/diff`` version 1, see docs/diff-format.md)."""

from __future__ import annotations

from typing import Any

from link_ls.diff.model import (
    CellDiff,
    CellSide,
    GraphSide,
    MetadataChange,
    NodeRef,
    NotebookDiff,
    PipelineDiff,
)

FORMAT = "link-ls/diff"
VERSION = 1


def _side(s: CellSide | None) -> dict[str, Any] | None:
    if s is None:
        return None
    return {
        "index": s.index + 1,
        "cellType": s.cell_type,
        "cellId": s.cell_id,
        "componentId": s.component_id,
        "name": s.name,
        "isComponent": s.is_component,
    }


def _meta(m: MetadataChange) -> dict[str, Any]:
    out: dict[str, Any] = {"key": m.key, "op": m.op}
    if m.op != "added":
        out["old"] = m.old
    if m.op != "removed":
        out["new"] = m.new
    return out


def cell_json(c: CellDiff) -> dict[str, Any]:
    out: dict[str, Any] = {
        "status": c.status.value,
        "moved": c.moved,
        "label": c.label,
        "old": _side(c.old),
        "new": _side(c.new),
    }
    if c.hunks:
        out["source"] = [
            {
                "oldStart": h.old_start,
                "oldLines": h.old_len,
                "newStart": h.new_start,
                "newLines": h.new_len,
                "lines": list(h.lines),
            }
            for h in c.hunks
        ]
    if c.outputs is not None:
        out["outputs"] = {
            "old": c.outputs.old_count,
            "new": c.outputs.new_count,
            "changes": list(c.outputs.changes),
            "summary": c.outputs.summary,
        }
    if c.metadata:
        out["metadata"] = [_meta(m) for m in c.metadata]
    return out


def _node(n: NodeRef) -> dict[str, Any]:
    return {"key": n.key, "name": n.name, "componentId": n.component_id}


def _graph(g: GraphSide) -> dict[str, Any]:
    return {
        "pipeline": g.is_pipeline,
        "nodes": [_node(n) for n in g.nodes],
        "edges": [{"source": s, "target": t} for s, t in g.edges],
    }


def pipeline_json(p: PipelineDiff) -> dict[str, Any]:
    return {
        "changed": p.changed,
        "components": [
            {"op": c.op, "node": _node(c.node), "oldName": c.old_name, "newName": c.new_name}
            for c in p.components
        ],
        "edges": [
            {"op": e.op, "source": _node(e.source), "target": _node(e.target)} for e in p.edges
        ],
        "parameters": [
            {"op": q.op, "name": q.name, "old": q.old, "new": q.new} for q in p.parameters
        ],
        "before": _graph(p.before),
        "after": _graph(p.after),
    }


def diff_to_json(d: NotebookDiff, *, include_unchanged: bool = False) -> dict[str, Any]:
    """The documented JSON shape. Unchanged cells are left out unless asked for."""
    cells = d.cells if include_unchanged else d.changed_cells
    return {
        "format": FORMAT,
        "version": VERSION,
        "old": d.old_label,
        "new": d.new_label,
        "changed": d.changed,
        "summary": d.summary(),
        "counts": {
            s: sum(1 for c in d.cells if c.status.value == s)
            for s in ("modified", "added", "removed", "moved", "unchanged")
        },
        "options": {
            "ignoreOutputs": d.options.ignore_outputs,
            "ignoreMetadata": d.options.ignore_metadata,
        },
        "cells": [cell_json(c) for c in cells],
        "metadata": [_meta(m) for m in d.metadata],
        "pipeline": pipeline_json(d.pipeline) if d.pipeline is not None else None,
    }
