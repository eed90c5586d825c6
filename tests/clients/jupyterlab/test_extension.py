"""The link-ls JupyterLab extension in a real JupyterLab in headless Chromium (issue 17).

The example pipeline opens with a header on every component; "Run up to here" on
the last one runs exactly its ancestors, in order, in the notebook's own kernel
(outputs in the cells, variables readable from a new cell); editing an ancestor
makes the headers say "stale"; running again restores the unchanged components
from the link-ls cache. Screenshots of each step go to ``output/``.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.clients.jupyterlab.conftest import (
    FIXTURE,
    OUTPUT,
    Jupyter,
    lab_page,
    missing,
    require_browser,
)

pytestmark = pytest.mark.timeout(900)

ROOT = Path(__file__).resolve().parents[3]
EXAMPLE = ROOT / "examples" / "pipeline.ipynb"
NOTEBOOK = "pipeline.ipynb"
#: the prebuilt extension as `make test` links it (mk/jupyterlab-ext.mk) or a wheel installs it
INSTALLED = Path(sys.prefix) / "share" / "jupyter" / "labextensions" / "link-ls" / "package.json"
CURRENT = ".jp-NotebookPanel:not(.lm-mod-hidden)"
DIRTY = "() => window.jupyterapp.shell.currentWidget.context.model.dirty"
#: component names by 1-based cell position in examples/pipeline.ipynb
COMPONENTS = {
    2: "load_data",
    3: "clean",
    4: "split",
    5: "features",
    6: "train",
    7: "baseline",
    8: "evaluate",
    9: "report",
}


def _cached_copy(dest: Path) -> None:
    """The example pipeline with Link's per-component cache flag on everywhere."""
    nb = json.loads(EXAMPLE.read_text())
    for cell in nb["cells"]:
        canvas = cell.get("metadata", {}).get("canvas")
        if canvas and canvas.get("isComponent"):
            canvas["diskcache"] = True
    dest.write_text(json.dumps(nb, indent=1))


def _header(page: Any, cell: int) -> Any:
    # the notebook on show (a workspace may keep other notebooks open, hidden)
    return page.locator(f'{CURRENT} .link-ls-header[data-cell="{cell}"]')


def _run_up_to(
    page: Any, cell: int, cells: Any = COMPONENTS, live: Callable[[Any], None] | None = None
) -> dict[int, str]:
    """Click "Run up to here" on ``cell``; wait until the run ended; each header's run line.

    ``live``: checks the page while the run goes on (before waiting for its end)."""
    panel = CURRENT
    before = int(page.locator(panel).get_attribute("data-link-ls-runs") or 0)
    _header(page, cell).locator(".link-ls-run-up-to").click()
    if live is not None:
        live(page)
    page.wait_for_function(
        """([sel, n]) => Number(document.querySelector(sel).dataset.linkLsRuns || 0) > n""",
        arg=[panel, before],
    )
    out: dict[int, str] = {}
    for c in cells:
        run = _header(page, c).locator(".link-ls-run")
        out[c] = run.inner_text() if run.count() else ""
    return out


def _prompt(page: Any, cell: int) -> str:
    cells = page.locator(".jp-Notebook .jp-Cell")
    return str(cells.nth(cell - 1).locator(".jp-InputPrompt").inner_text())


def _output(page: Any, cell: int) -> str:
    cells = page.locator(".jp-Notebook .jp-Cell")
    return str(cells.nth(cell - 1).locator(".jp-OutputArea").inner_text())


def test_headers_run_up_to_stale_and_cache(jupyter: Jupyter) -> None:
    if not INSTALLED.exists():
        missing(f"the link-ls JupyterLab extension is not built/linked ({INSTALLED}): make test")
    require_browser()
    _cached_copy(jupyter.root / NOTEBOOK)
    shutil.rmtree(jupyter.root / ".link_ls", ignore_errors=True)

    with lab_page(jupyter, NOTEBOOK, height=1600, last_shot="jupyterlab-ext-last.png") as page:
        _scenario(page, jupyter)


def _shot(page: Any, name: str) -> None:
    OUTPUT.mkdir(exist_ok=True)
    page.screenshot(path=str(OUTPUT / f"jupyterlab-ext-{name}.png"))


def _scenario(page: Any, jupyter: Jupyter) -> None:
    # 1. a header on every component, with its name, parents and "never run"
    page.wait_for_function("() => document.querySelectorAll('.link-ls-header').length === 8")
    page.wait_for_function(
        "() => [...document.querySelectorAll('.jp-Notebook .jp-Cell')].length === 9"
    )
    _shot(page, "1-headers")
    for cell, name in COMPONENTS.items():
        h = _header(page, cell)
        assert h.locator(".link-ls-name").inner_text() == name
        assert h.get_attribute("data-state") == "never-run"
    evaluate = _header(page, 8)
    assert [p.inner_text() for p in evaluate.locator(".link-ls-parent").all()] == [
        "features",
        "train",
        "baseline",
    ]
    assert "Run up to here (8 cells)" in _header(page, 9).inner_text()
    assert "Run up to here (1 cells)" in _header(page, 2).inner_text()
    page.wait_for_function(
        "() => document.querySelector('.link-ls-status').textContent.includes('8 components')"
    )

    # 2. run up to `report`: its 7 ancestors and itself, in plan order, in this kernel
    runs = _run_up_to(page, 9)
    _shot(page, "2-ran-up-to-report")
    assert all(text.startswith("executed") for text in runs.values()), runs
    counts = [int(re.sub(r"\D", "", _prompt(page, c))) for c in COMPONENTS]
    assert counts == sorted(counts) and len(set(counts)) == 8, counts
    assert "the model is" in _output(page, 9)
    # a variable of an ancestor is in the notebook's kernel: a new cell reads it
    page.evaluate(
        """async () => {
            const app = window.jupyterapp;
            const nb = app.shell.currentWidget.content;
            nb.activeCellIndex = nb.widgets.length - 1;
            await app.commands.execute('notebook:insert-cell-below');
            nb.activeCell.model.sharedModel.setSource('print("rows:", len(clean_rows))');
            await app.commands.execute('notebook:run-cell');
        }"""
    )
    page.wait_for_function(
        "() => [...document.querySelectorAll('.jp-Notebook .jp-Cell')].at(-1)"
        ".innerText.includes('rows:')"
    )
    page.wait_for_function(
        "() => [...document.querySelectorAll('.link-ls-header')]"
        ".every(h => h.dataset.state === 'cached')"
    )
    _shot(page, "3-variable-in-kernel")

    # 3. edit an ancestor (train): it and what depends on it become stale
    page.evaluate(
        """() => {
            const nb = window.jupyterapp.shell.currentWidget.content;
            const m = nb.widgets[5].model.sharedModel;
            m.setSource(m.getSource() + '\\nridge = 0.0');
        }"""
    )
    page.wait_for_function(
        "() => document.querySelector('.link-ls-header[data-cell=\"6\"]').dataset.state === 'stale'"
    )
    states = {c: _header(page, c).get_attribute("data-state") for c in COMPONENTS}
    _shot(page, "4-stale-after-edit")
    assert states == {
        2: "cached",
        3: "cached",
        4: "cached",
        5: "cached",
        6: "stale",
        7: "cached",
        8: "stale",
        9: "stale",
    }, states

    # 4. run again: unchanged components come from the cache, changed ones execute
    runs = _run_up_to(page, 9)
    page.wait_for_function(
        "() => [...document.querySelectorAll('.link-ls-header')]"
        ".every(h => h.dataset.state === 'cached')"
    )
    _shot(page, "5-rerun-restored")
    for c in (6, 8, 9):
        assert runs[c].startswith("executed"), runs
    for c in (2, 3, 4, 5, 7):
        assert runs[c].startswith(("restored", "skipped")), runs
    assert runs[5].startswith("restored") and runs[7].startswith("restored"), runs
    assert "the model is" in _output(page, 9)
    assert "baseline predicts" in _output(page, 7)  # restored outputs are shown

    # 5. the pipeline graph panel: 8 components, the 9 declared edges, states as colours
    page.evaluate("() => window.jupyterapp.commands.execute('link-ls:show-graph')")
    page.wait_for_function("() => document.querySelectorAll('#link-ls-graph .link-ls-node').length")
    graph = page.locator("#link-ls-graph")
    assert graph.locator(".link-ls-node").count() == 8
    assert graph.locator('.link-ls-edge[data-kind="explicit"]').count() == 9
    assert graph.locator(".link-ls-node.link-ls-state-cached").count() == 8
    assert "8 nodes · 9 declared edges · 0 inferred" in graph.inner_text()
    # clicking a node selects its cell
    graph.locator('.link-ls-node[data-cell="4"]').click()
    page.wait_for_function(
        "() => window.jupyterapp.shell.currentWidget.content.activeCellIndex === 3"
    )
    # a parameter edited in the panel changes the model (not the file): every key changes
    graph.locator('.link-ls-param[data-name="seed"]').fill("8")
    graph.locator('.link-ls-param[data-name="seed"]').press("Enter")
    page.wait_for_function(
        "() => [...document.querySelectorAll('.link-ls-header')]"
        ".every(h => h.dataset.state === 'stale')"
    )
    _shot(page, "6-graph-panel")
    saved = json.loads((jupyter.root / NOTEBOOK).read_text())
    assert {p["name"]: p["value"] for p in saved["metadata"]["canvas"]["parameters"]}["seed"] == 7


def _conflicted(root: Path) -> Path:
    """examples/pipeline.ipynb merged from two sides that changed `clean` and `report` apart."""
    base = json.loads(EXAMPLE.read_text())

    def side(clean: str, report: str) -> Path:
        nb = json.loads(json.dumps(base))
        for cell, new in ((2, clean), (8, report)):
            src = "".join(nb["cells"][cell]["source"]).split("\n")
            src[0] = new
            nb["cells"][cell]["source"] = "\n".join(src)
        path = root / f"side-{abs(hash(clean + report))}.ipynb"
        path.write_text(json.dumps(nb, indent=1))
        return path

    (root / "base.ipynb").write_text(EXAMPLE.read_text())
    ours = side(
        'clean_rows = [r for r in rows if r["price"] > 0 and r["area"] < 190]',
        "improvement = 1 - model_rmse / baseline_rmse  # ours",
    )
    theirs = side(
        'clean_rows = [r for r in rows if r["price"] > 10 and r["area"] < 195]',
        "improvement = (baseline_rmse - model_rmse) / baseline_rmse",
    )
    out = root / "merged.ipynb"
    link_ls = Path(sys.executable).with_name("link-ls")
    done = subprocess.run(
        [str(link_ls), "merge", str(root / "base.ipynb"), str(ours), str(theirs), "-o", str(out)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 1, done.stdout + done.stderr  # conflicts remain
    return out


def test_conflicts_resolved_by_buttons_then_saved(jupyter: Jupyter) -> None:
    if not INSTALLED.exists():
        missing(f"the link-ls JupyterLab extension is not built/linked ({INSTALLED}): make test")
    require_browser()

    merged = _conflicted(jupyter.root)
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", "-C", str(jupyter.root)]
    for argv in (["init", "-q"], ["add", merged.name], ["commit", "-qm", "merged"]):
        subprocess.run(git + argv, check=True, capture_output=True)
    with lab_page(jupyter, merged.name) as page:
        conflict = page.locator(f'{CURRENT} .link-ls-fix[data-code="LNK007"]')
        conflict.first.wait_for(state="visible")
        _shot(page, "7-conflicts")
        clean, report = _header(page, 3), _header(page, 9)
        assert "Take theirs" in clean.inner_text() and "Take ours" in report.inner_text()
        clean.locator(".link-ls-fix", has_text="Take theirs").click()
        clean.locator('.link-ls-fix[data-code="LNK007"]').first.wait_for(state="detached")
        report.locator(".link-ls-fix", has_text="Take both").click()
        conflict.first.wait_for(state="detached")
        # applied to the model (dirty), not to the file
        assert "<<<<<<<" in merged.read_text()
        assert page.evaluate(DIRTY)
        page.evaluate("() => window.jupyterapp.commands.execute('docmanager:save')")
        page.wait_for_function(f"() => !({DIRTY})()")
        _shot(page, "8-conflicts-resolved")
        # palette command: the diff with HEAD (the merge as committed) in a main-area panel
        page.evaluate("() => { window.jupyterapp.commands.execute('link-ls:diff'); }")
        page.locator(".jp-Dialog input").fill("HEAD")
        page.locator(".jp-Dialog .jp-mod-accept").click()
        frame = page.frame_locator(".link-ls-diff-frame")
        frame.locator("body").wait_for()
        assert "clean" in frame.locator("body").inner_text()
        _shot(page, "9-diff-with-head")
    import nbformat

    nb = nbformat.read(str(merged), as_version=4)
    nbformat.validate(nb)
    text = merged.read_text()
    assert "<<<<<<<" not in text and "link_ls" not in json.dumps([c["metadata"] for c in nb.cells])
    sources = ["".join(c["source"]) for c in nb.cells]
    assert sources[2].startswith('clean_rows = [r for r in rows if r["price"] > 10')
    assert "# ours" in sources[8] and "(baseline_rmse - model_rmse)" in sources[8]
    link_ls = Path(sys.executable).with_name("link-ls")
    check = subprocess.run(
        [str(link_ls), "check", str(merged)], capture_output=True, text=True, check=False
    )
    assert "LNK007" not in check.stdout + check.stderr


def test_an_edge_added_by_a_fix_clears_the_diagnostic_before_saving(jupyter: Jupyter) -> None:
    """The quick fix changes the model only; the server sees the new edge without a save."""
    if not INSTALLED.exists():
        missing(f"the link-ls JupyterLab extension is not built/linked ({INSTALLED}): make test")
    require_browser()

    on_disk = (jupyter.root / FIXTURE.name).read_text()
    with lab_page(jupyter, FIXTURE.name, height=1200) as page:
        underline = page.locator(f"{CURRENT} .cm-lintRange-warning")
        underline.first.wait_for(state="attached")
        fix = _header(page, 6).locator(".link-ls-fix", has_text="Add parent label")
        fix.click()
        underline.first.wait_for(state="detached")
        _shot(page, "10-edge-fixed-unsaved")
        assert page.evaluate(DIRTY)
        assert "label" in _header(page, 6).locator(".link-ls-parent").all_inner_texts()
        # one undo step takes the edge back out of the model
        page.evaluate(
            "() => window.jupyterapp.shell.currentWidget.content.model.sharedModel.undo()"
        )
        underline.first.wait_for(state="attached")
        assert "label" not in _header(page, 6).locator(".link-ls-parent").all_inner_texts()
    assert (jupyter.root / FIXTURE.name).read_text() == on_disk


def _component(cid: str, name: str, source: str, parents: list[tuple[str, str]]) -> dict[str, Any]:
    canvas = {
        "id": cid,
        "name": name,
        "isComponent": True,
        "componentType": "CodeCell",
        "parents": [{"id": i, "name": n} for i, n in parents],
        "diskcache": False,
    }
    return {
        "cell_type": "code",
        "id": name,
        "metadata": {"canvas": canvas},
        "source": source,
        "outputs": [],
        "execution_count": None,
    }


def test_a_dying_kernel_and_an_interrupt_show_on_the_header(jupyter: Jupyter) -> None:
    if not INSTALLED.exists():
        missing(f"the link-ls JupyterLab extension is not built/linked ({INSTALLED}): make test")
    require_browser()

    a = ("a1b2c3d4-0000-4000-8000-000000000001", "setup")
    nb = {
        "cells": [
            _component(a[0], "setup", 'x = 1\nprint("setup ran")', []),
            _component(
                "a1b2c3d4-0000-4000-8000-000000000002", "crash", "import os\nos._exit(1)", [a]
            ),
            _component(
                "a1b2c3d4-0000-4000-8000-000000000003",
                "slow",
                'import time\nprint("slow started", flush=True)\n'
                "for _ in range(600):\n    time.sleep(0.1)\ny = x",
                [a],
            ),
        ],
        "metadata": {
            "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
            "canvas": {"version": "1.0", "parameters": []},
        },
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    (jupyter.root / "bad.ipynb").write_text(json.dumps(nb, indent=1))
    with lab_page(jupyter, "bad.ipynb", height=900) as page:
        _header(page, 3).wait_for()
        runs = _run_up_to(page, 2, cells=(1, 2))
        assert runs[1].startswith("executed") and runs[2] == "the kernel died", runs
        _shot(page, "11-kernel-died")
        for _ in range(3):  # JupyterLab's own "kernel restarting" notices
            page.keyboard.press("Escape")
        panel = ".jp-NotebookPanel:not(.lm-mod-hidden)"
        before = int(page.locator(panel).get_attribute("data-link-ls-runs") or 0)
        _header(page, 3).locator(".link-ls-run-up-to").click()
        _header(page, 3).locator(".link-ls-run", has_text="running").wait_for()
        # interrupt the slow cell itself, not the cache work before it (a loaded machine
        # can still be restoring or saving `setup` when the header says running)
        page.wait_for_function(
            "() => [...document.querySelectorAll('.jp-OutputArea-output')]"
            ".some(e => e.textContent.includes('slow started'))"
        )
        page.evaluate("() => window.jupyterapp.commands.execute('notebook:interrupt-kernel')")
        page.wait_for_function(
            "([sel, n]) => Number(document.querySelector(sel).dataset.linkLsRuns || 0) > n",
            arg=[panel, before],
        )
        assert _header(page, 3).locator(".link-ls-run").inner_text() == "interrupted"
        _shot(page, "12-interrupted")


def _dialog(page: Any, value: str | None = None) -> None:
    """Answer JupyterLab's open dialog: type ``value`` (text or choice), then accept."""
    dialog = page.locator(".jp-Dialog").last
    dialog.wait_for()
    handle = dialog.element_handle()
    if value is not None:
        select = dialog.locator("select")
        if select.count():
            select.select_option(value)
        else:
            dialog.locator("input").fill(value)
    dialog.locator(".jp-mod-accept").click()
    handle.wait_for_element_state("hidden")  # closed (the next dialog may already be open)


def test_export_then_import_the_pipeline_into_the_model(jupyter: Jupyter) -> None:
    if not INSTALLED.exists():
        missing(f"the link-ls JupyterLab extension is not built/linked ({INSTALLED}): make test")
    require_browser()

    nb_path = jupyter.root / "exchange.ipynb"
    shutil.copy(EXAMPLE, nb_path)
    on_disk = nb_path.read_text()
    with lab_page(jupyter, nb_path.name, height=900, timeout_ms=60_000) as page:
        page.wait_for_function(
            f"() => document.querySelectorAll('{CURRENT} .link-ls-header').length === 8"
        )
        run = "() => { window.jupyterapp.commands.execute('link-ls:%s'); }"
        page.evaluate(run % "export-pipeline")
        _dialog(page, "link")  # Link's own format
        _dialog(page, "exchange-link.json")
        _dialog(page)  # "exported"
        exported = json.loads((jupyter.root / "exchange-link.json").read_text())
        assert exported, "Link's export list"
        page.evaluate(run % "import-pipeline")
        _dialog(page, "exchange-link.json")
        _dialog(page)  # "imported: 8 components"
        page.wait_for_function(
            f"() => document.querySelectorAll('{CURRENT} .link-ls-header').length === 16"
        )
        _shot(page, "13-imported")
        assert page.evaluate(DIRTY)
    assert nb_path.read_text() == on_disk


def test_a_plain_notebook_turned_into_a_pipeline_then_a_cycle_refuses_to_run(
    jupyter: Jupyter,
) -> None:
    if not INSTALLED.exists():
        missing(f"the link-ls JupyterLab extension is not built/linked ({INSTALLED}): make test")
    require_browser()

    shutil.copy(EXAMPLE.with_name("plain.ipynb"), jupyter.root / "plain.ipynb")
    with lab_page(jupyter, "plain.ipynb", height=900, timeout_ms=60_000) as page:
        status = page.locator(f"{CURRENT} .link-ls-status")
        page.wait_for_function(
            f"() => document.querySelector('{CURRENT} .link-ls-status')"
            "?.textContent?.includes('not a pipeline')"
        )
        page.locator(f"{CURRENT} .link-ls-fix", has_text="Turn into a pipeline").click()
        page.wait_for_function(
            f"() => document.querySelector('{CURRENT} .link-ls-status')"
            "?.textContent?.includes('pipeline, 5 components')"
        )
        assert page.evaluate(DIRTY)
        # a cycle: the first component declares the last one as its parent
        page.evaluate(
            """() => {
                const nb = window.jupyterapp.shell.currentWidget.content;
                const first = nb.widgets[1].model, last = nb.widgets[5].model;
                const lc = last.getMetadata('canvas');
                const fc = structuredClone(first.getMetadata('canvas'));
                fc.parents = [{id: lc.id, name: lc.name}];
                first.setMetadata('canvas', fc);
            }"""
        )
        page.wait_for_function(
            f"() => document.querySelector('{CURRENT} .link-ls-status')"
            "?.textContent?.includes('cycle')"
        )
        assert "Break the cycle" in page.locator(f"{CURRENT}").inner_text()
        _header(page, 6).locator(".link-ls-run-up-to").click()
        dialog = page.locator(".jp-Dialog")
        dialog.wait_for()
        assert "cycle" in dialog.inner_text()
        _shot(page, "14-cycle-refused")
        assert "cycle" in status.inner_text()
