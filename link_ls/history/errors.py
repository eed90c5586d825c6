"""Errors of the history package: not a repository, unknown revision, path not in a revision."""

from __future__ import annotations

from link_ls.errors import LinkError


class HistoryError(LinkError):
    """A git question about a notebook cannot be answered (no repo, bad revision, no file)."""
