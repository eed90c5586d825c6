"""The wheel carries the JupyterLab extension prebuilt: a fresh venv needs only pip (issue 17).

``pip wheel .`` (hatchling + hatch-jupyter-builder; the bundle that
``mk/jupyterlab-ext.mk`` built, else built with npm) gives a wheel holding
``share/jupyter/labextensions/link-ls``; a new venv with only that wheel and
``jupyterlab`` lists the extension as enabled and OK. The wheel and the venv are
cached under ``~/.cache/link-ls/jupyterlab-wheel/<hash of the sources>/`` so a
second run costs only ``jupyter labextension list``.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import sys
import venv
from pathlib import Path

import pytest

from tests.clients.jupyterlab.conftest import (
    CHROMIUM,
    CHROMIUM_ARGS,
    Jupyter,
    _free_port,
    _wait_ready,
    missing,
)

pytestmark = pytest.mark.timeout(900)

ROOT = Path(__file__).resolve().parents[3]
EXT = ROOT / "editor-clients" / "jupyterlab"
BUNDLE = ROOT / "link_ls" / "labextension" / "package.json"
CACHE = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "link-ls"


def _sources_hash() -> str:
    h = hashlib.sha256()
    files = [ROOT / "pyproject.toml", EXT / "package.json", EXT / "package-lock.json"]
    files += sorted((EXT / "src").glob("*.ts")) + sorted((EXT / "style").glob("*"))
    files += sorted((EXT / "schema").glob("*.json"))
    files += sorted((ROOT / "link_ls").rglob("*.py"))
    for f in files:
        h.update(str(f.relative_to(ROOT)).encode() + b"\0" + f.read_bytes())
    return h.hexdigest()[:16]


def _run(argv: list[str], **kw: object) -> str:
    done = subprocess.run(argv, capture_output=True, text=True, timeout=800, **kw)  # type: ignore[call-overload]
    if done.returncode != 0:
        raise AssertionError(
            f"{argv[:4]} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}"
        )
    return str(done.stdout) + str(done.stderr)


def test_fresh_venv_with_the_wheel_lists_the_extension_enabled_and_ok() -> None:
    if not BUNDLE.exists() and shutil.which("npm") is None:
        missing("no built extension (make test builds it) and no npm to build one")
    work = CACHE / "jupyterlab-wheel" / _sources_hash()
    wheels = work / "wheels"
    if not list(wheels.glob("link_ls-*.whl")):
        shutil.rmtree(work, ignore_errors=True)
        _run(
            [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(wheels), str(ROOT)]
        )
    (wheel,) = wheels.glob("link_ls-*.whl")
    env_dir = work / "venv"
    py = env_dir / "bin" / "python"
    if not (env_dir / ".ready").exists():
        shutil.rmtree(env_dir, ignore_errors=True)
        venv.create(env_dir, with_pip=True)
        _run([str(py), "-m", "pip", "install", "-q", str(wheel), "jupyterlab>=4.2,<5"])
        (env_dir / ".ready").touch()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("JUPYTER", "VIRTUAL_ENV"))}
    env["JUPYTER_CONFIG_DIR"] = str(work / "config")
    env["JUPYTER_DATA_DIR"] = str(work / "data")
    out = _run([str(env_dir / "bin" / "jupyter"), "labextension", "list"], env=env)
    plain = re.sub(r"\x1b\[[0-9;]*m", "", out)
    assert re.search(r"^\s+link-ls v\S+ enabled\s+OK \(python, link-ls\)", plain, re.M), plain
    # the bundle lives once, as shared data, not inside the package too
    names = _run([str(py), "-m", "zipfile", "-l", str(wheel)])
    assert "share/jupyter/labextensions/link-ls/static/style.js" in names
    assert "share/jupyter/labextensions/link-ls/install.json" in names
    # the settings schema (the executor setting) ships with the bundle
    assert "share/jupyter/labextensions/link-ls/schemas/link-ls/plugin.json" in names
    assert "link_ls/labextension" not in names
    # the server side JupyterLab needs is there too: jupyter-lsp finds link-ls by its entry point
    _run([str(py), "-c", "import jupyter_lsp, link_ls.jupyter_lsp_spec"])
    if CHROMIUM.exists():
        _headers_appear(py, env, work)


def _headers_appear(py: Path, env: dict[str, str], work: Path) -> None:
    """The fresh venv's JupyterLab (no jupyterlab-lsp: the core LSP client starts off) shows
    the headers: the extension turns the core client on by itself."""
    from playwright.sync_api import sync_playwright

    run = work / "run"
    shutil.rmtree(run, ignore_errors=True)
    root = run / "root"
    root.mkdir(parents=True)
    shutil.copy(ROOT / "examples" / "pipeline.ipynb", root / "pipeline.ipynb")
    j = Jupyter(
        _free_port(),
        "t" + hashlib.sha256(str(run).encode()).hexdigest()[:20],
        root,
        run / "log",
        run / "lab.key",
    )
    env = {
        **env,
        "JUPYTERLAB_SETTINGS_DIR": str(run / "settings"),
        "JUPYTER_RUNTIME_DIR": str(run / "rt"),
    }
    argv = [
        str(py),
        "-m",
        "jupyterlab",
        "--no-browser",
        "--ServerApp.ip=127.0.0.1",
        f"--ServerApp.port={j.port}",
        f"--IdentityProvider.token={j.token}",
        f"--ServerApp.root_dir={root}",
        "--LabApp.news_url=",
    ]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        argv.append("--allow-root")
    with j.log.open("wb") as log:
        proc = subprocess.Popen(argv, cwd=root, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        _wait_ready(j, proc)
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            try:
                page = browser.new_page(viewport={"width": 1400, "height": 1000})
                page.set_default_timeout(180_000)
                page.goto(f"{j.base}/lab/tree/pipeline.ipynb?token={j.token}")
                page.wait_for_function(
                    "() => document.querySelectorAll('.link-ls-header').length === 8"
                )
            finally:
                browser.close()
    finally:
        proc.terminate()
        proc.wait(timeout=30)
