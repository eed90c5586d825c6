"""Merge conflicts in the editor: LNK007, "Take ours/theirs/both/base" as code actions and lenses
(text and notebook documents), link.merge, and "Resolve with link-ls" in a real git merge.

``conflicted.ipynb`` is ``link-ls merge`` of ``merge-two-conflicts/{base,ours,theirs}``:
cell #3 (train) has source markers (ours ``/ 3``, base ``/ 2``, theirs ``/ 4``), cell #4
(eval) was deleted in ours and changed in theirs (a structured ``cell`` conflict).
"""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import git
import nbformat
import pytest
import pytest_asyncio
from lsprotocol import types
from lsprotocol.converters import get_converter
from pytest_lsp import LanguageClient

from tests.lsp.conftest import (
    FIXTURES,
    WAIT,
    OpenNotebook,
    apply_text_edits,
    diagnostics,
    edits_of,
    open_text,
    raw_request,
    replace_text,
    session,
)

pytestmark = pytest.mark.asyncio(loop_scope="module")
TRIPLET = FIXTURES / "merge-two-conflicts"
SCORES = {"ours": "score = model / 3", "theirs": "score = model / 4", "base": "score = model / 2"}


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


async def actions_for(
    client: LanguageClient, uri: str, diags: list[types.Diagnostic]
) -> list[dict[str, Any]]:
    """Code actions as raw JSON (lsprotocol misreads actions that carry a command)."""
    rng = diags[0].range if diags else types.Range(types.Position(0, 0), types.Position(0, 0))
    params = types.CodeActionParams(
        text_document=types.TextDocumentIdentifier(uri),
        range=rng,
        context=types.CodeActionContext(diagnostics=diags),
    )
    got = await raw_request(client, types.TEXT_DOCUMENT_CODE_ACTION, params)
    return list(got or [])


def workspace_edit(raw: dict[str, Any]) -> types.WorkspaceEdit:
    return get_converter().structure(raw, types.WorkspaceEdit)


def conflict_of(diags: list[types.Diagnostic], kind: str) -> types.Diagnostic:
    (d,) = [d for d in diags if d.code == "LNK007" and d.data["kind"] == kind]
    return d


async def test_take_each_side_on_a_text_document(client: LanguageClient, tmp_path: Path) -> None:
    path = tmp_path / "conflicted.ipynb"
    shutil.copy(FIXTURES / "conflicted.ipynb", path)
    uri, text = path.as_uri(), path.read_text()
    open_text(client, uri, text, "json")
    diags = await diagnostics(client, uri, ["LNK004", "LNK006", "LNK006", "LNK007", "LNK007"])
    source = conflict_of(diags, "source")
    assert "both sides changed these lines" in source.message
    assert source.severity == types.DiagnosticSeverity.Error

    actions = await actions_for(client, uri, [source])
    assert [a["title"] for a in actions] == ["Take ours", "Take theirs", "Take both", "Take base"]
    for action in actions:
        fixed = apply_text_edits(text, edits_of(workspace_edit(action["edit"]), uri))
        train = nbformat.reads(fixed, as_version=4).cells[2].source
        choice = action["title"].removeprefix("Take ").strip()
        if choice == "both":
            assert train == f"model = sum(rows)\n{SCORES['ours']}\n{SCORES['theirs']}"
        else:
            assert train == f"model = sum(rows)\n{SCORES[choice]}"

    cell = conflict_of(diags, "cell")
    titles = {a["title"]: a for a in await actions_for(client, uri, [cell])}
    assert {"Take ours", "Take theirs", "Take base"} <= titles.keys()
    deleted = apply_text_edits(text, edits_of(workspace_edit(titles["Take ours"]["edit"]), uri))
    assert [c.get("id") for c in nbformat.reads(deleted, as_version=4).cells] == [
        "cell-title",
        "cell-load",
        "cell-train",
    ]
    kept = apply_text_edits(text, edits_of(workspace_edit(titles["Take theirs"]["edit"]), uri))
    eval_cell = nbformat.reads(kept, as_version=4).cells[3]
    assert eval_cell.source == 'print(score)\nprint("done")'
    assert "link_ls" not in eval_cell.metadata

    # the lenses say the same, and clicking one makes the server apply the edit
    lenses = await client.text_document_code_lens_async(
        types.CodeLensParams(text_document=types.TextDocumentIdentifier(uri))
    )
    takes = [lens for lens in lenses or [] if lens.command and lens.command.title == "Take base"]
    assert len(takes) == 2
    (on_train,) = [lens for lens in takes if lens.command.arguments[0]["conflict"] == "source:1"]
    assert on_train.command.command == "link.resolveConflict"
    before = len(client.applied_edits)  # type: ignore[attr-defined]
    result = await command(client, "link.resolveConflict", on_train.command.arguments[0])
    assert result["applied"] is True and result["resolution"]["choice"] == "base"
    assert result["resolution"]["source_edit"]["text"] == SCORES["base"]
    applied = client.applied_edits[before]  # type: ignore[attr-defined]
    fixed = apply_text_edits(text, edits_of(applied, uri))
    replace_text(client, uri, fixed, 2)
    # train parses again (it defines score for eval): only the cell conflict is left
    left = await diagnostics(client, uri, ["LNK007"])
    assert conflict_of(left, "cell")


async def test_take_each_side_on_a_notebook_document(
    client: LanguageClient, tmp_path: Path
) -> None:
    path = tmp_path / "conflicted.ipynb"
    shutil.copy(FIXTURES / "conflicted.ipynb", path)
    nb = OpenNotebook(client, path).open()
    train = await diagnostics(client, nb.cell_uri(2), ["LNK006", "LNK007"])
    actions = await actions_for(client, nb.cell_uri(2), [conflict_of(train, "source")])
    theirs = next(a for a in actions if a["title"] == "Take theirs")
    # a source conflict is a text edit of that cell alone: no metadata to change
    assert "command" not in theirs
    edit = workspace_edit(theirs["edit"])
    fixed = apply_text_edits(nb.texts[2], edits_of(edit, nb.cell_uri(2)))
    assert fixed == f"model = sum(rows)\n{SCORES['theirs']}"
    nb.set_text(2, fixed)
    # train parses again and defines score: nothing left on it, only the conflict on eval
    await diagnostics(client, nb.cell_uri(2), [])
    evals = await diagnostics(client, nb.cell_uri(3), ["LNK007"])
    actions = {
        a["title"]: a
        for a in await actions_for(client, nb.cell_uri(3), [conflict_of(evals, "cell")])
    }
    ours = actions["Take ours"]["command"]
    assert ours["command"] == "link.applyNotebookEdit"
    assert ours["arguments"] == [{"notebookUri": nb.uri, "cellIndex": 3, "delete": True}]
    take = actions["Take theirs"]
    (edit_arg,) = take["command"]["arguments"]
    assert edit_arg["cellIndex"] == 3 and "link_ls" not in edit_arg["metadata"]["metadata"]
    assert edit_arg["metadata"]["metadata"]["canvas"]["name"] == "eval"
    # "Take base" changes the text (to base's) and the metadata: both parts are there
    base = actions["Take base"]
    base_text = apply_text_edits(
        nb.texts[3], edits_of(workspace_edit(base["edit"]), nb.cell_uri(3))
    )
    assert base_text == "print(score)"
    assert base["command"]["arguments"][0]["cellIndex"] == 3

    # a lens on a notebook cell carries the client-applied edit, with the new text
    lenses = await client.text_document_code_lens_async(
        types.CodeLensParams(text_document=types.TextDocumentIdentifier(nb.cell_uri(3)))
    )
    (lens,) = [x for x in lenses or [] if x.command and x.command.title == "Take base"]
    assert lens.command.command == "link.applyNotebookEdit"
    assert lens.command.arguments[0]["source"] == "print(score)"

    nb.set_metadata(3, edit_arg["metadata"])
    await diagnostics(client, nb.cell_uri(3), [])


async def test_merge_command(client: LanguageClient, tmp_path: Path) -> None:
    arg = {k: str(TRIPLET / f"{k}.ipynb") for k in ("base", "ours", "theirs")}
    result = await command(client, "link.merge", arg)
    assert result["clean"] is False and result["output"] is None
    assert [(c["cell"], c["id"]) for c in result["conflicts"]] == [(2, "source:1"), (3, "cell")]
    assert nbformat.validate(nbformat.from_dict(result["notebook"])) is None
    out = tmp_path / "merged.ipynb"
    result = await command(client, "link.merge", {**arg, "output": out.as_uri()})
    assert result["output"] == str(out) and "notebook" not in result
    merged = nbformat.reads(out.read_text(), as_version=4)
    assert "<<<<<<< ours" in merged.cells[2].source


def _git_merge_as_text(tmp_path: Path) -> tuple[git.Repo, Path]:
    """A repository where git merged the notebook line by line (no link-ls driver)."""
    repo = git.Repo.init(tmp_path / "repo", initial_branch="main")
    with repo.config_writer() as cw:
        cw.set_value("user", "name", "Test")
        cw.set_value("user", "email", "test@example.com")
    assert repo.working_tree_dir is not None
    nb = Path(repo.working_tree_dir) / "nb.ipynb"
    shutil.copy(TRIPLET / "base.ipynb", nb)
    repo.index.add(["nb.ipynb"])
    repo.index.commit("base")
    repo.git.checkout("-b", "theirs")
    shutil.copy(TRIPLET / "theirs.ipynb", nb)
    repo.index.add(["nb.ipynb"])
    repo.index.commit("theirs")
    repo.git.checkout("main")
    shutil.copy(TRIPLET / "ours.ipynb", nb)
    repo.index.add(["nb.ipynb"])
    repo.index.commit("ours")
    with pytest.raises(git.GitCommandError):
        repo.git.merge("theirs")
    return repo, nb


async def test_resolve_a_notebook_git_merged_as_text(
    client: LanguageClient, tmp_path: Path
) -> None:
    _repo, path = _git_merge_as_text(tmp_path)
    text = path.read_text()
    assert "<<<<<<<" in text
    uri = path.as_uri()
    open_text(client, uri, text, "json")
    (diag,) = await diagnostics(client, uri, ["LNK007"])
    assert "git merged this notebook as text" in diag.message
    assert text.split("\n")[diag.range.start.line].startswith("<<<<<<<")

    (action,) = await actions_for(client, uri, [diag])
    assert action["title"] == "Resolve with link-ls"
    assert action["command"] == {
        "title": "Resolve with link-ls",
        "command": "link.resolve",
        "arguments": [{"uri": uri}],
    }
    result = await command(client, "link.resolve", action["command"]["arguments"][0])
    assert result["path"] == str(path) and result["hadBase"] is True
    assert result["clean"] is False
    assert [(c["cell"], c["id"]) for c in result["conflicts"]] == [(2, "source:1"), (3, "cell")]
    resolved = path.read_text()
    nbformat.validate(nbformat.reads(resolved, as_version=4))
    # the editor got the file as written, and then shows the cell-level conflicts
    assert result["applied"] is True
    edited = apply_text_edits(text, edits_of(workspace_edit(result["edit"]), uri))
    assert edited == resolved
    replace_text(client, uri, edited, 2)
    await diagnostics(client, uri, ["LNK004", "LNK006", "LNK006", "LNK007", "LNK007"])
