"""The server sees cache entries other processes write, and trusts a remote store at its URL.

A real client against ``link-ls serve``: a pipeline notebook is open, a ``link-ls run``
in another process (a terminal) caches two components, and the next code lens and
``link.state`` requests report them cached — no run or cache command in the server
in between.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import secrets
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from lsprotocol import types
from pytest_lsp import LanguageClient

from link_ls.cache.model import EntryManifest, FileRecord, VariableRecord
from link_ls.cache.trust import UserKey, load_user_key, signatures_json
from tests.cache.conftest import user_cache_key  # the session's own key, never the user's
from tests.conftest import ROOT
from tests.lsp.conftest import FIXTURES, WAIT, OpenNotebook, capabilities, session, wait_for

__all__ = ["user_cache_key"]

pytestmark = pytest.mark.asyncio


async def _command(client: LanguageClient, name: str, arg: Any) -> Any:
    return await asyncio.wait_for(
        client.workspace_execute_command_async(
            types.ExecuteCommandParams(command=name, arguments=[arg])
        ),
        WAIT,
    )


async def _run_lenses(client: LanguageClient, nb: OpenNotebook) -> list[str]:
    """The "Run up to here" lens of each code cell, as VS Code asks: per cell document."""
    titles: list[str] = []
    for i in range(1, len(nb.cells)):
        lenses = await asyncio.wait_for(
            client.text_document_code_lens_async(
                types.CodeLensParams(text_document=types.TextDocumentIdentifier(nb.cell_uri(i)))
            ),
            WAIT,
        )
        titles += [
            lens.command.title
            for lens in lenses or []
            if lens.command and lens.command.title.startswith("▶ Run up to")
        ]
    return titles


async def _states(client: LanguageClient, nb: OpenNotebook) -> dict[str, str]:
    got = await _command(client, "link.state", {"uri": nb.uri})
    return {c["name"]: c["state"] for c in got["components"]}


async def test_entries_a_terminal_run_writes_show_in_lenses_and_state(tmp_path: Path) -> None:
    path = tmp_path / "run-cached-pipeline.ipynb"
    shutil.copy(FIXTURES / path.name, path)
    caps = capabilities()
    assert caps.workspace is not None
    caps.workspace.code_lens = types.CodeLensWorkspaceClientCapabilities(refresh_support=True)
    async with session(caps) as client:
        refreshes: list[None] = []

        @client.feature(types.WORKSPACE_CODE_LENS_REFRESH)
        def refresh(ls: LanguageClient, params: None) -> None:
            refreshes.append(params)

        nb = OpenNotebook(client, path).open()
        assert await _run_lenses(client, nb) == [
            "▶ Run up to here (1 cell)",
            "▶ Run up to here (2 cells)",
            "▶ Run up to here (3 cells)",
        ]
        assert set((await _states(client, nb)).values()) == {"never-run"}

        # a run in a terminal (another process) caches load and clean (their diskcache flag)
        done = subprocess.run(
            [sys.executable, "-m", "link_ls", "run", str(path), "--to", "report"],
            capture_output=True,
            text=True,
            cwd=tmp_path,
            timeout=WAIT * 3,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
        )
        assert done.returncode == 0, done.stderr
        assert "report: 12" in done.stdout

        assert not refreshes
        assert await _run_lenses(client, nb) == [
            "▶ Run up to here (1 cell, 1 cached)",
            "▶ Run up to here (2 cells, 2 cached)",
            "▶ Run up to here (3 cells, 2 cached)",
        ]
        states = await _states(client, nb)
        assert states == {"load": "cached", "clean": "cached", "report": "never-run"}
        # the first request that noticed asked the editor to refresh the lenses it shows
        await wait_for(lambda: refreshes, "workspace/codeLens/refresh")

        # `cache clear` in the terminal: the lenses follow
        cleared = subprocess.run(
            [sys.executable, "-m", "link_ls", "cache", "clear", str(path)],
            capture_output=True,
            text=True,
            cwd=tmp_path,
            timeout=WAIT,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
        )
        assert cleared.returncode == 0, cleared.stderr
        assert await _run_lenses(client, nb) == [
            "▶ Run up to here (1 cell)",
            "▶ Run up to here (2 cells)",
            "▶ Run up to here (3 cells)",
        ]


def _remote_entry(folder: Path, signer: UserKey) -> str:
    """One entry, signed by ``signer``, written as another machine would (no kernel)."""
    key = hashlib.sha256(b"entry").hexdigest()
    var = b'{"a": 1}'

    def rec(name: str, data: bytes) -> FileRecord:
        return FileRecord(name, len(data), hashlib.sha256(data).hexdigest())

    m = EntryManifest(
        key=key,  # type: ignore[arg-type]
        notebook="run-cached-pipeline.ipynb",
        node="n",
        name="load",
        language="python",
        created="2026-12-01T00:00:00+00:00",
        outputs=rec("outputs.json", b"[]"),
        variables=(VariableRecord("a", rec("vars/000.json", var), "json"),),
    )
    raw = json.dumps(m.to_json()).encode()
    entry = folder / key
    (entry / "vars").mkdir(parents=True)
    (entry / "vars" / "000.json").write_bytes(var)
    (entry / "outputs.json").write_bytes(b"[]")
    (entry / "signatures.json").write_bytes(signatures_json({signer.key_id: signer.sign(raw)}))
    (entry / "manifest.json").write_bytes(raw)
    return key


async def test_link_cache_trust_signs_a_remote_store_at_its_url(tmp_path: Path) -> None:
    pytest.importorskip("fsspec")
    path = tmp_path / "run-cached-pipeline.ipynb"
    shutil.copy(FIXTURES / path.name, path)
    bucket = tmp_path / "bucket"
    alice = UserKey(secrets.token_bytes(32), Path("/elsewhere/cache.key"))
    key = _remote_entry(bucket / path.name, alice)
    # fsspec's local protocol: a remote store (not a path or file:// URL) on this disk
    url = f"local://{bucket}"
    async with session() as client:
        nb = OpenNotebook(client, path).open()
        got = await _command(client, "link.cache.trust", {"uri": nb.uri, "store": url})
    assert got["store"] == f"{url}/{path.name}"
    assert (got["trusted"], got["refused"]) == (1, 0)
    sigs = json.loads((bucket / path.name / key / "signatures.json").read_text())
    assert set(sigs["hmac-sha256"]) == {alice.key_id, load_user_key().key_id}
