"""The ``link-ls`` command line: parses arguments, calls the core, prints results.

Each subcommand lives in ``link_ls/cli/commands/<name>.py`` and registers itself
through ``register(subparsers)``; this module only discovers and dispatches.
"""

from __future__ import annotations

import argparse
import importlib
import os
import pkgutil
import sys
from collections.abc import Sequence
from typing import NoReturn

from link_ls import __version__
from link_ls.cli import commands
from link_ls.cli.common import err_console
from link_ls.errors import LinkError

#: subcommands whose module name differs from the command
_MODULE_OF = {"import": "importing", "merge-driver": "merge_driver"}


def _requested_module(argv: Sequence[str]) -> str | None:
    """The one command module ``argv`` asks for, so only it is imported (fast start)."""
    for arg in argv:
        if arg.startswith("-"):
            return None  # a global option (--help, --version) wants every command listed
        return _MODULE_OF.get(arg, arg.replace("-", "_"))
    return None


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line (and exit 2), like every other error."""

    def error(self, message: str) -> NoReturn:
        err_console.print(
            f"{self.prog}: error: {message} (see {self.prog} --help)",
            markup=False,
            highlight=False,
        )
        sys.exit(2)


def build_parser(argv: Sequence[str] | None = None) -> argparse.ArgumentParser:
    parser = _Parser(
        prog="link-ls",
        description="Jupyter notebooks as pipelines: check, graph, run, cache, diff, merge, "
        "export — and a language server for every editor.",
    )
    parser.add_argument("--version", action="version", version=f"link-ls {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    names = [info.name for info in pkgutil.iter_modules(commands.__path__)]
    wanted = _requested_module(argv) if argv is not None else None
    if wanted in names:
        names = [wanted]
    mods = []
    for name in names:
        mod = importlib.import_module(f"link_ls.cli.commands.{name}")
        if hasattr(mod, "register"):
            mods.append(mod)
    mods.sort(key=lambda m: (getattr(m, "ORDER", 100), m.__name__))
    for mod in mods:
        mod.register(sub)
    return parser


#: libraries jsonschema imports only to check string formats that link-ls never validates
_UNUSED_FORMAT_CHECKERS = (
    "rfc3987_syntax",
    "rfc3986_validator",
    "rfc3339_validator",
    "isoduration",
    "uri_template",
    "webcolors",
    "fqdn",
)


def skip_unused_imports() -> None:
    """Keep jsonschema's optional format checkers out of this process.

    jsonschema (under nbformat) imports rfc3987_syntax when it is installed (JupyterLab's
    dependencies bring it), which compiles dozens of grammars: ~1.7 s on every start, and
    ~100,000 objects the garbage collector walks ever after. link-ls never validates
    string formats, so its own processes (and its benchmarks) go without all of them.
    """
    for optional in _UNUSED_FORMAT_CHECKERS:
        sys.modules.setdefault(optional, None)  # type: ignore[arg-type]


def main(argv: Sequence[str] | None = None) -> int:
    skip_unused_imports()
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv == ["--version"]:
        print(f"link-ls {__version__}")
        return 0
    parser = build_parser(argv)
    args = parser.parse_args(argv)
    func = getattr(args, "func", None)
    if func is None:
        parser.print_help()
        return 2
    try:
        code: int = func(args)
        return code
    except LinkError as e:
        err_console.print(f"link-ls: error: {e}", markup=False, highlight=False)
        return e.exit_code
    except KeyboardInterrupt:
        err_console.print("link-ls: interrupted", markup=False)
        return 130
    except BrokenPipeError:
        return 0
    except OSError as e:
        # the environment refused (a read-only target, a full disk): bad input, not a bug
        where = f"{e.filename}: " if e.filename else ""
        err_console.print(
            f"link-ls: error: {where}{e.strerror or e}", markup=False, highlight=False
        )
        return 2
    except RecursionError:
        err_console.print(
            "link-ls: error: input nested too deeply to process", markup=False, highlight=False
        )
        return 2
    except Exception as e:  # last line of defence: one line, never a traceback
        if os.environ.get("LINK_LS_DEBUG"):
            raise
        err_console.print(
            f"link-ls: internal error: {type(e).__name__}: {e} (set LINK_LS_DEBUG=1 for details)",
            markup=False,
            highlight=False,
        )
        return 70


def run() -> None:
    sys.exit(main())
