"""The edit path over a real client: a burst of cell edits ends in the diagnostics a fresh
check gives, and cells whose diagnostics did not change are not published again."""

from __future__ import annotations

import nbformat
from pytest_lsp import LanguageClient

from link_ls.notebook import loads
from link_ls.pipeline import build
from link_ls.usecases.diagnose import diagnose
from tests.lsp.conftest import FIXTURES, OpenNotebook, diagnostics, wait_for

LOAD, CLEAN, REPORT = 1, 2, 3  # cell positions in pipeline-missing-edge.ipynb

BURST = [
    "cleaned = [r for r in rows]",
    "cleaned = [r for r in rows]\nprint(nope)",
    "cleaned = [1, 2, 3]",
    "cleaned = [1, 2]\nprint(undefined_thing)",
]


def fresh_findings(nb: OpenNotebook) -> dict[str, list[tuple[str, str]]]:
    """What ``link-ls check`` reports for the client's current text, by cell uri."""
    node = nbformat.from_dict(nb.nb)
    for cell, text in zip(node.cells, nb.texts, strict=True):
        cell.source = text
    notebook = loads(nbformat.writes(node), name="burst.ipynb")
    out: dict[str, list[tuple[str, str]]] = {nb.cell_uri(i): [] for i in range(len(nb.texts))}
    for d in diagnose(notebook, build(notebook)):
        out[nb.cell_uri(d.cell_index)].append((str(d.code), d.message))
    return out


async def test_a_burst_of_edits_ends_where_a_fresh_check_does(client: LanguageClient) -> None:
    nb = OpenNotebook(client, FIXTURES / "pipeline-missing-edge.ipynb").open()
    await diagnostics(client, nb.cell_uri(CLEAN), ["LNK003", "LNK003"])
    await diagnostics(client, nb.cell_uri(REPORT), ["LNK006"])
    report = client.diagnostics[nb.cell_uri(REPORT)]  # the very object last published
    for text in BURST:  # sent back to back, as fast typing does
        nb.set_text(CLEAN, text)
    await diagnostics(client, nb.cell_uri(CLEAN), ["LNK004"])
    expected = fresh_findings(nb)

    def settled() -> bool:
        got = {
            u: [(str(d.code), d.message) for d in client.diagnostics.get(u, [])] for u in expected
        }
        return got == expected

    await wait_for(settled, f"the diagnostics of a fresh check: {expected}")
    # the report cell's findings never changed: the client was not sent them again
    assert client.diagnostics[nb.cell_uri(REPORT)] is report


async def test_an_edit_that_fixes_a_reader_updates_that_reader(client: LanguageClient) -> None:
    nb = OpenNotebook(client, FIXTURES / "pipeline-missing-edge.ipynb").open()
    await diagnostics(client, nb.cell_uri(REPORT), ["LNK006"])
    # the report cell stops reading `cleaned`: its parent `clean` now provides nothing it reads
    nb.set_text(REPORT, "total = 0")
    await diagnostics(client, nb.cell_uri(REPORT), ["LNK006"])
    # `clean` defines `total` instead: the report cell reads nothing, and gets a different hint
    nb.set_text(REPORT, "print(total)")
    nb.set_text(CLEAN, "total = [r * scale for r in rows if r > 1]")
    await wait_for(
        lambda: (
            fresh_findings(nb)[nb.cell_uri(REPORT)]
            == [(str(d.code), d.message) for d in client.diagnostics.get(nb.cell_uri(REPORT), [])]
        ),
        "the report cell's findings after its parent changed",
    )
