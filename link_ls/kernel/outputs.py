"""Kernel messages to nbformat outputs (the way Jupyter builds them), and outputs to plain text.

:class:`OutputCollector` turns iopub messages of one execution into the cell's
``outputs`` list: consecutive chunks of the same stream merge into one output,
``clear_output`` (also with ``wait=True``) and ``update_display_data`` behave as in
JupyterLab, so a written notebook looks as if Jupyter had run it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

#: called with each output as it arrives (a new stream chunk, not the merged text)
OutputCallback = Callable[[dict[str, Any]], None]

_ANSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]")


def strip_ansi(text: str) -> str:
    return _ANSI.sub("", text)


def _bundle(content: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    data = content.get("data")
    md = content.get("metadata")
    return (dict(data) if isinstance(data, Mapping) else {}), (
        dict(md) if isinstance(md, Mapping) else {}
    )


class OutputCollector:
    """Accumulates the outputs of one execution from its iopub messages."""

    def __init__(self, on_output: OutputCallback | None = None) -> None:
        self.outputs: list[dict[str, Any]] = []
        self._on_output = on_output
        self._clear_on_next = False
        #: display_id -> positions in :attr:`outputs` showing that display
        self._displays: dict[str, list[int]] = {}

    def _emit(self, out: dict[str, Any]) -> None:
        if self._on_output is not None:
            self._on_output(out)

    def _append(self, out: dict[str, Any]) -> None:
        if self._clear_on_next:
            self.clear()
        self.outputs.append(out)

    def clear(self) -> None:
        self.outputs.clear()
        self._displays.clear()
        self._clear_on_next = False

    def handle(self, msg_type: str, content: Mapping[str, Any]) -> None:
        """Apply one iopub message (of this execution) to the outputs."""
        if msg_type == "stream":
            name = str(content.get("name", "stdout"))
            text = str(content.get("text", ""))
            chunk = {"output_type": "stream", "name": name, "text": text}
            if self._clear_on_next:
                self.clear()
            last = self.outputs[-1] if self.outputs else None
            if last is not None and last["output_type"] == "stream" and last["name"] == name:
                last["text"] = str(last["text"]) + text
            else:
                self.outputs.append(dict(chunk))
            self._emit(chunk)
        elif msg_type in ("display_data", "execute_result"):
            data, md = _bundle(content)
            out: dict[str, Any] = {"output_type": msg_type, "data": data, "metadata": md}
            if msg_type == "execute_result":
                ec = content.get("execution_count")
                out["execution_count"] = ec if isinstance(ec, int) else None
            self._append(out)
            transient = content.get("transient")
            if isinstance(transient, Mapping) and isinstance(transient.get("display_id"), str):
                self._displays.setdefault(transient["display_id"], []).append(len(self.outputs) - 1)
            self._emit(out)
        elif msg_type == "update_display_data":
            transient = content.get("transient")
            did = transient.get("display_id") if isinstance(transient, Mapping) else None
            data, md = _bundle(content)
            for pos in self._displays.get(str(did), []):
                self.outputs[pos]["data"] = data
                self.outputs[pos]["metadata"] = md
                self._emit(self.outputs[pos])
        elif msg_type == "error":
            tb = content.get("traceback")
            err = {
                "output_type": "error",
                "ename": str(content.get("ename", "Error")),
                "evalue": str(content.get("evalue", "")),
                "traceback": [str(t) for t in tb] if isinstance(tb, list) else [],
            }
            self._append(err)
            self._emit(err)
        elif msg_type == "clear_output":
            if content.get("wait"):
                self._clear_on_next = True
            else:
                self.clear()

    def snapshot(self) -> tuple[dict[str, Any], ...]:
        return tuple(dict(o) for o in self.outputs)


def _size(n: int) -> str:
    return f"{n / 1024:.1f} KB" if n >= 1024 else f"{n} bytes"


def _plain_text(data: Mapping[str, Any]) -> str:
    text = data.get("text/plain")
    if text is not None:
        return "".join(text) if isinstance(text, list) else str(text)
    for mime, value in data.items():
        if mime.startswith("image/"):
            raw = "".join(value) if isinstance(value, list) else str(value)
            # binary images travel base64-encoded: 4 characters carry 3 bytes
            size = len(raw) if mime.endswith("+xml") else len(raw) * 3 // 4
            return f"[{mime} image, {_size(size)}]"
    if data:
        return "[" + ", ".join(sorted(data)) + " output]"
    return ""


def output_text(out: Mapping[str, Any], *, ansi: bool = False) -> str:
    """One output as terminal text: images and rich-only data become a one-line placeholder."""
    kind = out.get("output_type")
    if kind == "stream":
        text = out.get("text", "")
        return "".join(text) if isinstance(text, list) else str(text)
    if kind in ("display_data", "execute_result"):
        data = out.get("data")
        text = _plain_text(data) if isinstance(data, Mapping) else ""
        # an image with a text/plain repr (e.g. "<Figure size ...>") still says it is an image
        if isinstance(data, Mapping) and "text/plain" in data:
            images = [m for m in data if m.startswith("image/")]
            if images:
                text = f"[{images[0]} image] {text}"
        return text
    if kind == "error":
        tb = out.get("traceback")
        text = "\n".join(str(t) for t in tb) if isinstance(tb, list) and tb else ""
        if not text:
            text = f"{out.get('ename', 'Error')}: {out.get('evalue', '')}"
        return text if ansi else strip_ansi(text)
    return ""
