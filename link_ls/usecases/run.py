"""``run``: execute a run plan in a kernel, with the cache, reporting events; for CLI and server.

The CLI (``link-ls run``) and the server (``link.run``) both: plan with
:func:`plan_run`, open the cache with :func:`open_cache`, execute with
:func:`run` — subscribing to its :data:`RunEvent` stream (the CLI prints
outputs and a progress bar, the server sends ``$/progress``) — and write the
outputs into a notebook file with :func:`write_outputs`. Only where the kernel
comes from differs: the CLI starts one ``KernelSession``, the server leases the
notebook's session from its ``KernelPool`` so ``link.interrupt`` can reach it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from link_ls.kernel.hooks import StepCache
from link_ls.kernel.observer import RunObserver
from link_ls.kernel.params import Override, ParamValue
from link_ls.kernel.report import RunReport, StepResult
from link_ls.notebook import Notebook, resolve_cell, save
from link_ls.pipeline import Pipeline, PlanStep, RunPlan, build, plan

if TYPE_CHECKING:
    from link_ls.kernel.session import KernelSession


@dataclass(frozen=True)
class RunStarted:
    """The kernel is ready (``kernel_started``: it was started for this run), parameters set."""

    plan: RunPlan
    kernel_started: bool


@dataclass(frozen=True)
class StepStarted:
    """Step ``position`` (1-based) of ``total`` begins."""

    position: int
    total: int
    step: PlanStep


@dataclass(frozen=True)
class StepOutput:
    """An nbformat output of the running step, as it arrives (streams chunk by chunk)."""

    step: PlanStep
    output: dict[str, Any]


@dataclass(frozen=True)
class StepFinished:
    """The step executed, was restored or skipped, or failed."""

    position: int
    total: int
    result: StepResult


RunEvent = RunStarted | StepStarted | StepOutput | StepFinished
"""What a run reports while it goes; events arrive on the running thread."""


class _Events(RunObserver):
    """The kernel layer's observer callbacks, as one stream of event values."""

    def __init__(self, on_event: Callable[[RunEvent], None]) -> None:
        self.on_event = on_event

    def run_started(self, plan: RunPlan, kernel_started: bool) -> None:
        self.on_event(RunStarted(plan, kernel_started))

    def step_started(self, position: int, total: int, step: PlanStep) -> None:
        self.on_event(StepStarted(position, total, step))

    def step_output(self, step: PlanStep, output: dict[str, Any]) -> None:
        self.on_event(StepOutput(step, output))

    def step_finished(self, position: int, total: int, result: StepResult) -> None:
        self.on_event(StepFinished(position, total, result))


def plan_run(
    notebook: Notebook, mode: str, cell: str | int | None = None, pipeline: Pipeline | None = None
) -> RunPlan:
    """The plan for ``mode`` (``upTo``, ``cell``, ``all``); ``cell`` is a reference or an index."""
    index = resolve_cell(notebook, cell).index if isinstance(cell, str) else cell
    return plan(pipeline if pipeline is not None else build(notebook), mode, index)


def open_cache(
    notebook: Notebook,
    overrides: Mapping[str, Override],
    *,
    cache_dir: str | None = None,
    cache_all: bool = False,
    on_note: Callable[[str], None] | None = None,
) -> StepCache | None:
    """The cache a run of ``notebook`` uses; None when the notebook has no file to key it by."""
    # the cache package loads only for runs that use it
    from link_ls.cache import CacheOptions, make_step_cache

    if notebook.path is None:
        return None
    options = CacheOptions(
        cache_dir=cache_dir, cache_all=cache_all, parameters=overrides, on_note=on_note
    )
    return make_step_cache(notebook.path, options)


def run(
    notebook: Notebook,
    plan: RunPlan,
    kernel: KernelSession,
    cache: StepCache | None,
    params: Sequence[ParamValue],
    on_event: Callable[[RunEvent], None] | None = None,
    *,
    timeout: float | None = None,
    cancel: threading.Event | None = None,
) -> RunReport:
    """Run ``plan`` in ``kernel``: parameters first, then each step (restored when cached).

    ``timeout`` is per cell, in seconds; setting ``cancel`` from any thread
    interrupts the running cell and stops the run. Blocks until the run ends.
    """
    from link_ls.kernel.runner import run_plan

    observer = _Events(on_event) if on_event is not None else None
    return run_plan(
        kernel,
        notebook,
        plan,
        parameters=params,
        timeout=timeout,
        cache=cache,
        observer=observer,
        cancel=cancel,
    )


def write_outputs(notebook: Notebook, report: RunReport, path: Path) -> None:
    """Put the run's outputs into ``notebook`` and save it to ``path`` (validated, atomic)."""
    # nbformat's validator loads only when outputs are written (not at server start)
    from link_ls.kernel.writeback import apply_report, validate

    apply_report(notebook, report)
    validate(notebook)
    save(notebook, path)
