"""Values of a scaled-out run: options, one component's task and result, the run's report."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from link_ls.cache.keys import CacheKey
from link_ls.cache.trust import UserKey
from link_ls.errors import LinkError
from link_ls.kernel.report import RunReport, StepError, StepResult, StepStatus
from link_ls.pipeline import Diagnostic, PlanStep

#: the executors ``--executor`` accepts; "serial" is the one-kernel run of link_ls.kernel
EXECUTORS = ("serial", "parallel", "dask")


class ExecutorError(LinkError):
    """A parallel or dask run cannot start (bad options, no cluster, a store it cannot use)."""


class UnsafePipelineError(ExecutorError):
    """The pipeline has edge errors: running its components apart could change results."""

    def __init__(self, message: str, diagnostics: tuple[Diagnostic, ...]) -> None:
        super().__init__(message)
        self.diagnostics = diagnostics


@dataclass(frozen=True)
class ExecutorOptions:
    """How to scale a run out (``link-ls run --executor …``)."""

    executor: str = "parallel"
    #: concurrent kernels (parallel) or LocalCluster worker processes (dask); None: 4
    workers: int | None = None
    #: ``tcp://host:port`` of a running Dask scheduler; None starts a LocalCluster
    scheduler: str | None = None
    #: the cache store every component reads and writes: a path or ``file://`` URL
    store: str | None = None
    #: per component, seconds
    timeout: float | None = None
    #: restore components whose entry is already in the store instead of executing them
    reuse: bool = True
    kernel: str | None = None

    @property
    def worker_count(self) -> int:
        return self.workers if self.workers is not None else 4


@dataclass(frozen=True)
class ComponentTask:
    """All a worker needs to run one component (picklable: it travels to Dask workers)."""

    index: int
    node: str
    name: str
    source: str
    key: CacheKey
    #: the ancestors whose entries it needs (name, key), in pipeline order: restored first
    ancestors: tuple[tuple[str, CacheKey], ...]
    #: names the component defines or mutates, and deletes (what its entry saves)
    provides: tuple[str, ...]
    deletes: tuple[str, ...]
    parameters_code: str
    store_root: str
    notebook: str
    language: str
    cwd: str
    timeout: float | None = None
    #: an fsspec URL when the store is remote: ``store_root`` is then only the caller's
    #: mirror, and each machine mirrors it in its own temporary folder
    store_url: str | None = None
    #: the caller's cache key, loaded once by the caller and carried in memory (never
    #: written on a worker): the task signs its entry with it and restores an ancestor only
    #: when the ancestor's entry carries its valid signature (docs/scale.md, "Trust")
    user: UserKey | None = field(default=None, repr=False, compare=False)
    #: ``link-ls cache trust …`` for this notebook's store: what a refusal tells the user
    trust_command: tuple[str, ...] = ()


@dataclass(frozen=True)
class ComponentResult:
    """What became of one component, and where and when it ran (wall-clock seconds)."""

    index: int
    status: StepStatus
    outputs: tuple[dict[str, Any], ...] = ()
    error: StepError | None = None
    where: str = ""
    started: float | None = None
    finished: float | None = None
    #: for a component that did not run because an ancestor failed: that ancestor's name
    blocked_by: str | None = None
    execution_count: int | None = None

    @property
    def ok(self) -> bool:
        return self.status in (StepStatus.EXECUTED, StepStatus.RESTORED)

    @property
    def duration(self) -> float | None:
        if self.started is None or self.finished is None:
            return None
        return self.finished - self.started

    def step_result(self, step: PlanStep) -> StepResult:
        return StepResult(
            step, self.status, self.outputs, self.execution_count, self.duration, self.error
        )

    def describe(self) -> str:
        """One line for a summary: the outcome and where it ran."""
        if self.blocked_by is not None:
            return f"skipped: ancestor {self.blocked_by!r} did not complete"
        text = self.status.value
        if self.error is not None:
            text += f" ({self.error.summary})"
        return f"{text} on {self.where}" if self.where else text


@dataclass(frozen=True)
class ScaleReport:
    """A run's report as the serial runner gives it, plus each component's placement."""

    executor: str
    report: RunReport
    components: tuple[ComponentResult, ...]
    store: str
    dashboard: str | None = None
    workers: tuple[str, ...] = field(default=())

    def to_json(self) -> dict[str, Any]:
        out = self.report.to_json()
        out["executor"] = self.executor
        out["store"] = self.store
        out["dashboard"] = self.dashboard
        by_index = {c.index: c for c in self.components}
        for step in out["steps"]:
            c = by_index.get(step["index"] - 1)
            if c is not None:
                step["where"] = c.where
                step["started"] = c.started
                step["finished"] = c.finished
                step["blockedBy"] = c.blocked_by
        return out
