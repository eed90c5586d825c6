"""The VS Code extension in a real code-server, driven by Playwright in headless Chromium:
lens, edge diagnostic, run up to a cell with its output in the notebook, quick fix."""

from __future__ import annotations

import json
import re
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


@pytest.fixture
def code_server(tmp_path: Path) -> Iterator[CodeServer]:
    setup = find_setup()
    launcher = Launcher(setup, tmp_path / "code-server")
    launcher.install_extension(VSIX)
    launcher.write_settings(
        {
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
    )
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
