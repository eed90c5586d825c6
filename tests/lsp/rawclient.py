"""A bare JSON-RPC client over a real ``python -m link_ls serve`` (no pygls on this side).

The fuzz tests send it anything — malformed params, notifications sent as requests,
garbage bytes — and need to see exactly what comes back: every response by id, every
notification, and the server's stderr, with a timeout instead of a hang.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]


class RawServer:
    """One server process; :meth:`request` returns its response or raises on a hang."""

    def __init__(self) -> None:
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "link_ls", "serve"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            cwd=ROOT,
            env=env,
        )
        self.responses: dict[Any, dict[str, Any]] = {}
        self.notifications: list[dict[str, Any]] = []
        self.stderr: list[str] = []
        self._cond = threading.Condition()
        self._next = 0
        threading.Thread(target=self._read, daemon=True).start()
        threading.Thread(target=self._read_err, daemon=True).start()

    # -- wire ------------------------------------------------------------------------
    def _read(self) -> None:
        out = self.proc.stdout
        assert out is not None
        while True:
            length = None
            while True:
                line = out.readline()
                if not line:
                    return
                line = line.strip()
                if not line:
                    break
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":", 1)[1])
            if length is None:
                continue
            msg = json.loads(out.read(length))
            with self._cond:
                if "id" in msg and "method" in msg:
                    # a request from the server (configuration, applyEdit, …): answer null
                    self.send({"jsonrpc": "2.0", "id": msg["id"], "result": None})
                    self.notifications.append(msg)
                elif "id" in msg:
                    self.responses[msg["id"]] = msg
                else:
                    self.notifications.append(msg)
                self._cond.notify_all()

    def _read_err(self) -> None:
        err = self.proc.stderr
        assert err is not None
        for line in err:
            self.stderr.append(line.decode("utf-8", "replace"))

    def write_raw(self, body: bytes) -> None:
        stdin = self.proc.stdin
        assert stdin is not None
        stdin.write(b"Content-Length: %d\r\n\r\n%s" % (len(body), body))
        stdin.flush()

    def send(self, msg: dict[str, Any]) -> None:
        self.write_raw(json.dumps(msg).encode("utf-8", "surrogatepass"))

    # -- calls -----------------------------------------------------------------------
    def new_id(self) -> int:
        self._next += 1
        return self._next

    def request(self, method: str, params: Any, timeout: float = 30.0) -> dict[str, Any]:
        msg_id = self.new_id()
        msg: dict[str, Any] = {"jsonrpc": "2.0", "id": msg_id, "method": method}
        if params is not None:
            msg["params"] = params
        self.send(msg)
        return self.wait(msg_id, timeout)

    def wait(self, msg_id: Any, timeout: float = 30.0) -> dict[str, Any]:
        end = time.monotonic() + timeout
        with self._cond:
            while msg_id not in self.responses:
                left = end - time.monotonic()
                if left <= 0 or self.proc.poll() is not None:
                    raise TimeoutError(f"no response to request {msg_id}")
                self._cond.wait(left)
            return self.responses.pop(msg_id)

    def notify(self, method: str, params: Any) -> None:
        self.send({"jsonrpc": "2.0", "method": method, "params": params})

    def initialize(self, root: Path) -> None:
        caps = {
            "textDocument": {
                "codeAction": {"resolveSupport": {"properties": ["edit"]}},
                "publishDiagnostics": {},
            },
            "workspace": {"applyEdit": True, "workspaceEdit": {"documentChanges": True}},
            "notebookDocument": {"synchronization": {}},
        }
        got = self.request(
            "initialize", {"processId": None, "rootUri": root.as_uri(), "capabilities": caps}
        )
        assert "result" in got, got
        self.notify("initialized", {})

    def internal_errors(self, since: tuple[int, int] = (0, 0)) -> list[str]:
        """Anything the server reported as an internal error so far (responses are checked
        by the caller; this is the out-of-band part: showMessage errors, logged errors)."""
        found = [
            json.dumps(n)[:300]
            for n in self.notifications[since[0] :]
            if n.get("method") == "window/showMessage"
            and (n.get("params") or {}).get("type") == 1
            and "Error in server" in str((n.get("params") or {}).get("message"))
        ]
        # pygls logs every error response with its traceback: only these lines mean a bug
        bad = (" ERROR link_ls", " ERROR pygls.server", " ERROR concurrent", " ERROR asyncio")
        lines = self.stderr[since[1] :]
        for i, ln in enumerate(lines):
            if any(b in ln for b in bad):
                found.append("".join(lines[i : i + 40]))  # with its traceback
        return found

    def mark(self) -> tuple[int, int]:
        """Where the logs are now: ``internal_errors(mark)`` reports only what came after."""
        return len(self.notifications), len(self.stderr)

    def close(self) -> None:
        try:
            self.request("shutdown", None, timeout=10)
            self.notify("exit", None)
            self.proc.wait(timeout=10)
        except Exception:
            self.proc.kill()
            self.proc.wait()
