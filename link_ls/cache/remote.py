"""A notebook's cache entries at an fsspec URL (object storage): read, checked and signed there.

A remote store (``--store s3://bucket/cache``, ``gcs://…``, anything fsspec opens other
than a local path or ``file://`` URL) is where machines meet. Its layout is the local
store's: ``URL/<notebook file name>/<key>/manifest.json``, ``outputs.json``,
``vars/NNN.<ext>``, ``signatures.json``. The executors copy entries between it and a
local mirror per machine (:mod:`link_ls.executors.remote`); ``cache trust``
(:mod:`link_ls.cache.trusting`) checks and signs them **here**, so that every machine
that reads the store finds the user's signature beside the manifest.

Object stores have no rename and no compare-and-swap: a signature is added by reading
``signatures.json``, adding the user's HMAC and writing it back (other key ids' HMACs
are kept), then reading it again to see the HMAC is there.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

from link_ls.cache.errors import CacheError
from link_ls.cache.keys import CacheKey
from link_ls.cache.model import MANIFEST_NAME, EntryManifest, entry_from_json, is_key
from link_ls.cache.store import EntryTrust
from link_ls.cache.trust import (
    MAX_SIDE_FILE,
    ORIGIN_NAME,
    SIGNATURES_NAME,
    Origin,
    UserKey,
    origin_from_json,
    parse_side_file,
    parse_signatures,
    signatures_json,
    trust_state,
)

#: the largest manifest read from a remote store (a manifest lists files, it is small)
MAX_MANIFEST = 1 << 20
_CHUNK = 1 << 20
#: read-modify-write rounds of ``signatures.json`` before giving up on a busy entry
_SIGN_ATTEMPTS = 3


def is_remote(store: str) -> bool:
    """Whether a ``--store`` value is a remote store: an fsspec URL, not a path or ``file://``."""
    scheme = urlparse(store).scheme
    return not (scheme in ("", "file") or (len(scheme) == 1 and os.name == "nt"))


def local_folder(store: str) -> Path:
    """A ``--store`` value that is not remote (a path or ``file://`` URL), as a folder."""
    url = urlparse(store)
    path = unquote(url.path) if url.scheme == "file" else store
    return Path(os.path.expanduser(path)).absolute()


def open_fs(url: str) -> tuple[Any, str]:
    """The fsspec filesystem of ``url`` and the path of the store in it."""
    try:
        import fsspec
    except ImportError:
        raise CacheError(
            "a store URL needs fsspec (and the package for its protocol, such as s3fs): "
            "pip install 'link-ls[dask]'"
        ) from None
    try:
        fs, base = fsspec.core.url_to_fs(url)
    except (ImportError, ValueError) as e:
        raise CacheError(f"--store {url}: {e}") from None
    return fs, str(base).rstrip("/")


def _name(path: str) -> str:
    return str(path).rstrip("/").rsplit("/", 1)[-1]


class RemoteEntries:
    """The entries of one notebook at a store URL (read strictly, checked, signed in place)."""

    def __init__(self, url: str, notebook: str, fs: tuple[Any, str] | None = None) -> None:
        if not notebook or "/" in notebook or notebook in (".", ".."):
            raise CacheError(f"bad notebook name for a cache store: {notebook!r}")
        self.fs, root = fs or open_fs(url)
        self.url = url.rstrip("/")
        self.notebook = notebook
        self.base = f"{root}/{notebook}"

    @property
    def location(self) -> str:
        """Where the entries are, as the user would name it (``s3://bucket/cache/nb.ipynb``)."""
        return f"{self.url}/{self.notebook}"

    def path(self, key: CacheKey, name: str) -> str:
        return f"{self.base}/{key}/{name}"

    def _read(self, path: str, limit: int) -> bytes | None:
        try:
            with self.fs.open(path, "rb") as f:
                raw: bytes = f.read(limit + 1)
        except (FileNotFoundError, OSError):
            return None
        return raw

    def keys(self) -> list[CacheKey]:
        """The keys of the entry folders (listed afresh: another machine may have written)."""
        try:
            self.fs.invalidate_cache(self.base)
            names = self.fs.ls(self.base, detail=False)
        except (FileNotFoundError, OSError):
            return []
        return sorted(CacheKey(n) for n in map(_name, names) if is_key(n))

    def read_manifest(self, key: CacheKey) -> tuple[EntryManifest, bytes] | None:
        """The entry's manifest, strictly parsed, and its exact bytes (what is signed)."""
        raw = self._read(self.path(key, MANIFEST_NAME), MAX_MANIFEST)
        if raw is None or len(raw) > MAX_MANIFEST:
            return None
        try:
            m = entry_from_json(json.loads(raw.decode("utf-8")), f"{self.url}: {key}")
        except (ValueError, CacheError):
            return None
        return (m, raw) if m.key == key else None

    def signatures(self, key: CacheKey) -> dict[str, str]:
        return parse_signatures(
            parse_side_file(self._read(self.path(key, SIGNATURES_NAME), MAX_SIDE_FILE))
        )

    def origin(self, key: CacheKey) -> Origin | None:
        return origin_from_json(
            parse_side_file(self._read(self.path(key, ORIGIN_NAME), MAX_SIDE_FILE))
        )

    def entry_trust(self, key: CacheKey, user: UserKey) -> EntryTrust | None:
        """The entry's manifest and its trust state, checked on the same bytes."""
        got = self.read_manifest(key)
        if got is None:
            return None
        m, raw = got
        state = trust_state(user, raw, self.signatures(key))
        return EntryTrust(m, state, self.origin(key), hashlib.sha256(raw).hexdigest())

    def verify(self, m: EntryManifest) -> list[str]:
        """Problems found by hashing every file of the entry where it is (empty when sound)."""
        problems: list[str] = []
        for rec in m.files:
            h = hashlib.sha256()
            size = 0
            try:
                with self.fs.open(self.path(m.key, rec.path), "rb") as f:
                    while size <= rec.size and (chunk := f.read(_CHUNK)):
                        h.update(chunk)
                        size += len(chunk)
            except (FileNotFoundError, OSError) as e:
                problems.append(f"{rec.path}: {getattr(e, 'strerror', None) or e}")
                continue
            if size != rec.size or h.hexdigest() != rec.sha256:
                problems.append(f"{rec.path}: content does not match its sha256")
        return problems

    def sign(self, key: CacheKey, user: UserKey, raw: bytes) -> None:
        """Add the user's HMAC of ``raw`` to the entry's ``signatures.json``, keeping the others.

        ``raw`` must still be the manifest's bytes (a manifest replaced since it was checked
        is not signed).
        """
        where = f"{self.location}/{key}"
        if self._read(self.path(key, MANIFEST_NAME), MAX_MANIFEST) != raw:
            raise CacheError(f"{where}: the manifest changed while it was checked; not signed")
        mac = user.sign(raw)
        target = self.path(key, SIGNATURES_NAME)
        for _ in range(_SIGN_ATTEMPTS):
            macs = self.signatures(key)
            macs[user.key_id] = mac
            try:
                self.fs.pipe_file(target, signatures_json(macs))
            except OSError as e:
                raise CacheError(f"{where}: cannot sign the cache entry: {e}") from None
            if self.signatures(key).get(user.key_id) == mac:
                return
        raise CacheError(f"{where}: signatures.json kept changing while it was signed; try again")


def remote_stores_in(url: str) -> list[RemoteEntries]:
    """The notebook stores at ``url``: itself (one notebook's entries) or its children (a root)."""
    fs, base = open_fs(url)
    try:
        fs.invalidate_cache(base)
        children = [_name(p) for p in fs.ls(base, detail=False)]
    except (FileNotFoundError, OSError):
        raise CacheError(f"{url}: nothing there") from None
    if any(is_key(n) for n in children):
        parent, _, name = url.rstrip("/").rpartition("/")
        up = open_fs(parent)
        return [RemoteEntries(parent, name, up)]
    found = [RemoteEntries(url, n, (fs, base)) for n in sorted(children) if not n.startswith(".")]
    found = [s for s in found if s.keys()]
    if not found:
        raise CacheError(f"{url}: no cache entries here (give a notebook, or a cache folder)")
    return found
