"""link.run, link.interrupt, link.restartKernel: execution through the server's kernel pool.

``link.run`` plans with the core, then runs the plan with the run use case
(``link_ls.usecases.run``, as ``link-ls run`` does) in the notebook's kernel leased
from the server's pool, in a worker thread, while the event loop keeps serving:
the run's events come back to the loop as ``$/progress``; a
``$/cancelRequest`` or ``window/workDoneProgress/cancel`` sets the run's cancel
event and interrupts the kernel. A dying kernel is reported in the result (and
shown to the user); the pool starts a new one on the next run. The result is the
run report (docs/run.md) plus ``uri``, ``executed``, ``ran``, ``restored``,
``message`` and ``saved`` — docs/commands.md.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from lsprotocol import types
from pygls.exceptions import JsonRpcRequestCancelled

from link_ls.errors import UsageError
from link_ls.server import args as arg
from link_ls.server.base import LinkServer, guard

if TYPE_CHECKING:
    from link_ls.kernel.hooks import StepCache
    from link_ls.kernel.params import ParamValue
    from link_ls.kernel.report import RunReport
    from link_ls.pipeline import RunPlan
    from link_ls.server.progress import Work
    from link_ls.server.workspace import Target
    from link_ls.usecases import run as runs

log = logging.getLogger(__name__)

#: how often the waiting handler looks for a progress cancel (seconds)
POLL = 0.1
#: how long a cancelled request waits for the interrupted run to end
STOP_WAIT = 30.0


class _Progress:
    """Per-cell ``$/progress`` reports from run events, handed from the run's thread to the loop."""

    def __init__(self, loop: asyncio.AbstractEventLoop, work: Work) -> None:
        self.loop = loop
        self.work = work

    def _report(self, message: str, percentage: int) -> None:
        # RuntimeError: the loop is gone, the server is stopping
        with contextlib.suppress(RuntimeError):
            self.loop.call_soon_threadsafe(self.work.report, message, percentage)

    def __call__(self, event: runs.RunEvent) -> None:
        from link_ls.kernel.report import step_label
        from link_ls.usecases import run as runs

        if isinstance(event, runs.RunStarted):
            self._report("kernel started" if event.kernel_started else "kernel ready", 0)
        elif isinstance(event, runs.StepStarted):
            done = 100 * (event.position - 1) // max(event.total, 1)
            self._report(f"[{event.position}/{event.total}] {step_label(event.step)}", done)
        elif isinstance(event, runs.StepFinished):
            r = event.result
            label = f"[{event.position}/{event.total}] {step_label(r.step)}: {r.status.value}"
            self._report(label, 100 * event.position // max(event.total, 1))


@dataclass(frozen=True)
class _Leased:
    """``runs.run`` in the notebook's leased pool kernel, so ``link.interrupt`` reaches it."""

    ls: LinkServer
    target: Target
    kernel_name: str | None
    cancel: threading.Event

    def __call__(
        self,
        plan: RunPlan,
        cache: StepCache | None,
        params: tuple[ParamValue, ...],
        on_event: Callable[[runs.RunEvent], None],
        timeout: float | None,
    ) -> RunReport:
        from link_ls.usecases import run as runs

        nb, ev = self.target.notebook, self.cancel
        with self.ls.kernels.lease(
            self.target.key, nb, cancel=ev, kernel_name=self.kernel_name
        ) as k:
            return runs.run(nb, plan, k, cache, params, on_event, timeout=timeout, cancel=ev)


async def execute(ls: LinkServer, a: dict[str, Any], t: Target, plan: RunPlan, work: Work) -> Any:
    """Run ``plan`` in the notebook's kernel; stop it when the request is cancelled."""
    from link_ls.kernel.params import resolve_parameters
    from link_ls.usecases import run as runs

    nb = t.notebook
    overrides = arg.overrides(a)
    timeout = arg.timeout(a)
    kernel = a.get("kernel")
    if kernel is not None and not isinstance(kernel, str):
        raise UsageError("'kernel' must be a kernelspec name")
    params = resolve_parameters(nb.parameters, overrides)
    cache = None
    if arg.flag(a, "useCache", True):
        cache = runs.open_cache(
            nb,
            overrides,
            cache_dir=ls.cache_dir,
            cache_all=arg.flag(a, "cacheAll", ls.cache_all),
            on_note=lambda text: log.info("cache: %s", text),
        )
    progress = _Progress(asyncio.get_running_loop(), work)
    cancel = threading.Event()
    leased = _Leased(ls, t, kernel, cancel)
    run = asyncio.ensure_future(asyncio.to_thread(leased, plan, cache, params, progress, timeout))
    try:
        while not run.done():
            await asyncio.wait({run}, timeout=POLL)
            if work.cancelled and not cancel.is_set():
                # the runner watches this event: it interrupts the kernel and stops the run
                # (never pool.interrupt: a next run of the notebook may already be queued)
                cancel.set()
    except asyncio.CancelledError:
        cancel.set()
        await asyncio.wait({run}, timeout=STOP_WAIT)
        raise
    report = run.result()
    if cancel.is_set() and work.cancelled and not work.request_cancelled:
        # window/workDoneProgress/cancel: the request itself still needs its answer
        raise JsonRpcRequestCancelled("link: run: cancelled")
    return report


def _scale_options(ls: LinkServer, a: dict[str, Any]) -> Any:
    """``executor``, ``workers``, ``scheduler``, ``store`` (docs/scale.md); None for serial."""
    from link_ls.executors import ExecutorOptions

    ex = a.get("executor", "serial")
    if ex == "serial":
        return None
    workers, scheduler, store = a.get("workers"), a.get("scheduler"), a.get("store")
    if ex not in ("parallel", "dask"):
        raise UsageError("'executor' must be serial, parallel or dask")
    if workers is not None and (isinstance(workers, bool) or not isinstance(workers, int)):
        raise UsageError("'workers' must be a whole number")
    if not all(v is None or isinstance(v, str) for v in (scheduler, store, a.get("kernel"))):
        raise UsageError("'scheduler', 'store' and 'kernel' must be strings")
    return ExecutorOptions(
        ex,
        workers,
        scheduler,
        store or ls.cache_dir,
        arg.timeout(a),
        arg.flag(a, "useCache", True),
        a.get("kernel"),
    )


#: a scaled run's per-component events, for a client that named itself in ``link.run``
RUN_EVENT = "link/run/event"


class _ScaledEvents:
    """A scaled run's events as ``$/progress`` and, when ``link.run`` carries a ``client``
    id, as ``link/run/event`` notifications: ``started`` (where) and ``finished`` (the
    step as the reply gives it, with ``where`` and ``blockedBy``) — JupyterLab's
    connection shows no ``$/progress``, and its headers follow each component with these."""

    def __init__(self, ls: LinkServer, a: dict[str, Any], plan: RunPlan, work: Work) -> None:
        self.ls, self.work, self.loop = ls, work, asyncio.get_running_loop()
        client = a.get("client")
        self.tag = {"client": client, "uri": a["uri"]} if isinstance(client, str) else None
        self.steps = {s.index: s for s in plan.steps}
        self.done = 0

    def _send(self, text: str | None, event: dict[str, Any] | None) -> None:
        pct = 100 * self.done // max(len(self.steps), 1)
        # RuntimeError: the loop is gone, the server is stopping
        with contextlib.suppress(RuntimeError):
            if text is not None:
                self.loop.call_soon_threadsafe(self.work.report, text, pct)
            if event is not None and self.tag is not None:
                params = {**self.tag, **event}
                self.loop.call_soon_threadsafe(self.ls.protocol.notify, RUN_EVENT, params)

    def __call__(self, event: Any) -> None:
        from link_ls.executors import ClusterReady, ComponentFinished, ComponentStarted

        if isinstance(event, ClusterReady):
            text = f"{event.executor}: {len(event.workers)} workers"
            self._send(text + (f", dashboard {event.dashboard}" if event.dashboard else ""), None)
        elif isinstance(event, ComponentStarted):
            cell = event.task.index + 1
            self._send(None, {"event": "started", "index": cell, "where": event.where})
        elif isinstance(event, ComponentFinished):
            self.done += 1
            r, step = event.result, self.steps.get(event.task.index)
            text = f"[{self.done}/{len(self.steps)}] {event.task.name}: {r.describe()}"
            row = r.step_result(step).to_json() if step is not None else {}
            row.pop("outputs", None)  # the reply carries them; a header needs the outcome
            row.update(where=r.where, blockedBy=r.blocked_by)
            self._send(text, {"event": "finished", "index": event.task.index + 1, "step": row})


async def execute_scaled(
    ls: LinkServer, t: Target, a: dict[str, Any], plan: RunPlan, work: Work, opts: Any
) -> Any:
    """Run ``plan`` with the parallel or dask executor, per-component progress."""
    from link_ls.executors import run_scaled
    from link_ls.kernel.params import resolve_parameters

    nb, overrides = t.notebook, arg.overrides(a)
    params, cancel = resolve_parameters(nb.parameters, overrides), threading.Event()
    on_event = _ScaledEvents(ls, a, plan, work)
    run = asyncio.ensure_future(
        asyncio.to_thread(run_scaled, nb, plan, opts, params, overrides, on_event, cancel)
    )
    while not run.done():
        await asyncio.wait({run}, timeout=POLL)
        if work.cancelled:
            cancel.set()
    return run.result()


def _summary(report: RunReport) -> str:
    from link_ls.kernel.report import StepStatus

    parts = [
        f"{report.count(s)} {s.value}"
        for s in (StepStatus.EXECUTED, StepStatus.RESTORED, StepStatus.SKIPPED)
        if report.count(s)
    ]
    return ", ".join(parts) or "nothing ran"


async def link_run(ls: LinkServer, *args: Any) -> dict[str, Any]:
    from link_ls.kernel.report import RunOutcome, StepStatus, failure_message
    from link_ls.server import runstate
    from link_ls.server.progress import Work
    from link_ls.server.workspace import plan_for, target
    from link_ls.server.writeback import save_outputs

    a = arg.argument(args)
    t = target(ls, a["uri"])
    async with Work(ls, "link: run") as work:
        pipe = await work.build(t.notebook)
        plan = plan_for(t.notebook, t.cell, a, pipe)
        opts = _scale_options(ls, a)
        scaled = await execute_scaled(ls, t, a, plan, work, opts) if opts is not None else None
        report = scaled.report if scaled is not None else await execute(ls, a, t, plan, work)
    ls.cache_changed()
    done = (StepStatus.EXECUTED, StepStatus.RESTORED)
    runstate.record_nodes(
        ls,
        t.notebook,
        pipe,
        [r.step.node for r in report.steps if r.status in done],
        arg.overrides(a),
    )
    message = failure_message(report)
    if report.outcome is RunOutcome.KERNEL_DIED:
        ls.tell(f"link-ls: {message}; the next run starts a new kernel", types.MessageType.Error)
    saved = None
    if arg.flag(a, "write", t.snap is not None and t.snap.text is not None):
        saved = save_outputs(t, report)
    return {
        "uri": a["uri"],
        **(scaled.to_json() if scaled is not None else report.to_json()),
        "executed": True,
        "ran": [
            r.step.node for r in report.steps if r.status in (StepStatus.EXECUTED, StepStatus.ERROR)
        ],
        "restored": [r.step.node for r in report.steps if r.status is StepStatus.RESTORED],
        "message": message or _summary(report),
        "saved": saved,
    }


def link_interrupt(ls: LinkServer, *args: Any) -> dict[str, Any]:
    from link_ls.server.workspace import kernel_key

    a = arg.argument(args)
    key = kernel_key(ls, a["uri"])
    pool = ls.existing_kernels
    hit = pool.interrupt(key) if pool is not None else False
    msg = "interrupted the running cell" if hit else "nothing is running for this notebook"
    return {"uri": a["uri"], "interrupted": hit, "message": msg}


async def link_restart(ls: LinkServer, *args: Any) -> dict[str, Any]:
    from link_ls.server.workspace import kernel_key

    a = arg.argument(args)
    key = kernel_key(ls, a["uri"])
    pool = ls.existing_kernels
    # a restart waits for an interrupted run to end: off the event loop
    done = await asyncio.to_thread(pool.restart, key) if pool is not None else False
    msg = "started a new kernel" if done else "no kernel for this notebook yet"
    return {"uri": a["uri"], "restarted": done, "message": msg}


async def on_shutdown(ls: LinkServer, *args: Any) -> None:
    await asyncio.to_thread(ls.shutdown_kernels)


def on_exit(ls: LinkServer, *args: Any) -> None:
    ls.shutdown_kernels()


def register(server: LinkServer) -> None:
    server.command("link.run")(guard(link_run))
    server.command("link.interrupt")(guard(link_interrupt))
    server.command("link.restartKernel")(guard(link_restart))
    server.feature(types.SHUTDOWN)(on_shutdown)
    server.feature(types.EXIT)(on_exit)
