"""``cache export --format link``: valid entries written as Link's ``<stem>-diskcache.tar.gz``.

The layout is described in :mod:`link_ls.cache.link_archive`; each component
folder is written through the diskcache library by
:func:`link_ls.cache.link_store.write_component`.
"""

from __future__ import annotations

import contextlib
import json
import os
import tarfile
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from link_ls.cache.errors import CacheError
from link_ls.cache.keys import compute_keys
from link_ls.cache.link_archive import COMPONENT_PREFIX, LINK_PIPELINE
from link_ls.cache.link_store import write_component
from link_ls.cache.model import CacheState, EntryManifest
from link_ls.cache.status import component_statuses
from link_ls.cache.store import CacheStore
from link_ls.errors import UsageError
from link_ls.notebook import Notebook
from link_ls.pipeline import build


@dataclass(frozen=True)
class LinkExportReport:
    path: Path
    #: (component id, name, bytes written for it)
    components: tuple[tuple[str, str, int], ...]
    left_out: tuple[str, ...]

    @property
    def size(self) -> int:
        return sum(c[2] for c in self.components)

    def to_json(self) -> dict[str, Any]:
        return {
            "path": str(self.path),
            "format": "link",
            "components": [{"id": i, "name": n, "size": s} for i, n, s in self.components],
            "total_size": self.size,
            "left_out": list(self.left_out),
        }


def _entry_variables(store: CacheStore, m: EntryManifest) -> dict[str, bytes]:
    base = store.entry_dir(m.key)
    problems = store.verify(m)
    if problems:
        raise CacheError(f"{base}: damaged cache entry for {m.name}: {problems[0]}")
    return {v.name: (base / v.file.path).read_bytes() for v in m.variables}


def export_link_cache(
    nb: Notebook,
    store: CacheStore,
    output: Path,
    *,
    cells: Sequence[int] | None = None,
    parameters: Mapping[str, Any] | None = None,
) -> LinkExportReport:
    """Write the chosen components' valid entries as Link's ``-diskcache.tar.gz``.

    Link keeps in each component's store every variable visible after it ran, so
    a component goes in only when it and all its ancestors have valid entries;
    its store gets their variables in run order (later ones win, deletions
    applied) and its own outputs.
    """
    if not nb.is_pipeline:
        raise UsageError(
            f"{nb.display_name}: Link's cache belongs to a pipeline notebook "
            "(cells with canvas components); this notebook has none"
        )
    p = build(nb)
    rows = component_statuses(nb, store, parameters=parameters, pipeline=p)
    valid = {r.index: r.key for r in rows if r.state is CacheState.VALID and r.key is not None}
    order = [r.index for r in rows]
    topo = list(compute_keys(nb, p, parameters))
    chosen: list[int] = []
    left_out: list[str] = []
    for idx in list(dict.fromkeys(cells)) if cells is not None else order:
        cell = nb.cells[idx]
        if not cell.is_component:
            if cells is not None:
                raise UsageError(f"{nb.display_name}: {cell.position} is not a Link component")
            continue
        lacking = [nb.cells[a].name for a in [*p.ancestors(idx), idx] if a not in valid]
        if lacking:
            if cells is not None:
                raise CacheError(
                    f"{nb.display_name}: {cell.name} cannot go to Link's cache: no valid "
                    f"entry for {', '.join(lacking)}; run it first"
                )
            left_out.append(cell.name)
            continue
        chosen.append(idx)
    if not chosen:
        raise CacheError(f"{nb.display_name}: nothing to export: no component has a valid entry")
    if not output.parent.is_dir():
        raise UsageError(f"{output}: folder {output.parent} does not exist")
    manifests = {i: store.manifest(k) for i, k in valid.items()}
    with tempfile.TemporaryDirectory(prefix=".link-cache-", dir=output.parent) as tmp:
        root = Path(tmp)
        info: dict[str, Any] = {}
        written: list[tuple[str, str, int]] = []
        for idx in sorted(chosen, key=topo.index):
            cell = nb.cells[idx]
            cid = str(cell.node_id)
            variables: dict[str, bytes] = {}
            for a in sorted([*p.ancestors(idx), idx], key=topo.index):
                m = manifests.get(a)
                if m is None:
                    raise CacheError(f"{nb.display_name}: the entry of {nb.cells[a].name} vanished")
                for name in m.deleted:
                    variables.pop(name, None)
                variables.update(_entry_variables(store, m))
            own = manifests[idx]
            assert own is not None
            folder = root / f"{COMPONENT_PREFIX}{cid}"
            write_component(
                folder,
                identifier=cid,
                code=cell.source,
                outputs=store.read_outputs(own),
                variables=variables,
            )
            raw_canvas = nb.raw_cells[idx].get("metadata", {}).get("canvas", {})
            color = raw_canvas.get("headerColor") if isinstance(raw_canvas, dict) else None
            info[cid] = {
                "component_name": cell.name,
                "component_metadata": {
                    "componentType": "CodeCell",
                    "headerColor": color if isinstance(color, str) else "none",
                    "diskcache": True,
                    "remoteExecution": None,
                },
                "component_cell_code": cell.source,
                "component_cache_dir": f"{COMPONENT_PREFIX}{cid}",
                "execution_status": "successful",
                "parent_ids": [str(nb.cells[q].node_id) for q in p.parents(idx)],
            }
            size = sum(f.stat().st_size for f in folder.rglob("*") if f.is_file())
            written.append((cid, cell.name, size))
        (root / LINK_PIPELINE).write_text(json.dumps(info), encoding="utf-8")
        _write_tar(output, root, [LINK_PIPELINE, *(f"{COMPONENT_PREFIX}{c}" for c in info)])
    return LinkExportReport(output, tuple(written), tuple(left_out))


def _write_tar(output: Path, root: Path, names: Sequence[str]) -> None:
    mtime = int(time.time())

    def clean(t: tarfile.TarInfo) -> tarfile.TarInfo:
        t.uid = t.gid = 0
        t.uname = t.gname = ""
        t.mtime = mtime
        t.mode = 0o755 if t.isdir() else 0o644
        return t

    fd, tmp = tempfile.mkstemp(prefix=f".{output.name}.", suffix=".tmp", dir=output.parent)
    try:
        with os.fdopen(fd, "wb") as raw, tarfile.open(fileobj=raw, mode="w:gz") as tar:
            for name in names:
                tar.add(root / name, arcname=name, filter=clean)
        os.chmod(tmp, 0o644)
        os.replace(tmp, output)
    except BaseException as e:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        if isinstance(e, OSError):
            raise CacheError(f"{output}: cannot write the archive: {e.strerror or e}") from None
        raise
