"""Python execution for a component on a Dask worker: an in-process IPython shell.

The worker has no Jupyter kernel; an ``InteractiveShell`` runs the component's code
instead, so magics, ``!cmd`` and the display system work as in a notebook. What the
code prints and displays is turned into nbformat outputs by the kernel layer's own
:class:`~link_ls.kernel.outputs.OutputCollector` (fed the messages a kernel would send),
so outputs have the shape a serial run gives them.

A worker process has one shell (IPython's is a process-wide singleton and stdout is
process-wide too), so components on one worker run one at a time: start workers with
one thread each (``dask worker --nthreads 1``); a lock enforces it otherwise.
"""

from __future__ import annotations

import contextlib
import io
import sys
import threading
from collections.abc import Iterator
from typing import Any

from link_ls.executors.component import CellRun, OutputCallback
from link_ls.kernel.outputs import OutputCollector
from link_ls.kernel.report import ErrorKind, StepError

#: held for a whole component by the dask task, and by each call (re-entrant)
COMPONENT_LOCK = threading.RLock()


class _Stream(io.TextIOBase):
    """A stdout/stderr replacement that forwards writes as stream messages."""

    def __init__(self, name: str, collector: OutputCollector) -> None:
        self.name_ = name
        self.collector = collector

    def write(self, s: str) -> int:
        if s:
            self.collector.handle("stream", {"name": self.name_, "text": s})
        return len(s)

    def writable(self) -> bool:
        return True


class ShellSession:
    """Runs code in this process's IPython shell, capturing outputs (ComponentSession)."""

    def __init__(self) -> None:
        from IPython.core.interactiveshell import InteractiveShell
        from traitlets.config import Config

        config = Config()
        # workers of one machine share ~/.ipython's history database: its lock would
        # serialise them, and a worker's history is of no use to anyone
        config.HistoryManager.enabled = False
        self.shell: Any = InteractiveShell.instance(config=config)
        self._collector: OutputCollector | None = None
        self._error: StepError | None = None
        self._install_hooks()

    def _install_hooks(self) -> None:
        from IPython.core.displayhook import DisplayHook
        from IPython.core.displaypub import DisplayPublisher

        session = self

        class Publisher(DisplayPublisher):
            def publish(
                self,
                data: dict[str, Any],
                metadata: dict[str, Any] | None = None,
                source: Any = None,
                *,
                transient: dict[str, Any] | None = None,
                update: bool = False,
                **kwargs: Any,
            ) -> None:
                c = session._collector
                if c is not None:
                    kind = "update_display_data" if update else "display_data"
                    c.handle(
                        kind,
                        {"data": data, "metadata": metadata or {}, "transient": transient or {}},
                    )

            def clear_output(self, wait: bool = False) -> None:
                if session._collector is not None:
                    session._collector.handle("clear_output", {"wait": wait})

        class Hook(DisplayHook):
            def write_output_prompt(self) -> None:
                pass

            def write_format_data(
                self, format_dict: dict[str, Any], md_dict: dict[str, Any] | None = None
            ) -> None:
                c = session._collector
                if c is not None:
                    c.handle(
                        "execute_result",
                        {
                            "data": format_dict,
                            "metadata": md_dict or {},
                            "execution_count": self.prompt_count,
                        },
                    )

            def finish_displayhook(self) -> None:
                pass

        sh = self.shell
        sh.display_pub = Publisher(shell=sh, parent=sh)  # type: ignore[no-untyped-call]
        sh.displayhook = Hook(shell=sh, cache_size=sh.cache_size, parent=sh)  # type: ignore[no-untyped-call]
        sh.display_trap.hook = sh.displayhook

        def showtraceback(etype: Any, evalue: Any, stb: list[str]) -> None:
            name = getattr(etype, "__name__", str(etype))
            session._error = StepError(ErrorKind.EXCEPTION, name, str(evalue), tuple(stb))
            if session._collector is not None:
                session._collector.handle(
                    "error", {"ename": name, "evalue": str(evalue), "traceback": stb}
                )

        sh._showtraceback = showtraceback

    @contextlib.contextmanager
    def _capture(self, collector: OutputCollector) -> Iterator[None]:
        self._collector, self._error = collector, None
        out, err = sys.stdout, sys.stderr
        sys.stdout = _Stream("stdout", collector)
        sys.stderr = _Stream("stderr", collector)
        try:
            yield
        finally:
            sys.stdout, sys.stderr = out, err
            self._collector = None

    def run_cell(
        self, source: str, timeout: float | None, on_output: OutputCallback | None
    ) -> CellRun:
        collector = OutputCollector(on_output)
        with COMPONENT_LOCK, self._capture(collector):
            result = self.shell.run_cell(source, store_history=True)
        error = self._error
        if error is None and not result.success:
            exc = result.error_in_exec or result.error_before_exec
            error = StepError(ErrorKind.EXCEPTION, type(exc).__name__, str(exc))
        count = result.execution_count if isinstance(result.execution_count, int) else None
        return CellRun(collector.snapshot(), error, count)

    def run_silent(self, code: str, timeout: float | None = None) -> str:
        """Run helper code; its stdout. Raises RuntimeError when the code raises.

        Compiled and run as plain Python in the shell's namespace: helper code uses no
        IPython syntax, and IPython's input transformers cost more than running it.
        """
        collector = OutputCollector()
        with COMPONENT_LOCK, self._capture(collector):
            try:
                exec(compile(code, "<link-ls>", "exec"), self.shell.user_ns)
            except Exception as exc:
                raise RuntimeError(f"{type(exc).__name__}: {exc}") from None
        return "".join(
            str(o.get("text", "")) for o in collector.outputs if o.get("name") == "stdout"
        )


_SESSION: ShellSession | None = None


def worker_session() -> ShellSession:
    """This process's shell session (created on first use)."""
    global _SESSION
    if _SESSION is None:
        _SESSION = ShellSession()
    return _SESSION
