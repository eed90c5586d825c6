"""`--executor parallel`: branches at once in separate kernels, failures stop descendants only,
and a pipeline whose edges do not say where reads come from is refused with the diagnostics."""

from __future__ import annotations

from pathlib import Path

import pytest

from link_ls.executors import ExecutorError, UnsafePipelineError
from link_ls.kernel.report import StepStatus
from tests.conftest import LinkLs
from tests.executors.conftest import by_name, component, scaled, stdout_of, write_pipeline

BRANCH = "import time\ntime.sleep(1.0)\n{name} = base + 1\nprint('{name}', {name})\n"


def test_branches_run_at_once_in_separate_kernels(tmp_path: Path) -> None:
    path = write_pipeline(
        tmp_path,
        [
            component("base", f"open({str(tmp_path / 'runs')!r}, 'a').write('x')\nbase = 1"),
            component("left", BRANCH.format(name="left"), ["base"]),
            component("right", BRANCH.format(name="right"), ["base"]),
            component("bad", "raise RuntimeError('broken')", ["base"]),
            component("below_bad", "y = 1", ["bad"]),
            component("join", "print(left + right)", ["left", "right"]),
        ],
    )
    report = scaled(path, executor="parallel", workers=3)
    got = by_name(report)
    left, right = got["left"], got["right"]
    assert left.started < right.finished and right.started < left.finished
    assert left.where != right.where
    assert (tmp_path / "runs").read_text() == "x"
    assert stdout_of(got["join"].outputs) == "4\n"
    assert got["bad"].status is StepStatus.ERROR
    assert got["below_bad"].blocked_by == "bad"
    # a second run restores everything that completed, and runs only what failed
    again = by_name(scaled(path, executor="parallel", workers=2))
    assert {n: r.status for n, r in again.items() if r.status is StepStatus.RESTORED} == {
        n: StepStatus.RESTORED for n in ("base", "left", "right", "join")
    }
    assert again["bad"].status is StepStatus.ERROR


def test_a_read_from_a_non_parent_is_refused_with_the_diagnostic(
    tmp_path: Path, link_ls: LinkLs
) -> None:
    path = write_pipeline(
        tmp_path,
        [
            component("a", "a = 1"),
            component("b", "b = a + 1"),  # reads a, but declares no parent
        ],
    )
    with pytest.raises(UnsafePipelineError) as caught:
        scaled(path, executor="parallel")
    assert any(d.code == "LNK003" for d in caught.value.diagnostics)
    done = link_ls("run", str(path), "--executor", "dask", cwd=tmp_path)
    assert done.returncode != 0
    assert "edge errors" in done.stderr and "LNK003" in done.stderr
    assert not (tmp_path / ".link_ls").exists()  # nothing ran


def test_a_store_url_of_an_unknown_protocol_is_refused(tmp_path: Path) -> None:
    path = write_pipeline(tmp_path, [component("a", "a = 1")])
    with pytest.raises(ExecutorError, match="--store nosuch://bucket/cache"):
        scaled(path, executor="parallel", store="nosuch://bucket/cache")
