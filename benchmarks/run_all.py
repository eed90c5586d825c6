"""Every benchmark in one run, printed as one table: link-ls against its peers, side by side.

Run: ``make bench`` (installs the ``bench`` extra: marimo, nbdime), or
``.venv/bin/python benchmarks/run_all.py [--quick]``. Each row is measured in this
run on this machine, link-ls and its peer one after the other, so the ratio is what
to compare between machines; absolute times vary. The peers: marimo (analysis, a
one-cell edit), nbdime (diff, merge), a bare read + unpickle (cache restore), a fresh
run (cached run), a bare pygls server started the same way (initialize); scaling
rows compare link-ls at 5,000 and 10,000 cells with itself at 1,000.
``--quick`` uses smaller sizes and fewer repeats (a smoke test of the runner).
"""

from __future__ import annotations

import argparse
import asyncio
import compileall
import gc
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from link_ls.cli import skip_unused_imports

skip_unused_imports()  # as every link-ls process does: the same heap as the real thing

sys.path.insert(0, str(Path(__file__).parent))
import analysis  # noqa: E402  (sibling scripts, not a package)
import cache  # noqa: E402
import diff_merge  # noqa: E402
import lsp_latency  # noqa: E402
import scale  # noqa: E402

BARE_PYGLS = """\
from pygls.lsp.server import LanguageServer

LanguageServer("bare-pygls", "0").start_io()
"""


@dataclass(frozen=True)
class Row:
    measure: str
    ours: str
    peer: str
    ratio: str
    target: str
    met: bool | None  # None: an informative row without a target


def secs(x: float) -> str:
    if x < 0.001:
        return f"{x * 1e6:.0f} µs"
    if x < 1:
        return f"{x * 1000:.1f} ms"
    return f"{x:.2f} s"


def median_of(fn: Callable[[], Any], repeat: int) -> float:
    """Median CPU seconds of ``repeat`` calls, after one untimed warm-up call (imports,
    caches). CPU time, not wall time: on a machine shared with other work it is what
    the call costs, and on an idle one the two agree (the work is single-threaded)."""
    fn()
    times = []
    for _ in range(repeat):
        t0 = time.process_time()
        fn()
        times.append(time.process_time() - t0)
    return statistics.median(times)


def child_cpu(cmd: Sequence[str], timeout: float) -> float:
    """CPU seconds (user + system) of one run of ``cmd`` as a child process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    try:
        r = subprocess.run(cmd, capture_output=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        raise SystemExit(f"timed out after {timeout:.0f} s: {' '.join(cmd)}") from None
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if r.returncode not in (0, 1):
        err = r.stderr.decode(errors="replace").strip().splitlines()[-1:] or [""]
        raise SystemExit(f"{' '.join(cmd)} exited {r.returncode}: {err[0]}")
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def progress(msg: str) -> None:
    print(f"  .. {msg}", file=sys.stderr, flush=True)


# -- analysis -------------------------------------------------------------------------
def analysis_rows(sizes: Sequence[int], repeat: int) -> list[Row]:
    rows: list[Row] = []
    base = sizes[0]
    src = analysis.synth_sources(base)
    progress(f"analysis of {base} cells: link-ls and marimo")
    # link-ls first, then marimo: marimo's graph (every cell's syntax tree and code) would
    # otherwise sit in the heap that link-ls's garbage collector walks, which a link-ls
    # process never has
    gc.collect()
    full = median_of(analysis.ours_full(src), repeat)
    edit = median_of(analysis.ours_edit(src), repeat * 10)
    gc.collect()
    marimo = analysis.marimo_fns(src)
    if marimo is None:
        raise SystemExit("marimo is not installed: `make bench` installs the bench extra")
    m_full = median_of(marimo[0], max(repeat // 2, 3))
    m_edit = median_of(marimo[1], repeat * 10)
    del marimo
    gc.collect()
    rows.append(
        Row(
            f"full analysis, {base:,} cells (core)",
            secs(full),
            f"marimo {secs(m_full)}",
            f"{m_full / full:.1f}× faster",
            "≤ 140 ms, ≥ 25×",
            full <= 0.140 and m_full / full >= 25,
        )
    )
    rows.append(
        Row(
            f"one-cell re-check, {base:,} cells (core)",
            secs(edit),
            f"marimo {secs(m_edit)}",
            f"{m_edit / edit:.1f}× faster",
            "≤ 1 ms, ≥ 2×",
            edit <= 0.001 and m_edit / edit >= 2,
        )
    )
    for n in sizes[1:]:
        progress(f"analysis of {n} cells")
        t = median_of(analysis.ours_full(analysis.synth_sources(n)), max(repeat // 2, 2))
        last = n == sizes[-1]
        rows.append(
            Row(
                f"full analysis, {n:,} cells (core)",
                secs(t),
                f"link-ls {base:,}: {secs(full)}",
                f"{t / full:.1f}× ({n // base}× cells)",
                "≤ 1.5 s, ≤ 12×" if last else "",
                (t <= 1.5 and t / full <= 12) if last else None,
            )
        )
    return rows


# -- language server --------------------------------------------------------------------
def lsp_rows(cells: int, edits: int, rss_edits: int, starts: int) -> list[Row]:
    progress("language server: initialize, link-ls and bare pygls")
    with tempfile.TemporaryDirectory() as tmp:
        bare = Path(tmp) / "bare_pygls.py"
        bare.write_text(BARE_PYGLS)
        ours_init, bare_init = [], []
        for _ in range(starts):  # interleaved, so both see the same machine
            ours_init.append(
                asyncio.run(lsp_latency.initialize_time(sys.executable, "-m", "link_ls", "serve"))
            )
            bare_init.append(asyncio.run(lsp_latency.initialize_time(sys.executable, str(bare))))
    o, b = statistics.median(ours_init), statistics.median(bare_init)
    progress(f"language server: {cells}-cell notebook, {max(edits, rss_edits)} edits")
    f = asyncio.run(lsp_latency.measure(cells, edits, rss_edits))
    growth = f.rss_end - f.rss_open
    return [
        Row(
            "process start → initialize answered",
            secs(o),
            f"bare pygls {secs(b)}",
            f"{o / b:.2f}× bare",
            "≤ 0.35 s, ≤ 1.15×",
            o <= 0.35 and o / b <= 1.15,
        ),
        Row(
            f"didChange → publishDiagnostics, {cells:,} cells, median",
            secs(f.median),
            "-",
            "-",
            "≤ 15 ms",
            f.median <= 0.015,
        ),
        Row(
            f"didChange → publishDiagnostics, {cells:,} cells, p95",
            secs(f.p95),
            "-",
            "-",
            "≤ 40 ms",
            f.p95 <= 0.040,
        ),
        Row(
            f"server RSS, {cells:,} cells, after {f.edits_sent:,} edits",
            f"{f.rss_end:.0f} MB",
            f"after didOpen {f.rss_open:.0f} MB",
            f"{growth:+.1f} MB",
            "≤ 150 MB, growth ≤ 5 MB",
            f.rss_end <= 150 and growth <= 5,
        ),
    ]


# -- cache ----------------------------------------------------------------------------------
def cache_rows(seconds: float, mb: int, repeat: int) -> list[Row]:
    progress(f"cache: {seconds:g} s of upstream compute, {mb} MB, a real kernel")
    f = cache.measure(seconds, mb, repeat)
    return [
        Row(
            "cached run-up-to (benchmark pipeline)",
            secs(f.cached),
            f"fresh run {secs(f.fresh)}",
            f"{f.fresh / f.cached:.1f}× faster",
            "≥ 30×",
            f.fresh / f.cached >= 30,
        ),
        Row(
            f"restore, {f.size / (1 << 20):.0f} MiB (cached run-up-to)",
            secs(f.cached),
            f"bare unpickle {secs(f.bare)}",
            f"{f.cached / f.bare:.2f}× bare",
            "≤ 1.2×",
            f.cached / f.bare <= 1.2,
        ),
        Row(
            "kernel start-up (not in the rows above)",
            secs(f.start_up),
            "-",
            "-",
            "",
            None,
        ),
    ]


def scale_rows(components: int, width: int, sleep: float, workers: int) -> list[Row]:
    """serial, parallel and dask (a LocalCluster started beforehand) on the wide synthetic
    pipeline of ``scale.py``, one round; wall-clock; speed-up over serial (issue 20)."""
    progress(
        f"scale-out: {components} components of {sleep:g} s, width {width}: "
        f"serial, parallel({workers}), dask({workers})"
    )
    with tempfile.TemporaryDirectory(prefix="link-ls-scale-") as tmp:
        path = Path(tmp) / "wide.ipynb"
        scale.synth(path, components, width, sleep)
        walls = {
            name: wall
            for name, wall, _ in scale.one_round(path, ["serial", "parallel", "dask"], workers)
        }
    base = walls["serial"]
    rows = []
    for name in (f"parallel({workers})", f"dask({workers})"):
        rows.append(
            Row(
                f"{name} vs serial, {components} components, width {width}",
                secs(walls[name]),
                f"serial {secs(base)}",
                f"{base / walls[name]:.2f}× faster",
                "≥ 3× (4 workers)",
                base / walls[name] >= 3,
            )
        )
    start = walls[f"dask({workers})+start"] - walls[f"dask({workers})"]
    rows.append(
        Row("dask LocalCluster start-up (not in the row above)", secs(start), "-", "-", "", None)
    )
    return rows


# -- diff and merge -------------------------------------------------------------------------
def _files(root: Path, n: int, ids: bool) -> diff_merge.Files:
    return diff_merge.prepare(root, n, ids)


def _link_ls(op: str, f: diff_merge.Files) -> list[str]:
    if op == "diff":
        return [*diff_merge.LINK_LS, "diff", str(f.base), str(f.ours)]
    b, o, t = str(f.base), str(f.ours), str(f.theirs)
    return [*diff_merge.LINK_LS, "merge", b, o, t, "-o", str(f.out)]


def _nbdime(op: str, f: diff_merge.Files) -> list[str]:
    if op == "diff":
        return [*diff_merge.NBDIME, "diff", "--no-color", str(f.base), str(f.ours)]
    peer_out = f.out.with_name(f"nbdime-{f.out.name}")
    b, o, t = str(f.base), str(f.ours), str(f.theirs)
    return [*diff_merge.NBDIME, "merge", b, o, t, "--out", str(peer_out)]


def _process(cmd: list[str], repeat: int, timeout: float, *, warm: bool = False) -> float:
    """Median CPU seconds of whole runs; a run over 20 s is timed once."""
    if warm:  # a first start reads every module from disk: not what a user's second run pays
        child_cpu(cmd, timeout)
    times: list[float] = []
    for _ in range(repeat):
        times.append(child_cpu(cmd, timeout))
        if times[-1] > 20:
            break
    return statistics.median(times)


def _in_process(op: str, f: diff_merge.Files, repeat: int) -> tuple[float, float]:
    """link-ls's core API and nbdime's, each reading the files itself."""
    import nbdime
    import nbformat

    from link_ls.diff.api import diff_files
    from link_ls.merge.files import merge_files

    def peer_read(p: Path) -> Any:
        return nbformat.read(str(p), as_version=4)

    if op == "diff":
        ours = median_of(lambda: diff_files(f.base, f.ours), repeat)
        peer = median_of(
            lambda: nbdime.diff_notebooks(peer_read(f.base), peer_read(f.ours)), repeat
        )
    else:
        ours = median_of(lambda: merge_files(f.base, f.ours, f.theirs), repeat)
        peer = median_of(
            lambda: nbdime.merge_notebooks(
                peer_read(f.base), peer_read(f.ours), peer_read(f.theirs)
            ),
            repeat,
        )
    return ours, peer


def diff_merge_rows(
    sizes: Sequence[int], repeat: int, repeat_in_process: int, timeout: float
) -> list[Row]:
    rows: list[Row] = []
    base = sizes[0]
    with tempfile.TemporaryDirectory(prefix="link-ls-bench-") as tmp:
        root = Path(tmp)
        noids = _files(root, base, ids=False)
        ours_1k: dict[str, float] = {}
        for op, want in (("diff", 100), ("merge", 200)):
            progress(f"{op} of {base} cells without ids: link-ls, then nbdime (slow)")
            ours = _process(_link_ls(op, noids), repeat, timeout, warm=True)
            peer = _process(_nbdime(op, noids), repeat, timeout)
            ours_1k[op] = ours
            rows.append(
                Row(
                    f"{op}, {base:,} cells without ids (process)",
                    secs(ours),
                    f"nbdime {secs(peer)}",
                    f"{peer / ours:.0f}× faster",
                    f"≥ {want}×",
                    peer / ours >= want,
                )
            )
        ids = _files(root, base, ids=True)
        for op in ("diff", "merge"):
            progress(f"{op} of {base} cells with ids, in-process API: link-ls and nbdime")
            ours, peer = _in_process(op, ids, repeat_in_process)
            rows.append(
                Row(
                    f"{op}, {base:,} cells with ids (in-process API)",
                    secs(ours),
                    f"nbdime {secs(peer)}",
                    f"{peer / ours:.0f}× faster",
                    "≤ 0.1 s, ≥ 15×",
                    ours <= 0.1 and peer / ours >= 15,
                )
            )
        for n in sizes[1:]:
            files = _files(root, n, ids=False)
            last = n == sizes[-1]
            for op, limit in (("diff", 8.0), ("merge", 10.0)):
                progress(f"{op} of {n} cells without ids")
                t = _process(_link_ls(op, files), max(repeat // 2, 1), timeout)
                rows.append(
                    Row(
                        f"{op}, {n:,} cells without ids (process)",
                        secs(t),
                        f"link-ls {base:,}: {secs(ours_1k[op])}",
                        f"{t / ours_1k[op]:.1f}× ({n // base}× cells)",
                        f"≤ {limit:g} s, ≤ 12×" if last else "",
                        (t <= limit and t / ours_1k[op] <= 12) if last else None,
                    )
                )
    return rows


def render(rows: Sequence[Row]) -> str:
    head = ("measure", "link-ls", "peer", "ratio", "target", "met")
    cells = [head] + [
        (
            r.measure,
            r.ours,
            r.peer,
            r.ratio,
            r.target or "-",
            "-" if r.met is None else ("yes" if r.met else "NO"),
        )
        for r in rows
    ]
    widths = [max(len(c[k]) for c in cells) for k in range(len(head))]
    lines = [" | ".join(c.ljust(w) for c, w in zip(cells[0], widths, strict=True))]
    lines.append("-+-".join("-" * w for w in widths))
    for c in cells[1:]:
        lines.append(" | ".join(v.ljust(w) for v, w in zip(c, widths, strict=True)))
    return "\n".join(line.rstrip() for line in lines)


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    ap.add_argument("--quick", action="store_true", help="small sizes, few repeats")
    args = ap.parse_args(argv)
    if args.quick:
        sizes, repeat, cells, edits, rss_edits, starts = (200, 400), 3, 200, 10, 20, 2
        seconds, mb, wide = 1.0, 10, (48, 8, 0.1)
    else:
        sizes, repeat, cells, edits, rss_edits, starts = (1000, 5000, 10000), 5, 1000, 50, 1000, 5
        seconds, mb, wide = 5.0, 100, (200, 8, 0.2)
    # link-ls's bytecode, as an installed package has it (pip compiles at install, as it did
    # for pygls and nbdime); an editable checkout under PYTHONDONTWRITEBYTECODE would
    # otherwise compile every module on every process start
    import link_ls

    compileall.compile_dir(Path(link_ls.__file__).parent, quiet=1)
    t0 = time.perf_counter()
    rows = [
        *analysis_rows(sizes, repeat),
        *lsp_rows(cells, edits, rss_edits, starts),
        *cache_rows(seconds, mb, max(repeat // 2, 2)),
        *diff_merge_rows(sizes, repeat, repeat, timeout=900),
        *scale_rows(*wide, workers=4),
    ]
    cpus = os.cpu_count() or 0
    print(
        f"link-ls benchmarks ({time.strftime('%Y-%m-%d %H:%M')}, {cpus} CPUs, "
        f"load {os.getloadavg()[0]:.1f}, {time.perf_counter() - t0:.0f} s in all; "
        "medians; ratios compare link-ls with the peer measured in the same run)"
    )
    print(
        "core, in-process and process rows: CPU seconds (what the work costs, whatever else "
        "runs on the machine); language-server, cache and scale-out rows (kernels): wall-clock"
    )
    print(render(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
