"""Static analysis speed: link-ls (analysis + DAG + checks) against marimo's compiler + graph.

Run: ``.venv/bin/python benchmarks/analysis.py`` (marimo is optional: ``pip install
'.[bench]'``). Prints medians of CPU milliseconds (as ``run_all.py``: what the work costs,
whatever else runs on the machine), marimo/link-ls ratios, and each size's time over the
first size's. Targets (issue 19): 1000 cells in <= 140 ms and >= 25x marimo; a one-cell
re-check in <= 1 ms and >= 2x faster than marimo; 10,000 cells <= 1.5 s and <= 12x 1,000
cells (``--sizes 1000 10000``). `run_all.py` (`make bench`) puts these in the common table.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import time
from collections.abc import Callable
from typing import Any

import nbformat
from nbformat.v4 import new_code_cell, new_notebook

from link_ls.analysis import AnalysisCache
from link_ls.notebook import Notebook
from link_ls.pipeline import build, check
from link_ls.pipeline.index import build_after

SIZES = (250, 1000, 2000)


def synth_sources(n: int, seed: int = 1) -> list[str]:
    """Data-science-like cells: each defines a few names and reads earlier ones."""
    rng = random.Random(seed)
    out: list[str] = []
    for i in range(n):
        reads = [f"v{rng.randrange(i)}" for _ in range(min(i, 3))]
        body = [
            f"import math as m{i}" if i % 10 == 0 else f"# step {i}",
            f"v{i} = [{' + '.join(reads) or '1'} for _ in range(3)]",
            f"def f{i}(a, b={i}):\n    return sum(a) * b + len(v{i})",
            f"w{i} = {{k: f{i}(v{i}) for k in range(2)}}",
            f"v{i}.append(w{i}[0])" if i % 4 == 0 else f"print(len(w{i}))",
        ]
        if i % 25 == 0:
            body.append(f"%time t{i} = f{i}(v{i})")
        out.append("\n".join(body))
    return out


def notebook_of(sources: list[str]) -> Notebook:
    nb = new_notebook()
    nb.cells = [new_code_cell(s) for s in sources]
    return Notebook(nbformat.from_dict(nb))


def median_ms(fn: Callable[[], Any], repeat: int) -> float:
    """Median CPU milliseconds of ``repeat`` calls, after one untimed warm-up call."""
    fn()
    times = []
    for _ in range(repeat):
        t0 = time.process_time()
        fn()
        times.append((time.process_time() - t0) * 1000)
    return statistics.median(times)


def ours_full(sources: list[str]) -> Callable[[], Any]:
    nb = notebook_of(sources)  # building cells (nbformat validates each) is not analysis

    def run() -> Any:
        nb.touch()
        return check(build(nb, AnalysisCache()))

    return run


def ours_edit(sources: list[str]) -> Callable[[], Any]:
    cache = AnalysisCache()
    nb = notebook_of(sources)
    last = [build(nb, cache)]
    check(last[0])
    mid = len(sources) // 2
    counter = [0]

    def run() -> Any:
        counter[0] += 1
        nb.set_source(mid, sources[mid] + f"\nextra_{counter[0]} = v{mid}")
        last[0] = build_after(last[0], nb, cache)  # incremental from the last version
        return check(last[0])

    return run


def marimo_fns(sources: list[str]) -> tuple[Callable[[], Any], Callable[[], Any]] | None:
    try:
        from marimo._ast.compiler import compile_cell
        from marimo._runtime.dataflow import DirectedGraph
    except ImportError:
        return None
    # marimo rejects IPython syntax and multiply defined names differently; give it plain code
    plain = [s.replace("%time ", "") for s in sources]

    def full() -> Any:
        g = DirectedGraph()
        for i, s in enumerate(plain):
            g.register_cell(str(i), compile_cell(s, str(i)))  # type: ignore[arg-type]
        return g

    g = full()
    mid = len(plain) // 2
    counter = [0]

    def edit() -> Any:
        counter[0] += 1
        g.delete_cell(str(mid))  # type: ignore[arg-type]
        src = plain[mid] + f"\nextra_{counter[0]} = v{mid}"
        g.register_cell(str(mid), compile_cell(src, str(mid)))  # type: ignore[arg-type]

    return full, edit


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--sizes", type=int, nargs="*", default=list(SIZES))
    ap.add_argument(
        "--marimo-max", type=int, default=2000, help="no marimo above this many cells (slow)"
    )
    args = ap.parse_args()
    rows = []
    for n in args.sizes:
        src = synth_sources(n)
        full = median_ms(ours_full(src), args.repeat)
        edit = median_ms(ours_edit(src), args.repeat * 10)
        m = marimo_fns(src) if n <= args.marimo_max else None
        mfull = median_ms(m[0], args.repeat) if m else None
        medit = median_ms(m[1], args.repeat * 10) if m else None
        rows.append((n, full, mfull, edit, medit))
    head = f"{'cells':>6} | {'full: link-ls':>13} {'marimo':>9} {'ratio':>6} {'/first':>7} |"
    head += f" {'1-cell edit: link-ls':>20} {'marimo':>9} {'ratio':>6}"
    print(
        "median CPU milliseconds (ratio = marimo / link-ls, higher is better for link-ls;"
        f" /first = full time over the first size's); load {os.getloadavg()[0]:.1f}"
    )
    print(head)
    print("-" * len(head))
    first = rows[0][1] if rows else 1.0
    for n, full, mfull, edit, medit in rows:

        def fmt(x: float | None) -> str:
            return f"{x:9.2f}" if x is not None else f"{'n/a':>9}"

        def ratio(a: float | None, b: float) -> str:
            return f"{a / b:5.1f}x" if a is not None else f"{'-':>6}"

        print(
            f"{n:>6} | {full:13.2f} {fmt(mfull)} {ratio(mfull, full)} {full / first:6.1f}x |"
            f" {edit:20.3f} {fmt(medit)} {ratio(medit, edit)}"
        )


if __name__ == "__main__":
    main()
