"""gitattributes files: where they are, which ``*.ipynb`` diff/merge drivers they set, our lines.

link-ls writes exactly two lines, a marker comment and the attribute line, so that
uninstall can remove exactly what install wrote and nothing else.
"""

from __future__ import annotations

import fnmatch
import os
from dataclasses import dataclass
from pathlib import Path

from link_ls.notebook.formats import atomic_write_text

DRIVER = "link-ls"
MARKER = "# link-ls: cell-level diff and merge of notebooks (`link-ls git uninstall` removes this)"
LINE = f"*.ipynb merge={DRIVER} diff={DRIVER}"
_PROBES = ("notebook.ipynb", "sub/dir/notebook.ipynb")


@dataclass(frozen=True)
class ForeignDriver:
    """Another tool's driver for notebooks, found in an attributes file."""

    file: Path
    line_no: int
    attribute: str  # "diff" | "merge"
    driver: str


def global_attributes_file(configured: str | None) -> Path:
    """git's global attributes file: ``core.attributesFile``, else the XDG default."""
    if configured:
        return Path(os.path.expanduser(configured))
    xdg = os.environ.get("XDG_CONFIG_HOME") or os.path.join(os.path.expanduser("~"), ".config")
    return Path(xdg) / "git" / "attributes"


def _matches_notebooks(pattern: str) -> bool:
    pat = pattern.lstrip("/")
    if pat.startswith("**/"):
        pat = pat[3:]
    return any(
        fnmatch.fnmatch(p, pat) or fnmatch.fnmatch(p.rsplit("/", 1)[-1], pat) for p in _PROBES
    )


def foreign_drivers(path: Path) -> list[ForeignDriver]:
    """``diff=X``/``merge=X`` with X not link-ls on lines whose pattern matches a notebook."""
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return []
    found: list[ForeignDriver] = []
    for n, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        pattern, *attrs = line.split()
        if not _matches_notebooks(pattern):
            continue
        for a in attrs:
            name, eq, value = a.partition("=")
            if eq and name in ("diff", "merge") and value != DRIVER:
                found.append(ForeignDriver(path, n, name, value))
    return found


def has_our_line(path: Path) -> bool:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError:
        return False
    return LINE in (x.strip() for x in lines)


def add_our_lines(path: Path) -> bool:
    """Append the marker and line (creating the file); False when already present."""
    if has_our_line(path):
        return False
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        text = ""
    if text and not text.endswith("\n"):
        text += "\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(path, f"{text}{MARKER}\n{LINE}\n")
    return True


def remove_our_lines(path: Path) -> bool:
    """Remove our line and its marker; delete the file if nothing else is left in it."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError:
        return False
    lines = text.splitlines()
    kept = [x for x in lines if x.strip() not in (LINE, MARKER)]
    if len(kept) == len(lines):
        return False
    if not any(x.strip() for x in kept):
        path.unlink()
    else:
        atomic_write_text(path, "\n".join(kept) + "\n")
    return True
