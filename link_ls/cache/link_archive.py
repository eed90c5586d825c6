"""Link's cache archive (``<stem>-diskcache.tar.gz``): its layout, and importing it into the store.

The archive, as the real Link 2.7.0 writes it (``CacheExportHandler`` /
``CacheCompressThread``)::

    pipeline.json                         {component_id: {component_name,
                                            component_metadata: {componentType, headerColor,
                                              diskcache, remoteExecution},
                                            component_cell_code, component_cache_dir,
                                            execution_status, parent_ids}}
    component-<id>/                       a folder member
    component-<id>/cache.db               see :mod:`link_ls.cache.link_store`
    component-<id>/non_module_outputs/    …/cache.db and any xx/yy/<hex>.val value files

Only components whose disk cache is "cached" are in it. Link's import
(``CacheDecompressThread._compare_pipeline_for_import``) accepts an archive when,
for every component present both in the archive and in the open pipeline, the
code is the same after formatting with black and isort ("Hint: The component's
code has changed.") and the parent ids are the same ("Hint: The pipeline
structure has changed."); components only on one side are ignored; names and
metadata are not compared; no ``pipeline.json`` is "This file is an invalid cache
file.". One mismatch rejects the whole archive.

link-ls maps components by the same rules, per component: one that matches in
code (whitespace-insensitive, or the same syntax tree and comments) and parents,
and whose parents are all imported too, becomes a link-ls entry under its key
for the notebook as it is now; every other one is reported with the reason.
Link records no parameter values: imported entries are keyed with the
notebook's parameters (and any ``--param``).
"""

from __future__ import annotations

import ast
import io
import json
import re
import shutil
import tarfile
import tempfile
import tokenize
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from link_ls.cache.archive import ImportLimits, human_size
from link_ls.cache.errors import ArchiveError, CacheError
from link_ls.cache.importer import check_member, members, open_stream
from link_ls.cache.keys import CacheKey, compute_keys, normalise_source
from link_ls.cache.link_store import (
    CACHED,
    module_statement_pickle,
    read_component,
)
from link_ls.cache.model import (
    MANIFEST_NAME,
    OUTPUTS_NAME,
    VARS_DIR,
    EntryManifest,
    FileRecord,
    VariableRecord,
)
from link_ls.cache.status import uncacheable_reason
from link_ls.cache.store import CacheStore, sha256_file, write_json
from link_ls.cache.transfer import now_iso
from link_ls.notebook import Notebook
from link_ls.pipeline import Pipeline, build

LINK_PIPELINE = "pipeline.json"
COMPONENT_PREFIX = "component-"
_COMPONENT_DIR = re.compile(r"^component-([A-Za-z0-9_-]{1,100})$")


@dataclass(frozen=True)
class LinkArchivedComponent:
    """One entry of Link's ``pipeline.json``."""

    id: str
    name: str
    code: str
    parent_ids: tuple[str, ...]


def is_link_archive(path: Path) -> bool:
    """Whether ``path`` looks like Link's archive (its first member is ``pipeline.json``)."""
    with open_stream(path) as tar:
        for m in members(path, tar):
            return m.name == LINK_PIPELINE or m.name.startswith(COMPONENT_PREFIX)
    return False


def parse_link_pipeline(data: Any, where: str) -> dict[str, LinkArchivedComponent]:
    """Link's ``pipeline.json``, strictly: a bad one is "not a Link cache archive"."""
    bad = f"{where}: {LINK_PIPELINE} is not Link's cache pipeline"
    if not isinstance(data, Mapping):
        raise ArchiveError(f"{bad} (not an object)")
    out: dict[str, LinkArchivedComponent] = {}
    for cid, c in data.items():
        if not isinstance(c, Mapping) or not _COMPONENT_DIR.match(COMPONENT_PREFIX + str(cid)):
            raise ArchiveError(f"{bad} (component {cid!r})")
        name, code, parents = (
            c.get("component_name"),
            c.get("component_cell_code"),
            c.get("parent_ids"),
        )
        if not isinstance(code, str) or not isinstance(parents, list):
            raise ArchiveError(f"{bad} (component {cid!r} lacks its code or parent_ids)")
        if not all(isinstance(p, str) for p in parents):
            raise ArchiveError(f"{bad} (component {cid!r} has a parent id that is not text)")
        out[str(cid)] = LinkArchivedComponent(
            str(cid), name if isinstance(name, str) else str(cid), code, tuple(parents)
        )
    return out


def _member_allowed(name: str) -> bool:
    if name == LINK_PIPELINE:
        return True
    top = name.split("/", 1)[0]
    return bool(_COMPONENT_DIR.match(top))


def _extract(path: Path, limits: ImportLimits, dest: Path) -> None:
    """Check every member, then write regular files under ``dest`` (never ``tar.extract``)."""
    seen: set[str] = set()
    total = 0
    with open_stream(path) as tar:
        for m in members(path, tar):
            check_member(path, m, limits, allow_dirs=True)
            name = m.name.rstrip("/")
            if not _member_allowed(name):
                raise ArchiveError(f"{path}: member {m.name!r} is not part of Link's cache layout")
            if name in seen:
                raise ArchiveError(f"{path}: member {m.name!r} appears twice")
            if name == LINK_PIPELINE and m.size > limits.max_manifest_size:
                raise ArchiveError(
                    f"{path}: {LINK_PIPELINE} is {human_size(m.size)}, over the limit of "
                    f"{human_size(limits.max_manifest_size)}"
                )
            seen.add(name)
            if len(seen) > limits.max_members:
                raise ArchiveError(f"{path}: more than {limits.max_members} members")
            target = dest / name
            try:
                if m.isdir():
                    target.mkdir(parents=True, exist_ok=True)
                    continue
                total += m.size
                if total > limits.max_total_size:
                    raise ArchiveError(
                        f"{path}: contents exceed the limit of "
                        f"{human_size(limits.max_total_size)} in total (--max-total-size)"
                    )
                src = tar.extractfile(m)
                if src is None:
                    raise ArchiveError(f"{path}: member {m.name!r} has no content")
                target.parent.mkdir(parents=True, exist_ok=True)
                written = 0
                with open(target, "xb") as out:
                    while chunk := src.read(1 << 20):
                        written += len(chunk)
                        if written > limits.max_member_size:
                            raise ArchiveError(f"{path}: member {m.name!r} is over the limit")
                        out.write(chunk)
            except (tarfile.TarError, EOFError, zlib.error) as e:
                raise ArchiveError(f"{path}: damaged archive ({e})") from None
            except OSError as e:
                raise ArchiveError(f"{path}: member {m.name!r} cannot be unpacked ({e})") from None
    if LINK_PIPELINE not in seen:
        raise ArchiveError(f"{path}: no {LINK_PIPELINE}: not a Link cache archive")


def _comments(code: str) -> list[str]:
    try:
        toks = tokenize.generate_tokens(io.StringIO(code).readline)
        return [t.string.strip() for t in toks if t.type == tokenize.COMMENT]
    except (tokenize.TokenError, SyntaxError):
        return []


def same_code(archived: str, current: str) -> bool:
    """Link's code check, without black: equal up to whitespace, or same syntax tree and comments.

    Link formats both sides with black and isort before comparing, so layout and
    quote style do not count and comments do. Reordered imports (isort) are the one
    change Link forgives that this does not.
    """
    if normalise_source(archived) == normalise_source(current):
        return True
    try:
        a, b = ast.parse(archived), ast.parse(current)
    except SyntaxError:
        return False
    return ast.dump(a) == ast.dump(b) and _comments(archived) == _comments(current)


@dataclass(frozen=True)
class LinkImportRow:
    """What became of one component of a Link archive."""

    id: str
    name: str
    #: "imported", or why not: "changed code", "changed parents", "missing parent",
    #: "unknown component", "not cached", "not cacheable"
    state: str
    detail: str = ""
    cell: int | None = None
    key: CacheKey | None = None
    size: int = 0

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "state": self.state,
            "detail": self.detail,
            "cell": None if self.cell is None else self.cell + 1,
            "key": self.key,
            "size": self.size,
        }


@dataclass(frozen=True)
class LinkImportReport:
    archive: Path
    rows: tuple[LinkImportRow, ...]

    @property
    def imported(self) -> tuple[LinkImportRow, ...]:
        return tuple(r for r in self.rows if r.state == "imported")

    def to_json(self) -> dict[str, Any]:
        return {
            "archive": str(self.archive),
            "format": "link",
            "components": [r.to_json() for r in self.rows],
        }


def _stage_entry(
    stage: Path,
    store: CacheStore,
    p: Pipeline,
    idx: int,
    key: CacheKey,
    folder: Path,
) -> tuple[EntryManifest | None, str]:
    """Turn one extracted component folder into a staged link-ls entry (or say why not)."""
    cell = p.cell(idx)
    lc = read_component(folder)
    if lc.status != CACHED:
        return None, f"Link's cache status is {lc.status!r}"
    if lc.identifier != str(cell.node_id):
        return None, "its cache.db belongs to another component"
    if lc.code != cell.source and not same_code(lc.code, cell.source):
        return None, "its cache.db holds other code"
    a = p.analyses[idx]
    entry = stage / key
    (entry / VARS_DIR).mkdir(parents=True)
    variables: list[VariableRecord] = []
    absent: list[str] = []
    for i, name in enumerate(sorted(set(a.provides))):
        data = lc.variables.get(name)
        if data is None and name in lc.modules:
            data = module_statement_pickle(lc.modules[name])
        if data is None:
            absent.append(name)
            continue
        rel = f"{VARS_DIR}/{i:03d}.pkl"
        (entry / rel).write_bytes(data)
        size, digest = sha256_file(entry / rel)
        variables.append(VariableRecord(name, FileRecord(rel, size, digest)))
    m = EntryManifest(
        key=key,
        notebook=store.notebook,
        node=str(cell.node_id),
        name=cell.name,
        language=p.notebook.language,
        created=now_iso(),
        outputs=write_json(entry / OUTPUTS_NAME, list(lc.outputs)),
        variables=tuple(variables),
        absent=tuple(absent),
        deleted=tuple(sorted(set(a.deletes))),
    )
    write_json(entry / MANIFEST_NAME, m.to_json())
    return m, ""


def import_link_cache(
    archive: Path,
    store: CacheStore,
    nb: Notebook,
    *,
    limits: ImportLimits | None = None,
    parameters: Mapping[str, Any] | None = None,
) -> LinkImportReport:
    """Check and import Link's cache archive; every component is reported, matched or not.

    When no component can be imported and some do not match the notebook (changed
    code or parents), the archive is refused with that reason and nothing is
    written, like Link's own import.
    """
    p = build(nb)
    keys = compute_keys(nb, p, parameters)
    by_id = {str(c.canvas.id): c.index for c in nb.components if c.canvas is not None}
    # unpacked and converted in a private folder: the store is only touched to commit
    with tempfile.TemporaryDirectory(prefix="link-ls-link-cache-") as tmp:
        stage = Path(tmp) / "entries"
        unpacked = Path(tmp) / "archive"
        stage.mkdir()
        unpacked.mkdir()
        _extract(archive, limits or ImportLimits(), unpacked)
        try:
            raw = json.loads((unpacked / LINK_PIPELINE).read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, ValueError) as e:
            raise ArchiveError(f"{archive}: {LINK_PIPELINE} is not valid JSON ({e})") from None
        pipeline = parse_link_pipeline(raw, str(archive))
        rows: dict[str, LinkImportRow] = {}
        candidates: dict[int, LinkArchivedComponent] = {}
        for cid, comp in pipeline.items():
            idx = by_id.get(cid)
            if idx is None:
                rows[cid] = LinkImportRow(
                    cid, comp.name, "unknown component", "not in the notebook"
                )
                continue
            cell = nb.cells[idx]
            declared = {str(r.id) for r in cell.canvas.parents} if cell.canvas else set()
            if not same_code(comp.code, cell.source):
                rows[cid] = LinkImportRow(cid, cell.name, "changed code", "", idx)
            elif set(comp.parent_ids) != declared:
                rows[cid] = LinkImportRow(cid, cell.name, "changed parents", "", idx)
            else:
                candidates[idx] = comp
        staged: dict[int, EntryManifest] = {}
        for idx in [*keys, *(i for i in candidates if i not in keys)]:
            comp_or_none = candidates.get(idx)
            if comp_or_none is None:
                continue
            comp = comp_or_none
            cell = nb.cells[idx]
            row = LinkImportRow(comp.id, cell.name, "imported", "", idx, keys.get(idx))
            missing = [nb.cells[q].name for q in p.parents(idx) if q not in staged]
            why = uncacheable_reason(p, idx)
            folder = unpacked / f"{COMPONENT_PREFIX}{comp.id}"
            if idx not in keys:
                row = _why(row, "not cacheable", "it is on or below a cycle")
            elif why is not None:
                row = _why(row, "not cacheable", why)
            elif missing:
                row = _why(row, "missing parent", "parent " + ", ".join(missing) + " not imported")
            elif not folder.is_dir():
                row = _why(row, "not cached", "the archive has no cache folder for it")
            else:
                try:
                    m, reason = _stage_entry(stage, store, p, idx, keys[idx], folder)
                except ArchiveError as e:
                    raise ArchiveError(f"{archive}: {folder.name}: {e}") from None
                if m is None:
                    row = _why(row, "not cached", reason)
                else:
                    staged[idx] = m
                    row = LinkImportRow(comp.id, cell.name, "imported", "", idx, m.key, m.size)
            rows[comp.id] = row
        if not staged:
            raise ArchiveError(f"{archive}: {_refusal(nb, list(rows.values()))}")
        try:
            for m in staged.values():
                with store.staging() as final:
                    shutil.copytree(stage / m.key, final / m.key)
                    store.commit(final / m.key, m.key)
        except OSError as e:
            raise CacheError(f"{store.root}: cannot write the cache: {e.strerror or e}") from None
    order = list(pipeline)
    return LinkImportReport(archive, tuple(sorted(rows.values(), key=lambda r: order.index(r.id))))


def _why(row: LinkImportRow, state: str, detail: str) -> LinkImportRow:
    return LinkImportRow(row.id, row.name, state, detail, row.cell)


def _refusal(nb: Notebook, rows: Sequence[LinkImportRow]) -> str:
    for state in ("changed code", "changed parents"):
        hit = next((r for r in rows if r.state == state), None)
        if hit is not None:
            what = "code has changed" if state == "changed code" else "parents have changed"
            return (
                f"does not match {nb.display_name}: component {hit.name!r}: {what} "
                "since the cache was made"
            )
    if rows and all(r.state == "unknown component" for r in rows):
        return f"none of its components is in {nb.display_name}"
    if not rows:
        return "it holds no cached component"
    first = rows[0]
    return f"nothing could be imported: {first.name}: {first.state} ({first.detail})"
