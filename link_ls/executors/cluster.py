"""The ``dask`` executor: every component a task on a Dask distributed cluster.

Without ``--scheduler`` a ``LocalCluster`` of ``--workers`` processes (one thread
each) is started and closed after the run; with it, the run connects to that
scheduler and leaves the cluster as it found it. A task gets its component's
:class:`~link_ls.executors.model.ComponentTask` and its parents' results (Dask
passes them, so it also orders the tasks); on the worker it runs the component in
the worker's IPython shell against the shared store. A component whose parent did
not complete returns at once, not run.

Failures: an exception in the component is a result, not a Dask error. A worker that
dies mid-task is Dask's business first — the scheduler reruns the task elsewhere up
to ``distributed.scheduler.allowed-failures`` times — and then a ``KilledWorker``
error reported for that component. The entry of a component is renamed into place
only when complete, so a worker killed mid-save leaves nothing a later run would read.

``distributed`` is an optional dependency (``pip install 'link-ls[dask]'``).
"""

from __future__ import annotations

import os
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from link_ls.executors.component import host_label, run_component
from link_ls.executors.events import ClusterReady, Outcomes
from link_ls.executors.model import (
    ComponentResult,
    ComponentTask,
    ExecutorError,
    ExecutorOptions,
)
from link_ls.executors.tasks import TaskGraph
from link_ls.kernel.report import ErrorKind, StepError, StepStatus


def component_task(task: ComponentTask) -> ComponentResult:
    """The function a Dask worker runs for one component (module-level: workers import it)."""
    from link_ls.executors.shell import COMPONENT_LOCK, worker_session

    try:
        from distributed import get_worker

        where = f"{get_worker().address} (pid {os.getpid()})"
    except (ImportError, ValueError):
        where = host_label()
    with COMPONENT_LOCK:
        old = os.getcwd()
        if os.path.isdir(task.cwd):
            os.chdir(task.cwd)  # relative paths in the code mean the notebook's folder
        try:
            return run_component(worker_session(), task, where)
        finally:
            os.chdir(old)


def _distributed() -> Any:
    try:
        import distributed
    except ImportError:
        raise ExecutorError(
            "the dask executor needs Dask distributed: pip install 'link-ls[dask]'"
        ) from None
    return distributed


@contextmanager
def _client(options: ExecutorOptions) -> Iterator[Any]:
    distributed = _distributed()
    if options.scheduler:
        try:
            client = distributed.Client(options.scheduler, timeout="20s")
        except (OSError, TimeoutError) as e:
            raise ExecutorError(
                f"cannot reach the Dask scheduler {options.scheduler}: {e}"
            ) from None
        try:
            yield client
        finally:
            client.close()
        return
    cluster = distributed.LocalCluster(
        n_workers=options.worker_count,
        threads_per_worker=1,
        processes=True,
        dashboard_address=":0",
        silence_logs=40,  # logging.ERROR: a worker restart is reported by the run itself
    )
    client = distributed.Client(cluster)
    try:
        yield client
    finally:
        client.close()
        cluster.close()


def _dashboard(client: Any) -> str | None:
    """The dashboard's address when the scheduler serves one (it needs bokeh there)."""
    services = client.scheduler_info().get("services", {})
    return str(client.dashboard_link) if "dashboard" in services else None


def run_dask(
    graph: TaskGraph,
    todo: list[ComponentTask],
    outcomes: Outcomes,
    options: ExecutorOptions,
    cancel: threading.Event,
) -> tuple[str | None, tuple[str, ...]]:
    """Run ``todo`` on the cluster, record each result; the dashboard link and workers."""
    if not todo:
        return None, ()
    distributed = _distributed()
    with _client(options) as client:
        workers = tuple(sorted(client.scheduler_info().get("workers", {})))
        dashboard = _dashboard(client)
        if outcomes.sink is not None:
            outcomes.sink(ClusterReady("dask", workers, dashboard))
        run_id = uuid.uuid4().hex[:8]
        index_of: dict[str, int] = {}
        # a component is submitted when its parents are done, without their results as
        # Dask data: the store carries the variables, and the scheduler is free to put
        # siblings on different workers instead of next to their parent's result
        # results come with the completions, in batches: one round trip per completed
        # task would make the caller the bottleneck of a wide pipeline
        seq = distributed.as_completed(with_results=True, raise_errors=False)
        live: list[Any] = []

        def submit(t: ComponentTask) -> None:
            fut = client.submit(
                component_task, t, key=f"link-ls-{run_id}-{t.index + 1}-{t.key[:12]}", pure=False
            )
            index_of[fut.key] = t.index
            seq.add(fut)
            live.append(fut)
            outcomes.emit_started(t.index, "submitted to the cluster")

        for t in todo:
            outcomes.release(t.index, submit, cancel.is_set())
        for batch in seq.batches():
            if cancel.is_set():
                for f in live:
                    f.cancel()  # Ctrl-C: what has not finished is not run
            for fut, value in batch:
                idx = index_of[fut.key]
                outcomes.record(_result(idx, fut, value))
                outcomes.release_children(idx, submit, cancel.is_set())
    return dashboard, workers


def _result(idx: int, fut: Any, value: Any) -> ComponentResult:
    if isinstance(value, ComponentResult):
        return value
    if fut.status == "cancelled":
        return ComponentResult(idx, StepStatus.NOT_RUN)
    # an erred task: ask for its exception (one round trip, for failures only)
    exc = value if isinstance(value, BaseException) else fut.exception()
    name = type(exc).__name__
    if name == "KilledWorker":
        text = "the worker running it died (after retries on other workers)"
        err = StepError(ErrorKind.KERNEL_DIED, name, text)
    else:
        err = StepError(ErrorKind.EXCEPTION, name, str(exc))
    return ComponentResult(idx, StepStatus.ERROR, error=err, where="(lost)", finished=time.time())
