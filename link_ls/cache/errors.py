"""Errors the cache raises: a bad store, a bad archive, a failed save or restore."""

from __future__ import annotations

from link_ls.errors import LinkError


class CacheError(LinkError):
    """The cache cannot do what was asked (unreadable store, unknown entry, …)."""


class ArchiveError(CacheError):
    """A cache archive is rejected on import; nothing has been written."""


class CacheSaveError(CacheError):
    """Variables could not be saved from the kernel into the store."""


class CacheRestoreError(CacheError):
    """A cache entry could not be restored into the kernel; nothing was assigned."""
