"""The Neovim run split renders a real run report (docs/run.md) from a real kernel.

While the server's ``link.run`` is not wired to a kernel, this pins what the plugin
shows for the report shape the kernel package produces: step headers, stream and
result outputs, and the error of a failed step with its traceback.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

from link_ls.kernel import KernelSession, run_plan
from link_ls.notebook import load, resolve_cell
from link_ls.pipeline import build, plan_up_to

#: real editors, servers and kernels on a loaded 2-core machine: far above the usual minute
pytestmark = pytest.mark.timeout(900)

REPO = Path(__file__).resolve().parents[3]
HERE = Path(__file__).resolve().parent
NVIM = REPO / ".venv" / "bin" / "nvim"
FIXTURE = HERE / "fixtures" / "missing_edge.ipynb"


def _report(to: str) -> dict[str, Any]:
    nb = load(FIXTURE)
    session = KernelSession("python3", cwd=FIXTURE.parent)
    try:
        report = run_plan(session, nb, plan_up_to(build(nb), resolve_cell(nb, to).index))
    finally:
        session.shutdown()
    return report.to_json()


def _render(report: dict[str, Any], tmp_path: Path) -> dict[str, Any]:
    if not NVIM.exists():
        if os.environ.get("CI") == "true":
            pytest.fail(f"{NVIM} missing")
        pytest.skip(f"{NVIM} missing (pip install -e '.[test]')")
    src, out = tmp_path / "report.json", tmp_path / "seen.json"
    src.write_text(json.dumps(report))
    subprocess.run(
        [
            str(NVIM),
            "--headless",
            "--clean",
            "--cmd",
            f"set rtp^={REPO / 'editor-clients' / 'neovim'}",
            "-l",
            str(HERE / "render_report.lua"),
            str(src),
            str(out),
        ],
        check=True,
        timeout=300,
        capture_output=True,
    )
    seen: dict[str, Any] = json.loads(out.read_text())
    return seen


def test_a_successful_run_shows_each_step_and_its_outputs(tmp_path: Path) -> None:
    seen = _render(_report("total"), tmp_path)
    lines = seen["lines"]
    assert seen["name"] == "link-ls://run"
    assert seen["visible"]
    assert lines[0].startswith("run up to total: 3 cells, ok in ")
    assert lines[1:] == [
        "── [1/3] load (#2) executed",
        "loaded 4 rows",
        "── [2/3] scale (#4) executed",
        "scaled [10, 20, 30, 40]",
        "── [3/3] total (#5) executed",
        "total 100",
    ]


def test_a_failed_step_shows_its_traceback_and_where_the_run_stopped(tmp_path: Path) -> None:
    # `report` reads `unit`, which only `label` (not an ancestor) defines: a NameError
    seen = _render(_report("report"), tmp_path)
    text = "\n".join(seen["lines"])
    assert seen["lines"][0].startswith("run up to report: 4 cells, error in ")
    assert "── [4/4] report (#6) error" in text
    assert "NameError" in text and "unit" in text
    assert "\x1b[" not in text  # terminal colours stripped
    assert seen["lines"][-1] == "link-ls: failed at report (#6)"


def test_the_run_split_says_whether_the_outputs_were_saved(tmp_path: Path) -> None:
    # issue 18: with unsaved edits the outputs silently stayed out of the file
    report = {
        "plan": {"mode": "cell", "target": "a", "cells": [{"id": "a", "name": "a", "index": 1}]},
        "outcome": "ok",
        "steps": [],
        "executed": True,
    }
    unsaved = {
        "path": "/x/nb.ipynb",
        "written": False,
        "reason": "the document has unsaved changes",
    }
    seen = _render({**report, "saved": unsaved}, tmp_path)
    assert seen["lines"][-1] == "outputs not saved: the document has unsaved changes"
    seen = _render({**report, "saved": {**unsaved, "written": True, "reason": None}}, tmp_path)
    assert seen["lines"][-1] == "outputs saved to /x/nb.ipynb"
    seen = _render({**report, "saved": None}, tmp_path)
    assert not any("saved" in line for line in seen["lines"])
