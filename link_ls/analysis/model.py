"""Values produced by the dataflow analysis of one cell."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cached_property
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


#: an occurrence as the analysis stores it: ``(name, kind, line, col, end_line, end_col)``.
OccurrenceRow = tuple[str, str, int, int, int, int]
#: a cell's occurrences as the analysis stores them: their rows end to end, in one flat
#: tuple of strings and ints. Unlike a tuple of rows (or of NamedTuples), it is a single
#: object for the cyclic garbage collector to look at once, not one per occurrence; a
#: 10,000-cell notebook has ~200,000 occurrences. :attr:`CellAnalysis.occurrences` reads it.
FlatRows = tuple[str | int, ...]
#: the empty set of names, shared by the analyses that have one (most cells delete nothing)
NO_NAMES: frozenset[str] = frozenset()


def _no_rows(source: str) -> FlatRows:
    return ()


#: how an analysis finds its occurrences when first asked (a cell's source -> its rows):
#: :mod:`link_ls.analysis.analyzer` sets it to a walk that records them. Building a graph
#: and its diagnostics needs the facts of every cell but the positions of few (a hover,
#: a reference, an undefined name): recording 20 names a cell in every walk cost a tenth
#: of a 1,000-cell analysis.
find_rows: list[Callable[[str], FlatRows]] = [_no_rows]
_set = object.__setattr__  # how a frozen dataclass sets its fields


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
    #: the cell's source: equal sources have equal occurrences, so comparing analyses
    #: compares the facts and, through it, where each name is
    source: str
    syntax_error: SyntaxProblem | None = None

    def __init__(
        self,
        defs: frozenset[str],
        reads: frozenset[str],
        deletes: frozenset[str],
        mutations: frozenset[str],
        unknown: tuple[str, ...],
        source: str,
        syntax_error: SyntaxProblem | None = None,
        occurrence_rows: FlatRows | None = None,
    ) -> None:
        # what the frozen dataclass's own ``__init__`` does, a fifth faster (one per cell);
        # not through ``self.__dict__``, which would give every analysis a dict of its own
        _set(self, "defs", defs)
        _set(self, "reads", reads)
        _set(self, "deletes", deletes)
        _set(self, "mutations", mutations)
        _set(self, "unknown", unknown)
        _set(self, "source", source)
        _set(self, "syntax_error", syntax_error)
        if occurrence_rows is not None:  # recorded by the walk that made the analysis
            self.__dict__["occurrence_rows"] = occurrence_rows

    @cached_property
    def occurrence_rows(self) -> FlatRows:
        """The occurrences as flat rows (:data:`FlatRows`), found on first use."""
        if self.syntax_error is not None or not self.source:
            return ()
        return find_rows[0](self.source)

    @cached_property
    def occurrences(self) -> tuple[Occurrence, ...]:
        """Module-level uses of names, in source order (made on first use)."""
        it = iter(self.occurrence_rows)
        rows: Iterator[OccurrenceRow] = zip(it, it, it, it, it, it, strict=True)
        return tuple(
            Occurrence(name, Span(line, col, end_line, end_col), kind)
            for name, kind, line, col, end_line, end_col in rows
        )

    @property
    def provides(self) -> frozenset[str]:
        """Names a later cell can see changed by this one."""
        return self.defs | self.mutations


EMPTY = CellAnalysis(frozenset(), frozenset(), frozenset(), frozenset(), (), "", None, ())
