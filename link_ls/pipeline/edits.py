"""Edits of the pipeline model: add or remove an edge, turn a plain notebook into a pipeline.

Each edit returns a new notebook (``working_copy``) and leaves its argument as it
was; the server renders the difference as editor edits, the CLI writes the file.
New components get Link's full canvas metadata (``notebook.canvas.make_component_metadata``
through ``Notebook.make_component``).
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Sequence

from link_ls.errors import CellReferenceError, UsageError
from link_ls.notebook import Cell, ComponentId, Notebook, ParentRef, resolve_cell
from link_ls.notebook.canvas import CANVAS_KEY
from link_ls.pipeline.graph import Pipeline, build

#: an edit: a notebook in, a new notebook out
Op = Callable[[Notebook], Notebook]


def working_copy(nb: Notebook) -> Notebook:
    """A copy whose cell metadata can be changed without touching the snapshot."""
    cells = [{**c, "metadata": copy.deepcopy(c.get("metadata") or {})} for c in nb.raw_cells]
    node = {**nb.node, "cells": cells, "metadata": copy.deepcopy(nb.metadata)}
    return Notebook(node, path=nb.path, fmt=nb.fmt)


def _component(nb: Notebook, ref: str, role: str) -> Cell:
    cell = resolve_cell(nb, ref)
    if not cell.is_component:
        raise UsageError(f"{role} {cell.position} ({cell.name}) is not a component")
    return cell


def add_edge(nb: Notebook, child: str, parent: str) -> Notebook:
    out = working_copy(nb)
    c = _component(out, child, "child")
    p = _component(out, parent, "parent")
    if c.index == p.index:
        raise UsageError(f"{c.name} cannot be its own parent")
    out.add_parent(c.index, p.index)
    return out


def remove_edge(nb: Notebook, child: str, parent: str) -> Notebook:
    out = working_copy(nb)
    c = _component(out, child, "child")
    assert c.canvas is not None
    try:
        pid: ComponentId | None = resolve_cell(out, parent).canvas.id  # type: ignore[union-attr]
    except (CellReferenceError, AttributeError):
        pid = None
    # a dangling parent (LNK002) has no cell: match the declared id or name directly
    ids = {r.id for r in c.canvas.parents if r.id in (pid, parent) or r.name == parent}
    if not ids:
        raise UsageError(f"{c.name} has no parent {parent!r}")
    for rid in ids:
        out.remove_parent(c.index, rid)
    return out


def move_edge_down(nb: Notebook, child: str, parent: str, to: Sequence[str]) -> Notebook:
    """Remove ``parent -> child`` and declare ``parent`` on each of ``to`` instead.

    LNK006's fix when ``child`` reads nothing from ``parent`` but descendants ``to`` do
    (through ``child``): removing the edge alone would break them (docs/diagnostics.md).
    """
    out = remove_edge(nb, child, parent)
    for target in to:
        t = _component(out, target, "descendant")
        p = _component(out, parent, "parent")
        if t.index != p.index:
            out.add_parent(t.index, p.index)
    return out


def clear_component(nb: Notebook, ref: str) -> Notebook:
    """Drop the component mark of a markdown/raw cell (LNK012); its other canvas keys stay."""
    out = working_copy(nb)
    cell = resolve_cell(out, ref)
    if not cell.is_stray_component:
        raise UsageError(f"{cell.position} is not a {cell.cell_type} cell marked as a component")
    md = out.raw_cells[cell.index].setdefault("metadata", {})
    md[CANVAS_KEY]["isComponent"] = False
    out.touch()
    return out


def inferred_parents(p: Pipeline, idx: int) -> list[int]:
    """The components a non-component code cell ``idx`` reads from, by dataflow.

    For each name it reads: the latest earlier component that defines, mutates or deletes
    it, else a later component that provides it (as ``Pipeline`` infers edges).
    """
    a = p.analyses.get(idx)
    if a is None:
        return []
    found: set[int] = set()
    for name in a.reads:
        earlier = [q for q in p.nodes if q < idx and name in p.analyses[q].provides]
        later = [q for q in p.nodes if q > idx and name in p.analyses[q].provides]
        if earlier or later:
            found.add(earlier[-1] if earlier else later[0])
    return sorted(found)


def make_component(nb: Notebook, ref: str, pipeline: Pipeline | None = None) -> Notebook:
    """Turn one code cell of a notebook into a Link component, parents inferred.

    The cell gets every canvas field Link writes (``canvas.make_component_metadata``); its
    name comes from the first name it defines (unique among components).
    """
    cell = resolve_cell(nb, ref)
    if not cell.is_code:
        raise UsageError(f"{cell.position} is a {cell.cell_type} cell, not a code cell")
    if cell.is_component:
        raise UsageError(f"{cell.position} ({cell.name}) is already a component")
    p = pipeline if pipeline is not None else build(nb)
    parents = inferred_parents(p, cell.index)
    taken = {c.name for c in nb.components}
    a = p.analyses.get(cell.index)
    order = [o.name for o in a.occurrences if o.kind == "def"] if a is not None else []
    name = _name_for(cell, order, taken)
    refs = []
    for q in parents:
        pc = nb.cells[q].canvas
        assert pc is not None
        refs.append(ParentRef(pc.id, nb.cells[q].name))
    out = working_copy(nb)
    out.make_component(cell.index, name, refs)
    return out


def _name_for(cell: Cell, defs_in_order: list[str], taken: set[str]) -> str:
    base = next((n for n in defs_in_order if not n.startswith("_")), f"cell_{cell.index + 1}")
    name, k = base, 2
    while name in taken:
        name, k = f"{base}_{k}", k + 1
    taken.add(name)
    return name


def to_pipeline(nb: Notebook) -> Notebook:
    """Every code cell becomes a component; parents are the inferred dataflow edges."""
    if nb.is_pipeline:
        raise UsageError(f"{nb.display_name} is already a pipeline")
    plain = build(nb)
    out = working_copy(nb)
    taken: set[str] = set()
    for idx in plain.nodes:
        a = plain.analyses[idx]
        order = [o.name for o in a.occurrences if o.kind == "def"]
        out.make_component(idx, _name_for(nb.cells[idx], order, taken))
    cells = out.cells
    for idx in plain.nodes:
        refs = []
        for par in plain.parents(idx):
            pc = cells[par].canvas
            assert pc is not None
            refs.append(ParentRef(pc.id, pc.name))
        out.set_parents(idx, refs)
    return out
