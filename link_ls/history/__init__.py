"""Git history of a notebook (GitPython): commits touching it, following renames, with summaries."""

from __future__ import annotations

from link_ls.history.gitrepo import NotebookRepo, open_notebook_repo
from link_ls.history.log import HistoryEntry, notebook_history

__all__ = ["HistoryEntry", "NotebookRepo", "notebook_history", "open_notebook_repo"]
