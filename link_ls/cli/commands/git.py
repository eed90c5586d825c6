"""``link-ls git install|uninstall``: make git diff and merge notebooks cell by cell."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING, Any

from link_ls.cli.common import console, err_console

if TYPE_CHECKING:
    from link_ls.gitint.install import InstallReport

ORDER = 90


def register(sub: Any) -> None:
    p: argparse.ArgumentParser = sub.add_parser(
        "git",
        help="install/uninstall link-ls as git's diff and merge driver for *.ipynb",
        description="Register link-ls with git for *.ipynb: `git diff`/`git log -p` show "
        "cell-level text, and `git merge` merges cell by cell. Writes "
        "`*.ipynb merge=link-ls diff=link-ls` to .gitattributes (or your global attributes "
        "file with --global) and the driver commands to git config, using this interpreter's "
        "absolute path. See docs/git.md.",
    )
    gsub = p.add_subparsers(dest="git_command", metavar="ACTION", required=True)
    i = gsub.add_parser("install", help="register the diff textconv and merge driver")
    i.add_argument("--global", dest="global_", action="store_true", help="for your user")
    i.add_argument(
        "--force",
        action="store_true",
        help="take over even if another *.ipynb diff/merge driver (e.g. nbdime) is set",
    )
    i.set_defaults(func=run_install)
    u = gsub.add_parser("uninstall", help="remove exactly what install wrote")
    u.add_argument("--global", dest="global_", action="store_true", help="for your user")
    u.set_defaults(func=run_uninstall)


def _print(report: InstallReport, verb: str) -> None:
    for item in report.changed:
        console.print(f"{verb}: {item}", markup=False)
    for item in report.unchanged:
        console.print(f"already set: {item}", markup=False)
    if not report.changed and not report.unchanged:
        console.print(f"nothing to do ({report.scope})", markup=False)
    for w in report.warnings:
        err_console.print(f"link-ls: warning: {w}", markup=False)


def run_install(args: argparse.Namespace) -> int:
    from link_ls.gitint.install import install  # GitPython only when this command runs

    report = install(Path.cwd(), global_=args.global_, force=args.force)
    _print(report, "wrote")
    return 0


def run_uninstall(args: argparse.Namespace) -> int:
    from link_ls.gitint.install import uninstall

    report = uninstall(Path.cwd(), global_=args.global_)
    _print(report, "removed")
    return 0
