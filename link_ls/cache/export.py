"""``cache export``: the valid entries of a notebook (or some of its cells) into one ``.tar.gz``.

Only entries valid for the notebook as it is now are exported (a stale entry
would be of no use to the colleague who opens the same notebook), and each is
re-hashed first, so a damaged store file is reported instead of shipped. The
archive is written to a temporary file beside the target and renamed into place.
"""

from __future__ import annotations

import contextlib
import getpass
import io
import json
import os
import socket
import tarfile
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from link_ls.cache.archive import (
    TOP_MANIFEST,
    ArchivedComponent,
    ArchiveManifest,
    entry_member,
)
from link_ls.cache.errors import CacheError
from link_ls.cache.model import MANIFEST_NAME, CacheState, EntryManifest, FileRecord
from link_ls.cache.status import component_statuses
from link_ls.cache.store import CacheStore, sha256_file
from link_ls.cache.transfer import now_iso
from link_ls.errors import UsageError
from link_ls.notebook import Notebook


@dataclass(frozen=True)
class ExportReport:
    path: Path
    manifest: ArchiveManifest
    #: components that had no valid entry and were left out (whole-notebook export)
    left_out: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "path": str(self.path),
            "notebook": self.manifest.notebook,
            "components": [
                {"name": c.name, "id": c.node, "key": c.key, "size": c.size}
                for c in self.manifest.components
            ],
            "total_size": self.manifest.size,
            "left_out": list(self.left_out),
        }


def _tarinfo(name: str, size: int, mtime: int) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.size = size
    info.mode = 0o644
    info.mtime = mtime
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    return info


def export_cache(
    nb: Notebook,
    store: CacheStore,
    output: Path,
    *,
    cells: Sequence[int] | None = None,
    parameters: Mapping[str, Any] | None = None,
) -> ExportReport:
    """Write the chosen components' valid entries to ``output`` (a ``.tar.gz``)."""
    rows = component_statuses(nb, store, parameters=parameters)
    by_index = {r.index: r for r in rows}
    chosen: list[EntryManifest] = []
    left_out: list[str] = []
    wanted = list(dict.fromkeys(cells)) if cells is not None else [r.index for r in rows]
    for idx in wanted:
        row = by_index.get(idx)
        if row is None:
            c = nb.cells[idx]
            raise UsageError(f"{nb.display_name}: {c.position} ({c.name}) is not a pipeline node")
        if row.state is not CacheState.VALID or row.key is None:
            if cells is not None:
                raise CacheError(
                    f"{nb.display_name}: {row.name} has no valid cache entry "
                    f"(state: {row.state.value}); run it first"
                )
            left_out.append(row.name)
            continue
        m = store.manifest(row.key)
        if m is None:
            raise CacheError(f"{nb.display_name}: the entry of {row.name} vanished during export")
        problems = store.verify(m)
        if problems:
            raise CacheError(
                f"{store.entry_dir(m.key)}: damaged cache entry for {row.name}: {problems[0]}"
            )
        chosen.append(m)
    if not chosen:
        raise CacheError(f"{nb.display_name}: nothing to export: no component has a valid entry")
    if not output.parent.is_dir():
        raise UsageError(f"{output}: folder {output.parent} does not exist")
    components: list[ArchivedComponent] = []
    for m in chosen:
        size, digest = sha256_file(store.entry_dir(m.key) / MANIFEST_NAME)
        recs = [FileRecord(entry_member(m.key, MANIFEST_NAME), size, digest)]
        recs += [FileRecord(entry_member(m.key, f.path), f.size, f.sha256) for f in m.files]
        components.append(ArchivedComponent(m.key, m.node, m.name, m.created, tuple(recs)))
    manifest = ArchiveManifest(
        store.notebook, now_iso(), tuple(components), creator=_user(), host=socket.gethostname()
    )
    _write(output, manifest, store)
    return ExportReport(output, manifest, tuple(left_out))


def _user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return ""


def _write(output: Path, manifest: ArchiveManifest, store: CacheStore) -> None:
    top = json.dumps(manifest.to_json(), indent=1, ensure_ascii=False).encode("utf-8")
    mtime = int(time.time())
    fd, tmp = tempfile.mkstemp(prefix=f".{output.name}.", suffix=".tmp", dir=output.parent)
    try:
        with os.fdopen(fd, "wb") as raw, tarfile.open(fileobj=raw, mode="w:gz") as tar:
            tar.addfile(_tarinfo(TOP_MANIFEST, len(top), mtime), io.BytesIO(top))
            for comp in manifest.components:
                base = store.entry_dir(comp.key)
                for rec in comp.files:
                    rel = rec.path[len(entry_member(comp.key, "")) :]
                    with open(base / rel, "rb") as f:
                        tar.addfile(_tarinfo(rec.path, rec.size, mtime), f)
        os.chmod(tmp, 0o644)
        os.replace(tmp, output)
    except BaseException as e:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        if isinstance(e, OSError):
            raise CacheError(f"{output}: cannot write the archive: {e.strerror or e}") from None
        raise
