"""The architecture of DESIGN §1, as import-linter contracts (pyproject.toml), run as a test.

`make lint` runs ``lint-imports`` too; this test makes a plain ``pytest`` catch a
broken layer or a new import cycle.
"""

from __future__ import annotations

import ast
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


def _functions(tree: ast.AST) -> list[ast.FunctionDef | ast.AsyncFunctionDef]:
    return [n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))]


def test_modules_stay_small_and_server_functions_short() -> None:
    """Issue 16's limits: no module over 500 lines; no function over 60 lines in server/."""
    package = ROOT / "link_ls"
    too_long: list[str] = []
    for path in sorted(package.rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        rel = path.relative_to(ROOT).as_posix()
        if text.count("\n") > 500:
            too_long.append(f"{rel}: {text.count(chr(10))} lines")
        if "server" in path.relative_to(package).parts:
            for fn in _functions(ast.parse(text)):
                length = (fn.end_lineno or fn.lineno) - fn.lineno + 1
                if length > 60:
                    too_long.append(f"{rel}: {fn.name} has {length} lines")
    assert too_long == []
