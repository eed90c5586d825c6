"""``cache trust``: sign the entries of a store with the user's key, once the user has decided.

The user names a notebook (its store), a notebook's store folder, or a whole store
root — a folder, or a remote store's URL (``s3://…``: signed where every machine of
a cluster reads it, :mod:`link_ls.cache.remote`). Every entry found is re-hashed
first; an entry whose files do not match its manifest, or that claims the user's
key but was altered, is refused (never signed); every other one is signed, and the
report names where each came from.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from link_ls.cache.errors import CacheError
from link_ls.cache.keys import CacheKey
from link_ls.cache.model import EntryManifest, is_key
from link_ls.cache.store import STAGING, CacheStore, EntryTrust
from link_ls.cache.trust import TrustState, UserKey, describe_untrusted, load_user_key


class EntrySource(Protocol):
    """A notebook's entries where they are: a store folder, or a remote store's URL."""

    @property
    def location(self) -> str: ...
    def keys(self) -> list[CacheKey]: ...
    def read_manifest(self, key: CacheKey) -> tuple[EntryManifest, bytes] | None: ...
    def entry_trust(self, key: CacheKey, user: UserKey) -> EntryTrust | None: ...
    def verify(self, m: EntryManifest) -> list[str]: ...
    def sign(self, key: CacheKey, user: UserKey, raw: bytes) -> None: ...


@dataclass(frozen=True)
class TrustedEntry:
    """What ``cache trust`` did with one entry."""

    #: the notebook's store: its folder, or ``URL/<notebook>`` for a remote store
    store: str
    key: CacheKey
    name: str
    #: its state before: "unsigned", "foreign", "trusted", "altered", or "unreadable"
    before: str
    #: "trusted" (signed now), "already trusted", or "refused"
    outcome: str
    #: where it came from (or why it was refused)
    detail: str
    origin: dict[str, Any] | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "store": self.store,
            "key": self.key,
            "name": self.name,
            "before": self.before,
            "outcome": self.outcome,
            "detail": self.detail,
            "origin": self.origin,
        }


@dataclass(frozen=True)
class TrustReport:
    entries: tuple[TrustedEntry, ...]
    key_file: Path

    def count(self, outcome: str) -> int:
        return sum(1 for e in self.entries if e.outcome == outcome)

    def to_json(self) -> dict[str, Any]:
        return {
            "keyFile": str(self.key_file),
            "trusted": self.count("trusted"),
            "alreadyTrusted": self.count("already trusted"),
            "refused": self.count("refused"),
            "entries": [e.to_json() for e in self.entries],
        }


def _has_entries(folder: Path) -> bool:
    try:
        return any(p.is_dir() and is_key(p.name) for p in folder.iterdir())
    except OSError:
        return False


def stores_in(folder: Path) -> list[CacheStore]:
    """The notebook stores in ``folder``: itself (one notebook's store) or its children (a root)."""
    if not folder.is_dir():
        raise CacheError(f"{folder}: no such folder")
    if _has_entries(folder):
        return [CacheStore(folder.parent, folder.name)]
    found = [
        CacheStore(folder, p.name)
        for p in sorted(folder.iterdir())
        if p.is_dir() and p.name != STAGING and not p.name.startswith(".") and _has_entries(p)
    ]
    if not found:
        raise CacheError(f"{folder}: no cache entries here (give a notebook, or a cache folder)")
    return found


def stores_at(location: str) -> list[EntrySource]:
    """The notebook stores a user names by place: a folder (:func:`stores_in`) or a
    remote store's URL (a notebook's entries there, or a whole store root)."""
    from link_ls.cache.remote import is_remote, remote_stores_in

    if is_remote(location):
        return list(remote_stores_in(location))
    return list(stores_in(Path(location)))


def notebook_store(
    notebook_path: Path, *, store: str | None = None, cache_dir: str | None = None
) -> EntrySource:
    """A notebook's store as a run with these options uses it: ``store`` (a run's
    ``--store``: a folder, ``file://`` URL or remote URL), else ``cache_dir``, else the
    default beside the notebook."""
    from link_ls.cache.remote import RemoteEntries, is_remote, local_folder

    if store and is_remote(store):
        return RemoteEntries(store, notebook_path.name)
    return CacheStore.for_notebook(notebook_path, local_folder(store) if store else cache_dir)


def trust_stores(
    stores: Sequence[EntrySource],
    *,
    keys: Sequence[CacheKey] | None = None,
    user: UserKey | None = None,
) -> TrustReport:
    """Sign every entry of ``stores`` (or only ``keys``) that is sound; report each one."""
    signer = user or load_user_key()
    out: list[TrustedEntry] = []
    for store in stores:
        for key in store.keys() if keys is None else keys:
            out.append(_trust_entry(store, key, signer))
    return TrustReport(tuple(out), signer.path)


def _trust_entry(store: EntrySource, key: CacheKey, signer: UserKey) -> TrustedEntry:
    where = store.location
    got = store.read_manifest(key)
    t = store.entry_trust(key, signer)
    if got is None or t is None:
        return TrustedEntry(where, key, "?", "unreadable", "refused", "no readable manifest")
    m, raw = got
    origin = t.origin.to_json() if t.origin is not None else None
    came = describe_untrusted(t.state, t.origin)

    def entry(outcome: str, detail: str) -> TrustedEntry:
        return TrustedEntry(where, key, m.name, t.state.value, outcome, detail, origin)

    if t.state is TrustState.TRUSTED:
        return entry("already trusted", "")
    if t.state is TrustState.ALTERED:
        return entry("refused", came)
    problems = store.verify(m)
    if problems:
        return entry("refused", f"damaged: {problems[0]}")
    try:
        # sign the bytes that were checked: a manifest swapped since is not trusted
        store.sign(key, signer, raw)
    except CacheError as e:
        return entry("refused", str(e))
    return entry("trusted", came)
