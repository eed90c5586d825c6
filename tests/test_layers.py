"""The architecture of DESIGN §1, as import-linter contracts (pyproject.toml), run as a test.

`make lint` runs ``lint-imports`` too; this test makes a plain ``pytest`` catch a
broken layer or a new import cycle.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_the_import_contracts_hold() -> None:
    done = subprocess.run(
        [str(Path(sys.executable).parent / "lint-imports"), "--no-cache"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "BROKEN" not in done.stdout
    # no contract is kept by ignoring the imports that break it
    assert "ignored" not in done.stdout
    # the contracts of pyproject.toml are all there (layers, purity, independence, cycles)
    assert "Contracts: 8 kept, 0 broken." in done.stdout
