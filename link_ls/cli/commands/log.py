"""``link-ls log``: the commits that touched a notebook, each with its cell/pipeline summary."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from link_ls.cli.common import add_format, console, emit, emit_json
from link_ls.errors import UsageError

if TYPE_CHECKING:
    from link_ls.history.log import HistoryEntry

ORDER = 42


def register(sub: Any) -> None:
    p: argparse.ArgumentParser = sub.add_parser(
        "log",
        help="commits that touched a notebook (following renames), with cell/pipeline summaries",
        description="List the git commits that touched a notebook, newest first, following "
        "renames. Each shows author, date, message and what changed: cells changed/added/"
        "removed/moved and pipeline changes (components, edges, parameters).",
    )
    p.add_argument("path", metavar="PATH")
    p.add_argument("-n", "--max-count", type=int, default=None, metavar="N", help="at most N")
    add_format(p, ["text", "json"], "text")
    p.set_defaults(func=run)


def _lines(entries: list[HistoryEntry]) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for e in entries:
        r = e.record
        out.append((f"{e.short}  {r.date}  {r.author}", "yellow"))
        out.append((f"    {r.subject}", "bold"))
        path = f" ({r.old_path} → {r.path})" if r.old_path and r.old_path != r.path else ""
        out.append((f"    {e.summary}{path}", "cyan"))
        out.append(("", ""))
    return out


def run(args: argparse.Namespace) -> int:
    # GitPython and the diff core are imported only when `log` runs
    from rich.text import Text

    from link_ls.history.api import FORMAT, VERSION, entry_json
    from link_ls.history.log import notebook_history

    if args.max_count is not None and args.max_count < 1:
        raise UsageError("-n must be at least 1")
    entries = notebook_history(args.path, args.max_count)
    if args.format == "json":
        emit_json(
            {
                "format": FORMAT,
                "version": VERSION,
                "path": args.path,
                "commits": [entry_json(e) for e in entries],
            }
        )
        return 0
    lines = _lines(entries) or [(f"{args.path}: no commits touch this notebook", "dim")]
    if console.is_terminal:
        for line, style in lines:
            console.print(Text(line, style=style))
    else:
        emit("\n".join(t for t, _ in lines).rstrip("\n"), None)
    return 0
