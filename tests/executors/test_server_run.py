"""`link.run` with `executor` through a real LSP client: the same scaled-out run as the CLI."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio
from lsprotocol import types
from pytest_lsp import LanguageClient

from tests.executors.conftest import copy_example
from tests.lsp.conftest import WAIT, session

pytestmark = pytest.mark.asyncio(loop_scope="module")


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def client() -> AsyncIterator[LanguageClient]:
    async with session() as c:
        yield c


async def test_link_run_with_the_parallel_executor(client: LanguageClient, tmp_path: Path) -> None:
    nb = copy_example(tmp_path)
    arg = {"uri": nb.as_uri(), "executor": "parallel", "workers": 2, "write": False}
    result = await asyncio.wait_for(
        client.workspace_execute_command_async(
            types.ExecuteCommandParams(command="link.run", arguments=[arg])
        ),
        WAIT,
    )
    assert result["executor"] == "parallel"
    assert result["outcome"] == "ok"
    steps = {s["name"]: s for s in result["steps"]}
    assert len(steps) == 8 and all(s["status"] == "executed" for s in steps.values())
    assert all(s["where"].startswith("kernel ") for s in steps.values())
    assert steps["report"]["outputs"][0]["text"] == "the model is 93% better than the baseline\n"
    assert (tmp_path / ".link_ls" / "cache").is_dir()


async def test_link_run_refuses_an_unknown_executor(client: LanguageClient, tmp_path: Path) -> None:
    nb = copy_example(tmp_path)
    with pytest.raises(Exception, match="'executor' must be serial, parallel or dask"):
        await asyncio.wait_for(
            client.workspace_execute_command_async(
                types.ExecuteCommandParams(
                    command="link.run", arguments=[{"uri": nb.as_uri(), "executor": "spark"}]
                )
            ),
            WAIT,
        )
