"""Helpers every subcommand shares: consoles, notebook loading, output files."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from link_ls.errors import UsageError

if TYPE_CHECKING:
    from rich.console import Console

    from link_ls.notebook import Notebook


class _LazyConsole:
    """A rich ``Console`` made on first use: rich costs ~45 ms to import, and ``serve``,
    ``diff`` or ``merge`` writing plain text never need it."""

    def __init__(self, stderr: bool) -> None:
        self._stderr = stderr
        self._console: Console | None = None

    def __getattr__(self, name: str) -> Any:
        if self._console is None:
            from rich.console import Console

            self._console = Console(stderr=self._stderr, highlight=False, soft_wrap=True)
        return getattr(self._console, name)


console = cast("Console", _LazyConsole(stderr=False))
err_console = cast("Console", _LazyConsole(stderr=True))


def load_notebook(path: str) -> Notebook:
    from link_ls.notebook import load  # here: ``serve`` imports this module, not the notebook

    return load(path)


def add_format(parser: argparse.ArgumentParser, choices: list[str], default: str) -> None:
    parser.add_argument(
        "--format", choices=choices, default=default, help=f"output format (default: {default})"
    )


def emit(text: str, output: str | None) -> None:
    """Print ``text``, or write it atomically to ``output`` when given."""
    if output:
        path = Path(output)
        if not path.parent.exists():
            raise UsageError(f"{output}: folder {path.parent} does not exist")
        from link_ls.notebook.formats import atomic_write_text

        atomic_write_text(path, text if text.endswith("\n") else text + "\n")
    else:
        sys.stdout.write(text if text.endswith("\n") else text + "\n")
        sys.stdout.flush()


def emit_json(data: Any, output: str | None = None) -> None:
    emit(json.dumps(data, indent=2, ensure_ascii=False), output)
