"""Finding kernel processes in the process table by the tag link-ls puts in their command line."""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path


def processes_with(tag: str) -> list[int]:
    """Pids of live (non-zombie) processes whose command line contains ``tag``."""
    me = os.getpid()
    found: list[int] = []
    proc = Path("/proc")
    if proc.is_dir():
        for d in proc.iterdir():
            if not d.name.isdigit() or int(d.name) == me:
                continue
            try:
                cmd = (d / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            except OSError:
                continue
            if tag in cmd:
                found.append(int(d.name))
        return found
    out = subprocess.run(["ps", "-eww", "-o", "pid=,stat=,args="], capture_output=True, text=True)
    for line in out.stdout.splitlines():
        pid, stat, args = [*line.strip().split(None, 2), "", ""][:3]
        if tag in args and not stat.startswith("Z") and int(pid) != me:
            found.append(int(pid))
    return found


def wait_gone(tag: str, timeout: float = 15.0) -> list[int]:
    """Wait until no process carries ``tag``; returns the stragglers (empty when all gone)."""
    deadline = time.monotonic() + timeout
    left = processes_with(tag)
    while left and time.monotonic() < deadline:
        time.sleep(0.2)
        left = processes_with(tag)
    return left


def pid_alive(pid: int) -> bool:
    stat = Path(f"/proc/{pid}/stat")
    if stat.exists():
        try:
            return stat.read_text().split(") ", 1)[1][0] != "Z"
        except (OSError, IndexError):
            return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
