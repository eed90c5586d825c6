"""A read-only view of one open document at one version: notebook, mapper, DAG, diagnostics.

Read-only feature handlers work on a :class:`Snapshot` only; the document store
makes a new one for every change, and the DAG and diagnostics are computed at
most once per snapshot, on first use.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum
from functools import cached_property
from typing import Any

from link_ls.analysis import CellAnalysis, Occurrence
from link_ls.notebook import Notebook
from link_ls.pipeline import Diagnostic, Pipeline
from link_ls.pipeline.index import build_after
from link_ls.server.mapping import CellPos, Mapper, byte_of_char
from link_ls.usecases import diagnose


class DocKind(str, Enum):
    """How an editor presents a notebook."""

    NOTEBOOK = "notebook"  # LSP 3.17 notebook document (VS Code)
    IPYNB = "ipynb"  # .ipynb opened as JSON text
    JUPYTEXT = "jupytext"  # percent/light text (.py, or .ipynb through jupytext.nvim)
    VIRTUAL = "virtual"  # jupyter-lsp's concatenated virtual document (JupyterLab)
    OTHER = "other"  # a document that is not a notebook: served nothing


@dataclass(frozen=True)
class CellMeta:
    """What a notebook-document cell carried, to write its metadata back whole."""

    uri: str
    metadata: Mapping[str, Any]
    #: VS Code nests the nbformat cell metadata under "metadata" (REAL-CLIENTS.md)
    nested: bool


_LINE_COL = re.compile(r"line (\d+) column (\d+)")


@dataclass(frozen=True)
class Snapshot:
    uri: str
    kind: DocKind
    version: int
    notebook: Notebook | None = None
    mapper: Mapper | None = None
    #: why the document could not be read as a notebook (shown as a diagnostic)
    error: str | None = None
    #: full text of text documents (edits are computed against it)
    text: str | None = None
    #: notebook documents: each cell's uri and original metadata
    cells: tuple[CellMeta, ...] = ()
    #: where the notebook lives on disk, if anywhere (for names and saving)
    path: str | None = None
    #: an .ipynb git merged as text: 0-based line of its first conflict marker
    text_conflict: int | None = None
    extra: dict[str, Any] = field(default_factory=dict, compare=False)
    #: the previous version's pipeline, if built: this one's is derived from it incrementally
    base: Pipeline | None = field(default=None, compare=False, repr=False)

    @property
    def ok(self) -> bool:
        return self.notebook is not None and self.mapper is not None

    @cached_property
    def pipeline(self) -> Pipeline:
        assert self.notebook is not None
        pipe = build_after(self.base, self.notebook)
        object.__setattr__(self, "base", None)  # keep one version alive, not a chain
        return pipe

    def pipeline_or_base(self) -> Pipeline | None:
        """What the next version derives its pipeline from: this one's if it was built, else
        the one this would have been derived from (a burst of edits skips versions)."""
        built: Pipeline | None = self.__dict__.get("pipeline")
        return built if built is not None else self.base

    @cached_property
    def diagnostics(self) -> tuple[Diagnostic, ...]:
        """``link_ls.usecases.diagnose`` of this version, computed once."""
        if self.notebook is None:
            return ()
        return tuple(diagnose(self.notebook, self.pipeline))

    def error_position(self) -> tuple[int, int]:
        """0-based line/column of a JSON error message, else the start."""
        m = _LINE_COL.search(self.error or "")
        if m is None:
            return 0, 0
        return max(int(m.group(1)) - 1, 0), max(int(m.group(2)) - 1, 0)

    # -- lookups shared by features ---------------------------------------------------
    def analysis(self, cell: int) -> CellAnalysis | None:
        return self.pipeline.analyses.get(cell)

    def occurrence_at(self, pos: CellPos) -> Occurrence | None:
        """The module-level name occurrence under the cursor, if any."""
        a = self.analysis(pos.cell)
        if a is None or self.mapper is None:
            return None
        lines = self.mapper.source_lines(pos.cell)
        if not 0 <= pos.line < len(lines):
            return None
        col = byte_of_char(lines[pos.line], pos.char)
        for o in a.occurrences:
            s = o.span
            if s.line == pos.line == s.end_line and s.col <= col <= s.end_col:
                return o
        return None

    def node_cells(self) -> list[int]:
        """Nodes in pipeline order (topological, ties by notebook order), cycles tolerated."""
        import networkx as nx

        p = self.pipeline
        try:
            return list(nx.lexicographical_topological_sort(p.graph, key=lambda n: n))
        except nx.NetworkXUnfeasible:
            return list(p.nodes)
