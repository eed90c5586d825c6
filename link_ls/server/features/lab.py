"""link.lab.*: the JupyterLab extension's view of a notebook and its runs in the notebook's kernel.

JupyterLab sends the notebook as its model holds it (``notebook``: nbformat JSON,
outputs left out), so headers, states and plans follow unsaved edits, edges
included. A run happens in the notebook's **own** kernel, driven by the extension
step by step, with the cache decided here (``link_ls.cache.PipelineStepCache``,
the CLI's own): ``link.lab.begin`` plans and prepares, ``link.lab.step`` says
execute / restored (variables put into the kernel, outputs returned) / skipped,
``link.lab.done`` saves what executed, ``link.lab.end`` forgets the run and reports
what the cache did (``PipelineStepCache.report()``: entries left out as untrusted, with
their origin, so the extension can ask whether to trust them). Whatever
must run in the kernel for the cache (the snippets of ``link_ls.cache.snippets``)
goes to the extension as a ``link/lab/execute`` request ``{client, code}``
answered with ``{stdout}``; the extension runs it silently in the kernel.
What ran (executed or restored) is recorded in ``link_ls.server.runstate`` with its
key, for the components' states (``link_ls.usecases.state``). Quick fixes come from
``link_ls.server.labfixes``; with ``link.lab.view`` the model also becomes the
canvas source of the notebook's jupyter-lsp virtual document (its diagnostics).
With the extension's ``executor`` setting at ``parallel`` or ``dask`` none of this runs:
the extension saves the notebook and calls ``link.run`` with the executor options
(docs/scale.md, "In the editors").
"""

from __future__ import annotations

import asyncio
import json
import logging
import weakref
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, cast

from link_ls.errors import LinkError, UsageError
from link_ls.server.args import argument, flag, overrides
from link_ls.server.base import LinkServer, guard
from link_ls.uris import uri_to_path

if TYPE_CHECKING:
    from link_ls.notebook import Notebook
    from link_ls.pipeline import Pipeline, PlanStep, RunPlan

log = logging.getLogger(__name__)

EXECUTE_REQUEST = "link/lab/execute"
#: seconds one cache snippet may take in the notebook's kernel
SNIPPET_TIMEOUT = 600.0


@dataclass
class _Run:
    notebook: Notebook
    plan: RunPlan
    cache: Any  # link_ls.cache.PipelineStepCache, or None without a cache
    kernel: _LabKernel
    keys: dict[int, str]
    restored: list[str] = field(default_factory=list)
    executed: list[str] = field(default_factory=list)


@dataclass
class _LabState:
    runs: dict[str, _Run] = field(default_factory=dict)


_STATE: weakref.WeakKeyDictionary[LinkServer, _LabState] = weakref.WeakKeyDictionary()


def _state(ls: LinkServer) -> _LabState:
    st = _STATE.get(ls)
    if st is None:
        st = _STATE[ls] = _LabState()
    return st


def _field(reply: Any, name: str) -> Any:
    """A field of the client's reply (pygls may hand a custom method's result as an object)."""
    return reply.get(name) if isinstance(reply, dict) else getattr(reply, name, None)


class _LabKernel:
    """The notebook's own kernel, reached through the extension: ``run_silent`` for the cache."""

    language = "python"

    def __init__(self, ls: LinkServer, loop: asyncio.AbstractEventLoop, client: str) -> None:
        self.ls, self.loop, self.client = ls, loop, client

    def run_silent(self, code: str, timeout: float | None = None) -> str:
        from link_ls.kernel.helpercode import helper_cell

        params = {"client": self.client, "code": helper_cell(code)}
        fut = asyncio.run_coroutine_threadsafe(self._request(params), self.loop)
        reply = fut.result(timeout or SNIPPET_TIMEOUT)
        error, stdout = _field(reply, "error"), _field(reply, "stdout")
        if error:
            raise LinkError(f"the notebook's kernel: {error}")
        if not isinstance(stdout, str):
            log.warning("link/lab/execute: unexpected reply %r", reply)
            raise LinkError("the notebook's kernel: no answer from JupyterLab")
        return stdout

    async def _request(self, params: dict[str, Any]) -> Any:
        # on the event loop: pygls sends and resolves requests there
        return await self.ls.protocol.send_request_async(EXECUTE_REQUEST, params)


def lab_notebook(ls: LinkServer, a: dict[str, Any]) -> Notebook:
    """The notebook as JupyterLab's model holds it (``notebook``), else as the server has it."""
    from link_ls.notebook import loads
    from link_ls.server.workspace import notebook_for

    raw = a.get("notebook")
    if raw is None:
        return notebook_for(ls, a["uri"])[0]
    if not isinstance(raw, dict):
        raise UsageError("'notebook' must be the notebook's nbformat JSON")
    path = uri_to_path(a["uri"]).absolute()
    return loads(json.dumps(raw), name=path.name, path=path)


def _cycle(p: Pipeline) -> str | None:
    from link_ls.server.workspace import plan_for

    try:
        plan_for(p.notebook, None, {"mode": "all"}, p)
    except LinkError as e:
        return str(e)
    return None


def view(ls: LinkServer, a: dict[str, Any]) -> dict[str, Any]:
    """Per cell: name, parents, children, "run up to" size, state; the graph; a cycle."""
    from link_ls.pipeline import build, up_to_sizes
    from link_ls.pipeline.render import graph_json
    from link_ls.server import runstate
    from link_ls.server.cachelens import checked_index
    from link_ls.server.labfixes import lab_fixes
    from link_ls.usecases.state import component_states

    nb = lab_notebook(ls, a)
    p = build(nb)
    last = runstate.last_run(ls, nb)
    from link_ls.cache import effective_parameters

    params = effective_parameters(nb, overrides(a))
    index = checked_index(ls, nb)  # the server's index of the store, not every manifest
    states = {s.index: s for s in component_states(nb, index, p, last, params)}
    cycle = _cycle(p)
    sizes = {} if cycle else up_to_sizes(p)
    cells = []
    for idx in p.nodes:
        c = p.cell(idx)
        upto = sizes.get(idx)
        s = states.get(idx)
        cells.append(
            {
                "cell": idx + 1,
                "id": str(p.node_id(idx)),
                "cellId": c.cell_id,
                "name": c.name,
                "component": c.is_component,
                "parents": [{"cell": i + 1, "name": p.cell(i).name} for i in p.parents(idx)],
                "children": [{"cell": i + 1, "name": p.cell(i).name} for i in p.children(idx)],
                "upTo": upto,
                "state": s.state.value if s else "never-run",
                # "untrusted": an entry a run would not restore; the note names its origin
                "note": s.note if s else "",
                "trust": (s.trust or None) if s else None,
            }
        )
    parameters = [{"name": q.name, "type": q.type, "value": q.value} for q in nb.parameters]
    return {
        "uri": a["uri"],
        "cycle": cycle,
        "cells": cells,
        "parameters": parameters,
        "fixes": lab_fixes(nb, p),
        **graph_json(p),
    }


async def begin(ls: LinkServer, a: dict[str, Any]) -> dict[str, Any]:
    import secrets

    from link_ls.kernel.params import parameters_code, resolve_parameters
    from link_ls.pipeline import build
    from link_ls.server.workspace import plan_for
    from link_ls.usecases import run as runs

    nb = lab_notebook(ls, a)
    p = build(nb)
    plan = plan_for(nb, None, a, p)
    client = a.get("client")
    if not isinstance(client, str):
        raise UsageError("argument needs 'client', the extension's id for link/lab/execute")
    from link_ls.cache import compute_keys, effective_parameters

    ov = overrides(a)
    keys = {i: str(k) for i, k in compute_keys(nb, p, effective_parameters(nb, ov)).items()}
    cache = None
    if flag(a, "useCache", True):
        cache = runs.open_cache(
            nb, ov, cache_dir=ls.cache_dir, cache_all=flag(a, "cacheAll", ls.cache_all)
        )
    kernel = _LabKernel(ls, asyncio.get_running_loop(), client)
    params = resolve_parameters(nb.parameters, ov)

    def prepare() -> None:
        if params:
            kernel.run_silent(parameters_code(params))
        if cache is not None:
            cache.prepare(nb, plan)

    await asyncio.to_thread(prepare)
    run_id = secrets.token_hex(8)
    _state(ls).runs[run_id] = _Run(nb, plan, cache, kernel, keys)
    return {"uri": a["uri"], "run": run_id, "plan": plan.to_json()}


def _run_step(ls: LinkServer, a: dict[str, Any]) -> tuple[_Run, PlanStep]:
    r = _state(ls).runs.get(str(a.get("run")))
    if r is None:
        raise UsageError("no such run (it ended, or the server restarted)")
    cell = a.get("cell")
    for s in r.plan.steps:
        if s.index + 1 == cell:
            return r, s
    raise UsageError(f"cell #{cell} is not in this run's plan")


async def step(ls: LinkServer, a: dict[str, Any]) -> dict[str, Any]:
    from link_ls.kernel.hooks import StepAction

    r, s = _run_step(ls, a)
    if r.cache is None:
        return {"action": "execute", "outputs": []}
    d = await asyncio.to_thread(r.cache.decide, cast(Any, r.kernel), s)
    notes = list(r.cache.notes)
    if d.action is StepAction.RESTORED:
        r.restored.append(str(s.node))
        _remember(ls, r, s)
    return {"action": d.action.value, "outputs": list(d.outputs), "notes": notes}


def _remember(ls: LinkServer, r: _Run, s: PlanStep) -> None:
    from link_ls.server import runstate

    key = r.keys.get(s.index)
    if key is not None:
        runstate.record(ls, r.notebook, {str(s.node): key})


async def done(ls: LinkServer, a: dict[str, Any]) -> dict[str, Any]:
    r, s = _run_step(ls, a)
    outputs = a.get("outputs") or []
    if not isinstance(outputs, list):
        raise UsageError("'outputs' must be a list of nbformat outputs")
    r.executed.append(str(s.node))
    _remember(ls, r, s)
    if r.cache is None:
        return {"saved": False, "note": ""}
    try:
        await asyncio.to_thread(r.cache.after_execute, cast(Any, r.kernel), s, tuple(outputs))
    except LinkError as e:
        return {"saved": False, "note": f"{s.name}: not cached: {e}"}
    saved = s.index in r.cache.saved
    if saved:
        ls.cache_changed()
    return {"saved": saved, "note": ""}


async def end(ls: LinkServer, a: dict[str, Any]) -> dict[str, Any]:
    r = _state(ls).runs.pop(str(a.get("run")), None)
    if r is None:
        return {"ended": False}
    if r.cache is not None:
        from link_ls.cache.transfer import discard_staged

        await asyncio.to_thread(discard_staged, r.kernel)
    return {
        "ended": True,
        "restored": r.restored,
        "executed": r.executed,
        "notes": list(r.cache.notes) if r.cache is not None else [],
        # what the cache did, as link.run's report has it: the client asks before trusting
        # the `untrusted` entries (each naming its origin), then runs again
        "cache": r.cache.report() if r.cache is not None else None,
    }


def fix(ls: LinkServer, a: dict[str, Any]) -> dict[str, Any]:
    from link_ls.server.labfixes import apply_fix

    spec = a.get("fix")
    if not isinstance(spec, dict):
        raise UsageError("argument needs 'fix', one of the fixes link.lab.view listed")
    return {"uri": a["uri"], **apply_fix(lab_notebook(ls, a), spec)}


def import_pipeline(ls: LinkServer, a: dict[str, Any]) -> dict[str, Any]:
    """A pipeline file (link-ls or Link format) planned into the model: cells to insert."""
    from link_ls.exchange import ImportOptions, load_pipeline, plan_import
    from link_ls.server.args import path_of

    nb = lab_notebook(ls, a)
    pipe = load_pipeline(path_of(a.get("file"), "file"))
    after = a.get("after")
    options = ImportOptions(
        None if after is None else str(after), a.get("overwriteParameters") is True
    )
    return {"uri": a["uri"], **plan_import(nb, pipe, options).to_json()}


def register(server: LinkServer) -> None:
    @server.command("link.lab.importPipeline")
    @guard
    async def lab_import(ls: LinkServer, *args: Any) -> dict[str, Any]:
        return await asyncio.to_thread(import_pipeline, ls, argument(args))

    @server.command("link.lab.applyFix")
    @guard
    async def lab_fix(ls: LinkServer, *args: Any) -> dict[str, Any]:
        return await asyncio.to_thread(fix, ls, argument(args))

    @server.command("link.lab.view")
    @guard
    async def lab_view(ls: LinkServer, *args: Any) -> dict[str, Any]:
        a = argument(args)
        if a.get("notebook") is not None:
            # edges edited in JupyterLab count before the save: the virtual document's
            # diagnostics read the canvas metadata of this model from now on
            nb = lab_notebook(ls, a)
            for uri in ls.store.set_model(str(nb.path), nb):
                ls.publisher.changed(uri, None)
        return await asyncio.to_thread(view, ls, a)

    @server.command("link.lab.begin")
    @guard
    async def lab_begin(ls: LinkServer, *args: Any) -> dict[str, Any]:
        return await begin(ls, argument(args))

    @server.command("link.lab.step")
    @guard
    async def lab_step(ls: LinkServer, *args: Any) -> dict[str, Any]:
        return await step(ls, argument(args))

    @server.command("link.lab.done")
    @guard
    async def lab_done(ls: LinkServer, *args: Any) -> dict[str, Any]:
        return await done(ls, argument(args))

    @server.command("link.lab.end")
    @guard
    async def lab_end(ls: LinkServer, *args: Any) -> dict[str, Any]:
        return await end(ls, argument(args))
