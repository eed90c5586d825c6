"""`link-ls git install/uninstall` in real repositories, and textconv through real `git diff`."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import git
import pytest

from tests.conftest import LinkLs
from tests.history.gitrepo_util import commit_file, isolate_git, make_repo
from tests.nbmake import component, notebook_json

ATTR_LINE = "*.ipynb merge=link-ls diff=link-ls"


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> git.Repo:
    isolate_git(monkeypatch, tmp_path)
    return make_repo(tmp_path / "proj")


def _root(r: git.Repo) -> Path:
    assert r.working_tree_dir is not None
    return Path(r.working_tree_dir)


def _nb(train_src: str, parents: list[str]) -> str:
    return notebook_json(
        [
            component("load", "rows = [1, 2, 3]\n"),
            component("clean", "good = rows\n", ["load"]),
            component("train", train_src, parents),
        ]
    )


def test_install_writes_attributes_and_config_with_absolute_commands(
    link_ls: LinkLs, repo: git.Repo
) -> None:
    root = _root(repo)
    r = link_ls("git", "install", cwd=root)
    assert r.returncode == 0, r.stderr
    assert ATTR_LINE in (root / ".gitattributes").read_text().splitlines()
    reader = repo.config_reader("repository")
    textconv = reader.get_value('diff "link-ls"', "textconv")
    driver = reader.get_value('merge "link-ls"', "driver")
    python = str(Path(sys.executable).absolute())
    assert textconv == f"{python} -m link_ls textconv"
    assert driver == f"{python} -m link_ls merge-driver %O %A %B %P"
    assert repo.git.check_attr("diff", "merge", "--", "a/b.ipynb").splitlines() == [
        "a/b.ipynb: diff: link-ls",
        "a/b.ipynb: merge: link-ls",
    ]
    # a second install changes nothing
    r = link_ls("git", "install", cwd=root / ".git")
    assert "already set" in r.stdout
    assert (root / ".gitattributes").read_text().count(ATTR_LINE) == 1


def test_git_diff_and_log_p_show_cells(link_ls: LinkLs, repo: git.Repo) -> None:
    root = _root(repo)
    assert link_ls("git", "install", cwd=root).returncode == 0
    commit_file(repo, "pipe.ipynb", _nb("model = sum(good)\n", ["clean"]), "first")
    (root / "pipe.ipynb").write_text(_nb("model = sum(good) + len(rows)\n", ["clean", "load"]))
    out = repo.git.diff("pipe.ipynb")
    assert "-━━ component train ← clean" in out
    assert "+━━ component train ← clean, load" in out
    assert "+model = sum(good) + len(rows)" in out
    assert '"metadata"' not in out  # cell-level text, not JSON
    repo.index.add(["pipe.ipynb"])
    repo.index.commit("second")
    log = repo.git.log("-p", "-n", "1", "--", "pipe.ipynb")
    assert "+model = sum(good) + len(rows)" in log


def test_refuses_nbdime_in_gitattributes_and_force_takes_over(
    link_ls: LinkLs, repo: git.Repo
) -> None:
    root = _root(repo)
    (root / ".gitattributes").write_text("*.ipynb diff=jupyternotebook merge=jupyternotebook\n")
    repo.git.config("--local", "diff.jupyternotebook.command", "git-nbdiffdriver diff")
    r = link_ls("git", "install", cwd=root)
    assert r.returncode == 1
    assert r.stderr.startswith("link-ls: error: *.ipynb already has another diff/merge driver")
    assert "diff=jupyternotebook (nbdime) = git-nbdiffdriver diff" in r.stderr
    assert "--force" in r.stderr
    assert ATTR_LINE not in (root / ".gitattributes").read_text()
    r = link_ls("git", "install", "--force", cwd=root)
    assert r.returncode == 0, r.stderr
    assert repo.git.check_attr("diff", "--", "x.ipynb") == "x.ipynb: diff: link-ls"
    # uninstall gives nbdime its notebooks back, untouched
    assert link_ls("git", "uninstall", cwd=root).returncode == 0
    assert (root / ".gitattributes").read_text() == (
        "*.ipynb diff=jupyternotebook merge=jupyternotebook\n"
    )
    assert repo.git.check_attr("diff", "--", "x.ipynb") == "x.ipynb: diff: jupyternotebook"


def test_nbdime_in_info_attributes_is_detected_and_forced_there_too(
    link_ls: LinkLs, repo: git.Repo
) -> None:
    root = _root(repo)
    info = Path(repo.git_dir) / "info" / "attributes"
    info.parent.mkdir(exist_ok=True)
    info.write_text("*.ipynb diff=jupyternotebook\n")
    r = link_ls("git", "install", cwd=root)
    assert r.returncode == 1 and str(info) in r.stderr
    r = link_ls("git", "install", "--force", cwd=root)
    assert r.returncode == 0, r.stderr
    assert repo.git.check_attr("diff", "--", "x.ipynb") == "x.ipynb: diff: link-ls"
    link_ls("git", "uninstall", cwd=root)
    assert info.read_text() == "*.ipynb diff=jupyternotebook\n"


def test_uninstall_removes_only_what_install_wrote(link_ls: LinkLs, repo: git.Repo) -> None:
    root = _root(repo)
    (root / ".gitattributes").write_text("*.png binary\n*.ipynb linguist-generated\n")
    repo.git.config("--local", "diff.other.textconv", "cat")
    link_ls("git", "install", cwd=root)
    r = link_ls("git", "uninstall", cwd=root)
    assert r.returncode == 0, r.stderr
    assert (root / ".gitattributes").read_text() == "*.png binary\n*.ipynb linguist-generated\n"
    reader = repo.config_reader("repository")
    assert not reader.has_section('diff "link-ls"')
    assert not reader.has_section('merge "link-ls"')
    assert reader.get_value('diff "other"', "textconv") == "cat"
    # a repository where install created .gitattributes gets no empty file left behind
    (root / ".gitattributes").unlink()
    link_ls("git", "install", cwd=root)
    link_ls("git", "uninstall", cwd=root)
    assert not (root / ".gitattributes").exists()


def test_global_install_and_refusal_of_global_nbdime(
    link_ls: LinkLs, repo: git.Repo, tmp_path: Path
) -> None:
    home = Path(os.environ["HOME"])
    r = link_ls("git", "install", "--global", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    attributes = home / ".config" / "git" / "attributes"
    assert ATTR_LINE in attributes.read_text()
    assert "link-ls -m" not in (home / ".gitconfig").read_text()
    assert "-m link_ls textconv" in (home / ".gitconfig").read_text()
    assert repo.git.check_attr("diff", "--", "x.ipynb") == "x.ipynb: diff: link-ls"
    assert link_ls("git", "uninstall", "--global", cwd=tmp_path).returncode == 0
    assert not attributes.exists()
    # nbdime configured for the user: a repository install refuses too
    attributes.write_text("*.ipynb diff=jupyternotebook\n")
    r = link_ls("git", "install", cwd=_root(repo))
    assert r.returncode == 1 and "jupyternotebook" in r.stderr


def test_install_outside_a_repository_is_a_clear_error(
    link_ls: LinkLs, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    isolate_git(monkeypatch, tmp_path)
    r = link_ls("git", "install", cwd=tmp_path)
    assert r.returncode == 2
    assert "not inside a git repository (use --global" in r.stderr
