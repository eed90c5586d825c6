"""``link-ls import``: add a pipeline file's components to a new or existing notebook."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from link_ls.cli.common import console, emit_json, err_console, load_notebook
from link_ls.errors import UsageError
from link_ls.exchange import (
    ExchangePipeline,
    ImportOptions,
    ImportResult,
    apply_import,
    check_storable,
    load_pipeline,
    new_notebook,
    plan_import,
)
from link_ls.notebook import Notebook, save

ORDER = 61


def register(sub: Any) -> None:
    p: argparse.ArgumentParser = sub.add_parser(
        "import",
        help="import a pipeline JSON file into a notebook",
        description="Import components from a pipeline file (link-ls's or Link's, "
        "detected by shape) into NOTEBOOK, creating it when it does not exist. Components go in "
        "parents-first order; clashing ids get new ones, clashing names a numbered suffix. "
        "Everything is checked before the notebook is written.",
    )
    p.add_argument("file", metavar="FILE.json", help="the pipeline file")
    p.add_argument("--into", required=True, metavar="NOTEBOOK", help="target notebook")
    p.add_argument("--after", metavar="CELL", help="insert after this cell (default: at the end)")
    p.add_argument(
        "--overwrite-parameters",
        action="store_true",
        help="take the file's value for parameters the notebook sets differently",
    )
    p.add_argument(
        "--link-existing",
        action="store_true",
        help="link parents that are not in the file to notebook components of the same name",
    )
    p.add_argument(
        "--format",
        choices=["text", "json"],
        default="text",
        help="report format (default: text)",
    )
    p.set_defaults(func=run)


def _target(path: Path, pipe: ExchangePipeline) -> Notebook:
    if path.exists():
        return load_notebook(str(path))
    if path.suffix.lower() != ".ipynb":
        raise UsageError(f"{path}: does not exist; only a new .ipynb notebook can be created")
    if not path.parent.is_dir():
        raise UsageError(f"{path}: folder {path.parent} does not exist")
    nb = new_notebook(pipe)
    nb.path = path
    return nb


def run(args: argparse.Namespace) -> int:
    pipe = load_pipeline(args.file)
    into = Path(args.into)
    creating = not into.exists()
    nb = _target(into, pipe)
    options = ImportOptions(args.after, args.overwrite_parameters, args.link_existing)
    result = plan_import(nb, pipe, options)
    apply_import(nb, result)
    check_storable(nb, result)
    save(nb, into)
    if args.format == "json":
        out = result.to_json()
        out.pop("cells")  # the notebook has them; keep the report short
        out["notebook"] = str(into)
        out["created"] = creating
        emit_json(out)
    else:
        _report(result, into, creating)
    return 0


def _report(result: ImportResult, into: Path, creating: bool) -> None:
    n = len(result.components)
    where = "new notebook " if creating else ""
    console.print(
        f"imported {n} component{'s' if n != 1 else ''} into {where}{into} "
        f"at #{result.insert_at + 1}",
        markup=False,
    )
    for c in result.components:
        note = f" (renamed from {c.file_name})" if c.name != c.file_name else ""
        note += " (new id)" if c.id != c.file_id else ""
        console.print(f"  #{c.index + 1} {c.name}{note}", markup=False)
    if result.parameters_changed:
        console.print(
            "parameters: "
            + ", ".join(f"{p.name}={json.dumps(p.value)}" for p in result.parameters),
            markup=False,
        )
    linked: dict[str, list[str]] = {}
    dropped: dict[str, list[str]] = {}
    for o in result.outside_parents:
        (linked if o.linked_to is not None else dropped).setdefault(o.component, []).append(
            o.parent_name
        )
    for comp, names in linked.items():
        err_console.print(
            f"link-ls: note: {comp}: linked to existing parent(s) {', '.join(names)}",
            markup=False,
        )
    for comp, names in dropped.items():
        err_console.print(
            f"link-ls: note: {comp}: parent(s) {', '.join(names)} not in the file, edges "
            "dropped (--link-existing links them to components of the same name)",
            markup=False,
        )
    for d in result.dropped:
        err_console.print(
            f"link-ls: warning: component #{d.position} {d.name!r} of the file not imported: "
            f"{d.reason} (Link drops it too)",
            markup=False,
        )
