"""IPython's magics and shell escapes, as the cell visitor sees them after IPython's rewrite.

``%time x = f()`` becomes ``get_ipython().run_line_magic("time", "x = f()")``: the
code inside a magic is analysed as the cell's own, ``$name`` and ``{expr}`` in
shell commands are reads, and magics that run other files make a cell's
definitions unknown.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable
from typing import TYPE_CHECKING

from link_ls.analysis.scopes import Scope, function_locals

_VAR_DOLLAR = re.compile(r"(?<!\$)\$([A-Za-z_]\w*)")
_VAR_BRACE = re.compile(r"(?<!\{)\{([^{}]+)\}(?!\})")
_TIMEIT_OPTS = re.compile(r"^\s*(?:-[nrpq]\s*\d+\s*|-[qotc]\s*)*")


class IPythonMagics:
    """Mixin of :class:`~link_ls.analysis.visitor.CellVisitor`."""

    unknown: list[str]
    scopes: list[Scope]
    line_offset: int
    walrus: bool

    if TYPE_CHECKING:

        def visit(self, node: ast.AST) -> None: ...
        def body(self, stmts: Iterable[ast.AST]) -> None: ...
        def generic(self, node: ast.AST) -> None: ...
        def load(self, name: str, node: ast.AST) -> None: ...
        def store(self, name: str, node: ast.AST) -> None: ...

    def _ipython_call(self, method: str, node: ast.Call) -> None:
        args = [a.value if isinstance(a, ast.Constant) else None for a in node.args]
        strs = [a for a in args if isinstance(a, str)]
        if method == "run_line_magic" and len(strs) >= 2:
            self._line_magic(strs[0], strs[1], node)
        elif method == "run_cell_magic" and len(strs) >= 3:
            self._cell_magic(strs[0], strs[1], strs[2], node)
        elif method in ("system", "getoutput") and strs:
            self._expand_vars(strs[0], node)
        else:
            self.generic(node)

    def _line_magic(self, name: str, line: str, node: ast.Call) -> None:
        if name in ("time", "prun", "capture"):
            self._inline_code(line, node, 0)
        elif name == "timeit":
            self._inline_code(_TIMEIT_OPTS.sub("", line), node, 0, isolated=True)
        elif name in ("run", "load", "load_ext", "reload_ext") or (
            name == "store" and "-r" in line.split()
        ):
            if name not in ("load_ext", "reload_ext"):
                self.unknown.append(f"%{name}")
            self._expand_vars(line, node)
        else:
            self._expand_vars(line, node)

    def _cell_magic(self, name: str, line: str, body: str, node: ast.Call) -> None:
        self._expand_vars(line, node)
        if name in ("time", "prun", "capture", "debug"):
            self._inline_code(body, node, 1)
            if name == "capture":
                words = [w for w in line.split() if not w.startswith("-")]
                if words and words[0].isidentifier():
                    self.store(words[0], node)
        elif name == "timeit":
            self._inline_code(body, node, 1, isolated=True)

    def _inline_code(self, code: str, node: ast.AST, offset: int, isolated: bool = False) -> None:
        try:
            tree = ast.parse(code)
        except SyntaxError:
            return
        saved = self.line_offset
        self.line_offset = saved + getattr(node, "lineno", 1) - 1 + offset
        try:
            if isolated:
                bound, globs, _ = function_locals(None, tree.body, self.walrus)
                self.scopes.append(Scope("function", bound, globs))
                try:
                    self.body(tree.body)
                finally:
                    self.scopes.pop()
            else:
                self.body(tree.body)
        finally:
            self.line_offset = saved

    def _expand_vars(self, text: str, node: ast.AST) -> None:
        """IPython expands ``$name`` and ``{expr}`` in shell commands and line magics."""
        for m in _VAR_DOLLAR.finditer(text):
            self.load(m.group(1), node)
        for m in _VAR_BRACE.finditer(text):
            try:
                expr = ast.parse(m.group(1).strip(), mode="eval")
            except SyntaxError:
                continue
            saved = self.line_offset
            self.line_offset = saved + getattr(node, "lineno", 1) - 1
            try:
                self.visit(expr.body)
            finally:
                self.line_offset = saved


def is_get_ipython(node: ast.AST) -> bool:
    return (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id == "get_ipython"
        and not node.args
    )
