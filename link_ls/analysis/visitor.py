"""The AST walk that turns one cell's code into defs, reads, deletes and mutations.

Module-level code runs top to bottom, so a name is a *read* only when it is loaded
before the cell binds it. Code inside functions runs later, so names those bodies
load from the global scope are reads unless the cell binds them anywhere.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterable

from link_ls.analysis.fastpaths import StructuralFastPaths
from link_ls.analysis.magics import IPythonMagics, is_get_ipython
from link_ls.analysis.model import NO_NAMES, CellAnalysis, OccurrenceRow
from link_ls.analysis.scopes import Scope, ScopeVisits, child_fields

#: methods that change their receiver in place (lists, dicts, sets, deques, arrays,
#: and the estimators users fit in one cell and use in the next)
MUTATING_METHODS = frozenset(
    """
    append extend insert remove pop clear sort reverse update setdefault popitem add
    discard difference_update intersection_update symmetric_difference_update
    appendleft extendleft popleft rotate fill resize put itemset setflags fit
    partial_fit fit_transform set_params load_state_dict register_buffer seek
    truncate write writelines
    """.split()  # noqa: SIM905 (a word list: one name a line would push the module past 500 lines)
)

_LOAD, _STORE = ast.Load, ast.Store
_NAME, _ATTRIBUTE, _CALL = ast.Name, ast.Attribute, ast.Call
#: calls that read or write the namespace in ways no analysis can follow
_DYNAMIC = frozenset(["exec", "globals", "vars", "locals"])
_COMPS = (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)


def _row(name: str, kind: str, node: ast.AST, line_offset: int) -> OccurrenceRow:
    """One occurrence as a plain tuple (see :data:`~link_ls.analysis.model.OccurrenceRow`)."""
    try:  # every node the parser makes has all four positions
        line = node.lineno - 1 + line_offset  # type: ignore[attr-defined]
        end = node.end_lineno  # type: ignore[attr-defined]
        return (
            name,
            kind,
            line,
            node.col_offset,  # type: ignore[attr-defined]
            (end - 1 + line_offset) if end is not None else line,
            node.end_col_offset or 0,  # type: ignore[attr-defined]
        )
    except AttributeError:
        pass
    line = getattr(node, "lineno", 1) - 1 + line_offset
    end = getattr(node, "end_lineno", None)
    return (
        name,
        kind,
        line,
        getattr(node, "col_offset", 0),
        (end - 1 + line_offset) if end is not None else line,
        getattr(node, "end_col_offset", 0) or 0,
    )


_Handler = Callable[["CellVisitor", ast.AST], None]


def _node_types() -> list[type]:
    """Every node class there is (the parser makes only those of ``ast``)."""
    out: list[type] = []
    stack: list[type] = [ast.AST]
    while stack:
        t = stack.pop()
        stack.extend(t.__subclasses__())
        if getattr(t, "_fields", None) is not None:
            out.append(t)
    return out


#: handlers by node type, one table per visitor class, filled for every node type when the
#: class first visits: a plain dict (not one with ``__missing__``), which CPython indexes
#: by its fast path. Hot handlers index it directly (``self._d[type(x)](self, x)``): one
#: Python call per node instead of two through :meth:`CellVisitor.visit`.
_DISPATCH: dict[type, dict[type, _Handler]] = {}


def _dispatch(cls: type[CellVisitor]) -> dict[type, _Handler]:
    d = _DISPATCH.get(cls)
    if d is None:
        d = _DISPATCH[cls] = {t: cls._handler(t) for t in _node_types()}
    return d


class CellVisitor(IPythonMagics, ScopeVisits, StructuralFastPaths):
    """One use per cell: ``CellVisitor(walrus, record).run(tree, source)``; ``walrus=False``
    promises the code holds no ``:=`` (the cell's text has none), which makes function
    scopes cheaper; ``record=True`` also records where each name occurs (the analysis's
    :attr:`~link_ls.analysis.model.CellAnalysis.occurrence_rows`)."""

    def __init__(self, walrus: bool = True, record: bool = False) -> None:
        self.walrus = walrus or not self.structural_fast_paths
        self.record = record
        self.defs: set[str] = set()
        self.reads: set[str] = set()
        self.deferred: set[str] = set()
        self.deletes: set[str] = set()
        self.mutations: set[str] = set()
        self.deferred_mut: set[str] = set()
        self.unknown: list[str] = []
        self.occ: list[str | int] = []  # rows end to end (:data:`FlatRows`)
        self.defined: set[str] = set()  # bound so far at module level
        self.scopes: list[Scope] = []
        self.line_offset = 0
        # handlers by node type, shared by every visitor of this class
        d = _DISPATCH.get(type(self))
        self._d = d if d is not None else _dispatch(type(self))

    # -- entry -------------------------------------------------------------------
    def run(self, tree: ast.Module, source: str) -> CellAnalysis:
        self.body(tree.body)
        reads = self.reads | (self.deferred - self.defs)
        muts = self.mutations | (self.deferred_mut - self.defs)
        defs, deletes = self.defs, self.deletes
        # empty sets shared: fewer objects for the garbage collector to look at
        return CellAnalysis(
            frozenset(defs) if defs else NO_NAMES,
            frozenset(reads) if reads else NO_NAMES,
            frozenset(deletes) if deletes else NO_NAMES,
            frozenset(muts) if muts else NO_NAMES,
            tuple(dict.fromkeys(self.unknown)) if self.unknown else (),
            source,
            None,
            tuple(self.occ) if self.record else None,
        )

    def body(self, stmts: Iterable[ast.AST]) -> None:
        d = self._d
        for s in stmts:
            d[type(s)](self, s)

    def visit(self, node: ast.AST) -> None:
        self._d[type(node)](self, node)

    @classmethod
    def _handler(cls, t: type) -> _Handler:
        fn: _Handler | None = getattr(cls, "v_" + t.__name__, None)
        if fn is None and cls.structural_fast_paths:
            fn = getattr(cls, "s_" + t.__name__, None)
        return fn if fn is not None else cls.generic

    def generic(self, node: ast.AST) -> None:
        """Visit every child in field order (what ``ast.iter_child_nodes`` yields)."""
        d = self._d
        for f in child_fields(type(node)):
            v = getattr(node, f, None)
            if type(v) is list:
                for x in v:
                    if isinstance(x, ast.AST):
                        d[type(x)](self, x)
            elif isinstance(v, ast.AST):
                d[type(v)](self, v)

    # -- name resolution ---------------------------------------------------------
    def _resolves_global(self, name: str) -> tuple[bool, bool]:
        """``(is_global, deferred)`` for a load of ``name`` in the current scope."""
        deferred = False
        innermost = len(self.scopes) - 1
        for i in range(innermost, -1, -1):
            s = self.scopes[i]
            if s.kind == "function":
                deferred = True
                if name in s.globals:
                    return True, True
                if name in s.bound:
                    return False, True
            elif s.kind == "class":
                if i == innermost and name in s.bound:
                    return False, False
            elif name in s.bound:
                return False, deferred
        for s in self.scopes:
            if s.kind == "function":
                deferred = True
        return True, deferred

    def load(self, name: str, node: ast.AST) -> None:
        if self.scopes:
            is_global, deferred = self._resolves_global(name)
            if not is_global:
                return
        else:
            deferred = False
        if deferred:
            self.deferred.add(name)
        elif name not in self.defined:
            self.reads.add(name)
        if self.record:
            self.occ += _row(name, "read", node, self.line_offset)

    def store(self, name: str, node: ast.AST) -> None:
        if self.scopes:
            s = self.scopes[-1]
            if s.kind == "function":
                if name not in s.globals:
                    return
            else:
                s.bound.add(name)
                return
        self.defs.add(name)
        self.defined.add(name)
        if not self.record:
            return
        if type(node) is ast.Name:  # most definitions: :func:`_row`, inlined
            off = self.line_offset - 1
            self.occ += (  # type: ignore[arg-type]
                name,
                "def",
                node.lineno + off,
                node.col_offset,
                node.end_lineno + off,  # type: ignore[operator]
                node.end_col_offset,
            )
        else:
            self.occ += _row(name, "def", node, self.line_offset)

    def mutate(self, target: ast.AST) -> None:
        base = target
        # x.a.b[0] = … mutates x; f().a = … mutates a temporary, nothing named
        while isinstance(base, (ast.Attribute, ast.Subscript)):
            base = base.value
        if not isinstance(base, ast.Name):
            return
        name = base.id
        is_global, deferred = self._resolves_global(name)
        if not is_global:
            return
        if deferred:
            self.deferred_mut.add(name)
        elif name not in self.defined:
            self.mutations.add(name)
        else:
            return
        if self.record:
            self.occ += _row(name, "mutate", base, self.line_offset)

    # -- leaves --------------------------------------------------------------------
    def v_Name(self, node: ast.Name) -> None:
        ctx = type(node.ctx)
        if ctx is _LOAD:
            # :meth:`load`, inlined: most nodes of a cell are loads of names
            name = node.id
            scopes = self.scopes
            if not scopes:
                if name not in self.defined:
                    self.reads.add(name)
            elif len(scopes) == 1:
                # :meth:`_resolves_global` for one scope (a top-level function, class or
                # comprehension): local if bound there (a function's bound excludes its
                # ``global`` names); else a function body's read is deferred
                s = scopes[0]
                if name in s.bound:
                    return
                if s.kind == "function":
                    self.deferred.add(name)
                elif name not in self.defined:
                    self.reads.add(name)
            else:
                is_global, deferred = self._resolves_global(name)
                if not is_global:
                    return
                if deferred:
                    self.deferred.add(name)
                elif name not in self.defined:
                    self.reads.add(name)
            if not self.record:
                return
            # :func:`_row`, inlined: a parsed name has all four positions
            off = self.line_offset - 1
            self.occ += (  # type: ignore[arg-type]
                name,
                "read",
                node.lineno + off,
                node.col_offset,
                node.end_lineno + off,  # type: ignore[operator]
                node.end_col_offset,
            )
        elif ctx is _STORE:
            self.store(node.id, node)
        else:
            self.v_del_name(node)

    def v_del_name(self, node: ast.Name) -> None:
        if self.scopes:
            return
        if node.id not in self.defined:
            # deleting needs the name to exist: the cell depends on whoever made it
            self.reads.add(node.id)
        self.deletes.add(node.id)
        self.defined.discard(node.id)
        if self.record:
            self.occ += _row(node.id, "delete", node, self.line_offset)

    def v_Attribute(self, node: ast.Attribute) -> None:
        v = node.value
        self._d[type(v)](self, v)
        if type(node.ctx) is not ast.Load:
            self.mutate(node)

    def v_Subscript(self, node: ast.Subscript) -> None:
        d = self._d
        v = node.value
        d[type(v)](self, v)
        v = node.slice
        d[type(v)](self, v)
        if type(node.ctx) is not ast.Load:
            self.mutate(node)

    # -- statements with an evaluation order -------------------------------------
    def v_Assign(self, node: ast.Assign) -> None:
        d = self._d
        v = node.value
        d[type(v)](self, v)
        for t in node.targets:
            d[type(t)](self, t)

    def v_AugAssign(self, node: ast.AugAssign) -> None:
        self.visit(node.value)
        t = node.target
        if isinstance(t, ast.Name):
            self.load(t.id, t)
            self.store(t.id, t)
        else:
            self.visit(t)

    def v_AnnAssign(self, node: ast.AnnAssign) -> None:
        if node.value is not None:
            self.visit(node.value)
        if not (self.scopes and self.scopes[-1].kind == "function"):
            self.visit(node.annotation)
        if node.value is not None or not isinstance(node.target, ast.Name):
            self.visit(node.target)

    def v_NamedExpr(self, node: ast.NamedExpr) -> None:
        self.visit(node.value)
        # walrus binds in the nearest scope that is not a comprehension
        saved = self.scopes
        i = len(saved)
        while i > 0 and saved[i - 1].kind == "comprehension":
            i -= 1
        self.scopes = saved[:i]
        try:
            self.store(node.target.id, node.target)
        finally:
            self.scopes = saved

    def v_For(self, node: ast.For | ast.AsyncFor) -> None:
        self.visit(node.iter)
        self.visit(node.target)
        self.body(node.body)
        self.body(node.orelse)

    v_AsyncFor = v_For

    def v_With(self, node: ast.With | ast.AsyncWith) -> None:
        for item in node.items:
            self.visit(item.context_expr)
            if item.optional_vars is not None:
                self.visit(item.optional_vars)
        self.body(node.body)

    v_AsyncWith = v_With

    def v_ExceptHandler(self, node: ast.ExceptHandler) -> None:
        if node.type is not None:
            self.visit(node.type)
        if node.name:
            self.store(node.name, node)
        self.body(node.body)

    def v_Import(self, node: ast.Import) -> None:
        for a in node.names:
            self.store(a.asname or a.name.split(".")[0], node)

    def v_ImportFrom(self, node: ast.ImportFrom) -> None:
        for a in node.names:
            if a.name == "*":
                self.unknown.append(f"star import from {node.module or '.'}")
            else:
                self.store(a.asname or a.name, node)

    def v_Global(self, node: ast.Global) -> None:
        return

    v_Nonlocal = v_Global

    def v_MatchAs(self, node: ast.MatchAs) -> None:
        if node.pattern is not None:
            self.visit(node.pattern)
        if node.name:
            self.store(node.name, node)

    def v_MatchStar(self, node: ast.MatchStar) -> None:
        if node.name:
            self.store(node.name, node)

    def v_MatchMapping(self, node: ast.MatchMapping) -> None:
        for k in node.keys:
            self.visit(k)
        for p in node.patterns:
            self.visit(p)
        if node.rest:
            self.store(node.rest, node)

    # -- calls: in-place methods, exec, and IPython's magics -----------------------
    def v_Call(self, node: ast.Call) -> None:
        f = node.func
        tf = type(f)
        if tf is _ATTRIBUTE:
            fv = f.value  # type: ignore[attr-defined]
            if type(fv) is _CALL and is_get_ipython(fv):
                self._ipython_call(f.attr, node)  # type: ignore[attr-defined]
                return
        d = self._d
        d[tf](self, f)
        for a in node.args:
            d[type(a)](self, a)
        keywords = node.keywords
        for k in keywords:
            v = k.value
            d[type(v)](self, v)
        if tf is _ATTRIBUTE:
            attr: str = f.attr  # type: ignore[attr-defined]
            if (
                attr in MUTATING_METHODS
                # torch's x.add_(): a trailing underscore, not a dunder or private name
                or (attr[-1] == "_" and attr[0] != "_")
                or (
                    keywords
                    and any(
                        k.arg == "inplace"
                        and type(k.value) is ast.Constant
                        and k.value.value is True
                        for k in keywords
                    )
                )
            ):
                self.mutate(f.value)  # type: ignore[attr-defined]
        elif (
            tf is _NAME
            and f.id in _DYNAMIC  # type: ignore[attr-defined]
            and (f.id == "exec" or not self.scopes or f.id == "globals")  # type: ignore[attr-defined]
        ):
            self.unknown.append(f"{f.id}()")  # type: ignore[attr-defined]
