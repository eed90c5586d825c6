"""``link-ls serve`` answers ``initialize`` without loading the core (a user sees start-up time).

The server registers every feature at start, but a feature's core modules (analysis,
pipeline, cache, kernels, merge...) load only when one of its handlers first runs. The
server here is the real command (``link_ls.cli.main(["serve"])``) on stdio; it answers
``initialize``, ``shutdown`` and ``exit``, then writes the modules it had loaded.

The cyclic garbage collector is off while the server is made; it must be back on once
``initialize`` is answered (a server left without it would grow with every edit).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent

#: what ``serve`` loads on first use only (each was loaded at start before)
LOADED_ON_FIRST_USE = (
    "link_ls.analysis",
    "link_ls.cache",
    "link_ls.kernel",
    "link_ls.merge",
    "link_ls.notebook",
    "link_ls.pipeline",
    "link_ls.usecases",
    "link_ls.server.diagnostics",
    "link_ls.server.documents",
    "link_ls.server.workspace",
    "secrets",
    # never needed by the server: the CLI's console library
    "rich",
)

SERVE = """
import atexit, gc, json, sys
def dump():
    state = {"modules": sorted(sys.modules), "gc": gc.isenabled()}
    open(sys.argv[1], "w").write(json.dumps({**state, "frozen": gc.get_freeze_count()}))
atexit.register(dump)
from link_ls.cli import main
sys.exit(main(["serve"]))
"""


def _message(payload: dict[str, object]) -> bytes:
    body = json.dumps(payload).encode()
    return b"Content-Length: %d\r\n\r\n" % len(body) + body


def _within(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


def test_serve_answers_initialize_without_loading_the_core(tmp_path: Path) -> None:
    loaded = tmp_path / "modules.json"
    messages = [
        {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"capabilities": {}}},
        {"jsonrpc": "2.0", "id": 2, "method": "shutdown"},
        {"jsonrpc": "2.0", "method": "exit"},
    ]
    done = subprocess.run(
        [sys.executable, "-c", SERVE, str(loaded)],
        input=b"".join(_message(m) for m in messages),
        capture_output=True,
        timeout=120,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stderr.decode()
    answer = json.loads(done.stdout.split(b"\r\n\r\n")[1].split(b"Content-Length")[0])
    assert answer["id"] == 1 and "executeCommandProvider" in answer["result"]["capabilities"]
    state = json.loads(loaded.read_text())
    assert state["gc"] is True and state["frozen"] > 0
    modules = set(state["modules"])
    assert "link_ls.server.features.run" in modules  # every feature was registered
    early = [m for m in modules if m.partition(".")[0] in {"link_ls", "secrets", "rich"}]
    assert [m for m in sorted(early) if any(_within(m, p) for p in LOADED_ON_FIRST_USE)] == []
