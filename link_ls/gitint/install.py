"""``link-ls git install/uninstall``: register link-ls as git's diff textconv and merge driver.

Install writes ``*.ipynb merge=link-ls diff=link-ls`` to an attributes file and,
in git config, ``diff.link-ls.textconv`` (the cell-level text form, so ``git diff``
and ``git log -p`` show notebooks cell by cell) and ``merge.link-ls.{name,driver}``.
The configured commands use the absolute path of the running Python interpreter
(``/abs/python -m link_ls ...``), so they work from any shell, hook or GUI whatever
its PATH, and keep using this installation.

Install refuses to shadow another notebook driver (nbdime's ``jupyternotebook``,
or any other ``*.ipynb diff=``/``merge=``) unless forced, and says where it is set.
Uninstall removes only what install wrote: our two attribute lines and the two
``link-ls`` config sections.
"""

from __future__ import annotations

import shlex
import sys
from dataclasses import dataclass, field
from pathlib import Path

import git

from link_ls.errors import LinkError
from link_ls.gitint import attributes as attrs


class GitInstallError(LinkError):
    """Installing or removing the git integration is not possible as asked."""


class GitInstallRefused(GitInstallError):
    """Another notebook diff/merge driver is configured; install needs --force."""

    exit_code = 1


@dataclass(frozen=True)
class InstallReport:
    scope: str  # "repository" | "global"
    changed: tuple[str, ...] = ()
    unchanged: tuple[str, ...] = ()
    warnings: tuple[str, ...] = field(default=())


def link_ls_command(sub: str) -> str:
    """The shell command git runs: this interpreter, by absolute path, running link_ls."""
    return f"{shlex.quote(str(Path(sys.executable).absolute()))} -m link_ls {sub}"


def config_values() -> dict[tuple[str, str], str]:
    return {
        (f'diff "{attrs.DRIVER}"', "textconv"): link_ls_command("textconv"),
        (f'merge "{attrs.DRIVER}"', "name"): "link-ls cell-level notebook merge",
        (f'merge "{attrs.DRIVER}"', "driver"): link_ls_command("merge-driver %O %A %B %P"),
    }


class _Target:
    """Where install writes: attribute files and a git config level."""

    def __init__(self, cwd: Path, global_: bool) -> None:
        self.global_ = global_
        self.repo: git.Repo | None = None
        try:
            self.repo = git.Repo(cwd, search_parent_directories=True)
        except (git.InvalidGitRepositoryError, git.NoSuchPathError):
            if not global_:
                raise GitInstallError(
                    f"{cwd}: not inside a git repository (use --global to install for your user)"
                ) from None
        if self.repo is not None and not global_ and self.repo.working_tree_dir is None:
            raise GitInstallError(f"{cwd}: repository has no working tree")
        self.git = self.repo.git if self.repo is not None else git.Git(str(cwd))

    @property
    def level(self) -> str:
        return "--global" if self.global_ else "--local"

    def get(self, key: str, level: str | None = None) -> str | None:
        try:
            args = [level] if level else []
            out: str = self.git.config(*args, "--get", key)
            return out
        except git.GitCommandError:
            return None

    def main_attributes(self) -> Path:
        if self.global_:
            return attrs.global_attributes_file(self.get("core.attributesFile"))
        assert self.repo is not None and self.repo.working_tree_dir is not None
        return Path(self.repo.working_tree_dir) / ".gitattributes"

    def info_attributes(self) -> Path | None:
        if self.global_ or self.repo is None:
            return None
        return Path(self.repo.git_dir) / "info" / "attributes"

    def scanned_files(self) -> list[Path]:
        files = [self.main_attributes()]
        info = self.info_attributes()
        if info is not None:
            files.append(info)
            files.append(attrs.global_attributes_file(self.get("core.attributesFile")))
        return files

    def effective(self, attribute: str) -> str | None:
        """What git resolves ``attribute`` to for a notebook (repository scope only)."""
        if self.repo is None or self.global_:
            return None
        out: str = self.git.check_attr(attribute, "--", "notebook.ipynb")
        return out.rsplit(": ", 1)[-1].strip()


def _describe(t: _Target, f: attrs.ForeignDriver) -> str:
    key = "command" if f.attribute == "diff" else "driver"
    cmd = t.get(f"{f.attribute}.{f.driver}.{key}") or t.get(f"{f.attribute}.{f.driver}.textconv")
    who = " (nbdime)" if f.driver == "jupyternotebook" or (cmd and "nbdime" in cmd) else ""
    how = f" = {cmd}" if cmd else ""
    return f"{f.attribute}={f.driver}{who}{how} in {f.file}:{f.line_no}"


def install(cwd: Path, *, global_: bool = False, force: bool = False) -> InstallReport:
    t = _Target(cwd, global_)
    foreign = [f for p in t.scanned_files() for f in attrs.foreign_drivers(p)]
    if foreign and not force:
        found = "; ".join(_describe(t, f) for f in foreign)
        hint = " (nbdime: `nbdime config-git --disable`)" if "nbdime" in found else ""
        raise GitInstallRefused(
            f"*.ipynb already has another diff/merge driver: {found}. Remove it{hint} "
            "or run `link-ls git install --force` to take over"
        )
    changed: list[str] = []
    unchanged: list[str] = []
    main = t.main_attributes()
    (changed if attrs.add_our_lines(main) else unchanged).append(str(main))
    for (section, option), value in config_values().items():
        key = f"{section.split()[0]}.{attrs.DRIVER}.{option}"
        if t.get(key, t.level) == value:
            unchanged.append(key)
            continue
        t.git.config(t.level, key, value)
        changed.append(key)
    warnings: list[str] = []
    info = t.info_attributes()
    # $GIT_DIR/info/attributes outranks .gitattributes: a forced install must win there too
    forced_info = force and info is not None and any(f.file == info for f in foreign)
    if forced_info and info is not None and attrs.add_our_lines(info):
        changed.append(str(info))
    for attribute in ("diff", "merge"):
        eff = t.effective(attribute)
        if eff is not None and eff != attrs.DRIVER:
            warnings.append(f"git still resolves {attribute} for *.ipynb to {eff!r}")
    return InstallReport(
        "global" if global_ else "repository", tuple(changed), tuple(unchanged), tuple(warnings)
    )


def uninstall(cwd: Path, *, global_: bool = False) -> InstallReport:
    t = _Target(cwd, global_)
    changed: list[str] = []
    files = [t.main_attributes()]
    info = t.info_attributes()
    if info is not None:
        files.append(info)
    for f in files:
        if attrs.remove_our_lines(f):
            changed.append(str(f))
    for section in (f"diff.{attrs.DRIVER}", f"merge.{attrs.DRIVER}"):
        try:
            t.git.config(t.level, "--remove-section", section)
            changed.append(section)
        except git.GitCommandError:
            pass  # not there: nothing of ours to remove
    return InstallReport("global" if global_ else "repository", tuple(changed))
