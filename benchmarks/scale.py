"""Scale-out speed: serial against parallel and dask on a wide synthetic pipeline.

Run: ``.venv/bin/python benchmarks/scale.py`` (needs ``pip install '.[dask]'``).
The pipeline has ``--components`` components in lanes of ``--width``: component
(layer L, lane j) sleeps ``--sleep`` seconds and reads lanes j and j+1 of layer L-1.
Each executor runs it from an empty store: serial with ``link-ls run --no-cache`` (it
saves nothing; parallel and dask must write every entry, that is how their components
get their inputs), dask on a LocalCluster started beforehand, as an existing cluster is
used (its start-up is shown on a row of its own). Prints wall time, the median
component time and the speed-up over serial. Target: >= 3x with 4 workers for 200
components of width 8.

``--quick`` runs 48 components of 0.1 s (a smoke run of about half a minute).
``--repeat N`` runs every executor N times, in rounds (serial and the others under the
same load), and prints medians; each line shows the load average after the run.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

from nbformat.v4 import new_code_cell, new_notebook

from link_ls.executors import ExecutorOptions, run_scaled
from link_ls.kernel.params import resolve_parameters
from link_ls.notebook import load
from link_ls.usecases import run as runs


def _id(name: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, "link-ls-bench/" + name))


def synth(path: Path, n: int, width: int, sleep: float) -> None:
    cells = []
    layers = (n + width - 1) // width
    count = 0
    for layer in range(layers):
        for lane in range(width):
            if count == n:
                break
            count += 1
            name = f"c{layer}_{lane}"
            if layer == 0:
                parents, expr = [], f"{lane}"
            else:
                ups = sorted({f"c{layer - 1}_{lane}", f"c{layer - 1}_{(lane + 1) % width}"})
                parents, expr = ups, " + ".join(f"v_{u}" for u in ups)
            cell = new_code_cell(f"import time\ntime.sleep({sleep})\nv_{name} = {expr}\n")
            cell.metadata["canvas"] = {
                "id": _id(name),
                "name": name,
                "isComponent": True,
                "componentType": "CodeCell",
                "parents": [{"id": _id(p), "name": p} for p in parents],
                "diskcache": False,
                "comments": [],
                "headerColor": "none",
            }
            cells.append(cell)
    nb = new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nb.metadata["language_info"] = {"name": "python"}
    path.write_text(json.dumps(nb, indent=1))


def serial(path: Path) -> tuple[float, list[float]]:
    t0 = time.monotonic()
    out = path.with_name("serial-out.ipynb")
    done = subprocess.run(
        [sys.executable, "-m", "link_ls", "run", str(path), "--no-cache", "-o", str(out)],
        capture_output=True,
        text=True,
        check=False,
    )
    wall = time.monotonic() - t0
    if done.returncode != 0:
        raise SystemExit(f"serial run failed:\n{done.stdout[-2000:]}{done.stderr[-2000:]}")
    return wall, []


def scaled(
    path: Path, executor: str, workers: int, scheduler: str | None = None
) -> tuple[float, list[float]]:
    nb = load(path)
    store = path.parent / f"store-{executor}"
    shutil.rmtree(store, ignore_errors=True)
    opts = ExecutorOptions(executor, workers, scheduler, str(store))
    t0 = time.monotonic()
    report = run_scaled(
        nb, runs.plan_run(nb, "all"), opts, resolve_parameters(nb.parameters, {}), {}
    )
    wall = time.monotonic() - t0
    if not report.report.ok:
        bad = [c.describe() for c in report.components if not c.ok][:3]
        raise SystemExit(f"{executor} run failed: {bad}")
    return wall, [c.duration for c in report.components if c.duration is not None]


def _load() -> str:
    """The 1-minute load average (the machine is shared: figures are read against it)."""
    try:
        return Path("/proc/loadavg").read_text().split()[0]
    except OSError:
        return "?"


def one_round(
    path: Path, executors: list[str], workers: int
) -> list[tuple[str, float, list[float]]]:
    """One run of each executor, in order, on the same pipeline."""
    rows: list[tuple[str, float, list[float]]] = []
    for ex in executors:
        if ex == "serial":
            wall, per = serial(path)
        elif ex == "dask":
            # a cluster is started once and reused, as with --scheduler; its start-up
            # (worker processes importing Dask) is reported on a row of its own
            from distributed import LocalCluster

            t0 = time.monotonic()
            with LocalCluster(n_workers=workers, threads_per_worker=1, silence_logs=40) as cluster:
                start = time.monotonic() - t0
                wall, per = scaled(path, ex, workers, cluster.scheduler_address)
            rows.append((f"dask({workers})+start", wall + start, []))
        else:
            wall, per = scaled(path, ex, workers)
        rows.append((ex if ex == "serial" else f"{ex}({workers})", wall, per))
        print(f"  {rows[-1][0]:<16} {wall:7.1f} s   load {_load()}", flush=True)
    return rows


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    ap.add_argument("--components", type=int, default=200)
    ap.add_argument("--width", type=int, default=8)
    ap.add_argument("--sleep", type=float, default=0.2)
    ap.add_argument("--workers", type=int, default=4)
    ap.add_argument("--repeat", type=int, default=1, help="rounds of every executor (medians)")
    ap.add_argument("--quick", action="store_true", help="48 components of 0.1 s")
    ap.add_argument(
        "--executors", default="serial,parallel,dask", help="comma-separated (default: all)"
    )
    args = ap.parse_args(argv)
    if args.quick:
        args.components, args.sleep = 48, 0.1
    walls: dict[str, list[float]] = {}
    ratios: dict[str, list[float]] = {}
    pers: dict[str, list[float]] = {}
    with tempfile.TemporaryDirectory(prefix="link-ls-scale-") as tmp:
        path = Path(tmp) / "wide.ipynb"
        synth(path, args.components, args.width, args.sleep)
        ideal = args.components * args.sleep
        print(
            f"{args.components} components, width {args.width}, {args.sleep} s each "
            f"(sleep alone: {ideal:.1f} s serial, "
            f"{ideal / min(args.workers, args.width):.1f} s on {args.workers} workers)"
        )
        for r in range(args.repeat):
            print(f"round {r + 1}/{args.repeat} (load {_load()})", flush=True)
            rows = one_round(path, args.executors.split(","), args.workers)
            base = next((w for name, w, _ in rows if name == "serial"), None)
            for name, wall, per in rows:
                walls.setdefault(name, []).append(wall)
                pers.setdefault(name, []).extend(per)
                if base:
                    # the speed-up of a round: serial and the executor under the same load
                    ratios.setdefault(name, []).append(base / wall)
    print(f"\n{'executor':<16} {'wall s':>8} {'median component s':>19} {'speed-up':>9}")
    for name, ws in walls.items():
        per = pers[name]
        med = f"{statistics.median(per):.2f}" if per else "-"
        ratio = f"{statistics.median(ratios[name]):.2f}x" if name in ratios else "-"
        print(f"{name:<16} {statistics.median(ws):8.1f} {med:>19} {ratio:>9}")
    if args.repeat > 1:
        print(f"(medians of {args.repeat} rounds; speed-up: median of each round's ratio)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
