"""The CLI's view of a scaled-out run: a live per-component table, outputs as components end."""

from __future__ import annotations

import sys
import time
from typing import Any

from rich.live import Live
from rich.markup import escape
from rich.table import Table

from link_ls.cli.common import console
from link_ls.executors import (
    ClusterReady,
    ComponentFinished,
    ComponentResult,
    ComponentStarted,
    ScaleEvent,
    ScaleReport,
)
from link_ls.kernel.outputs import output_text
from link_ls.kernel.report import StepStatus

_STYLE = {
    StepStatus.EXECUTED: "green",
    StepStatus.RESTORED: "cyan",
    StepStatus.ERROR: "red",
    StepStatus.NOT_RUN: "yellow",
    StepStatus.SKIPPED: "dim",
}


def _status(result: ComponentResult) -> str:
    if result.blocked_by is not None:
        return "[yellow]skipped[/]"
    text = result.status.value
    return f"[{_STYLE.get(result.status, 'white')}]{text}[/]"


def summary_table(report: ScaleReport, names: dict[int, str]) -> Table:
    """Each component's outcome and where it ran."""
    t = Table(title=f"{report.executor} run", expand=False)
    for col in ("component", "outcome", "where", "time"):
        t.add_column(col)
    for r in report.components:
        d = r.duration
        note = ""
        if r.blocked_by is not None:
            note = f" (ancestor {escape(r.blocked_by)} did not complete)"
        elif r.error is not None:
            note = f" ({escape(r.error.summary)})"
        t.add_row(
            escape(names.get(r.index, str(r.index + 1))),
            _status(r) + note,
            escape(r.where),
            "" if d is None else f"{d:.1f} s",
        )
    return t


class ScaleView:
    """Receives run events; on a terminal a live table, otherwise one line per component."""

    def __init__(self, names: dict[int, str], tty: bool) -> None:
        self.names = names
        self.tty = tty
        self.state: dict[int, tuple[str, str, float | None]] = {
            i: ("[dim]waiting[/]", "", None) for i in names
        }
        self.live: Live | None = None

    def __enter__(self) -> ScaleView:
        if self.tty:
            self.live = Live(self._table(), console=console, transient=True, refresh_per_second=4)
            self.live.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.live is not None:
            self.live.stop()

    def _table(self) -> Table:
        t = Table(expand=False)
        for col in ("component", "state", "where", "time"):
            t.add_column(col)
        now = time.time()
        for idx, name in self.names.items():
            state, where, since = self.state[idx]
            shown = f"{now - since:.1f} s" if since is not None else ""
            t.add_row(escape(name), state, escape(where), shown)
        return t

    def _print(self, text: str) -> None:
        if self.live is not None:
            self.live.console.print(text, markup=False, highlight=False, end="")
        else:
            sys.stdout.write(text)
            sys.stdout.flush()

    def __call__(self, event: ScaleEvent) -> None:
        if isinstance(event, ClusterReady):
            line = f"{event.executor}: {len(event.workers)} workers"
            if event.dashboard:
                line += f", Dask dashboard {event.dashboard}"
            console.print(escape(line))
        elif isinstance(event, ComponentStarted):
            # Dask says when a task is submitted, not when a worker picks it up
            state = (
                "[blue]submitted[/]" if event.where.startswith("submitted") else "[blue]running[/]"
            )
            self.state[event.task.index] = (state, event.where, time.time())
        elif isinstance(event, ComponentFinished):
            self._finished(event.task.name, event.result)
        if self.live is not None:
            self.live.update(self._table())

    def _finished(self, name: str, r: ComponentResult) -> None:
        self.state[r.index] = (_status(r), r.where, None)
        head = f"[{r.describe()}] {name}\n"
        body = "".join(_text(o, self.tty) for o in r.outputs)
        self._print(head + body)


def _text(output: dict[str, Any], tty: bool) -> str:
    text = output_text(output, ansi=tty)
    return text if not text or text.endswith("\n") else text + "\n"
