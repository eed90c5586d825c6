"""History and revision diffs of a notebook in a real git repository (GitPython)."""

from __future__ import annotations

import json
from pathlib import Path

import git
import pytest

from link_ls.diff.api import diff_json, diff_revisions
from link_ls.history import HistoryError, notebook_history
from link_ls.history.api import history_json
from tests.conftest import LinkLs
from tests.history.gitrepo_util import commit_file, isolate_git, make_repo
from tests.nbmake import cid, component, notebook_json


def _v1() -> str:
    return notebook_json(
        [
            component("load", "rows = [1, 2, 3]\n"),
            component("clean", "good = [r for r in rows if r]\n", ["load"]),
            component("train", "model = sum(good)\n", ["clean"]),
        ]
    )


def _v2() -> str:  # edits clean, adds evaluate
    return notebook_json(
        [
            component("load", "rows = [1, 2, 3]\n"),
            component("clean", "good = [r for r in rows if r > 1]\n", ["load"]),
            component("train", "model = sum(good)\n", ["clean"]),
            component("evaluate", "print(model)\n", ["train"]),
        ]
    )


def _v3() -> str:  # adds edge load→train
    return notebook_json(
        [
            component("load", "rows = [1, 2, 3]\n"),
            component("clean", "good = [r for r in rows if r > 1]\n", ["load"]),
            component("train", "model = sum(good) + len(rows)\n", ["clean", "load"]),
            component("evaluate", "print(model)\n", ["train"]),
        ]
    )


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> git.Repo:
    isolate_git(monkeypatch, tmp_path)
    r = make_repo(tmp_path / "proj")
    commit_file(r, "nb/pipe.ipynb", _v1(), "add pipeline")
    commit_file(r, "nb/pipe.ipynb", _v2(), "tighten cleaning, add evaluate")
    commit_file(r, "README.md", "hello\n", "unrelated commit")
    r.index.move(["nb/pipe.ipynb", "nb/model.ipynb"])
    r.index.commit("rename notebook")
    commit_file(r, "nb/model.ipynb", _v3(), "train also reads the raw rows")
    return r


def _root(r: git.Repo) -> Path:
    assert r.working_tree_dir is not None
    return Path(r.working_tree_dir)


def test_history_follows_renames_with_summaries(repo: git.Repo) -> None:
    entries = notebook_history(_root(repo) / "nb" / "model.ipynb")
    assert [e.record.subject for e in entries] == [
        "train also reads the raw rows",
        "rename notebook",
        "tighten cleaning, add evaluate",
        "add pipeline",
    ]
    assert [e.summary for e in entries] == [
        "1 cell changed; edge load→train added",
        "renamed from nb/pipe.ipynb; no changes",
        "1 cell changed, 1 added; component evaluate added",
        "notebook added: 3 cells, 3 components",
    ]
    assert entries[0].record.author == "Ada Tester"
    assert entries[1].record.old_path == "nb/pipe.ipynb"
    assert entries[3].record.path == "nb/pipe.ipynb"


def test_history_limit_and_json_shape(repo: git.Repo) -> None:
    j = history_json(_root(repo) / "nb" / "model.ipynb", limit=2)
    assert j["format"] == "link-ls/history"
    assert [c["message"] for c in j["commits"]] == [
        "train also reads the raw rows",
        "rename notebook",
    ]
    first = j["commits"][0]
    assert first["counts"] == {"modified": 1, "added": 0, "removed": 0, "moved": 0}
    assert first["pipeline"] == ["edge load→train added"]
    assert first["email"] == "ada@example.com"
    json.dumps(j)


def test_diff_between_revisions_across_a_rename(repo: git.Repo) -> None:
    path = _root(repo) / "nb" / "model.ipynb"
    d = diff_revisions(path, "HEAD~4", "HEAD")  # HEAD~4 still calls it nb/pipe.ipynb
    assert d.old_label == "nb/model.ipynb@HEAD~4"
    assert (
        d.summary() == "2 cells changed, 1 added; component evaluate added, edge load→train added"
    )


def test_diff_revision_against_working_tree_and_editor_text(repo: git.Repo) -> None:
    path = _root(repo) / "nb" / "model.ipynb"
    assert not diff_revisions(path, "HEAD").changed
    edited = _v3().replace("print(model)", "print('model', model)")
    path.write_text(edited)
    d = diff_revisions(path, "HEAD")
    assert d.new_label == "nb/model.ipynb (working tree)"
    assert [c.side.name for c in d.changed_cells] == ["evaluate"]
    # the server passes the editor's unsaved text as the new side
    j = diff_json(path.as_uri(), "HEAD~1", None, text=_v3(), format="html")
    assert j["new"] == "nb/model.ipynb (editor)"
    assert j["summary"] == "1 cell changed; edge load→train added"
    assert j["html"].startswith("<!DOCTYPE html>")


def test_cli_log_and_diff_rev(link_ls: LinkLs, repo: git.Repo) -> None:
    root = _root(repo)
    r = link_ls("log", "nb/model.ipynb", "-n", "1", cwd=root)
    assert r.returncode == 0, r.stderr
    assert "train also reads the raw rows" in r.stdout
    assert "1 cell changed; edge load→train added" in r.stdout
    r = link_ls("log", "nb/model.ipynb", "--format", "json", cwd=root)
    assert len(json.loads(r.stdout)["commits"]) == 4
    r = link_ls("diff", "nb/model.ipynb", "--rev", "HEAD~1", "--rev", "HEAD", cwd=root)
    assert r.returncode == 0, r.stderr
    assert "━━ component train (#3) · modified" in r.stdout
    assert "+ edge load→train" in r.stdout
    r = link_ls("diff", "nb/model.ipynb", "--rev", "HEAD", "--exit-code", cwd=root)
    assert r.returncode == 0 and "no changes" in r.stdout


def test_bad_revisions_and_paths_are_one_line_errors(
    link_ls: LinkLs, repo: git.Repo, tmp_path: Path
) -> None:
    root = _root(repo)
    r = link_ls("diff", "nb/model.ipynb", "--rev", "no-such-branch", cwd=root)
    assert r.returncode == 2
    assert r.stderr.strip() == "link-ls: error: nb/model.ipynb: unknown revision 'no-such-branch'"
    r = link_ls("diff", "README.md", "--rev", "HEAD~4", cwd=root)
    assert r.returncode == 2 and "not present in revision" in r.stderr
    outside = tmp_path / "outside.ipynb"
    outside.write_text(_v1())
    r = link_ls("log", str(outside), cwd=tmp_path)
    assert r.returncode == 2 and "not inside a git repository" in r.stderr
    assert "Traceback" not in r.stderr


def test_unreadable_version_in_history_does_not_stop_the_walk(repo: git.Repo) -> None:
    commit_file(repo, "nb/model.ipynb", '{"cells": [', "broken save")
    commit_file(repo, "nb/model.ipynb", _v3(), "fixed")
    entries = notebook_history(_root(repo) / "nb" / "model.ipynb", limit=2)
    assert entries[1].summary.startswith("not a readable notebook:")
    assert entries[0].summary == "notebook added: 4 cells, 4 components"


def test_not_a_repo_raises_typed_error(tmp_path: Path) -> None:
    with pytest.raises(HistoryError):
        notebook_history(tmp_path / "x.ipynb")


def test_component_ids_in_history_are_canvas_ids(repo: git.Repo) -> None:
    (e, *_) = notebook_history(_root(repo) / "nb" / "model.ipynb", limit=1)
    assert e.diff is not None and e.diff.pipeline is not None
    (edge,) = e.diff.pipeline.edges
    assert (edge.source.component_id, edge.target.component_id) == (cid("load"), cid("train"))
