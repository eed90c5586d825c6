"""Import: plan how a pipeline file's components enter a notebook, then apply the plan.

:func:`plan_import` decides everything — order, new ids, new names, edges, parameters,
where the cells go — and raises before anything is written. Its result is a value:
:func:`apply_import` performs it on a :class:`Notebook` (then ``save``), and a server
can hand ``ImportResult.to_json()`` to an editor as a notebook edit instead.
"""

from __future__ import annotations

import copy
import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import nbformat

from link_ls.exchange.errors import ExchangeError, ParameterClashError
from link_ls.exchange.export import CORE_CANVAS_KEYS
from link_ls.exchange.files import parse_pipeline
from link_ls.exchange.graph import topological
from link_ls.exchange.model import DroppedComponent, ExchangeComponent, ExchangePipeline
from link_ls.notebook import (
    Cell,
    ComponentId,
    Notebook,
    NotebookFormat,
    Parameter,
    ParentRef,
    dumps,
    loads,
)
from link_ls.notebook import resolve_cell as _resolve_cell
from link_ls.notebook.canvas import CANVAS_KEY, make_component_metadata, make_notebook_metadata
from link_ls.notebook.paramtypes import from_declared, kind_of


@dataclass(frozen=True)
class ImportOptions:
    """What the user asked for beyond the file itself."""

    #: reference of the cell after which the new cells go (default: at the end)
    after: str | None = None
    overwrite_parameters: bool = False
    #: join parents that are not in the file to target components of the same name
    link_existing: bool = False


@dataclass(frozen=True)
class ImportedComponent:
    """One component as the file named it and as the notebook will know it."""

    file_id: ComponentId
    file_name: str
    id: ComponentId
    name: str
    #: 0-based position of its cell in the notebook after the import
    index: int
    #: the new nbformat cell (JSON)
    cell: Mapping[str, Any] = field(compare=False, hash=False, repr=False)


@dataclass(frozen=True)
class OutsideParent:
    """A parent the file refers to but does not contain; linked or dropped."""

    component: str  # the child's name in the notebook
    parent_name: str
    parent_id: ComponentId  # the id the file used
    linked_to: ComponentId | None  # the target component it was joined to


@dataclass(frozen=True)
class ImportResult:
    """Everything an import does to a notebook, decided before it is touched."""

    insert_at: int
    components: tuple[ImportedComponent, ...]
    #: the notebook's parameters after the import (all of them, in order)
    parameters: tuple[Parameter, ...]
    parameters_changed: bool
    outside_parents: tuple[OutsideParent, ...] = ()
    #: components of a Link file that Link itself would drop, and so were not imported
    dropped: tuple[DroppedComponent, ...] = ()

    @property
    def cells(self) -> tuple[dict[str, Any], ...]:
        return tuple(copy.deepcopy(dict(c.cell)) for c in self.components)

    @property
    def renamed_ids(self) -> dict[ComponentId, ComponentId]:
        return {c.file_id: c.id for c in self.components if c.file_id != c.id}

    @property
    def renamed_names(self) -> dict[str, str]:
        return {c.file_name: c.name for c in self.components if c.file_name != c.name}

    def to_json(self) -> dict[str, Any]:
        """The documented shape (docs/pipeline-format.md) a server returns to an editor."""
        return {
            "insertAt": self.insert_at,
            "cells": list(self.cells),
            "components": [
                {
                    "fileId": c.file_id,
                    "fileName": c.file_name,
                    "id": c.id,
                    "name": c.name,
                    "index": c.index,
                }
                for c in self.components
            ],
            "parameters": [
                {"name": p.name, "type": p.type, "value": copy.deepcopy(p.value)}
                for p in self.parameters
            ],
            "parametersChanged": self.parameters_changed,
            "outsideParents": [
                {
                    "component": o.component,
                    "parentName": o.parent_name,
                    "parentId": o.parent_id,
                    "linkedTo": o.linked_to,
                }
                for o in self.outside_parents
            ],
            "dropped": [
                {"position": d.position, "name": d.name, "id": d.id, "reason": d.reason}
                for d in self.dropped
            ],
        }


def _same(a: Parameter, b: Parameter) -> bool:
    # Link stores values as Python-literal text ("400", "'mlp'"), link-ls as JSON values:
    # both are compared as the value a run would get. 1, 1.0 and True are equal in
    # Python but not to a user reading the notebook, hence the JSON key.
    def key(p: Parameter) -> str:
        kind = kind_of(p.type)
        try:
            value = from_declared(kind, p.value)
        except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
            value = p.value
        return json.dumps([p.type, value], sort_keys=True, default=repr)

    return key(a) == key(b)


def _merge_parameters(
    nb: Notebook, incoming: tuple[Parameter, ...], overwrite: bool
) -> tuple[tuple[Parameter, ...], bool]:
    current = list(nb.parameters)
    index = {p.name: i for i, p in enumerate(current)}
    clashes = [p for p in incoming if p.name in index and not _same(current[index[p.name]], p)]
    if clashes and not overwrite:
        listed = ", ".join(
            f"{p.name} ({current[index[p.name]].value!r} in notebook, {p.value!r} in file)"
            for p in clashes
        )
        raise ParameterClashError(
            f"{nb.display_name}: parameters already set differently: {listed}; "
            "use --overwrite-parameters to take the file's values"
        )
    merged = list(current)
    for p in incoming:
        if p.name in index:
            merged[index[p.name]] = p
        else:
            index[p.name] = len(merged)
            merged.append(p)
    changed = [_key(p) for p in merged] != [_key(p) for p in current]
    return tuple(merged), changed


def _key(p: Parameter) -> str:
    return json.dumps([p.name, p.type, p.value], sort_keys=True, default=repr)


def _free_name(name: str, taken: set[str]) -> str:
    if not name or name not in taken:
        return name
    k = 2
    while f"{name}_{k}" in taken:
        k += 1
    return f"{name}_{k}"


def _uses_cell_ids(nb: Notebook) -> bool:
    # Link needs nbformat cell ids: a pipeline .ipynb always gets them (a 4.4 notebook is
    # upgraded to 4.5 when saved); jupytext text has no stable cell ids
    return not nb.fmt.is_text


def _cell(
    comp: ExchangeComponent,
    new_id: ComponentId,
    name: str,
    parents: list[ParentRef],
    cell_ids: set[str] | None,
) -> dict[str, Any]:
    md = copy.deepcopy(dict(comp.metadata))
    extras = md.pop(CANVAS_KEY, None)
    extras = extras if isinstance(extras, dict) else {}
    canvas = make_component_metadata(
        name, parents, component_id=new_id, diskcache=bool(extras.get("diskcache", False))
    )
    canvas["componentType"] = comp.type
    canvas.update({k: v for k, v in extras.items() if k not in CORE_CANVAS_KEYS})
    md[CANVAS_KEY] = canvas
    node = nbformat.v4.new_code_cell(source=comp.source, metadata=md)
    cell: dict[str, Any] = json.loads(json.dumps(node))
    if cell_ids is None:
        cell.pop("id", None)
    else:
        while cell["id"] in cell_ids:
            cell["id"] = uuid.uuid4().hex[:8]
        cell_ids.add(cell["id"])
    return cell


def plan_import(
    nb: Notebook, data: ExchangePipeline | Any, options: ImportOptions | None = None
) -> ImportResult:
    """Decide how ``data`` (a parsed pipeline, or decoded JSON of a pipeline file) enters
    ``nb``. Raises a :class:`~link_ls.errors.LinkError` for anything wrong; touches nothing."""
    opts = options or ImportOptions()
    pipe = data if isinstance(data, ExchangePipeline) else parse_pipeline(data)
    insert_at = len(nb.cells)
    if opts.after is not None:
        insert_at = _resolve_cell(nb, opts.after).index + 1
    parameters, changed = _merge_parameters(nb, pipe.parameters, opts.overwrite_parameters)

    targets = [c for c in nb.cells if c.is_component]
    used_ids: set[str] = {c.canvas.id for c in nb.cells if c.canvas is not None and c.canvas.id}
    used_names = {c.name for c in targets if c.canvas is not None and c.canvas.name}
    order = topological(pipe)
    new_ids: dict[ComponentId, ComponentId] = {}
    for comp in order:
        nid = comp.id
        while nid in used_ids:
            nid = ComponentId(str(uuid.uuid4()))
        used_ids.add(nid)
        new_ids[comp.id] = nid
    # one new name per clashing file name: names the file repeats stay repeated (the file
    # means that), and a suffix never lands on a name the file itself uses
    taken = used_names | {c.name for c in order}
    renames: dict[str, str] = {}
    for comp in order:
        if comp.name in used_names and comp.name not in renames:
            renames[comp.name] = _free_name(comp.name, taken)
            taken.add(renames[comp.name])
    new_names = {c.id: renames.get(c.name, c.name) for c in order}

    outside: list[OutsideParent] = []
    cell_ids = {str(c["id"]) for c in nb.raw_cells if "id" in c} if _uses_cell_ids(nb) else None
    imported = []
    for k, comp in enumerate(order):
        parents: list[ParentRef] = []
        for pid in comp.parents:
            if pid in new_ids:
                parents.append(ParentRef(new_ids[pid], new_names[pid]))
                continue
            pname = pipe.parent_name(pid)
            linked = _link_existing(nb, targets, pname) if opts.link_existing else None
            if linked is not None:
                parents.append(linked)
            outside.append(
                OutsideParent(
                    new_names[comp.id], pname, pid, linked.id if linked is not None else None
                )
            )
        cell = _cell(comp, new_ids[comp.id], new_names[comp.id], parents, cell_ids)
        imported.append(
            ImportedComponent(
                comp.id, comp.name, new_ids[comp.id], new_names[comp.id], insert_at + k, cell
            )
        )
    return ImportResult(
        insert_at, tuple(imported), parameters, changed, tuple(outside), pipe.dropped
    )


def _link_existing(nb: Notebook, targets: list[Cell], name: str) -> ParentRef | None:
    if not name:
        return None
    hits = [c for c in targets if c.canvas is not None and c.canvas.name == name]
    if len(hits) > 1:
        cands = ", ".join(f"{c.position} ({c.node_id})" for c in hits)
        raise ExchangeError(
            f"{nb.display_name}: cannot link parent {name!r}: several components have "
            f"that name: {cands}"
        )
    if not hits or hits[0].canvas is None:
        return None
    return ParentRef(hits[0].canvas.id, name)


def apply_import(nb: Notebook, result: ImportResult) -> None:
    """Perform a planned import on ``nb`` in memory (then ``link_ls.notebook.save`` it)."""
    nb.raw_cells[result.insert_at : result.insert_at] = list(result.cells)
    if result.parameters_changed:
        nb.set_parameters(result.parameters)
    nb.touch()


def check_storable(nb: Notebook, result: ImportResult) -> None:
    """Refuse to save an import whose components the notebook's own format would lose.

    A jupytext text notebook may drop cell metadata (Link's canvas) on write, which would
    turn the imported components into plain cells; better to say so than to write that.
    """
    if not nb.fmt.is_text:
        return
    back = loads(dumps(nb), name="check.py")
    kept = {c.canvas.id for c in back.cells if c.canvas is not None and c.is_component}
    lost = [c.name for c in result.components if c.id not in kept]
    if lost:
        raise ExchangeError(
            f"{nb.display_name}: this text notebook would not keep Link's canvas metadata "
            f"for {', '.join(lost[:5])}{', …' if len(lost) > 5 else ''}; import into an "
            ".ipynb notebook instead"
        )


def new_notebook(pipe: ExchangePipeline | None = None) -> Notebook:
    """An empty nbformat 4.5 notebook, with the file's kernel when it names one, and the
    notebook canvas Link writes."""
    node = json.loads(json.dumps(nbformat.v4.new_notebook()))
    md = node.setdefault("metadata", {})
    ks = pipe.kernelspec if pipe is not None else None
    li = pipe.language_info if pipe is not None else None
    md["kernelspec"] = (
        copy.deepcopy(dict(ks))
        if ks
        else {
            "display_name": "Python 3",
            "language": "python",
            "name": "python3",
        }
    )
    md["language_info"] = copy.deepcopy(dict(li)) if li else {"name": "python"}
    md[CANVAS_KEY] = make_notebook_metadata()
    node["nbformat_minor"] = 5
    return Notebook(node, fmt=NotebookFormat("ipynb", None, 5))


def import_pipeline(
    nb: Notebook, data: ExchangePipeline | Any, options: ImportOptions | None = None
) -> ImportResult:
    """Plan and apply in one step (the caller saves)."""
    result = plan_import(nb, data, options)
    apply_import(nb, result)
    return result
