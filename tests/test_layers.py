"""The layer line of DESIGN §1: nothing outside link_ls/server/ imports pygls or lsprotocol."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "link_ls"
FORBIDDEN = ("pygls", "lsprotocol")


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def test_only_the_server_imports_the_lsp_libraries() -> None:
    offenders = []
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE)
        if rel.parts[0] == "server":
            continue
        for name in _imports(path):
            if name.split(".")[0] in FORBIDDEN:
                offenders.append(f"link_ls/{rel.as_posix()} imports {name}")
    assert offenders == []


def test_the_check_sees_the_server() -> None:
    # guard against the walk silently finding nothing
    assert "pygls.lsp.server" in _imports(PACKAGE / "server" / "base.py")
