"""Execution through Jupyter kernels: sessions, run plans cell by cell, reports, a kernel pool."""

from __future__ import annotations

from link_ls.kernel.errors import (
    KernelDiedError,
    KernelError,
    KernelExecError,
    KernelNotFound,
    KernelStartError,
    KernelTimeoutError,
    ParameterError,
)
from link_ls.kernel.hooks import CacheDecision, StepAction, StepCache
from link_ls.kernel.outputs import output_text, strip_ansi
from link_ls.kernel.params import ParamValue, parse_overrides, resolve_parameters
from link_ls.kernel.pool import KernelPool
from link_ls.kernel.report import (
    ErrorKind,
    RunOutcome,
    RunReport,
    StepError,
    StepResult,
    StepStatus,
)
from link_ls.kernel.runner import RunObserver, run_plan
from link_ls.kernel.session import ExecStatus, Execution, KernelSession, shutdown_live_sessions
from link_ls.kernel.spec import DEFAULT_KERNEL, available_kernels, resolve_spec
from link_ls.kernel.writeback import InvalidOutputsError, apply_report, validate

__all__ = [
    "DEFAULT_KERNEL",
    "CacheDecision",
    "ErrorKind",
    "ExecStatus",
    "Execution",
    "InvalidOutputsError",
    "KernelDiedError",
    "KernelError",
    "KernelExecError",
    "KernelNotFound",
    "KernelPool",
    "KernelSession",
    "KernelStartError",
    "KernelTimeoutError",
    "ParamValue",
    "ParameterError",
    "RunObserver",
    "RunOutcome",
    "RunReport",
    "StepAction",
    "StepCache",
    "StepError",
    "StepResult",
    "StepStatus",
    "apply_report",
    "available_kernels",
    "output_text",
    "parse_overrides",
    "resolve_parameters",
    "resolve_spec",
    "run_plan",
    "shutdown_live_sessions",
    "strip_ansi",
    "validate",
]
