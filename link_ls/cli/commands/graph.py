"""``link-ls graph``: the pipeline DAG as text, JSON, Mermaid or Graphviz dot."""

from __future__ import annotations

import argparse
from typing import Any

from link_ls.cli.common import add_format, emit, emit_json
from link_ls.notebook import load
from link_ls.pipeline import build
from link_ls.pipeline.render import graph_dot, graph_json, graph_mermaid, graph_text

ORDER = 20


def register(sub: Any) -> None:
    p: argparse.ArgumentParser = sub.add_parser(
        "graph",
        help="print the pipeline DAG (text, json, mermaid, dot)",
        description="Print the notebook's DAG. Pipeline notebooks show declared edges "
        "(and dataflow edges the declaration misses, marked inferred); plain notebooks "
        "show edges inferred from dataflow. Node ids are canvas ids for components and "
        "cell ids otherwise.",
    )
    p.add_argument("path", metavar="PATH")
    add_format(p, ["text", "json", "mermaid", "dot"], "text")
    p.add_argument("-o", "--output", metavar="FILE", help="write to FILE instead of stdout")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    pipe = build(load(args.path))
    if args.format == "json":
        emit_json(graph_json(pipe), args.output)
    elif args.format == "mermaid":
        emit(graph_mermaid(pipe), args.output)
    elif args.format == "dot":
        emit(graph_dot(pipe), args.output)
    else:
        emit(graph_text(pipe), args.output)
    return 0
