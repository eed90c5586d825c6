"""Git history of a notebook: its commits (through ``link_ls.gitint``), each with a diff summary."""

from __future__ import annotations

from link_ls.gitint.errors import HistoryError
from link_ls.gitint.repo import NotebookRepo, open_notebook_repo
from link_ls.history.log import HistoryEntry, notebook_history

__all__ = ["HistoryEntry", "HistoryError", "NotebookRepo", "notebook_history", "open_notebook_repo"]
