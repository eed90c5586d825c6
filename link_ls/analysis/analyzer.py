"""Analyse a cell's source: IPython syntax first, then the AST walk; cached by source."""

from __future__ import annotations

import ast
import builtins
import gc
import re
from collections.abc import Iterable

from link_ls.analysis import model
from link_ls.analysis.model import EMPTY, CellAnalysis, FlatRows, Span, SyntaxProblem
from link_ls.analysis.visitor import CellVisitor
from link_ls.gcpause import paused_gc

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


#: a first or second line that IPython's prompt strippers would rewrite (``>>>``, ``In [1]:``)
_PROMPT = re.compile(r"\s*(>>>|\.\.\.|In |\[nav\]|\[ins\])")
_WHITESPACE_ONLY = re.compile(r"^[ \t]+$", re.MULTILINE)
_ESCAPES = {"%": "run_line_magic", "!": "system", "!!": "getoutput"}


def _fast_ipython(source: str) -> tuple[str, ast.Module] | None:
    """IPython's rewrite of the common cases, without its tokenizer (~0.5 ms a cell).

    Handles a cell magic on the first line, and ``%magic`` / ``!cmd`` / ``!!cmd`` lines
    at the start of a statement, producing the same text as IPython's
    ``TransformerManager.transform_cell``; returns None for anything else (prompts,
    help ``?``, ``a = %magic``, continued lines, odd line breaks), which then goes the
    slow, exact way. A rewritten line counts only if the parsed result has that call
    as a statement starting there, which is where IPython's tokenizer finds an escape.
    """
    text = source if source.endswith("\n") else source + "\n"
    lines = text.splitlines(keepends=True)
    if text.count("\n") != len(lines) or "\r" in text:
        return None  # line breaks other than \n: leave line numbering to IPython
    first = lines[0]
    if first.isspace() or first[0] in " \t" or _PROMPT.match(first):
        return None  # IPython would drop blank lines, dedent or strip prompts first
    if len(lines) > 1 and _PROMPT.match(lines[1]):
        return None
    # what IPython's dedent does to a cell whose first line is not indented
    text = _WHITESPACE_ONLY.sub("", text)
    lines = text.splitlines(keepends=True)
    if first.startswith("%%"):
        if re.match(r"%%\w+\?", first):
            return None
        name, _, line = lines[0][2:].rstrip().partition(" ")
        out = f"get_ipython().run_cell_magic({name!r}, {line!r}, {''.join(lines[1:])!r})\n"
        return out, ast.parse(out)
    expected: list[tuple[int, int, str]] = []
    for i, raw in enumerate(lines):
        body = raw.lstrip(" \t")
        if not body or body[0] not in "%!":
            continue
        content = body.rstrip()
        if content.endswith(("\\", "?")) or content.startswith("%%"):
            return None
        indent = raw[: len(raw) - len(body)]
        escape = "!!" if content.startswith("!!") else content[0]
        rest = content[len(escape) :]
        method = _ESCAPES[escape]
        if escape == "%":
            name, _, args = rest.partition(" ")
            call = f"get_ipython().run_line_magic({name!r}, {args!r})"
        else:
            call = f"get_ipython().{method}({rest!r})"
        lines[i] = indent + call + "\n"
        expected.append((i + 1, len(indent), method))
    if not expected:
        return None
    out = "".join(lines)
    try:
        tree = ast.parse(out)
    except SyntaxError:
        return None
    found = _escape_statements(tree)
    if any(e not in found for e in expected):
        return None
    return out, tree


def _escape_statements(tree: ast.Module) -> set[tuple[int, int, str]]:
    """``(line, column, method)`` of every ``get_ipython().method(…)`` statement."""
    found: set[tuple[int, int, str]] = set()
    stack: list[list[ast.stmt]] = [tree.body]
    while stack:
        for st in stack.pop():
            if type(st) is ast.Expr:
                v = st.value
                if type(v) is ast.Call and type(v.func) is ast.Attribute:
                    found.add((st.lineno, st.col_offset, v.func.attr))
                continue
            for f in ("body", "orelse", "finalbody"):
                sub = getattr(st, f, None)
                if type(sub) is list:
                    stack.append(sub)
            for h in getattr(st, "handlers", ()):
                stack.append(h.body)
            for c in getattr(st, "cases", ()):
                stack.append(c.body)
    return found


#: ``ast.parse(source)`` is ``compile(source, "<unknown>", "exec", _ONLY_AST, True)``, less a
#: call (``True``: not inheriting this module's ``__future__`` flags, as ``ast.py`` has none)
_ONLY_AST = ast.PyCF_ONLY_AST

#: a line that starts (after indentation) with an IPython escape: ``%magic``, ``!cmd``
_ESCAPE_LINE = re.compile(r"^[ \t]*[%!]", re.MULTILINE)


def _parse(source: str) -> ast.Module:
    # most cells are plain Python; IPython's transformer costs ~5× a parse
    escapes = ("%" in source or "!" in source) and _ESCAPE_LINE.search(source) is not None
    if escapes:
        # a failed parse costs two (CPython re-parses to explain the error): try the
        # rewrite first. Its check (each rewritten line became a statement there) never
        # passes on valid Python, where such a line is inside a string or brackets.
        fast = _fast_ipython(source)
        if fast is not None:
            return fast[1]
    try:
        return compile(source, "<unknown>", "exec", _ONLY_AST, True)  # type: ignore[no-any-return]
    except SyntaxError:
        pass
    fast = None if escapes else _fast_ipython(source)
    if fast is not None:
        return fast[1]
    try:
        transformed = _ipython_transform(source)
    except Exception:  # IPython's transformer raises odd errors on odd input
        transformed = source
    return ast.parse(transformed)


def analyze_source(source: str) -> CellAnalysis:
    """Analyse one cell (uncached). Syntax errors become a value, never an exception."""
    if not source or source.isspace():  # ``not source.strip()`` without copying it
        return EMPTY
    # a syntax tree and the walk over it make no reference cycles: the collector is
    # paused as :func:`link_ls.gcpause.paused_gc` does, without a context manager's cost
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        return _analyze_tree(source)
    finally:
        if was_enabled:
            gc.enable()


def _analyze_tree(source: str, record: bool = False) -> CellAnalysis:
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
            source,
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
            source,
            SyntaxProblem(f"cannot parse: {e}", Span(0, 0, 0, 1)),
        )
    try:
        # no ``:=`` in the text, none in the tree: IPython's rewrite copies code verbatim
        return CellVisitor(":=" in source, record).run(tree, source)
    except RecursionError:
        return CellAnalysis(
            frozenset(),
            frozenset(),
            frozenset(),
            frozenset(),
            ("code nested too deeply to analyse",),
            source,
            None,
            (),
        )


def _occurrence_rows(source: str) -> FlatRows:
    """Where each name of a cell occurs: the cell's walk again, recording (see
    :data:`link_ls.analysis.model.find_rows`). Off the hot path: the plain pause."""
    with paused_gc():
        return _analyze_tree(source, record=True).occurrence_rows


model.find_rows[0] = _occurrence_rows


class AnalysisCache:
    """Analyses keyed by cell source, so an edit re-analyses one cell.

    The key is the source string itself: Python caches a string's hash on the object,
    so looking up an unchanged cell costs one dict probe, where a sha256 per cell per
    keystroke would cost more than the rest of a re-check. Bounded, in two generations:
    a hit in the young one costs that single probe (a re-check of 1,000 cells looks up
    1,000 sources), a hit in the old one moves the entry to the young one, and when
    the young one is full the old one is dropped; so what is used survives.
    """

    def __init__(self, max_entries: int = 20_000) -> None:
        self._young: dict[str, CellAnalysis] = {}
        self._old: dict[str, CellAnalysis] = {}
        self.max_entries = max_entries
        self.misses = 0

    def analyze(self, source: str) -> CellAnalysis:
        hit = self._young.get(source)
        if hit is not None:
            return hit
        hit = self._old.pop(source, None)
        if hit is None:
            self.misses += 1
            hit = analyze_source(source)
        self._keep(source, hit)
        return hit

    def analyze_many(self, sources: Iterable[str]) -> list[CellAnalysis]:
        """:meth:`analyze` of each source, with the collector paused once for them all."""
        was_enabled = gc.isenabled()
        gc.disable()
        try:
            out: list[CellAnalysis] = []
            for source in sources:
                hit = self._young.get(source)
                if hit is None:
                    hit = self._old.pop(source, None)
                    if hit is None:
                        self.misses += 1
                        empty = not source or source.isspace()
                        hit = EMPTY if empty else _analyze_tree(source)
                    self._keep(source, hit)
                out.append(hit)
            return out
        finally:
            if was_enabled:
                gc.enable()

    def _keep(self, source: str, analysis: CellAnalysis) -> None:
        if len(self._young) >= max(self.max_entries // 2, 1):
            self._old, self._young = self._young, {}
        self._young[source] = analysis


#: the process-wide cache the CLI and the server share
default_cache = AnalysisCache()


def analyze(source: str) -> CellAnalysis:
    return default_cache.analyze(source)
