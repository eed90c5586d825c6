"""Structural fast paths of the cell visitor: common nodes' children, visited directly.

Each ``s_<Node>`` visits the same children in the same order as the generic walk
(``CellVisitor.generic``), without its per-field tests: most nodes of a cell are
one of these types. The tests compare against a visitor with them switched off.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any


class StructuralFastPaths:
    """Mixin of :class:`~link_ls.analysis.visitor.CellVisitor`."""

    if TYPE_CHECKING:
        _d: dict[type, Callable[[Any, ast.AST], None]]

        def visit(self, node: ast.AST) -> None: ...
        def body(self, stmts: Iterable[ast.AST]) -> None: ...

    #: off in the reference visitor the tests compare against
    structural_fast_paths = True

    def s_Constant(self, node: ast.Constant) -> None:
        return

    def s_Expr(self, node: ast.Expr) -> None:
        v = node.value
        self._d[type(v)](self, v)

    s_keyword = s_Expr
    s_Starred = s_Expr
    s_Await = s_Expr

    def s_Return(self, node: ast.Return) -> None:
        v = node.value
        if v is not None:
            self._d[type(v)](self, v)

    def s_FormattedValue(self, node: ast.FormattedValue) -> None:
        self.visit(node.value)
        if node.format_spec is not None:
            self.visit(node.format_spec)

    def s_BinOp(self, node: ast.BinOp) -> None:
        d = self._d
        v = node.left
        d[type(v)](self, v)
        v = node.right
        d[type(v)](self, v)

    def s_UnaryOp(self, node: ast.UnaryOp) -> None:
        v = node.operand
        self._d[type(v)](self, v)

    def s_BoolOp(self, node: ast.BoolOp) -> None:
        self.body(node.values)

    s_JoinedStr = s_BoolOp

    def s_Compare(self, node: ast.Compare) -> None:
        self.visit(node.left)
        self.body(node.comparators)

    def s_Tuple(self, node: ast.Tuple | ast.List | ast.Set) -> None:
        self.body(node.elts)

    s_List = s_Tuple
    s_Set = s_Tuple

    def s_Dict(self, node: ast.Dict) -> None:
        visit = self.visit
        for k in node.keys:
            if k is not None:
                visit(k)
        for v in node.values:
            visit(v)

    def s_IfExp(self, node: ast.IfExp | ast.If | ast.While) -> None:
        self.visit(node.test)
        b = node.body
        if type(b) is list:
            self.body(b)
            self.body(node.orelse)  # type: ignore[arg-type]
        else:
            self.visit(b)  # type: ignore[arg-type]
            self.visit(node.orelse)  # type: ignore[arg-type]

    s_If = s_IfExp
    s_While = s_IfExp

    def s_Slice(self, node: ast.Slice) -> None:
        for v in (node.lower, node.upper, node.step):
            if v is not None:
                self.visit(v)

    def s_Pass(self, node: ast.AST) -> None:
        return

    s_Break = s_Pass
    s_Continue = s_Pass
