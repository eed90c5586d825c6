"""Code actions: quick fixes for LNK003 (add the parent), LNK006 (remove the parent, or
move it down to the descendants that read its names through it), LNK001 (break the cycle
by removing one of its edges), LNK012 (clear a stray component mark), LNK007 (take ours /
theirs / both / base, and "Resolve with link-ls" for an .ipynb git merged as text — see
``features/conflicts.py``); "make this cell a component" on a non-component code cell of a
pipeline notebook, and "turn this notebook into a pipeline" for plain notebooks.

Text documents get a ``WorkspaceEdit`` — computed on ``codeAction/resolve`` when
the client can resolve edits, since re-serialising a big notebook on every cursor
move would be wasted work. Notebook documents get a ``link.applyNotebookEdit``
command whose arguments are the cell metadata edits (docs/commands.md).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from lsprotocol import types

from link_ls.errors import UsageError
from link_ls.server.base import LinkServer, guard
from link_ls.server.capabilities import SOURCE

if TYPE_CHECKING:
    from link_ls.notebook import Notebook
    from link_ls.server.snapshot import Snapshot

TO_PIPELINE_KIND = types.CodeActionKind.RefactorRewrite
MAKE_COMPONENT_KIND = types.CodeActionKind.RefactorRewrite


def apply_op(nb: Notebook, spec: dict[str, Any]) -> Notebook:
    from link_ls.pipeline.edits import (
        add_edge,
        clear_component,
        make_component,
        move_edge_down,
        remove_edge,
        to_pipeline,
    )

    op = spec.get("op")
    if op == "addEdge":
        return add_edge(nb, str(spec["child"]), str(spec["parent"]))
    if op == "removeEdge":
        return remove_edge(nb, str(spec["child"]), str(spec["parent"]))
    if op == "moveEdge":
        to = spec.get("to")
        targets = [str(t) for t in to] if isinstance(to, list) else []
        return move_edge_down(nb, str(spec["child"]), str(spec["parent"]), targets)
    if op == "makeComponent":
        return make_component(nb, str(spec["cell"]))
    if op == "clearComponent":
        return clear_component(nb, str(spec["cell"]))
    if op == "toPipeline":
        return to_pipeline(nb)
    raise UsageError(f"unknown code action {op!r}")


def _name(snap: Snapshot, node: Any) -> str:
    from link_ls.notebook import NodeId

    assert snap.notebook is not None
    c = snap.notebook.cell_by_node(NodeId(str(node)))
    return c.name if c is not None else str(node)


def _fixes(snap: Snapshot, d: types.Diagnostic) -> list[tuple[str, dict[str, Any], bool]]:
    """(title, op spec, preferred) for one of our diagnostics."""
    from link_ls.pipeline import Code

    data = d.data if isinstance(d.data, dict) else {}
    assert snap.notebook is not None
    idx = data.get("cellIndex")
    cells = snap.notebook.cells
    if not isinstance(idx, int) or not 0 <= idx < len(cells):
        return []
    child = str(cells[idx].node_id)
    out: list[tuple[str, dict[str, Any], bool]] = []
    spec: dict[str, Any]
    if d.code == Code.MISSING_PARENT and "parent" in data:
        first = str(data["parent"])
        others = [str(c) for c in data.get("candidates", []) if str(c) != first]
        for k, par in enumerate([first, *others]):
            spec = {"op": "addEdge", "child": child, "parent": par}
            out.append((f"Add parent {_name(snap, par)} to {cells[idx].name}", spec, k == 0))
    elif d.code == Code.UNUSED_PARENT and "parent" in data:
        par = str(data["parent"])
        below = [str(n) for n in data.get("neededBy", [])]
        if below:
            # removing the edge alone would break these descendants: move it down to them
            move = {"op": "moveEdge", "child": child, "parent": par, "to": below}
            names = ", ".join(_name(snap, n) for n in below)
            out.append((f"Move parent {_name(snap, par)} down to {names}", move, True))
        else:
            spec = {"op": "removeEdge", "child": child, "parent": par}
            out.append((f"Remove unused parent {_name(snap, par)}", spec, True))
    elif d.code == Code.STRAY_COMPONENT:
        spec = {"op": "clearComponent", "cell": child}
        out.append(("Clear the component mark (canvas.isComponent: false)", spec, True))
    elif d.code == Code.CYCLE:
        for e in data.get("edges", []):
            if isinstance(e, dict) and "source" in e and "target" in e:
                spec = {"op": "removeEdge", "child": str(e["target"]), "parent": str(e["source"])}
                title = (
                    f"Break the cycle: remove edge {_name(snap, e['source'])}"
                    f" → {_name(snap, e['target'])}"
                )
                out.append((title, spec, False))
    return out


def _action(
    ls: LinkServer,
    snap: Snapshot,
    title: str,
    kind: str,
    spec: dict[str, Any],
    diags: list[types.Diagnostic],
    preferred: bool,
) -> types.CodeAction:
    from link_ls.server.edits import APPLY_NOTEBOOK_EDIT, render
    from link_ls.server.snapshot import DocKind

    action = types.CodeAction(
        title=title, kind=kind, diagnostics=diags or None, is_preferred=preferred or None
    )
    if snap.kind is DocKind.NOTEBOOK:
        assert snap.notebook is not None
        r = render(snap, apply_op(snap.notebook, spec))
        args: list[Any] = [e.to_json() for e in r.notebook_edits]
        action.command = types.Command(title, APPLY_NOTEBOOK_EDIT, arguments=args)
        return action
    if ls.client.resolve_code_action_edit:
        action.data = {"uri": snap.uri, "version": snap.version, **spec}
    else:
        action.edit = _edit(ls, snap, spec)
    return action


def _edit(ls: LinkServer, snap: Snapshot, spec: dict[str, Any]) -> types.WorkspaceEdit | None:
    from link_ls.server.edits import render

    assert snap.notebook is not None
    return render(
        snap,
        apply_op(snap.notebook, spec),
        document_changes=ls.client.document_changes,
        encoding=ls.store.encoding,
    ).workspace_edit


def _make_component_action(
    ls: LinkServer, snap: Snapshot, params: types.CodeActionParams
) -> types.CodeAction | None:
    """ "Make this cell a component" on a non-component code cell of a pipeline notebook."""
    from link_ls.pipeline.edits import inferred_parents

    nb, mapper = snap.notebook, snap.mapper
    if nb is None or mapper is None or not nb.is_pipeline:
        return None
    at = mapper.from_lsp(params.text_document.uri, params.range.start)
    if at is None or not 0 <= at.cell < len(nb.cells):
        return None
    cell = nb.cells[at.cell]
    if not cell.is_code or cell.is_component:
        return None
    parents = [nb.cells[q].name for q in inferred_parents(snap.pipeline, cell.index)]
    title = f"Make this cell a component (parents inferred: {', '.join(parents) or 'none'})"
    spec = {"op": "makeComponent", "cell": str(cell.node_id)}
    return _action(ls, snap, title, MAKE_COMPONENT_KIND, spec, [], False)


def _wanted(only: list[str] | None, kind: str) -> bool:
    return only is None or any(kind == k or kind.startswith(k + ".") for k in only)


def register(server: LinkServer) -> None:
    @server.feature(
        types.TEXT_DOCUMENT_CODE_ACTION,
        types.CodeActionOptions(
            code_action_kinds=[types.CodeActionKind.QuickFix, TO_PIPELINE_KIND],
            resolve_provider=True,
        ),
    )
    @guard
    def code_action(ls: LinkServer, params: types.CodeActionParams) -> list[types.CodeAction]:
        from link_ls.pipeline import Code
        from link_ls.server.conflict_fixes import conflict_actions, resolve_action
        from link_ls.server.snapshot import DocKind

        got = ls.store.get(params.text_document.uri)
        only = [str(k) for k in params.context.only] if params.context.only else None
        if got is not None and got[0].text_conflict is not None:
            if _wanted(only, types.CodeActionKind.QuickFix):
                return [resolve_action(got[0], list(params.context.diagnostics))]
            return []
        if got is None or not got[0].ok or got[0].kind is DocKind.VIRTUAL:
            return []
        snap = got[0]
        assert snap.notebook is not None
        out: list[types.CodeAction] = []
        if _wanted(only, types.CodeActionKind.QuickFix):
            for d in params.context.diagnostics:
                if d.source != SOURCE:
                    continue
                if d.code == Code.CONFLICT:
                    out.extend(conflict_actions(ls, snap, d))
                    continue
                for title, spec, pref in _fixes(snap, d):
                    out.append(
                        _action(ls, snap, title, types.CodeActionKind.QuickFix, spec, [d], pref)
                    )
        if _wanted(only, MAKE_COMPONENT_KIND):
            made = _make_component_action(ls, snap, params)
            if made is not None:
                out.append(made)
        if not snap.notebook.is_pipeline and _wanted(only, TO_PIPELINE_KIND):
            spec = {"op": "toPipeline"}
            title = "Turn this notebook into a pipeline (components from cells)"
            out.append(_action(ls, snap, title, TO_PIPELINE_KIND, spec, [], False))
        return out

    @server.feature(types.CODE_ACTION_RESOLVE)
    @guard
    def resolve(ls: LinkServer, action: types.CodeAction) -> types.CodeAction:
        data = action.data if isinstance(action.data, dict) else {}
        got = ls.store.get(str(data.get("uri", "")))
        if got is None or got[0].notebook is None:
            return action
        # computed against the current version; a versioned edit lets the client refuse it
        snap = got[0]
        action.edit = _edit(ls, snap, data)
        return action
