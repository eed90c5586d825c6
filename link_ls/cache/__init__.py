"""Per-component result cache: Merkle keys, the store, run-time restore, tar.gz export/import."""

from __future__ import annotations

from link_ls.cache.errors import (
    ArchiveError,
    CacheError,
    CacheRestoreError,
    CacheSaveError,
)
from link_ls.cache.keys import CacheKey, compute_keys, effective_parameters, normalise_source
from link_ls.cache.model import CacheState, ComponentStatus, EntryManifest
from link_ls.cache.planner import Disposition
from link_ls.cache.runner import CacheOptions, PipelineStepCache, make_step_cache, preview_plan
from link_ls.cache.status import component_statuses, wants_cache
from link_ls.cache.store import CACHE_DIR_ENV, CacheStore, default_root

__all__ = [
    "CACHE_DIR_ENV",
    "ArchiveError",
    "CacheError",
    "CacheKey",
    "CacheOptions",
    "CacheRestoreError",
    "CacheSaveError",
    "CacheState",
    "CacheStore",
    "ComponentStatus",
    "Disposition",
    "EntryManifest",
    "PipelineStepCache",
    "component_statuses",
    "compute_keys",
    "default_root",
    "effective_parameters",
    "make_step_cache",
    "normalise_source",
    "preview_plan",
    "wants_cache",
]
