"""Kernels by notebook: one session per key (a path or a document URI), thread-safe.

The server keeps one :class:`KernelPool`. ``run`` starts the key's kernel on
first use (or again after it died), ``interrupt`` stops the running cell from any
thread, ``restart`` gives a fresh kernel, ``shutdown_all`` ends every kernel when
the server exits. A run and a restart of one key never overlap: the restart
interrupts the run, then waits for it to finish.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Iterator, Mapping

from link_ls.kernel.hooks import StepCache
from link_ls.kernel.observer import RunObserver
from link_ls.kernel.params import resolve_parameters
from link_ls.kernel.report import RunReport
from link_ls.kernel.runner import run_plan
from link_ls.kernel.session import KernelSession
from link_ls.notebook import Notebook
from link_ls.pipeline import RunPlan


class KernelPool:
    """Kernel sessions keyed by notebook; every method may be called from any thread."""

    def __init__(
        self,
        *,
        kernel_name: str | None = None,
        startup_timeout: float = 60.0,
        interrupt_grace: float = 10.0,
    ) -> None:
        self.kernel_name = kernel_name
        self.startup_timeout = startup_timeout
        self.interrupt_grace = interrupt_grace
        self._lock = threading.Lock()
        self._sessions: dict[str, KernelSession] = {}
        self._runs: dict[str, threading.Event] = {}

    def session(
        self,
        key: str,
        *,
        kernel_name: str | None = None,
        cwd: str | os.PathLike[str] | None = None,
    ) -> KernelSession:
        """The key's session (created, not started, when new; replaced if the kernel differs)."""
        wanted = kernel_name or self.kernel_name
        old: KernelSession | None = None
        with self._lock:
            s = self._sessions.get(key)
            if s is not None and wanted is not None and s.kernel_name != wanted:
                old, s = s, None
            if s is None:
                s = KernelSession(
                    wanted,
                    cwd=cwd,
                    startup_timeout=self.startup_timeout,
                    interrupt_grace=self.interrupt_grace,
                )
                self._sessions[key] = s
        if old is not None:
            old.shutdown()
        return s

    def get(self, key: str) -> KernelSession | None:
        with self._lock:
            return self._sessions.get(key)

    def keys(self) -> list[str]:
        with self._lock:
            return list(self._sessions)

    def sessions(self) -> dict[str, KernelSession]:
        """A snapshot: key -> session."""
        with self._lock:
            return dict(self._sessions)

    @contextlib.contextmanager
    def lease(
        self,
        key: str,
        nb: Notebook,
        *,
        cancel: threading.Event,
        kernel_name: str | None = None,
    ) -> Iterator[KernelSession]:
        """The key's session for one run (cwd: the notebook's folder); ``interrupt`` sets
        ``cancel`` while the lease lasts."""
        cwd = nb.path.parent if nb.path is not None else None
        s = self.session(key, kernel_name=kernel_name, cwd=cwd)
        with self._lock:
            self._runs[key] = cancel
        try:
            yield s
        finally:
            with self._lock:
                if self._runs.get(key) is cancel:
                    del self._runs[key]

    def run(
        self,
        key: str,
        nb: Notebook,
        plan: RunPlan,
        *,
        overrides: Mapping[str, str] | None = None,
        timeout: float | None = None,
        cache: StepCache | None = None,
        observer: RunObserver | None = None,
        cancel: threading.Event | None = None,
        kernel_name: str | None = None,
    ) -> RunReport:
        """Run ``plan`` in the key's kernel (cwd: the notebook's folder)."""
        params = resolve_parameters(nb.parameters, overrides)
        ev = cancel or threading.Event()
        with self.lease(key, nb, cancel=ev, kernel_name=kernel_name) as s:
            return run_plan(
                s,
                nb,
                plan,
                parameters=params,
                timeout=timeout,
                cache=cache,
                observer=observer,
                cancel=ev,
            )

    def interrupt(self, key: str) -> bool:
        """Interrupt the key's running cell and stop its run; False when nothing runs."""
        with self._lock:
            ev = self._runs.get(key)
            s = self._sessions.get(key)
        hit = False
        if ev is not None:
            ev.set()
            hit = True
        if s is not None:
            hit = s.interrupt() or hit
        return hit

    def restart(self, key: str) -> bool:
        """A fresh kernel for the key (interrupting a run); False when the key has none."""
        self.interrupt(key)
        s = self.get(key)
        if s is None:
            return False
        s.restart()
        return True

    def shutdown(self, key: str) -> None:
        self.interrupt(key)
        with self._lock:
            s = self._sessions.pop(key, None)
        if s is not None:
            s.shutdown()

    def shutdown_all(self) -> None:
        for key in self.keys():
            self.interrupt(key)
        with self._lock:
            sessions = list(self._sessions.values())
            self._sessions.clear()
        for s in sessions:
            s.shutdown()
