"""End to end in real git repositories: `git merge` through the link-ls driver, and `resolve`.

Each test makes a repository (GitPython), runs `link-ls git install` in it, commits
a notebook on main, edits it on two branches and merges with the real `git merge`.
"""

from __future__ import annotations

import copy
import json
import subprocess
from pathlib import Path
from typing import Any

import git
import nbformat
import pytest

from link_ls.merge import find_conflicts, resolve_conflict
from link_ls.notebook import dumps, load, save
from tests.conftest import LinkLs
from tests.history.gitrepo_util import commit_file, isolate_git, make_repo
from tests.merge.cases import (
    EVAL,
    LOAD,
    TRAIN,
    add_edge,
    drop,
    edit,
    nb,
    parents,
    pipeline_cells,
    source,
)
from tests.nbmake import component

NB = "analysis/pipeline.ipynb"
BASE = pipeline_cells()
pytestmark = pytest.mark.skipif(
    subprocess.run(["git", "--version"], capture_output=True).returncode != 0,
    reason="git is not installed",
)


def git_run(repo: git.Repo, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["git", *args], capture_output=True, text=True, cwd=repo.working_tree_dir, timeout=180
    )


def text(cells: list[dict[str, Any]]) -> str:
    return dumps(nb(cells))


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> git.Repo:
    isolate_git(monkeypatch, tmp_path)
    return make_repo(tmp_path / "repo")


def install(link_ls: LinkLs, repo: git.Repo) -> None:
    root = Path(str(repo.working_tree_dir))
    r = link_ls("git", "install", cwd=root)
    assert r.returncode == 0, r.stderr
    repo.index.add([".gitattributes"])


def diverge(repo: git.Repo, ours: list[Any], theirs: list[Any]) -> subprocess.CompletedProcess[str]:
    """Commit BASE on main, theirs on a branch, ours on main, then `git merge theirs`."""
    commit_file(repo, NB, text(BASE), "base")
    repo.git.checkout("-b", "theirs")
    commit_file(repo, NB, text(theirs), "theirs")
    repo.git.checkout("main")
    commit_file(repo, NB, text(ours), "ours")
    return git_run(repo, "merge", "--no-edit", "theirs")


def merged(repo: git.Repo) -> Any:
    path = Path(str(repo.working_tree_dir)) / NB
    nbformat.validate(nbformat.read(path, as_version=4))
    return load(path)


def unmerged(repo: git.Repo) -> set[str]:
    return {str(p) for p in git.IndexFile(repo).unmerged_blobs()}


def test_edits_to_different_cells_merge_cleanly(link_ls: LinkLs, repo: git.Repo) -> None:
    install(link_ls, repo)
    r = diverge(
        repo,
        edit(BASE, "load", LOAD.replace("[:100]", "[:200]")),
        edit(BASE, "eval", 'print("score:", score)'),
    )
    assert r.returncode == 0, r.stdout + r.stderr
    out = merged(repo)
    assert "[:200]" in source(out, "load") and source(out, "eval") == 'print("score:", score)'
    assert repo.head.commit.message.startswith("Merge")


def test_same_cell_different_lines_merge_cleanly(link_ls: LinkLs, repo: git.Repo) -> None:
    install(link_ls, repo)
    r = diverge(
        repo,
        edit(BASE, "load", LOAD.replace("range(1000)", "range(2000)")),
        edit(BASE, "load", LOAD.replace("[:100]", "[:500]")),
    )
    assert r.returncode == 0, r.stdout + r.stderr
    assert source(merged(repo), "load") == (
        "rows = list(range(2000))\nrows = [r * 2 for r in rows]\nrows = rows[:500]"
    )


def test_same_lines_conflict_leaves_a_valid_notebook_with_markers(
    link_ls: LinkLs, repo: git.Repo
) -> None:
    install(link_ls, repo)
    r = diverge(
        repo,
        edit(BASE, "train", TRAIN.replace("/ 2", "/ 3")),
        edit(BASE, "train", TRAIN.replace("/ 2", "/ 5")),
    )
    assert r.returncode != 0
    assert "CONFLICT" in r.stdout and NB in unmerged(repo)
    out = merged(repo)
    (c,) = find_conflicts(out)
    assert c.id == "source:1" and c.ours == "score = model / 3\n"
    # the user takes theirs in the editor, saves, adds and commits
    save(resolve_conflict(out, c.cell_index, c.id, "theirs").notebook, out.path)
    assert git_run(repo, "add", NB).returncode == 0
    assert git_run(repo, "commit", "--no-edit").returncode == 0
    assert source(merged(repo), "train") == "model = sum(rows)\nscore = model / 5"


def test_delete_against_edit_is_a_structured_conflict(link_ls: LinkLs, repo: git.Repo) -> None:
    install(link_ls, repo)
    r = diverge(repo, drop(BASE, "eval"), edit(BASE, "eval", EVAL + '\nprint("done")'))
    assert r.returncode != 0
    out = merged(repo)
    (c,) = find_conflicts(out)
    assert c.kind.value == "cell" and c.ours is None
    assert source(out, "eval").endswith('print("done")')


def test_edges_added_on_both_branches_are_all_kept(link_ls: LinkLs, repo: git.Repo) -> None:
    install(link_ls, repo)
    theirs = [*copy.deepcopy(BASE), component("report", "print(rows)", ["load"])]
    r = diverge(repo, add_edge(BASE, "eval", "load"), add_edge(theirs, "report", "train"))
    assert r.returncode == 0, r.stdout + r.stderr
    out = merged(repo)
    assert parents(out, "eval") == ["train", "load"]
    assert parents(out, "report") == ["load", "train"]


def test_edges_forming_a_cycle_conflict(link_ls: LinkLs, repo: git.Repo) -> None:
    install(link_ls, repo)
    base = [*drop(BASE, "eval"), component("eval", EVAL, [])]
    commit_file(repo, NB, text(base), "eval on its own")
    ours, theirs = add_edge(base, "eval", "train"), add_edge(base, "train", "eval")
    repo.git.checkout("-b", "theirs")
    commit_file(repo, NB, text(theirs), "train after eval")
    repo.git.checkout("main")
    commit_file(repo, NB, text(ours), "eval after train")
    r = git_run(repo, "merge", "--no-edit", "theirs")
    assert r.returncode != 0
    assert "cycle" in r.stdout + r.stderr
    out = merged(repo)
    assert {c.kind.value for c in find_conflicts(out)} == {"edges"}
    assert parents(out, "eval") == [] and parents(out, "train") == ["load"]


def test_bad_input_through_git_never_loses_our_file(link_ls: LinkLs, repo: git.Repo) -> None:
    install(link_ls, repo)
    commit_file(repo, NB, text(BASE), "base")
    repo.git.checkout("-b", "theirs")
    commit_file(repo, NB, text(BASE)[:200], "truncated by a bad tool")
    repo.git.checkout("main")
    ours = text(edit(BASE, "load", LOAD + "\nprint(len(rows))"))
    commit_file(repo, NB, ours, "ours")
    r = git_run(repo, "merge", "--no-edit", "theirs")
    assert r.returncode != 0
    assert "cannot merge cell by cell" in r.stderr
    assert (Path(str(repo.working_tree_dir)) / NB).read_text() == ours


def test_resolve_rebuilds_a_notebook_git_merged_as_text(link_ls: LinkLs, repo: git.Repo) -> None:
    # no driver: git merges the JSON line by line and both appended cells collide
    ours = [*copy.deepcopy(BASE), component("plot", "print(rows[:3])", ["load"])]
    theirs = [*copy.deepcopy(BASE), component("save", "print(len(rows))", ["train"])]
    r = diverge(repo, ours, theirs)
    assert r.returncode != 0
    path = Path(str(repo.working_tree_dir)) / NB
    with pytest.raises(json.JSONDecodeError):
        json.loads(path.read_text())
    done = link_ls("resolve", NB, cwd=Path(str(repo.working_tree_dir)))
    assert done.returncode == 0, done.stderr
    assert f"git add {NB}" in done.stderr
    out = merged(repo)
    assert [c.name for c in out.cells] == ["#1", "load", "train", "eval", "plot", "save"] or [
        c.name for c in out.cells
    ] == ["#1", "load", "train", "eval", "save", "plot"]
    assert git_run(repo, "add", NB).returncode == 0
    assert git_run(repo, "commit", "--no-edit").returncode == 0


def test_resolve_with_conflicts_left_exits_one(link_ls: LinkLs, repo: git.Repo) -> None:
    r = diverge(
        repo,
        edit(BASE, "train", TRAIN.replace("/ 2", "/ 3")),
        edit(BASE, "train", TRAIN.replace("/ 2", "/ 5")),
    )
    assert r.returncode != 0
    done = link_ls("resolve", NB, cwd=Path(str(repo.working_tree_dir)))
    assert done.returncode == 1
    assert "source:1" in done.stderr
    assert "<<<<<<< ours" in source(merged(repo), "train")


def test_resolve_refuses_outside_a_conflict_and_over_a_valid_notebook(
    link_ls: LinkLs, repo: git.Repo
) -> None:
    root = Path(str(repo.working_tree_dir))
    commit_file(repo, NB, text(BASE), "base")
    r = link_ls("resolve", NB, cwd=root)
    assert r.returncode == 2 and "no conflict" in r.stderr
    install(link_ls, repo)
    diverge(
        repo,
        edit(BASE, "train", TRAIN.replace("/ 2", "/ 3")),
        edit(BASE, "train", TRAIN.replace("/ 2", "/ 5")),
    )
    before = (root / NB).read_text()
    r = link_ls("resolve", NB, cwd=root)
    assert r.returncode == 2 and "--force" in r.stderr
    assert (root / NB).read_text() == before
