"""The Notebook document and its typed, read-only cell views.

A :class:`Notebook` owns the nbformat node (a plain dict tree), so every key a
tool does not know survives a load/save round trip. Features read cells through
:class:`Cell` values; the few mutations (edges, new cells) go through methods
here that change only what they are asked to.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NewType

from link_ls.notebook import canvas as cv
from link_ls.notebook.canvas import Component, ComponentId, Parameter, ParentRef

CellId = NewType("CellId", str)
#: what nbformat 4.5 allows as a cell id
_CELL_ID = re.compile(r"[a-zA-Z0-9_-]{1,64}")
#: a node of the pipeline graph: ``canvas.id`` for components, else ``cell.id`` (or ``#N``)
NodeId = NewType("NodeId", str)


@dataclass(frozen=True)
class NotebookFormat:
    """How a notebook is stored: ``ipynb`` JSON or a jupytext text format."""

    kind: str = "ipynb"  # "ipynb" | "percent" | "light"
    #: jupytext format string for text forms, e.g. "py:percent"
    jupytext_fmt: str | None = None
    #: nbformat minor of the file as read (kept on write)
    nbformat_minor: int = 5

    @property
    def is_text(self) -> bool:
        return self.kind != "ipynb"


@dataclass(frozen=True)
class Cell:
    """A read-only view of one cell."""

    index: int
    cell_type: str
    source: str
    cell_id: CellId | None
    canvas: Component | None
    execution_count: int | None = None
    outputs: tuple[dict[str, Any], ...] = field(default=(), repr=False, compare=False)

    @property
    def is_code(self) -> bool:
        return self.cell_type == "code"

    @property
    def is_component(self) -> bool:
        """A Link component: a *code* cell with ``canvas.isComponent``.

        A markdown or raw cell that still carries ``isComponent`` (what JupyterLab leaves
        when a component is turned into markdown) is not one: Link itself cannot open such a
        notebook (docs/diagnostics.md, LNK012), and link-ls reports it instead of running it.
        """
        return self.canvas is not None and self.canvas.is_component and self.cell_type == "code"

    @property
    def is_stray_component(self) -> bool:
        """A non-code cell whose canvas still says ``isComponent: true`` (LNK012)."""
        return self.canvas is not None and self.canvas.is_component and self.cell_type != "code"

    @property
    def position(self) -> str:
        """The 1-based ``#N`` reference."""
        return f"#{self.index + 1}"

    @property
    def node_id(self) -> NodeId:
        if self.is_component and self.canvas is not None and self.canvas.id:
            return NodeId(self.canvas.id)
        return NodeId(self.cell_id or self.position)

    @property
    def name(self) -> str:
        """A human label: the component name, else ``#N``."""
        if self.canvas is not None and self.canvas.name:
            return self.canvas.name
        return self.position


_new = object.__new__


def _source_text(src: Any) -> str:
    if isinstance(src, list):
        return "".join(str(s) for s in src)
    return src if isinstance(src, str) else ""


class Notebook:
    """A notebook document: the nbformat node, where it came from, and cell views."""

    def __init__(
        self, node: dict[str, Any], *, path: Path | None = None, fmt: NotebookFormat | None = None
    ) -> None:
        self.node = node
        self.path = path
        self.fmt = fmt or NotebookFormat(nbformat_minor=int(node.get("nbformat_minor", 5)))
        self._cells: tuple[Cell, ...] | None = None

    # -- reading -------------------------------------------------------------------
    @property
    def raw_cells(self) -> list[dict[str, Any]]:
        cells: list[dict[str, Any]] = self.node["cells"]
        return cells

    @property
    def metadata(self) -> dict[str, Any]:
        md: dict[str, Any] = self.node.setdefault("metadata", {})
        return md

    @property
    def cells(self) -> tuple[Cell, ...]:
        if self._cells is None:
            self._cells = tuple(self._view(i, c) for i, c in enumerate(self.raw_cells))
        return self._cells

    @staticmethod
    def _view(index: int, c: dict[str, Any]) -> Cell:
        # what ``Cell(index=…, …)`` makes, at a third of its cost: the frozen dataclass's
        # ``__init__`` sets each field through ``object.__setattr__``, and a notebook of
        # 1,000 cells makes 1,000 views on every full analysis
        get = c.get
        md = get("metadata")
        cid = get("id")
        outputs = get("outputs")
        ec = get("execution_count")
        src = get("source", "")
        cell_type = get("cell_type", "code")
        view = _new(Cell)
        view.__dict__.update(
            index=index,
            cell_type=cell_type if type(cell_type) is str else str(cell_type),
            source=src if type(src) is str else _source_text(src),
            cell_id=cid if isinstance(cid, str) else None,
            canvas=cv.read_component(md) if md and isinstance(md, dict) else None,
            execution_count=ec if isinstance(ec, int) else None,
            outputs=tuple(o for o in outputs if isinstance(o, dict)) if outputs else (),
        )
        return view

    @property
    def code_cells(self) -> tuple[Cell, ...]:
        return tuple(c for c in self.cells if c.is_code)

    @property
    def components(self) -> tuple[Cell, ...]:
        return tuple(c for c in self.cells if c.is_component)

    @property
    def is_pipeline(self) -> bool:
        """A pipeline notebook has at least one Link component."""
        return any(c.is_component for c in self.cells)

    @property
    def parameters(self) -> tuple[Parameter, ...]:
        return cv.read_parameters(self.metadata)

    @property
    def language(self) -> str:
        li = self.metadata.get("language_info")
        if isinstance(li, dict) and isinstance(li.get("name"), str):
            return str(li["name"])
        ks = self.metadata.get("kernelspec")
        if isinstance(ks, dict) and isinstance(ks.get("language"), str):
            return str(ks["language"])
        return "python"

    @property
    def display_name(self) -> str:
        return self.path.name if self.path else "<notebook>"

    def cell_by_node(self, node: NodeId) -> Cell | None:
        for c in self.cells:
            if c.node_id == node:
                return c
        return None

    def reuse_views_from(self, old: Notebook) -> None:
        """Take ``old``'s cell views for raw cells that are the same objects at the same index.

        An editor changes one cell at a time; rebuilding 1000 views per keystroke
        would be most of a re-check's cost.
        """
        old_raw = old.raw_cells
        old_views = old.cells
        views: list[Cell] = []
        for i, raw in enumerate(self.raw_cells):
            if i < len(old_raw) and old_raw[i] is raw and old_views[i].index == i:
                views.append(old_views[i])
            else:
                views.append(self._view(i, raw))
        self._cells = tuple(views)

    # -- mutating ------------------------------------------------------------------
    def touch(self) -> None:
        """Drop cached views after a change to :attr:`node`."""
        self._cells = None

    def set_source(self, index: int, source: str) -> None:
        """Change one cell's source; only that cell's view is rebuilt."""
        raw = self.raw_cells[index]
        raw["source"] = source
        if self._cells is not None and len(self._cells) == len(self.raw_cells):
            views = list(self._cells)
            views[index] = self._view(index, raw)
            self._cells = tuple(views)
        else:
            self.touch()

    def set_parents(self, index: int, parents: Sequence[ParentRef]) -> None:
        md = self.raw_cells[index].setdefault("metadata", {})
        cv.set_parents(md, parents)
        self.touch()

    def add_parent(self, child: int, parent: int) -> bool:
        """Declare ``parent`` as a parent of ``child``; False when it already is."""
        p = self.cells[parent]
        c = self.cells[child]
        if p.canvas is None or c.canvas is None:
            raise ValueError("both cells must be components")
        if any(r.id == p.canvas.id for r in c.canvas.parents):
            return False
        self.set_parents(child, [*c.canvas.parents, ParentRef(p.canvas.id, p.name)])
        return True

    def remove_parent(self, child: int, parent_id: ComponentId) -> bool:
        c = self.cells[child]
        if c.canvas is None:
            return False
        kept = [r for r in c.canvas.parents if r.id != parent_id]
        if len(kept) == len(c.canvas.parents):
            return False
        self.set_parents(child, kept)
        return True

    def make_component(self, index: int, name: str, parents: Sequence[ParentRef] = ()) -> None:
        """Turn a code cell into a Link component (keeps existing canvas keys)."""
        md = self.raw_cells[index].setdefault("metadata", {})
        existing = md.get(cv.CANVAS_KEY)
        fresh = cv.make_component_metadata(name, parents)
        if isinstance(existing, dict):
            for k, v in fresh.items():
                if k == "id" and existing.get("id"):
                    continue
                if k in ("name", "isComponent", "parents") or k not in existing:
                    existing[k] = v
        else:
            md[cv.CANVAS_KEY] = fresh
        self.touch()

    def set_parameters(self, params: Sequence[Parameter]) -> None:
        cv.set_parameters(self.metadata, params)

    def complete_for_link(self) -> bool:
        """Give a pipeline notebook what real Link 2.7 needs to open it; True when changed.

        Link refuses a notebook with a cell (any cell) without an nbformat ``id``, and a
        component whose canvas lacks ``diskcache``/``headerColor``/… (older Link wrote
        such notebooks). Missing ids are added — a component's cell takes its canvas id,
        as Link's own writer does — and components get the canvas keys they lack. A
        notebook without components is left alone (its nbformat minor too).
        """
        if not self.is_pipeline:
            return False
        changed = False
        for raw in self.raw_cells:
            md = raw.get("metadata")
            canvas = md.get(cv.CANVAS_KEY) if isinstance(md, dict) else None
            if (
                raw.get("cell_type") == "code"
                and isinstance(canvas, dict)
                and canvas.get("isComponent") is True
            ):
                changed |= cv.complete_component_metadata(canvas)
        taken = {c["id"] for c in self.raw_cells if isinstance(c.get("id"), str)}
        for raw in self.raw_cells:
            if isinstance(raw.get("id"), str):
                continue
            md = raw.get("metadata")
            canvas = md.get(cv.CANVAS_KEY) if isinstance(md, dict) else None
            wanted = canvas.get("id") if isinstance(canvas, dict) else None
            salt = 0
            while not (
                isinstance(wanted, str) and _CELL_ID.fullmatch(wanted) and wanted not in taken
            ):
                # from the cell's content, neither random nor its position: equal notebooks
                # get equal ids, and a cell no branch changed gets the same id in every
                # branch, so diff and merge never pair two different cells by these ids
                src = raw.get("source", "")
                text = "".join(src) if isinstance(src, list) else str(src)
                seed = f"link-ls cell {raw.get('cell_type')}\0{text}\0{salt}"
                wanted = hashlib.sha256(seed.encode("utf-8", "surrogatepass")).hexdigest()[:8]
                salt += 1
            raw["id"] = wanted
            taken.add(wanted)
            changed = True
        if changed:
            self.touch()
        return changed
