"""``link-ls export``: a notebook's pipeline, or chosen components, as JSON or a script."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from link_ls.cli.common import console, load_notebook
from link_ls.errors import UsageError
from link_ls.exchange import FORMATS, collect, dumps_pipeline
from link_ls.exchange.kfp_format import DEFAULT_BASE_IMAGE, KfpOptions
from link_ls.notebook.formats import atomic_write_text

ORDER = 60


def register(sub: Any) -> None:
    p: argparse.ArgumentParser = sub.add_parser(
        "export",
        help="export the pipeline (or chosen components): JSON, Python script, Kubeflow",
        description="Export a pipeline notebook's components with their code, edges and "
        "parameters as JSON: link-ls's own format (default) or MakinaRocks Link's pipeline "
        "file (--format link, byte for byte as Link writes it), or as a runnable Python "
        "script (--format py: parameters become command-line options, see "
        "docs/script-export.md), or as a Kubeflow Pipelines spec compiled with the kfp 2 SDK "
        "(--format kfp, see docs/scale.md). The formats are documented in "
        "docs/pipeline-format.md.",
    )
    p.add_argument("path", metavar="PATH", help="the notebook (.ipynb or jupytext .py)")
    p.add_argument(
        "--cell",
        dest="cells",
        action="extend",
        nargs="+",
        metavar="CELL",
        help="export only these components (name, canvas id, cell id or #N); repeatable",
    )
    p.add_argument(
        "--with-ancestors",
        action="store_true",
        help="with --cell: also export every component upstream of the chosen ones",
    )
    p.add_argument(
        "--format",
        choices=list(FORMATS),
        default="link-ls",
        help="file format (default: link-ls)",
    )
    p.add_argument(
        "--base-image",
        default=DEFAULT_BASE_IMAGE,
        metavar="IMAGE",
        help=f"--format kfp: container image of every component (default: {DEFAULT_BASE_IMAGE})",
    )
    p.add_argument(
        "--package",
        dest="packages",
        action="append",
        default=[],
        metavar="REQ",
        help="--format kfp: a pip requirement to install in every component; repeatable",
    )
    p.add_argument("-o", "--output", metavar="FILE", help="write to FILE instead of stdout")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    nb = load_notebook(args.path)
    pipe = collect(nb, args.cells, args.with_ancestors)
    kfp = KfpOptions(args.base_image, tuple(args.packages))
    text = dumps_pipeline(pipe, args.format, nb.display_name, kfp)
    if not args.output:
        # Link's file has no final newline; a terminal still gets one
        sys.stdout.write(text if text.endswith("\n") or not sys.stdout.isatty() else text + "\n")
        sys.stdout.flush()
        return 0
    out = Path(args.output)
    if not out.parent.exists():
        raise UsageError(f"{args.output}: folder {out.parent} does not exist")
    atomic_write_text(out, text)
    n = len(pipe.components)
    console.print(
        f"exported {n} component{'s' if n != 1 else ''} and {len(pipe.parameters)} "
        f"parameter{'s' if len(pipe.parameters) != 1 else ''} to {args.output} "
        f"({args.format} format)",
        markup=False,
    )
    return 0
