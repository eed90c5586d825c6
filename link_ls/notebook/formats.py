"""Reading and writing notebooks: ``.ipynb`` JSON via nbformat, jupytext percent/light text.

A document named ``.ipynb`` whose text is not JSON is jupytext text (that is how
Neovim's jupytext plugins present notebooks). Writes are atomic: a temporary file
in the same folder, then a rename, so a crash never leaves half a notebook.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
from pathlib import Path
from typing import Any

from link_ls.errors import LinkError, NotebookFormatError, NotebookNotFound, WriteError
from link_ls.notebook.ipynb import ipynb_text
from link_ls.notebook.model import Notebook, NotebookFormat

_TEXT_SUFFIXES = {".py"}


def _looks_like_json(text: str) -> bool:
    # jupytext text never starts with a bracket; a .ipynb that does is (broken) JSON
    return text.lstrip()[:1] in ("{", "[")


#: deepest JSON nesting a notebook may have (real ones stay below 20: widget state, plotly)
MAX_DEPTH = 100
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")


def lone_surrogate(text: str) -> int | None:
    """The offset of the first lone surrogate in ``text`` (not valid Unicode), else None."""
    if text.isascii():
        return None
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as e:
        return e.start
    return None


def _where(text: str, offset: int) -> str:
    line = text.count("\n", 0, offset) + 1
    col = offset - (text.rfind("\n", 0, offset) + 1) + 1
    return f"line {line} column {col}"


def check_tree(data: Any, name: str, *, strings: bool = True) -> None:
    """Refuse JSON nested deeper than :data:`MAX_DEPTH` or holding lone surrogates.

    Both would break later, far from the file (recursion in copies and writers, an
    encoding error on output): the one-line error names the file here instead.
    """
    stack: list[tuple[Any, int]] = [(data, 1)]
    while stack:
        obj, depth = stack.pop()
        if isinstance(obj, str):
            if strings and lone_surrogate(obj) is not None:
                raise NotebookFormatError(
                    f"{name}: text holds a lone surrogate ({obj[:40]!r}): not valid Unicode"
                )
            continue
        if not isinstance(obj, (dict, list)):
            continue
        if depth > MAX_DEPTH:
            raise NotebookFormatError(f"{name}: JSON nested deeper than {MAX_DEPTH} levels")
        if isinstance(obj, dict):
            stack.extend((k, depth) for k in obj)
            stack.extend((v, depth + 1) for v in obj.values())
        else:
            stack.extend((v, depth + 1) for v in obj)


def _check_structure(data: Any, name: str) -> None:
    if not isinstance(data, dict):
        raise NotebookFormatError(f"{name}: not a notebook (top-level JSON is not an object)")
    if "cells" not in data and "worksheets" not in data:
        raise NotebookFormatError(f"{name}: not a notebook (no 'cells' list)")
    major = data.get("nbformat")
    if not isinstance(major, int):
        raise NotebookFormatError(f"{name}: not a notebook (no integer 'nbformat' version)")
    if major < 3 or major > 4:
        raise NotebookFormatError(f"{name}: unsupported nbformat version {major} (need 3 or 4)")
    if major == 4:
        cells = data.get("cells")
        if not isinstance(cells, list):
            raise NotebookFormatError(f"{name}: 'cells' is not a list")
        for i, c in enumerate(cells, 1):
            if not isinstance(c, dict):
                raise NotebookFormatError(f"{name}: cell #{i} is not an object")
            if c.get("cell_type") not in ("code", "markdown", "raw"):
                raise NotebookFormatError(
                    f"{name}: cell #{i} has unknown cell_type {c.get('cell_type')!r}"
                )
            src = c.get("source", "")
            if not isinstance(src, (str, list)):
                raise NotebookFormatError(f"{name}: cell #{i} source is not text")
            md = c.get("metadata", {})
            if not isinstance(md, dict):
                raise NotebookFormatError(f"{name}: cell #{i} metadata is not an object")


def _rejoin_lines(nb: Any) -> Any:
    """``nbformat.v4.rwbase.rejoin_lines`` through item access (its attribute access
    costs a third of reading a notebook); the same result, checked by the reader tests."""
    from nbformat.v4.rwbase import _rejoin_mimebundle

    for cell in nb["cells"]:
        source = cell.get("source")
        if isinstance(source, list):
            cell["source"] = "".join(source)
        for attachment in cell.get("attachments", {}).values():
            _rejoin_mimebundle(attachment)
        if cell.get("cell_type", None) == "code":
            for output in cell.get("outputs", []):
                kind = output.get("output_type", "")
                if kind in ("execute_result", "display_data"):
                    _rejoin_mimebundle(output.get("data", {}))
                elif kind and isinstance(output.get("text", ""), list):
                    output["text"] = "".join(output["text"])
    return nb


def _from_json_text(text: str, name: str) -> Notebook:
    # nbformat pulls in jsonschema and friends; import it when a notebook is read, so
    # `link-ls --help` and the server's initialize stay fast
    import nbformat

    try:
        # every object decoded straight into a NotebookNode: what nbformat.from_dict
        # would make of it, without a second walk over the notebook
        data = json.loads(text, object_hook=nbformat.NotebookNode)
    except json.JSONDecodeError as e:
        raise NotebookFormatError(
            f"{name}: invalid JSON at line {e.lineno} column {e.colno}: {e.msg}"
        ) from None
    except RecursionError:
        raise NotebookFormatError(f"{name}: JSON nested deeper than {MAX_DEPTH} levels") from None
    # strings need a look only when the text spells a surrogate (\ud800) at all
    check_tree(data, name, strings=_SURROGATE_ESCAPE.search(text) is not None)
    _check_structure(data, name)
    minor = data.get("nbformat_minor", 0)
    if data["nbformat"] == 3:
        # nbformat upgrades v3 in memory; a save writes v4
        try:
            node = nbformat.convert(nbformat.from_dict(data), 4)
        except Exception as e:  # nbformat raises assorted errors on odd v3 files
            raise NotebookFormatError(f"{name}: cannot upgrade nbformat 3 notebook: {e}") from None
        minor = node.get("nbformat_minor", 5)
    else:
        # multi-line strings are stored as lists of lines; in memory they are one
        # string (as nbformat.reads gives them) and the writer splits them again
        node = _rejoin_lines(data)
        node.setdefault("metadata", {})
        for c in node["cells"]:
            c.setdefault("metadata", {})
            c.setdefault("source", "")
            if c["cell_type"] == "code":
                c.setdefault("outputs", [])
                c.setdefault("execution_count", None)
    return Notebook(node, fmt=NotebookFormat("ipynb", None, int(minor)))


def _from_jupytext_text(text: str, name: str, ext: str) -> Notebook:
    import jupytext  # imported lazily: jupytext is slow to import and rarely needed

    try:
        fmt = jupytext.formats.guess_format(text, ext)[0] or "light"
    except Exception:
        fmt = "light"
    kind = "percent" if fmt == "percent" else "light"
    jfmt = f"py:{kind}"
    try:
        node = jupytext.reads(text, fmt=jfmt)
    except Exception as e:
        raise NotebookFormatError(f"{name}: cannot read as jupytext {kind} text: {e}") from None
    check_tree(node, name, strings=False)
    for c in node["cells"]:
        c.setdefault("metadata", {})
        # jupytext invents random ids on every read; text forms have no stable cell ids
        c.pop("id", None)
    return Notebook(node, fmt=NotebookFormat(kind, jfmt, int(node.get("nbformat_minor", 5))))


def loads(text: str, *, name: str = "<notebook>", path: Path | None = None) -> Notebook:
    """Parse notebook text. ``name`` decides the format: ``.py`` is always jupytext."""
    suffix = Path(name).suffix.lower()
    bad = lone_surrogate(text)
    if bad is not None:
        raise NotebookFormatError(
            f"{name}: lone surrogate at {_where(text, bad)}: the text is not valid Unicode"
        )
    if suffix in _TEXT_SUFFIXES or not _looks_like_json(text):
        if not text.strip() and suffix not in _TEXT_SUFFIXES:
            raise NotebookFormatError(f"{name}: empty file is not a notebook")
        nb = _from_jupytext_text(text, name, ".py")
    else:
        nb = _from_json_text(text, name)
    nb.path = path
    return nb


def read_text(
    path: str | os.PathLike[str],
    *,
    what: str = "a notebook",
    missing: type[LinkError] = NotebookNotFound,
    invalid: type[LinkError] = NotebookFormatError,
) -> str:
    """A file's UTF-8 text, or a one-line ``missing``/``invalid`` error naming the file."""
    p = Path(path)
    try:
        raw = p.read_bytes()
    except FileNotFoundError:
        raise missing(f"{p}: no such file") from None
    except IsADirectoryError:
        raise missing(f"{p}: is a directory, not {what}") from None
    except OSError as e:
        raise missing(f"{p}: cannot read: {e.strerror}") from None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise invalid(f"{p}: not UTF-8 text") from None


def load(path: str | os.PathLike[str]) -> Notebook:
    """Read a notebook file (``.ipynb`` JSON or text, or a jupytext ``.py``)."""
    p = Path(path)
    return loads(read_text(p), name=str(p), path=p)


def _ipynb_text(nb: Notebook) -> str:
    node = nb.node
    if node.get("nbformat") == 4:
        # a pipeline notebook must open in Link, which needs cell ids (so minor 5)
        nb.complete_for_link()
        node["nbformat_minor"] = max(int(node.get("nbformat_minor", 0)), _needed_minor(nb))
    # nbformat's writer: sorted keys, indent 1, multiline sources split, like Jupyter itself;
    # ipynb_text gives the same text without its deep copy and schema check
    text = ipynb_text(node)
    if text is None:
        import nbformat

        text = nbformat.writes(nbformat.from_dict(node), version=nbformat.NO_CONVERT)
    return text if text.endswith("\n") else text + "\n"


def _needed_minor(nb: Notebook) -> int:
    # cell ids are only valid from 4.5 on; keep the file's minor otherwise (DESIGN §2)
    if any("id" in c for c in nb.raw_cells):
        return 5
    return nb.fmt.nbformat_minor


#: cell metadata link-ls owns; always written to the ``# %%`` header of text notebooks
_LINK_CELL_KEYS = ("canvas", "link_ls")


def _keep_link_metadata(node: dict[str, Any]) -> None:
    """Make jupytext's cell metadata filter keep Link's keys.

    A notebook read from text gets a filter like ``canvas,-all`` (only what its headers
    held); a component or conflict added later would otherwise vanish on save.
    """
    md = node.get("metadata")
    if not isinstance(md, dict):
        return
    jt = md.get("jupytext")
    if not isinstance(jt, dict) or not isinstance(jt.get("cell_metadata_filter"), str):
        return
    entries = [e for e in jt["cell_metadata_filter"].split(",") if e]
    for key in reversed(_LINK_CELL_KEYS):
        if key not in entries and f"-{key}" not in entries:
            entries.insert(0, key)
    jt = dict(jt)
    jt["cell_metadata_filter"] = ",".join(entries)
    md = dict(md)
    md["jupytext"] = jt
    node["metadata"] = md


def dumps(nb: Notebook) -> str:
    """Serialise in the notebook's own format."""
    if nb.fmt.is_text:
        import jupytext
        import nbformat

        node = nbformat.from_dict(nb.node)
        _keep_link_metadata(node)
        out: str = jupytext.writes(node, fmt=nb.fmt.jupytext_fmt or "py")
        return out
    return _ipynb_text(nb)


def atomic_write_text(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temp file and a rename (keeps the file mode)."""
    import tempfile  # with ``random``, ~10 ms that a server start does not need

    path = Path(path)
    if path.is_dir():
        raise WriteError(f"{path}: is a directory, cannot write a file there")
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent or ".")
    except OSError as e:
        raise WriteError(f"{path}: cannot write: {e.strerror or e}") from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        try:
            os.chmod(tmp, os.stat(path).st_mode & 0o7777)
        except FileNotFoundError:
            os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException as e:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        if isinstance(e, OSError):
            raise WriteError(f"{path}: cannot write: {e.strerror or e}") from None
        raise


def save(nb: Notebook, path: str | os.PathLike[str] | None = None) -> Path:
    """Write the notebook atomically to ``path`` (default: where it was loaded from)."""
    target = Path(path) if path is not None else nb.path
    if target is None:
        raise NotebookFormatError("notebook has no path to save to")
    atomic_write_text(target, dumps(nb))
    return target
