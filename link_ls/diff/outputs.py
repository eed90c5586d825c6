"""Output comparison: whether a cell's outputs changed, said in a few words, never base64.

Outputs are compared after dropping what changes on every run without meaning
anything (``execute_result.execution_count``, transient display ids). A change is
described per *channel* — a stream name, a MIME type, or ``error`` — e.g.
``2 outputs → 3 outputs, image/png changed, stdout changed (3 → 5 lines)``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from typing import Any

from link_ls.diff.model import OutputsChange

_MAX_PHRASES = 5


def _normalised(out: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in out.items() if k not in ("execution_count", "transient")}


def _text(v: Any) -> str:
    if isinstance(v, list):
        return "".join(str(x) for x in v)
    return v if isinstance(v, str) else json.dumps(v, sort_keys=True, default=str)


def _digest(v: Any) -> str:
    raw = _text(v) if isinstance(v, (str, list)) else json.dumps(v, sort_keys=True, default=str)
    return hashlib.sha256(raw.encode("utf-8", "surrogatepass")).hexdigest()


def output_digest(out: dict[str, Any]) -> str:
    """A content hash of one output, stable across runs that print the same thing."""
    return _digest(json.dumps(_normalised(out), sort_keys=True, default=str))


def channels(outputs: Sequence[dict[str, Any]]) -> dict[str, list[str]]:
    """Channel name → digests of what the outputs put there, in order."""
    ch: dict[str, list[str]] = {}
    for o in outputs:
        kind = o.get("output_type")
        if kind == "stream":
            ch.setdefault(str(o.get("name", "stdout")), []).append(_digest(o.get("text", "")))
        elif kind == "error":
            ch.setdefault("error", []).append(
                _digest([o.get("ename"), o.get("evalue"), o.get("traceback")])
            )
        elif kind in ("display_data", "execute_result", "update_display_data"):
            data = o.get("data")
            if isinstance(data, dict):
                for mime, v in data.items():
                    ch.setdefault(str(mime), []).append(_digest(v))
        else:
            ch.setdefault(str(kind), []).append(output_digest(o))
    return ch


def _stream_lines(outputs: Sequence[dict[str, Any]], name: str) -> int:
    return sum(
        _text(o.get("text", "")).count("\n")
        for o in outputs
        if o.get("output_type") == "stream" and o.get("name", "stdout") == name
    )


def _error_name(outputs: Sequence[dict[str, Any]]) -> str:
    for o in outputs:
        if o.get("output_type") == "error":
            return str(o.get("ename", "error"))
    return "error"


def compare_outputs(
    old: Sequence[dict[str, Any]], new: Sequence[dict[str, Any]]
) -> OutputsChange | None:
    """``None`` when the outputs are the same (up to run-to-run noise)."""
    if len(old) == len(new) and all(x == y for x, y in zip(old, new, strict=True)):
        return None  # the common case, without hashing anything
    if [output_digest(o) for o in old] == [output_digest(o) for o in new]:
        return None
    co, cn = channels(old), channels(new)
    phrases: list[str] = []
    for name in [*co, *(k for k in cn if k not in co)]:
        a, b = co.get(name), cn.get(name)
        if a == b:
            continue
        if a is None:
            phrases.append(f"{_label(name, new)} added")
        elif b is None:
            phrases.append(f"{_label(name, old)} removed")
        elif name in ("stdout", "stderr"):
            la, lb = _stream_lines(old, name), _stream_lines(new, name)
            lines = f" ({la} → {lb} lines)" if la != lb else ""
            phrases.append(f"{name} changed{lines}")
        elif name == "error":
            ea, eb = _error_name(old), _error_name(new)
            phrases.append(f"error {ea} → {eb}" if ea != eb else f"error {ea} changed")
        else:
            phrases.append(f"{name} changed")
    if not phrases:
        phrases.append("order or metadata changed")
    if len(phrases) > _MAX_PHRASES:
        phrases = [*phrases[: _MAX_PHRASES - 1], f"{len(phrases) - _MAX_PHRASES + 1} more"]
    return OutputsChange(len(old), len(new), tuple(phrases))


def _label(name: str, outputs: Sequence[dict[str, Any]]) -> str:
    return f"error {_error_name(outputs)}" if name == "error" else name


def describe_outputs(outputs: Sequence[dict[str, Any]]) -> list[str]:
    """One line per output for the text form of a notebook (git textconv): no payloads."""
    lines: list[str] = []
    for k, o in enumerate(outputs, 1):
        kind = o.get("output_type")
        if kind == "stream":
            text = _text(o.get("text", ""))
            lines.append(f"[{k}] {o.get('name', 'stdout')}: {_size_lines(text)}")
            lines.extend(_preview(text))
        elif kind == "error":
            lines.append(f"[{k}] error {o.get('ename', '')}: {_one_line(o.get('evalue', ''))}")
        elif kind in ("display_data", "execute_result"):
            data = o.get("data") if isinstance(o.get("data"), dict) else {}
            assert isinstance(data, dict)
            for mime, v in data.items():
                text = _text(v)
                short = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:12]
                if mime == "text/plain":
                    lines.append(f"[{k}] {mime}: {_size_lines(text)}")
                    lines.extend(_preview(text))
                else:
                    lines.append(f"[{k}] {mime}: {_size(len(text))} sha256:{short}")
        else:
            lines.append(f"[{k}] {kind}")
    return lines


_PREVIEW_LINES = 20
_PREVIEW_WIDTH = 200


def _preview(text: str) -> list[str]:
    rows = text.splitlines()
    out = [
        "    " + (r if len(r) <= _PREVIEW_WIDTH else r[: _PREVIEW_WIDTH - 1] + "…")
        for r in rows[:_PREVIEW_LINES]
    ]
    if len(rows) > _PREVIEW_LINES:
        out.append(f"    … {len(rows) - _PREVIEW_LINES} more lines")
    return out


def _one_line(v: Any) -> str:
    s = _text(v).replace("\n", " ")
    return s if len(s) <= _PREVIEW_WIDTH else s[: _PREVIEW_WIDTH - 1] + "…"


def _size_lines(text: str) -> str:
    n = text.count("\n") + (0 if text.endswith("\n") or not text else 1)
    return f"{n} line{'s' if n != 1 else ''}, {_size(len(text))}"


def _size(n: int) -> str:
    if n < 1024:
        return f"{n} B"
    if n < 1024 * 1024:
        return f"{n / 1024:.1f} kB"
    return f"{n / 1024 / 1024:.1f} MB"
