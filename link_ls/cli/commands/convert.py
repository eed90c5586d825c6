"""``link-ls convert``: one pipeline file into another, by extension (Link's ``convert`` shape)."""

from __future__ import annotations

import argparse
from typing import Any

from link_ls.cli.common import console
from link_ls.exchange import convert

ORDER = 62


def register(sub: Any) -> None:
    p: argparse.ArgumentParser = sub.add_parser(
        "convert",
        help="convert between .ipynb, Link .json and .py (like `mrx-link convert`)",
        description="Convert a pipeline file into another format, chosen by extension, as "
        "MakinaRocks Link's `mrx-link convert` does: .ipynb (a notebook; from .json a new "
        "notebook with the file's components), .json (Link's pipeline JSON) and .py (to: "
        "the runnable script of `export --format py`; from: only a jupytext percent "
        "notebook). An existing target is overwritten (atomically), as Link does; the "
        "source itself never is. Exit 2 for an unknown extension or a bad source, with "
        "nothing written. See docs/script-export.md.",
    )
    p.add_argument("--from-path", required=True, metavar="A", help="the file to convert")
    p.add_argument("--to-path", required=True, metavar="B", help="the file to write")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    done = convert(args.from_path, args.to_path)
    what = (
        f"{done.components} component{'s' if done.components != 1 else ''}, "
        f"{done.parameters} parameter{'s' if done.parameters != 1 else ''}"
    )
    console.print(
        f"converted {done.source} ({done.source_kind}) to {done.target} ({done.target_kind}): "
        f"{what}" + (" (overwrote the existing file)" if done.overwrites else ""),
        markup=False,
    )
    return 0
