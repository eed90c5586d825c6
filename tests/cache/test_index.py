"""``link_ls.cache.index``: what a store holds, kept in memory until told it changed."""

from __future__ import annotations

from pathlib import Path

from link_ls.cache import CacheStore, compute_keys
from link_ls.cache.index import CacheIndexes
from link_ls.cache.model import Unserialisable
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
