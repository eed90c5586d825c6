"""Which names a function body binds locally (Python's static scoping rule)."""

from __future__ import annotations

import ast

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
    args: ast.arguments | None, body: list[ast.stmt] | ast.expr
) -> tuple[set[str], set[str], set[str]]:
    """Return ``(locals, global_decls, nonlocal_decls)`` of a function or lambda body.

    A name bound anywhere in the body is local everywhere in it, unless declared
    ``global``/``nonlocal``. Nested functions and classes bind only their own name;
    comprehensions bind only their walrus targets (which leak to the function).
    """
    bound: set[str] = _arg_names(args) if args is not None else set()
    globs: set[str] = set()
    nonlocs: set[str] = set()
    stack: list[ast.AST] = list(body) if isinstance(body, list) else [body]
    while stack:
        n = stack.pop()
        t = type(n)
        if t is ast.Name:
            if not isinstance(n.ctx, ast.Load):  # type: ignore[attr-defined]
                bound.add(n.id)  # type: ignore[attr-defined]
            continue
        if t in _FUNCS or t is ast.ClassDef:
            bound.add(n.name)  # type: ignore[attr-defined]
            stack.extend(n.decorator_list)  # type: ignore[attr-defined]
            continue
        if t is ast.Lambda:
            continue
        if t in _COMPS:
            for sub in ast.walk(n):
                if isinstance(sub, ast.NamedExpr) and isinstance(sub.target, ast.Name):
                    bound.add(sub.target.id)
            continue
        if t is ast.Import or t is ast.ImportFrom:
            for a in n.names:  # type: ignore[attr-defined]
                if a.name != "*":
                    bound.add(a.asname or a.name.split(".")[0])
            continue
        if t is ast.Global:
            globs.update(n.names)  # type: ignore[attr-defined]
            continue
        if t is ast.Nonlocal:
            nonlocs.update(n.names)  # type: ignore[attr-defined]
            continue
        if t is ast.ExceptHandler and n.name:  # type: ignore[attr-defined]
            bound.add(n.name)  # type: ignore[attr-defined]
        elif t is ast.MatchAs or t is ast.MatchStar:
            if n.name:  # type: ignore[attr-defined]
                bound.add(n.name)  # type: ignore[attr-defined]
        elif t is ast.MatchMapping and n.rest:  # type: ignore[attr-defined]
            bound.add(n.rest)  # type: ignore[attr-defined]
        for f in child_fields(t):
            v = getattr(n, f, None)
            if type(v) is list:
                stack.extend(x for x in v if isinstance(x, ast.AST))
            elif isinstance(v, ast.AST):
                stack.append(v)
    bound -= globs
    bound -= nonlocs
    return bound, globs, nonlocs
