"""`link-ls diff` on two files through a real subprocess, as a user runs it."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import LinkLs
from tests.nbmake import code, component, notebook_json


def _pair(tmp_path: Path) -> tuple[Path, Path]:
    old = tmp_path / "old.ipynb"
    new = tmp_path / "new.ipynb"
    old.write_text(
        notebook_json([component("load", "x = 1\n"), component("train", "y = x\n", ["load"])])
    )
    new.write_text(
        notebook_json([component("load", "x = 2\n"), component("train", "y = x\n", ["load"])])
    )
    return old, new


def test_text_diff_names_the_component_and_exit_code(link_ls: LinkLs, tmp_path: Path) -> None:
    old, new = _pair(tmp_path)
    r = link_ls("diff", str(old), str(new), cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert "━━ component load (#1) · modified" in r.stdout
    assert "-x = 1" in r.stdout and "+x = 2" in r.stdout
    assert "\x1b[" not in r.stdout  # no colour codes when not on a terminal
    assert link_ls("diff", str(old), str(new), "--exit-code", cwd=tmp_path).returncode == 1
    assert link_ls("diff", str(old), str(old), "--exit-code", cwd=tmp_path).returncode == 0


def test_json_and_html_output_files(link_ls: LinkLs, tmp_path: Path) -> None:
    old, new = _pair(tmp_path)
    r = link_ls("diff", str(old), str(new), "--format", "json", cwd=tmp_path)
    data = json.loads(r.stdout)
    assert data["summary"] == "1 cell changed"
    out = tmp_path / "diff.html"
    r = link_ls("diff", str(old), str(new), "--format", "html", "-o", str(out), cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert r.stdout == ""
    assert "<svg" in out.read_text()


def test_ignore_outputs(link_ls: LinkLs, tmp_path: Path) -> None:
    a = json.loads(notebook_json([code("print(1)\n")]))
    b = json.loads(notebook_json([code("print(1)\n")]))
    b["cells"][0]["id"] = a["cells"][0]["id"]
    b["cells"][0]["outputs"] = [{"output_type": "stream", "name": "stdout", "text": "1\n"}]
    (tmp_path / "a.ipynb").write_text(json.dumps(a))
    (tmp_path / "b.ipynb").write_text(json.dumps(b))
    r = link_ls("diff", "a.ipynb", "b.ipynb", "--exit-code", cwd=tmp_path)
    assert r.returncode == 1 and "outputs: 0 outputs → 1 output, stdout added" in r.stdout
    r = link_ls("diff", "a.ipynb", "b.ipynb", "--exit-code", "--ignore-outputs", cwd=tmp_path)
    assert r.returncode == 0


def test_bad_input_is_one_line_and_writes_nothing(link_ls: LinkLs, tmp_path: Path) -> None:
    old, _ = _pair(tmp_path)
    bad = tmp_path / "bad.ipynb"
    bad.write_text('{"cells": [')
    out = tmp_path / "out.html"
    r = link_ls("diff", str(old), str(bad), "--format", "html", "-o", str(out), cwd=tmp_path)
    assert r.returncode == 2
    assert r.stderr.startswith("link-ls: error: ") and r.stderr.count("\n") == 1
    assert "invalid JSON" in r.stderr
    assert not out.exists()
    r = link_ls("diff", str(old), cwd=tmp_path)
    assert r.returncode == 2 and "give two notebooks" in r.stderr
    r = link_ls("diff", str(old), str(old), "--rev", "HEAD", cwd=tmp_path)
    assert r.returncode == 2 and "exactly one notebook" in r.stderr


def test_textconv_prints_cell_level_text_and_passes_through_non_notebooks(
    link_ls: LinkLs, tmp_path: Path
) -> None:
    old, _ = _pair(tmp_path)
    r = link_ls("textconv", str(old), cwd=tmp_path)
    assert r.returncode == 0
    assert "━━ component train ← load\ny = x\n" in r.stdout
    raw = tmp_path / "conflicted.ipynb"
    raw.write_text(
        '{\n "cells": [\n<<<<<<< ours\n  {"a": 1}\n=======\n  {"a": 2}\n>>>>>>> b\n ]\n}\n'
    )
    r = link_ls("textconv", str(raw), cwd=tmp_path)
    assert r.returncode == 0 and r.stdout == raw.read_text()
