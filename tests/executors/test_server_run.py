"""`link.run` with `executor` through a real LSP client: the same scaled-out run as the CLI."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

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
    events: list[Any] = []

    @client.feature("link/run/event")
    def on_event(params: Any) -> None:
        events.append(params)

    nb = copy_example(tmp_path)
    arg = {"uri": nb.as_uri(), "executor": "parallel", "workers": 2, "write": False}
    arg["client"] = "tab-1"  # asks for link/run/event notifications (JupyterLab's headers)
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
    # each component: "started" (where) before "finished" (its step, as in the result)
    seen = [(_get(e, "event"), _get(e, "index")) for e in events]
    for s in steps.values():
        assert seen.index(("started", s["index"])) < seen.index(("finished", s["index"])), seen
    done = {_get(e, "index"): _get(e, "step") for e in events if _get(e, "event") == "finished"}
    assert {i: _get(st, "status") for i, st in done.items()} == {
        s["index"]: "executed" for s in steps.values()
    }
    assert all(_get(e, "client") == "tab-1" and _get(e, "uri") == nb.as_uri() for e in events)


def _get(obj: Any, name: str) -> Any:
    """A field of a notification's params (pygls may hand them as an object)."""
    return obj.get(name) if isinstance(obj, dict) else getattr(obj, name)


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
