"""Git integration: register link-ls as the diff textconv and merge driver for notebooks."""

from __future__ import annotations

from link_ls.gitint.install import (
    GitInstallError,
    GitInstallRefused,
    InstallReport,
    install,
    uninstall,
)

__all__ = ["GitInstallError", "GitInstallRefused", "InstallReport", "install", "uninstall"]
