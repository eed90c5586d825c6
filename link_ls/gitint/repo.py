"""A notebook inside a git repository: revisions, its path in each one (renames), its contents.

Everything goes through GitPython: ``Repo`` for objects and trees, ``repo.git.log``
for ``--follow``, which is the one rename-following walk git itself offers.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import git

from link_ls.gitint.errors import HistoryError
from link_ls.notebook import Notebook, loads

_RS, _US = "\x1e", "\x1f"


@dataclass(frozen=True)
class LogRecord:
    """One commit from ``git log --follow`` with what it did to the notebook's path."""

    sha: str
    parents: tuple[str, ...]
    author: str
    email: str
    date: str  # ISO 8601 author date
    subject: str
    status: str  # "added" | "modified" | "renamed" | "copied" | "deleted" | "merged"
    path: str  # path in this commit
    old_path: str | None  # path in the parent (differs only for renames/copies)


_STATUS = {"A": "added", "M": "modified", "R": "renamed", "C": "copied", "D": "deleted"}


class NotebookRepo:
    """A notebook path (repository-relative, posix) in an open repository."""

    def __init__(self, repo: git.Repo, relpath: str, abspath: Path) -> None:
        self.repo = repo
        self.relpath = relpath
        self.abspath = abspath

    @property
    def root(self) -> Path:
        assert self.repo.working_tree_dir is not None
        return Path(self.repo.working_tree_dir)

    def commit(self, rev: str) -> git.Commit:
        try:
            return self.repo.commit(rev)
        except (git.BadName, ValueError, git.GitCommandError):
            raise HistoryError(f"{self.relpath}: unknown revision {rev!r}") from None

    def log(self, limit: int | None = None, rev: str = "HEAD") -> list[LogRecord]:
        """Commits touching the notebook, newest first, following renames."""
        if not self.repo.head.is_valid():
            return []
        fmt = f"--format={_RS}%H{_US}%P{_US}%an{_US}%ae{_US}%aI{_US}%s"
        args = ["--follow", "-M", "--name-status", fmt]
        if limit is not None:
            args += ["-n", str(limit)]
        try:
            raw = self.repo.git.log(*args, rev, "--", self.relpath)
        except git.GitCommandError as e:
            raise HistoryError(f"{self.relpath}: git log failed: {_git_message(e)}") from None
        out: list[LogRecord] = []
        current = self.relpath
        for chunk in raw.split(_RS):
            if not chunk.strip():
                continue
            head, *rest = chunk.strip("\n").split("\n")
            sha, parents, author, email, date, subject = head.split(_US)
            status, path, old = "merged", current, None
            for line in rest:
                parts = line.split("\t")
                if len(parts) >= 2 and parts[0][:1] in _STATUS:
                    status = _STATUS[parts[0][:1]]
                    if len(parts) >= 3:
                        old, path = parts[1], parts[2]
                    else:
                        path = parts[1]
                    break
            pars = tuple(parents.split())
            out.append(LogRecord(sha, pars, author, email, date, subject, status, path, old))
            current = old or path
        return out

    def path_at(self, commit: git.Commit) -> str | None:
        """The notebook's path in ``commit``, following renames back from HEAD."""
        if _blob(commit, self.relpath) is not None:
            return self.relpath
        for rec in self.log():
            try:
                here = self.repo.commit(rec.sha)
                if rec.sha == commit.hexsha or self.repo.is_ancestor(here, commit):
                    path = rec.path if rec.status != "deleted" else None
                    if path is not None and _blob(commit, path) is not None:
                        return path
                    return None
            except git.GitCommandError:
                continue
        return None

    def read_at(self, rev: str, path: str | None = None) -> tuple[str, str]:
        """(text, path) of the notebook at ``rev``."""
        commit = self.commit(rev)
        where = path or self.path_at(commit)
        blob = _blob(commit, where) if where else None
        if blob is None or where is None:
            raise HistoryError(f"{self.relpath}: not present in revision {rev!r}")
        data: bytes = blob.data_stream.read()
        try:
            return data.decode("utf-8-sig"), where
        except UnicodeDecodeError:
            raise HistoryError(f"{where}@{rev}: not UTF-8 text") from None

    def load_at(self, rev: str, path: str | None = None) -> Notebook:
        text, where = self.read_at(rev, path)
        return loads(text, name=f"{where}@{short_rev(rev)}")


def short_rev(rev: str) -> str:
    return rev[:10] if len(rev) == 40 and all(c in "0123456789abcdef" for c in rev) else rev


def _blob(commit: git.Commit, path: str) -> git.Blob | None:
    try:
        obj = commit.tree / path
    except KeyError:
        return None
    return obj if isinstance(obj, git.Blob) else None


def _git_message(e: git.GitCommandError) -> str:
    err = e.stderr if isinstance(e.stderr, str) else str(e)
    return err.strip().replace("stderr: ", "").strip("'\n ") or str(e)


def open_notebook_repo(path: str | os.PathLike[str]) -> NotebookRepo:
    """Find the repository containing ``path`` (the file need not exist in the work tree)."""
    p = Path(path).absolute()
    start = p.parent
    while not start.exists() and start != start.parent:
        start = start.parent
    try:
        repo = git.Repo(start, search_parent_directories=True)
    except (git.InvalidGitRepositoryError, git.NoSuchPathError):
        raise HistoryError(f"{path}: not inside a git repository") from None
    if repo.working_tree_dir is None:
        raise HistoryError(f"{path}: repository has no working tree")
    root = Path(repo.working_tree_dir).resolve()
    try:
        rel = p.parent.resolve().joinpath(p.name).relative_to(root)
    except ValueError:
        raise HistoryError(f"{path}: not inside the repository at {root}") from None
    return NotebookRepo(repo, rel.as_posix(), p)
