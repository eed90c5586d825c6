"""Pipeline files in and out: read either format (auto-detected), validate, serialise."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from link_ls.exchange.errors import ExchangeError, ExchangeFormatError
from link_ls.exchange.graph import validate
from link_ls.exchange.kfp_format import KfpOptions, to_kfp
from link_ls.exchange.link_format import is_link_list, read_link, write_link
from link_ls.exchange.linkls_format import is_linkls, read_linkls, write_linkls
from link_ls.exchange.model import LINK_LS_FORMAT, ExchangePipeline
from link_ls.exchange.py_format import to_script
from link_ls.notebook.formats import read_text

#: export formats: two JSON files, a runnable Python script ("py", text only) and a
#: Kubeflow Pipelines spec ("kfp", YAML compiled by the kfp SDK)
FORMATS = ("link-ls", "link", "py", "kfp")


def parse_pipeline(data: Any, name: str = "<pipeline>") -> ExchangePipeline:
    """Read decoded JSON in either format and check its graph; raise on anything wrong."""
    if is_link_list(data):
        pipe = read_link(data, name)
    elif is_linkls(data):
        pipe = read_linkls(data, name)
    else:
        kind = type(data).__name__ if not isinstance(data, dict) else "object without 'format'"
        raise ExchangeFormatError(
            f"{name}: not a pipeline file (got {kind}; expected "
            f'{{"format": "{LINK_LS_FORMAT}", …}} or Link\'s export list)'
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
) -> dict[str, Any] | list[dict[str, Any]]:
    """The file content for ``pipe`` in ``fmt`` ("link-ls" → dict, "link" → list)."""
    if fmt == "link-ls":
        return write_linkls(pipe)
    if fmt == "link":
        return write_link(pipe, name)
    if fmt in ("py", "kfp"):
        what = "a Python script" if fmt == "py" else "a Kubeflow YAML spec"
        raise ExchangeError(f"format {fmt!r} is {what}, not JSON (dumps_pipeline writes it)")
    raise ExchangeError(f"unknown export format {fmt!r} (use one of: {', '.join(FORMATS)})")


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
    return json.dumps(to_json(pipe, fmt, name), indent=2, ensure_ascii=False) + "\n"
