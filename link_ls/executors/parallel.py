"""The ``parallel`` executor: independent branches at once on this machine, one kernel each.

``workers`` Jupyter kernels are started at once; a thread per kernel takes a ready
component (every parent finished) and the first kernel that is free and up, runs it
there with :func:`~link_ls.executors.component.run_component` (namespace reset,
ancestors restored from the store, code, entry saved) and hands the kernel back. A component
whose ancestor failed is not run; the other branches go on.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from contextlib import contextmanager
from typing import Any

from link_ls.executors.component import CellRun, OutputCallback, run_component
from link_ls.executors.events import ClusterReady, Outcomes
from link_ls.executors.model import ComponentResult, ComponentTask, ExecutorOptions
from link_ls.executors.tasks import TaskGraph
from link_ls.kernel.report import ErrorKind, StepError
from link_ls.kernel.session import ExecStatus, KernelSession

_KIND = {
    ExecStatus.ERROR: ErrorKind.EXCEPTION,
    ExecStatus.TIMEOUT: ErrorKind.TIMEOUT,
    ExecStatus.INTERRUPTED: ErrorKind.INTERRUPTED,
    ExecStatus.DIED: ErrorKind.KERNEL_DIED,
}


class KernelComponentSession:
    """A :class:`KernelSession` as a ComponentSession (started on first use)."""

    def __init__(self, session: KernelSession, cancel: threading.Event) -> None:
        self.session = session
        self.cancel = cancel

    def run_silent(self, code: str, timeout: float | None = None) -> str:
        self.session.start()
        return self.session.run_silent(code, timeout)

    def run_cell(
        self, source: str, timeout: float | None, on_output: OutputCallback | None
    ) -> CellRun:
        ex = self.session.execute(source, timeout=timeout, cancel=self.cancel, on_output=on_output)
        if ex.ok:
            return CellRun(ex.outputs, None, ex.execution_count)
        err = StepError(_KIND[ex.status], ex.ename, ex.evalue, ex.traceback)
        return CellRun(ex.outputs, err, ex.execution_count)

    def label(self, n: int) -> str:
        return f"kernel {n} (pid {self.session.pid})"


@contextmanager
def _kernels(n: int, kernel: str | None, cwd: str) -> Iterator[list[KernelSession]]:
    sessions = [KernelSession(kernel, cwd=cwd) for _ in range(n)]
    try:
        yield sessions
    finally:
        # all at once: each waits for its process to go
        with ThreadPoolExecutor(max_workers=n, thread_name_prefix="link-ls-stop") as stop:
            list(stop.map(lambda s: s.shutdown(now=True), sessions))


def run_parallel(
    graph: TaskGraph,
    todo: list[ComponentTask],
    outcomes: Outcomes,
    options: ExecutorOptions,
    cancel: threading.Event,
) -> None:
    """Run ``todo`` (the components not restored up front) and record each result."""
    if not todo:
        return
    n = max(1, min(options.worker_count, len(todo)))
    with _kernels(n, options.kernel, todo[0].cwd) as sessions:
        #: kernels ready for a component; each joins when it has started
        free: queue.Queue[int] = queue.Queue()

        def start(slot: int) -> None:
            try:
                sessions[slot].start()
            finally:
                free.put(slot)  # one that failed to start fails the component that takes it

        def work(task: ComponentTask) -> ComponentResult:
            slot = free.get()
            try:
                sess = KernelComponentSession(sessions[slot], cancel)
                sessions[slot].start()
                where = sess.label(slot + 1)
                outcomes.emit_started(task.index, where)
                return run_component(sess, task, where)
            finally:
                free.put(slot)

        pending: dict[Future[ComponentResult], int] = {}
        with (
            ThreadPoolExecutor(max_workers=n, thread_name_prefix="link-ls-parallel") as pool,
            ThreadPoolExecutor(max_workers=n, thread_name_prefix="link-ls-start") as starter,
        ):
            # all kernels start at once, and a ready component takes the first kernel that
            # is up: the run does not wait for the slowest kernel to start, and no branch
            # waits for one kernel while another is free
            starts: list[Future[None]] = [starter.submit(start, i) for i in range(n)]

            def submit(task: ComponentTask) -> None:
                pending[pool.submit(work, task)] = task.index

            for t in todo:
                outcomes.release(t.index, submit, cancel.is_set())
            while pending or starts:
                waiting: list[Future[Any]] = [*pending, *starts]
                done, _ = wait(waiting, return_when=FIRST_COMPLETED)
                if starts and all(f.done() for f in starts):
                    _ready(sessions, starts, outcomes)
                    starts = []
                for fut in done:
                    if fut in pending:
                        idx = pending.pop(fut)
                        outcomes.record(fut.result())
                        outcomes.release_children(idx, submit, cancel.is_set())


def _ready(sessions: list[KernelSession], starts: list[Future[None]], outcomes: Outcomes) -> None:
    """Every kernel is up: say where they are (or raise why one did not start)."""
    for f in starts:
        f.result()
    if outcomes.sink is not None:
        labels = tuple(f"kernel {i + 1} (pid {k.pid})" for i, k in enumerate(sessions))
        outcomes.sink(ClusterReady("parallel", labels))
