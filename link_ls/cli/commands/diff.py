"""``link-ls diff``: cell-level and pipeline diff of two notebooks or two git revisions."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from link_ls.cli.common import add_format, console, emit, emit_json
from link_ls.errors import UsageError

if TYPE_CHECKING:
    from link_ls.diff.model import NotebookDiff

ORDER = 40


def register(sub: Any) -> None:
    p: argparse.ArgumentParser = sub.add_parser(
        "diff",
        help="cell-level diff of two notebooks or two git revisions, with pipeline changes",
        description="Show what changed between two notebooks, cell by cell: cells added, "
        "removed, modified and moved, source line diffs, outputs and metadata changes, and "
        "how the pipeline changed (components, edges, parameters). "
        "`link-ls diff OLD NEW` compares two files; `link-ls diff PATH --rev A [--rev B]` "
        "compares revisions of a notebook in git (B defaults to the working tree).",
    )
    p.add_argument("paths", nargs="+", metavar="PATH", help="OLD NEW, or one PATH with --rev")
    p.add_argument(
        "--rev",
        action="append",
        default=[],
        metavar="REV",
        help="git revision of PATH (give once for REV..working tree, twice for REV..REV)",
    )
    add_format(p, ["text", "json", "html"], "text")
    p.add_argument("-o", "--output", metavar="FILE", help="write to FILE instead of stdout")
    p.add_argument("--ignore-outputs", action="store_true", help="do not compare outputs")
    p.add_argument(
        "--ignore-metadata",
        action="store_true",
        help="do not compare cell and notebook metadata (pipeline structure is still compared)",
    )
    p.add_argument(
        "--exit-code",
        action="store_true",
        help="exit 1 when the notebooks differ, 0 when they do not (like git diff)",
    )
    p.set_defaults(func=run)


def compute(args: argparse.Namespace) -> NotebookDiff:
    # core imported here, not at module level: every `link-ls` command imports this module
    from link_ls.diff.api import diff_files, diff_revisions
    from link_ls.diff.model import DiffOptions

    opts = DiffOptions(ignore_outputs=args.ignore_outputs, ignore_metadata=args.ignore_metadata)
    revs: list[str] = args.rev
    if revs:
        if len(args.paths) != 1:
            raise UsageError("with --rev give exactly one notebook PATH")
        if len(revs) > 2:
            raise UsageError("give --rev at most twice (A, or A and B)")
        return diff_revisions(args.paths[0], revs[0], revs[1] if len(revs) == 2 else None, opts)
    if len(args.paths) != 2:
        raise UsageError("give two notebooks (OLD NEW), or one PATH with --rev REV")
    return diff_files(args.paths[0], args.paths[1], opts)


def run(args: argparse.Namespace) -> int:
    from rich.text import Text

    from link_ls.diff.render_json import diff_to_json
    from link_ls.diff.render_text import render_text, text_lines

    d = compute(args)
    if args.format == "json":
        emit_json(diff_to_json(d), args.output)
    elif args.format == "html":
        from link_ls.diff.render_html import render_html

        emit(render_html(d), args.output)
    elif args.output is None and console.is_terminal:
        for line, style in text_lines(d):
            console.print(Text(line, style=style))
    else:
        emit(render_text(d), args.output)
    return 1 if args.exit_code and d.changed else 0
