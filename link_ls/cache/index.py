"""In-memory indexes of cache stores: which entries a run could restore, without disk reads.

Editors ask what the cache covers on every keystroke (code lenses, hovers). A
:class:`StoreIndex` reads its store once, keeps each usable entry's key and the
variables it lacks, and is read again only when told the store changed
(:meth:`CacheIndexes.refresh`, after a run or a cache command).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Mapping
from pathlib import Path

from link_ls.cache.keys import CacheKey
from link_ls.cache.store import CacheStore


class StoreIndex:
    """The usable entries of one store: key -> names of variables the entry does not hold."""

    def __init__(self, store: CacheStore) -> None:
        self.store = store
        self.usable: Mapping[CacheKey, frozenset[str]] = {}
        self.has_entries = False
        self.refresh()

    def refresh(self) -> None:
        """Read the store again (the only place the index touches the disk)."""
        keys = self.store.keys()
        usable: dict[CacheKey, frozenset[str]] = {}
        for key in keys:
            m = self.store.usable(key)
            if m is not None:
                usable[key] = frozenset(m.absent)
        #: whether the store has entries at all (usable or not)
        self.has_entries = bool(keys)
        self.usable = usable


class CacheIndexes:
    """One :class:`StoreIndex` per store folder, made on first use; thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._indexes: dict[Path, StoreIndex] = {}

    def for_notebook(
        self, notebook_path: Path, override: str | os.PathLike[str] | None = None
    ) -> StoreIndex:
        store = CacheStore.for_notebook(notebook_path, override)
        with self._lock:
            index = self._indexes.get(store.folder)
        if index is None:
            index = StoreIndex(store)
            with self._lock:
                index = self._indexes.setdefault(store.folder, index)
        return index

    def refresh(self) -> None:
        """Some store changed: read every indexed store again."""
        with self._lock:
            indexes = list(self._indexes.values())
        for index in indexes:
            index.refresh()
