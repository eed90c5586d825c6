"""JupyterLab with the `parallel` executor setting: runs go through link.run (issue 20).

The extension's setting (``link-ls:plugin`` → ``executor: parallel, workers: 2``) makes
"Run up to here" save the notebook, call the server's ``link.run`` with those options,
show each component's outcome and the kernel it ran in on its header, and reload the
notebook from disk, where the server wrote the outputs. The example pipeline has two
branches below ``features`` (``train`` and ``baseline``), both needed by ``evaluate``.
Its own module: the setting belongs to this module's Jupyter server.
"""

from __future__ import annotations

import json
import urllib.request
from typing import Any

import nbformat
import pytest

from tests.clients.jupyterlab.conftest import (
    OUTPUT,
    SOURCE_BUILD,
    Jupyter,
    lab_page,
    missing,
    require_browser,
)
from tests.clients.jupyterlab.test_extension import (
    COMPONENTS,
    CURRENT,
    DIRTY,
    EXAMPLE,
    INSTALLED,
    _header,
    _output,
    _run_up_to,
)

pytestmark = pytest.mark.timeout(900)

NAME = "branches.ipynb"
#: what each component of the plan up to `evaluate` prints (examples/pipeline.ipynb)
PRINTS = {
    2: "loaded",
    3: "kept",
    4: "train=",
    6: "weights:",
    7: "baseline predicts",
    8: "model RMSE",
}


def _set_executor(jupyter: Jupyter, settings: dict[str, Any]) -> None:
    """The user's setting, as Settings → link-ls writes it (JupyterLab's settings API)."""
    body = json.dumps({"raw": json.dumps(settings)}).encode()
    req = urllib.request.Request(
        f"{jupyter.base}/lab/api/settings/link-ls:plugin",
        data=body,
        method="PUT",
        headers={"Authorization": f"token {jupyter.token}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(req, timeout=30) as resp:
        assert resp.status == 204


def test_parallel_setting_runs_both_branches_through_link_run(jupyter: Jupyter) -> None:
    if not INSTALLED.exists() and not (SOURCE_BUILD / "package.json").exists():
        missing(f"the link-ls JupyterLab extension is not built/linked ({INSTALLED}): make test")
    require_browser()

    (jupyter.root / NAME).write_text(EXAMPLE.read_text())
    _set_executor(jupyter, {"executor": "parallel", "workers": 2})
    OUTPUT.mkdir(exist_ok=True)
    with lab_page(jupyter, NAME, height=1600, last_shot="jupyterlab-parallel-last.png") as page:
        page.wait_for_function(
            f"() => document.querySelectorAll('{CURRENT} .link-ls-header').length === 8"
        )
        # unsaved edits, one outside the plan and one that makes `baseline` take a
        # while: the run saves the notebook first
        page.evaluate(
            """() => {
                const nb = window.jupyterapp.shell.currentWidget.content;
                const m = nb.widgets[8].model.sharedModel;
                m.setSource(m.getSource() + '\\n# reviewed');
                const b = nb.widgets[6].model.sharedModel;
                b.setSource('import time\\ntime.sleep(6)\\n' + b.getSource());
            }"""
        )
        assert page.evaluate(DIRTY)
        runs = _run_up_to(page, 8, live=_shows_running)
        page.screenshot(path=str(OUTPUT / "jupyterlab-parallel-ran.png"))
        _check_page(page, runs)
    _check_file(jupyter)


def _shows_running(page: Any) -> None:
    """While the run goes on, `baseline`'s header says it is running, and where (the
    server's ``link/run/event`` notifications; after the reply it says "executed on …")."""
    page.wait_for_function(
        """(sel) => (document.querySelector(`${sel} .link-ls-header[data-cell="7"] .link-ls-run`)
                       ?.textContent || '').startsWith('running on kernel ')""",
        arg=CURRENT,
    )


def _check_page(page: Any, runs: dict[int, str]) -> None:
    # every planned component (both branches, train and baseline, too) ran in one of the
    # two parallel kernels; `report` did not
    plan = [c for c in COMPONENTS if c != 9]
    for c in plan:
        assert runs[c].startswith("executed on kernel "), runs
    where = {runs[c].removeprefix("executed on ") for c in plan}
    assert len(where) == 2, runs  # two kernels, named with their pids
    assert runs[9] == "", runs
    # the outputs the server wrote are in the notebook (reloaded from disk), not dirty
    for c, text in PRINTS.items():
        assert text in _output(page, c), (c, _output(page, c))
    assert _output(page, 9).strip() == ""
    assert not page.evaluate(DIRTY)
    # each component's entry is in the store, signed with the server's user's key
    page.wait_for_function(
        """([sel, cells]) => cells.every(c =>
             document.querySelector(`${sel} .link-ls-header[data-cell="${c}"]`)
               ?.dataset.state === 'cached')""",
        arg=[CURRENT, plan],
    )
    assert _header(page, 9).get_attribute("data-state") == "never-run"


def _check_file(jupyter: Jupyter) -> None:
    nb = nbformat.read(jupyter.root / NAME, as_version=4)
    nbformat.validate(nb)
    assert nb.cells[8].source.endswith("# reviewed")  # saved before the run
    for c, text in PRINTS.items():
        printed = "".join(o.get("text", "") for o in nb.cells[c - 1].outputs)
        assert text in printed, (c, nb.cells[c - 1].outputs)
    assert nb.cells[8].outputs == []
