"""A real Jupyter server with jupyter-lsp on loopback, one per test module of the JupyterLab tests.

Random free port, random token, a temporary root folder holding the fixture notebook,
and Jupyter's config/data/runtime folders (and link-ls's cache signing key) in the
temporary folder too, so the user's own Jupyter settings and key play no part. link-ls
is found through its entry point only.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

HERE = Path(__file__).resolve().parent
#: the extension as built from this checkout's sources (mk/jupyterlab-ext.mk, npm run build)
SOURCE_BUILD = HERE.parents[2] / "link_ls" / "labextension"
FIXTURE = HERE / "fixtures" / "missing_edge.ipynb"
#: screenshots and the server logs stay here after the run (ignored by git)
OUTPUT = HERE / "output"
START_TIMEOUT = 240.0


def missing(reason: str) -> None:
    """Skip locally, fail under CI: a missing component is a set-up failure there."""
    if os.environ.get("CI") == "true":
        pytest.fail(reason)
    pytest.skip(reason)


@dataclass(frozen=True)
class Jupyter:
    """A running Jupyter server: where it listens, its token and its root folder."""

    port: int
    token: str
    root: Path
    log: Path
    #: the cache signing key of the server's user (``LINK_LS_CACHE_KEY_FILE``), not the developer's
    key_file: Path

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def get_json(self, path: str) -> Any:
        req = urllib.request.Request(
            self.base + path, headers={"Authorization": f"token {self.token}"}
        )
        with urllib.request.urlopen(req, timeout=30) as resp:
            return json.loads(resp.read().decode("utf-8"))

    def ws_url(self, server: str) -> str:
        return f"ws://127.0.0.1:{self.port}/lsp/ws/{server}?token={self.token}"


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _wait_ready(j: Jupyter, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"jupyter server exited ({proc.returncode}): {j.log.read_text()}")
        try:
            j.get_json("/api/status")
            return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.5)
    raise RuntimeError(f"jupyter server not ready in {START_TIMEOUT} s: {j.log.read_text()}")


@pytest.fixture(scope="module")
def jupyter(
    tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest
) -> Iterator[Jupyter]:
    try:
        import jupyter_lsp  # noqa: F401
        import jupyterlab  # noqa: F401
    except ImportError as e:
        missing(f"jupyterlab / jupyter-lsp not installed: {e}")
    work = tmp_path_factory.mktemp("jupyter")
    root = work / "root"
    root.mkdir()
    shutil.copy(FIXTURE, root / FIXTURE.name)
    # no "get notified about Jupyter news?" prompt over the screenshots
    notification = work / "settings" / "@jupyterlab" / "apputils-extension"
    notification.mkdir(parents=True)
    (notification / "notification.jupyterlab-settings").write_text('{"fetchNews": "false"}')
    # every cell in the DOM (no windowing), so a test sees every cell's header
    tracker = work / "settings" / "@jupyterlab" / "notebook-extension"
    tracker.mkdir(parents=True)
    (tracker / "tracker.jupyterlab-settings").write_text('{"windowingMode": "none"}')
    extensions = work / "labextensions"
    extensions.mkdir()
    if (SOURCE_BUILD / "package.json").exists():
        # this checkout's build is found first (extra_labextensions_path precedes sys.prefix),
        # so a git worktree tests its own bundle even when the venv links another checkout's
        (extensions / "link-ls").symlink_to(SOURCE_BUILD)
    OUTPUT.mkdir(exist_ok=True)
    j = Jupyter(
        _free_port(), secrets.token_hex(16), root, work / "jupyter-server.log", work / "lab.key"
    )
    env = {
        **os.environ,
        "LINK_LS_CACHE_KEY_FILE": str(j.key_file),
        "JUPYTER_CONFIG_DIR": str(work / "config"),
        "JUPYTER_DATA_DIR": str(work / "data"),
        "JUPYTER_RUNTIME_DIR": str(work / "runtime"),
        "JUPYTERLAB_SETTINGS_DIR": str(work / "settings"),
        "JUPYTERLAB_WORKSPACES_DIR": str(work / "workspaces"),
    }
    env.pop("LINK_LS_CACHE_DIR", None)  # each notebook's store beside it, in the root folder
    argv = [
        sys.executable,
        "-m",
        "jupyterlab",
        "--no-browser",
        "--ServerApp.ip=127.0.0.1",
        f"--ServerApp.port={j.port}",
        "--ServerApp.port_retries=0",
        f"--IdentityProvider.token={j.token}",
        f"--ServerApp.root_dir={root}",
        "--LabApp.news_url=",
        "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
        # tests drive JupyterLab's commands through window.jupyterapp
        "--LabApp.expose_app_in_browser=True",
        f"--LabApp.extra_labextensions_path={extensions}",
    ]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        argv.append("--allow-root")  # CI containers run as root
    with j.log.open("wb") as log:
        proc = subprocess.Popen(argv, cwd=root, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        _wait_ready(j, proc)
        yield j
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=30)
        # the server log (link-ls's stderr included) beside the screenshots, one per module
        module = request.module.__name__.rsplit(".", 1)[-1]
        shutil.copy(j.log, OUTPUT / f"jupyter-server-{module}.log")


CHROMIUM = Path("/usr/bin/chromium")
#: flags from REAL-CLIENTS.md: no sandbox as root, no GPU, no network chatter
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
#: how long a page waits for JupyterLab (real kernels and servers on a loaded machine)
TIMEOUT_MS = 240_000


def require_browser() -> None:
    """Chromium and Playwright's Python package are there (``make test`` installs both),
    else skip (locally) or fail (under CI=true)."""
    if not CHROMIUM.exists():
        missing(f"{CHROMIUM} not installed (make test installs it: apt-get install chromium)")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError as e:
        missing(f"playwright not installed: {e}")


@contextmanager
def lab_page(
    jupyter: Jupyter,
    name: str,
    *,
    height: int = 1400,
    timeout_ms: int = TIMEOUT_MS,
    last_shot: str | None = None,
) -> Iterator[Any]:
    """A headless Chromium page with JupyterLab showing ``name`` (under the server's root).

    ``last_shot``: a screenshot taken into ``output/`` however the block ends (what the
    page showed when a check failed)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        try:
            page = browser.new_page(viewport={"width": 1400, "height": height})
            page.set_default_timeout(timeout_ms)
            page.goto(f"{jupyter.base}/lab/tree/{name}?token={jupyter.token}")
            try:
                yield page
            finally:
                if last_shot is not None:
                    OUTPUT.mkdir(exist_ok=True)
                    page.screenshot(path=str(OUTPUT / last_shot))
        finally:
            browser.close()
