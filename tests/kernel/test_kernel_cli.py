"""`link-ls run` through a real subprocess: outputs, exit codes, written notebooks, no orphans."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import nbformat

from link_ls.kernel.session import connection_tag
from tests.kernel.conftest import FIXTURES
from tests.kernel.procs import processes_with, wait_gone

ROOT = Path(__file__).parents[2]
TIMEOUT = 180


def link_ls(*args: str) -> subprocess.CompletedProcess[str]:
    """Run the CLI and check that it left no kernel behind."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "link_ls", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    out, err = proc.communicate(timeout=TIMEOUT)
    assert not wait_gone(connection_tag(proc.pid)), f"link-ls {args} left a kernel running"
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


def copy(tmp_path: Path, name: str) -> Path:
    dst = tmp_path / name
    shutil.copy(FIXTURES / name, dst)
    return dst


def test_run_up_to_prints_each_cell_and_its_outputs_in_order() -> None:
    r = link_ls("run", str(FIXTURES / "pipeline-params.ipynb"), "--to", "summary")
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    headers = [ln for ln in lines if ln.startswith("[")]
    assert headers == ["[1/3] source (#2)", "[2/3] double (#5)", "[3/3] summary (#4)"]
    assert "summary run True [1, 2] {'k': 1} 0.5 6" in lines
    assert "side" not in lines
    assert "3 of 3 cells" in lines[-1] and "3 executed" in lines[-1]


def test_example_pipeline_runs_up_to_a_downstream_component() -> None:
    r = link_ls("run", "examples/pipeline.ipynb", "--to", "evaluate")
    assert r.returncode == 0, r.stderr
    assert "[7/7] evaluate (#8)" in r.stdout
    assert "report" not in r.stdout
    assert "model RMSE" in r.stdout


def test_param_overrides_the_declared_value_and_a_bad_one_is_exit_2() -> None:
    nb = str(FIXTURES / "pipeline-params.ipynb")
    r = link_ls("run", nb, "--to", "summary", "--param", "n=4", "--param", "flag=no")
    assert r.returncode == 0, r.stderr
    assert "summary run False [1, 2] {'k': 1} 0.5 12" in r.stdout

    bad = link_ls("run", nb, "--param", "n=four")
    assert bad.returncode == 2
    assert bad.stderr.strip() == "link-ls: error: --param n=four: not a valid int for parameter 'n'"
    assert bad.stdout == ""  # rejected before any kernel started


def test_a_raising_cell_is_exit_1_named_and_written_with_its_traceback(tmp_path: Path) -> None:
    src = copy(tmp_path, "raises.ipynb")
    before = json.loads(src.read_text())
    out = tmp_path / "executed.ipynb"
    r = link_ls("run", str(src), "-o", str(out))
    assert r.returncode == 1
    assert r.stderr.strip() == "link-ls: cell explode (#2) raised ValueError: boom"
    assert "ValueError: boom" in r.stdout and "\x1b[" not in r.stdout
    assert "[3/3]" not in r.stdout

    nb = nbformat.read(out, as_version=4)
    nbformat.validate(nb)
    setup, explode, after = nb.cells
    assert setup.outputs[0]["text"] == "setup done\n" and setup.execution_count == 1
    assert [o["output_type"] for o in explode.outputs] == ["stream", "error"]
    assert after.outputs == [] and after.execution_count is None
    # everything but the outputs is as it was; the source file is untouched
    for old, new in zip(before["cells"], json.loads(out.read_text())["cells"], strict=True):
        assert (old["id"], old["source"], old["metadata"]) == (
            new["id"],
            new["source"],
            new["metadata"],
        )
    assert json.loads(src.read_text()) == before


def test_write_puts_outputs_back_into_the_notebook(tmp_path: Path) -> None:
    src = copy(tmp_path, "rich-outputs.ipynb")
    r = link_ls("run", str(src), "--write")
    assert r.returncode == 0, r.stderr
    assert "[image/png image] <tiny image>" in r.stdout
    assert "42" in r.stdout
    nb = nbformat.read(src, as_version=4)
    nbformat.validate(nb)
    outs = nb.cells[0].outputs
    assert [o["output_type"] for o in outs][-2:] == ["display_data", "execute_result"]
    assert nb.metadata["kernelspec"]["name"] == "python3"
    assert not list(tmp_path.glob(".*.tmp"))


def test_bad_input_is_exit_2_and_writes_nothing(tmp_path: Path) -> None:
    src = copy(tmp_path, "plain-chain.ipynb")
    before = src.read_bytes()
    r = link_ls("run", str(src), "--to", "nowhere", "--write")
    assert r.returncode == 2
    assert r.stderr.startswith("link-ls: error: ") and "nowhere" in r.stderr
    assert "Traceback" not in r.stderr
    assert src.read_bytes() == before

    r = link_ls("run", str(src), "--kernel", "no-such-kernel-xyz")
    assert r.returncode == 2
    assert "no Jupyter kernel named 'no-such-kernel-xyz'" in r.stderr

    r = link_ls("run", str(src), "-o", str(tmp_path / "missing" / "out.ipynb"))
    assert r.returncode == 2 and "does not exist" in r.stderr

    r = link_ls("run", str(src), "--timeout", "0")
    assert r.returncode == 2 and "--timeout" in r.stderr


def test_timeout_stops_an_endless_cell_with_exit_1() -> None:
    r = link_ls("run", str(FIXTURES / "loops-forever.ipynb"), "--timeout", "3")
    assert r.returncode == 1
    assert "cell #2 timed out" in r.stderr
    assert "never" not in r.stdout


def test_kernel_death_is_reported_with_exit_1() -> None:
    r = link_ls("run", str(FIXTURES / "kernel-dies.ipynb"))
    assert r.returncode == 1
    assert "the kernel died while running cell #2" in r.stderr
    assert "dying True" in r.stdout


def test_ctrl_c_interrupts_the_kernel_and_leaves_no_kernel(tmp_path: Path) -> None:
    src = copy(tmp_path, "loops-forever.ipynb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "link_ls", "run", str(src), "--write"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    assert proc.stdout is not None
    deadline = time.monotonic() + TIMEOUT
    for line in proc.stdout:
        if line.startswith("spinning") or time.monotonic() > deadline:
            break
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=TIMEOUT)
    assert proc.returncode == 130, err
    assert "cell #2 was interrupted" in err
    assert not wait_gone(connection_tag(proc.pid))
    # what ran is saved, the interrupted cell with its KeyboardInterrupt
    nb = nbformat.read(src, as_version=4)
    assert nb.cells[0].outputs[0]["text"] == "ready\n"
    assert nb.cells[1].outputs[-1]["ename"] == "KeyboardInterrupt"


def test_a_process_that_forgets_to_shut_down_leaves_no_kernel() -> None:
    script = textwrap.dedent(
        """
        from link_ls.kernel import KernelSession
        s = KernelSession()
        s.start()
        print(s.run_silent("print(6 * 7)"), end="")
        """
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", script],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
        env=dict(os.environ),
    )
    out, err = proc.communicate(timeout=TIMEOUT)
    assert proc.returncode == 0, err
    assert out == "42\n"
    assert not wait_gone(connection_tag(proc.pid))


def test_a_killed_link_ls_leaves_no_kernel_behind() -> None:
    # SIGKILL skips every cleanup of ours: ipykernel notices its parent is gone and exits
    proc = subprocess.Popen(
        [sys.executable, "-m", "link_ls", "run", str(FIXTURES / "loops-forever.ipynb")],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    assert proc.stdout is not None
    for line in proc.stdout:
        if line.startswith("spinning"):
            break
    assert processes_with(connection_tag(proc.pid)), "the kernel should be running"
    proc.kill()
    proc.communicate(timeout=TIMEOUT)
    assert not wait_gone(connection_tag(proc.pid), timeout=30)
