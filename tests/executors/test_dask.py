"""`--executor dask` on a real LocalCluster: branches overlap on different workers, results and
cache keys match the serial run, a lost worker and a raising component end the run clearly."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from link_ls.cache.store import CacheStore
from link_ls.executors.remote import mirror_root
from link_ls.kernel.report import StepStatus
from tests.conftest import LinkLs
from tests.executors.conftest import (
    by_name,
    component,
    copy_example,
    scaled,
    stdout_of,
    write_pipeline,
)

pytest.importorskip("distributed")

BRANCH = """import time
time.sleep(1.0)
{name} = base + 1
print("{name} done")
"""


def _branches(tmp: Path) -> Path:
    return write_pipeline(
        tmp,
        [
            component("base", f"open({str(tmp / 'base-runs')!r}, 'a').write('ran\\n')\nbase = 1"),
            component("left", BRANCH.format(name="left"), ["base"]),
            component("right", BRANCH.format(name="right"), ["base"]),
            component("join", "total = left + right\nprint(total)", ["left", "right"]),
        ],
    )


def test_independent_branches_overlap_on_different_workers(
    tmp_path: Path, dask_scheduler: str
) -> None:
    report = scaled(_branches(tmp_path), executor="dask", scheduler=dask_scheduler)
    got = by_name(report)
    assert report.report.ok, [c.describe() for c in report.components]
    left, right = got["left"], got["right"]
    assert left.started < right.finished and right.started < left.finished  # overlap
    assert left.where != right.where
    assert (tmp_path / "base-runs").read_text() == "ran\n"  # the common ancestor ran once
    assert stdout_of(got["join"].outputs) == "4\n"


def test_dask_and_serial_give_the_same_outputs_and_keys(
    tmp_path: Path, dask_scheduler: str, link_ls: LinkLs
) -> None:
    serial_nb = copy_example(tmp_path / "serial")
    done = link_ls("run", str(serial_nb), "--cache-all", cwd=serial_nb.parent)
    assert done.returncode == 0, done.stderr
    dask_nb = copy_example(tmp_path / "dask")
    report = scaled(dask_nb, executor="dask", scheduler=dask_scheduler)
    assert report.report.ok
    serial_store = CacheStore.for_notebook(serial_nb)
    dask_store = CacheStore.for_notebook(dask_nb)
    assert serial_store.keys() == dask_store.keys()
    assert len(dask_store.keys()) == 8
    for key in dask_store.keys():  # noqa: SIM118 (a method, not a dict)
        ours, theirs = dask_store.usable(key), serial_store.usable(key)
        assert ours is not None and theirs is not None
        assert stdout_of(dask_store.read_outputs(ours)) == stdout_of(
            serial_store.read_outputs(theirs)
        ), ours.name
        assert [v.name for v in ours.variables] == [v.name for v in theirs.variables]
    # a serial run after the dask run restores every component
    again = link_ls("run", str(dask_nb), cwd=dask_nb.parent)
    assert again.returncode == 0, again.stderr
    assert "8 restored" in again.stdout
    assert "the model is 93% better than the baseline" in again.stdout


def test_a_worker_killed_mid_task_is_retried_and_leaves_no_partial_entry(
    tmp_path: Path, dask_scheduler: str
) -> None:
    marker = tmp_path / "killed-once"
    kill = (
        "import os, signal, time\n"
        f"if not os.path.exists({str(marker)!r}):\n"
        f"    open({str(marker)!r}, 'w').close()\n"
        "    os.kill(os.getpid(), signal.SIGKILL)\n"
        "victim = base * 10\n"
    )
    path = write_pipeline(
        tmp_path,
        [
            component("base", "base = 1"),
            component("victim", kill, ["base"]),
            component("after", "print(victim + 1)", ["victim"]),
        ],
    )
    report = scaled(path, executor="dask", scheduler=dask_scheduler)
    got = by_name(report)
    assert marker.exists()  # the first attempt did die
    assert report.report.ok, [c.describe() for c in report.components]
    assert got["victim"].status is StepStatus.EXECUTED
    assert stdout_of(got["after"].outputs) == "11\n"
    store = CacheStore.for_notebook(path)
    for key in store.keys():  # noqa: SIM118 (a method, not a dict)
        m = store.manifest(key)
        assert m is not None and store.complete(m) and not store.verify(m)


def test_a_worker_that_keeps_dying_is_reported_and_its_descendants_skipped(
    tmp_path: Path, link_ls: LinkLs
) -> None:
    path = write_pipeline(
        tmp_path,
        [
            component("base", "base = 1"),
            component(
                "doomed", "import os, signal\nos.kill(os.getpid(), signal.SIGKILL)", ["base"]
            ),
            component("below", "x = 1", ["doomed"]),
            component("other", "print('other done', base)", ["base"]),
        ],
    )
    done = link_ls(
        "run",
        str(path),
        "--executor",
        "dask",
        "--workers",
        "2",
        cwd=tmp_path,
        env={"DASK_DISTRIBUTED__SCHEDULER__ALLOWED_FAILURES": "0", "COLUMNS": "200"},
    )
    assert done.returncode == 1, done.stdout + done.stderr
    assert "KilledWorker" in done.stdout
    assert "ancestor doomed did not complete" in done.stdout
    assert "other done 1" in done.stdout
    store = CacheStore.for_notebook(path)
    names = {m.name for m in store.entries()}
    assert names == {"base", "other"}  # nothing of the killed task is visible


def test_a_raising_component_skips_its_descendants_only(
    tmp_path: Path, dask_scheduler: str
) -> None:
    path = write_pipeline(
        tmp_path,
        [
            component("base", "base = 1"),
            component("bad", "raise ValueError('no data')", ["base"]),
            component("below_bad", "y = 2", ["bad"]),
            component("deeper", "z = 3", ["below_bad"]),
            component("good", "import os\ngood = base + 1\nprint('good', good)", ["base"]),
        ],
    )
    report = scaled(path, executor="dask", scheduler=dask_scheduler)
    got = by_name(report)
    assert got["bad"].status is StepStatus.ERROR
    assert got["bad"].error is not None and "no data" in got["bad"].error.evalue
    assert got["below_bad"].status is StepStatus.NOT_RUN
    assert got["below_bad"].blocked_by == "bad"
    assert got["deeper"].blocked_by == "bad"
    assert got["good"].status is StepStatus.EXECUTED
    assert stdout_of(got["good"].outputs) == "good 2\n"
    assert not report.report.ok


def test_magics_and_displays_work_on_a_worker(tmp_path: Path, dask_scheduler: str) -> None:
    path = write_pipeline(
        tmp_path,
        [
            component("shell", "lines = !echo from-the-shell\n%time n = len(lines)"),
            component(
                "show",
                "from IPython.display import display, Markdown\n"
                "display(Markdown('**bold**'))\n"
                "lines[0].upper()",
                ["shell"],
            ),
        ],
    )
    report = scaled(path, executor="dask", scheduler=dask_scheduler)
    assert report.report.ok, [c.describe() for c in report.components]
    got = by_name(report)
    assert "Wall time" in stdout_of(got["shell"].outputs)
    kinds = [o["output_type"] for o in got["show"].outputs]
    assert kinds == ["display_data", "execute_result"]
    assert got["show"].outputs[0]["data"]["text/markdown"] == "**bold**"
    assert got["show"].outputs[1]["data"]["text/plain"] == "'FROM-THE-SHELL'"


def test_a_remote_store_url_carries_entries_between_machines(
    tmp_path: Path, dask_scheduler: str
) -> None:
    # fsspec's "local" protocol goes through the same code as s3:// or gcs:// would
    remote = tmp_path / "bucket"
    url = f"local://{remote}"
    nb = copy_example(tmp_path / "nb")
    first = scaled(nb, executor="dask", scheduler=dask_scheduler, store=url)
    assert first.report.ok and first.store == url
    entries = list((remote / nb.name).iterdir())
    assert len(entries) == 8 and all((e / "manifest.json").is_file() for e in entries)
    # a machine without a mirror: every entry comes down from the URL, nothing runs
    shutil.rmtree(mirror_root(url))
    again = scaled(nb, executor="parallel", store=url)
    assert [c.status for c in again.components] == [StepStatus.RESTORED] * 8
    assert stdout_of(by_name(again)["report"].outputs) == (
        "the model is 93% better than the baseline\n"
    )
