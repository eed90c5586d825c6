"""Executing a run plan in a kernel session, step by step, into a :class:`RunReport`.

Order of a run: start the kernel if none runs, set the pipeline parameters,
``cache.prepare``, then per step ``cache.decide`` → execute (or take the restored
outputs) → ``cache.after_execute``. The first step that fails stops the run; the
steps after it are reported ``not-run``. The whole run holds the session's lock,
so two runs on one kernel never interleave.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence

from link_ls.errors import LinkError
from link_ls.kernel.errors import KernelDiedError
from link_ls.kernel.hooks import EXECUTE, CacheDecision, ReportingStepCache, StepAction, StepCache
from link_ls.kernel.observer import RunObserver
from link_ls.kernel.params import (
    ParamValue,
    parameters_code,
    parameters_json,
    resolve_parameters,
)
from link_ls.kernel.report import ErrorKind, RunReport, StepError, StepResult, StepStatus
from link_ls.kernel.session import ExecStatus, Execution, KernelSession
from link_ls.notebook import Notebook
from link_ls.pipeline import PlanStep, RunPlan

_KIND = {
    ExecStatus.ERROR: ErrorKind.EXCEPTION,
    ExecStatus.TIMEOUT: ErrorKind.TIMEOUT,
    ExecStatus.INTERRUPTED: ErrorKind.INTERRUPTED,
    ExecStatus.DIED: ErrorKind.KERNEL_DIED,
}


def _from_execution(step: PlanStep, ex: Execution) -> StepResult:
    if ex.ok:
        return StepResult(step, StepStatus.EXECUTED, ex.outputs, ex.execution_count, ex.duration)
    err = StepError(_KIND[ex.status], ex.ename, ex.evalue, ex.traceback)
    return StepResult(step, StepStatus.ERROR, ex.outputs, ex.execution_count, ex.duration, err)


class _Run:
    """One run's mutable state; :func:`run_plan` is its only user."""

    def __init__(
        self,
        session: KernelSession,
        nb: Notebook,
        timeout: float | None,
        cache: StepCache | None,
        observer: RunObserver,
        cancel: threading.Event,
    ) -> None:
        self.session = session
        self.nb = nb
        self.timeout = timeout
        self.cache = cache
        self.observer = observer
        self.cancel = cancel
        self.warnings: list[str] = []

    def decide(self, step: PlanStep) -> CacheDecision | StepResult:
        if self.cache is None:
            return EXECUTE
        t0 = time.monotonic()
        try:
            return self.cache.decide(self.session, step)
        except KernelDiedError as e:
            err = StepError(ErrorKind.KERNEL_DIED, "KernelDied", str(e))
        except LinkError as e:
            err = StepError(ErrorKind.CACHE, type(e).__name__, str(e))
        return StepResult(step, StepStatus.ERROR, duration=time.monotonic() - t0, error=err)

    def step(self, step: PlanStep) -> StepResult:
        decision = self.decide(step)
        if isinstance(decision, StepResult):
            return decision
        if decision.action is StepAction.RESTORED:
            return StepResult(step, StepStatus.RESTORED, decision.outputs)
        if decision.action is StepAction.SKIPPED:
            return StepResult(step, StepStatus.SKIPPED)
        source = self.nb.cells[step.index].source
        ex = self.session.execute(
            source,
            timeout=self.timeout,
            cancel=self.cancel,
            on_output=lambda out: self.observer.step_output(step, out),
        )
        result = _from_execution(step, ex)
        if result.status is StepStatus.EXECUTED and self.cache is not None:
            try:
                self.cache.after_execute(self.session, step, result.outputs)
            except LinkError as e:
                # the step itself succeeded; a cache that cannot store is worth a warning only
                self.warnings.append(f"{step.name}: not cached: {e}")
        return result


def run_plan(
    session: KernelSession,
    nb: Notebook,
    plan: RunPlan,
    *,
    parameters: Sequence[ParamValue] | None = None,
    timeout: float | None = None,
    cache: StepCache | None = None,
    observer: RunObserver | None = None,
    cancel: threading.Event | None = None,
) -> RunReport:
    """Run ``plan`` in ``session``: parameters first (default: the notebook's), then each step.

    ``timeout`` is per cell, in seconds. Setting ``cancel`` (from any thread)
    interrupts the running cell and stops the run.
    """
    t0 = time.monotonic()
    params = tuple(resolve_parameters(nb.parameters) if parameters is None else parameters)
    obs = observer or RunObserver()
    ev = cancel or threading.Event()
    run = _Run(session, nb, timeout, cache, obs, ev)
    total = len(plan.steps)
    results: list[StepResult] = []
    stopped = False
    with session.lock:
        t_start = time.monotonic()
        started = session.start()
        kernel_start = time.monotonic() - t_start if started else 0.0
        code = parameters_code(params)
        if code:
            session.run_silent(code, timeout=timeout)
        if cache is not None:
            cache.prepare(nb, plan)
        obs.run_started(plan, started)
        failed = False
        for pos, step in enumerate(plan.steps, 1):
            if failed or stopped or ev.is_set():
                stopped = stopped or (not failed and ev.is_set())
                results.append(StepResult(step, StepStatus.NOT_RUN))
                continue
            obs.step_started(pos, total, step)
            result = run.step(step)
            results.append(result)
            obs.step_finished(pos, total, result)
            failed = result.status is StepStatus.ERROR
    return RunReport(
        notebook=str(nb.path) if nb.path is not None else nb.display_name,
        kernel=session.kernel_name,
        plan=plan,
        steps=tuple(results),
        parameters=tuple(parameters_json(params).items()),
        kernel_started=started,
        duration=time.monotonic() - t0,
        stopped=stopped,
        warnings=tuple(run.warnings),
        cache=cache.report() if isinstance(cache, ReportingStepCache) else None,
        kernel_start=kernel_start,
    )
