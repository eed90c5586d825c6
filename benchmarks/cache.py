"""Cache speed: fresh run vs cached "run up to", and restore vs a bare read + unpickle.

Run: ``.venv/bin/python benchmarks/cache.py [--seconds 5] [--mb 100] [--repeat 3]``.
The pipeline: two cached upstream components that compute for ``seconds / 2``
each and produce ``mb / 2`` MB of arrays each (a ``bytearray`` and an
``array.array('d')``, stdlib only), and a target that reads both. Timings are
taken on a started kernel whose namespace is reset (untimed) before each run, so
kernel start-up (a constant no cache can change) and the harness's own clean-up
are left out; start-up is printed on its own.
Targets: cached run >= 30x faster than fresh; restore <= 1.2x the bare
read + unpickle of the same files inside the same kernel.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_notebook

from link_ls.cache import CacheOptions, CacheStore, PipelineStepCache
from link_ls.cache.trust import KEY_FILE_ENV
from link_ls.kernel import KernelSession
from link_ls.kernel.runner import run_plan
from link_ls.notebook import load
from link_ls.notebook.canvas import ParentRef, make_component_metadata
from link_ls.pipeline import build, plan_up_to

COMPUTE = """import array, hashlib, time
def _busy(seconds):
    end, h, n = time.perf_counter() + seconds, b"x", 0
    while time.perf_counter() < end:
        h = hashlib.sha256(h).digest()
        n += 1
    return n
"""


def make_notebook(folder: Path, seconds: float, mb: int, numpy: bool = False) -> Path:
    half = mb * (1 << 20) // 2
    gen = make_component_metadata("generate", diskcache=True)
    feat = make_component_metadata("features", [ParentRef(gen["id"], "generate")], diskcache=True)
    summ = make_component_metadata("summary", [ParentRef(feat["id"], "features")])
    if numpy:  # stored as .npy: loaded without unpickling
        make_raw = f"import numpy as np\nraw = np.ones({half}, dtype=np.uint8)\n"
        make_feats = f"feats = np.zeros({half // 8})\nfeats[0] = len(raw)\n"
    else:
        make_raw = f"raw = bytearray(b'\\x01' * {half})\n"
        make_feats = f"feats = array.array('d', bytes({half}))\nfeats[0] = len(raw)\n"
    cells = [
        (COMPUTE + f"rounds = _busy({seconds / 2})\n" + make_raw, gen),
        (f"rounds2 = _busy({seconds / 2})\n" + make_feats, feat),
        ("print(len(raw) + len(feats) * feats.itemsize, feats[0])\n", summ),
    ]
    nb = new_notebook()
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    for src, canvas in cells:
        c = new_code_cell(src)
        c.metadata["canvas"] = canvas
        nb.cells.append(c)
    path = folder / "bench.ipynb"
    path.write_text(nbformat.writes(nb))
    return path


def median_of(
    repeat: int, fn: Callable[[], object], setup: Callable[[], object] | None = None
) -> float:
    times = []
    for _ in range(repeat):
        if setup is not None:
            setup()  # untimed: emptying the namespace is not part of what is measured
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


@dataclass(frozen=True)
class CacheFigures:
    """Seconds, medians of ``repeat`` runs (kernel start-up: once)."""

    start_up: float
    fresh: float
    saving: float
    cached: float
    bare: float
    size: int


def measure(
    seconds: float = 5.0, mb: int = 100, repeat: int = 3, numpy: bool = False
) -> CacheFigures:
    with tempfile.TemporaryDirectory() as tmp:
        # entries are signed and checked with a key of this benchmark's own
        os.environ[KEY_FILE_ENV] = str(Path(tmp) / "config" / "cache.key")
        nb_path = make_notebook(Path(tmp), seconds, mb, numpy)
        nb = load(nb_path)
        plan = plan_up_to(build(nb), 2)
        store = CacheStore.for_notebook(nb_path)
        session = KernelSession(cwd=tmp)
        t0 = time.perf_counter()
        session.start()
        start_up = time.perf_counter() - t0

        def reset() -> None:
            session.run_silent("get_ipython().run_line_magic('reset', '-f')")

        def run(cache: PipelineStepCache | None) -> list[str]:
            report = run_plan(session, nb, plan, cache=cache)
            assert report.ok, report.to_json()
            return [r.status.value for r in report.steps]

        try:
            fresh = median_of(repeat, lambda: run(None), reset)
            reset()
            t0 = time.perf_counter()
            first = run(PipelineStepCache(store, CacheOptions()))
            saving = time.perf_counter() - t0
            assert first == ["executed"] * 3, first
            statuses: list[list[str]] = []
            cached = median_of(
                repeat,
                lambda: statuses.append(run(PipelineStepCache(store, CacheOptions()))),
                reset,
            )
            assert statuses[-1] == ["restored", "restored", "executed"], statuses[-1]
            files = [
                (str(store.entry_dir(m.key) / v.file.path), v.format)
                for m in store.entries()
                for v in m.variables
            ]
            # the bare floor: read and load each file by its format, no checks at all
            bare_code = (
                "import importlib, json, pickle\n"
                f"for __p, __fmt in {files!r}:\n"
                "    with open(__p, 'rb') as __f:\n"
                "        if __fmt == 'pickle':\n"
                "            pickle.load(__f)\n"
                "        elif __fmt == 'npy':\n"
                "            importlib.import_module('numpy').load(__f, allow_pickle=False)\n"
                "        else:\n"
                "            json.load(__f)\n"
            )

            bare_t = median_of(repeat, lambda: session.run_silent(bare_code), reset)
            size = sum(m.size for m in store.entries())
        finally:
            session.shutdown()
    return CacheFigures(start_up, fresh, saving, cached, bare_t, size)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=5.0, help="upstream compute in total")
    ap.add_argument("--mb", type=int, default=100, help="upstream arrays in total (MB)")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--numpy", action="store_true", help="NumPy arrays (.npy) instead of stdlib")
    args = ap.parse_args()
    f = measure(args.seconds, args.mb, args.repeat, args.numpy)
    fresh, saving, cached, bare_t = f.fresh, f.saving, f.cached, f.bare
    rows = [
        ("kernel start-up (not in the runs below)", f.start_up, ""),
        ("fresh run up to summary, no cache", fresh, ""),
        ("first run with cache (executes + saves)", saving, f"{saving / fresh:.2f}x fresh"),
        ("cached run up to summary (restores)", cached, f"{fresh / cached:.1f}x faster (>= 30x)"),
        ("bare read + unpickle, same files", bare_t, f"cached/bare {cached / bare_t:.2f} (<= 1.2)"),
        ("ceiling for any cache (fresh / bare)", None, f"{fresh / bare_t:.1f}x"),
    ]
    print(
        f"cache benchmark: {args.seconds:g} s upstream compute, {f.size / (1 << 20):.0f} MiB "
        f"cached ({'NumPy .npy' if args.numpy else 'stdlib, pickled'}), median of {args.repeat}"
    )
    width = max(len(r[0]) for r in rows)
    print(f"{'':{width}}  {'seconds':>8}  ratio")
    for name, secs, ratio in rows:
        shown = f"{secs:8.3f}" if secs is not None else " " * 8
        print(f"{name:{width}}  {shown}  {ratio}")


if __name__ == "__main__":
    main()
