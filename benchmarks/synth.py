"""Synthetic notebooks for benchmarks: N code cells with stream outputs, and edited variants.

Deterministic (seeded). ``make_notebook`` builds a base notebook; ``edit`` returns a
copy with a few cells edited, some inserted and some deleted, so a diff benchmark
gets (base, edited) and a merge benchmark gets (base, ours, theirs) from two
``edit`` calls with different seeds (and, for a clean merge, disjoint regions).
"""

from __future__ import annotations

import copy
import json
import random
from pathlib import Path
from typing import Any


def _cell(k: int, rng: random.Random, ids: bool) -> dict[str, Any]:
    lines = [
        f"# step {k}: transform the data",
        f"value_{k} = transform_{k % 17}(value_{max(k - 1, 0)}, factor={rng.randint(1, 999)})",
        f"summary_{k} = describe(value_{k})",
        f"print('step {k}', summary_{k})",
    ]
    cell: dict[str, Any] = {
        "cell_type": "code",
        "execution_count": k + 1,
        "metadata": {},
        "outputs": [
            {
                "output_type": "stream",
                "name": "stdout",
                "text": [f"step {k} {rng.random():.6f}\n" for _ in range(rng.randint(1, 4))],
            }
        ],
        "source": "\n".join(lines),
    }
    if ids:
        cell["id"] = f"cell-{k:05d}-{rng.randrange(16**6):06x}"
    return cell


def make_notebook(n: int, *, ids: bool, seed: int = 0) -> dict[str, Any]:
    """An nbformat 4.5 notebook with cell ids, or 4.4 without."""
    rng = random.Random(seed)
    md_every = 10
    cells: list[dict[str, Any]] = []
    for k in range(n):
        if k % md_every == 0:
            md: dict[str, Any] = {
                "cell_type": "markdown",
                "metadata": {},
                "source": f"## Section {k // md_every}\nNotes about part {k // md_every}.",
            }
            if ids:
                md["id"] = f"md-{k:05d}"
            cells.append(md)
        else:
            cells.append(_cell(k, rng, ids))
    return {
        "cells": cells,
        "metadata": {
            "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
            "language_info": {"name": "python"},
        },
        "nbformat": 4,
        "nbformat_minor": 5 if ids else 4,
    }


def edit(
    nb: dict[str, Any],
    *,
    seed: int,
    edits: int = 5,
    inserts: int = 3,
    deletes: int = 3,
    region: tuple[float, float] = (0.0, 1.0),
) -> dict[str, Any]:
    """A copy of ``nb`` with cells edited/inserted/deleted inside ``region`` (fractions)."""
    rng = random.Random(seed)
    out = copy.deepcopy(nb)
    cells: list[dict[str, Any]] = out["cells"]
    ids = nb.get("nbformat_minor", 4) >= 5
    lo, hi = int(region[0] * len(cells)), max(int(region[1] * len(cells)) - 1, 0)
    for _ in range(edits):
        c = cells[rng.randint(lo, hi)]
        c["source"] = str(c["source"]) + f"\nresult = check({rng.randint(0, 10**6)})"
        if c["cell_type"] == "code":
            c["outputs"] = [{"output_type": "stream", "name": "stdout", "text": ["changed\n"]}]
    for _ in range(deletes):
        del cells[rng.randint(lo, min(hi, len(cells) - 1))]
    for u in range(inserts):
        new = _cell(100_000 + seed * 100 + u, rng, ids)
        new["source"] = f"inserted_{seed}_{u} = load_extra({rng.randint(0, 10**6)})"
        cells.insert(rng.randint(lo, min(hi, len(cells))), new)
    return out


def write(nb: dict[str, Any], path: Path) -> Path:
    path.write_text(json.dumps(nb, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    return path
