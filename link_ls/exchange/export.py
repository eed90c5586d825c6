"""Export: a notebook's components (all, or chosen ones with or without ancestors)."""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from link_ls.exchange.errors import ExportError
from link_ls.exchange.files import to_json
from link_ls.exchange.graph import validate, with_ancestors
from link_ls.exchange.model import ExchangeComponent, ExchangePipeline, ExternalParent
from link_ls.notebook import Cell, ComponentId, Notebook, resolve_cell
from link_ls.notebook.canvas import CANVAS_KEY

#: canvas keys the component's own fields carry; everything else stays in ``metadata``
CORE_CANVAS_KEYS = frozenset({"id", "name", "isComponent", "componentType", "parents"})


def exportable(nb: Notebook) -> tuple[Cell, ...]:
    """The cells that travel: Link components that are code cells."""
    return tuple(c for c in nb.cells if c.is_component and c.is_code)


def _component_id(cell: Cell) -> ComponentId:
    if cell.canvas is not None and cell.canvas.id:
        return cell.canvas.id
    # a component without a canvas id still needs a stable handle in the file
    return ComponentId(cell.cell_id or f"cell-{cell.index + 1}")


def _metadata(raw: Mapping[str, Any]) -> dict[str, Any]:
    md = copy.deepcopy(dict(raw))
    canvas = md.get(CANVAS_KEY)
    if isinstance(canvas, dict):
        md[CANVAS_KEY] = {k: v for k, v in canvas.items() if k not in CORE_CANVAS_KEYS}
    return md


def from_notebook(nb: Notebook) -> ExchangePipeline:
    """Every exportable component of ``nb``, its parameters and kernel, as a pipeline value.

    Declared parents that are not exportable components of ``nb`` (dangling ids) are kept
    as external parents under the name the edge records.
    """
    cells = exportable(nb)
    ids = [_component_id(c) for c in cells]
    known = set(ids)
    comps = []
    external: dict[ComponentId, ExternalParent] = {}
    for cell, cid in zip(cells, ids, strict=True):
        assert cell.canvas is not None  # exportable() keeps components only
        for ref in cell.canvas.parents:
            if ref.id not in known and ref.id not in external:
                external[ref.id] = ExternalParent(ref.id, ref.name)
        comps.append(
            ExchangeComponent(
                id=cid,
                name=cell.canvas.name,
                source=cell.source,
                parents=tuple(dict.fromkeys(r.id for r in cell.canvas.parents)),
                type=cell.canvas.component_type,
                metadata=_metadata(nb.raw_cells[cell.index].get("metadata") or {}),
            )
        )
    md = nb.metadata
    ks, li = md.get("kernelspec"), md.get("language_info")
    return ExchangePipeline(
        components=tuple(comps),
        parameters=nb.parameters,
        external=tuple(external.values()),
        kernelspec=copy.deepcopy(ks) if isinstance(ks, dict) else None,
        language_info=copy.deepcopy(li) if isinstance(li, dict) else None,
    )


def select(pipe: ExchangePipeline, ids: Iterable[ComponentId]) -> ExchangePipeline:
    """Only the components ``ids`` (in file order); parents left out become external."""
    keep = set(ids)
    comps = tuple(c for c in pipe.components if c.id in keep)
    external: dict[ComponentId, ExternalParent] = {}
    for c in comps:
        for p in c.parents:
            if p not in keep and p not in external:
                external[p] = ExternalParent(p, pipe.parent_name(p))
    return ExchangePipeline(
        components=comps,
        parameters=pipe.parameters,
        external=tuple(external.values()),
        kernelspec=pipe.kernelspec,
        language_info=pipe.language_info,
        format=pipe.format,
    )


def collect(
    nb: Notebook, cells: Sequence[str] | None = None, with_ancestors_: bool = False
) -> ExchangePipeline:
    """The pipeline value an export writes: whole pipeline, or ``cells`` (references as
    users type them) optionally with all their ancestors. Raises :class:`ExportError`."""
    name = nb.display_name
    if not exportable(nb):
        raise ExportError(
            f"{name}: no Link components to export (mark cells as components first, "
            "e.g. in Link or with a link-ls code action)"
        )
    pipe = from_notebook(nb)
    validate(pipe, name, ExportError)
    if not cells:
        return pipe
    chosen: list[ComponentId] = []
    for ref in cells:
        cell = resolve_cell(nb, ref)
        if not (cell.is_component and cell.is_code):
            raise ExportError(f"{name}: cell {ref!r} ({cell.position}) is not a component")
        chosen.append(_component_id(cell))
    wanted = with_ancestors(pipe, chosen) if with_ancestors_ else set(chosen)
    return select(pipe, wanted)


def export_pipeline(
    nb: Notebook,
    cells: Sequence[str] | None = None,
    with_ancestors: bool = False,
    fmt: str = "link-ls",
) -> dict[str, Any]:
    """The JSON to write, in link-ls's format or Link's (``fmt="link"``); the file's text
    is :func:`~link_ls.exchange.files.file_text` of it."""
    return to_json(collect(nb, cells, with_ancestors), fmt, nb.display_name)
