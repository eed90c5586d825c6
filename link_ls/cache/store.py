"""The on-disk store: one folder per entry, written atomically, read strictly.

Layout (``root`` is ``.link_ls/cache/`` beside the notebook unless moved by an
option or ``LINK_LS_CACHE_DIR``)::

    root/<notebook file name>/<key>/manifest.json
                                   /outputs.json
                                   /vars/000.pkl, 001.npy, 002.json, 003.parquet …
                                   /signatures.json   HMACs of manifest.json (trust.py)
                                   /origin.json       where an imported entry came from
                                   /stamps.json       files unchanged since checked (stamps.py)
    root/.tmp/…                    staging folders, renamed into place when complete

An entry folder appears in one ``rename``: readers never see half an entry.
Entries are grouped by notebook so ``cache clear`` and the stale state concern
one notebook, while keys stay content hashes.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from link_ls.cache.errors import CacheError
from link_ls.cache.keys import CacheKey
from link_ls.cache.model import MANIFEST_NAME, EntryManifest, FileRecord, entry_from_json, is_key
from link_ls.cache.trust import (
    ORIGIN_NAME,
    SIGNATURES_NAME,
    Origin,
    TrustState,
    UserKey,
    origin_from_json,
    read_side_file,
    read_signatures,
    signatures_json,
    trust_state,
)

CACHE_DIR_ENV = "LINK_LS_CACHE_DIR"
DEFAULT_CACHE_DIR = Path(".link_ls") / "cache"
STAGING = ".tmp"
_CHUNK = 1 << 20
_MAX_MANIFEST = 16 << 20


@dataclass(frozen=True)
class EntryTrust:
    """An entry's manifest as read once, and how it stands with the user's key."""

    manifest: EntryManifest
    state: TrustState
    origin: Origin | None
    #: sha256 of the manifest's bytes (what its file stamps are bound to: stamps.py)
    manifest_sha256: str = field(default="", compare=False)

    @property
    def trusted(self) -> bool:
        return self.state is TrustState.TRUSTED


def default_root(notebook_path: Path, override: str | os.PathLike[str] | None = None) -> Path:
    """Where a notebook's cache lives: the option, else ``$LINK_LS_CACHE_DIR``, else beside it."""
    if override:
        return Path(override).expanduser().absolute()
    env = os.environ.get(CACHE_DIR_ENV)
    if env:
        return Path(env).expanduser().absolute()
    return notebook_path.absolute().parent / DEFAULT_CACHE_DIR


def sha256_file(path: Path) -> tuple[int, str]:
    """Size and sha256 of a file, read in chunks."""
    h = hashlib.sha256()
    size = 0
    with open(path, "rb") as f:
        while chunk := f.read(_CHUNK):
            h.update(chunk)
            size += len(chunk)
    return size, h.hexdigest()


def sign_folder(folder: Path, user: UserKey, raw: bytes) -> None:
    """Write ``signatures.json`` in an entry folder with the user's HMAC of ``raw`` added.

    Other users' signatures (a shared store) are kept; the file is replaced in one rename.
    """
    macs = read_signatures(folder)
    macs[user.key_id] = user.sign(raw)
    tmp = folder / f".{SIGNATURES_NAME}.{uuid.uuid4().hex}.tmp"
    try:
        tmp.write_bytes(signatures_json(macs))
        os.replace(tmp, folder / SIGNATURES_NAME)
    except OSError as e:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise CacheError(f"{folder}: cannot sign the cache entry: {e.strerror or e}") from None
    # the notebook's store folder changes too, so that indexes of the store (an editor's
    # server, link_ls.cache.index) notice a new signature with one stat of that folder
    with contextlib.suppress(OSError):
        os.utime(folder.parent)


def write_origin(folder: Path, origin: Origin) -> None:
    (folder / ORIGIN_NAME).write_text(json.dumps(origin.to_json(), indent=1), encoding="utf-8")


def write_json(path: Path, data: Any) -> FileRecord:
    """Write JSON and return its record (path is the bare file name)."""
    raw = json.dumps(data, indent=1, ensure_ascii=False, sort_keys=True).encode("utf-8")
    with open(path, "wb") as f:
        f.write(raw)
        f.flush()
        os.fsync(f.fileno())
    return FileRecord(path.name, len(raw), hashlib.sha256(raw).hexdigest())


class CacheStore:
    """The entries of one notebook under one store root."""

    def __init__(self, root: Path, notebook: str) -> None:
        if not notebook or "/" in notebook or notebook in (".", ".."):
            raise CacheError(f"bad notebook name for a cache store: {notebook!r}")
        self.root = Path(root)
        self.notebook = notebook
        self.folder = self.root / notebook

    @classmethod
    def for_notebook(
        cls, notebook_path: Path, override: str | os.PathLike[str] | None = None
    ) -> CacheStore:
        return cls(default_root(notebook_path, override), notebook_path.name)

    @property
    def location(self) -> str:
        """Where the entries are, as the user would name it (the notebook's store folder)."""
        return str(self.folder)

    # -- reading -------------------------------------------------------------------
    def entry_dir(self, key: CacheKey) -> Path:
        return self.folder / key

    def keys(self) -> list[CacheKey]:
        if not self.folder.is_dir():
            return []
        return sorted(CacheKey(p.name) for p in self.folder.iterdir() if is_key(p.name))

    def manifest(self, key: CacheKey) -> EntryManifest | None:
        """The entry's manifest; None when there is no entry or it cannot be read."""
        got = self.read_manifest(key)
        return got[0] if got is not None else None

    def read_manifest(self, key: CacheKey) -> tuple[EntryManifest, bytes] | None:
        """The entry's manifest and the exact bytes it was parsed from (what is signed)."""
        path = self.entry_dir(key) / MANIFEST_NAME
        try:
            with open(path, "rb") as f:
                raw = f.read(_MAX_MANIFEST + 1)
            if len(raw) > _MAX_MANIFEST:
                return None
            m = entry_from_json(json.loads(raw.decode("utf-8")), str(path))
        except (OSError, ValueError, CacheError):
            return None
        return (m, raw) if m.key == key else None

    # -- trust ---------------------------------------------------------------------
    def origin(self, key: CacheKey) -> Origin | None:
        return origin_from_json(read_side_file(self.entry_dir(key), ORIGIN_NAME))

    def entry_trust(self, key: CacheKey, user: UserKey) -> EntryTrust | None:
        """The entry's manifest and its trust state, checked on the same bytes."""
        got = self.read_manifest(key)
        if got is None:
            return None
        m, raw = got
        state = trust_state(user, raw, read_signatures(self.entry_dir(key)))
        return EntryTrust(m, state, self.origin(key), hashlib.sha256(raw).hexdigest())

    def trusted_manifest(self, key: CacheKey, user: UserKey) -> EntryManifest | None:
        """The manifest only when its bytes carry the user's valid signature."""
        t = self.entry_trust(key, user)
        return t.manifest if t is not None and t.trusted else None

    def sign(self, key: CacheKey, user: UserKey, raw: bytes) -> None:
        """Add the user's signature of ``raw`` (the manifest's bytes) to the entry."""
        sign_folder(self.entry_dir(key), user, raw)

    def entries(self) -> list[EntryManifest]:
        return [m for k in self.keys() if (m := self.manifest(k)) is not None]

    def complete(self, m: EntryManifest) -> bool:
        """Every file the manifest lists is there with its size (hashes: :meth:`verify`)."""
        base = self.entry_dir(m.key)
        for f in m.files:
            try:
                if (base / f.path).stat().st_size != f.size:
                    return False
            except OSError:
                return False
        return True

    def usable(self, key: CacheKey) -> EntryManifest | None:
        """The entry under ``key`` if it can be restored: readable, complete, all saved."""
        m = self.manifest(key)
        if m is None or not m.usable or not self.complete(m):
            return None
        return m

    def verify(self, m: EntryManifest) -> list[str]:
        """Problems found by re-hashing every file of an entry (empty when all is well)."""
        base = self.entry_dir(m.key)
        problems: list[str] = []
        for f in m.files:
            try:
                size, digest = sha256_file(base / f.path)
            except OSError as e:
                problems.append(f"{f.path}: {e.strerror or e}")
                continue
            if size != f.size or digest != f.sha256:
                problems.append(f"{f.path}: content does not match its sha256")
        return problems

    def read_outputs(self, m: EntryManifest) -> list[dict[str, Any]]:
        """The entry's outputs, checked against the size and sha256 in its manifest."""
        path = self.entry_dir(m.key) / m.outputs.path
        try:
            with open(path, "rb") as f:
                raw = f.read(m.outputs.size + 1)
            if len(raw) != m.outputs.size or hashlib.sha256(raw).hexdigest() != m.outputs.sha256:
                raise CacheError(f"{path}: cached outputs do not match their sha256")
            data = json.loads(raw.decode("utf-8"))
        except (OSError, ValueError) as e:
            raise CacheError(f"{path}: cannot read cached outputs: {e}") from None
        if not isinstance(data, list) or not all(isinstance(o, Mapping) for o in data):
            raise CacheError(f"{path}: cached outputs are not a list of outputs")
        return [dict(o) for o in data]

    # -- writing -------------------------------------------------------------------
    @contextlib.contextmanager
    def staging(self) -> Iterator[Path]:
        """A fresh folder on the store's filesystem; removed afterwards unless committed."""
        tmp_root = self.root / STAGING
        tmp_root.mkdir(parents=True, exist_ok=True)
        path = Path(tempfile.mkdtemp(prefix="entry-", dir=tmp_root))
        try:
            yield path
        finally:
            shutil.rmtree(path, ignore_errors=True)

    def commit(self, staged: Path, key: CacheKey) -> Path:
        """Move a complete staged entry into place in one rename (replacing any old one)."""
        self.folder.mkdir(parents=True, exist_ok=True)
        dest = self.entry_dir(key)
        # a rename cannot replace a non-empty folder: move the old entry aside first
        trash: Path | None = None
        if dest.exists():
            trash = self.root / STAGING / f"old-{uuid.uuid4().hex}"
            os.replace(dest, trash)
        os.replace(staged, dest)
        if trash is not None:
            shutil.rmtree(trash, ignore_errors=True)
        return dest

    def remove(self, key: CacheKey) -> bool:
        dest = self.entry_dir(key)
        if not dest.exists():
            return False
        trash = self.root / STAGING / f"old-{uuid.uuid4().hex}"
        trash.parent.mkdir(parents=True, exist_ok=True)
        os.replace(dest, trash)
        shutil.rmtree(trash, ignore_errors=True)
        return True

    def clear(self) -> tuple[int, int]:
        """Remove every entry of this notebook; returns (entries, bytes) removed."""
        count = 0
        size = 0
        for key in self.keys():
            m = self.manifest(key)
            size += m.size if m is not None else 0
            if self.remove(key):
                count += 1
        with contextlib.suppress(OSError):
            self.folder.rmdir()
        return count, size
