"""The real MakinaRocks Link 2.7.0 package, installed by `make link-venv` (mk/link.mk).

Tests in this folder drive Link's own CLI (`mrx-link`) and SDK (`mrx_link.sdk`) in that
separate Python 3.11 venv; nothing of Link is imported into the project's interpreter.
Locally a missing venv skips them with the reason; under CI=true it fails them.
"""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

LINK_VERSION = "2.7.0"


def link_venv() -> Path:
    """Where mk/link.mk installs Link (LINK_VENV overrides, as in the Makefile)."""
    if env := os.environ.get("LINK_VENV"):
        return Path(env)
    cache = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(cache) / "link-ls" / f"link-{LINK_VERSION}"


@dataclass(frozen=True)
class RealLink:
    """The Link venv: its python (for SDK scripts) and its `mrx-link` CLI."""

    venv: Path

    @property
    def python(self) -> Path:
        return self.venv / "bin" / "python"

    @property
    def cli(self) -> Path:
        return self.venv / "bin" / "mrx-link"

    def run_cli(self, *args: str, cwd: Path | None = None, timeout: float = 600) -> str:
        """`mrx-link ARGS`; its stdout, or a failure carrying what it printed."""
        return self._run([str(self.cli), *args], cwd, timeout)

    def run_python(
        self, code: str, *args: str, cwd: Path | None = None, timeout: float = 600
    ) -> str:
        """Run CODE with Link's interpreter (`python -c CODE ARGS`); its stdout."""
        return self._run([str(self.python), "-c", code, *args], cwd, timeout)

    def _run(self, argv: list[str], cwd: Path | None, timeout: float) -> str:
        env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
        env["PATH"] = f"{self.venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"
        proc = subprocess.run(
            argv, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False
        )
        if proc.returncode != 0:
            pytest.fail(
                f"{' '.join(argv[:3])} exited {proc.returncode}\n"
                f"stdout:\n{proc.stdout[-4000:]}\nstderr:\n{proc.stderr[-4000:]}"
            )
        return proc.stdout


@pytest.fixture(scope="session")
def real_link() -> RealLink:
    venv = link_venv()
    if not (venv / ".installed").exists() or not (venv / "bin" / "mrx-link").exists():
        reason = f"real Link {LINK_VERSION} not installed at {venv} (run `make link-venv`)"
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    return RealLink(venv)
