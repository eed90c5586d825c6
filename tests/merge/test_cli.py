"""`link-ls merge` and `link-ls merge-driver` through a subprocess, on the fixtures."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import nbformat
import pytest

from tests.conftest import LinkLs

ROOT = Path(__file__).parents[2]
FIX = ROOT / "tests" / "fixtures" / "merge"


def triplet(case: str) -> list[str]:
    return [str(FIX / case / f"{n}.ipynb") for n in ("base", "ours", "theirs")]


def sources(path: Path) -> dict[str, str]:
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    return {c.metadata.get("canvas", {}).get("name", "title"): c.source for c in nb.cells}


def test_merge_clean_writes_the_notebook_and_exits_zero(link_ls: LinkLs, tmp_path: Path) -> None:
    out = tmp_path / "merged.ipynb"
    r = link_ls("merge", *triplet("edit-different-cells"), "-o", str(out))
    assert r.returncode == 0, r.stderr
    assert "merged cleanly" in r.stderr
    src = sources(out)
    assert "rows[:200]" in src["load"] and src["eval"] == 'print("score:", score)'


def test_merge_prints_to_stdout_without_o(link_ls: LinkLs) -> None:
    r = link_ls("merge", *triplet("edit-different-cells"))
    assert r.returncode == 0
    assert json.loads(r.stdout)["nbformat"] == 4


def test_merge_conflict_exits_one_and_lists_the_conflicts(link_ls: LinkLs, tmp_path: Path) -> None:
    out = tmp_path / "merged.ipynb"
    r = link_ls("merge", *triplet("edit-same-lines"), "-o", str(out))
    assert r.returncode == 1
    assert "1 conflict" in r.stderr and "#3 (train) source:1" in r.stderr
    assert "<<<<<<< ours\nscore = model / 3\n||||||| base" in sources(out)["train"]


def test_merge_report_json(link_ls: LinkLs, tmp_path: Path) -> None:
    r = link_ls(
        "merge", *triplet("edges-cycle"), "-o", str(tmp_path / "m.ipynb"), "--report", "json"
    )
    assert r.returncode == 1
    report = json.loads(r.stdout)
    assert report["clean"] is False
    assert {c["kind"] for c in report["conflicts"]} == {"edges"}
    assert {c["cell"] for c in report["conflicts"]} == {2, 3}


@pytest.mark.parametrize("bad", ["truncated.json", "not-a-notebook.txt", "nbformat3.json"])
def test_merge_bad_input_is_one_line_exit_two_and_no_file(
    link_ls: LinkLs, tmp_path: Path, bad: str
) -> None:
    base, ours, _ = triplet("edit-different-cells")
    out = tmp_path / "merged.ipynb"
    r = link_ls("merge", base, ours, str(FIX / "bad" / bad), "-o", str(out))
    assert r.returncode == 2
    assert r.stderr.startswith("link-ls: error: ") and r.stderr.count("\n") == 1
    assert "Traceback" not in r.stderr
    assert not out.exists()


def driver_files(tmp_path: Path, case: str, theirs: Path | None = None) -> list[Path]:
    b, o, t = triplet(case)
    paths = [tmp_path / "O.ipynb", tmp_path / "A.ipynb", tmp_path / "B.ipynb"]
    for src, dst in zip((b, o, str(theirs) if theirs else t), paths, strict=True):
        shutil.copyfile(src, dst)
    return paths


def test_driver_merges_into_a(link_ls: LinkLs, tmp_path: Path) -> None:
    o, a, b = driver_files(tmp_path, "edit-different-cells")
    r = link_ls("merge-driver", str(o), str(a), str(b), "nb/pipeline.ipynb")
    assert r.returncode == 0, r.stderr
    assert "nb/pipeline.ipynb" in r.stderr
    assert "rows[:200]" in sources(a)["load"]
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no temp left


def test_driver_conflict_exits_one_with_a_valid_notebook(link_ls: LinkLs, tmp_path: Path) -> None:
    o, a, b = driver_files(tmp_path, "delete-vs-edit")
    r = link_ls("merge-driver", str(o), str(a), str(b), "pipeline.ipynb")
    assert r.returncode == 1
    assert "deleted in ours, changed in theirs" in r.stderr
    assert sources(a)["eval"].endswith('print("done")')


@pytest.mark.parametrize("bad", ["truncated.json", "not-a-notebook.txt", "nbformat3.json"])
@pytest.mark.parametrize("where", ["base", "theirs"])
def test_driver_bad_input_keeps_our_notebook_exactly(
    link_ls: LinkLs, tmp_path: Path, bad: str, where: str
) -> None:
    o, a, b = driver_files(tmp_path, "edit-different-cells")
    shutil.copyfile(FIX / "bad" / bad, o if where == "base" else b)
    before = a.read_bytes()
    r = link_ls("merge-driver", str(o), str(a), str(b), "pipeline.ipynb")
    assert r.returncode == 1
    assert "cannot merge cell by cell" in r.stderr and "Traceback" not in r.stderr
    reason = r.stderr.split("cannot merge cell by cell:")[1].splitlines()[0]
    assert where in reason
    assert a.read_bytes() == before
    assert "git show :3:pipeline.ipynb" in r.stderr


def test_driver_bad_ours_gets_gits_line_merge_and_keeps_its_lines(
    link_ls: LinkLs, tmp_path: Path
) -> None:
    o, a, b = driver_files(tmp_path, "edit-different-cells")
    mine = "this is not json, but it is the user's file\n"
    a.write_text(mine)
    r = link_ls("merge-driver", str(o), str(a), str(b), "pipeline.ipynb")
    assert r.returncode == 1
    assert "ours (" in r.stderr and "line-based merge" in r.stderr
    after = a.read_text()
    assert mine in after and "<<<<<<< ours" in after and ">>>>>>> theirs" in after


def test_driver_unmergeable_binary_ours_is_left_untouched(link_ls: LinkLs, tmp_path: Path) -> None:
    o, a, b = driver_files(tmp_path, "edit-different-cells")
    a.write_bytes(b"\x00\x01binary\x00")
    r = link_ls("merge-driver", str(o), str(a), str(b), "pipeline.ipynb")
    assert r.returncode == 1
    assert a.read_bytes() == b"\x00\x01binary\x00"
    assert "left our version of the file unchanged" in r.stderr
