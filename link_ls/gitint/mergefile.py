"""git's own line merge of three files (``git merge-file --diff3``): the driver's fallback."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path


def merge_file(base: Path, ours: Path, theirs: Path) -> str | None:
    """The line-merged text with git's diff3 markers; None when git cannot merge them."""
    git = shutil.which("git")
    if git is None:
        return None
    cmd = [git, "merge-file", "-p", "--diff3", "-L", "ours", "-L", "base", "-L", "theirs"]
    try:
        proc = subprocess.run(
            [*cmd, str(ours), str(base), str(theirs)], capture_output=True, timeout=120
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    # exit status is the number of conflicts; negative (>127 here) means it could not merge
    if proc.returncode < 0 or proc.returncode > 127:
        return None
    try:
        return proc.stdout.decode("utf-8")
    except UnicodeDecodeError:
        return None
