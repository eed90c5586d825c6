"""Reading the notebooks a diff or a merge compares: the full loader's result, faster.

:func:`fast_loads` / :func:`fast_load` are :func:`link_ls.notebook.formats.loads` /
``load`` through the light reader (:func:`link_ls.notebook.ipynb.read_ipynb`) when the
text is a plain v4 notebook, which is one pass over the cells instead of four.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from link_ls.notebook import Notebook, NotebookFormat, formats
from link_ls.notebook.ipynb import read_ipynb


def fast_loads(text: str, *, name: str = "<notebook>", path: Path | None = None) -> Notebook:
    """:func:`link_ls.notebook.formats.loads`, through :func:`read_ipynb` when it can.

    The same notebook, or the same error, with the tree as plain dicts instead of
    ``NotebookNode`` objects (what diff and merge, which only read the tree, need),
    whichever way it was read: the merge compares values by type as well, and its
    three inputs must be alike.
    """
    if (
        Path(name).suffix.lower() != ".py"
        and text.lstrip()[:1] == "{"
        and formats.lone_surrogate(text) is None
    ):
        read = read_ipynb(text)
        if read is not None:
            node, minor = read
            return Notebook(node, path=path, fmt=NotebookFormat("ipynb", None, minor))
    nb = formats.loads(text, name=name, path=path)
    nb.node = _plain(nb.node)
    return nb


def _plain(v: Any) -> Any:
    """A copy of a JSON tree with every object a plain dict (the full loader checked its depth)."""
    if isinstance(v, dict):
        return {k: _plain(x) for k, x in v.items()}
    if isinstance(v, list):
        return [_plain(x) for x in v]
    return v


def fast_load(path: str | os.PathLike[str]) -> Notebook:
    """:func:`link_ls.notebook.formats.load` through :func:`fast_loads`."""
    p = Path(path)
    return fast_loads(formats.read_text(p), name=str(p), path=p)
