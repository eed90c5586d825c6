"""A file's index stages during a git merge (1 base, 2 ours, 3 theirs), read through GitPython."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import git

from link_ls.gitint.errors import GitError


@dataclass(frozen=True)
class IndexStages:
    """What git's index holds for one conflicted path: stage number -> the blob's bytes."""

    path: Path
    blobs: dict[int, bytes]


def _repo_for(path: Path) -> tuple[git.Repo, str]:
    try:
        repo = git.Repo(path.parent, search_parent_directories=True)
    except (git.InvalidGitRepositoryError, git.NoSuchPathError):
        raise GitError(f"{path}: not inside a git repository") from None
    top = repo.working_tree_dir
    if top is None:
        raise GitError(f"{path}: repository has no working tree")
    try:
        rel = path.resolve().relative_to(Path(top).resolve()).as_posix()
    except ValueError:
        raise GitError(f"{path}: outside the repository at {top}") from None
    return repo, rel


def index_stages(path: Path) -> IndexStages:
    """The unmerged stages of ``path`` (empty when git holds no conflict for it)."""
    repo, rel = _repo_for(path)
    blobs = {
        stage: blob.data_stream.read() for stage, blob in repo.index.unmerged_blobs().get(rel, [])
    }
    return IndexStages(path, blobs)
