"""Per-component result cache: Merkle keys, the store, trust, run-time restore, archives."""

from __future__ import annotations

from typing import TYPE_CHECKING

from link_ls.cache.errors import (
    ArchiveError,
    CacheError,
    CacheRestoreError,
    CacheSaveError,
)
from link_ls.cache.keys import CacheKey, compute_keys, effective_parameters, normalise_source
from link_ls.cache.model import CacheState, ComponentStatus, EntryManifest
from link_ls.cache.planner import Disposition
from link_ls.cache.status import component_statuses, wants_cache
from link_ls.cache.store import CACHE_DIR_ENV, CacheStore, EntryTrust, default_root
from link_ls.cache.trust import KEY_FILE_ENV, Origin, TrustState, UserKey, load_user_key
from link_ls.lazy import lazy_attributes

if TYPE_CHECKING:
    from link_ls.cache.runner import (
        CacheOptions,
        PipelineStepCache,
        make_step_cache,
        preview_plan,
    )
    from link_ls.cache.trusting import TrustReport, stores_in, trust_stores

#: the run-time half (kernel, jupyter_client) loads on first use: the language server
#: reads cache states at start and should not pay for a kernel client before a run
_LAZY = {
    "CacheOptions": "link_ls.cache.runner",
    "PipelineStepCache": "link_ls.cache.runner",
    "make_step_cache": "link_ls.cache.runner",
    "preview_plan": "link_ls.cache.runner",
    "TrustReport": "link_ls.cache.trusting",
    "stores_in": "link_ls.cache.trusting",
    "trust_stores": "link_ls.cache.trusting",
}


__getattr__ = lazy_attributes(__name__, _LAZY)


__all__ = [
    "CACHE_DIR_ENV",
    "KEY_FILE_ENV",
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
    "EntryTrust",
    "Origin",
    "PipelineStepCache",
    "TrustReport",
    "TrustState",
    "UserKey",
    "component_statuses",
    "compute_keys",
    "default_root",
    "effective_parameters",
    "load_user_key",
    "make_step_cache",
    "normalise_source",
    "preview_plan",
    "stores_in",
    "trust_stores",
    "wants_cache",
]
