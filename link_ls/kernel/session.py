"""One live Jupyter kernel: start, execute code with timeout/interrupt/death handling, shut down.

A :class:`KernelSession` owns a ``KernelManager`` and a ``BlockingKernelClient``.
All talking to the kernel happens under :attr:`KernelSession.lock` in the thread
that runs; :meth:`KernelSession.interrupt` may be called from any other thread
(it only raises a flag that the executing loop turns into a kernel interrupt).
Every session is registered for shutdown at interpreter exit, so no kernel
outlives the process that started it.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import subprocess
import tempfile
import threading
import time
import uuid
import weakref
from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import IO, Any

import zmq
from jupyter_client.blocking.client import BlockingKernelClient
from jupyter_client.manager import KernelManager
from jupyter_core.paths import jupyter_runtime_dir

from link_ls.kernel.errors import (
    KernelDiedError,
    KernelExecError,
    KernelStartError,
    KernelTimeoutError,
)
from link_ls.kernel.helpercode import helper_cell
from link_ls.kernel.outputs import OutputCallback, OutputCollector
from link_ls.kernel.spec import DEFAULT_KERNEL, LinkKernelSpecManager, resolve_spec

#: connection files are named after the process that started the kernel, so a
#: process-table scan can tell which kernels a link-ls process left behind
CONNECTION_PREFIX = "link-ls-kernel-"

_POLL_MS = 100
_ALIVE_EVERY = 0.5
#: how long the idle status may lag behind the execute reply before we stop waiting
_IDLE_LAG = 5.0


class ExecStatus(str, Enum):
    OK = "ok"
    ERROR = "error"
    TIMEOUT = "timeout"
    INTERRUPTED = "interrupted"
    DIED = "kernel-died"


@dataclass(frozen=True)
class Execution:
    """What one execution produced: nbformat outputs, the count, and how it ended."""

    status: ExecStatus
    outputs: tuple[dict[str, Any], ...]
    execution_count: int | None
    duration: float
    ename: str = ""
    evalue: str = ""
    traceback: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return self.status is ExecStatus.OK

    def stdout(self) -> str:
        return "".join(
            str(o["text"])
            for o in self.outputs
            if o["output_type"] == "stream" and o.get("name") == "stdout"
        )


def connection_tag(pid: int | None = None) -> str:
    """The part of a kernel's command line that names the link-ls process owning it."""
    return f"{CONNECTION_PREFIX}{os.getpid() if pid is None else pid}-"


class KernelSession:
    """A kernel for one notebook. Start it with :meth:`start`; it restarts only when asked."""

    def __init__(
        self,
        kernel_name: str | None = None,
        *,
        cwd: str | os.PathLike[str] | None = None,
        startup_timeout: float = 60.0,
        interrupt_grace: float = 10.0,
    ) -> None:
        self.kernel_name = kernel_name or DEFAULT_KERNEL
        # resolved now, so a missing kernelspec is reported before any work starts
        self.spec = resolve_spec(self.kernel_name)
        self.cwd = Path(cwd) if cwd is not None else None
        self.startup_timeout = startup_timeout
        self.interrupt_grace = interrupt_grace
        self.lock = threading.RLock()
        #: how many kernels this session has started (a new one after each death/restart)
        self.generation = 0
        self._km: KernelManager | None = None
        self._kc: BlockingKernelClient | None = None
        self._stderr: IO[str] | None = None
        self._stderr_path: Path | None = None
        self._current_cancel: threading.Event | None = None
        _LIVE.add(self)

    # -- lifecycle ---------------------------------------------------------------------
    @property
    def language(self) -> str:
        return str(self.spec.language or "python")

    @property
    def is_alive(self) -> bool:
        km = self._km
        return km is not None and bool(km.is_alive())

    @property
    def pid(self) -> int | None:
        km = self._km
        prov = km.provisioner if km is not None else None
        proc = getattr(prov, "process", None)
        pid = getattr(proc, "pid", None)
        return pid if isinstance(pid, int) else None

    def start(self) -> bool:
        """Start the kernel unless one is running; True when a new kernel was started."""
        with self.lock:
            if self.is_alive:
                return False
            self._teardown(now=True)
            self._launch()
            return True

    def _launch(self) -> None:
        runtime = _runtime_dir()
        tag = f"{connection_tag()}{uuid.uuid4().hex[:12]}"
        km = KernelManager(
            kernel_name=self.kernel_name, kernel_spec_manager=LinkKernelSpecManager()
        )
        km.connection_file = str(runtime / f"{tag}.json")
        km.shutdown_wait_time = 3.0
        self._stderr_path = runtime / f"{tag}.stderr"
        self._stderr = open(self._stderr_path, "w", encoding="utf-8")  # noqa: SIM115
        # the debugger's "frozen modules" warning is noise on every start
        env = dict(os.environ, PYDEVD_DISABLE_FILE_VALIDATION="1")
        self._km = km
        try:
            km.start_kernel(
                cwd=str(self.cwd) if self.cwd else None,
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=self._stderr,
            )
            kc = km.client()
            kc.start_channels()
            self._kc = kc
            kc.wait_for_ready(timeout=self.startup_timeout)
        except Exception as e:
            detail = self._stderr_tail()
            self._teardown(now=True)
            raise KernelStartError(
                f"kernel {self.kernel_name!r} did not start: {e}"
                + (f" — kernel said: {detail}" if detail else "")
            ) from None
        self.generation += 1

    def _stderr_tail(self, lines: int = 5) -> str:
        if self._stderr_path is None:
            return ""
        try:
            text = self._stderr_path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""
        kept = [ln for ln in text.splitlines() if ln.strip() and "without encryption" not in ln]
        return " | ".join(kept[-lines:])

    def _teardown(self, *, now: bool) -> None:
        kc, km = self._kc, self._km
        self._kc = self._km = None
        if kc is not None:
            with contextlib.suppress(Exception):
                kc.stop_channels()
        if km is not None:
            with contextlib.suppress(Exception):
                km.shutdown_kernel(now=now or not km.is_alive())
            with contextlib.suppress(Exception):
                km.cleanup_resources()
        if self._stderr is not None:
            with contextlib.suppress(OSError):
                self._stderr.close()
            self._stderr = None
        if self._stderr_path is not None:
            with contextlib.suppress(OSError):
                self._stderr_path.unlink()
            self._stderr_path = None

    def restart(self) -> None:
        """A fresh kernel: every variable is gone."""
        self.interrupt()
        with self.lock:
            self._teardown(now=False)
            self._launch()

    def shutdown(self, *, now: bool = False) -> None:
        """Stop the kernel (interrupting whatever runs); the session can be started again."""
        self.interrupt()
        with self.lock:
            self._teardown(now=now)

    def interrupt(self) -> bool:
        """Interrupt the running execution (from any thread); False when nothing runs."""
        ev = self._current_cancel
        if ev is None:
            return False
        ev.set()
        return True

    # -- executing ---------------------------------------------------------------------
    def execute(
        self,
        code: str,
        *,
        timeout: float | None = None,
        cancel: threading.Event | None = None,
        on_output: OutputCallback | None = None,
        silent: bool = False,
    ) -> Execution:
        """Run ``code`` like a notebook cell (or silently: no count, no history, no result)."""
        with self.lock:
            kc, km = self._kc, self._km
            if kc is None or km is None or not km.is_alive():
                raise KernelDiedError(f"kernel {self.kernel_name!r} is not running")
            ev = cancel if cancel is not None else threading.Event()
            self._current_cancel = ev
            try:
                return self._execute(kc, km, code, timeout, ev, on_output, silent)
            finally:
                self._current_cancel = None

    def _execute(
        self,
        kc: BlockingKernelClient,
        km: KernelManager,
        code: str,
        timeout: float | None,
        cancel: threading.Event,
        on_output: OutputCallback | None,
        silent: bool,
    ) -> Execution:
        """Send ``code``, then poll until its reply and idle status (or a stop, or a death)."""
        ex = _Exchange(kc, code, on_output, silent, timeout)
        while ex.reply is None or not ex.idle:
            now = time.monotonic()
            if ex.stop_overdue(now, cancel, km, self.interrupt_grace):
                # the kernel ignores interrupts (busy in C code, or SIGINT masked):
                # only a new kernel makes the session usable again
                self._teardown(now=True)
                return ex.unresponsive(self.interrupt_grace)
            if ex.reply is not None and now - ex.reply_at > _IDLE_LAG:
                break
            if now >= ex.next_alive:
                ex.next_alive = now + _ALIVE_EVERY
                if not km.is_alive():
                    return self._died(ex)
            ex.poll()
        return ex.finish()

    def _died(self, ex: _Exchange) -> Execution:
        # outputs the kernel sent just before it died are still queued
        for msg in _drain(ex.kc):
            ex.take(msg)
        detail = self._stderr_tail()
        self._teardown(now=True)
        return ex.done(
            ExecStatus.DIED,
            ename="KernelDied",
            evalue="the kernel process exited"
            + (f" ({detail})" if detail else "")
            + "; the next run starts a new kernel",
        )

    def run_silent(self, code: str, timeout: float | None = None) -> str:
        """Run helper code: no execution count, no history, no cell output; returns its stdout.

        Raises :class:`KernelExecError` when the code raises, :class:`KernelTimeoutError`
        when it overruns ``timeout`` (it is interrupted), :class:`KernelDiedError` when
        the kernel dies. In a Python kernel ``code`` must be plain Python (no magics): it
        runs as one ``exec`` (:func:`link_ls.kernel.helpercode.helper_cell`).
        """
        if self.language == "python":
            code = helper_cell(code)
        ex = self.execute(code, timeout=timeout, silent=True)
        if ex.status is ExecStatus.OK:
            return ex.stdout()
        if ex.status is ExecStatus.ERROR:
            raise KernelExecError(ex.ename, ex.evalue, ex.traceback)
        if ex.status is ExecStatus.DIED:
            raise KernelDiedError(f"kernel {self.kernel_name!r} died: {ex.evalue}")
        raise KernelTimeoutError(f"kernel helper code stopped: {ex.evalue}")


def _runtime_dir() -> Path:
    """Jupyter's runtime folder, or the temp folder when that cannot be created (read-only home)."""
    runtime = Path(jupyter_runtime_dir())
    try:
        runtime.mkdir(parents=True, exist_ok=True)
    except OSError:
        return Path(tempfile.gettempdir())
    return runtime


class _Exchange:
    """One execute request in flight: its outputs, its reply, whether it is being stopped."""

    def __init__(
        self,
        kc: BlockingKernelClient,
        code: str,
        on_output: OutputCallback | None,
        silent: bool,
        timeout: float | None,
    ) -> None:
        self.kc = kc
        self.silent = silent
        self.timeout = timeout
        self.collector = OutputCollector(on_output)
        self.start = time.monotonic()
        self.msg_id = kc.execute(
            code, silent=silent, store_history=not silent, allow_stdin=False, stop_on_error=True
        )
        self.poller = zmq.Poller()
        self.poller.register(kc.iopub_channel.socket, zmq.POLLIN)
        self.poller.register(kc.shell_channel.socket, zmq.POLLIN)
        self.deadline = self.start + timeout if timeout is not None else None
        self.reply: Mapping[str, Any] | None = None
        self.reply_at = 0.0
        self.idle = False
        self.stopping: ExecStatus | None = None
        self.grace_until = 0.0
        self.next_alive = self.start + _ALIVE_EVERY

    def done(self, status: ExecStatus, **err: Any) -> Execution:
        count = self.reply.get("execution_count") if self.reply is not None else None
        return Execution(
            status,
            self.collector.snapshot(),
            count if isinstance(count, int) and not self.silent else None,
            time.monotonic() - self.start,
            **err,
        )

    def take(self, msg: dict[str, Any]) -> bool:
        """Apply an iopub message of this execution; True when it says the kernel is idle."""
        if msg["parent_header"].get("msg_id") != self.msg_id:
            return False
        if msg["msg_type"] == "status":
            return bool(msg["content"].get("execution_state") == "idle")
        self.collector.handle(msg["msg_type"], msg["content"])
        return False

    def stop_overdue(
        self, now: float, cancel: threading.Event, km: KernelManager, grace: float
    ) -> bool:
        """Interrupt on cancel or timeout; True once the interrupt went unanswered too long."""
        if self.stopping is None:
            if cancel.is_set():
                self.stopping = ExecStatus.INTERRUPTED
            elif self.deadline is not None and now >= self.deadline:
                self.stopping = ExecStatus.TIMEOUT
            if self.stopping is not None:
                with contextlib.suppress(Exception):
                    km.interrupt_kernel()
                self.grace_until = now + grace
            return False
        return now >= self.grace_until

    def unresponsive(self, grace: float) -> Execution:
        assert self.stopping is not None
        return self.done(
            self.stopping,
            ename="KernelRestarted",
            evalue=f"the kernel did not respond to an interrupt within "
            f"{grace:g} s and was stopped; its variables are lost",
        )

    def poll(self) -> None:
        """Wait up to one poll interval for messages of this execution and apply them."""
        kc = self.kc
        ready = dict(self.poller.poll(_POLL_MS))
        if kc.iopub_channel.socket in ready:
            self.idle = self.take(kc.iopub_channel.get_msg(timeout=0)) or self.idle
        if kc.shell_channel.socket in ready:
            msg = kc.shell_channel.get_msg(timeout=0)
            if msg["parent_header"].get("msg_id") == self.msg_id:
                self.reply = msg["content"]
                self.reply_at = time.monotonic()

    def finish(self) -> Execution:
        """The execution's result once its reply arrived."""
        reply = self.reply
        assert reply is not None
        if self.stopping is not None:
            stop = _stop_text(self.stopping, self.timeout)
            return self.done(self.stopping, ename="KeyboardInterrupt", evalue=stop)
        if reply.get("status") == "ok":
            return self.done(ExecStatus.OK)
        tb = reply.get("traceback")
        return self.done(
            ExecStatus.ERROR,
            ename=str(reply.get("ename", "Error")),
            evalue=str(reply.get("evalue", "")),
            traceback=tuple(str(t) for t in tb) if isinstance(tb, list) else (),
        )


def _drain(kc: BlockingKernelClient) -> list[dict[str, Any]]:
    msgs: list[dict[str, Any]] = []
    with contextlib.suppress(Exception):
        while kc.iopub_channel.msg_ready():
            msgs.append(kc.iopub_channel.get_msg(timeout=0))
    return msgs


def _stop_text(status: ExecStatus, timeout: float | None) -> str:
    if status is ExecStatus.TIMEOUT:
        return f"the cell ran longer than the timeout ({timeout:g} s) and was interrupted"
    return "the run was interrupted"


_LIVE: weakref.WeakSet[KernelSession] = weakref.WeakSet()


def shutdown_live_sessions() -> None:
    """Stop every kernel this process started (also runs at interpreter exit)."""
    for s in list(_LIVE):
        with contextlib.suppress(Exception):
            s.shutdown(now=True)


atexit.register(shutdown_live_sessions)
