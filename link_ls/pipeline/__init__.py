"""Pipeline DAG: declared and inferred edges, diagnostics, run plans."""

from __future__ import annotations

from link_ls.pipeline.checks import check
from link_ls.pipeline.codes import Code
from link_ls.pipeline.graph import ParentLink, Pipeline, build
from link_ls.pipeline.model import Diagnostic, Edge, PlanStep, RunPlan, Severity
from link_ls.pipeline.plan import plan, plan_all, plan_cell, plan_up_to, up_to_sizes

__all__ = [
    "Code",
    "Diagnostic",
    "Edge",
    "ParentLink",
    "Pipeline",
    "PlanStep",
    "RunPlan",
    "Severity",
    "build",
    "check",
    "plan",
    "plan_all",
    "plan_cell",
    "plan_up_to",
    "up_to_sizes",
]
