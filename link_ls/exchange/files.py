"""Pipeline files in and out: read either format (detected by shape), validate, serialise.

- link-ls's own file: an object with ``"format": "link-ls/pipeline"``; written indented;
- Link's file: an object with ``components`` and ``parameters`` and no ``format``;
  written exactly as Link writes it (``json.dumps`` defaults, no trailing newline).

A bare JSON list is what an earlier link-ls wrote by mistake as "Link's format"; no
other program wrote it, and it is refused with a message that says so.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from link_ls.exchange.errors import ExchangeError, ExchangeFormatError
from link_ls.exchange.graph import validate
from link_ls.exchange.kfp_format import KfpOptions, to_kfp
from link_ls.exchange.link_format import is_link, read_link, write_link
from link_ls.exchange.linkls_format import is_linkls, read_linkls, write_linkls
from link_ls.exchange.model import LINK_LS_FORMAT, ExchangePipeline
from link_ls.exchange.py_format import to_script
from link_ls.notebook.formats import read_text

#: export formats: two JSON files, a runnable Python script ("py", text only) and a
#: Kubeflow Pipelines spec ("kfp", YAML compiled by the kfp SDK)
FORMATS = ("link-ls", "link", "py", "kfp")


def parse_pipeline(data: Any, name: str = "<pipeline>") -> ExchangePipeline:
    """Read decoded JSON in either format and check its graph; raise on anything wrong."""
    if isinstance(data, list):
        raise ExchangeFormatError(
            f"{name}: a bare list is the format an earlier link-ls wrongly called Link's; "
            "it is no longer read (export the notebook again: --format link writes Link's "
            "real file)"
        )
    if is_linkls(data):
        pipe = read_linkls(data, name)
    elif is_link(data):
        pipe = read_link(data, name)
    else:
        kind = type(data).__name__ if not isinstance(data, dict) else "object without 'format'"
        raise ExchangeFormatError(
            f"{name}: not a pipeline file (got {kind}; expected "
            f'{{"format": "{LINK_LS_FORMAT}", …}} or Link\'s {{"components": […], '
            '"parameters": […]})'
        )
    validate(pipe, name)
    return pipe


def loads_pipeline(text: str, name: str = "<pipeline>") -> ExchangePipeline:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as e:
        raise ExchangeFormatError(
            f"{name}: invalid JSON at line {e.lineno} column {e.colno}: {e.msg}"
        ) from None
    return parse_pipeline(data, name)


def load_pipeline(path: str | os.PathLike[str]) -> ExchangePipeline:
    """Read and validate a pipeline file."""
    text = read_text(
        path, what="a pipeline file", missing=ExchangeError, invalid=ExchangeFormatError
    )
    return loads_pipeline(text, str(Path(path)))


def to_json(
    pipe: ExchangePipeline, fmt: str = "link-ls", name: str = "<pipeline>"
) -> dict[str, Any]:
    """The file content for ``pipe`` in ``fmt`` ("link-ls" or "link"), as JSON values."""
    if fmt == "link-ls":
        return write_linkls(pipe)
    if fmt == "link":
        return write_link(pipe, name)
    if fmt in ("py", "kfp"):
        what = "a Python script" if fmt == "py" else "a Kubeflow YAML spec"
        raise ExchangeError(f"format {fmt!r} is {what}, not JSON (dumps_pipeline writes it)")
    raise ExchangeError(f"unknown export format {fmt!r} (use one of: {', '.join(FORMATS)})")


def file_text(data: Any, fmt: str = "link-ls") -> str:
    """The exact text of a pipeline file whose content (:func:`to_json`) is ``data``.

    Link's is byte-for-byte what Link writes: ``json.dumps`` with its defaults (ASCII
    escapes, ``", "`` and ``": "``), no trailing newline. link-ls's own is indented.
    """
    if fmt == "link":
        return json.dumps(data)
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def dumps_pipeline(
    pipe: ExchangePipeline,
    fmt: str = "link-ls",
    name: str = "<pipeline>",
    kfp: KfpOptions | None = None,
) -> str:
    """The file's text in ``fmt``: JSON, for "py" a Python script, for "kfp" a Kubeflow
    pipeline spec (``kfp`` sets its base image and extra packages)."""
    if fmt == "kfp":
        return to_kfp(pipe, name, kfp)
    if fmt == "py":
        return to_script(pipe, name)
    return file_text(to_json(pipe, fmt, name), fmt)
