"""Scaled-out runs: a pipeline's components apart, on local kernels or a Dask cluster.

:func:`run_scaled` is the one entry point (``link-ls run --executor parallel|dask`` and
the server's ``link.run`` with ``executor``). It refuses a pipeline with edge errors,
keys every component as the serial run does, restores up front each component whose
entry is already in the store, and hands the rest to an executor:

- ``parallel`` (:mod:`.parallel`): ready components at once in up to ``workers``
  Jupyter kernels on this machine;
- ``dask`` (:mod:`.cluster`): each component a task on a Dask distributed cluster.

Data moves between components only through the cache store: a component starts from
its ancestors' entries and leaves its own, so a later serial run restores what a
scaled-out run computed and vice versa. See ``docs/scale.md``.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping, Sequence

from link_ls.cache.errors import CacheError
from link_ls.cache.trust import load_user_key
from link_ls.executors.events import (
    ClusterReady,
    ComponentFinished,
    ComponentStarted,
    EventSink,
    Outcomes,
    ScaleEvent,
)
from link_ls.executors.model import (
    EXECUTORS,
    ComponentResult,
    ExecutorError,
    ExecutorOptions,
    ScaleReport,
    UnsafePipelineError,
)
from link_ls.executors.tasks import build_tasks, refuse_unsafe, store_root
from link_ls.executors.trusted import restore_up_front
from link_ls.kernel.params import Override, ParamValue, parameters_json
from link_ls.kernel.report import RunReport, StepStatus
from link_ls.notebook import Notebook
from link_ls.pipeline import RunPlan

__all__ = [
    "EXECUTORS",
    "ClusterReady",
    "ComponentFinished",
    "ComponentResult",
    "ComponentStarted",
    "ExecutorError",
    "ExecutorOptions",
    "ScaleEvent",
    "ScaleReport",
    "UnsafePipelineError",
    "refuse_unsafe",
    "run_scaled",
    "store_root",
]


def run_scaled(
    nb: Notebook,
    plan: RunPlan,
    options: ExecutorOptions,
    params: Sequence[ParamValue],
    overrides: Mapping[str, Override] | None = None,
    on_event: EventSink | None = None,
    cancel: threading.Event | None = None,
) -> ScaleReport:
    """Run ``plan`` with ``options.executor`` ("parallel" or "dask"); blocks until done.

    Raises :class:`UnsafePipelineError` (edge errors) or :class:`ExecutorError` before
    anything runs; a component's failure is in the report, never raised.
    """
    if options.executor not in ("parallel", "dask"):
        raise ExecutorError(f"unknown executor {options.executor!r} (use one of {EXECUTORS})")
    if options.workers is not None and options.workers < 1:
        raise ExecutorError("--workers must be at least 1")
    t0 = time.monotonic()
    try:
        # loaded once, here: every task carries it, so entries are signed and checked with
        # the caller's key on any machine (a worker's own key would not be the caller's)
        user = load_user_key()
    except CacheError as e:
        raise ExecutorError(f"cannot use the cache store: {e}") from None
    graph = build_tasks(nb, plan, params, overrides, options.store, options.timeout, user)
    tasks = {t.index: t for t in graph.tasks}
    outcomes = Outcomes(tasks, graph.parents, on_event)
    found = restore_up_front(graph.tasks, outcomes, options.reuse, user)
    todo = found.todo
    ev = cancel or threading.Event()
    dashboard: str | None = None
    workers: tuple[str, ...] = ()
    if options.executor == "parallel":
        from link_ls.executors.parallel import run_parallel

        run_parallel(graph, todo, outcomes, options, ev)
    else:
        from link_ls.executors.cluster import run_dask

        dashboard, workers = run_dask(graph, todo, outcomes, options, ev)
    results = tuple(
        outcomes.results.get(s.index, ComponentResult(s.index, StepStatus.NOT_RUN))
        for s in plan.steps
    )
    where = graph.store_url or str(graph.store_root)
    saved = sum(1 for r in results if r.status is StepStatus.EXECUTED)
    report = RunReport(
        notebook=str(nb.path) if nb.path is not None else nb.display_name,
        kernel=options.executor,
        plan=plan,
        steps=tuple(r.step_result(s) for r, s in zip(results, plan.steps, strict=True)),
        parameters=tuple(parameters_json(params).items()),
        kernel_started=True,
        duration=time.monotonic() - t0,
        stopped=ev.is_set(),
        cache=found.report(where, saved),
    )
    return ScaleReport(options.executor, report, results, where, dashboard, workers)
