"""Execution through Jupyter kernels: sessions, run plans cell by cell, reports, a kernel pool."""

from __future__ import annotations

from link_ls.kernel.errors import (
    KernelDiedError,
    KernelError,
    KernelExecError,
    KernelNotFound,
    KernelStartError,
    KernelTimeoutError,
)
from link_ls.kernel.hooks import CacheDecision, StepAction, StepCache
from link_ls.kernel.session import ExecStatus, Execution, KernelSession, shutdown_live_sessions
from link_ls.kernel.spec import DEFAULT_KERNEL, available_kernels, resolve_spec

__all__ = [
    "DEFAULT_KERNEL",
    "CacheDecision",
    "ExecStatus",
    "Execution",
    "KernelDiedError",
    "KernelError",
    "KernelExecError",
    "KernelNotFound",
    "KernelSession",
    "KernelStartError",
    "KernelTimeoutError",
    "StepAction",
    "StepCache",
    "available_kernels",
    "resolve_spec",
    "shutdown_live_sessions",
]
