"""Progress callbacks of a run (kept apart from the runner so importing them starts no kernel)."""

from __future__ import annotations

from typing import Any

from link_ls.kernel.report import StepResult
from link_ls.pipeline import PlanStep, RunPlan


class RunObserver:
    """Progress callbacks of a run; override what you need (all run in the running thread)."""

    def run_started(self, plan: RunPlan, kernel_started: bool) -> None:
        """The kernel is ready and the parameters are set."""

    def step_started(self, position: int, total: int, step: PlanStep) -> None:
        """``position`` is 1-based within the plan."""

    def step_output(self, step: PlanStep, output: dict[str, Any]) -> None:
        """An output as it arrives (stream outputs arrive chunk by chunk)."""

    def step_finished(self, position: int, total: int, result: StepResult) -> None:
        """The step executed, was restored or skipped, or failed."""
