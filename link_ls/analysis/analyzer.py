"""Analyse a cell's source: IPython syntax first, then the AST walk; cached by source."""

from __future__ import annotations

import ast
import builtins
from collections import OrderedDict

from link_ls.analysis.model import EMPTY, CellAnalysis, Span, SyntaxProblem
from link_ls.analysis.visitor import CellVisitor

#: names every IPython kernel provides without a definition in any cell
BUILTIN_NAMES: frozenset[str] = frozenset(dir(builtins)) | frozenset(
    {
        "get_ipython",
        "display",
        "In",
        "Out",
        "exit",
        "quit",
        "_",
        "__",
        "___",
        "_i",
        "_ii",
        "_iii",
        "_ih",
        "_oh",
        "_dh",
        "__builtins__",
        "__name__",
        "__doc__",
        "__file__",
        "__spec__",
        "__loader__",
        "__package__",
    }
)

_transformer = None


def _ipython_transform(source: str) -> str:
    """Rewrite IPython syntax (magics, ``!cmd``, ``x?``) the way IPython itself does."""
    global _transformer
    if _transformer is None:
        from IPython.core.inputtransformer2 import TransformerManager

        _transformer = TransformerManager()
    out: str = _transformer.transform_cell(source)
    return out


def _parse(source: str) -> ast.Module:
    # most cells are plain Python; IPython's transformer costs ~5× a parse
    try:
        return ast.parse(source)
    except SyntaxError:
        pass
    try:
        transformed = _ipython_transform(source)
    except Exception:  # IPython's transformer raises odd errors on odd input
        transformed = source
    return ast.parse(transformed)


def analyze_source(source: str) -> CellAnalysis:
    """Analyse one cell (uncached). Syntax errors become a value, never an exception."""
    if not source.strip():
        return EMPTY
    try:
        tree = _parse(source)
    except SyntaxError as e:
        line = max((e.lineno or 1) - 1, 0)
        col = max((e.offset or 1) - 1, 0)
        end_line = (e.end_lineno - 1) if e.end_lineno else line
        end_col = (e.end_offset - 1) if e.end_offset and e.end_offset > 0 else col + 1
        if end_line < line or (end_line == line and end_col <= col):
            end_line, end_col = line, col + 1
        msg = e.msg or "invalid syntax"
        return CellAnalysis(
            frozenset(),
            frozenset(),
            frozenset(),
            frozenset(),
            (),
            (),
            SyntaxProblem(msg, Span(line, col, end_line, end_col)),
        )
    except (ValueError, RecursionError, MemoryError) as e:
        # ast.parse raises ValueError on NUL bytes; deep nesting raises RecursionError
        return CellAnalysis(
            frozenset(),
            frozenset(),
            frozenset(),
            frozenset(),
            (),
            (),
            SyntaxProblem(f"cannot parse: {e}", Span(0, 0, 0, 1)),
        )
    try:
        return CellVisitor().run(tree)
    except RecursionError:
        return CellAnalysis(
            frozenset(),
            frozenset(),
            frozenset(),
            frozenset(),
            ("code nested too deeply to analyse",),
            (),
        )


class AnalysisCache:
    """Analyses keyed by cell source, so an edit re-analyses one cell.

    The key is the source string itself: Python caches a string's hash on the object,
    so looking up an unchanged cell costs one dict probe, where a sha256 per cell per
    keystroke would cost more than the rest of a re-check. Bounded (LRU).
    """

    def __init__(self, max_entries: int = 20_000) -> None:
        self._items: OrderedDict[str, CellAnalysis] = OrderedDict()
        self.max_entries = max_entries
        self.misses = 0

    def analyze(self, source: str) -> CellAnalysis:
        key = source
        hit = self._items.get(key)
        if hit is not None:
            self._items.move_to_end(key)
            return hit
        self.misses += 1
        result = analyze_source(source)
        self._items[key] = result
        if len(self._items) > self.max_entries:
            self._items.popitem(last=False)
        return result


#: the process-wide cache the CLI and the server share
default_cache = AnalysisCache()


def analyze(source: str) -> CellAnalysis:
    return default_cache.analyze(source)
