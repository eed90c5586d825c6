"""``link-ls textconv``: a notebook as cell-level text, the git textconv behind ``git diff``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from link_ls.errors import LinkError
from link_ls.notebook import load

ORDER = 92


def register(sub: Any) -> None:
    p: argparse.ArgumentParser = sub.add_parser(
        "textconv",
        help="print a notebook as cell-level text (git's diff textconv; see `link-ls git`)",
        description="Print a notebook as cell-level text: one header per cell naming it, the "
        "source, outputs summarised. `link-ls git install` registers this as git's textconv so "
        "`git diff` and `git log -p` show notebooks cell by cell. A file that is not a readable "
        "notebook is printed unchanged, so git still shows a diff.",
    )
    p.add_argument("path", metavar="FILE")
    p.add_argument("--no-outputs", action="store_true", help="leave outputs out")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from link_ls.diff.textform import notebook_text

    try:
        text = notebook_text(load(args.path), outputs=not args.no_outputs)
    except LinkError:
        # git must still get *something* to diff, e.g. a notebook with conflict markers
        try:
            text = Path(args.path).read_text(encoding="utf-8", errors="replace")
        except OSError as e:
            raise LinkError(f"{args.path}: cannot read: {e.strerror}") from None
    sys.stdout.write(text)
    sys.stdout.flush()
    return 0
