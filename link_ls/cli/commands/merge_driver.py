"""``link-ls merge-driver %O %A %B %P``: the git merge driver (writes %A, exit 1 on conflicts)."""

from __future__ import annotations

import argparse
from typing import Any

from link_ls.cli.commands.merge import add_outputs_option
from link_ls.cli.common import err_console
from link_ls.merge import OutputPolicy
from link_ls.merge.files import run_driver
from link_ls.merge.report import summary

ORDER = 62


def register(sub: Any) -> None:
    p: argparse.ArgumentParser = sub.add_parser(
        "merge-driver",
        help="git merge driver for .ipynb (configured by `link-ls git install`)",
        description="Called by git as `link-ls merge-driver %%O %%A %%B %%P`: merges the "
        "notebooks cell by cell and writes the result to %%A atomically. Exit 0 when clean, "
        "1 when conflicts remain. If an input is not a notebook, %%A gets git's own "
        "line-based merge (with markers) and the exit is 1: the file is never lost.",
    )
    p.add_argument("base", metavar="BASE", help="%%O: the merge base")
    p.add_argument("ours", metavar="OURS", help="%%A: our version, replaced by the result")
    p.add_argument("theirs", metavar="THEIRS", help="%%B: their version")
    p.add_argument("path", metavar="PATH", nargs="?", default=None, help="%%P: the file's path")
    add_outputs_option(p)
    p.set_defaults(func=run)


def _say(line: str) -> None:
    err_console.print(line, markup=False, highlight=False)


def run(args: argparse.Namespace) -> int:
    name = args.path or args.ours
    outcome = run_driver(args.base, args.ours, args.theirs, outputs=OutputPolicy(args.outputs))
    if outcome.result is not None:
        for line in summary(outcome.result, f"link-ls: {name}"):
            _say(line)
        if not outcome.result.clean:
            _say(f"link-ls: resolve them (editor quick fixes, or by hand), then: git add {name}")
        return outcome.exit_code
    _say(f"link-ls: {name}: cannot merge cell by cell: {outcome.fallback_reason}")
    if outcome.text_merged:
        _say(f"link-ls: {name}: left git's line-based merge with conflict markers in the file")
    else:
        _say(
            f"link-ls: {name}: left our version of the file unchanged; the others are in "
            f"the index: git show :1:{name} (base), git show :3:{name} (theirs)"
        )
    return 1
