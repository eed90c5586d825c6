"""Quick fixes of the pipeline diagnostics, applied the way an editor applies them."""

from __future__ import annotations

import nbformat
from lsprotocol import types
from pytest_lsp import LanguageClient

from link_ls.notebook import loads
from link_ls.pipeline import build, check
from tests.lsp.conftest import FIXTURES, apply_text_edits, diagnostics, edits_of, open_text


async def test_lnk001_offers_to_break_the_cycle_at_each_of_its_edges(
    client: LanguageClient,
) -> None:
    path = FIXTURES / "pipeline-cycle.ipynb"
    uri, text = path.as_uri(), path.read_text()
    open_text(client, uri, text, "json")
    diags = await diagnostics(client, uri, ["LNK001", "LNK001", "LNK006"])
    cycle = next(d for d in diags if d.code == "LNK001")
    actions = await client.text_document_code_action_async(
        types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri),
            range=cycle.range,
            context=types.CodeActionContext(diagnostics=[cycle]),
        )
    )
    fixes = [a for a in actions or [] if isinstance(a, types.CodeAction)]
    titles = sorted(a.title for a in fixes)
    assert titles == [
        "Break the cycle: remove edge a → b",
        "Break the cycle: remove edge b → a",
    ]
    assert all(a.kind == types.CodeActionKind.QuickFix for a in fixes)
    # the client resolves edits lazily: the edit comes from codeAction/resolve
    chosen = next(a for a in fixes if a.title.endswith("b → a"))
    resolved = await client.code_action_resolve_async(chosen)
    assert resolved.edit is not None
    fixed = apply_text_edits(text, edits_of(resolved.edit, uri))
    nb = nbformat.reads(fixed, as_version=4)
    assert nb.cells[0].metadata["canvas"]["parents"] == []
    assert [p["name"] for p in nb.cells[1].metadata["canvas"]["parents"]] == ["a"]
    assert not [d for d in check(build(loads(fixed, name="fixed.ipynb"))) if d.code == "LNK001"]
