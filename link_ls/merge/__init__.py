"""Three-way cell-level merge of notebooks (code and pipeline), conflicts as data, git plumbing."""

from __future__ import annotations

from typing import TYPE_CHECKING

from link_ls.lazy import lazy_attributes
from link_ls.merge.errors import ConflictNotFound, MergeError, MergeInputError, NotInMerge
from link_ls.merge.model import (
    CHOICES,
    Choice,
    Conflict,
    ConflictId,
    ConflictKind,
    MergeResult,
    MergeStats,
    OutputPolicy,
    Resolution,
    SourceEdit,
)

if TYPE_CHECKING:
    from link_ls.merge.engine import merge_notebooks
    from link_ls.merge.unresolved import find_conflicts, resolve_conflict

#: the merge machinery loads on first use: the language server imports this package
#: for its vocabulary (``CHOICES``) and should not pay for the engine before a merge
_LAZY = {
    "merge_notebooks": "link_ls.merge.engine",
    "find_conflicts": "link_ls.merge.unresolved",
    "resolve_conflict": "link_ls.merge.unresolved",
}


__getattr__ = lazy_attributes(__name__, _LAZY)


__all__ = [
    "CHOICES",
    "Choice",
    "Conflict",
    "ConflictId",
    "ConflictKind",
    "ConflictNotFound",
    "MergeError",
    "MergeInputError",
    "MergeResult",
    "MergeStats",
    "NotInMerge",
    "OutputPolicy",
    "Resolution",
    "SourceEdit",
    "find_conflicts",
    "merge_notebooks",
    "resolve_conflict",
]
