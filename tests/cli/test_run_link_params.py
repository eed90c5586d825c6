"""`link-ls run F -p NAME TYPE VALUE`: Link's parameter shape through a real subprocess."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from tests.conftest import run_link_ls

ROOT = Path(__file__).parents[2]
PARAMS = ROOT / "tests" / "fixtures" / "kernel" / "pipeline-params.ipynb"


def link_ls(*args: str) -> subprocess.CompletedProcess[str]:
    return run_link_ls(*args, timeout=180)


def test_p_sets_typed_parameters_in_the_kernel(tmp_path: Path) -> None:
    nb = tmp_path / "params.ipynb"
    shutil.copy(PARAMS, nb)
    r = link_ls(
        "run", str(nb), "--to", "summary",
        "-p", "n", "int", "5",
        "--parameter", "flag", "bool", "False",
        "-p", "items", "tuple", "(7,)",
        "--param", "label=go",
    )  # fmt: skip
    assert r.returncode == 0, r.stderr
    assert "summary go False (7,) {'k': 1} 0.5 20" in r.stdout.splitlines()
    assert "n=5" in r.stdout.splitlines()[0]


def test_bad_p_is_one_line_exit_2_before_any_kernel(tmp_path: Path) -> None:
    nb = tmp_path / "params.ipynb"
    shutil.copy(PARAMS, nb)
    for argv, message in [
        (["-p", "flag", "bool", "true"], "-p flag bool true: not a Python literal"),
        (["-p", "n", "int", "3.5"], "-p n int 3.5: not an int (it reads as the float 3.5)"),
        (["-p", "n", "number", "3"], "-p n number 3: unknown type 'number'"),
        (["-p", "nope", "int", "3"], "-p nope: the notebook declares no parameter 'nope'"),
    ]:
        r = link_ls("run", str(nb), *argv)
        assert r.returncode == 2, (argv, r.stdout, r.stderr)
        assert r.stderr.startswith(f"link-ls: error: {message}"), r.stderr
        assert len(r.stderr.strip().splitlines()) == 1
        assert "[1/" not in r.stdout  # nothing ran
    r = link_ls("run", str(nb), "-p", "n", "int")
    assert r.returncode == 2 and "expected 3 arguments" in r.stderr
