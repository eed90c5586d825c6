"""``link-ls run``: execute a notebook (up to a cell, one cell, or all) in a Jupyter kernel."""

from __future__ import annotations

import argparse
import math
import signal
import sys
import threading
from pathlib import Path
from types import FrameType
from typing import Any

from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)

from link_ls.cli.common import console, err_console
from link_ls.errors import UsageError
from link_ls.kernel.outputs import output_text
from link_ls.kernel.params import collect_overrides, resolve_parameters
from link_ls.kernel.report import (
    RunOutcome,
    RunReport,
    StepResult,
    StepStatus,
    failure_message,
    step_label,
)
from link_ls.notebook import Notebook, NotebookFormat, load
from link_ls.pipeline import PlanStep, RunPlan
from link_ls.usecases import run as runs

ORDER = 30


def register(sub: Any) -> None:
    p: argparse.ArgumentParser = sub.add_parser(
        "run",
        help="run a notebook up to a cell, one cell, or all of it, in a Jupyter kernel",
        description="Execute a notebook through a Jupyter kernel (default: python3, ipykernel in "
        "link-ls's own Python). --to runs a cell's ancestors, then the cell; --cell runs one "
        "cell; --all (the default) runs every cell in DAG order. Pipeline parameters are set "
        "before the first cell. Exit 0 when every cell ran, 1 when a cell failed (raised, timed "
        "out, or the kernel died: the run stops there), 2 for bad input, 130 when interrupted. "
        "See docs/run.md.",
    )
    p.add_argument("path", metavar="PATH", help=".ipynb or jupytext .py notebook")
    which = p.add_mutually_exclusive_group()
    which.add_argument("--to", metavar="CELL", help="run CELL and everything it depends on")
    which.add_argument("--cell", metavar="CELL", help="run only CELL (in the fresh kernel)")
    which.add_argument("--all", action="store_true", help="run every cell (the default)")
    p.add_argument(
        "--param",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="override a pipeline parameter (converted to its declared type); repeatable",
    )
    p.add_argument(
        "-p",
        "--parameter",
        nargs=3,
        action="append",
        default=[],
        metavar=("NAME", "TYPE", "VALUE"),
        help="override a parameter as Link's `mrx-link run -p` does: TYPE is bool, int, float, "
        "str, dict, list or tuple, VALUE a Python literal (text as is for str); repeatable",
    )
    p.add_argument(
        "--timeout",
        type=float,
        metavar="SECONDS",
        help="stop a cell that runs longer than this (default: no limit)",
    )
    p.add_argument("--kernel", metavar="NAME", help="kernelspec name (default: python3)")
    p.add_argument(
        "--no-cache", action="store_true", help="neither restore from nor save to the cache"
    )
    p.add_argument(
        "--cache-all",
        action="store_true",
        help="cache every component, not only those with Link's diskcache flag",
    )
    p.add_argument(
        "--cache-dir",
        metavar="DIR",
        help="cache store (default: $LINK_LS_CACHE_DIR, else .link_ls/cache/ beside the notebook)",
    )
    _scale_options(p)
    out = p.add_mutually_exclusive_group()
    out.add_argument(
        "--write", action="store_true", help="write the outputs back into PATH (atomically)"
    )
    out.add_argument("-o", "--output", metavar="OUT", help="write the executed notebook to OUT")
    p.set_defaults(func=run)


def _scale_options(p: argparse.ArgumentParser) -> None:
    """--executor and its options (docs/scale.md)."""
    g = p.add_argument_group("scale-out (docs/scale.md)")
    g.add_argument(
        "--executor",
        choices=("serial", "parallel", "dask"),
        default="serial",
        help="serial: one kernel, one cell after another (default); parallel: independent "
        "branches at once, one kernel per running component; dask: every component a task on "
        "a Dask cluster. parallel and dask move variables through the cache store and refuse "
        "a pipeline with edge errors",
    )
    g.add_argument(
        "--workers",
        type=int,
        metavar="N",
        help="parallel: kernels at once; dask: LocalCluster worker processes (default: 4)",
    )
    g.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        help="dask: address of a running scheduler (tcp://host:8786); default: a LocalCluster",
    )
    g.add_argument(
        "--store",
        metavar="URL",
        help="parallel/dask: the cache store every worker reads and writes: a folder, or an "
        "fsspec URL such as s3://bucket/cache (default: --cache-dir, else .link_ls/cache/ "
        "beside the notebook)",
    )


def _run_scaled(
    args: argparse.Namespace,
    nb: Notebook,
    plan: RunPlan,
    target: tuple[Notebook, Path] | None,
    overrides: Any,
    params: Any,
) -> int:
    from link_ls.cli.scale_view import ScaleView, summary_table
    from link_ls.executors import ExecutorOptions, run_scaled

    if args.cell:
        raise UsageError("--cell runs one cell in a fresh kernel; use --executor serial")
    opts = ExecutorOptions(
        executor=args.executor,
        workers=args.workers,
        scheduler=args.scheduler,
        store=args.store or args.cache_dir,
        timeout=args.timeout,
        reuse=not args.no_cache,
        kernel=args.kernel,
    )
    console.print(
        f"[bold]run[/] {escape(args.path)}: {len(plan.steps)} components, executor "
        f"{escape(args.executor)}"
        + (", " + ", ".join(f"{p.name}={p.value!r}" for p in params) if params else ""),
    )
    names = {s.index: s.name or f"cell {s.index + 1}" for s in plan.steps}
    cancel = threading.Event()
    restore = _trap_signals(cancel)
    try:
        with ScaleView(names, console.is_terminal) as view:
            scaled = run_scaled(nb, plan, opts, params, overrides, view, cancel)
    finally:
        restore()
    report = scaled.report
    for note in (report.cache or {}).get("notes", ()):
        # untrusted entries met up front, as a serial run says them (docs/cache.md, "Trust")
        err_console.print(f"link-ls: cache: {note}", markup=False, highlight=False)
    console.print(summary_table(scaled, names))
    console.print(_summary(report) + f" (store {escape(scaled.store)})")
    return _finish(report, target)


def _plan(nb: Notebook, args: argparse.Namespace) -> RunPlan:
    if args.to:
        return runs.plan_run(nb, "upTo", args.to)
    if args.cell:
        return runs.plan_run(nb, "cell", args.cell)
    return runs.plan_run(nb, "all")


def _target(nb: Notebook, args: argparse.Namespace) -> tuple[Notebook, Path] | None:
    """Where outputs go, checked before anything runs; None when they are only printed."""
    if args.write:
        if nb.fmt.is_text or nb.path is None:
            raise UsageError(
                f"{args.path}: a text notebook does not store outputs; use -o OUT.ipynb instead"
            )
        return nb, nb.path
    if args.output:
        out = Path(args.output)
        if out.suffix.lower() == ".py":
            raise UsageError(f"{out}: outputs need an .ipynb file (text notebooks drop them)")
        if not out.parent.exists():
            raise UsageError(f"{out}: folder {out.parent} does not exist")
        if out.is_dir():
            raise UsageError(f"{out}: is a directory")
        if nb.fmt.is_text:
            # a jupytext notebook written with outputs becomes an .ipynb
            fmt = NotebookFormat("ipynb", None, nb.fmt.nbformat_minor)
            return Notebook(nb.node, path=out, fmt=fmt), out
        return nb, out
    return None


class _Printer:
    """Prints each cell's outputs as they arrive (run events); a progress bar on a terminal."""

    def __init__(self, tty: bool) -> None:
        self.tty = tty
        self.progress: Progress | None = None
        self.task: TaskID | None = None
        self._open_line = False

    def __enter__(self) -> _Printer:
        if self.tty:
            self.progress = Progress(
                SpinnerColumn(),
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                console=console,
                transient=True,
            )
            self.progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.progress is not None:
            self.progress.stop()

    def _write(self, text: str) -> None:
        if not text:
            return
        # on a terminal, rich's live display line-buffers stdout and keeps the bar below
        sys.stdout.write(text)
        sys.stdout.flush()
        self._open_line = not text.endswith("\n")

    def _end_line(self) -> None:
        if self._open_line:
            self._write("\n")

    def __call__(self, event: runs.RunEvent) -> None:
        if isinstance(event, runs.RunStarted):
            self.run_started(event.plan)
        elif isinstance(event, runs.StepStarted):
            self.step_started(event.position, event.total, event.step)
        elif isinstance(event, runs.StepOutput):
            self.step_output(event.output)
        else:
            self.step_finished(event.result)

    def run_started(self, plan: RunPlan) -> None:
        if self.progress is not None:
            self.task = self.progress.add_task("starting", total=len(plan.steps))

    def step_started(self, position: int, total: int, step: PlanStep) -> None:
        self._end_line()
        if self.progress is not None and self.task is not None:
            self.progress.update(self.task, description=escape(step_label(step)))
            console.print(f"[bold][{position}/{total}][/] {escape(step_label(step))}")
        else:
            self._write(f"[{position}/{total}] {step_label(step)}\n")

    def step_output(self, output: dict[str, Any]) -> None:
        text = output_text(output, ansi=self.tty)
        if output.get("output_type") != "stream" and text and not text.endswith("\n"):
            text += "\n"
        self._write(text)

    def step_finished(self, result: StepResult) -> None:
        self._end_line()
        if result.status in (StepStatus.RESTORED, StepStatus.SKIPPED):
            self._write(f"    ({result.status.value})\n")
            for out in result.outputs:
                self.step_output(out)
            self._end_line()
        if self.progress is not None and self.task is not None:
            self.progress.advance(self.task)


def _summary(report: RunReport) -> str:
    parts = [
        f"{report.count(s)} {s.value}"
        for s in (StepStatus.EXECUTED, StepStatus.RESTORED, StepStatus.SKIPPED, StepStatus.NOT_RUN)
        if report.count(s)
    ]
    ran = len(report.steps) - report.count(StepStatus.NOT_RUN)
    # the kernel's start-up is a constant no cache changes: said apart from the cells' time
    start = f" (+ kernel start-up {report.kernel_start:.1f} s)" if report.kernel_start else ""
    return (
        f"{ran} of {len(report.steps)} cells in {report.steps_duration:.1f} s{start}: "
        + ", ".join(parts or ["nothing ran"])
    )


def run(args: argparse.Namespace) -> int:
    # jupyter_client and zmq load only when a kernel is about to run
    from link_ls.kernel.session import KernelSession

    if args.timeout is not None and not (math.isfinite(args.timeout) and args.timeout > 0):
        raise UsageError(f"--timeout {args.timeout:g}: must be a positive number of seconds")
    nb = load(args.path)
    plan = _plan(nb, args)
    target = _target(nb, args)
    overrides = collect_overrides(args.param, args.parameter)
    params = resolve_parameters(nb.parameters, overrides)
    if args.executor != "serial" and plan.steps:
        return _run_scaled(args, nb, plan, target, overrides, params)
    if args.workers is not None or args.scheduler or args.store:
        raise UsageError("--workers, --scheduler and --store need --executor parallel or dask")
    session = KernelSession(args.kernel, cwd=nb.path.parent if nb.path else None)
    cache = None
    if not args.no_cache:
        cache = runs.open_cache(
            nb,
            overrides,
            cache_dir=args.cache_dir,
            cache_all=args.cache_all,
            on_note=lambda text: err_console.print(
                f"link-ls: cache: {text}", markup=False, highlight=False
            ),
        )
    if not plan.steps:
        console.print(f"{escape(args.path)}: nothing to run (no code cells in the plan)")
        return 0
    what = {"upTo": f"up to {args.to}", "cell": f"cell {args.cell}", "all": "all cells"}[plan.mode]
    console.print(
        f"[bold]run[/] {escape(args.path)} {escape(what)}: {len(plan.steps)} cells, "
        f"kernel {escape(session.kernel_name)}"
        + (", " + ", ".join(f"{p.name}={p.value!r}" for p in params) if params else ""),
        markup=True,
    )
    cancel = threading.Event()
    restore = _trap_signals(cancel)
    try:
        with _Printer(console.is_terminal) as printer:
            report = runs.run(
                nb, plan, session, cache, params, printer, timeout=args.timeout, cancel=cancel
            )
    finally:
        restore()
        session.shutdown()
    console.print(_summary(report))
    for warning in report.warnings:
        err_console.print(f"link-ls: warning: {warning}", markup=False, highlight=False)
    return _finish(report, target)


def _finish(report: RunReport, target: tuple[Notebook, Path] | None) -> int:
    """Write the outputs where asked, say why a failed run failed; the exit status."""
    if target is not None:
        out_nb, out_path = target
        runs.write_outputs(out_nb, report, out_path)
        console.print(f"wrote {escape(str(out_path))}")
    if report.ok:
        return 0
    err_console.print(f"link-ls: {failure_message(report)}", markup=False, highlight=False)
    return 130 if report.outcome is RunOutcome.INTERRUPTED else 1


def _trap_signals(cancel: threading.Event) -> Any:
    """First Ctrl-C (or SIGTERM) interrupts the kernel and stops the run; a second one aborts."""
    if threading.current_thread() is not threading.main_thread():
        return lambda: None
    previous = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}

    def handler(signum: int, frame: FrameType | None) -> None:
        if cancel.is_set():
            raise KeyboardInterrupt
        cancel.set()

    for s in previous:
        signal.signal(s, handler)

    def restore() -> None:
        for s, h in previous.items():
            signal.signal(s, h)

    return restore
