"""`cache trust --store URL` signs a remote store's entries where every machine reads them.

A store another user's runs filled (their key signed it) is untrusted for this user:
a run executes those components instead of unpickling them. Once the user trusts the
store, their HMAC is in each entry's remote ``signatures.json`` (beside the other
user's), and the next run restores the entries: the components' code does not run
again. A damaged entry is reported and not signed.
"""

from __future__ import annotations

import json
import shutil
import uuid
from pathlib import Path
from typing import Any

import pytest

from link_ls.cache.trust import KEY_FILE_ENV, load_user_key
from link_ls.cache.trusting import notebook_store, trust_stores
from link_ls.executors import ExecutorOptions, ScaleReport, run_scaled
from link_ls.executors.remote import mirror_root
from link_ls.kernel.params import resolve_parameters
from link_ls.kernel.report import StepStatus
from link_ls.notebook import load
from link_ls.usecases import run as runs
from tests.conftest import LinkLs
from tests.executors.conftest import by_name, component, write_pipeline

fsspec = pytest.importorskip("fsspec")


def _pipeline(tmp: Path) -> Path:
    tmp.mkdir(parents=True, exist_ok=True)

    def counted(name: str, code: str) -> str:
        # each execution of the component appends a line to its marker file
        return f"open({str(tmp / name)!r}, 'a').write('ran\\n')\n{code}"

    return write_pipeline(
        tmp,
        [
            component("load", counted("load", "x = 20")),
            component("use", counted("use", "y = x + 1\nprint('y is', y)"), ["load"]),
            component("side", counted("side", "z = 5")),
            component("final", counted("final", "w = y * 2\nprint('w is', w)"), ["use"]),
        ],
    )


def _runs(tmp: Path, name: str) -> int:
    marker = tmp / name
    return len(marker.read_text().splitlines()) if marker.exists() else 0


def _run(path: Path, url: str, options: dict[str, Any], to: str | None = None) -> ScaleReport:
    nb = load(path)
    plan = runs.plan_run(nb, "upTo", to) if to else runs.plan_run(nb, "all")
    params = resolve_parameters(nb.parameters, {})
    return run_scaled(nb, plan, ExecutorOptions(store=url, **options), params, {})


def _statuses(report: ScaleReport) -> dict[str, StepStatus]:
    return {name: c.status for name, c in by_name(report).items()}


@pytest.fixture(params=["parallel-memory", "dask-local"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[str, dict[str, Any]]:
    """A remote store URL and the run options that reach it.

    ``memory://`` is fsspec's in-process filesystem: the parallel executor drives its
    kernels from this process, so every copy to and from the store happens here. Dask
    workers are other processes: they reach ``local://`` (fsspec's local filesystem,
    taken as remote since it is not a path or ``file://`` URL) through the same code.
    """
    if request.param == "parallel-memory":
        return f"memory://link-ls-{uuid.uuid4().hex}/cache", {
            "executor": "parallel",
            "workers": 2,
        }
    scheduler = str(request.getfixturevalue("dask_scheduler"))
    return f"local://{tmp_path / 'bucket'}", {"executor": "dask", "scheduler": scheduler}


def test_trusting_a_remote_store_signs_it_there_and_the_next_run_restores(
    tmp_path: Path,
    store: tuple[str, dict[str, Any]],
    link_ls: LinkLs,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    url, options = store
    path = _pipeline(tmp_path / "nb")
    fs, root = fsspec.core.url_to_fs(url)
    base = f"{root}/{path.name}"

    # alice fills the store (up to "use", and "side"): signed with her key only
    monkeypatch.setenv(KEY_FILE_ENV, str(tmp_path / "alice" / "cache.key"))
    alice = load_user_key()
    first = _run(path, url, options, to="use")
    assert first.report.ok, [c.describe() for c in first.components]
    first_side = _run(path, url, options, to="side")
    assert first_side.report.ok
    assert [_runs(path.parent, n) for n in ("load", "use", "side")] == [1, 1, 1]

    # this user, on a machine without a mirror of the store
    monkeypatch.setenv(KEY_FILE_ENV, str(tmp_path / "me" / "cache.key"))
    me = load_user_key()
    shutil.rmtree(mirror_root(url), ignore_errors=True)
    untrusted = _run(path, url, options, to="load")
    assert _statuses(untrusted) == {"load": StepStatus.EXECUTED}  # not unpickled
    cache = untrusted.report.cache
    assert cache is not None
    assert [(u["name"], u["trust"]) for u in cache["untrusted"]] == [("load", "foreign")]
    command = ["link-ls", "cache", "trust", str(path), "--store", url]
    assert cache["trustCommand"] == command

    # someone damages side's variable file in the store
    keys = {
        json.loads(fs.cat(m))["name"]: m.split("/")[-2] for m in fs.glob(f"{base}/*/manifest.json")
    }
    side_var = fs.glob(f"{base}/{keys['side']}/vars/*")[0]
    data = fs.cat(side_var)
    fs.pipe_file(side_var, bytes(b ^ 1 for b in data))

    if url.startswith("memory://"):
        # the use case the CLI and the server's link.cache.trust call (this process's store)
        report = trust_stores([notebook_store(path, store=url)]).to_json()
    else:
        done = link_ls(*command[1:], "--format", "json", cwd=path.parent)
        assert done.returncode == 1, done.stderr  # one entry refused
        report = json.loads(done.stdout)
    outcomes = {e["name"]: (e["outcome"], e["store"]) for e in report["entries"]}
    where = f"{url}/{path.name}"
    assert outcomes == {
        "load": ("already trusted", where),  # the run replaced it with its own signed result
        "use": ("trusted", where),
        "side": ("refused", where),
    }
    (side,) = [e for e in report["entries"] if e["name"] == "side"]
    assert side["detail"].startswith("damaged: vars/")

    def signers(name: str) -> set[str]:
        sigs = json.loads(fs.cat(f"{base}/{keys[name]}/signatures.json"))
        return set(sigs["hmac-sha256"])

    assert signers("use") == {alice.key_id, me.key_id}  # alice's signature is kept
    assert signers("side") == {alice.key_id}  # the damaged entry is not signed

    # another machine: workers read the remote signatures.json next to each manifest
    shutil.rmtree(mirror_root(url), ignore_errors=True)
    again = _run(path, url, options)
    assert again.report.ok, [c.describe() for c in again.components]
    assert _statuses(again) == {
        "load": StepStatus.RESTORED,
        "use": StepStatus.RESTORED,
        "side": StepStatus.EXECUTED,  # still untrusted (and damaged): executed, not loaded
        "final": StepStatus.EXECUTED,  # ran after restoring "use" from the store
    }
    assert [_runs(path.parent, n) for n in ("load", "use", "side", "final")] == [2, 1, 2, 1]
    assert "w is 42" in "".join(str(o.get("text", "")) for o in by_name(again)["final"].outputs)
    again_cache = again.report.cache
    assert again_cache is not None
    assert [u["name"] for u in again_cache["untrusted"]] == ["side"]
