"""``link-ls merge``: three-way cell-level merge of notebook files."""

from __future__ import annotations

import argparse
from typing import Any

from link_ls.cli.common import emit, emit_json, err_console
from link_ls.merge import OutputPolicy
from link_ls.merge.files import merge_files
from link_ls.merge.report import summary
from link_ls.notebook import dumps

ORDER = 60


def add_outputs_option(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--outputs",
        choices=[o.value for o in OutputPolicy],
        default=OutputPolicy.CLEAR.value,
        help="outputs both sides changed differently: clear them (default), or take ours/theirs",
    )


def register(sub: Any) -> None:
    p: argparse.ArgumentParser = sub.add_parser(
        "merge",
        help="three-way merge of notebooks, cell by cell, including pipeline edges",
        description="Merge OURS and THEIRS, both changed from BASE, cell by cell: sources "
        "line by line (diff3), pipeline edges as sets, metadata per key, parameters by name. "
        "Conflicts stay in the merged notebook (markers in sources, records in "
        "metadata.link_ls.conflict). Exit 0 when clean, 1 when conflicts remain, 2 on bad "
        "input. See docs/merge.md.",
    )
    p.add_argument("base", metavar="BASE", help="common ancestor (.ipynb; may be empty)")
    p.add_argument("ours", metavar="OURS")
    p.add_argument("theirs", metavar="THEIRS")
    p.add_argument("-o", "--output", metavar="OUT", help="write the merged notebook to OUT")
    add_outputs_option(p)
    p.add_argument(
        "--report",
        choices=["text", "json"],
        default="text",
        help="summary on stderr as text (default), or as JSON on stdout when -o is given",
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    result = merge_files(args.base, args.ours, args.theirs, outputs=OutputPolicy(args.outputs))
    emit(dumps(result.notebook), args.output)
    if args.report == "json" and args.output:
        emit_json(result.to_json())
    else:
        for line in summary(result, args.output or "merged notebook"):
            err_console.print(line, markup=False, highlight=False)
    return 0 if result.clean else 1
