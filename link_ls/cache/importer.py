"""``cache import``: validate a cache archive completely, then add its entries to a store.

Nothing is written until the whole archive has been checked: the top-level
manifest and its schema version, every member's name (no absolute path, no
``..``, no backslash), type (regular files only: no symlink, hard link, device,
FIFO or folder), size (per member and in total, see :class:`ImportLimits`), that
every member is listed in the manifest and every listed file is present, that
every sha256 matches, and that each entry's own manifest agrees with the archive.
Only then are the files copied into a staging folder of the store — re-hashed on
the way, so an archive changed in between is still caught — and each entry is
renamed into place. Import never unpickles anything.
"""

from __future__ import annotations

import hashlib
import json
import tarfile
import zlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import IO, Any

from link_ls.cache.archive import (
    TOP_MANIFEST,
    ArchiveManifest,
    ImportLimits,
    archive_manifest_from_json,
    entry_member,
    human_size,
)
from link_ls.cache.errors import ArchiveError, CacheError
from link_ls.cache.keys import CacheKey, compute_keys
from link_ls.cache.model import MANIFEST_NAME, EntryManifest, entry_from_json
from link_ls.cache.store import CacheStore
from link_ls.notebook import Notebook

_CHUNK = 1 << 20


@dataclass(frozen=True)
class ImportedComponent:
    """An imported entry, and what it is for the target notebook."""

    key: CacheKey
    name: str
    size: int
    #: "valid" (matches a component as it is now), "stale" (the component changed
    #: since), "unknown" (no such component in this notebook), "unusable"
    state: str
    cell: int | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "name": self.name,
            "size": self.size,
            "state": self.state,
            "cell": None if self.cell is None else self.cell + 1,
        }


@dataclass(frozen=True)
class ImportReport:
    archive: Path
    notebook: str  # the notebook the archive was made from
    components: tuple[ImportedComponent, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "archive": str(self.archive),
            "from_notebook": self.notebook,
            "components": [c.to_json() for c in self.components],
        }


def open_stream(path: Path) -> tarfile.TarFile:
    try:
        # streaming mode: members are read once, in order, never seeked or extracted
        return tarfile.open(path, mode="r|gz")
    except FileNotFoundError:
        raise ArchiveError(f"{path}: no such file") from None
    except (tarfile.TarError, OSError, EOFError, zlib.error) as e:
        raise ArchiveError(f"{path}: not a gzip-compressed tar archive ({e})") from None


def check_member(
    path: Path, m: tarfile.TarInfo, limits: ImportLimits, *, allow_dirs: bool = False
) -> None:
    """Refuse a member with an unsafe name or type, or over the size limit.

    Folders are refused too unless ``allow_dirs`` (Link's archives list them).
    """
    name = m.name
    if name.startswith(("/", "\\")) or (len(name) > 1 and name[1] == ":"):
        raise ArchiveError(f"{path}: member {name!r} has an absolute path")
    if "\\" in name:
        raise ArchiveError(f"{path}: member {name!r} contains a backslash")
    if ".." in PurePosixPath(name).parts:
        raise ArchiveError(f"{path}: member {name!r} contains '..'")
    if m.issym():
        raise ArchiveError(f"{path}: member {name!r} is a symbolic link")
    if m.islnk():
        raise ArchiveError(f"{path}: member {name!r} is a hard link")
    if m.ischr() or m.isblk():
        raise ArchiveError(f"{path}: member {name!r} is a device")
    if m.isfifo():
        raise ArchiveError(f"{path}: member {name!r} is a FIFO")
    if allow_dirs and m.isdir():
        return
    if not m.isreg():
        raise ArchiveError(f"{path}: member {name!r} is not a regular file")
    if m.size > limits.max_member_size:
        raise ArchiveError(
            f"{path}: member {name!r} is {human_size(m.size)}, over the limit of "
            f"{human_size(limits.max_member_size)} per file (--max-member-size)"
        )


def _hash(f: IO[bytes], keep: int) -> tuple[int, str, bytes | None]:
    """Size, sha256, and the content itself when it is at most ``keep`` bytes."""
    h = hashlib.sha256()
    size = 0
    kept: list[bytes] = []
    while chunk := f.read(_CHUNK):
        h.update(chunk)
        size += len(chunk)
        if size <= keep:
            kept.append(chunk)
    return size, h.hexdigest(), (b"".join(kept) if size <= keep else None)


def members(path: Path, tar: tarfile.TarFile) -> Iterator[tarfile.TarInfo]:
    try:
        yield from tar
    except (tarfile.TarError, OSError, EOFError, zlib.error) as e:
        raise ArchiveError(f"{path}: damaged archive ({e})") from None


def validate_archive(
    path: Path, limits: ImportLimits
) -> tuple[ArchiveManifest, dict[CacheKey, EntryManifest]]:
    """Check everything about an archive without writing anything; the parsed manifests."""
    seen: dict[str, tuple[int, str]] = {}
    small: dict[str, bytes] = {}
    total = 0
    with open_stream(path) as tar:
        for m in members(path, tar):
            check_member(path, m, limits)
            if m.name in seen:
                raise ArchiveError(f"{path}: member {m.name!r} appears twice")
            if len(seen) >= limits.max_members:
                raise ArchiveError(f"{path}: more than {limits.max_members} members")
            total += m.size
            if total > limits.max_total_size:
                raise ArchiveError(
                    f"{path}: contents exceed the limit of {human_size(limits.max_total_size)} "
                    "in total (--max-total-size)"
                )
            f = tar.extractfile(m)
            if f is None:
                raise ArchiveError(f"{path}: member {m.name!r} has no content")
            keep = limits.max_manifest_size if m.name.endswith(".json") else 0
            try:
                size, digest, data = _hash(f, keep)
            except (tarfile.TarError, OSError, EOFError, zlib.error) as e:
                raise ArchiveError(f"{path}: damaged archive ({e})") from None
            seen[m.name] = (size, digest)
            if data is not None and m.name.rsplit("/", 1)[-1] in (TOP_MANIFEST, MANIFEST_NAME):
                small[m.name] = data
    if TOP_MANIFEST not in seen:
        raise ArchiveError(f"{path}: no {TOP_MANIFEST}: not a link-ls cache archive")
    top = _json(path, TOP_MANIFEST, small.get(TOP_MANIFEST))
    manifest = archive_manifest_from_json(top, str(path))
    listed: set[str] = {TOP_MANIFEST}
    entries: dict[CacheKey, EntryManifest] = {}
    for comp in manifest.components:
        for rec in comp.files:
            if rec.path in listed:
                raise ArchiveError(f"{path}: file {rec.path!r} is listed twice")
            listed.add(rec.path)
            got = seen.get(rec.path)
            if got is None:
                raise ArchiveError(f"{path}: listed file {rec.path!r} is missing from the archive")
            if got != (rec.size, rec.sha256):
                raise ArchiveError(
                    f"{path}: {rec.path!r} does not match its sha256 in the manifest"
                )
        entries[comp.key] = _entry(path, comp.key, comp.files, small)
    extra = sorted(set(seen) - listed)
    if extra:
        raise ArchiveError(f"{path}: member {extra[0]!r} is not listed in the archive manifest")
    return manifest, entries


def _json(path: Path, name: str, data: bytes | None) -> Any:
    if data is None:
        raise ArchiveError(f"{path}: {name} is missing or too large")
    try:
        return json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as e:
        raise ArchiveError(f"{path}: {name} is not valid JSON ({e})") from None


def _entry(
    path: Path, key: CacheKey, files: tuple[Any, ...], small: Mapping[str, bytes]
) -> EntryManifest:
    """The entry's own manifest must describe exactly the files the archive lists for it."""
    name = entry_member(key, MANIFEST_NAME)
    try:
        m = entry_from_json(_json(path, name, small.get(name)), f"{path}: {name}")
    except CacheError as e:
        raise ArchiveError(str(e)) from None
    if m.key != key:
        raise ArchiveError(f"{path}: {name} belongs to another key ({m.key[:12]})")
    expected = {(entry_member(key, f.path), f.size, f.sha256) for f in m.files}
    listed = {(f.path, f.size, f.sha256) for f in files if f.path != name}
    if expected != listed:
        raise ArchiveError(f"{path}: {name} does not match the files the archive lists for it")
    return m


def import_cache(
    archive: Path,
    store: CacheStore,
    nb: Notebook,
    *,
    limits: ImportLimits | None = None,
    parameters: Mapping[str, Any] | None = None,
) -> ImportReport:
    """Validate ``archive`` fully, then add its entries to ``store``; report per component."""
    manifest, entries = validate_archive(archive, limits or ImportLimits())
    keys = compute_keys(nb, parameters=parameters)
    by_key = {k: idx for idx, k in keys.items()}
    by_node = {str(nb.cells[idx].node_id): idx for idx in keys}
    _write(archive, store, manifest)
    out: list[ImportedComponent] = []
    for comp in manifest.components:
        m = entries[comp.key]
        if comp.key in by_key:
            idx: int | None = by_key[comp.key]
            state = "valid" if m.usable else "unusable"
        elif comp.node in by_node:
            idx, state = by_node[comp.node], "stale"
        else:
            idx, state = None, "unknown"
        name = nb.cells[idx].name if idx is not None else comp.name
        out.append(ImportedComponent(comp.key, name, comp.size, state, idx))
    return ImportReport(archive, manifest.notebook, tuple(out))


def _write(archive: Path, store: CacheStore, manifest: ArchiveManifest) -> None:
    expected = {r.path: (r.size, r.sha256) for c in manifest.components for r in c.files}
    with store.staging() as stage:
        try:
            with open_stream(archive) as tar:
                for m in members(archive, tar):
                    if m.name not in expected:
                        continue
                    src = tar.extractfile(m)
                    if src is None or not m.isreg():
                        raise ArchiveError(f"{archive}: the archive changed while importing")
                    dest = stage / PurePosixPath(m.name).relative_to("entries")
                    dest.parent.mkdir(parents=True, exist_ok=True)
                    h = hashlib.sha256()
                    size = 0
                    with open(dest, "wb") as out:
                        while chunk := src.read(_CHUNK):
                            h.update(chunk)
                            size += len(chunk)
                            out.write(chunk)
                    if (size, h.hexdigest()) != expected[m.name]:
                        raise ArchiveError(f"{archive}: the archive changed while importing")
        except OSError as e:
            raise CacheError(f"{store.root}: cannot write the cache: {e.strerror or e}") from None
        for comp in manifest.components:
            if not (stage / comp.key / MANIFEST_NAME).is_file():
                raise ArchiveError(f"{archive}: the archive changed while importing")
        try:
            for comp in manifest.components:
                store.commit(stage / comp.key, comp.key)
        except OSError as e:
            raise CacheError(f"{store.root}: cannot write the cache: {e.strerror or e}") from None
