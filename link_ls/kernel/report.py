"""The result of a run: per step what happened, its outputs, count and time; JSON for clients.

The JSON shape (``RunReport.to_json``) is documented in ``docs/run.md``; the
server's ``link.run`` returns it unchanged.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from enum import Enum
from typing import Any

from link_ls.pipeline import PlanStep, RunPlan


class StepStatus(str, Enum):
    EXECUTED = "executed"  # ran in the kernel without error
    RESTORED = "restored"  # the cache put its variables into the kernel
    SKIPPED = "skipped"  # not needed: a later restore covers it
    ERROR = "error"  # raised, timed out, was interrupted, or the kernel died
    NOT_RUN = "not-run"  # the run stopped before this step


class ErrorKind(str, Enum):
    EXCEPTION = "exception"
    TIMEOUT = "timeout"
    INTERRUPTED = "interrupted"
    KERNEL_DIED = "kernel-died"
    CACHE = "cache"


class RunOutcome(str, Enum):
    OK = "ok"
    ERROR = "error"
    TIMEOUT = "timeout"
    INTERRUPTED = "interrupted"
    KERNEL_DIED = "kernel-died"
    CACHE = "cache-error"


@dataclass(frozen=True)
class StepError:
    kind: ErrorKind
    ename: str
    evalue: str
    traceback: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind.value,
            "ename": self.ename,
            "evalue": self.evalue,
            "traceback": list(self.traceback),
        }

    @property
    def summary(self) -> str:
        return f"{self.ename}: {self.evalue}" if self.evalue else self.ename


@dataclass(frozen=True)
class StepResult:
    step: PlanStep
    status: StepStatus
    outputs: tuple[dict[str, Any], ...] = ()
    execution_count: int | None = None
    #: seconds; None for steps that did not run
    duration: float | None = None
    error: StepError | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "index": self.step.index + 1,
            "id": self.step.node,
            "name": self.step.name,
            "status": self.status.value,
            "executionCount": self.execution_count,
            "duration": None if self.duration is None else round(self.duration, 6),
            "outputs": [dict(o) for o in self.outputs],
            "error": self.error.to_json() if self.error is not None else None,
        }


_OUTCOME = {
    ErrorKind.EXCEPTION: RunOutcome.ERROR,
    ErrorKind.TIMEOUT: RunOutcome.TIMEOUT,
    ErrorKind.INTERRUPTED: RunOutcome.INTERRUPTED,
    ErrorKind.KERNEL_DIED: RunOutcome.KERNEL_DIED,
    ErrorKind.CACHE: RunOutcome.CACHE,
}


@dataclass(frozen=True)
class RunReport:
    notebook: str
    kernel: str
    plan: RunPlan
    steps: tuple[StepResult, ...]
    #: parameters as set in the kernel, ``{name: value}``
    parameters: tuple[tuple[str, Any], ...] = ()
    #: True when this run started a new kernel (first run, or after a death/restart)
    kernel_started: bool = False
    #: wall-clock seconds of the whole run, kernel start-up included
    duration: float = 0.0
    #: True when the run was stopped before a step started (no step is in error)
    stopped: bool = False
    warnings: tuple[str, ...] = ()
    #: what the cache did (``PipelineStepCache.report``: untrusted entries, notes, …)
    cache: dict[str, Any] | None = None
    #: seconds spent starting the kernel (0 when a running kernel was reused)
    kernel_start: float = 0.0

    @property
    def steps_duration(self) -> float:
        """Seconds of the run without the kernel's start-up (what a warm kernel would take)."""
        return max(self.duration - self.kernel_start, 0.0)

    @property
    def failed(self) -> StepResult | None:
        for r in self.steps:
            if r.status is StepStatus.ERROR:
                return r
        return None

    @property
    def outcome(self) -> RunOutcome:
        f = self.failed
        if f is not None and f.error is not None:
            return _OUTCOME[f.error.kind]
        return RunOutcome.INTERRUPTED if self.stopped else RunOutcome.OK

    @property
    def ok(self) -> bool:
        return self.outcome is RunOutcome.OK

    def count(self, status: StepStatus) -> int:
        return sum(1 for r in self.steps if r.status is status)

    def to_json(self) -> dict[str, Any]:
        counts = Counter(r.status.value for r in self.steps)
        f = self.failed
        return {
            "notebook": self.notebook,
            "kernel": self.kernel,
            "kernelStarted": self.kernel_started,
            "kernelStartDuration": round(self.kernel_start, 6),
            "plan": self.plan.to_json(),
            "parameters": dict(self.parameters),
            "outcome": self.outcome.value,
            "failed": None
            if f is None
            else {"index": f.step.index + 1, "id": f.step.node, "name": f.step.name},
            "duration": round(self.duration, 6),
            "counts": {s.value: counts.get(s.value, 0) for s in StepStatus},
            "warnings": list(self.warnings),
            "cache": self.cache,
            "steps": [r.to_json() for r in self.steps],
        }


def step_label(step: PlanStep) -> str:
    """``name (#N)``, or just ``#N`` for an unnamed cell."""
    pos = f"#{step.index + 1}"
    return step.name if step.name == pos else f"{step.name} ({pos})"


def failure_message(report: RunReport) -> str | None:
    """One line saying why a run did not finish, or None when it did (CLI and server)."""
    if report.ok:
        return None
    f = report.failed
    if f is None or f.error is None:
        return "interrupted before the next cell"
    where = f"cell {step_label(f.step)}"
    err = f.error
    if err.kind is ErrorKind.TIMEOUT:
        return f"{where} timed out: {err.evalue}"
    if err.kind is ErrorKind.INTERRUPTED:
        return f"{where} was interrupted"
    if err.kind is ErrorKind.KERNEL_DIED:
        return f"the kernel died while running {where}: {err.evalue}"
    if err.kind is ErrorKind.CACHE:
        return f"{where}: cache error: {err.evalue}"
    return f"{where} raised {err.summary}"
