"""``diagnose``: the pipeline checks and the merge conflicts of a notebook, in one list."""

from __future__ import annotations

from pathlib import Path

from link_ls.notebook import load
from link_ls.pipeline import Code, build, check
from link_ls.usecases import diagnose
from tests.nbmake import component, notebook

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


def test_a_conflicted_cell_is_a_conflict_not_a_syntax_error() -> None:
    nb = load(FIXTURES / "lsp" / "conflicted.ipynb")
    found = diagnose(nb)
    conflicts = [d for d in found if d.code == Code.CONFLICT]
    assert conflicts, "the fixture's git markers are reported"
    marked = {d.cell_index for d in conflicts if d.data.get("kind") == "source"}
    assert not [d for d in found if d.code == Code.SYNTAX and d.cell_index in marked]
    # the pipeline checks alone see the markers as broken Python
    assert any(d.code == "LNK009" and d.cell_index in marked for d in check(build(nb)))


def test_a_clean_pipeline_has_what_check_finds_and_nothing_else() -> None:
    nb = notebook([component("a", "x = 1"), component("b", "print(x)", ["a"]), component("c", "y")])
    assert diagnose(nb) == check(build(nb))
    assert {str(d.code) for d in diagnose(nb)} == {"LNK004"}


def test_codes_serialise_as_their_text_and_name_their_doc() -> None:
    nb = notebook([component("a", "print(nowhere)")])
    (d,) = diagnose(nb)
    assert d.to_json()["code"] == "LNK004" and f"{d.code}" == "LNK004"
    assert Code.UNDEFINED.doc == "docs/diagnostics.md#lnk004--name-read-but-defined-by-no-cell"
    heading = "## LNK004 — name read but defined by no cell"
    assert heading in (FIXTURES.parent.parent / "docs" / "diagnostics.md").read_text()
