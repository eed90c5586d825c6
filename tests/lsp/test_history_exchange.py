"""link.diff and link.history on a real git repository (GitPython), link.export and link.import
into a closed file, an open text document and an open notebook document."""

from __future__ import annotations

import asyncio
import json
import shutil
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import git
import nbformat
import pytest
import pytest_asyncio
from lsprotocol import types
from pygls.exceptions import JsonRpcException
from pytest_lsp import LanguageClient

from tests.lsp.conftest import (
    FIXTURES,
    WAIT,
    OpenNotebook,
    apply_text_edits,
    diagnostics,
    edits_of,
    open_text,
    session,
)

pytestmark = pytest.mark.asyncio(loop_scope="module")
TRIPLET = FIXTURES / "merge-two-conflicts"


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def client() -> AsyncIterator[LanguageClient]:
    async with session() as c:
        yield c


async def command(client: LanguageClient, name: str, arg: Any) -> Any:
    return await asyncio.wait_for(
        client.workspace_execute_command_async(
            types.ExecuteCommandParams(command=name, arguments=[arg])
        ),
        WAIT,
    )


def two_commits(tmp_path: Path) -> Path:
    """nb.ipynb committed as base, then with train and eval edited (theirs)."""
    repo = git.Repo.init(tmp_path / "repo", initial_branch="main")
    with repo.config_writer() as cw:
        cw.set_value("user", "name", "Ada")
        cw.set_value("user", "email", "ada@example.com")
    assert repo.working_tree_dir is not None
    nb = Path(repo.working_tree_dir) / "nb.ipynb"
    for side, message in (("base", "first pipeline"), ("theirs", "score by 4, say done")):
        shutil.copy(TRIPLET / f"{side}.ipynb", nb)
        repo.index.add(["nb.ipynb"])
        repo.index.commit(message)
    return nb


async def test_history_and_diff_between_revisions_and_the_editor(
    client: LanguageClient, tmp_path: Path
) -> None:
    path = two_commits(tmp_path)
    uri = path.as_uri()
    history = await command(client, "link.history", {"uri": uri, "limit": 10})
    assert history["format"] == "link-ls/history"
    assert [c["message"] for c in history["commits"]] == ["score by 4, say done", "first pipeline"]
    newest = history["commits"][0]
    assert newest["author"] == "Ada" and newest["counts"]["modified"] == 2
    one = await command(client, "link.history", {"uri": uri, "limit": 1})
    assert len(one["commits"]) == 1

    diff = await command(client, "link.diff", {"uri": uri, "base": "HEAD~1", "target": "HEAD"})
    assert diff["format"] == "link-ls/diff" and diff["changed"] is True
    assert [c["label"] for c in diff["cells"] if c["status"] == "modified"] == [
        "component train (#3)",
        "component eval (#4)",
    ]
    text = await command(
        client, "link.diff", {"uri": uri, "base": "HEAD~1", "target": "HEAD", "format": "text"}
    )
    assert "-score = model / 2" in text["text"] and "+score = model / 4" in text["text"]
    html = await command(client, "link.diff", {"uri": uri, "base": "HEAD~1", "format": "html"})
    page = html["html"]
    assert page.startswith("<!DOCTYPE html>") and "<svg" in page  # the pipeline drawing
    assert 'src="http' not in page and 'href="http' not in page  # self-contained

    # target null: the editor's unsaved text counts, not the file
    edited = path.read_text().replace("score = model / 4", "score = model / 5")
    open_text(client, uri, edited, "json")
    await diagnostics(client, uri)
    now = await command(client, "link.diff", {"uri": uri, "base": "HEAD", "format": "text"})
    assert "+score = model / 5" in now["text"]

    with pytest.raises(JsonRpcException, match="nope"):
        await command(client, "link.diff", {"uri": uri, "base": "nope"})
    outside = tmp_path / "alone.ipynb"  # /tmp: no repository around it
    shutil.copy(FIXTURES / "plain.ipynb", outside)
    with pytest.raises(JsonRpcException, match="git"):
        await command(client, "link.history", {"uri": outside.as_uri()})


async def test_export_then_import_into_a_closed_file_and_open_documents(
    client: LanguageClient, tmp_path: Path
) -> None:
    source = FIXTURES / "run-cached-pipeline.ipynb"
    exported = await command(
        client, "link.export", {"uri": source.as_uri(), "output": str(tmp_path / "p.json")}
    )
    assert exported["format"] == "link-ls" and exported["output"] == str(tmp_path / "p.json")
    pipe = exported["pipeline"]
    assert pipe["format"] == "link-ls/pipeline"
    assert [c["name"] for c in pipe["components"]] == ["load", "clean", "report"]
    assert json.loads((tmp_path / "p.json").read_text()) == pipe
    link = await command(
        client,
        "link.export",
        {"uri": source.as_uri(), "cells": ["clean"], "withAncestors": True, "format": "link"},
    )
    names = [e["component_name"] for e in link["pipeline"]["components"]]
    assert names == ["load", "clean"]  # Link's file: {"components": […], "parameters": […]}

    # a notebook that is not open: written (here: created)
    target = tmp_path / "new.ipynb"
    made = await command(client, "link.import", {"uri": target.as_uri(), "data": pipe})
    assert made["created"] is True and made["written"] is True and made["applied"] is False
    nb = nbformat.read(target, as_version=4)
    assert [c.metadata["canvas"]["name"] for c in nb.cells] == ["load", "clean", "report"]

    # an open text document: a WorkspaceEdit the client applies; clashing names get suffixes
    text = target.read_text()
    open_text(client, target.as_uri(), text, "json")
    await diagnostics(client, target.as_uri())
    again = await command(
        client, "link.import", {"uri": target.as_uri(), "file": str(tmp_path / "p.json")}
    )
    assert again["written"] is False and again["applied"] is True
    assert [c["name"] for c in again["components"]] == ["load_2", "clean_2", "report_2"]
    applied = client.applied_edits[-1]  # type: ignore[attr-defined]
    both = nbformat.reads(apply_text_edits(text, edits_of(applied, target.as_uri())), 4)
    names = [c.metadata["canvas"]["name"] for c in both.cells]
    assert names == ["load", "clean", "report", "load_2", "clean_2", "report_2"]
    assert both.cells[4].metadata["canvas"]["parents"][0]["name"] == "load_2"
    assert target.read_text() == text  # the editor owns the open file

    # an open notebook document: the result is the edit its client applies
    other = tmp_path / "other.ipynb"
    shutil.copy(FIXTURES / "run-cached-pipeline.ipynb", other)
    doc = OpenNotebook(client, other).open()
    await diagnostics(client, doc.cell_uri(1))
    into = await command(client, "link.import", {"uri": doc.uri, "data": pipe, "after": "load"})
    assert into["applied"] is False and into["edit"] is None and into["written"] is False
    assert into["insertAt"] == 2 and len(into["cells"]) == 3
    assert into["cells"][0]["metadata"]["canvas"]["name"] == "load_2"

    with pytest.raises(JsonRpcException, match="format"):
        await command(client, "link.import", {"uri": doc.uri, "data": {"format": "nope"}})
