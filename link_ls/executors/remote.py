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
Reading, checking and signing entries at the URL itself (``cache trust --store URL``)
is :class:`~link_ls.cache.remote.RemoteEntries`, which this class extends.
"""

from __future__ import annotations

import contextlib
import hashlib
import tempfile
from pathlib import Path

from link_ls.cache.errors import CacheError
from link_ls.cache.keys import CacheKey
from link_ls.cache.model import MANIFEST_NAME, EntryManifest
from link_ls.cache.remote import RemoteEntries
from link_ls.cache.store import CacheStore
from link_ls.cache.trust import SIGNATURES_NAME, UserKey
from link_ls.executors.model import ComponentTask, ExecutorError


def mirror_root(url: str) -> Path:
    """This machine's local mirror of the store at ``url`` (under the temporary folder)."""
    digest = hashlib.sha256(url.encode("utf-8")).hexdigest()[:16]
    return Path(tempfile.gettempdir()) / "link-ls-store-mirror" / digest


class RemoteStore(RemoteEntries):
    """The entries of one notebook at an fsspec URL, with a local mirror."""

    def __init__(self, url: str, notebook: str, local: CacheStore) -> None:
        try:
            super().__init__(url, notebook)
        except CacheError as e:
            raise ExecutorError(str(e)) from None
        self.local = local

    def fetch(self, key: CacheKey, user: UserKey) -> EntryManifest | None:
        """The entry in the local mirror, copied down first unless the mirror already holds
        a complete one that ``user`` signed (whether the copy is trusted is the caller's
        check: this only moves bytes)."""
        have = self.local.trusted_manifest(key, user)
        if have is not None and have.usable and self.local.complete(have):
            return have
        got = self.read_manifest(key)
        if got is None or not got[0].usable:
            return None
        m, raw = got
        with self.local.staging() as stage:
            for rec in m.files:
                dest = stage / rec.path
                dest.parent.mkdir(parents=True, exist_ok=True)
                try:
                    self.fs.get_file(self.path(key, rec.path), str(dest))
                except (FileNotFoundError, OSError):
                    return None
                if dest.stat().st_size != rec.size:
                    return None
            with contextlib.suppress(FileNotFoundError, OSError):
                self.fs.get_file(self.path(key, SIGNATURES_NAME), str(stage / SIGNATURES_NAME))
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
                target = self.path(key, rec.path)
                self.fs.makedirs(target.rsplit("/", 1)[0], exist_ok=True)
                self.fs.put_file(str(folder / rec.path), target)
            if (folder / SIGNATURES_NAME).is_file():
                self.fs.put_file(str(folder / SIGNATURES_NAME), self.path(key, SIGNATURES_NAME))
            self.fs.put_file(str(folder / MANIFEST_NAME), self.path(key, MANIFEST_NAME))
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
