"""JupyterLab in headless Chromium shows link-ls's edge diagnostic on the right cell.

The notebook opens in the real JupyterLab front end; jupyterlab-lsp connects to
link-ls through jupyter-lsp and underlines the read of ``unit`` in the ``report``
cell. The screenshot (``output/jupyterlab-diagnostic.png``) is kept for a human.
"""

from __future__ import annotations

import pytest

from tests.clients.jupyterlab.conftest import (
    FIXTURE,
    OUTPUT,
    Jupyter,
    lab_page,
    require_browser,
)

#: real editors, servers and kernels on a loaded 2-core machine: far above the usual minute
pytestmark = pytest.mark.timeout(900)


def test_notebook_shows_the_diagnostic_on_the_report_cell(jupyter: Jupyter) -> None:
    require_browser()

    with lab_page(jupyter, FIXTURE.name, height=1000) as page:
        page.wait_for_selector(".jp-Notebook .jp-Cell")
        marked = page.locator(".jp-Notebook .jp-Cell .cm-lintRange-warning")
        try:
            marked.first.wait_for(state="attached")
        finally:
            OUTPUT.mkdir(exist_ok=True)
            page.screenshot(path=str(OUTPUT / "jupyterlab-notebook.png"))
        assert marked.count() == 1
        assert marked.first.inner_text() == "unit"
        # the underline sits in the sixth cell, `report`
        cells = page.locator(".jp-Notebook > .jp-WindowedPanel-outer .jp-Cell")
        if cells.count() == 0:
            cells = page.locator(".jp-Notebook .jp-Cell")
        index = next(
            i
            for i in range(cells.count())
            if cells.nth(i).locator(".cm-lintRange-warning").count() > 0
        )
        assert index == 5
        assert "total weight" in cells.nth(index).inner_text()
        # hovering the underline shows the server's message
        marked.first.hover()
        tooltip = page.locator(".cm-tooltip-lint, .cm-tooltip-hover, .lsp-tooltip")
        tooltip.first.wait_for(state="visible", timeout=60_000)
        page.screenshot(path=str(OUTPUT / "jupyterlab-diagnostic.png"))
        assert "comes from label" in tooltip.first.inner_text()
