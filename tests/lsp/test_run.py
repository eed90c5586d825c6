"""link.run / link.interrupt / link.restartKernel against real kernels, through a real client.

One server per module (a kernel start is the slow part); each test works on its own
copy of a fixture in ``tmp_path``, so caches and written outputs do not leak.
"""

from __future__ import annotations

import asyncio
import json
import shutil
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from lsprotocol import types
from pygls.exceptions import JsonRpcException
from pytest_lsp import LanguageClient

from tests.lsp.conftest import (
    FIXTURES,
    WAIT,
    OpenNotebook,
    open_text,
    replace_text,
    session,
    wait_for,
)

pytestmark = pytest.mark.asyncio(loop_scope="module")


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def client() -> AsyncIterator[LanguageClient]:
    async with session() as c:
        yield c


def copy(tmp_path: Path, name: str) -> Path:
    dest = tmp_path / name
    shutil.copy(FIXTURES / name, dest)
    return dest


async def command(client: LanguageClient, name: str, arg: Any) -> Any:
    return await asyncio.wait_for(
        client.workspace_execute_command_async(
            types.ExecuteCommandParams(command=name, arguments=[arg])
        ),
        WAIT,
    )


def progress_messages(client: LanguageClient) -> list[str]:
    return [
        v.message
        for reports in client.progress_reports.values()
        for v in reports
        if isinstance(v, types.WorkDoneProgressReport) and v.message
    ]


def text_of(outputs: list[dict[str, Any]]) -> str:
    """Streams and text/plain of nbformat outputs (texts may be lists of lines on disk)."""
    parts: list[str] = []
    for o in outputs:
        value = o["text"] if o["output_type"] == "stream" else o.get("data", {}).get("text/plain")
        if value is not None:
            parts.append(value if isinstance(value, str) else "".join(value))
    return "".join(parts)


def step(result: dict[str, Any], name: str) -> dict[str, Any]:
    (found,) = [s for s in result["steps"] if s["name"] == name]
    return found


async def test_run_up_to_a_cell_of_a_notebook_document(
    client: LanguageClient, tmp_path: Path
) -> None:
    path = copy(tmp_path, "run-cached-pipeline.ipynb")
    before = path.read_text()
    nb = OpenNotebook(client, path).open()
    result = await command(
        client, "link.run", {"uri": nb.uri, "cell": "report", "mode": "upTo", "useCache": False}
    )
    assert result["executed"] is True and result["outcome"] == "ok"
    assert [c["name"] for c in result["plan"]["cells"]] == ["load", "clean", "report"]
    assert [s["status"] for s in result["steps"]] == ["executed"] * 3
    assert text_of(step(result, "load")["outputs"]) == "loaded 3\n"
    # the parameter scale=2 reached the kernel; the last expression is an execute_result
    assert text_of(step(result, "report")["outputs"]) == "report: 12\n12"
    counts = [s["executionCount"] for s in result["steps"]]
    assert all(isinstance(n, int) for n in counts) and counts == sorted(counts)
    assert result["ran"] == [c["id"] for c in result["plan"]["cells"]]
    assert result["restored"] == [] and result["saved"] is None
    # per-cell progress, and the notebook document's file is the editor's business
    messages = progress_messages(client)
    assert any(m.startswith("[1/3] load") for m in messages)
    assert any(m.startswith("[3/3] report") for m in messages)
    assert path.read_text() == before

    # a cell uri alone runs up to that cell, in the same kernel (no new start)
    again = await command(client, "link.run", {"uri": nb.cell_uri(2), "useCache": False})
    assert again["kernelStarted"] is False
    assert [s["name"] for s in again["steps"]] == ["load", "clean"]


async def test_run_on_a_text_ipynb_writes_outputs_only_when_not_dirty(
    client: LanguageClient, tmp_path: Path
) -> None:
    path = copy(tmp_path, "run-cached-pipeline.ipynb")
    uri = path.as_uri()
    text = path.read_text()
    open_text(client, uri, text, "json")
    result = await command(client, "link.run", {"uri": uri, "cell": "clean", "useCache": False})
    assert result["outcome"] == "ok"
    assert result["saved"] == {"path": str(path), "written": True, "reason": None}
    on_disk = json.loads(path.read_text())
    assert text_of(on_disk["cells"][1]["outputs"]) == "loaded 3\n"
    assert text_of(on_disk["cells"][2]["outputs"]) == "total 12\n"
    assert on_disk["cells"][2]["execution_count"] == step(result, "clean")["executionCount"]
    assert on_disk["cells"][3]["outputs"] == []  # not in the plan: untouched
    assert on_disk["metadata"] == json.loads(text)["metadata"]

    # an unsaved edit in the editor: the run still answers, the file is left alone
    edited = text.replace("rows = [1, 2, 3]", "rows = [1, 2, 3, 4]")
    replace_text(client, uri, edited, 2)
    written = path.read_text()
    result = await command(client, "link.run", {"uri": uri, "cell": "clean", "useCache": False})
    assert text_of(step(result, "clean")["outputs"]) == "total 20\n"
    assert result["saved"]["written"] is False
    assert "unsaved changes" in result["saved"]["reason"]
    assert path.read_text() == written


async def test_cache_restores_in_the_second_run_and_shows_in_the_lens(
    client: LanguageClient, tmp_path: Path
) -> None:
    path = copy(tmp_path, "run-cached-pipeline.ipynb")
    uri = path.as_uri()
    opened = path.read_text()
    open_text(client, uri, opened, "json")

    async def run_lens_titles() -> list[str]:
        lenses = await client.text_document_code_lens_async(
            types.CodeLensParams(text_document=types.TextDocumentIdentifier(uri))
        )
        return [
            lens.command.title
            for lens in lenses or []
            if lens.command and lens.command.title.startswith("▶ Run up to")
        ]

    assert await run_lens_titles() == [
        "▶ Run up to here (1 cell)",
        "▶ Run up to here (2 cells)",
        "▶ Run up to here (3 cells)",
    ]
    first = await command(client, "link.run", {"uri": uri, "cell": "report"})
    assert [s["status"] for s in first["steps"]] == ["executed"] * 3
    # load and clean are stored (Link's diskcache flag): "report" needs neither to run
    assert await run_lens_titles() == [
        "▶ Run up to here (1 cell, 1 cached)",
        "▶ Run up to here (2 cells, 2 cached)",
        "▶ Run up to here (3 cells, 2 cached)",
    ]
    # hover on load's first line (the editor's text: the run also wrote outputs to the file)
    lines = opened.split("\n")
    line = next(i for i, t in enumerate(lines) if '"rows = [1, 2, 3]' in t)
    col = lines[line].index("rows") + 1
    hover = await client.text_document_hover_async(
        types.HoverParams(types.TextDocumentIdentifier(uri), types.Position(line, col))
    )
    assert hover is not None and isinstance(hover.contents, types.MarkupContent)
    assert "- cache: valid" in hover.contents.value
    second = await command(client, "link.run", {"uri": uri, "cell": "report"})
    assert [s["status"] for s in second["steps"]] == ["skipped", "restored", "executed"]
    assert second["restored"] == [step(second, "clean")["id"]]
    assert text_of(step(second, "clean")["outputs"]) == "total 12\n"
    assert text_of(step(second, "report")["outputs"]) == "report: 12\n12"
    # "useCache": false executes everything again
    third = await command(client, "link.run", {"uri": uri, "cell": "report", "useCache": False})
    assert [s["status"] for s in third["steps"]] == ["executed"] * 3


async def test_cancelling_a_run_interrupts_the_kernel(
    client: LanguageClient, tmp_path: Path
) -> None:
    path = copy(tmp_path, "run-faults.ipynb")
    uri = path.as_uri()
    open_text(client, uri, path.read_text(), "json")
    seen = len(progress_messages(client))
    params = types.ExecuteCommandParams(
        command="link.run", arguments=[{"uri": uri, "cell": "spin", "useCache": False}]
    )
    future = client.protocol.send_request(types.WORKSPACE_EXECUTE_COMMAND, params)
    msg_id = next(k for k, v in client.protocol._request_futures.items() if v is future)
    await wait_for(
        lambda: any(m.startswith("[2/2] spin") for m in progress_messages(client)[seen:]),
        "the spinning cell to start",
    )
    client.protocol.notify(types.CANCEL_REQUEST, types.CancelParams(id=msg_id))
    with pytest.raises(JsonRpcException, match="cancel"):
        await asyncio.wait_for(asyncio.wrap_future(future), WAIT)
    # the kernel survived the interrupt: its variables are still there
    after = await command(client, "link.run", {"uri": uri, "cell": "after", "mode": "cell"})
    assert after["outcome"] == "ok" and after["kernelStarted"] is False
    assert text_of(step(after, "after")["outputs"]) == "after 42\n"


async def test_interrupt_timeout_and_restart(client: LanguageClient, tmp_path: Path) -> None:
    path = copy(tmp_path, "run-faults.ipynb")
    uri = path.as_uri()
    open_text(client, uri, path.read_text(), "json")
    idle = await command(client, "link.interrupt", {"uri": uri})
    assert idle["interrupted"] is False

    seen = len(progress_messages(client))
    running = asyncio.ensure_future(
        command(client, "link.run", {"uri": uri, "cell": "spin", "useCache": False})
    )
    await wait_for(
        lambda: any(m.startswith("[2/2] spin") for m in progress_messages(client)[seen:]),
        "the spinning cell to start",
    )
    answer = await command(client, "link.interrupt", {"uri": uri})
    assert answer["interrupted"] is True
    result = await running
    assert result["outcome"] == "interrupted"
    assert step(result, "spin")["error"]["kind"] == "interrupted"
    assert "spinning" in text_of(step(result, "spin")["outputs"])
    assert "was interrupted" in result["message"]

    result = await command(
        client, "link.run", {"uri": uri, "cell": "spin", "mode": "cell", "timeout": 2}
    )
    assert result["outcome"] == "timeout"

    restarted = await command(client, "link.restartKernel", {"uri": uri})
    assert restarted["restarted"] is True
    fresh = await command(client, "link.run", {"uri": uri, "cell": "after", "mode": "cell"})
    assert fresh["outcome"] == "error"  # a new kernel: x is not defined any more
    assert step(fresh, "after")["error"]["ename"] == "NameError"


async def test_a_dying_kernel_is_reported_and_the_next_run_starts_a_new_one(
    client: LanguageClient, tmp_path: Path
) -> None:
    path = copy(tmp_path, "run-faults.ipynb")
    uri = path.as_uri()
    open_text(client, uri, path.read_text(), "json")
    died = await command(client, "link.run", {"uri": uri, "cell": "die", "useCache": False})
    assert died["outcome"] == "kernel-died"
    assert step(died, "die")["error"]["kind"] == "kernel-died"
    assert "the kernel died" in died["message"]
    await wait_for(
        lambda: any("kernel died" in m.message for m in client.messages), "a message to the user"
    )
    # the server still serves, and the next run gets a new kernel
    graph = await command(client, "link.graph", {"uri": uri})
    assert len(graph["nodes"]) == 4
    again = await command(client, "link.run", {"uri": uri, "cell": "after", "useCache": False})
    assert again["outcome"] == "ok" and again["kernelStarted"] is True
    assert text_of(step(again, "after")["outputs"]) == "after 42\n"


async def test_bad_run_arguments_are_errors(client: LanguageClient, tmp_path: Path) -> None:
    path = copy(tmp_path, "run-faults.ipynb")
    uri = path.as_uri()
    with pytest.raises(JsonRpcException, match="timeout"):
        await command(client, "link.run", {"uri": uri, "cell": "after", "timeout": -1})
    with pytest.raises(JsonRpcException, match="params"):
        await command(client, "link.run", {"uri": uri, "params": [1]})
    with pytest.raises(JsonRpcException, match="nope"):
        await command(client, "link.run", {"uri": uri, "kernel": "nope"})


async def test_cache_commands_list_export_clear_import(
    client: LanguageClient, tmp_path: Path
) -> None:
    path = copy(tmp_path, "run-cached-pipeline.ipynb")
    uri = path.as_uri()  # not open: the commands read the file

    def states(listing: dict[str, Any]) -> dict[str, str]:
        return {c["name"]: c["state"] for c in listing["components"]}

    listing = await command(client, "link.cache.list", {"uri": uri})
    assert states(listing) == {"load": "missing", "clean": "missing", "report": "missing"}
    assert listing["store"] == str(tmp_path / ".link_ls" / "cache" / path.name)
    run = await command(client, "link.run", {"uri": uri, "cell": "report"})
    assert run["outcome"] == "ok" and run["saved"] is None  # a closed file is not written
    listing = await command(client, "link.cache.list", {"uri": uri})
    assert states(listing) == {"load": "valid", "clean": "valid", "report": "missing"}
    assert all(c["diskcache"] for c in listing["components"][:2])

    archive = tmp_path / "results.tar.gz"
    exported = await command(client, "link.cache.export", {"uri": uri, "output": str(archive)})
    assert sorted(c["name"] for c in exported["components"]) == ["clean", "load"]
    assert exported["left_out"] == ["report"] and archive.is_file()

    cleared = await command(client, "link.cache.clear", {"uri": uri})
    assert cleared["removed"] == 2 and cleared["bytes"] > 0
    listing = await command(client, "link.cache.list", {"uri": uri})
    assert set(states(listing).values()) == {"missing"}

    imported = await command(client, "link.cache.import", {"uri": uri, "archive": archive.as_uri()})
    assert sorted((c["name"], c["state"]) for c in imported["components"]) == [
        ("clean", "valid"),
        ("load", "valid"),
    ]
    assert imported["trusted"] is False and imported["origin"]["archive"] == archive.name
    # an imported cache is untrusted: the run executes instead, and says why in its report
    untrusted = await command(client, "link.run", {"uri": uri, "cell": "report"})
    assert [s["status"] for s in untrusted["steps"]] == ["executed", "executed", "executed"]
    assert [u["name"] for u in untrusted["cache"]["untrusted"]] == ["clean"]
    assert untrusted["cache"]["trustCommand"][:3] == ["link-ls", "cache", "trust"]
    trusted = await command(client, "link.cache.trust", {"uri": uri})
    assert trusted["trusted"] == 2 and trusted["refused"] == 0
    again = await command(client, "link.run", {"uri": uri, "cell": "report"})
    assert [s["status"] for s in again["steps"]] == ["skipped", "restored", "executed"]

    with pytest.raises(JsonRpcException, match="not a gzip"):
        await command(client, "link.cache.import", {"uri": uri, "archive": str(path)})


@pytest.mark.parametrize("how", ["shutdown-exit", "sigterm"])
async def test_kernels_end_with_the_server(tmp_path: Path, how: str) -> None:
    from link_ls.kernel.session import connection_tag
    from tests.kernel.procs import processes_with, wait_gone

    path = copy(tmp_path, "run-faults.ipynb")
    async with session() as own:
        assert own._server is not None
        server = own._server
        result = await command(own, "link.run", {"uri": path.as_uri(), "cell": "setup"})
        assert result["outcome"] == "ok"
        tag = connection_tag(server.pid)
        assert processes_with(tag), "the run's kernel should be running"
        if how == "sigterm":
            server.terminate()
        else:
            await asyncio.wait_for(own.shutdown_session(), WAIT)
        await asyncio.wait_for(server.wait(), WAIT)
        assert not await asyncio.to_thread(wait_gone, tag)
