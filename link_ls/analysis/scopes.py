"""Scopes: which names a function body binds locally (Python's static scoping rule), and
the cell visitor's handlers of the nodes that open a scope (functions, classes,
comprehensions)."""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterable
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

_FUNCS = (ast.FunctionDef, ast.AsyncFunctionDef)
_COMPS = (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)

#: fields that never hold a node worth visiting (names, operators, contexts, flags)
_SCALAR_FIELDS = frozenset(
    [
        "ctx",
        "op",
        "ops",
        "id",
        "arg",
        "attr",
        "module",
        "level",
        "kind",
        "type_comment",
        "conversion",
        "is_async",
        "simple",
        "name",
        "names",
        "rest",
    ]
)
_CHILD_FIELDS: dict[type, tuple[str, ...]] = {}
_TRY_STAR: type | None = getattr(ast, "TryStar", None)  # Python 3.11+
#: node types :func:`function_locals` looks at itself; it only descends into the others
_BINDING_TYPES = frozenset(
    [
        *(ast.Name, ast.ClassDef, ast.Lambda, ast.Import, ast.ImportFrom, ast.Global),
        *(ast.Nonlocal, ast.ExceptHandler, ast.MatchAs, ast.MatchStar, ast.MatchMapping),
        *_FUNCS,
        *_COMPS,
        ast.Constant,
    ]
)


def child_fields(t: type) -> tuple[str, ...]:
    """The fields of a node type that can hold child nodes (in ``_fields`` order)."""
    fields = _CHILD_FIELDS.get(t)
    if fields is None:
        fields = tuple(f for f in getattr(t, "_fields", ()) if f not in _SCALAR_FIELDS)
        _CHILD_FIELDS[t] = fields
    return fields


def _arg_names(args: ast.arguments) -> set[str]:
    names = {a.arg for a in (*args.posonlyargs, *args.args, *args.kwonlyargs)}
    if args.vararg:
        names.add(args.vararg.arg)
    if args.kwarg:
        names.add(args.kwarg.arg)
    return names


def function_locals(
    args: ast.arguments | None, body: list[ast.stmt] | ast.expr, walrus: bool = True
) -> tuple[set[str], set[str], set[str]]:
    """Return ``(locals, global_decls, nonlocal_decls)`` of a function or lambda body.

    A name bound anywhere in the body is local everywhere in it, unless declared
    ``global``/``nonlocal``. Nested functions and classes bind only their own name;
    comprehensions bind only their walrus targets (which leak to the function).

    ``walrus=False`` says the code holds no ``:=`` (its cell's text has none): then only
    statements bind, and their expressions are not walked (most of a function's nodes).
    """
    bound: set[str] = _arg_names(args) if args is not None else set()
    globs: set[str] = set()
    nonlocs: set[str] = set()
    if walrus:
        _bindings_in(list(body) if isinstance(body, list) else [body], bound, globs, nonlocs)
    elif isinstance(body, list):
        _statement_bindings(body, bound, globs, nonlocs)
    # else: a lambda's body is an expression, which binds nothing without ``:=``
    bound -= globs
    bound -= nonlocs
    return bound, globs, nonlocs


def _bindings_in(stack: list[object], bound: set[str], globs: set[str], nonlocs: set[str]) -> None:
    """Every binding in the nodes of ``stack`` (a generic walk over all their children)."""
    # the stack may also hold None and strings from list fields (``Dict.keys``,
    # ``MatchClass.kwd_attrs``): they have no child fields, so they fall through
    while stack:
        n: Any = stack.pop()
        t = type(n)
        if t not in _BINDING_TYPES:  # most nodes: only their children matter
            for f in child_fields(t):
                v = getattr(n, f)
                if type(v) is list:
                    stack.extend(v)
                elif v is not None:
                    stack.append(v)
            continue
        if t is ast.Name:
            if not isinstance(n.ctx, ast.Load):
                bound.add(n.id)
            continue
        if t in _FUNCS or t is ast.ClassDef:
            bound.add(n.name)
            stack.extend(n.decorator_list)
            continue
        if t is ast.Lambda:
            continue
        if t in _COMPS:
            for sub in ast.walk(n):
                if isinstance(sub, ast.NamedExpr) and isinstance(sub.target, ast.Name):
                    bound.add(sub.target.id)
            continue
        if t is ast.Import or t is ast.ImportFrom:
            _import_bindings(n, bound)
            continue
        if t is ast.Global:
            globs.update(n.names)
            continue
        if t is ast.Nonlocal:
            nonlocs.update(n.names)
            continue
        if t is ast.ExceptHandler and n.name:
            bound.add(n.name)
        elif t is ast.MatchAs or t is ast.MatchStar:
            if n.name:
                bound.add(n.name)
        elif t is ast.MatchMapping and n.rest:
            bound.add(n.rest)
        elif t is ast.Constant:
            continue
        for f in child_fields(t):
            v = getattr(n, f)
            if type(v) is list:
                stack.extend(v)
            elif v is not None:
                stack.append(v)


def _import_bindings(n: ast.Import | ast.ImportFrom, bound: set[str]) -> None:
    for a in n.names:
        if a.name != "*":
            bound.add(a.asname or a.name.split(".")[0])


#: statements that bind nothing when their expressions hold no ``:=``
_NON_BINDING = frozenset([ast.Expr, ast.Return, ast.Pass, ast.Raise, ast.Assert])
_NON_BINDING |= {ast.Break, ast.Continue}


def _statement_bindings(
    stmts: list[ast.stmt], bound: set[str], globs: set[str], nonlocs: set[str]
) -> None:
    """What :func:`_bindings_in` finds in ``stmts`` when no expression holds ``:=``: the
    bindings of statements (targets, imports, definitions, handlers), expressions unread."""
    stack: list[Any] = list(stmts)
    targets: list[Any] = []
    while stack:
        n = stack.pop()
        t = type(n)
        if t in _NON_BINDING:
            continue
        if t is ast.Assign:
            targets.extend(n.targets)
        elif t is ast.AugAssign or t is ast.AnnAssign:
            targets.append(n.target)
        elif t is ast.If or t is ast.While:
            stack.extend(n.body)
            stack.extend(n.orelse)
        elif t is ast.For or t is ast.AsyncFor:
            targets.append(n.target)
            stack.extend(n.body)
            stack.extend(n.orelse)
        elif t in _FUNCS or t is ast.ClassDef:
            bound.add(n.name)
        elif t is ast.With or t is ast.AsyncWith:
            targets.extend(i.optional_vars for i in n.items if i.optional_vars is not None)
            stack.extend(n.body)
        elif t is ast.Try or t is _TRY_STAR:
            stack.extend(n.body)
            for h in n.handlers:
                if h.name:
                    bound.add(h.name)
                stack.extend(h.body)
            stack.extend(n.orelse)
            stack.extend(n.finalbody)
        elif t is ast.Import or t is ast.ImportFrom:
            _import_bindings(n, bound)
        elif t is ast.Delete:
            targets.extend(n.targets)
        elif t is ast.Global:
            globs.update(n.names)
        elif t is ast.Nonlocal:
            nonlocs.update(n.names)
        else:  # match statements, and what later Pythons add: the generic walk
            _bindings_in([n], bound, globs, nonlocs)
    while targets:  # a target binds its names; attributes and subscripts only load
        n = targets.pop()
        t = type(n)
        if t is ast.Name:
            bound.add(n.id)
        elif t is ast.Tuple or t is ast.List:
            targets.extend(n.elts)
        elif t is ast.Starred:
            targets.append(n.value)


@dataclass(slots=True)
class Scope:
    """A function, class or comprehension scope the visitor is inside."""

    kind: str  # "function" | "class" | "comprehension"
    bound: set[str] = field(default_factory=set)
    #: a function's ``global`` names (classes and comprehensions share :data:`_NO_GLOBALS`)
    globals: AbstractSet[str] = field(default_factory=set)


_NO_GLOBALS: frozenset[str] = frozenset()


class ScopeVisits:
    """Mixin of :class:`~link_ls.analysis.visitor.CellVisitor`: the nodes that open a scope."""

    if TYPE_CHECKING:
        _d: dict[type, Callable[[Any, ast.AST], None]]
        scopes: list[Scope]
        walrus: bool

        def visit(self, node: ast.AST) -> None: ...
        def body(self, stmts: Iterable[ast.AST]) -> None: ...
        def store(self, name: str, node: ast.AST) -> None: ...

    def _arguments_outer(self, args: ast.arguments) -> None:
        """What a ``def`` or ``lambda`` evaluates where it stands: defaults, annotations."""
        visit = self.visit
        for d in args.defaults:
            visit(d)
        for k in args.kw_defaults:
            if k is not None:
                visit(k)
        for a in (*args.posonlyargs, *args.args, *args.kwonlyargs, args.vararg, args.kwarg):
            if a is not None and a.annotation is not None:
                visit(a.annotation)

    def v_FunctionDef(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        for d in node.decorator_list:
            self.visit(d)
        self._arguments_outer(node.args)
        if node.returns is not None:
            self.visit(node.returns)
        self.store(node.name, node)
        bound, globs, _ = function_locals(node.args, node.body, self.walrus)
        self.scopes.append(Scope("function", bound, globs))
        try:
            self.body(node.body)
        finally:
            self.scopes.pop()

    v_AsyncFunctionDef = v_FunctionDef

    def v_Lambda(self, node: ast.Lambda) -> None:
        self._arguments_outer(node.args)
        bound, globs, _ = function_locals(node.args, node.body, self.walrus)
        self.scopes.append(Scope("function", bound, globs))
        try:
            self.visit(node.body)
        finally:
            self.scopes.pop()

    def v_ClassDef(self, node: ast.ClassDef) -> None:
        for d in node.decorator_list:
            self.visit(d)
        for b in node.bases:
            self.visit(b)
        for k in node.keywords:
            self.visit(k.value)
        self.scopes.append(Scope("class", set(), _NO_GLOBALS))
        try:
            self.body(node.body)
        finally:
            self.scopes.pop()
        self.store(node.name, node)

    def _comprehension(self, node: ast.AST, elt: ast.expr, value: ast.expr | None) -> None:
        d = self._d
        gens: list[ast.comprehension] = node.generators  # type: ignore[attr-defined]
        x: ast.AST = gens[0].iter
        d[type(x)](self, x)
        self.scopes.append(Scope("comprehension", set(), _NO_GLOBALS))
        try:
            first = True
            for g in gens:
                if not first:
                    x = g.iter
                    d[type(x)](self, x)
                first = False
                x = g.target
                d[type(x)](self, x)
                for cond in g.ifs:
                    d[type(cond)](self, cond)
            d[type(elt)](self, elt)
            if value is not None:
                d[type(value)](self, value)
        finally:
            self.scopes.pop()

    def v_ListComp(self, node: ast.ListComp) -> None:
        self._comprehension(node, node.elt, None)

    v_SetComp = v_ListComp
    v_GeneratorExp = v_ListComp

    def v_DictComp(self, node: ast.DictComp) -> None:
        self._comprehension(node, node.key, node.value)
