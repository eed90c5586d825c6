"""The ``.ipynb`` JSON text of a v4 notebook: a light writer and a light reader.

Writing: byte for byte what ``nbformat.writes`` gives.

``nbformat.writes`` deep-copies the notebook, validates it against the JSON schema
(a validator compiled anew in every process) and only logs what it finds, then
splits multi-line strings and encodes. :func:`ipynb_text` does the same split on a
copy of only the containers it changes, and the same encoding, so the text is
identical while the cost is the encoding's alone. Where ``nbformat.writes`` would
change the notebook on its way out (cell ids it would invent or renumber) or fail,
:func:`ipynb_text` returns None and the caller uses ``nbformat.writes`` itself.

Reading: :func:`read_ipynb` gives the tree the full loader
(:func:`link_ls.notebook.formats.loads`) builds for a well-formed v4 notebook, in
one pass over the cells instead of four (decode into ``NotebookNode`` objects, a
depth/surrogate walk over every value, a structure check, the rejoining of lines),
as plain dicts. Anything else (not JSON, v3, a shape or depth the full loader
refuses, text that spells a surrogate escape) gives None: the caller uses the full
loader, which raises its one-line error or upgrades the notebook.
"""

from __future__ import annotations

import json
import re
from json.encoder import encode_basestring
from typing import Any

#: non-``text/`` MIME types nbformat still stores as lists of lines
_SPLIT_MIMES = frozenset({"application/javascript", "image/svg+xml"})
#: metadata nbformat strips before writing (``strip_transient``)
_TRANSIENT_NB = ("orig_nbformat", "orig_nbformat_minor", "signature")


class _Fallback(Exception):
    """The notebook is not one this writer reproduces exactly: use nbformat's."""


def _float(o: float) -> str:
    # json's floatstr with allow_nan (its default)
    if o != o:
        return "NaN"
    if o == float("inf"):
        return "Infinity"
    if o == -float("inf"):
        return "-Infinity"
    return float.__repr__(o)


def _encode(o: Any, level: int, parts: list[str]) -> None:
    """``json.dumps(o, indent=1, sort_keys=True, separators=(",", ": "), ensure_ascii=False)``.

    The stdlib's indenting encoder is a pure-Python generator; this is the same
    output built by plain recursion (about twice as fast). Anything it does not
    know (a non-string key, an unknown type, a cycle) falls back to nbformat.
    """
    if isinstance(o, str):
        parts.append(encode_basestring(o))
    elif o is None:
        parts.append("null")
    elif o is True:
        parts.append("true")
    elif o is False:
        parts.append("false")
    elif isinstance(o, int):
        parts.append(int.__repr__(o))
    elif isinstance(o, float):
        parts.append(_float(o))
    elif isinstance(o, (list, tuple)):
        if not o:
            parts.append("[]")
            return
        inner = "\n" + " " * (level + 1)
        sep = "," + inner
        if all(type(x) is str for x in o):  # lines of a source or an output: most of a file
            parts.append("[" + inner + sep.join(map(encode_basestring, o)))
            parts.append("\n" + " " * level + "]")
            return
        parts.append("[" + inner)
        for i, item in enumerate(o):
            if i:
                parts.append(sep)
            _encode(item, level + 1, parts)
        parts.append("\n" + " " * level + "]")
    elif isinstance(o, dict):
        if not o:
            parts.append("{}")
            return
        if not all(isinstance(k, str) for k in o):
            raise _Fallback
        inner = "\n" + " " * (level + 1)
        parts.append("{" + inner)
        sep = "," + inner
        for i, (k, v) in enumerate(sorted(o.items())):
            if i:
                parts.append(sep)
            parts.append(encode_basestring(k) + ": ")
            _encode(v, level + 1, parts)
        parts.append("\n" + " " * level + "}")
    elif isinstance(o, bytes):
        # nbformat's BytesEncoder: base64 payloads held as bytes are written as text
        _encode(o.decode("ascii"), level, parts)
    else:
        raise _Fallback


def _split_bundle(data: Any) -> Any:
    if not isinstance(data, dict):
        raise _Fallback
    out = dict(data)
    for key, value in data.items():
        if isinstance(value, str) and (key.startswith("text/") or key in _SPLIT_MIMES):
            out[key] = value.splitlines(True)
    return out


def _cell(cell: Any) -> dict[str, Any]:
    if not isinstance(cell, dict) or "cell_type" not in cell:
        raise _Fallback
    md = cell.get("metadata")
    if not isinstance(md, dict):
        raise _Fallback
    out = dict(cell)
    if "trusted" in md:
        out["metadata"] = {k: v for k, v in md.items() if k != "trusted"}
    source = cell.get("source")
    if isinstance(source, str):
        out["source"] = source.splitlines(True)
    attachments = cell.get("attachments", {})
    if not isinstance(attachments, dict):
        raise _Fallback
    if attachments:
        out["attachments"] = {k: _split_bundle(v) for k, v in attachments.items()}
    if cell["cell_type"] == "code":
        outputs = cell.get("outputs")
        if not isinstance(outputs, list):
            raise _Fallback
        out["outputs"] = [_output(o) for o in outputs]
    return out


def _output(output: Any) -> Any:
    if not isinstance(output, dict) or "output_type" not in output:
        raise _Fallback
    kind = output["output_type"]
    if kind in ("execute_result", "display_data"):
        if "data" not in output:
            return output
        return {**output, "data": _split_bundle(output["data"])}
    if kind == "stream":
        if "text" not in output:
            raise _Fallback
        if isinstance(output["text"], str):
            return {**output, "text": output["text"].splitlines(True)}
    return output


def _ids_kept(cells: list[Any], minor: Any) -> bool:
    # from 4.5 on, nbformat's validation invents an id for a cell without one and
    # replaces a repeated one (randomly): that text is left to nbformat
    if not isinstance(minor, int):
        return False
    if minor < 5:
        return True
    seen: set[Any] = set()
    for c in cells:
        cid = c.get("id") if isinstance(c, dict) else None
        if cid is None or cid in seen:
            return False
        seen.add(cid)
    return True


def ipynb_text(node: dict[str, Any]) -> str | None:
    """``nbformat.writes(node, version=NO_CONVERT)`` for a v4 notebook, or None.

    None means: write it with nbformat (not v4, ids nbformat would change, or a
    shape its writer would reject).
    """
    cells = node.get("cells")
    md = node.get("metadata")
    if node.get("nbformat") != 4 or not isinstance(cells, list) or not isinstance(md, dict):
        return None
    if not _ids_kept(cells, node.get("nbformat_minor")):
        return None
    try:
        out = dict(node)
        out["metadata"] = {k: v for k, v in md.items() if k not in _TRANSIENT_NB}
        out["cells"] = [_cell(c) for c in cells]
        parts: list[str] = []
        _encode(out, 0, parts)
        return "".join(parts)
    except (_Fallback, TypeError, ValueError, RecursionError):
        return None


# -- reading ---------------------------------------------------------------------------
#: the full loader's limits, :data:`link_ls.notebook.formats.MAX_DEPTH` and its surrogate
#: pattern (formats imports this module, so they are repeated here; a test keeps them equal)
MAX_DEPTH = 100
#: a JSON escape that spells a surrogate: only then can a decoded string hold a lone one
SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")
_CELL_TYPES = ("code", "markdown", "raw")
_BUNDLES = ("execute_result", "display_data")


def _shallow(obj: Any, depth: int) -> bool:
    """No list or object in ``obj`` (itself at ``depth``) is deeper than :data:`MAX_DEPTH`."""
    if depth > MAX_DEPTH:
        return False
    for v in obj.values() if type(obj) is dict else obj:
        t = type(v)
        # an empty one counts too: it is a list or object at depth + 1
        if (t is dict or t is list) and (depth >= MAX_DEPTH or (v and not _shallow(v, depth + 1))):
            return False
    return True


def _is_json_mime(mime: str) -> bool:
    # nbformat.v4.rwbase._is_json_mime: JSON payloads are left as they are
    return mime == "application/json" or (
        mime.startswith("application/") and mime.endswith("+json")
    )


def _joined(lines: list[Any]) -> str | None:
    """``"".join(lines)``, or None when not every line is a string (a join in C checks that)."""
    try:
        return "".join(lines)
    except TypeError:
        return None


def _rejoin_bundle(data: Any) -> bool:
    """``nbformat.v4.rwbase._rejoin_mimebundle`` in place; False where it would fail."""
    if type(data) is not dict:
        return False
    for key, value in data.items():
        if type(value) is list and not _is_json_mime(key):
            text = _joined(value)
            if text is not None:
                data[key] = text
    return True


def _read_outputs(outputs: Any) -> bool:
    if type(outputs) is not list:
        return False
    for out in outputs:
        if type(out) is not dict:
            return False
        kind = out.get("output_type", "")
        if kind in _BUNDLES:
            if not _rejoin_bundle(out.get("data", {})):
                return False
        elif kind:
            text = out.get("text", "")
            if type(text) is list:
                joined = _joined(text)
                if joined is None:
                    return False
                out["text"] = joined
    return True


def _read_cell(c: Any) -> bool:
    """One cell checked, its lines rejoined and its defaults set, as the full loader does."""
    if type(c) is not dict or c.get("cell_type") not in _CELL_TYPES:
        return False
    # the defaults in the full loader's order: a missing key is added at the end
    if type(c.setdefault("metadata", {})) is not dict:
        return False
    source = c.setdefault("source", "")
    if type(source) is list:
        joined = _joined(source)
        if joined is None:
            return False
        c["source"] = joined
    elif type(source) is not str:
        return False
    if "attachments" in c:
        attachments = c["attachments"]
        if type(attachments) is not dict or not all(map(_rejoin_bundle, attachments.values())):
            return False
    if c["cell_type"] == "code":
        if not _read_outputs(c.setdefault("outputs", [])):
            return False
        c.setdefault("execution_count", None)
    return True


def read_ipynb(text: str) -> tuple[dict[str, Any], int] | None:
    """The v4 notebook node in ``text`` and its nbformat minor, or None (use the full loader).

    ``text`` has passed the full loader's own first checks (no lone surrogate, JSON
    rather than jupytext text). The node is the full loader's, as plain dicts.
    """
    if SURROGATE_ESCAPE.search(text) is not None:
        return None
    try:
        node = json.loads(text)
    except (ValueError, RecursionError):
        return None
    if type(node) is not dict or node.get("nbformat") != 4 or type(node["nbformat"]) is not int:
        return None
    minor = node.get("nbformat_minor", 0)
    cells = node.get("cells")
    if type(minor) is not int or type(cells) is not list:
        return None
    if not all(map(_read_cell, cells)):
        return None
    node.setdefault("metadata", {})
    # after the rejoining, lines are single strings: the walk sees few values per cell
    if not _shallow(node, 1):
        return None
    return node, minor
