"""Hostile files × every CLI command, run in-process: what must hold for each (issue 18).

Shared by ``tests/cli/test_hostile.py`` (a fixed list plus a few hypothesis-mutated files)
and ``make fuzz`` (the same at scale). A case passes when the command ends with exit 0,
1 or 2 (never 70, "internal error"), an error is one line on stderr, every input file is
byte-identical afterwards, and a failed command leaves no output file behind.
"""

from __future__ import annotations

import contextlib
import io
import json
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from link_ls.cli import main
from tests.nbmake import component, notebook_json

GOOD = notebook_json(
    [component("load", "data = [1, 2]"), component("train", "model = sum(data)", ["load"])]
)


def _deep(n: int) -> str:
    nb = json.loads(GOOD)
    nb["metadata"]["deep"] = json.loads("[" * n + "]" * n)
    return json.dumps(nb)


def _stray() -> str:
    nb = json.loads(GOOD)
    cell = nb["cells"][0]
    cell["cell_type"] = "markdown"
    cell.pop("outputs")
    cell.pop("execution_count")
    return json.dumps(nb)


def _with(path: list[object], value: object) -> str:
    nb = json.loads(GOOD)
    node = nb
    for key in path[:-1]:
        node = node[key]  # type: ignore[index]
    node[path[-1]] = value  # type: ignore[index]
    return json.dumps(nb)


#: name -> bytes of a file no command may crash on
HOSTILE: dict[str, bytes] = {
    "empty": b"",
    "binary": bytes(range(256)) * 4,
    "not-utf8": b'{"cells": [], "nbformat": 4, "x": "\xff\xfe"}',
    "nested-200000": b"[" * 200_000 + b"]" * 200_000,
    "nested-900": _deep(900).encode(),
    "lone-surrogate": _with(["cells", 0, "source"], "x = '\ud800'").encode(
        "utf-8", "surrogatepass"
    ),
    "lone-surrogate-escaped": _with(["cells", 0, "source"], "\ud800").encode(),
    "surrogate-in-canvas": _with(["cells", 1, "metadata", "canvas", "name"], "\udfff").encode(),
    "stray-markdown-component": _stray().encode(),
    "cells-not-list": _with(["cells"], {"a": 1}).encode(),
    "canvas-not-object": _with(["cells", 0, "metadata", "canvas"], [1, 2]).encode(),
    "parents-garbage": _with(["cells", 1, "metadata", "canvas", "parents"], [None, 3]).encode(),
    "nbformat-3-odd": b'{"nbformat": 3, "worksheets": [{"cells": [7]}]}',
    "nbformat-99": _with(["nbformat"], 99).encode(),
    "huge-int": _with(["nbformat_minor"], 10**400).encode(),
    "null-bytes": GOOD.replace("data", "da\u0000ta").encode(),
    "percent-text-deep-header": ("# %% " + "[" * 5000 + "\nx = 1\n").encode(),
    "json-array": b"[1, 2, 3]",
}


@dataclass(frozen=True)
class Command:
    """A CLI invocation that reads ``F`` (the hostile file) and may write ``OUT``."""

    name: str
    argv: tuple[str, ...]
    suffix: str = ".ipynb"
    #: exit statuses accepted besides 1 and 2 (0 when the file is readable)
    writes: bool = False


COMMANDS: tuple[Command, ...] = (
    Command("check", ("check", "F")),
    Command("check-json", ("check", "--format", "json", "F")),
    Command("graph", ("graph", "F", "-o", "OUT"), writes=True),
    Command("graph-json", ("graph", "--format", "json", "F")),
    Command("graph-dot", ("graph", "--format", "dot", "F")),
    Command("export", ("export", "F", "-o", "OUT"), writes=True),
    Command("export-link", ("export", "--format", "link", "F")),
    Command("export-py", ("export", "--format", "py", "F", "-o", "OUT"), writes=True),
    Command("textconv", ("textconv", "F")),
    Command("diff-new", ("diff", "G", "F")),
    Command("diff-old-json", ("diff", "F", "G", "--format", "json", "-o", "OUT"), writes=True),
    Command("diff-html", ("diff", "G", "F", "--format", "html", "-o", "OUT"), writes=True),
    Command("merge-theirs", ("merge", "G", "G", "F", "-o", "OUT"), writes=True),
    Command("merge-base", ("merge", "F", "G", "G", "-o", "OUT"), writes=True),
    Command("merge-ours", ("merge", "G", "F", "G", "-o", "OUT"), writes=True),
    Command("import-into", ("import", "GJ", "--into", "F")),
    Command("import-file", ("import", "F", "--into", "G"), suffix=".json"),
    Command("convert-from", ("convert", "--from-path", "F", "--to-path", "OUT.json"), writes=True),
    Command(
        "convert-json",
        ("convert", "--from-path", "F", "--to-path", "OUT.ipynb"),
        suffix=".json",
        writes=True,
    ),
    Command("convert-py", ("convert", "--from-path", "F", "--to-path", "OUT.py"), writes=True),
    Command("cache-list", ("cache", "list", "F", "--cache-dir", "CACHE")),
    Command(
        "cache-export",
        ("cache", "export", "F", "-o", "OUT.tar.gz", "--cache-dir", "CACHE"),
        writes=True,
    ),
    Command(
        "cache-import",
        ("cache", "import", "F", "--notebook", "G", "--cache-dir", "CACHE"),
        suffix=".tar.gz",
    ),
    # a cell out of range: fails after reading the notebook, before any kernel starts
    Command("run", ("run", "F", "--to", "#99", "--cache-dir", "CACHE")),
    Command("resolve", ("resolve", "F")),
    Command("log", ("log", "F")),
)


@dataclass(frozen=True)
class Outcome:
    code: int
    stdout: str
    stderr: str


def run_cli(argv: list[str]) -> Outcome:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(argv)
        except SystemExit as e:  # argparse
            code = int(e.code or 0)
    return Outcome(code, out.getvalue(), err.getvalue())


def check_case(folder: Path, cmd: Command, data: bytes) -> str | None:
    """Run ``cmd`` on a file holding ``data``; the broken promise, or None when all held."""
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    hostile = folder / f"hostile{cmd.suffix}"
    hostile.write_bytes(data)
    good = folder / "good.ipynb"
    good.write_text(GOOD)
    good_json = folder / "good.json"
    good_json.write_text(
        '{"format": "link-ls-pipeline", "version": 1, "components": [], "parameters": []}'
    )
    out = folder / "out" / "result"
    out.parent.mkdir()
    names = {
        "F": str(hostile),
        "G": str(good),
        "GJ": str(good_json),
        "OUT": str(out),
        "OUT.json": str(out) + ".json",
        "OUT.ipynb": str(out) + ".ipynb",
        "OUT.py": str(out) + ".py",
        "OUT.tar.gz": str(out) + ".tar.gz",
        "CACHE": str(folder / "cache"),
    }
    inputs = {p: p.read_bytes() for p in (hostile, good, good_json)}
    got = run_cli([names.get(a, a) for a in cmd.argv])
    where = f"{cmd.name}: exit {got.code}: {got.stderr.strip()[:300]!r}"
    if got.code not in (0, 1, 2):
        return where
    if "internal error" in got.stderr or "Traceback" in got.stderr:
        return where
    if got.code == 2 and len(got.stderr.strip().splitlines()) != 1:
        return f"{where}: not one line"
    for p, before in inputs.items():
        if p.read_bytes() != before:
            return f"{where}: changed {p.name}"
    if got.code == 2 and cmd.writes and any(out.parent.iterdir()):
        return f"{where}: left {sorted(x.name for x in out.parent.iterdir())}"
    return None


#: unwritable targets (the suite may run as root, where permission bits do not stop writes)
def unwritable_targets(folder: Path) -> dict[str, str]:
    folder.mkdir(parents=True, exist_ok=True)
    a_file = folder / "a-file"
    a_file.write_text("x")
    a_dir = folder / "a-dir"
    a_dir.mkdir(exist_ok=True)
    return {
        "parent-is-a-file": str(a_file / "out"),
        "target-is-a-folder": str(a_dir),
        "no-such-folder": str(folder / "missing" / "out"),
        "proc": "/proc/link-ls-cannot-write-here",
    }


Writer = Callable[[str, str, str], list[str]]

#: commands with an output target: (good notebook, good pipeline json, target) -> argv
WRITERS: dict[str, Writer] = {
    "graph": lambda g, gj, t: ["graph", g, "-o", t],
    "export": lambda g, gj, t: ["export", g, "-o", t],
    "export-py": lambda g, gj, t: ["export", "--format", "py", g, "-o", t],
    "diff": lambda g, gj, t: ["diff", g, g, "--format", "json", "-o", t],
    "merge": lambda g, gj, t: ["merge", g, g, g, "-o", t],
    "convert": lambda g, gj, t: ["convert", "--from-path", g, "--to-path", t + ".json"],
    "import": lambda g, gj, t: ["import", gj, "--into", t + ".ipynb"],
    "cache-export": lambda g, gj, t: ["cache", "export", g, "-o", t + ".tar.gz"],
}
