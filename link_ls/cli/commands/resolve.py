"""``link-ls resolve PATH``: rebuild a notebook git merged as text, from index stages 1/2/3."""

from __future__ import annotations

import argparse
from typing import Any

from link_ls.cli.commands.merge import add_outputs_option
from link_ls.cli.common import err_console
from link_ls.merge import OutputPolicy
from link_ls.merge.gitstages import resolve_path
from link_ls.merge.report import summary

ORDER = 61


def register(sub: Any) -> None:
    p: argparse.ArgumentParser = sub.add_parser(
        "resolve",
        help="rebuild a notebook git merged as plain text (JSON with markers), cell by cell",
        description="For a notebook in a conflicted git merge: take the base, ours and theirs "
        "versions from the index (stages 1, 2, 3), merge them cell by cell and write the "
        "result over PATH. Exit 0 when clean, 1 when conflicts remain. Then `git add PATH`.",
    )
    p.add_argument("path", metavar="PATH")
    p.add_argument(
        "--force",
        action="store_true",
        help="overwrite PATH even if it is already a valid notebook (loses edits made to it)",
    )
    add_outputs_option(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    done = resolve_path(args.path, outputs=OutputPolicy(args.outputs), force=args.force)
    for line in summary(done.result, f"link-ls: {done.path}"):
        err_console.print(line, markup=False, highlight=False)
    nxt = "then" if done.result.clean else "resolve the conflicts, then"
    err_console.print(f"link-ls: {nxt} run: git add {done.path}", markup=False, highlight=False)
    return 0 if done.result.clean else 1
