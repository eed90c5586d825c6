"""``link-ls cache``: list, export, import, trust and clear a notebook's per-component cache."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from rich.markup import escape
from rich.table import Table

from link_ls.cache import CacheStore, component_statuses, effective_parameters
from link_ls.cache.archive import ImportLimits, human_size, parse_size
from link_ls.cache.archives import LAYOUTS, export_archive, import_archive
from link_ls.cache.link_archive import LinkImportReport
from link_ls.cache.link_export import LinkExportReport
from link_ls.cache.remote import is_remote
from link_ls.cache.trusting import TrustReport, notebook_store, stores_at, trust_stores
from link_ls.cli.common import add_format, console, emit_json, load_notebook
from link_ls.errors import UsageError
from link_ls.kernel.params import parse_overrides
from link_ls.notebook import Notebook, resolve_cell

ORDER = 35

_STATE_STYLE = {"valid": "green", "stale": "yellow", "unusable": "red", "missing": "dim"}
_TRUST_TEXT = {
    "trusted": "[green]trusted[/]",
    "unsigned": "[yellow]untrusted[/]",
    "foreign": "[yellow]untrusted[/]",
    "altered": "[red]altered[/]",
}


def _common(p: argparse.ArgumentParser, *, params: bool = True) -> None:
    p.add_argument(
        "--cache-dir",
        metavar="DIR",
        help="cache store (default: $LINK_LS_CACHE_DIR, else .link_ls/cache/ beside the notebook)",
    )
    if params:
        p.add_argument(
            "--param",
            action="append",
            default=[],
            metavar="NAME=VALUE",
            help="parameter override, as given to `link-ls run` (keys depend on parameters)",
        )


def register(sub: Any) -> None:
    p: argparse.ArgumentParser = sub.add_parser(
        "cache",
        help="list, export, import, trust or clear the per-component result cache",
        description="The per-component result cache (see docs/cache.md). A cache may hold "
        "pickled Python objects, and unpickling runs code: runs restore only entries signed "
        "with your key (your own runs' entries, and those you trust with `cache trust` or "
        "`cache import --trust`).",
    )
    cs = p.add_subparsers(dest="cache_command", metavar="ACTION")
    cs.required = True

    ls = cs.add_parser("list", help="each component's key, cache state and size")
    ls.add_argument("path", metavar="PATH", help="the notebook")
    _common(ls)
    add_format(ls, ["text", "json"], "text")
    ls.set_defaults(func=run_list)

    ex = cs.add_parser(
        "export",
        help="write valid cache entries to one .tar.gz (link-ls's or Link's layout)",
        description="--format link writes MakinaRocks Link's <stem>-diskcache.tar.gz, which "
        "Link's 'Import Cache' accepts (see docs/cache.md).",
    )
    ex.add_argument("path", metavar="PATH", help="the notebook")
    ex.add_argument("-o", "--output", metavar="FILE.tar.gz", required=True)
    ex.add_argument(
        "--format",
        choices=LAYOUTS,
        default="link-ls",
        help="archive layout: link-ls's own (default) or Link's diskcache archive",
    )
    ex.add_argument("--json", action="store_true", help="print the report as JSON")
    ex.add_argument(
        "--cell",
        action="append",
        metavar="CELL",
        help="export only this component (name, canvas id, cell id or #N); repeatable",
    )
    _common(ex)
    ex.set_defaults(func=run_export)

    im = cs.add_parser(
        "import",
        help="validate a cache archive (link-ls's or Link's) and add it to a notebook's store",
        description="Everything is checked before anything is written: schema version, member "
        "names and types, sizes, and every sha256. Nothing is unpickled. A Link archive "
        "(<stem>-diskcache.tar.gz) is recognised by its pipeline.json and matched to the "
        "notebook's components by code and parents, as Link does.",
    )
    im.add_argument("archive", metavar="FILE.tar.gz")
    im.add_argument("--notebook", metavar="PATH", required=True, help="the notebook it is for")
    im.add_argument(
        "--trust",
        action="store_true",
        help="also trust the imported entries (sign them with your key), so runs restore "
        "them; do this only for archives from people whose code you would run",
    )
    im.add_argument(
        "--max-member-size",
        metavar="SIZE",
        type=parse_size,
        help="largest file accepted (default 4G, or $LINK_LS_CACHE_MAX_MEMBER)",
    )
    im.add_argument(
        "--max-total-size",
        metavar="SIZE",
        type=parse_size,
        help="largest total accepted (default 16G, or $LINK_LS_CACHE_MAX_TOTAL)",
    )
    _common(im)
    add_format(im, ["text", "json"], "text")
    im.set_defaults(func=run_import)

    tr = cs.add_parser(
        "trust",
        help="trust the cache entries of a notebook or a cache folder (sign them with your key)",
        description="Signs every sound entry of the store with your key (in "
        "$XDG_CONFIG_HOME/link-ls/cache.key), so runs restore them. Unpickling a cache entry "
        "runs code chosen by whoever made it: trust only caches from people whose code you "
        "would run. Entries that were altered after being signed, or whose files do not match "
        "their manifest, are refused.",
    )
    tr.add_argument(
        "path",
        metavar="PATH",
        help="a notebook (its store), or a cache folder or remote store URL (a store root)",
    )
    _common(tr, params=False)
    tr.add_argument(
        "--store",
        metavar="URL",
        help="the store a run's --store names (s3://…: the entries are signed there, where "
        "every machine of a cluster reads them)",
    )
    add_format(tr, ["text", "json"], "text")
    tr.set_defaults(func=run_trust)

    cl = cs.add_parser("clear", help="remove every cache entry of a notebook")
    cl.add_argument("path", metavar="PATH", help="the notebook")
    _common(cl, params=False)
    cl.set_defaults(func=run_clear)


def _store(nb: Notebook, args: argparse.Namespace) -> CacheStore:
    if nb.path is None:
        raise UsageError("the notebook has no path")
    return CacheStore.for_notebook(nb.path, args.cache_dir)


def _params(nb: Notebook, args: argparse.Namespace) -> dict[str, Any]:
    return effective_parameters(nb, parse_overrides(args.param))


def run_list(args: argparse.Namespace) -> int:
    nb = load_notebook(args.path)
    store = _store(nb, args)
    rows = component_statuses(nb, store, parameters=_params(nb, args))
    if args.format == "json":
        emit_json(
            {
                "notebook": args.path,
                "store": str(store.folder),
                "components": [r.to_json() for r in rows],
            }
        )
        return 0
    table = Table(title=f"cache of {args.path} in {store.folder}", title_justify="left")
    for col in ("cell", "component", "key", "state", "trust", "size", "note"):
        table.add_column(col, justify="right" if col in ("cell", "size") else "left")
    for r in rows:
        style = _STATE_STYLE[r.state.value]
        table.add_row(
            f"#{r.index + 1}",
            escape(r.name) + (" [dim](diskcache)[/]" if r.cached_flag else ""),
            (r.key or "-")[:12],
            f"[{style}]{r.state.value}[/]",
            _TRUST_TEXT.get(r.trust, "-"),
            human_size(r.size) if r.size else "-",
            escape("; ".join(n for n in (r.note, r.trust_note) if n)),
        )
    console.print(table)
    untrusted = [r for r in rows if r.trust in ("unsigned", "foreign")]
    if untrusted:
        console.print(
            f"{len(untrusted)} untrusted: runs execute them instead of restoring; "
            f"`link-ls cache trust {escape(args.path)}` trusts them"
        )
    return 0


def run_export(args: argparse.Namespace) -> int:
    nb = load_notebook(args.path)
    store = _store(nb, args)
    cells = [resolve_cell(nb, ref).index for ref in args.cell] if args.cell else None
    out = Path(args.output)
    if out.is_dir():
        raise UsageError(f"{out}: is a directory")
    report = export_archive(
        nb, store, out, layout=args.format, cells=cells, parameters=_params(nb, args)
    )
    if isinstance(report, LinkExportReport):
        return _print_link_export(report, out, args)
    if args.json:
        emit_json(report.to_json())
        return 0
    for c in report.manifest.components:
        console.print(f"  {escape(c.name)}  {c.key[:12]}  {human_size(c.size)}")
    if report.left_out:
        console.print(
            f"[dim]not exported (no valid entry): {escape(', '.join(report.left_out))}[/]"
        )
    console.print(
        f"wrote {escape(str(out))}: {len(report.manifest.components)} components, "
        f"{human_size(report.manifest.size)}"
    )
    return 0


def _print_link_export(report: LinkExportReport, out: Path, args: argparse.Namespace) -> int:
    if args.json:
        emit_json(report.to_json())
        return 0
    for cid, name, size in report.components:
        console.print(f"  {escape(name)}  {cid}  {human_size(size)}")
    if report.left_out:
        console.print(
            "[dim]not exported (it or an ancestor has no valid entry): "
            f"{escape(', '.join(report.left_out))}[/]"
        )
    console.print(
        f"wrote {escape(str(out))} (Link's diskcache layout): {len(report.components)} "
        f"components, {human_size(report.size)}"
    )
    return 0


def _print_link_import(
    report: LinkImportReport, store: CacheStore, args: argparse.Namespace
) -> int:
    if args.format == "json":
        emit_json(report.to_json())
        return 0
    for r in report.rows:
        style = "green" if r.state == "imported" else "yellow"
        where = f"#{r.cell + 1} " if r.cell is not None else ""
        detail = f" ({r.detail})" if r.detail else ""
        size = f"  {human_size(r.size)}" if r.size else ""
        console.print(f"  [{style}]{r.state:17}[/] {escape(where + r.name)}{escape(detail)}{size}")
    console.print(
        f"imported {len(report.imported)} of {len(report.rows)} components of Link's cache "
        f"into {escape(str(store.folder))}"
    )
    _say_trust(report.trusted, args)
    return 0


def _say_trust(trusted: bool, args: argparse.Namespace) -> None:
    if trusted:
        console.print("trusted: signed with your key, runs will restore them")
    else:
        console.print(
            "[yellow]untrusted[/]: runs will execute these components instead of restoring "
            f"them until you run `link-ls cache trust {escape(args.notebook)}` (or import with "
            "--trust)"
        )


def run_import(args: argparse.Namespace) -> int:
    nb = load_notebook(args.notebook)
    store = _store(nb, args)
    limits = ImportLimits.from_env(args.max_member_size, args.max_total_size)
    report = import_archive(
        Path(args.archive), store, nb, limits=limits, parameters=_params(nb, args), trust=args.trust
    )
    if isinstance(report, LinkImportReport):
        return _print_link_import(report, store, args)
    if args.format == "json":
        emit_json(report.to_json())
        return 0
    for c in report.components:
        style = _STATE_STYLE.get(c.state, "")
        where = f"#{c.cell + 1} " if c.cell is not None else ""
        console.print(
            f"  [{style or 'default'}]{c.state:8}[/] {escape(where + c.name)}  {c.key[:12]}  "
            f"{human_size(c.size)}"
        )
    valid = sum(1 for c in report.components if c.state == "valid")
    console.print(
        f"imported {len(report.components)} entries into {escape(str(store.folder))}: "
        f"{valid} valid for {escape(args.notebook)}, {len(report.components) - valid} not"
        + (
            f" (archive made from {escape(report.notebook)})"
            if report.notebook != store.notebook
            else ""
        )
    )
    if report.origin is not None:
        console.print(f"origin: {escape(report.origin.describe())}")
    _say_trust(report.trusted, args)
    return 0


def run_trust(args: argparse.Namespace) -> int:
    if is_remote(args.path) or Path(args.path).is_dir():
        stores = stores_at(args.path)
    else:
        nb = load_notebook(args.path)
        if nb.path is None:
            raise UsageError("the notebook has no path")
        stores = [notebook_store(nb.path, store=args.store, cache_dir=args.cache_dir)]
        if not stores[0].keys():
            raise UsageError(f"{args.path}: nothing cached in {stores[0].location}")
    report = trust_stores(stores)
    if args.format == "json":
        emit_json(report.to_json())
    else:
        _print_trust(report)
    return 1 if report.count("refused") else 0


def _print_trust(report: TrustReport) -> None:
    style = {"trusted": "green", "already trusted": "dim", "refused": "red"}
    for e in report.entries:
        console.print(
            f"  [{style[e.outcome]}]{e.outcome:15}[/] {escape(e.name)}  {e.key[:12]}"
            + (f"  {escape(e.detail)}" if e.detail else "")
        )
    folders = sorted({e.store for e in report.entries})
    console.print(
        f"trusted {report.count('trusted')} entries of {escape(', '.join(folders))} "
        f"({report.count('already trusted')} already trusted, {report.count('refused')} "
        f"refused) with the key in {escape(str(report.key_file))}"
    )


def run_clear(args: argparse.Namespace) -> int:
    nb = load_notebook(args.path)
    store = _store(nb, args)
    count, size = store.clear()
    console.print(
        f"removed {count} cache entries ({human_size(size)}) from {escape(str(store.folder))}"
    )
    return 0
