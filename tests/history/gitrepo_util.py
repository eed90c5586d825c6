"""Real git repositories for tests: isolated from the user's config, with a local identity."""

from __future__ import annotations

from pathlib import Path

import git
import pytest


def isolate_git(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """Point HOME/XDG/global git config into ``tmp_path`` so no user setting leaks in."""
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(home / ".gitconfig"))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    for var in ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE"):
        monkeypatch.delenv(var, raising=False)
    return home


def make_repo(path: Path) -> git.Repo:
    path.mkdir(parents=True, exist_ok=True)
    repo = git.Repo.init(path, initial_branch="main")
    with repo.config_writer() as cw:
        cw.set_value("user", "name", "Ada Tester")
        cw.set_value("user", "email", "ada@example.com")
        cw.set_value("commit", "gpgsign", "false")
    return repo


def commit_file(repo: git.Repo, rel: str, text: str, message: str) -> str:
    assert repo.working_tree_dir is not None
    p = Path(repo.working_tree_dir) / rel
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(text)
    repo.index.add([rel])
    return repo.index.commit(message).hexsha
