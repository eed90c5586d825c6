"""Benchmark: `link-ls diff` (and, later, `link-ls merge`) against nbdime on synthetic notebooks.

Run: ``.venv/bin/python benchmarks/diff_merge.py [--sizes 200 1000 3000] [--repeat 3]``.
Prints one table of median wall times (whole processes, as a user runs them) and the
ratio nbdime / link-ls. nbdime is a benchmark-only dependency (the ``bench`` extra);
without it the nbdime column says so.

To add rows, append :class:`Case` values in a ``*_cases`` function and list it in
``CASE_BUILDERS`` — e.g. merge: ``Case("merge", n, ids, [*LINK_LS, "merge", b, o, t,
"-o", out], [*NBDIME, "merge", b, o, t, "-o", out])`` built from ``synth.edit`` twice.
"""

from __future__ import annotations

import argparse
import importlib.util
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
import synth  # sibling script, not a package

LINK_LS = [sys.executable, "-m", "link_ls"]
NBDIME = [sys.executable, "-m", "nbdime"]


@dataclass(frozen=True)
class Case:
    """One row: the same work done by link-ls (``ours``) and by the peer tool."""

    op: str
    cells: int
    ids: bool
    ours: list[str]
    peer: list[str] | None  # None: no peer for this row


@dataclass(frozen=True)
class Files:
    base: Path
    ours: Path
    theirs: Path
    out: Path


def prepare(root: Path, n: int, ids: bool) -> Files:
    base = synth.make_notebook(n, ids=ids, seed=n)
    # ours edits the first half and theirs the second, so a merge of them is clean
    ours = synth.edit(base, seed=1, region=(0.0, 0.5))
    theirs = synth.edit(base, seed=2, region=(0.5, 1.0))
    tag = f"{n}-{'ids' if ids else 'noids'}"
    return Files(
        synth.write(base, root / f"base-{tag}.ipynb"),
        synth.write(ours, root / f"ours-{tag}.ipynb"),
        synth.write(theirs, root / f"theirs-{tag}.ipynb"),
        root / f"out-{tag}.ipynb",
    )


def diff_cases(f: Files, n: int, ids: bool) -> list[Case]:
    return [
        Case(
            "diff",
            n,
            ids,
            [*LINK_LS, "diff", str(f.base), str(f.ours)],
            [*NBDIME, "diff", "--no-color", str(f.base), str(f.ours)],
        )
    ]


#: each builder turns prepared files into rows; the merge engineer adds ``merge_cases`` here
CASE_BUILDERS: list[Callable[[Files, int, bool], list[Case]]] = [diff_cases]


def timed(cmd: Sequence[str], timeout: float) -> float | None:
    """Seconds for one run, or None on timeout. A failing command is reported, not timed."""
    t0 = time.perf_counter()
    try:
        r = subprocess.run(cmd, capture_output=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        return None
    dt = time.perf_counter() - t0
    if r.returncode not in (0, 1):
        err = r.stderr.decode(errors="replace").strip().splitlines()[-1:] or [""]
        print(f"  ! {' '.join(cmd[2:4])} exited {r.returncode}: {err[0]}", file=sys.stderr)
    return dt


def median(cmd: Sequence[str], repeat: int, timeout: float) -> float | None:
    times: list[float] = []
    for _ in range(repeat):
        t = timed(cmd, timeout)
        if t is None:
            return None
        times.append(t)
        if t > 20:  # slow runs: one sample is enough to compare
            break
    return statistics.median(times)


def _fmt(t: float | None, timeout: float) -> str:
    return f">{timeout:.0f}" if t is None else f"{t:.2f}"


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    ap.add_argument("--sizes", type=int, nargs="+", default=[200, 1000, 3000])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--timeout", type=float, default=900, help="per peer run, seconds")
    args = ap.parse_args(argv)
    have_peer = importlib.util.find_spec("nbdime") is not None
    rows: list[tuple[str, ...]] = []
    with tempfile.TemporaryDirectory(prefix="link-ls-bench-") as tmp:
        for n in args.sizes:
            for ids in (True, False):
                files = prepare(Path(tmp), n, ids)
                for build in CASE_BUILDERS:
                    for case in build(files, n, ids):
                        ours = median(case.ours, args.repeat, args.timeout)
                        peer = None
                        if case.peer is not None and have_peer:
                            peer = median(case.peer, args.repeat, args.timeout)
                        if case.peer is None or not have_peer:
                            peer_s, ratio = "n/a", "n/a"
                        else:
                            peer_s = _fmt(peer, args.timeout)
                            if ours is None:
                                ratio = "n/a"
                            elif peer is None:
                                ratio = f">{args.timeout / ours:.0f}x"
                            else:
                                ratio = f"{peer / ours:.1f}x"
                        row = (
                            case.op,
                            str(n),
                            "yes" if ids else "no",
                            _fmt(ours, args.timeout),
                            peer_s,
                            ratio,
                        )
                        rows.append(row)
                        print("  " + "  ".join(row), file=sys.stderr, flush=True)
    head = ("op", "cells", "ids", "link-ls s", "nbdime s", "nbdime/link-ls")
    widths = [max(len(r[k]) for r in [head, *rows]) for k in range(len(head))]
    print("median wall time per command (whole process), lower is better")
    for r in [head, tuple("-" * w for w in widths), *rows]:
        print("  ".join(c.rjust(w) for c, w in zip(r, widths, strict=True)))
    if not have_peer:
        print("nbdime is not installed: `pip install nbdime` (the `bench` extra) for its column")
    return 0


if __name__ == "__main__":
    sys.exit(main())
