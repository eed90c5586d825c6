"""Values of a notebook diff: cell changes, source hunks, output and metadata changes, pipeline.

Everything here is a frozen value; renderers (text, JSON, HTML) only read it. JSON
metadata values are kept as they are (``Any``) because they are arbitrary user data.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Any


class CellStatus(str, Enum):
    """What happened to a cell. ``moved`` means moved with content unchanged."""

    ADDED = "added"
    REMOVED = "removed"
    MODIFIED = "modified"
    MOVED = "moved"
    UNCHANGED = "unchanged"


@dataclass(frozen=True)
class Hunk:
    """A unified-diff hunk of a cell source; ``lines`` start with ``' '``, ``'-'`` or ``'+'``.

    Starts are 1-based line numbers (as in ``git diff``).
    """

    old_start: int
    old_len: int
    new_start: int
    new_len: int
    lines: tuple[str, ...]


@dataclass(frozen=True)
class OutputsChange:
    """Outputs of a cell changed; ``changes`` are short phrases like ``image/png changed``."""

    old_count: int
    new_count: int
    changes: tuple[str, ...]

    @property
    def summary(self) -> str:
        head = (
            f"{_n(self.old_count, 'output')} → {_n(self.new_count, 'output')}"
            if self.old_count != self.new_count
            else f"{_n(self.new_count, 'output')}"
        )
        return ", ".join([head, *self.changes])


def _n(k: int, word: str) -> str:
    return f"{k} {word}" if k == 1 else f"{k} {word}s"


@dataclass(frozen=True)
class MetadataChange:
    """One metadata key (dotted for nested Link keys, e.g. ``canvas.diskcache``) that differs."""

    key: str
    op: str  # "added" | "removed" | "changed"
    old: Any = None
    new: Any = None


@dataclass(frozen=True)
class CellSide:
    """A cell as it is on one side of the diff."""

    index: int  # 0-based position
    cell_type: str
    cell_id: str | None
    component_id: str | None
    name: str  # component name, else "#N"
    is_component: bool

    @property
    def position(self) -> str:
        return f"#{self.index + 1}"


@dataclass(frozen=True)
class CellDiff:
    """One aligned cell: what it was (``old``), what it is (``new``) and what differs."""

    status: CellStatus
    old: CellSide | None
    new: CellSide | None
    moved: bool = False
    hunks: tuple[Hunk, ...] = ()
    outputs: OutputsChange | None = None
    metadata: tuple[MetadataChange, ...] = ()

    @property
    def side(self) -> CellSide:
        side = self.new or self.old
        assert side is not None
        return side

    @property
    def label(self) -> str:
        """Header label: ``component load (#3)`` or ``cell #3``; renames show both names."""
        s = self.side
        if s.is_component:
            name = s.name
            if self.old and self.new and self.old.name != self.new.name and self.old.is_component:
                name = f"{self.old.name} → {self.new.name}"
            return f"component {name} ({self._where()})"
        return f"{s.cell_type} cell {self._where()}"

    def _where(self) -> str:
        if self.old and self.new:
            if self.old.index != self.new.index:
                return f"{self.old.position} → {self.new.position}"
            return self.new.position
        return self.side.position


@dataclass(frozen=True)
class NodeRef:
    """A pipeline node in a diff: stable ``key`` across both sides, plus how to show it."""

    key: str
    name: str
    component_id: str | None


@dataclass(frozen=True)
class EdgeChange:
    source: NodeRef
    target: NodeRef
    op: str  # "added" | "removed"

    @property
    def text(self) -> str:
        return f"edge {self.source.name}→{self.target.name} {self.op}"


@dataclass(frozen=True)
class ComponentChange:
    node: NodeRef
    op: str  # "added" | "removed" | "renamed"
    old_name: str | None = None
    new_name: str | None = None

    @property
    def text(self) -> str:
        if self.op == "renamed":
            return f"component {self.old_name} renamed to {self.new_name}"
        return f"component {self.node.name} {self.op}"


@dataclass(frozen=True)
class ParameterChange:
    name: str
    op: str  # "added" | "removed" | "changed"
    old: Any = None
    new: Any = None

    @property
    def text(self) -> str:
        if self.op == "changed":
            return f"parameter {self.name} {_short(self.old)} → {_short(self.new)}"
        return f"parameter {self.name} {self.op}"


def _short(v: Any) -> str:
    s = repr(v)
    return s if len(s) <= 40 else s[:39] + "…"


@dataclass(frozen=True)
class GraphSide:
    """The DAG on one side, with nodes keyed like :class:`NodeRef` so sides compare."""

    is_pipeline: bool
    nodes: tuple[NodeRef, ...]
    edges: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class PipelineDiff:
    components: tuple[ComponentChange, ...]
    edges: tuple[EdgeChange, ...]
    parameters: tuple[ParameterChange, ...]
    before: GraphSide
    after: GraphSide

    @property
    def changed(self) -> bool:
        return bool(self.components or self.edges or self.parameters)

    def phrases(self) -> list[str]:
        return [
            *(c.text for c in self.components),
            *(e.text for e in self.edges),
            *(p.text for p in self.parameters),
        ]

    def summary_phrases(self) -> list[str]:
        """Like :meth:`phrases`, without edges implied by an added or removed component."""
        gone = {c.node.key for c in self.components if c.op in ("added", "removed")}
        return [
            *(c.text for c in self.components),
            *(e.text for e in self.edges if e.source.key not in gone and e.target.key not in gone),
            *(p.text for p in self.parameters),
        ]


@dataclass(frozen=True)
class DiffOptions:
    ignore_outputs: bool = False
    ignore_metadata: bool = False
    #: compute the pipeline diff (needs dataflow analysis of every code cell)
    pipeline: bool = True


@dataclass(frozen=True)
class NotebookDiff:
    old_label: str
    new_label: str
    cells: tuple[CellDiff, ...]
    metadata: tuple[MetadataChange, ...]
    pipeline: PipelineDiff | None
    options: DiffOptions

    @property
    def changed_cells(self) -> tuple[CellDiff, ...]:
        return tuple(c for c in self.cells if c.status is not CellStatus.UNCHANGED)

    @property
    def changed(self) -> bool:
        return bool(
            self.changed_cells or self.metadata or (self.pipeline and self.pipeline.changed)
        )

    def count(self, status: CellStatus) -> int:
        return sum(1 for c in self.cells if c.status is status)

    def summary(self) -> str:
        """One line, e.g. ``3 cells changed, 1 added; edge load→train added``."""
        parts: list[str] = []
        mod = self.count(CellStatus.MODIFIED)
        if mod:
            parts.append(f"{_n(mod, 'cell')} changed")
        for status in (CellStatus.ADDED, CellStatus.REMOVED, CellStatus.MOVED):
            k = self.count(status)
            if k:
                parts.append(f"{k} {status.value}" if parts else f"{_n(k, 'cell')} {status.value}")
        if self.metadata:
            parts.append("notebook metadata changed")
        cells = ", ".join(parts)
        pipe = self.pipeline.summary_phrases() if self.pipeline else []
        if len(pipe) > 6:
            pipe = [*pipe[:5], f"{len(pipe) - 5} more pipeline changes"]
        text = "; ".join(x for x in [cells, ", ".join(pipe)] if x)
        return text or "no changes"
