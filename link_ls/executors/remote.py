"""A cache store at an fsspec URL (object storage), mirrored through a local store per machine.

The local store (:class:`~link_ls.cache.store.CacheStore`) is where kernels and shells
read and write entries; a remote URL (``s3://bucket/cache``, ``gcs://…``, anything
fsspec opens) is where machines meet. Same layout as the local store:
``URL/<notebook file name>/<key>/manifest.json``, ``outputs.json``, ``vars/NNN.pkl``.

- :meth:`RemoteStore.fetch` copies an entry down into the local store: the manifest
  is parsed strictly first (only the files it lists, under the names the cache allows,
  are fetched), the copy is staged and renamed into place; the sha256 of every
  variable file is checked by the cache's restore code before anything is unpickled.
- :meth:`RemoteStore.publish` copies a local entry up, the manifest last: object
  stores have no rename, so an entry exists for readers only once every file it lists
  is there, and a worker that dies mid-upload leaves no entry.

The manifest travels byte for byte with its ``signatures.json``: whoever restores an
entry checks the signature on the mirror's copy (:mod:`link_ls.executors.trusted`).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import tempfile
from pathlib import Path
from typing import Any

from link_ls.cache.errors import CacheError
from link_ls.cache.keys import CacheKey
from link_ls.cache.model import MANIFEST_NAME, EntryManifest, entry_from_json
from link_ls.cache.store import CacheStore
from link_ls.cache.trust import SIGNATURES_NAME, UserKey
from link_ls.executors.model import ComponentTask, ExecutorError

#: the largest manifest read from a remote store (a manifest lists files, it is small)
MAX_MANIFEST = 1 << 20


def _fsspec() -> Any:
    try:
        import fsspec
    except ImportError:
        raise ExecutorError(
            "a store URL needs fsspec (and the package for its protocol, such as s3fs): "
            "pip install 'link-ls[dask]'"
        ) from None
    return fsspec


def mirror_root(url: str) -> Path:
    """This machine's local mirror of the store at ``url`` (under the temporary folder)."""
    digest = hashlib.sha256(url.encode("utf-8")).hexdigest()[:16]
    return Path(tempfile.gettempdir()) / "link-ls-store-mirror" / digest


class RemoteStore:
    """The entries of one notebook at an fsspec URL, with a local mirror."""

    def __init__(self, url: str, notebook: str, local: CacheStore) -> None:
        fsspec = _fsspec()
        try:
            self.fs, base = fsspec.core.url_to_fs(url)
        except (ImportError, ValueError) as e:
            raise ExecutorError(f"--store {url}: {e}") from None
        self.url = url
        self.base = f"{str(base).rstrip('/')}/{notebook}"
        self.local = local

    def _path(self, key: CacheKey, name: str) -> str:
        return f"{self.base}/{key}/{name}"

    def manifest(self, key: CacheKey) -> tuple[EntryManifest, bytes] | None:
        """The remote entry's manifest, strictly parsed, and its exact bytes (what is signed);
        None when there is none."""
        path = self._path(key, MANIFEST_NAME)
        try:
            with self.fs.open(path, "rb") as f:
                raw = f.read(MAX_MANIFEST + 1)
        except (FileNotFoundError, OSError):
            return None
        if len(raw) > MAX_MANIFEST:
            return None
        try:
            m = entry_from_json(json.loads(raw.decode("utf-8")), f"{self.url}: {key}")
        except (ValueError, CacheError):
            return None
        return (m, raw) if m.key == key else None

    def fetch(self, key: CacheKey, user: UserKey) -> EntryManifest | None:
        """The entry in the local mirror, copied down first unless the mirror already holds
        a complete one that ``user`` signed (whether the copy is trusted is the caller's
        check: this only moves bytes)."""
        have = self.local.trusted_manifest(key, user)
        if have is not None and have.usable and self.local.complete(have):
            return have
        got = self.manifest(key)
        if got is None or not got[0].usable:
            return None
        m, raw = got
        with self.local.staging() as stage:
            for rec in m.files:
                dest = stage / rec.path
                dest.parent.mkdir(parents=True, exist_ok=True)
                try:
                    self.fs.get_file(self._path(key, rec.path), str(dest))
                except (FileNotFoundError, OSError):
                    return None
                if dest.stat().st_size != rec.size:
                    return None
            with contextlib.suppress(FileNotFoundError, OSError):
                self.fs.get_file(self._path(key, SIGNATURES_NAME), str(stage / SIGNATURES_NAME))
            (stage / MANIFEST_NAME).write_bytes(raw)  # the signed bytes, not a re-encoding
            self.local.commit(stage, key)
        return self.local.usable(key)

    def publish(self, key: CacheKey) -> None:
        """Copy a local entry up, its manifest last."""
        m = self.local.manifest(key)
        if m is None:
            raise CacheError(f"no local entry {key} to publish")
        folder = self.local.entry_dir(key)
        try:
            for rec in m.files:
                target = self._path(key, rec.path)
                self.fs.makedirs(target.rsplit("/", 1)[0], exist_ok=True)
                self.fs.put_file(str(folder / rec.path), target)
            if (folder / SIGNATURES_NAME).is_file():
                self.fs.put_file(str(folder / SIGNATURES_NAME), self._path(key, SIGNATURES_NAME))
            self.fs.put_file(str(folder / MANIFEST_NAME), self._path(key, MANIFEST_NAME))
        except OSError as e:
            with contextlib.suppress(OSError):
                self.fs.rm(f"{self.base}/{key}", recursive=True)
            raise CacheError(f"cannot write to {self.url}: {e}") from None


def open_store(task: ComponentTask) -> tuple[CacheStore, RemoteStore | None]:
    """The local store a task works in, and the remote one it mirrors (if any)."""
    if task.store_url is None:
        return CacheStore(Path(task.store_root), task.notebook), None
    local = CacheStore(mirror_root(task.store_url), task.notebook)
    return local, RemoteStore(task.store_url, task.notebook, local)
