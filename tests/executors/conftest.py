"""A real Dask LocalCluster (two worker processes, one thread each) and pipeline builders."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest

from link_ls.executors import ExecutorOptions, ScaleReport, run_scaled
from link_ls.kernel.params import resolve_parameters
from link_ls.notebook import load
from link_ls.usecases import run as runs
from tests.cache.conftest import user_cache_key  # the session's own key, never the user's
from tests.exchange.exchange_nb import EXAMPLE, component, notebook

__all__ = ["EXAMPLE", "component", "user_cache_key", "write_pipeline"]


@pytest.fixture(scope="session")
def dask_scheduler() -> Iterator[str]:
    distributed = pytest.importorskip("distributed")
    cluster = distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0", silence_logs=40
    )
    try:
        yield str(cluster.scheduler_address)
    finally:
        cluster.close()


def write_pipeline(folder: Path, cells: Sequence[dict[str, Any]], name: str = "p.ipynb") -> Path:
    path = folder / name
    path.write_text(notebook(cells))
    return path


def copy_example(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    return Path(shutil.copy(EXAMPLE, folder / EXAMPLE.name))


def scaled(path: Path, **options: Any) -> ScaleReport:
    """A scaled-out run of every component of the notebook at ``path``."""
    nb = load(path)
    params = resolve_parameters(nb.parameters, {})
    return run_scaled(nb, runs.plan_run(nb, "all"), ExecutorOptions(**options), params, {})


def by_name(report: ScaleReport) -> dict[str, Any]:
    names = {s.index: s.name for s in report.report.plan.steps}
    return {names[c.index]: c for c in report.components}


def stdout_of(outputs: Sequence[dict[str, Any]]) -> str:
    return "".join(str(o.get("text", "")) for o in outputs if o.get("output_type") == "stream")


def load_json(path: Path) -> Any:
    return json.loads(path.read_text())
