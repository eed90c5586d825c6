"""``link-ls check``: diagnostics for one or more notebooks."""

from __future__ import annotations

import argparse
from typing import Any

from rich.markup import escape

from link_ls.cli.common import add_format, console, emit_json, err_console
from link_ls.errors import LinkError
from link_ls.notebook import load
from link_ls.pipeline import Severity
from link_ls.usecases import diagnose

ORDER = 10

_STYLE = {
    Severity.ERROR: "bold red",
    Severity.WARNING: "yellow",
    Severity.INFO: "cyan",
    Severity.HINT: "dim",
}


def register(sub: Any) -> None:
    p: argparse.ArgumentParser = sub.add_parser(
        "check",
        help="report pipeline problems (cycles, missing edges, undefined names, …)",
        description="Check notebooks for pipeline problems. Exit 0 when no errors, "
        "1 when a notebook has errors, 2 when a file cannot be read. "
        "Codes are documented in docs/diagnostics.md.",
    )
    p.add_argument("paths", nargs="+", metavar="PATH", help=".ipynb or jupytext .py notebooks")
    add_format(p, ["text", "json"], "text")
    p.add_argument(
        "--severity",
        choices=["error", "warning", "info", "hint"],
        default="hint",
        help="lowest severity to show (default: hint, i.e. everything)",
    )
    p.set_defaults(func=run)


_RANK = {"error": 0, "warning": 1, "info": 2, "hint": 3}


def run(args: argparse.Namespace) -> int:
    worst = 0
    reports: list[dict[str, Any]] = []
    limit = _RANK[args.severity]
    for path in args.paths:
        try:
            nb = load(path)
            diags = sorted(diagnose(nb), key=lambda d: (d.cell_index, d.code))
        except LinkError as e:
            err_console.print(f"link-ls: error: {e}", markup=False)
            reports.append({"path": path, "error": str(e)})
            worst = 2
            continue
        shown = [d for d in diags if _RANK[d.severity.value] <= limit]
        if any(d.severity is Severity.ERROR for d in diags):
            worst = max(worst, 1)
        if args.format == "json":
            reports.append({"path": path, "diagnostics": [d.to_json() for d in shown]})
            continue
        cells = nb.cells
        for d in shown:
            c = cells[d.cell_index]
            where = f"{path}:{c.position}"
            if d.span is not None:
                where += f":{d.span.line + 1}:{d.span.col + 1}"
            console.print(
                f"{escape(where)} [{_STYLE[d.severity]}]{d.severity.value}[/] "
                f"{d.code} {escape(d.message)} [dim]({escape(c.name)})[/]"
            )
        if not shown:
            console.print(f"{escape(path)}: ok ({len(nb.cells)} cells)")
    if args.format == "json":
        emit_json(reports)
    return worst
