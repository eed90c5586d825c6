"""JupyterLab asks before trusting a cache it did not make, naming where it came from (issue 18).

A colleague's results (``link-ls run`` under another signing key, exported, then imported
beside the notebook without ``--trust``) are in the store the lab run uses; the Jupyter
server signs with its own key (``LINK_LS_CACHE_KEY_FILE``, conftest). "Run up to here"
executes the components instead of restoring them, then a dialog names the archive and
offers "Trust and re-run" / "Not now". Trust signs the store and runs again, which
restores; "Not now" leaves everything untrusted. Before any run the headers already say
"untrusted" (not "cached"), with the archive in the tooltip, and "cached" once the cache is
trusted (``link-ls cache trust`` or "Trust and re-run"). Its own module: the key file belongs
to this module's Jupyter server.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.clients.jupyterlab.conftest import OUTPUT, Jupyter, lab_page, missing, require_browser
from tests.clients.jupyterlab.test_extension import (
    COMPONENTS,
    CURRENT,
    EXAMPLE,
    INSTALLED,
    _cached_copy,
    _header,
    _run_up_to,
)

pytestmark = pytest.mark.timeout(900)

LINK_LS = Path(sys.executable).with_name("link-ls")
ARCHIVE = "shared-results.tar.gz"
DIALOG = ".jp-Dialog"


def _cli(jupyter: Jupyter, key: Path, *args: str) -> str:
    env = {**os.environ, "LINK_LS_CACHE_KEY_FILE": str(key)}
    env.pop("LINK_LS_CACHE_DIR", None)
    done = subprocess.run(
        [str(LINK_LS), *args],
        cwd=jupyter.root,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def _seed(jupyter: Jupyter, name: str) -> None:
    """``name``: the example pipeline with a colleague's cache imported beside it, untrusted."""
    _cached_copy(jupyter.root / name)
    colleague = jupyter.root.parent / "colleague.key"
    elsewhere = str(jupyter.root.parent / f"colleague-cache-{name}")
    _cli(jupyter, colleague, "run", name, "--cache-all", "--cache-dir", elsewhere)
    _cli(jupyter, colleague, "cache", "export", name, "-o", ARCHIVE, "--cache-dir", elsewhere)
    _cli(jupyter, colleague, "cache", "import", ARCHIVE, "--notebook", name)


def _trust(jupyter: Jupyter, name: str) -> dict[str, str | None]:
    """Each component's trust in the notebook's store, as the Jupyter server's user sees it."""
    out = _cli(jupyter, jupyter.key_file, "cache", "list", name, "--format", "json")
    return {c["name"]: c["trust"] for c in json.loads(out)["components"]}


def _wait_headers(page: Any) -> None:
    page.wait_for_function(
        f"() => document.querySelectorAll('{CURRENT} .link-ls-header').length === 8"
    )


def _states(page: Any) -> dict[int, str]:
    return {c: _header(page, c).get_attribute("data-state") or "" for c in COMPONENTS}


def _wait_states(page: Any, state: str) -> None:
    """Until every component's header shows ``state`` (the server's answer to a refresh)."""
    page.wait_for_function(
        """([sel, st, n]) => [...document.querySelectorAll(sel + ' .link-ls-header')]
             .filter(h => h.dataset.state === st).length === n""",
        arg=[CURRENT, state, len(COMPONENTS)],
    )


def _runs(page: Any) -> int:
    return int(page.locator(CURRENT).get_attribute("data-link-ls-runs") or 0)


def _first_run_asks(page: Any, name: str) -> Any:
    """Run up to `report`: everything executes, then the dialog names the archive."""
    runs = _run_up_to(page, 9)
    assert all(text.startswith("executed") for text in runs.values()), runs
    dialog = page.locator(DIALOG)
    dialog.wait_for()
    page.screenshot(path=str(OUTPUT / f"jupyterlab-trust-{name}-prompt.png"))
    text = dialog.inner_text()
    # restoring `report` alone would have done: the one entry the run needed, left out
    assert "1 cached component is untrusted (imported from " + ARCHIVE in text, text
    assert "made by " in text and ": report." in text, text
    assert "Trust and re-run" in text and "Not now" in text, text
    return dialog


def _require() -> None:
    if not INSTALLED.exists():
        missing(f"the link-ls JupyterLab extension is not built/linked ({INSTALLED}): make test")
    require_browser()
    if not EXAMPLE.exists() or not LINK_LS.exists():
        missing(f"{EXAMPLE} or {LINK_LS} missing")


def test_trust_and_rerun_restores_the_imported_cache(jupyter: Jupyter) -> None:
    _require()

    name = "trusted.ipynb"
    _seed(jupyter, name)
    assert set(_trust(jupyter, name).values()) == {"unsigned"}
    OUTPUT.mkdir(exist_ok=True)
    with lab_page(jupyter, name) as page:
        _wait_headers(page)
        # a colleague's entries are in the store, but a run would not restore them
        _wait_states(page, "untrusted")
        dialog = _first_run_asks(page, "trust")
        before = _runs(page)
        dialog.locator("button", has_text="Trust and re-run").click()
        # the same run again, now restoring `report` (its ancestors are not needed)
        page.wait_for_function(
            "([sel, n]) => Number(document.querySelector(sel).dataset.linkLsRuns || 0) > n",
            arg=[CURRENT, before],
        )
        runs = {c: _header(page, c).locator(".link-ls-run").inner_text() for c in COMPONENTS}
        page.screenshot(path=str(OUTPUT / "jupyterlab-trust-rerun-restored.png"))
        assert runs[9] == "restored from the cache", runs
        assert all(runs[c].startswith("skipped") for c in COMPONENTS if c != 9), runs
        notice = page.locator(".Toastify__toast", has_text="cache entries trusted")
        assert "8 cache entries trusted" in notice.first.inner_text()
        # nothing left to ask about
        assert page.locator(DIALOG).count() == 0
        _wait_states(page, "cached")
    # every imported entry of the store is signed with the server's key, not only `report`
    assert set(_trust(jupyter, name).values()) == {"trusted"}


def test_not_now_trusts_nothing_and_the_components_execute(jupyter: Jupyter) -> None:
    _require()

    name = "declined.ipynb"
    _seed(jupyter, name)
    with lab_page(jupyter, name) as page:
        _wait_headers(page)
        dialog = _first_run_asks(page, "not-now")
        runs = _runs(page)
        dialog.locator("button", has_text="Not now").click()
        dialog.wait_for(state="detached")
        assert _runs(page) == runs  # no second run
        # the palette command trusts on demand; here, asking again still executes
        again = _run_up_to(page, 9)
        assert all(text.startswith("executed") for text in again.values()), again
        page.locator(DIALOG).wait_for()
        page.locator(DIALOG).locator("button", has_text="Not now").click()
    assert set(_trust(jupyter, name).values()) == {"unsigned"}


def test_headers_say_untrusted_not_cached_until_the_cache_is_trusted(jupyter: Jupyter) -> None:
    _require()

    name = "headers.ipynb"
    _seed(jupyter, name)
    with lab_page(jupyter, name) as page:
        _wait_headers(page)
        _wait_states(page, "untrusted")
        page.screenshot(path=str(OUTPUT / "jupyterlab-trust-headers-untrusted.png"))
        report = _header(page, 9).locator(".link-ls-state")
        assert report.inner_text() == "untrusted"
        tip = report.get_attribute("title") or ""
        assert "report is untrusted (imported from " + ARCHIVE in tip, tip
        assert "made by " in tip and "Trust the cache" in tip, tip
        assert set(_states(page).values()) == {"untrusted"}

        # trusted from a terminal: the next refresh says cached, with no note
        _cli(jupyter, jupyter.key_file, "cache", "trust", name)
        page.evaluate("() => window.jupyterapp.commands.execute('link-ls:refresh')")
        _wait_states(page, "cached")
        page.screenshot(path=str(OUTPUT / "jupyterlab-trust-headers-cached.png"))
        assert _header(page, 9).locator(".link-ls-state").inner_text() == "cached"
        tip = _header(page, 9).locator(".link-ls-state").get_attribute("title") or ""
        assert "untrusted" not in tip, tip
    assert set(_trust(jupyter, name).values()) == {"trusted"}
