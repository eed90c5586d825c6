"""Values of the merge: sides, choices, conflicts, merge results and conflict resolutions.

Conflicts are data. A source conflict lives in the cell's text as git-style
markers; every other conflict is a JSON record in ``metadata.link_ls.conflict``
(a list) of the cell, or of the notebook for notebook-level conflicts. Each
record holds the three alternatives as ``{"value": …}`` or ``null`` for
"absent on that side" (deleted, or never there). docs/merge.md has the shapes.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Any, Literal, NewType

from link_ls.notebook.model import Notebook

ConflictId = NewType("ConflictId", str)

#: how to resolve one conflict
Choice = Literal["ours", "theirs", "both", "base"]
CHOICES: tuple[Choice, ...] = ("ours", "theirs", "both", "base")

#: key under cell and notebook metadata where link-ls keeps its own data
LINK_LS_KEY = "link_ls"
CONFLICT_KEY = "conflict"


class ConflictKind(str, Enum):
    SOURCE = "source"  # git-style markers in the cell source
    CELL = "cell"  # deleted on one side, changed (or needed as a parent) on the other
    EDGES = "edges"  # the cell's declared parents (a cycle across the two sides)
    METADATA = "metadata"  # one metadata key changed differently on both sides
    FIELD = "field"  # another cell field (cell_type, id, attachments)
    PARAMETER = "parameter"  # a pipeline parameter changed differently


class OutputPolicy(str, Enum):
    """What to do with outputs both sides changed differently."""

    CLEAR = "clear"
    OURS = "ours"
    THEIRS = "theirs"


@dataclass(frozen=True)
class Conflict:
    """One unresolved conflict, as an editor shows it.

    ``cell_index`` is None for a notebook-level conflict. For source conflicts
    ``start_line``/``end_line`` are the 0-based marker lines (end exclusive) in the
    cell source and the alternatives are texts; for the others they are the JSON
    alternatives of the record (``None`` = absent on that side).
    """

    cell_index: int | None
    id: ConflictId
    kind: ConflictKind
    message: str
    base: Any = None
    ours: Any = None
    theirs: Any = None
    start_line: int | None = None
    end_line: int | None = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "cell": self.cell_index,
            "id": self.id,
            "kind": self.kind.value,
            "message": self.message,
            "base": self.base,
            "ours": self.ours,
            "theirs": self.theirs,
        }
        if self.start_line is not None and self.end_line is not None:
            out["range"] = {"start_line": self.start_line, "end_line": self.end_line}
        return out


@dataclass(frozen=True)
class MergeStats:
    """What the merge did, counted per cell."""

    cells: int = 0
    from_ours: int = 0
    from_theirs: int = 0
    merged: int = 0
    deleted: int = 0
    unchanged: int = 0

    def to_json(self) -> dict[str, int]:
        return {
            "cells": self.cells,
            "from_ours": self.from_ours,
            "from_theirs": self.from_theirs,
            "merged": self.merged,
            "deleted": self.deleted,
            "unchanged": self.unchanged,
        }


@dataclass(frozen=True)
class MergeResult:
    """The merged notebook (always a valid notebook) and the conflicts left in it."""

    notebook: Notebook
    conflicts: tuple[Conflict, ...]
    stats: MergeStats

    @property
    def clean(self) -> bool:
        return not self.conflicts

    def to_json(self) -> dict[str, Any]:
        return {
            "clean": self.clean,
            "conflicts": [c.to_json() for c in self.conflicts],
            "stats": self.stats.to_json(),
        }


@dataclass(frozen=True)
class SourceEdit:
    """Lines ``[start_line, end_line)`` of the cell's old source become ``text``."""

    start_line: int
    end_line: int
    text: str


@dataclass(frozen=True)
class Resolution:
    """A resolved conflict: the new notebook, and what changed in terms of the old one.

    ``source_edit`` is set when only the source of ``cell_index`` changed, so an
    editor can apply a minimal text edit; otherwise clients replace the changed
    cells (``changed_cells``) or the whole document.
    """

    notebook: Notebook
    cell_index: int | None
    conflict_id: ConflictId
    choice: Choice
    changed_cells: tuple[int, ...]
    deleted_cells: tuple[int, ...]
    source_edit: SourceEdit | None = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "cell": self.cell_index,
            "id": self.conflict_id,
            "choice": self.choice,
            "changed_cells": list(self.changed_cells),
            "deleted_cells": list(self.deleted_cells),
        }
        if self.source_edit is not None:
            out["source_edit"] = {
                "start_line": self.source_edit.start_line,
                "end_line": self.source_edit.end_line,
                "text": self.source_edit.text,
            }
        return out
