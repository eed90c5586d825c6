"""Bad pipeline files: one-line error, exit 2, and the target notebook byte-identical."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.exchange.exchange_nb import EXAMPLE, FIXTURES, run_cli

BAD = FIXTURES / "bad"

#: fixture -> what the one-line error must say
CASES = {
    "invalid-json.json": "invalid JSON at line 2",
    "not-a-pipeline.json": "not a pipeline file",
    "unknown-format.json": "unknown format 'nbdime/diff'",
    "unknown-version.json": "unsupported link-ls/pipeline version 2",
    "schema-parents-not-list.json": "components[0].parents",
    "schema-source-not-text.json": "components[0].source",
    "cycle.json": "cycle in the pipeline: prep -> fit -> prep",
    "dangling-parent.json": "parent 'nowhere', which names nothing",
    "duplicate-ids.json": "duplicate component id 'a'",
    "link-cycle.json": "cycle in the pipeline: prep -> fit -> prep",
    "link-duplicate-ids.json": "duplicate component id 'a'",
    "link-duplicate-names.json": "two components are named 'prep'",
    "link-missing-key.json": "component #2 ('fit') has no 'headercolor' key",
    "link-missing-parameters.json": "Link pipeline file has no 'parameters' key",
    "link-unknown-parent.json": "parent id 'nowhere', which is not in the file",
    "link-dropped-parent.json": "has parent 'prep', which Link drops (cell_code is a list",
    "link-parameter-type.json": "type 'complex' is not one of Link's",
    "link-parameter-value.json": "value 'four' is not a Python literal",
    "legacy-list.json": "a bare list is the format an earlier link-ls wrongly called Link's",
}


def _assert_one_line_error(stderr: str, fragment: str) -> None:
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    assert lines[0].startswith("link-ls: error: ") and fragment in lines[0], stderr
    assert "Traceback" not in stderr


@pytest.mark.parametrize(("fixture", "fragment"), sorted(CASES.items()))
def test_bad_file_leaves_existing_notebook_byte_identical(
    tmp_path: Path, fixture: str, fragment: str
) -> None:
    target = tmp_path / "pipeline.ipynb"
    shutil.copy(EXAMPLE, target)
    before = target.read_bytes()
    proc = run_cli("import", str(BAD / fixture), "--into", str(target))
    assert proc.returncode == 2
    _assert_one_line_error(proc.stderr, fragment)
    assert target.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pipeline.ipynb"]  # no temp files


@pytest.mark.parametrize("fixture", ["cycle.json", "link-duplicate-ids.json"])
def test_bad_file_does_not_create_a_new_notebook(tmp_path: Path, fixture: str) -> None:
    proc = run_cli("import", str(BAD / fixture), "--into", str(tmp_path / "new.ipynb"))
    assert proc.returncode == 2
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["--after", "nonexistent"], "no cell named 'nonexistent'"),
        ([], "parameters already set differently: seed (7 in notebook, 1 in file)"),
    ],
)
def test_refused_import_leaves_notebook_byte_identical(
    tmp_path: Path, args: list[str], fragment: str
) -> None:
    target = tmp_path / "pipeline.ipynb"
    shutil.copy(EXAMPLE, target)
    before = target.read_bytes()
    pfile = tmp_path / "p.json"
    pfile.write_text(
        '{"format": "link-ls/pipeline", "version": 1, "components": [], '
        '"parameters": [{"name": "seed", "type": "int", "value": 1}]}'
    )
    if args:  # the --after case must not trip over parameters
        pfile.write_text('{"format": "link-ls/pipeline", "version": 1, "components": []}')
    proc = run_cli("import", str(pfile), "--into", str(target), *args)
    assert proc.returncode == 2
    _assert_one_line_error(proc.stderr, fragment)
    assert target.read_bytes() == before


def test_missing_file_and_unusable_targets(tmp_path: Path) -> None:
    proc = run_cli("import", str(tmp_path / "nope.json"), "--into", str(tmp_path / "x.ipynb"))
    assert proc.returncode == 2
    _assert_one_line_error(proc.stderr, "no such file")
    good = FIXTURES / "children-first.json"
    proc = run_cli("import", str(good), "--into", str(tmp_path / "no" / "dir" / "x.ipynb"))
    assert proc.returncode == 2
    _assert_one_line_error(proc.stderr, "does not exist")
    broken = tmp_path / "broken.ipynb"
    broken.write_text("{not json")
    proc = run_cli("import", str(good), "--into", str(broken))
    assert proc.returncode == 2
    assert broken.read_text() == "{not json"


def test_text_notebook_that_would_drop_canvas_metadata_is_refused(tmp_path: Path) -> None:
    # a jupytext percent file without a metadata filter header cannot keep Link's canvas
    target = tmp_path / "pipeline.py"
    target.write_text("# %%\nx = 1\n")
    before = target.read_bytes()
    proc = run_cli("import", str(FIXTURES / "children-first.json"), "--into", str(target))
    if proc.returncode == 0:  # the text format learned to keep cell metadata: fine too
        from link_ls.notebook import load

        assert sum(c.is_component for c in load(target).cells) == 4
        return
    assert proc.returncode == 2
    _assert_one_line_error(proc.stderr, "would not keep Link's canvas metadata")
    assert target.read_bytes() == before
