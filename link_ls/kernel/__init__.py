"""Execution through Jupyter kernels: sessions, run plans cell by cell, reports, a kernel pool.

Names are imported on first use: ``jupyter_client`` and ``zmq`` take a noticeable
part of a second to import, and most link-ls commands (or a caller that only
needs :mod:`link_ls.kernel.params`) never start a kernel.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from link_ls.lazy import lazy_attributes

if TYPE_CHECKING:
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
    from link_ls.kernel.observer import RunObserver
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
    from link_ls.kernel.runner import run_plan
    from link_ls.kernel.session import (
        ExecStatus,
        Execution,
        KernelSession,
        shutdown_live_sessions,
    )
    from link_ls.kernel.spec import DEFAULT_KERNEL, available_kernels, resolve_spec
    from link_ls.kernel.writeback import InvalidOutputsError, apply_report, validate

_WHERE = {
    "errors": [
        "KernelDiedError",
        "KernelError",
        "KernelExecError",
        "KernelNotFound",
        "KernelStartError",
        "KernelTimeoutError",
        "ParameterError",
    ],
    "hooks": ["CacheDecision", "StepAction", "StepCache"],
    "outputs": ["output_text", "strip_ansi"],
    "params": ["ParamValue", "parse_overrides", "resolve_parameters"],
    "pool": ["KernelPool"],
    "report": ["ErrorKind", "RunOutcome", "RunReport", "StepError", "StepResult", "StepStatus"],
    "observer": ["RunObserver"],
    "runner": ["run_plan"],
    "session": ["ExecStatus", "Execution", "KernelSession", "shutdown_live_sessions"],
    "spec": ["DEFAULT_KERNEL", "available_kernels", "resolve_spec"],
    "writeback": ["InvalidOutputsError", "apply_report", "validate"],
}
_MODULE = {name: mod for mod, names in _WHERE.items() for name in names}

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


__getattr__ = lazy_attributes(__name__, {k: f"{__name__}.{m}" for k, m in _MODULE.items()})
