"""link.run, link.interrupt, link.restartKernel: execution through the server's kernel pool.

``link.run`` plans with the core, then runs the plan in a worker thread
(``KernelPool.run`` blocks) while the event loop keeps serving: the run's
observer hands each step back to the loop for ``$/progress``; a
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
from typing import TYPE_CHECKING, Any

from lsprotocol import types
from pygls.exceptions import JsonRpcRequestCancelled

from link_ls.errors import UsageError
from link_ls.kernel.observer import RunObserver
from link_ls.kernel.report import failure_message, step_label
from link_ls.pipeline import PlanStep, RunPlan
from link_ls.server import args as arg
from link_ls.server.base import LinkServer, guard
from link_ls.server.progress import Work
from link_ls.server.workspace import Target, kernel_key, plan_for, target
from link_ls.server.writeback import save_outputs

if TYPE_CHECKING:
    from link_ls.kernel.report import RunReport, StepResult

log = logging.getLogger(__name__)

#: how often the waiting handler looks for a progress cancel (seconds)
POLL = 0.1
#: how long a cancelled request waits for the interrupted run to end
STOP_WAIT = 30.0


class _Progress(RunObserver):
    """Per-cell ``$/progress`` reports, handed from the run's thread to the event loop."""

    def __init__(self, loop: asyncio.AbstractEventLoop, work: Work) -> None:
        self.loop = loop
        self.work = work

    def _report(self, message: str, percentage: int) -> None:
        # RuntimeError: the loop is gone, the server is stopping
        with contextlib.suppress(RuntimeError):
            self.loop.call_soon_threadsafe(self.work.report, message, percentage)

    def run_started(self, plan: RunPlan, kernel_started: bool) -> None:
        self._report("kernel started" if kernel_started else "kernel ready", 0)

    def step_started(self, position: int, total: int, step: PlanStep) -> None:
        self._report(
            f"[{position}/{total}] {step_label(step)}", 100 * (position - 1) // max(total, 1)
        )

    def step_finished(self, position: int, total: int, result: StepResult) -> None:
        label = f"[{position}/{total}] {step_label(result.step)}: {result.status.value}"
        self._report(label, 100 * position // max(total, 1))


async def execute(ls: LinkServer, a: dict[str, Any], t: Target, plan: RunPlan, work: Work) -> Any:
    """Run ``plan`` in the notebook's kernel; stop it when the request is cancelled."""
    from link_ls.cache import CacheOptions, make_step_cache

    nb = t.notebook
    overrides_ = arg.overrides(a)
    timeout = arg.timeout(a)
    kernel = a.get("kernel")
    if kernel is not None and not isinstance(kernel, str):
        raise UsageError("'kernel' must be a kernelspec name")
    cache = None
    if arg.flag(a, "useCache", True) and nb.path is not None:
        cache = make_step_cache(
            nb.path,
            CacheOptions(
                cache_dir=ls.cache_dir,
                cache_all=arg.flag(a, "cacheAll", ls.cache_all),
                parameters=overrides_,
                on_note=lambda text: log.info("cache: %s", text),
            ),
        )
    loop = asyncio.get_running_loop()
    cancel = threading.Event()
    pool = ls.kernels
    run = asyncio.ensure_future(
        asyncio.to_thread(
            pool.run,
            t.key,
            nb,
            plan,
            overrides=overrides_,
            timeout=timeout,
            cache=cache,
            observer=_Progress(loop, work),
            cancel=cancel,
            kernel_name=kernel,
        )
    )
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


def _summary(report: RunReport) -> str:
    from link_ls.kernel.report import StepStatus

    parts = [
        f"{report.count(s)} {s.value}"
        for s in (StepStatus.EXECUTED, StepStatus.RESTORED, StepStatus.SKIPPED)
        if report.count(s)
    ]
    return ", ".join(parts) or "nothing ran"


def register(server: LinkServer) -> None:
    @server.command("link.run")
    @guard
    async def link_run(ls: LinkServer, *args: Any) -> dict[str, Any]:
        from link_ls.kernel.report import RunOutcome, StepStatus

        a = arg.argument(args)
        t = target(ls, a["uri"])
        async with Work(ls, "link: run") as work:
            pipe = await work.build(t.notebook)
            plan = plan_for(t.notebook, t.cell, a, pipe)
            report = await execute(ls, a, t, plan, work)
        ls.cache_changed()
        message = failure_message(report)
        if report.outcome is RunOutcome.KERNEL_DIED:
            ls.tell(
                f"link-ls: {message}; the next run starts a new kernel", types.MessageType.Error
            )
        saved = None
        if arg.flag(a, "write", t.snap is not None and t.snap.text is not None):
            saved = save_outputs(t, report)
        return {
            "uri": a["uri"],
            **report.to_json(),
            "executed": True,
            "ran": [
                r.step.node
                for r in report.steps
                if r.status in (StepStatus.EXECUTED, StepStatus.ERROR)
            ],
            "restored": [r.step.node for r in report.steps if r.status is StepStatus.RESTORED],
            "message": message or _summary(report),
            "saved": saved,
        }

    @server.command("link.interrupt")
    @guard
    def link_interrupt(ls: LinkServer, *args: Any) -> dict[str, Any]:
        a = arg.argument(args)
        key = kernel_key(ls, a["uri"])
        pool = ls.existing_kernels
        hit = pool.interrupt(key) if pool is not None else False
        msg = "interrupted the running cell" if hit else "nothing is running for this notebook"
        return {"uri": a["uri"], "interrupted": hit, "message": msg}

    @server.command("link.restartKernel")
    @guard
    async def link_restart(ls: LinkServer, *args: Any) -> dict[str, Any]:
        a = arg.argument(args)
        key = kernel_key(ls, a["uri"])
        pool = ls.existing_kernels
        # a restart waits for an interrupted run to end: off the event loop
        done = await asyncio.to_thread(pool.restart, key) if pool is not None else False
        msg = "started a new kernel" if done else "no kernel for this notebook yet"
        return {"uri": a["uri"], "restarted": done, "message": msg}

    @server.feature(types.SHUTDOWN)
    async def on_shutdown(ls: LinkServer, *args: Any) -> None:
        await asyncio.to_thread(ls.shutdown_kernels)

    @server.feature(types.EXIT)
    def on_exit(ls: LinkServer, *args: Any) -> None:
        ls.shutdown_kernels()
