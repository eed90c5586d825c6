"""Real kernels: cache on machine A, export, import on machine B, run up to a cell from cache.

Each "machine" is its own folder with its own copy of the notebook and its default
store (``.link_ls/cache/`` beside the notebook); every run uses a fresh kernel,
as a colleague opening the notebook would.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import pytest

from link_ls.cache import CacheOptions, CacheState, CacheStore, component_statuses
from link_ls.cache.export import export_cache
from link_ls.cache.importer import import_cache
from link_ls.cache.runner import PipelineStepCache
from link_ls.kernel import KernelSession
from link_ls.kernel.report import RunReport, StepStatus
from link_ls.kernel.runner import run_plan
from link_ls.notebook import Notebook, load, save
from link_ls.pipeline import build, plan_up_to
from tests.cache.entries import FIXTURES

PIPE = "diskcache-pipeline.ipynb"


def _machine(root: Path, name: str, notebook: str = PIPE) -> Path:
    folder = root / name
    folder.mkdir()
    shutil.copy(FIXTURES / notebook, folder / notebook)
    return folder / notebook


def _run(
    nb_path: Path, target: str, **opts: Any
) -> tuple[RunReport, PipelineStepCache, KernelSession]:
    """Run up to ``target`` in a fresh kernel with the notebook's default cache."""
    nb = load(nb_path)
    idx = next(c.index for c in nb.cells if c.name == target)
    plan = plan_up_to(build(nb), idx)
    cache = PipelineStepCache(CacheStore.for_notebook(nb_path), CacheOptions(**opts))
    session = KernelSession(cwd=nb_path.parent)
    try:
        report = run_plan(session, nb, plan, cache=cache, timeout=120)
    except BaseException:
        session.shutdown()
        raise
    return report, cache, session


def _statuses(report: RunReport) -> dict[str, str]:
    return {r.step.name: r.status.value for r in report.steps}


def _outputs(report: RunReport) -> dict[str, list[str]]:
    return {r.step.name: [str(o.get("text", "")) for o in r.outputs] for r in report.steps}


def _edit(nb_path: Path, name: str, source: str) -> None:
    nb: Notebook = load(nb_path)
    nb.set_source(next(c.index for c in nb.cells if c.name == name), source)
    save(nb)


def test_export_on_a_import_on_b_restores_and_executes_nothing_upstream(tmp_path: Path) -> None:
    a_nb = _machine(tmp_path, "machine-a")
    fresh, _, s = _run(a_nb, "report")
    s.shutdown()
    assert set(_statuses(fresh).values()) == {"executed"}
    assert _outputs(fresh)["report"] == ["report: total=285 evens=5\n"]

    archive = tmp_path / "shared.tar.gz"
    export_cache(load(a_nb), CacheStore.for_notebook(a_nb), archive)
    b_nb = _machine(tmp_path, "machine-b")
    imported = import_cache(archive, CacheStore.for_notebook(b_nb), load(b_nb), trust=True)
    assert {c.name: c.state for c in imported.components} == {
        "load": "valid",
        "square": "valid",
        "total": "valid",
        "evens": "valid",
    }

    cached, cache, s = _run(b_nb, "report")
    try:
        assert _statuses(cached) == {
            "load": "skipped",
            "square": "skipped",
            "total": "restored",
            "evens": "restored",
            "report": "executed",
        }
        assert _outputs(cached)["report"] == _outputs(fresh)["report"]
        for name in ("total", "evens"):
            assert _outputs(cached)[name] == _outputs(fresh)[name]
        assert s.run_silent("print(total, evens)").strip() == "285 [0, 2, 4, 6, 8]"
        assert cache.notes == []
    finally:
        s.shutdown()

    # an upstream edit on B: the same run re-executes from there down, and no further up
    _edit(b_nb, "square", "squares = [x * x * 2 for x in data]\nprint('squared twice')")
    edited, _, s = _run(b_nb, "report")
    s.shutdown()
    assert _statuses(edited) == {
        "load": "restored",
        "square": "executed",
        "total": "executed",
        "evens": "restored",
        "report": "executed",
    }
    assert _outputs(edited)["report"] == ["report: total=570 evens=5\n"]


def test_unserialisable_variable_makes_the_entry_unusable_and_is_reported_once(
    tmp_path: Path,
) -> None:
    nb_path = _machine(tmp_path, "m", "unserialisable-lock.ipynb")
    first, _, s = _run(nb_path, "use")
    s.shutdown()
    assert _statuses(first) == {"make_lock": "executed", "use": "executed"}
    assert len(first.warnings) == 1
    assert "make_lock: not cached: cannot serialise lock" in first.warnings[0]
    rows = {
        r.name: r.state for r in component_statuses(load(nb_path), CacheStore.for_notebook(nb_path))
    }
    assert rows == {"make_lock": CacheState.UNUSABLE, "use": CacheState.VALID}

    second, _, s = _run(nb_path, "make_lock")
    s.shutdown()
    # never a partial restore: the component runs again, and the problem is not repeated
    assert _statuses(second) == {"make_lock": "executed"}
    assert second.warnings == ()


def test_a_damaged_entry_is_executed_instead_with_its_inputs_restored(tmp_path: Path) -> None:
    nb_path = _machine(tmp_path, "m")
    fresh, _, s = _run(nb_path, "report")
    s.shutdown()
    store = CacheStore.for_notebook(nb_path)
    total = next(m for m in store.entries() if m.name == "total")
    pkl = store.entry_dir(total.key) / total.variables[0].file.path
    st = pkl.stat()
    pkl.write_bytes(b"\x00" * total.variables[0].file.size)  # same size, other bytes
    os.utime(pkl, ns=(st.st_atime_ns, st.st_mtime_ns))  # and its old times: still caught

    again, cache, s = _run(nb_path, "report")
    try:
        assert _statuses(again) == {
            "load": "skipped",
            "square": "restored",
            "total": "executed",
            "evens": "restored",
            "report": "executed",
        }
        assert _outputs(again)["report"] == _outputs(fresh)["report"]
        assert len(cache.notes) == 1 and cache.notes[0].startswith("total: cached result not")
    finally:
        s.shutdown()
    assert store.verify(store.manifest(total.key) or total) == []  # saved afresh


def test_plain_notebook_with_cache_all(tmp_path: Path) -> None:
    nb_path = _machine(tmp_path, "m", "plain-chain.ipynb")
    fresh, _, s = _run_plain(nb_path, 2)
    s.shutdown()
    assert [r.status for r in fresh.steps] == [StepStatus.EXECUTED] * 3
    again, _, s = _run_plain(nb_path, 2)
    s.shutdown()
    assert [r.status for r in again.steps] == [
        StepStatus.SKIPPED,
        StepStatus.SKIPPED,
        StepStatus.RESTORED,
    ]
    assert [o.get("text") for o in again.steps[-1].outputs] == ["8\n"]


def _run_plain(nb_path: Path, index: int) -> tuple[RunReport, PipelineStepCache, KernelSession]:
    nb = load(nb_path)
    plan = plan_up_to(build(nb), index)
    cache = PipelineStepCache(CacheStore.for_notebook(nb_path), CacheOptions(cache_all=True))
    session = KernelSession(cwd=nb_path.parent)
    return run_plan(session, nb, plan, cache=cache, timeout=120), cache, session


@pytest.mark.parametrize("flagged_only", [True, False])
def test_only_flagged_components_are_stored_unless_cache_all(
    tmp_path: Path, flagged_only: bool
) -> None:
    nb_path = _machine(tmp_path, "m")
    _, _, s = _run(nb_path, "report", cache_all=not flagged_only)
    s.shutdown()
    names = {m.name for m in CacheStore.for_notebook(nb_path).entries()}
    expected = {"load", "square", "total", "evens"} | (set() if flagged_only else {"report"})
    assert names == expected
