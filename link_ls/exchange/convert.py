"""Convert a pipeline between files, chosen by extension: ``.ipynb``, Link ``.json``, ``.py``.

The shape of ``mrx-link convert --from-path A --to-path B``, over link-ls's formats:

============  ==============================================================  ============
from → to     what is written                                                 source
============  ==============================================================  ============
.ipynb        (from .json) a new notebook holding the file's components, as   .json,
              ``link-ls import`` makes it; (from .py) the percent notebook    percent .py
              as .ipynb, every cell kept
.json         Link's pipeline JSON of the notebook's components (from .json:  .ipynb,
              the same pipeline in Link's format, e.g. from link-ls's own)    .json, .py
.py           the runnable script of ``export --format py``                   .ipynb,
                                                                              .json, .py
.yaml, .yml   the Kubeflow pipeline spec of ``export --format kfp`` (default  .ipynb,
              image and packages; target only)                                .json, .py
============  ==============================================================  ============

A ``.py`` source must be a jupytext percent notebook (``# %%`` cells, as link-ls and
jupytext write them); any other Python file is refused, including a script this module
wrote (a script does not keep the pipeline's edges). ``.ipynb`` to ``.ipynb`` has nothing
to convert and is refused, as Link refuses a conversion to the same format.

The target is written atomically and overwritten when it exists, as ``mrx-link convert``
does; converting a file onto itself is refused. Everything is read and converted before
anything is written, so a bad source leaves the target untouched. Link 2.7 itself, for
the record: converts ``.ipynb`` to ``.json`` or Kubeflow ``.yaml`` (running the whole
pipeline for the latter) and ``.yaml`` to ``.ipynb``, exits 0 on ``.json`` to ``.ipynb``
without writing anything, and refuses ``.py`` and same-format conversions (exit 1).
"""

from __future__ import annotations

import copy
import os
import uuid
from dataclasses import dataclass
from pathlib import Path

from link_ls.errors import UsageError
from link_ls.exchange.export import collect
from link_ls.exchange.files import dumps_pipeline, load_pipeline
from link_ls.exchange.importer import apply_import, new_notebook, plan_import
from link_ls.exchange.model import ExchangePipeline
from link_ls.notebook import Notebook, NotebookFormat, dumps, load
from link_ls.notebook.formats import atomic_write_text

#: extension -> what link-ls reads and writes under it
KINDS = {
    ".ipynb": "notebook",
    ".json": "Link pipeline JSON",
    ".py": "Python script",
    ".yaml": "Kubeflow pipeline spec",
    ".yml": "Kubeflow pipeline spec",
}


@dataclass(frozen=True)
class Conversion:
    """A conversion decided and rendered, not yet written."""

    source: Path
    target: Path
    #: KINDS values of both ends
    source_kind: str
    target_kind: str
    components: int
    parameters: int
    #: the target's new content
    text: str
    #: the target exists (and will be overwritten)
    overwrites: bool


def _kind(path: Path) -> str:
    kind = KINDS.get(path.suffix.lower())
    if kind is None:
        raise UsageError(
            f"{path}: unknown extension {path.suffix or '(none)'!r}; convert between "
            + ", ".join(KINDS)
        )
    return kind


def _read_notebook(path: Path) -> Notebook:
    nb = load(path)
    if path.suffix.lower() == ".py" and nb.fmt.kind != "percent":
        raise UsageError(
            f"{path}: a Python script, not a jupytext percent notebook (no '# %%' cells); "
            "only a notebook or a pipeline JSON can be converted"
        )
    return nb


def _notebook_text(nb: Notebook, path: Path) -> str:
    """A text notebook as ``.ipynb`` 4.5: text forms keep no cell ids, Link 2.7 needs them."""
    node = copy.deepcopy(nb.node)
    taken = {c["id"] for c in node["cells"] if isinstance(c.get("id"), str)}
    for c in node["cells"]:
        while not isinstance(c.get("id"), str):
            new = uuid.uuid4().hex[:8]
            if new not in taken:
                c["id"] = new
                taken.add(new)
    node["nbformat_minor"] = max(int(node.get("nbformat_minor", 0)), 5)
    return dumps(Notebook(node, path=path, fmt=NotebookFormat("ipynb", None, 5)))


def _from_pipeline(pipe: ExchangePipeline, source: Path, target: Path) -> str:
    if target.suffix.lower() == ".ipynb":
        nb = new_notebook(pipe)
        nb.path = target
        apply_import(nb, plan_import(nb, pipe))
        return dumps(nb)
    suffix = target.suffix.lower()
    fmt = "link" if suffix == ".json" else "kfp" if suffix in (".yaml", ".yml") else "py"
    return dumps_pipeline(pipe, fmt, source.name)


def plan_convert(source: str | os.PathLike[str], target: str | os.PathLike[str]) -> Conversion:
    """Read ``source`` and render ``target``'s content; raise (one line) on anything wrong."""
    src, dst = Path(source), Path(target)
    src_kind, dst_kind = _kind(src), _kind(dst)
    if src.resolve() == dst.resolve():
        raise UsageError(f"{dst}: is the source; convert to another file")
    if dst.is_dir():
        raise UsageError(f"{dst}: is a directory")
    if not dst.parent.is_dir():
        raise UsageError(f"{dst}: folder {dst.parent} does not exist")
    if src_kind == dst_kind == "notebook":
        raise UsageError(f"{src} and {dst} are both notebooks: nothing to convert")
    if src_kind == "Kubeflow pipeline spec":
        raise UsageError(f"{src}: a Kubeflow spec can be written, not read; convert a notebook")
    if src_kind == "Python script":
        src_kind = "jupytext percent notebook"
    if src.suffix.lower() == ".json":
        pipe = load_pipeline(src)
    else:
        nb = _read_notebook(src)
        if dst.suffix.lower() == ".ipynb":
            comps = sum(1 for c in nb.cells if c.is_component and c.is_code)
            text = _notebook_text(nb, dst)
            return Conversion(
                src, dst, src_kind, dst_kind, comps, len(nb.parameters), text, dst.exists()
            )
        pipe = collect(nb)
    text = _from_pipeline(pipe, src, dst)
    n, k = len(pipe.components), len(pipe.parameters)
    return Conversion(src, dst, src_kind, dst_kind, n, k, text, dst.exists())


def convert(source: str | os.PathLike[str], target: str | os.PathLike[str]) -> Conversion:
    """Convert and write ``target`` atomically (overwriting it, as Link does)."""
    done = plan_convert(source, target)
    atomic_write_text(done.target, done.text)
    return done
