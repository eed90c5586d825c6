"""The VS Code extension in a real code-server, driven by Playwright in headless Chromium:
lens, edge diagnostic, run up to a cell with its output in the notebook, quick fix; the
prompt before trusting an imported cache (issue 18)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Frame, Page, sync_playwright

from tests.clients.vscode.codeserver import (
    LINK_LS,
    VSIX,
    CodeServer,
    Launcher,
    copy_example,
    find_setup,
)

OUT = Path(__file__).parent / "test-output"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
WAIT = 120.0  # seconds: a cold code-server, extension host, link-ls and kernel on 2 loaded cores


def drop_parent(nb_path: Path, component: str) -> None:
    """Remove ``component``'s declared parents, so it reads names from a non-parent (LNK003)."""
    nb = json.loads(nb_path.read_text())
    for cell in nb["cells"]:
        canvas = cell.get("metadata", {}).get("canvas")
        if canvas and canvas.get("name") == component:
            canvas["parents"] = []
    nb_path.write_text(json.dumps(nb, indent=1) + "\n")


def parents_of(nb_path: Path, component: str) -> list[str]:
    nb = json.loads(nb_path.read_text())
    for cell in nb["cells"]:
        canvas = cell.get("metadata", {}).get("canvas")
        if canvas and canvas.get("name") == component:
            return [str(p["name"]) for p in canvas["parents"]]
    raise AssertionError(f"no component {component} in {nb_path}")


SETTINGS: dict[str, object] = {
    "security.workspace.trust.enabled": False,
    "link-ls.server.path": str(LINK_LS),
    "workbench.startupEditor": "none",
    "workbench.tips.enabled": False,
    "extensions.ignoreRecommendations": True,
    "extensions.autoCheckUpdates": False,
    "telemetry.telemetryLevel": "off",
    "git.enabled": False,
    "notebook.output.scrolling": False,
    "chat.disableAIFeatures": True,
    "workbench.secondarySideBar.defaultVisibility": "hidden",
}


def launcher_for(tmp_path: Path) -> Launcher:
    launcher = Launcher(find_setup(), tmp_path / "code-server")
    launcher.install_extension(VSIX)
    launcher.write_settings(SETTINGS)
    return launcher


@pytest.fixture
def code_server(tmp_path: Path) -> Iterator[CodeServer]:
    launcher = launcher_for(tmp_path)
    workspace = tmp_path / "workspace"
    nb = copy_example("pipeline.ipynb", workspace)
    drop_parent(nb, "report")
    with launcher.serve(workspace) as cs:
        yield cs


@pytest.fixture
def browser() -> Iterator[Browser]:
    setup = find_setup()
    with sync_playwright() as pw:
        b = pw.chromium.launch(
            executable_path=str(setup.chromium), args=CHROMIUM_ARGS, headless=True
        )
        try:
            yield b
        finally:
            b.close()


class Shots:
    """Numbered screenshots in tests/clients/vscode/test-output/ (ignored by git)."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.n = 0
        OUT.mkdir(exist_ok=True)
        for old in OUT.glob("*.png"):
            old.unlink()

    def __call__(self, name: str) -> Path:
        self.n += 1
        path = OUT / f"{self.n:02d}-{name}.png"
        self.page.screenshot(path=str(path))
        return path


def poll(
    what: str,
    check: Callable[[], bool],
    timeout: float = WAIT,
    seen: Callable[[], str] = lambda: "",
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.5)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}; saw:\n{seen()}")


def outputs_text(page: Page) -> str:
    """Text of the cell outputs: they render inside nested webview iframes."""
    texts = [_frame_text(f) for f in page.frames if f is not page.main_frame]
    return "\n".join(t for t in texts if "sendError" not in t)  # skip webview host pages


def _frame_text(frame: Frame) -> str:
    try:
        return str(frame.evaluate("() => document.body ? document.body.innerText : ''"))
    except Exception:  # a frame navigating or gone: nothing to read yet
        return ""


def problems_text(page: Page) -> str:
    panel = page.locator(".markers-panel")
    return panel.inner_text() if panel.count() else ""


def run_command(page: Page, title: str) -> None:
    page.keyboard.press("F1")
    box = page.locator(".quick-input-widget input")
    box.wait_for(state="visible")
    box.fill(f">{title}")
    page.locator(".quick-input-list .monaco-list-row").first.wait_for(state="visible")
    page.keyboard.press("Enter")


def open_file(page: Page, name: str) -> None:
    page.keyboard.press("Control+P")
    box = page.locator(".quick-input-widget input")
    box.wait_for(state="visible")
    box.fill(name)
    page.locator(".quick-input-list .monaco-list-row", has_text=name).first.wait_for()
    page.keyboard.press("Enter")


@pytest.mark.timeout(900)
def test_lens_diagnostic_run_and_quick_fix(code_server: CodeServer, browser: Browser) -> None:
    page = browser.new_page(viewport={"width": 1600, "height": 1200})
    shot = Shots(page)
    page.goto(code_server.url)
    page.locator(".monaco-workbench").wait_for(timeout=WAIT * 1000)
    shot("workbench")

    open_file(page, "pipeline.ipynb")
    page.locator(".notebook-editor").first.wait_for(timeout=WAIT * 1000)
    # the extension starts link-ls, which sends code lenses for every component cell
    lens = page.locator(".codelens-decoration a", has_text="Run up to here (3 cells)")
    lens.first.wait_for(timeout=WAIT * 1000)
    assert page.locator(".codelens-decoration", has_text="parents: clean").count() >= 1
    shot("notebook-with-lenses")

    # the edge diagnostic: report reads model_rmse/baseline_rmse but has no parent
    run_command(page, "View: Focus Problems")
    poll("LNK003 in the Problems panel", lambda: "LNK003" in problems_text(page))
    assert "comes from evaluate, which is not an ancestor" in problems_text(page)
    shot("problems-lnk003")

    # run up to split (load_data, clean, split) through the pipeline kernel
    run_command(page, "View: Close Panel")
    lens.first.click()
    poll(
        "the run's outputs in the notebook",
        lambda: "train=" in outputs_text(page),
        seen=lambda: outputs_text(page),
    )
    shot("after-run-up-to-split")
    outputs = outputs_text(page)
    assert "loaded 400 rows" in outputs and "kept " in outputs, outputs
    assert re.search(r"train=\d+ test=\d+", outputs), outputs

    # the quick fix: go to the problem, ask for code actions, add the parent
    run_command(page, "View: Focus Problems")
    page.locator(".markers-panel .monaco-list-row", has_text="LNK003").first.click()
    page.keyboard.press("Enter")
    time.sleep(1)
    page.keyboard.press("Control+.")
    fix = page.locator(".action-widget .monaco-list-row", has_text="Add parent evaluate to report")
    fix.first.wait_for(timeout=WAIT * 1000)
    shot("quick-fix-menu")
    fix.first.click()
    poll("LNK003 gone from the Problems panel", lambda: "LNK003" not in problems_text(page))
    report_lens = page.locator(".codelens-decoration", has_text="parents: evaluate · no children")
    report_lens.first.wait_for(timeout=WAIT * 1000)
    shot("after-quick-fix")

    # the fix is a notebook metadata edit: saving writes the new parent into the file
    page.keyboard.press("Control+S")
    nb = code_server.workspace / "pipeline.ipynb"
    poll("the saved parent", lambda: parents_of(nb, "report") == ["evaluate"], timeout=60)
    shot("saved")

    # a palette command: the pipeline graph (link.graph) drawn in a webview
    run_command(page, "link-ls: Show Pipeline Graph")
    poll(
        "the pipeline graph webview",
        lambda: "8 components, 9 edges" in outputs_text(page),
        seen=lambda: outputs_text(page),
    )
    assert "report (#9)" in outputs_text(page)
    shot("pipeline-graph")


ARCHIVE = "shared-results.tar.gz"


def cli(workspace: Path, key: Path, *args: str) -> str:
    """``link-ls`` in the workspace with the signing key ``key`` (not the developer's)."""
    env = {**os.environ, "LINK_LS_CACHE_KEY_FILE": str(key)}
    env.pop("LINK_LS_CACHE_DIR", None)
    done = subprocess.run(
        [str(LINK_LS), *args], cwd=workspace, env=env, capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def seed_untrusted(nb_path: Path, colleague: Path, log: Path) -> None:
    """Link's cache flag on every component, `split` noting each execution in ``log``; then a
    colleague's results (run under their key, exported) imported beside it without --trust."""
    nb = json.loads(nb_path.read_text())
    for cell in nb["cells"]:
        canvas = cell.get("metadata", {}).get("canvas")
        if canvas and canvas.get("isComponent"):
            canvas["diskcache"] = True
        if canvas and canvas.get("name") == "split":
            cell["source"] = f"print('split', file=open({str(log)!r}, 'a'))\n" + "".join(
                cell["source"]
            )
    nb_path.write_text(json.dumps(nb, indent=1) + "\n")
    ws, name, elsewhere = nb_path.parent, nb_path.name, str(nb_path.parent.parent / "colleague")
    cli(ws, colleague, "run", name, "--cache-all", "--cache-dir", elsewhere)
    cli(
        ws,
        colleague,
        "cache",
        "export",
        name,
        "-o",
        str(ws.parent / ARCHIVE),
        "--cache-dir",
        elsewhere,
    )
    cli(ws, colleague, "cache", "import", str(ws.parent / ARCHIVE), "--notebook", name)
    log.unlink()


def toasts_text(page: Page) -> str:
    toasts = page.locator(".notifications-toasts")
    return toasts.inner_text() if toasts.count() else ""


@pytest.mark.timeout(900)
def test_untrusted_cache_prompt_trust_and_rerun_restores(tmp_path: Path, browser: Browser) -> None:
    launcher = launcher_for(tmp_path)
    key = tmp_path / "user.key"
    # code-server, its extension host and link-ls sign with the user's own key
    launcher.env["LINK_LS_CACHE_KEY_FILE"] = str(key)
    launcher.env.pop("LINK_LS_CACHE_DIR", None)
    workspace = tmp_path / "workspace"
    nb = copy_example("pipeline.ipynb", workspace)
    log = tmp_path / "split-executions.log"
    seed_untrusted(nb, tmp_path / "colleague.key", log)

    def trust() -> set[str]:
        out = cli(workspace, key, "cache", "list", nb.name, "--format", "json")
        return {str(c["trust"]) for c in json.loads(out)["components"]}

    assert trust() == {"unsigned"}
    with launcher.serve(workspace) as cs:
        page = browser.new_page(viewport={"width": 1600, "height": 1200})
        shot = Shots(page)
        page.goto(cs.url)
        page.locator(".monaco-workbench").wait_for(timeout=WAIT * 1000)
        open_file(page, nb.name)
        # untrusted entries do not count as cached: a run would execute them
        lens = page.locator(".codelens-decoration a", has_text="Run up to here (3 cells, 0 cached)")
        lens.first.wait_for(timeout=WAIT * 1000)
        lens.first.click()
        # the run executes load_data, clean and split, then asks, naming the archive
        poll(
            "the trust prompt",
            lambda: "untrusted (imported from " + ARCHIVE in toasts_text(page),
            seen=lambda: toasts_text(page),
        )
        shot("trust-prompt")
        prompt = toasts_text(page)
        assert "1 cached component is untrusted" in prompt and "made by " in prompt, prompt
        assert "Trust this cache and re-run?" in prompt, prompt
        assert log.read_text() == "split\n"  # executed, not restored
        assert "train=" in outputs_text(page)
        # no outputs left: what comes back next comes from the cache
        run_command(page, "Notebook: Clear All Outputs")
        poll("the outputs cleared", lambda: "train=" not in outputs_text(page))
        toast = page.locator(".notification-toast", has_text="untrusted")
        toast.locator(".monaco-button", has_text="Trust and re-run").click()
        poll(
            "the trusted entries",
            lambda: "8 cache entries trusted" in toasts_text(page),
            seen=lambda: toasts_text(page),
        )
        poll(
            "the restored outputs",
            lambda: "train=" in outputs_text(page),
            seen=lambda: outputs_text(page),
        )
        # the lenses follow: the trusted entries now cover the run
        page.locator(
            ".codelens-decoration a", has_text="Run up to here (3 cells, 3 cached)"
        ).first.wait_for(timeout=WAIT * 1000)
        shot("trusted-rerun-restored")
        assert log.read_text() == "split\n"  # restored: `split` did not run again
        assert "untrusted" not in toasts_text(page)  # nothing left to ask about
    assert trust() == {"trusted"}
