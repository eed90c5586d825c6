"""Errors of git access: not a repository, unknown revision, path not in a revision."""

from __future__ import annotations

from link_ls.errors import LinkError


class GitError(LinkError):
    """A git question about a notebook cannot be answered (no repo, no work tree, …)."""


class HistoryError(GitError):
    """A git question about a notebook cannot be answered (no repo, bad revision, no file)."""
