"""``link-ls resolve``: rebuild a notebook git merged as plain text from index stages 1/2/3.

When git merged a notebook line by line (no driver installed), the working file
is JSON with conflict markers that no notebook tool opens. The three versions
are still in the index (stage 1 base, 2 ours, 3 theirs); merging those cell by
cell gives a notebook again, with conflicts as link-ls conflicts.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from link_ls.gitint.errors import GitError
from link_ls.gitint.stages import index_stages
from link_ls.merge.errors import MergeError, NotInMerge
from link_ls.merge.files import merge_texts
from link_ls.merge.model import MergeResult, OutputPolicy
from link_ls.notebook import dumps
from link_ls.notebook.formats import atomic_write_text


@dataclass(frozen=True)
class Resolved:
    path: Path
    result: MergeResult
    had_base: bool


def _looks_merged(path: Path) -> bool:
    """True when the working file already parses as JSON (not a text-merged notebook)."""
    try:
        json.loads(path.read_text(encoding="utf-8-sig"))
    except (OSError, UnicodeDecodeError, ValueError):
        return False
    return True


def resolve_path(
    path: str | Path, *, outputs: OutputPolicy = OutputPolicy.CLEAR, force: bool = False
) -> Resolved:
    """Merge stages 1/2/3 of ``path`` cell by cell and write the result over the working file."""
    p = Path(path)
    try:
        stages = index_stages(p).blobs
    except GitError as e:
        raise NotInMerge(str(e)) from None
    if not stages:
        raise NotInMerge(f"{p}: git has no conflict for this file (no index stages 1/2/3)")
    missing = [name for stage, name in ((2, "ours"), (3, "theirs")) if stage not in stages]
    if missing:
        raise MergeError(
            f"{p}: deleted on one side ({' and '.join(missing)} has no version); "
            "keep or remove the file with git add / git rm"
        )
    if p.exists() and _looks_merged(p) and not force:
        raise MergeError(
            f"{p}: already a valid notebook (not a text-merged one); "
            "use --force to rebuild it from the index and overwrite it"
        )

    def text(stage: int) -> str:
        data = stages.get(stage)
        if data is None:
            return ""
        try:
            return data.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise MergeError(f"{p}: index stage {stage} is not UTF-8 text") from None

    result = merge_texts(text(1), text(2), text(3), outputs=outputs)
    atomic_write_text(p, dumps(result.notebook))
    return Resolved(p, result, 1 in stages)
