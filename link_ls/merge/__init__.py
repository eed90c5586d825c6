"""Three-way cell-level merge of notebooks (code and pipeline), conflicts as data, git plumbing."""

from __future__ import annotations

from link_ls.merge.engine import merge_notebooks
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
from link_ls.merge.unresolved import find_conflicts, resolve_conflict

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
