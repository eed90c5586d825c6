"""In-memory indexes of cache stores: which entries a run could restore, without reading them.

Editors ask what the cache covers on every keystroke (code lenses, hovers). A
:class:`StoreIndex` reads its store once and keeps each usable entry's key and the
variables it lacks. Other processes write the store too (a ``link-ls run`` in a
terminal, a Dask worker, ``cache trust``), so before answering, the server calls
:meth:`StoreIndex.check`: two ``stat`` calls (the notebook's store folder and the
user's key file). Writers change the folder's modification time — an entry appears,
is replaced or goes away by a rename in it, and a signature added to an entry touches
it (:func:`link_ls.cache.store.sign_folder`) — and only then is the folder listed
again, and only the entries whose own folder changed are read again.

A modification time set within :data:`RACY_NS` of the look that recorded it may hide a
second change in the same clock tick, so such a stamp is not taken as settled: the
next check looks again (as git does for its "racily clean" index entries).

Each entry is kept as the :class:`~link_ls.cache.status.EntrySummary` that ``cache list``
reads too (state, size, trust and origin, node), so the components' states
(``link.state``, JupyterLab's headers) come from the same index as the lenses, by the
same rule as ``cache list`` (:func:`link_ls.cache.status.statuses_from`).

Not noticed: a file rewritten in place inside an entry (no rename, so no folder's time
changes), e.g. a ``manifest.json`` edited by hand; a run still verifies what it restores.
"""

from __future__ import annotations

import os
import secrets
import threading
import time
from collections.abc import Mapping
from pathlib import Path

from link_ls.cache.errors import CacheError
from link_ls.cache.keys import CacheKey
from link_ls.cache.model import is_key
from link_ls.cache.status import EntrySummary, summarise_entry
from link_ls.cache.store import CacheStore
from link_ls.cache.trust import UserKey, default_key_path, load_user_key

#: how recent (ns) a modification time may be before it is not trusted to reveal the next
#: change (file systems stamp with a coarse clock; a network one may lag behind)
RACY_NS = 2_000_000_000

#: what ``stat`` says of a folder or file: inode, modification and change time (ns)
_Stamp = tuple[int, int, int]


def _stamp(path: Path) -> _Stamp | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_ino, st.st_mtime_ns, st.st_ctime_ns)


def _settled(stamp: _Stamp | None, now: int) -> bool:
    return stamp is None or stamp[1] < now - RACY_NS


class StoreIndex:
    """The entries of a store: each one's summary, and those a run would restore (usable,
    complete, trusted): key -> absent variables."""

    def __init__(self, store: CacheStore) -> None:
        self.store = store
        self.usable: Mapping[CacheKey, frozenset[str]] = {}
        #: every readable entry, as ``cache list`` sees it (replaced whole, never mutated)
        self.entries: Mapping[CacheKey, EntrySummary] = {}
        #: whether the store has entries at all (usable or not)
        self.has_entries = False
        #: bumped whenever ``usable`` or ``has_entries`` changes (memos compare it)
        self.version = 0
        self._lock = threading.Lock()
        self._folder: _Stamp | None = None
        self._key: _Stamp | None = None
        self._racy = True
        #: per entry folder: its stamp when read, and its summary (None: unreadable manifest)
        self._entries: dict[CacheKey, tuple[_Stamp, EntrySummary | None]] = {}
        self.refresh()

    def refresh(self) -> None:
        """List the store again and read every entry whose folder changed (after this
        server's own run or cache command: no stamp is trusted to be settled)."""
        with self._lock:
            if _stamp(default_key_path()) != self._key:
                self._entries = {}
            self._scan()

    def check(self) -> bool:
        """Notice what other processes wrote, removed or signed since the last look (cheap
        when nothing did: two ``stat`` calls); returns whether the index changed."""
        with self._lock:
            key = _stamp(default_key_path())
            if key != self._key:
                self._entries = {}  # another key: every entry's trust may differ
            elif not self._racy and _stamp(self.store.folder) == self._folder:
                return False
            return self._scan()

    def _user(self) -> UserKey | None:
        try:
            return load_user_key(create=False)  # editors never create the key
        except CacheError:
            if default_key_path().exists():
                return None  # an unusable key: a run restores nothing, trust is unknown
        # no key yet (the first run makes it): entries stand as with a new key that has
        # signed nothing — unsigned or foreign, never trusted — as ``cache list`` says
        return UserKey(secrets.token_bytes(32), default_key_path())

    def _scan(self) -> bool:
        now = time.time_ns()
        self._key = _stamp(default_key_path())
        self._folder = folder = _stamp(self.store.folder)
        racy = not _settled(folder, now)
        user = self._user()
        seen: dict[CacheKey, tuple[_Stamp, EntrySummary | None]] = {}
        for key, st in self._listing():
            old = self._entries.get(key)
            if old is not None and old[0] == st and _settled(st, now):
                seen[key] = old
                continue
            racy = racy or not _settled(st, now)
            seen[key] = (st, summarise_entry(self.store, key, user))
        self._entries = seen
        self._racy = racy
        self.entries = {k: e for k, (_, e) in seen.items() if e is not None}
        usable = {k: e.absent for k, e in self.entries.items() if e.restorable}
        if usable == self.usable and bool(seen) == self.has_entries:
            return False
        self.usable = usable
        self.has_entries = bool(seen)
        self.version += 1
        return True

    def _listing(self) -> list[tuple[CacheKey, _Stamp]]:
        found: list[tuple[CacheKey, _Stamp]] = []
        try:
            with os.scandir(self.store.folder) as it:
                for e in it:
                    if not is_key(e.name):
                        continue
                    try:
                        if not e.is_dir():
                            continue
                        st = e.stat()
                    except OSError:  # gone since the listing: it is not there
                        continue
                    found.append((CacheKey(e.name), (st.st_ino, st.st_mtime_ns, st.st_ctime_ns)))
        except OSError:
            return []
        return sorted(found)


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
