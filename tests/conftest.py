"""Fixtures every test package shares: the ``link-ls`` command, run as a user runs it."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Protocol

import pytest
from hypothesis import settings

# Property tests draw the same cases on every run (``make test`` and CI never differ by
# luck); ``make fuzz`` runs the fuzz tests with many more cases (tests/fuzzing.py).
# Tests' own ``@settings`` inherit this; loaded here, before any test module is imported.
settings.register_profile("repeatable", derandomize=True)
settings.load_profile("repeatable")

ROOT = Path(__file__).resolve().parent.parent


class LinkLs(Protocol):
    """``link_ls("check", "x.ipynb", cwd=...)``: the CLI in a subprocess, output captured."""

    def __call__(
        self,
        *args: str,
        cwd: Path | None = None,
        env: Mapping[str, str] | None = None,
        timeout: float = 180,
    ) -> subprocess.CompletedProcess[str]: ...


def run_link_ls(
    *args: str,
    cwd: Path | None = None,
    env: Mapping[str, str] | None = None,
    timeout: float = 180,
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "link_ls", *args],
        capture_output=True,
        text=True,
        cwd=cwd or ROOT,
        timeout=timeout,
        env={**os.environ, "PYTHONPATH": str(ROOT), **(env or {})},
    )


@pytest.fixture
def link_ls() -> LinkLs:
    """The ``link-ls`` command of this checkout (``python -m link_ls``)."""
    return run_link_ls
