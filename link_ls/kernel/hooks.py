"""The runner's contract with a step cache: before each step it asks whether to run it.

The cache (``link_ls.cache``) implements :class:`StepCache`. The runner calls
:meth:`StepCache.prepare` once per run, :meth:`StepCache.decide` before each step
in plan order and :meth:`StepCache.after_execute` after a step executed without
error. A ``LinkError`` raised by the cache stops the run at that step (reported
as an error of kind ``cache``): a restore that failed half-way must never be
followed by steps that relied on it.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from link_ls.notebook import Notebook
from link_ls.pipeline import PlanStep, RunPlan

if TYPE_CHECKING:
    from link_ls.kernel.session import KernelSession


class StepAction(Enum):
    EXECUTE = "execute"
    RESTORED = "restored"
    SKIPPED = "skipped"


@dataclass(frozen=True)
class CacheDecision:
    """What to do with one step. ``outputs`` are the restored step's nbformat outputs."""

    action: StepAction
    outputs: tuple[dict[str, Any], ...] = ()


EXECUTE = CacheDecision(StepAction.EXECUTE)


class StepCache(Protocol):
    def prepare(self, nb: Notebook, plan: RunPlan) -> None:
        """Called once before the first step of a run (after parameters are set)."""

    def decide(self, session: KernelSession, step: PlanStep) -> CacheDecision:
        """Called before each step in plan order.

        RESTORED: the cache put the step's variables into the kernel and returns its
        outputs; SKIPPED: not needed (a later restore covers it); EXECUTE: run it.
        """

    def after_execute(
        self, session: KernelSession, step: PlanStep, outputs: tuple[dict[str, Any], ...]
    ) -> None:
        """Called after a step executed without error (the cache may store an entry)."""


@runtime_checkable
class ReportingStepCache(StepCache, Protocol):
    def report(self) -> dict[str, Any]:
        """What the cache did in the run, as JSON (the run report's ``cache``)."""
