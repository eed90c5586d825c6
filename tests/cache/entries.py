"""Test helpers: fixture notebooks, a store filled with real pickled entries, tree snapshots."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path
from typing import Any

import cloudpickle

from link_ls.cache.keys import CacheKey, compute_keys
from link_ls.cache.model import (
    MANIFEST_NAME,
    OUTPUTS_NAME,
    EntryManifest,
    FileRecord,
    Unserialisable,
    VariableRecord,
)
from link_ls.cache.store import CacheStore, sign_folder, write_json
from link_ls.cache.trust import ORIGIN_NAME, SIGNATURES_NAME, load_user_key
from link_ls.notebook import Notebook, load

FIXTURES = Path(__file__).parents[1] / "fixtures" / "cache"


def copy_fixture(name: str, folder: Path) -> Path:
    dest = folder / name
    shutil.copy(FIXTURES / name, dest)
    return dest


def add_entry(
    store: CacheStore,
    key: CacheKey,
    node: str,
    name: str,
    variables: dict[str, Any],
    outputs: list[dict[str, Any]] | None = None,
    unserialisable: tuple[Unserialisable, ...] = (),
    *,
    signed: bool = True,
) -> EntryManifest:
    """Write an entry through the store's own staging and commit, with real pickles.

    ``signed``: with the test session's user key, as the user's own runs write them.
    """
    with store.staging() as stage:
        (stage / "vars").mkdir()
        recs = []
        for i, (var, value) in enumerate(sorted(variables.items())):
            data = cloudpickle.dumps(value)
            rel = f"vars/{i:03d}.pkl"
            (stage / rel).write_bytes(data)
            recs.append(
                VariableRecord(var, FileRecord(rel, len(data), hashlib.sha256(data).hexdigest()))
            )
        out = write_json(stage / OUTPUTS_NAME, outputs or [])
        m = EntryManifest(
            key=key,
            notebook=store.notebook,
            node=node,
            name=name,
            language="python",
            created="2026-01-01T00:00:00+00:00",
            outputs=out,
            variables=tuple(recs),
            unserialisable=unserialisable,
        )
        write_json(stage / MANIFEST_NAME, m.to_json())
        if signed:
            sign_folder(stage, load_user_key(), (stage / MANIFEST_NAME).read_bytes())
        store.commit(stage, key)
    return m


def fill_store(nb: Notebook, store: CacheStore, names: list[str] | None = None) -> dict[str, str]:
    """An entry for every component (or the named ones), holding a small variable each."""
    keys = compute_keys(nb)
    out: dict[str, str] = {}
    for idx, key in keys.items():
        c = nb.cells[idx]
        if names is not None and c.name not in names:
            continue
        add_entry(
            store,
            key,
            str(c.node_id),
            c.name,
            {f"v_{idx}": list(range(idx * 10))},
            [{"output_type": "stream", "name": "stdout", "text": f"{c.name} ran\n"}],
        )
        out[c.name] = key
    return out


def tree(root: Path, *, data_only: bool = False) -> dict[str, bytes | None]:
    """Every path under ``root`` with its bytes (None for folders): equal means untouched.

    ``data_only``: leave out what is per user (signatures) or per copy (origin).
    """
    if not root.exists():
        return {}
    snap: dict[str, bytes | None] = {}
    for p in sorted(root.rglob("*")):
        if data_only and p.name in (SIGNATURES_NAME, ORIGIN_NAME):
            continue
        rel = str(p.relative_to(root))
        snap[rel] = None if p.is_dir() else p.read_bytes()
    return snap


def load_fixture(name: str, folder: Path) -> Notebook:
    return load(copy_fixture(name, folder))


def colleague_archive(notebook: Path, tmp_path: Path, names: list[str], archive: str) -> Path:
    """A colleague's entries for ``names`` of ``notebook``, signed with their key only (in
    ``tmp_path/their.key``), exported as ``tmp_path/archive``."""
    from link_ls.cache.export import export_cache

    folder = tmp_path / "colleague"
    folder.mkdir()
    shutil.copy(notebook, folder / notebook.name)
    theirs = load(folder / notebook.name)
    store = CacheStore.for_notebook(folder / notebook.name)
    fill_store(theirs, store, names)
    their_key = load_user_key(tmp_path / "their.key")
    keys = store.keys()  # a CacheStore's entries (not a dict)
    for key in keys:
        (store.entry_dir(key) / SIGNATURES_NAME).unlink()
        raw = (store.entry_dir(key) / MANIFEST_NAME).read_bytes()
        sign_folder(store.entry_dir(key), their_key, raw)
    out = tmp_path / archive
    export_cache(theirs, store, out)
    return out
