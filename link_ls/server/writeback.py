"""After ``link.run`` on a text document: write the outputs into the ``.ipynb`` on disk,
but only when the editor holds no unsaved change to it.

"Not dirty" is decided against the file itself: an ``.ipynb`` opened as JSON must
equal the file (as JSON); a jupytext buffer of an ``.ipynb`` (Neovim's
jupytext.nvim) must have the file's cells, type and source alike. Outputs go into
the notebook *read from disk*, so every key of the file is kept, and it is saved
atomically after ``nbformat`` validation (``link_ls.usecases.run.write_outputs``,
as ``link-ls run --write`` does). Notebook documents are never written:
their editor shows the outputs and owns the file. A file that is not open is
written only when ``"write": true`` is asked.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

from link_ls.errors import LinkError
from link_ls.notebook import Notebook, load
from link_ls.server.snapshot import DocKind
from link_ls.usecases.run import write_outputs

if TYPE_CHECKING:
    from link_ls.kernel.report import RunReport
    from link_ls.server.workspace import Target

log = logging.getLogger(__name__)


def _same_cells(a: Notebook, b: Notebook) -> bool:
    ra, rb = a.raw_cells, b.raw_cells
    if len(ra) != len(rb):
        return False
    return all(
        x.get("cell_type") == y.get("cell_type") and ca.source == cb.source
        for x, y, ca, cb in zip(ra, rb, a.cells, b.cells, strict=True)
    )


def _same_json(text: str, disk: str) -> bool:
    if text == disk:
        return True
    try:
        return bool(json.loads(text) == json.loads(disk))
    except ValueError:
        return False


def _why_not(t: Target, path: Path) -> tuple[str | None, Notebook | None]:
    snap = t.snap
    if snap is None:
        # a file that is not open: it was read from disk just now
        if t.notebook.fmt.is_text:
            return "a text notebook does not store outputs", None
        return None, t.notebook
    if snap.kind not in (DocKind.IPYNB, DocKind.JUPYTEXT) or snap.text is None:
        return "only text documents of an .ipynb are written", None
    if path.suffix.lower() != ".ipynb":
        return "a text notebook (.py) does not store outputs", None
    try:
        disk_text = path.read_text(encoding="utf-8-sig")
    except OSError as e:
        return f"cannot read the file: {e.strerror or e}", None
    try:
        disk = load(path)
    except LinkError as e:
        return f"the file on disk is not a readable notebook: {e}", None
    if disk.fmt.is_text:
        return "the file on disk is jupytext text, which does not store outputs", None
    assert snap.notebook is not None
    clean = (
        _same_json(snap.text, disk_text)
        if snap.kind is DocKind.IPYNB
        else _same_cells(snap.notebook, disk)
    )
    if not clean:
        return "the document has unsaved changes", None
    return None, disk


def save_outputs(t: Target, report: RunReport) -> dict[str, Any]:
    """``{"path", "written", "reason"}``: whether the outputs went to the file, and why not."""
    path = t.notebook.path if t.snap is None else Path(t.snap.path) if t.snap.path else None
    if path is None:
        return {"path": None, "written": False, "reason": "the document has no file"}
    reason, disk = _why_not(t, path)
    if reason is None and disk is not None:
        try:
            write_outputs(disk, report, path)
        except LinkError as e:
            reason = str(e)
        except OSError as e:
            reason = f"cannot write the file: {e.strerror or e}"
    if reason is not None:
        log.info("outputs of %s not written: %s", path, reason)
    return {"path": str(path), "written": reason is None, "reason": reason}
