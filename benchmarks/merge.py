"""Benchmark: `link-ls merge` against nbdime's `nbmerge` on synthetic base/ours/theirs triplets.

Run: ``.venv/bin/python benchmarks/merge.py [--sizes 200 1000 3000] [--repeat 3]``.
Two rows per size and id mode: ``merge`` (ours edits the first half, theirs the
second: a clean merge) and ``merge-x`` (both edit anywhere: overlapping edits,
conflicts). Prints median wall times of whole processes and the ratio
nbdime / link-ls; without nbdime installed its column says so. The notebooks come
from ``benchmarks/synth.py`` and the timing table from ``benchmarks/diff_merge.py``.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
import diff_merge  # sibling script, not a package
import synth


def merge_cases(f: diff_merge.Files, n: int, ids: bool) -> list[diff_merge.Case]:
    tag = f"{n}-{'ids' if ids else 'noids'}"
    root = f.base.parent
    base = synth.make_notebook(n, ids=ids, seed=n)
    # both sides edit across the whole notebook, so some edits land in the same cells
    ours_x = synth.write(synth.edit(base, seed=11, edits=15), root / f"ours-x-{tag}.ipynb")
    theirs_x = synth.write(synth.edit(base, seed=12, edits=15), root / f"theirs-x-{tag}.ipynb")
    rows = []
    for op, ours, theirs in (("merge", f.ours, f.theirs), ("merge-x", ours_x, theirs_x)):
        out = root / f"out-{op}-{tag}.ipynb"
        peer_out = root / f"nbdime-{op}-{tag}.ipynb"
        b, o, t = str(f.base), str(ours), str(theirs)
        rows.append(
            diff_merge.Case(
                op,
                n,
                ids,
                [*diff_merge.LINK_LS, "merge", b, o, t, "-o", str(out)],
                [*diff_merge.NBDIME, "merge", b, o, t, "--out", str(peer_out)],
            )
        )
    return rows


if __name__ == "__main__":
    diff_merge.CASE_BUILDERS[:] = [merge_cases]
    sys.exit(diff_merge.main())
