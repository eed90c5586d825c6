"""``link_ls.cache.index``: what a store holds, kept in memory until told it changed."""

from __future__ import annotations

import os
from pathlib import Path

from link_ls.cache import CacheStore, compute_keys
from link_ls.cache.index import CacheIndexes
from link_ls.cache.model import Unserialisable
from link_ls.cache.trust import load_user_key
from link_ls.notebook import Notebook
from tests.cache.entries import add_entry, fill_store, load_fixture


def _setup(tmp_path: Path) -> tuple[Notebook, Path, CacheStore]:
    nb = load_fixture("diskcache-pipeline.ipynb", tmp_path)
    assert nb.path is not None
    return nb, nb.path, CacheStore.for_notebook(nb.path, tmp_path / "store")


def test_an_index_reads_its_store_once_and_again_only_on_refresh(tmp_path: Path) -> None:
    nb, path, store = _setup(tmp_path)
    indexes = CacheIndexes()
    index = indexes.for_notebook(path, tmp_path / "store")
    assert not index.has_entries and dict(index.usable) == {}
    filled = fill_store(nb, store)
    # the store changed behind the index's back: it still answers from memory
    assert not index.has_entries
    indexes.refresh()
    assert index.has_entries and set(index.usable) == set(filled.values())
    assert indexes.for_notebook(path, tmp_path / "store") is index


def test_an_entry_that_cannot_be_restored_is_not_usable(tmp_path: Path) -> None:
    nb, path, store = _setup(tmp_path)
    keys = compute_keys(nb)
    first, *rest = sorted(keys)
    add_entry(store, keys[first], "n", "c", {}, unserialisable=(Unserialisable("f", "lambda"),))
    names = [nb.cells[i].name for i in rest]
    fill_store(nb, store, names)
    index = CacheIndexes().for_notebook(path, tmp_path / "store")
    assert index.has_entries
    assert keys[first] not in index.usable
    assert {keys[i] for i in rest} == set(index.usable)


def _age(store: CacheStore) -> None:
    """Set the store's folder times a minute back, as if written long ago."""
    for folder in [store.folder, *store.folder.iterdir()]:
        st = folder.stat()
        os.utime(folder, ns=(st.st_atime_ns, st.st_mtime_ns - 60_000_000_000))


def test_a_check_notices_entries_other_processes_wrote_signed_or_removed(tmp_path: Path) -> None:
    nb, path, store = _setup(tmp_path)
    index = CacheIndexes().for_notebook(path, tmp_path / "store")
    assert not index.check() and not index.has_entries
    keys = compute_keys(nb)
    first, *rest = sorted(keys)
    # another process (a run in a terminal, a worker) writes entries
    filled = fill_store(nb, store, [nb.cells[i].name for i in rest])
    version = index.version
    assert index.check()
    assert set(index.usable) == set(filled.values()) and index.version > version
    assert not index.check()  # nothing new: the same answer
    # an entry nobody signed with this user's key is there, but a run would not restore it
    m = add_entry(store, keys[first], "n", nb.cells[first].name, {"a": 1}, signed=False)
    assert index.check() is False and index.has_entries
    assert keys[first] not in index.usable
    # long after (the folders' times are settled: no second look is needed to be sure)
    _age(store)
    index.check()
    assert not index.check()
    # `cache trust` in a terminal signs it
    got = store.read_manifest(m.key)
    assert got is not None
    store.sign(m.key, load_user_key(), got[1])
    assert index.check() and keys[first] in index.usable
    # `cache clear` elsewhere
    store.clear()
    assert index.check() and not index.has_entries and dict(index.usable) == {}
