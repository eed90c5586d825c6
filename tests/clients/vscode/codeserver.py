"""Finding the e2e set-up (mk/vscode.mk) and running a real code-server with the extension."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]
VSIX = REPO / "editor-clients" / "vscode" / "link-ls.vsix"
LINK_LS = REPO / ".venv" / "bin" / "link-ls"
CACHE = Path(os.environ.get("LINK_LS_E2E_CACHE", Path.home() / ".cache" / "link-ls" / "vscode-e2e"))
EXTENSION_ID = "link-ls.link-ls"


@dataclass(frozen=True)
class Setup:
    """What scripts/setup-e2e.sh installed: Node 24's bin folder, code-server, Chromium."""

    node_bin: Path
    code_server: Path
    chromium: Path


def unavailable(reason: str) -> None:
    """Skip locally; under CI a missing set-up is a failure, never a skip."""
    if os.environ.get("CI") == "true":
        pytest.fail(f"CI=true but {reason} (make test installs it: mk/vscode.mk)")
    pytest.skip(f"{reason}; `make test` installs it (mk/vscode.mk)")


def find_setup() -> Setup:
    env = CACHE / "e2e.env"
    if not env.is_file():
        unavailable(f"code-server/Chromium set-up missing ({env})")
    values = dict(line.split("=", 1) for line in env.read_text().splitlines() if "=" in line)
    setup = Setup(
        Path(values.get("NODE_BIN", "")),
        Path(values.get("CODE_SERVER", "")),
        Path(values.get("CHROMIUM", "")),
    )
    for p in (setup.node_bin / "node", setup.code_server, setup.chromium):
        if not p.exists():
            unavailable(f"{p} is missing (set-up {env} is stale)")
    if not VSIX.is_file():
        unavailable(f"the extension is not packaged ({VSIX})")
    if not LINK_LS.exists():
        unavailable(f"{LINK_LS} is missing")
    return setup


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass(frozen=True)
class CodeServer:
    url: str
    workspace: Path
    log: Path


class Launcher:
    """code-server with its own user-data and extensions folders under ``root``."""

    def __init__(self, setup: Setup, root: Path) -> None:
        self.setup = setup
        self.user_data = root / "user-data"
        self.extensions = root / "extensions"
        self.log = root / "code-server.log"
        env = dict(os.environ)
        env["PATH"] = f"{setup.node_bin}{os.pathsep}{env.get('PATH', '')}"
        # the extension must find the server through its setting, not through PATH
        self.env = env

    def _cmd(self, *args: str) -> list[str]:
        return [
            str(self.setup.node_bin / "node"),
            str(self.setup.code_server),
            "--user-data-dir",
            str(self.user_data),
            "--extensions-dir",
            str(self.extensions),
            *args,
        ]

    def install_extension(self, vsix: Path) -> None:
        done = subprocess.run(
            self._cmd("--install-extension", str(vsix)),
            env=self.env,
            capture_output=True,
            text=True,
            timeout=180,
        )
        assert done.returncode == 0, done.stdout + done.stderr
        assert EXTENSION_ID in (done.stdout + done.stderr).lower() or any(
            p.name.startswith(EXTENSION_ID) for p in self.extensions.iterdir()
        ), done.stdout + done.stderr

    def write_settings(self, settings: dict[str, object]) -> None:
        user = self.user_data / "User"
        user.mkdir(parents=True, exist_ok=True)
        (user / "settings.json").write_text(json.dumps(settings, indent=2))

    @contextmanager
    def serve(self, workspace: Path) -> Iterator[CodeServer]:
        port = _free_port()
        with self.log.open("w") as log:
            proc = subprocess.Popen(
                self._cmd(
                    "--auth",
                    "none",
                    "--bind-addr",
                    f"127.0.0.1:{port}",
                    "--disable-telemetry",
                    "--disable-update-check",
                    "--disable-workspace-trust",
                    str(workspace),
                ),
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        try:
            url = f"http://127.0.0.1:{port}/"
            _wait_http(url, proc, self.log)
            yield CodeServer(f"{url}?folder={workspace}", workspace, self.log)
        finally:
            _stop(proc)


def _wait_http(url: str, proc: subprocess.Popen[bytes], log: Path, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"code-server exited ({proc.returncode}):\n{log.read_text()}")
        try:
            with urllib.request.urlopen(url, timeout=5) as r:
                if r.status < 500:
                    return
        except OSError:
            time.sleep(0.5)
    raise AssertionError(f"code-server did not answer on {url}:\n{log.read_text()}")


def _stop(proc: subprocess.Popen[bytes]) -> None:
    """Stop code-server and what it started (extension host, link-ls, kernels)."""
    try:
        os.killpg(proc.pid, 15)
    except ProcessLookupError:
        return
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, 9)
        proc.wait(timeout=20)


def copy_example(name: str, dest: Path) -> Path:
    dest.mkdir(parents=True, exist_ok=True)
    return Path(shutil.copy(REPO / "examples" / name, dest / name))
