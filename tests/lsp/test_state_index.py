"""``link.state`` and JupyterLab's ``link.lab.view`` follow other processes' cache writes.

A real client against ``link-ls serve``: the server answers the components' states from
its in-memory index of the store, and commands run in a terminal (another process)
change what it says on the next request — no run or cache command in the server in
between: an imported archive reads "untrusted" with where it came from, ``cache trust``
makes it "cached", other parameters make it "stale", ``cache clear`` "never run".
"""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from lsprotocol import types
from pytest_lsp import LanguageClient

from tests.cache.conftest import user_cache_key  # the session's own key, never the user's
from tests.cache.entries import colleague_archive
from tests.conftest import ROOT
from tests.lsp.conftest import FIXTURES, WAIT, OpenNotebook, session

__all__ = ["user_cache_key"]

pytestmark = pytest.mark.asyncio

NAME = "run-cached-pipeline.ipynb"
ARCHIVE = "colleague-results.tar.gz"


def _terminal(cwd: Path, *args: str) -> None:
    """``link-ls ARGS`` in another process, as a user types it in a terminal."""
    done = subprocess.run(
        [sys.executable, "-m", "link_ls", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=WAIT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert done.returncode == 0, done.stderr


async def _command(client: LanguageClient, name: str, arg: Any) -> Any:
    return await asyncio.wait_for(
        client.workspace_execute_command_async(
            types.ExecuteCommandParams(command=name, arguments=[arg])
        ),
        WAIT,
    )


async def _states(client: LanguageClient, uri: str, **extra: Any) -> dict[str, dict[str, Any]]:
    """Each component's ``link.state`` row, checked against ``link.lab.view``'s headers."""
    got = await _command(client, "link.state", {"uri": uri, **extra})
    rows = {c["name"]: c for c in got["components"]}
    view = await _command(client, "link.lab.view", {"uri": uri, **extra})
    headers = {c["name"]: (c["state"], c["note"], c["trust"]) for c in view["cells"]}
    assert headers == {n: (r["state"], r["note"], r["trust"]) for n, r in rows.items()}
    return rows


async def test_state_follows_imports_trust_and_clears_made_in_a_terminal(tmp_path: Path) -> None:
    archive = colleague_archive(FIXTURES / NAME, tmp_path, ["load", "clean"], ARCHIVE)
    path = tmp_path / NAME
    shutil.copy(FIXTURES / NAME, path)
    async with session() as client:
        nb = OpenNotebook(client, path).open()
        rows = await _states(client, nb.uri)
        assert {r["state"] for r in rows.values()} == {"never-run"}

        # imported without --trust: there, but a run would not restore it; the note says
        # where it came from
        _terminal(tmp_path, "cache", "import", str(archive), "--notebook", str(path))
        rows = await _states(client, nb.uri)
        for name in ("load", "clean"):
            assert rows[name]["state"] == "untrusted", rows[name]
            assert rows[name]["trust"] == "unsigned"
            assert rows[name]["note"].startswith(f"imported from {ARCHIVE}"), rows[name]
        assert rows["report"]["state"] == "never-run"

        _terminal(tmp_path, "cache", "trust", str(path))
        rows = await _states(client, nb.uri)
        assert {n: (r["state"], r["trust"], r["note"]) for n, r in rows.items()} == {
            "load": ("cached", "trusted", ""),
            "clean": ("cached", "trusted", ""),
            "report": ("never-run", None, ""),
        }

        # another parameter value: other keys (they fold the parameters in), so the
        # entries are under older ones
        rows = await _states(client, nb.uri, params={"scale": 3})
        for name in ("load", "clean"):
            assert rows[name]["state"] == "stale", rows[name]
            assert rows[name]["note"] == "1 entry under older keys"
        assert rows["report"]["state"] == "never-run"

        _terminal(tmp_path, "cache", "clear", str(path))
        rows = await _states(client, nb.uri)
        assert {r["state"] for r in rows.values()} == {"never-run"}
