"""``cache trust``: sign the entries of a store with the user's key, once the user has decided.

The user names a notebook (its store), a notebook's store folder, or a whole store
root. Every entry found is re-hashed first; an entry whose files do not match its
manifest, or that claims the user's key but was altered, is refused (never
signed); every other one is signed, and the report names where each came from.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from link_ls.cache.errors import CacheError
from link_ls.cache.keys import CacheKey
from link_ls.cache.model import is_key
from link_ls.cache.store import STAGING, CacheStore
from link_ls.cache.trust import TrustState, UserKey, describe_untrusted, load_user_key


@dataclass(frozen=True)
class TrustedEntry:
    """What ``cache trust`` did with one entry."""

    store: Path
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
            "store": str(self.store),
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


def trust_stores(
    stores: Sequence[CacheStore],
    *,
    keys: Sequence[CacheKey] | None = None,
    user: UserKey | None = None,
) -> TrustReport:
    """Sign every entry of ``stores`` (or only ``keys``) that is sound; report each one."""
    signer = user or load_user_key()
    out: list[TrustedEntry] = []
    for store in stores:
        for key in store.keys() if keys is None else keys:
            got = store.read_manifest(key)
            t = store.entry_trust(key, signer)
            if got is None or t is None:
                out.append(
                    TrustedEntry(
                        store.folder, key, "?", "unreadable", "refused", "no readable manifest"
                    )
                )
                continue
            m, raw = got
            origin = t.origin.to_json() if t.origin is not None else None
            where = describe_untrusted(t.state, t.origin)
            if t.state is TrustState.TRUSTED:
                out.append(
                    TrustedEntry(
                        store.folder, key, m.name, t.state.value, "already trusted", "", origin
                    )
                )
                continue
            if t.state is TrustState.ALTERED:
                out.append(
                    TrustedEntry(store.folder, key, m.name, t.state.value, "refused", where, origin)
                )
                continue
            problems = store.verify(m)
            if problems:
                out.append(
                    TrustedEntry(
                        store.folder,
                        key,
                        m.name,
                        t.state.value,
                        "refused",
                        f"damaged: {problems[0]}",
                        origin,
                    )
                )
                continue
            # sign the bytes that were checked: a manifest swapped since is not trusted
            store.sign(key, signer, raw)
            out.append(
                TrustedEntry(store.folder, key, m.name, t.state.value, "trusted", where, origin)
            )
    return TrustReport(tuple(out), signer.path)
