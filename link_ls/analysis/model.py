"""Values produced by the dataflow analysis of one cell."""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple


class Span(NamedTuple):
    """A 0-based line/column range inside one cell's source.

    Spans and occurrences are made for every name in every cell, so they are
    NamedTuples: immutable values like the dataclasses, at a third of the cost.
    """

    line: int
    col: int
    end_line: int
    end_col: int


class Occurrence(NamedTuple):
    """One module-level use of a name: where it is and whether it binds or reads."""

    name: str
    span: Span
    kind: str  # "def" | "read" | "mutate" | "delete"


@dataclass(frozen=True)
class SyntaxProblem:
    message: str
    span: Span


@dataclass(frozen=True)
class CellAnalysis:
    """What a cell does to the notebook namespace.

    ``reads`` are names the cell needs from outside (read before any definition
    in the cell, or from a function body and never defined in the cell);
    ``defs`` are names bound at module level; ``mutations`` are outside names
    changed in place (``x.a = …``, ``x[k] = …``, ``x.append(…)``).
    """

    defs: frozenset[str]
    reads: frozenset[str]
    deletes: frozenset[str]
    mutations: frozenset[str]
    #: why the cell's definitions cannot be known (star import, exec, %run, …)
    unknown: tuple[str, ...]
    occurrences: tuple[Occurrence, ...]
    syntax_error: SyntaxProblem | None = None

    @property
    def provides(self) -> frozenset[str]:
        """Names a later cell can see changed by this one."""
        return self.defs | self.mutations


EMPTY = CellAnalysis(frozenset(), frozenset(), frozenset(), frozenset(), (), ())
