"""What a scaled-out run reports while it goes, and the bookkeeping both executors share.

Events arrive on the thread that drives the run (the CLI's, or the server's worker
thread). :class:`Outcomes` records results as they come and decides, for a component
whose ancestor did not complete, that it is not run and which ancestor stopped it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from link_ls.executors.model import ComponentResult, ComponentTask
from link_ls.kernel.report import StepStatus


@dataclass(frozen=True)
class ClusterReady:
    """Workers are up: where they are, and the Dask dashboard when there is one."""

    executor: str
    workers: tuple[str, ...]
    dashboard: str | None = None


@dataclass(frozen=True)
class ComponentStarted:
    task: ComponentTask
    where: str


@dataclass(frozen=True)
class ComponentFinished:
    task: ComponentTask
    result: ComponentResult


ScaleEvent = ClusterReady | ComponentStarted | ComponentFinished
EventSink = Callable[[ScaleEvent], None]


class Outcomes:
    """Results by component index, and who is blocked by whom."""

    def __init__(
        self,
        tasks: Mapping[int, ComponentTask],
        parents: Mapping[int, tuple[int, ...]],
        sink: EventSink | None,
    ) -> None:
        self.tasks = tasks
        self.parents = parents
        self.sink = sink
        self.results: dict[int, ComponentResult] = {}
        self.children: dict[int, list[int]] = {}
        for idx, pars in parents.items():
            for par in pars:
                self.children.setdefault(par, []).append(idx)
        self._submitted: set[int] = set()

    def emit_started(self, idx: int, where: str) -> None:
        if self.sink is not None:
            self.sink(ComponentStarted(self.tasks[idx], where))

    def record(self, result: ComponentResult) -> ComponentResult:
        """Keep ``result`` (turned into "not run" when an ancestor failed) and report it."""
        blocker = self.blocker(result.index)
        if blocker is not None:
            result = ComponentResult(result.index, StepStatus.NOT_RUN, blocked_by=blocker)
        self.results[result.index] = result
        if self.sink is not None:
            self.sink(ComponentFinished(self.tasks[result.index], result))
        return result

    def blocker(self, idx: int) -> str | None:
        """The name of the failed ancestor that keeps ``idx`` from running, if any."""
        for par in self.parents.get(idx, ()):
            r = self.results.get(par)
            if r is None:
                continue
            if r.blocked_by is not None:
                return r.blocked_by
            if not r.ok:
                return self.tasks[par].name
        return None

    def ready(self, idx: int) -> bool:
        return all(p in self.results for p in self.parents.get(idx, ()))

    def release(self, idx: int, submit: Callable[[ComponentTask], None], stop: bool) -> None:
        """Submit ``idx`` once every parent has a result; record it "not run" instead when
        an ancestor failed (or ``stop``), and go on to its children."""
        if idx in self.results or idx in self._submitted or not self.ready(idx):
            return
        if stop or self.blocker(idx) is not None:
            self.record(ComponentResult(idx, StepStatus.NOT_RUN))
            self.release_children(idx, submit, stop)
            return
        self._submitted.add(idx)
        submit(self.tasks[idx])

    def release_children(
        self, idx: int, submit: Callable[[ComponentTask], None], stop: bool
    ) -> None:
        for child in self.children.get(idx, ()):
            self.release(child, submit, stop)
