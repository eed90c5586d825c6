"""Cache trust across executors: entries are signed with the caller's key wherever they are
written, and a parallel or dask run never unpickles an entry that key did not sign."""

from __future__ import annotations

import hashlib
import json
import os
import pickle
import secrets
import shutil
from pathlib import Path
from typing import Any

import pytest

from link_ls.cache.model import EntryManifest, FileRecord, VariableRecord
from link_ls.cache.store import CacheStore, sign_folder
from link_ls.cache.trust import KEY_FILE_ENV, UserKey
from link_ls.executors import ComponentFinished, ExecutorOptions, ScaleEvent, run_scaled
from link_ls.executors.tasks import build_tasks
from link_ls.kernel.params import resolve_parameters
from link_ls.kernel.report import ErrorKind, StepStatus
from link_ls.notebook import load
from link_ls.usecases import run as runs
from tests.conftest import LinkLs
from tests.executors.conftest import by_name, component, copy_example, scaled, write_pipeline

EXECUTORS = ["parallel", "dask"]


class _Payload:
    """Unpickling it writes a marker file: proof that an entry was loaded."""

    def __init__(self, marker: Path) -> None:
        self.marker = str(marker)

    def __reduce__(self) -> tuple[Any, ...]:
        return (exec, (f"open({self.marker!r}, 'w').write('unpickled')",))


def _pipeline(tmp: Path) -> Path:
    return write_pipeline(
        tmp,
        [
            component("load", "x = 20"),
            component("use", "y = x + 1\nprint('y is', y)", ["load"]),
        ],
    )


def _forge(
    store: CacheStore, key: str, node: str, name: str, marker: Path, signer: UserKey | None
) -> None:
    """An entry with the right sha256s whose variable runs code when unpickled."""
    folder = store.folder / key
    shutil.rmtree(folder, ignore_errors=True)
    (folder / "vars").mkdir(parents=True)
    payload = pickle.dumps(_Payload(marker))
    (folder / "vars" / "000.pkl").write_bytes(payload)
    (folder / "outputs.json").write_bytes(b"[]")

    def rec(path: str, data: bytes) -> FileRecord:
        return FileRecord(path, len(data), hashlib.sha256(data).hexdigest())

    m = EntryManifest(
        key=key,  # type: ignore[arg-type]
        notebook=store.notebook,
        node=node,
        name=name,
        language="python",
        created="2026-12-01T00:00:00+00:00",
        outputs=rec("outputs.json", b"[]"),
        variables=(VariableRecord("x", rec("vars/000.pkl", payload), "pickle"),),
    )
    raw = json.dumps(m.to_json()).encode()
    (folder / "manifest.json").write_bytes(raw)
    if signer is not None:
        sign_folder(folder, signer, raw)


def _stranger() -> UserKey:
    return UserKey(secrets.token_bytes(32), Path("/elsewhere/cache.key"))


def _options(executor: str, scheduler: str) -> dict[str, Any]:
    if executor == "dask":
        return {"executor": "dask", "scheduler": scheduler}
    return {"executor": "parallel", "workers": 2}


@pytest.fixture
def scheduler(request: pytest.FixtureRequest) -> str:
    """The session's cluster for dask tests; nothing for parallel ones."""
    if request.node.callspec.params.get("executor") == "dask":
        return str(request.getfixturevalue("dask_scheduler"))
    return ""


def test_entries_written_on_workers_with_another_key_are_restored_by_a_serial_run(
    tmp_path: Path, link_ls: LinkLs, monkeypatch: pytest.MonkeyPatch
) -> None:
    distributed = pytest.importorskip("distributed")
    caller_key = tmp_path / "caller" / "cache.key"
    worker_key = tmp_path / "worker-machine" / "cache.key"
    monkeypatch.setenv(KEY_FILE_ENV, str(caller_key))
    nb = copy_example(tmp_path / "nb")
    # the workers' environment names another key file, as on another machine
    with distributed.LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        dashboard_address=":0",
        silence_logs=40,
        env={KEY_FILE_ENV: str(worker_key)},
    ) as cluster:
        with distributed.Client(cluster) as client:
            seen = client.run(lambda: os.environ.get(KEY_FILE_ENV))
        assert set(seen.values()) == {str(worker_key)}
        report = scaled(nb, executor="dask", scheduler=cluster.scheduler_address)
    assert report.report.ok, [c.describe() for c in report.components]
    assert {c.status for c in report.components} == {StepStatus.EXECUTED}
    assert not worker_key.exists()  # no worker signed with a key of its own
    again = link_ls("run", str(nb), cwd=nb.parent)
    assert again.returncode == 0, again.stderr
    assert "8 restored" in again.stdout
    assert "untrusted" not in again.stderr
    assert "the model is 93% better than the baseline" in again.stdout


def test_a_forged_entry_is_not_loaded_by_a_parallel_run_and_the_run_says_so(
    tmp_path: Path, link_ls: LinkLs
) -> None:
    path = _pipeline(tmp_path)
    marker = tmp_path / "unpickled"
    nb = load(path)
    plan = runs.plan_run(nb, "all")
    tasks = {t.name: t for t in build_tasks(nb, plan, (), {}, None, None).tasks}
    store = CacheStore.for_notebook(path)
    _forge(store, tasks["load"].key, tasks["load"].node, "load", marker, None)
    done = link_ls("run", str(path), "--executor", "parallel", "--workers", "2", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert not marker.exists()
    assert "1 cached component is untrusted (not signed by your key)" in done.stderr
    assert f"link-ls cache trust {path}" in done.stderr
    assert "y is 21" in done.stdout
    # the run executed it and signed its own result: the next run restores both
    again = link_ls("run", str(path), "--executor", "parallel", cwd=tmp_path)
    assert again.returncode == 0 and "untrusted" not in again.stderr
    assert not marker.exists()


def test_a_forged_entry_is_not_loaded_by_a_dask_run(tmp_path: Path, dask_scheduler: str) -> None:
    path = _pipeline(tmp_path)
    marker = tmp_path / "unpickled"
    nb = load(path)
    tasks = {t.name: t for t in build_tasks(nb, runs.plan_run(nb, "all"), (), {}, None, None).tasks}
    store = CacheStore.for_notebook(path)
    _forge(store, tasks["load"].key, tasks["load"].node, "load", marker, _stranger())
    report = scaled(path, executor="dask", scheduler=dask_scheduler)
    assert report.report.ok, [c.describe() for c in report.components]
    assert not marker.exists()
    assert by_name(report)["load"].status is StepStatus.EXECUTED
    cache = report.report.cache
    assert cache is not None
    assert [(u["name"], u["trust"]) for u in cache["untrusted"]] == [("load", "foreign")]
    assert "signed by another user's key" in cache["notes"][0]
    assert cache["trustCommand"] == ["link-ls", "cache", "trust", str(path)]


@pytest.mark.parametrize("executor", EXECUTORS)
@pytest.mark.parametrize("signed", [False, True], ids=["unsigned", "other-key"])
def test_an_ancestor_entry_swapped_mid_run_refuses_the_component(
    tmp_path: Path, executor: str, signed: bool, scheduler: str
) -> None:
    path = _pipeline(tmp_path)
    marker = tmp_path / "unpickled"
    store = CacheStore.for_notebook(path)

    def swap(event: ScaleEvent) -> None:
        # someone who can write the store replaces load's entry once it is written
        if isinstance(event, ComponentFinished) and event.task.name == "load":
            t = event.task
            _forge(store, t.key, t.node, "load", marker, _stranger() if signed else None)

    nb = load(path)
    report = run_scaled(
        nb,
        runs.plan_run(nb, "all"),
        ExecutorOptions(**_options(executor, scheduler)),
        resolve_parameters(nb.parameters, {}),
        {},
        swap,
    )
    got = by_name(report)
    assert got["load"].status is StepStatus.EXECUTED
    use = got["use"]
    assert use.status is StepStatus.ERROR and use.error is not None
    assert use.error.kind is ErrorKind.CACHE
    assert use.error.evalue.startswith("ancestor 'load': cache entry ")
    assert str(store.folder) in use.error.evalue  # the entry, by its folder
    assert "is untrusted" in use.error.evalue and "nothing was loaded from it" in use.error.evalue
    assert f"`link-ls cache trust {path}`" in use.error.evalue
    assert not marker.exists()
