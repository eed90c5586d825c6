"""Errors the merge package raises: unreadable merge inputs, unknown conflicts, bad choices."""

from __future__ import annotations

from link_ls.errors import LinkError


class MergeError(LinkError):
    """A merge cannot be done as asked."""


class MergeInputError(MergeError):
    """One of base/ours/theirs is not a notebook the merge can read (or majors differ)."""


class ConflictNotFound(MergeError):
    """``resolve_conflict`` was given a cell or conflict id that names no conflict."""


class NotInMerge(MergeError):
    """``link-ls resolve`` on a path that git does not hold in a conflicted state."""
