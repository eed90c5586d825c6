"""link-ls's own pipeline file (``{"format": "link-ls/pipeline", "version": 1, …}``).

Reading checks ``format`` and ``version`` first (so a file from a newer link-ls gets
a message that says so), then the JSON Schema shipped beside this module.
"""

from __future__ import annotations

import copy
import importlib
import json
from collections.abc import Mapping
from functools import cache
from importlib import resources
from typing import Any

from link_ls.exchange.errors import ExchangeFormatError
from link_ls.exchange.model import (
    LINK_LS_FORMAT,
    LINK_LS_VERSION,
    ExchangeComponent,
    ExchangePipeline,
    ExternalParent,
)
from link_ls.notebook import ComponentId, Parameter

SCHEMA_FILE = "pipeline.schema.json"
# jsonschema ships no type hints and its stubs may or may not be installed; importing it
# by name keeps mypy --strict quiet either way (it comes with nbformat)
_jsonschema: Any = importlib.import_module("jsonschema")


@cache
def schema() -> dict[str, Any]:
    """The JSON Schema of the link-ls pipeline file (shipped as package data)."""
    text = resources.files("link_ls.exchange").joinpath(SCHEMA_FILE).read_text("utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


def _where(path: Any) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "top level"


def check_schema(data: Any, name: str) -> None:
    """Raise :class:`ExchangeFormatError` (one line, with the JSON path) unless ``data``
    matches the shipped schema."""
    validator = _jsonschema.Draft202012Validator(schema())
    err = _jsonschema.exceptions.best_match(validator.iter_errors(data))
    if err is not None:
        msg = str(err.message).splitlines()[0]
        if len(msg) > 160:
            msg = msg[:157] + "..."
        raise ExchangeFormatError(f"{name}: {_where(err.absolute_path)}: {msg}")


def is_linkls(data: Any) -> bool:
    return isinstance(data, Mapping) and "format" in data


def read_linkls(data: Mapping[str, Any], name: str) -> ExchangePipeline:
    """Parse a link-ls pipeline file already decoded from JSON."""
    fmt = data.get("format")
    if fmt != LINK_LS_FORMAT:
        raise ExchangeFormatError(
            f"{name}: unknown format {fmt!r} (expected {LINK_LS_FORMAT!r} or Link's pipeline file)"
        )
    version = data.get("version")
    if version != LINK_LS_VERSION:
        raise ExchangeFormatError(
            f"{name}: unsupported {LINK_LS_FORMAT} version {version!r} "
            f"(this link-ls reads version {LINK_LS_VERSION})"
        )
    check_schema(data, name)
    comps = []
    for c in data["components"]:
        src = c["source"]
        comps.append(
            ExchangeComponent(
                id=ComponentId(c["id"]),
                name=c["name"],
                source=src if isinstance(src, str) else "".join(src),
                parents=tuple(ComponentId(p) for p in c["parents"]),
                type=c.get("type", "CodeCell"),
                metadata=copy.deepcopy(c.get("metadata", {})),
            )
        )
    params = tuple(
        Parameter(p["name"], str(p.get("type", "str")), copy.deepcopy(p["value"]))
        for p in data.get("parameters", [])
    )
    external = tuple(
        ExternalParent(ComponentId(e["id"]), e["name"]) for e in data.get("external", [])
    )
    nb = data.get("notebook") or {}
    return ExchangePipeline(
        components=tuple(comps),
        parameters=params,
        external=external,
        kernelspec=copy.deepcopy(nb.get("kernelspec")),
        language_info=copy.deepcopy(nb.get("language_info")),
        format="link-ls",
    )


def write_linkls(pipe: ExchangePipeline) -> dict[str, Any]:
    """The link-ls pipeline file for ``pipe`` (a JSON-ready dict, keys in documented order)."""
    out: dict[str, Any] = {
        "format": LINK_LS_FORMAT,
        "version": LINK_LS_VERSION,
        "parameters": [
            {"name": p.name, "type": p.type, "value": copy.deepcopy(p.value)}
            for p in pipe.parameters
        ],
        "components": [
            {
                "id": c.id,
                "name": c.name,
                "type": c.type,
                "source": c.source,
                "parents": list(c.parents),
                "metadata": copy.deepcopy(dict(c.metadata)),
            }
            for c in pipe.components
        ],
    }
    if pipe.external:
        out["external"] = [{"id": e.id, "name": e.name} for e in pipe.external]
    notebook: dict[str, Any] = {}
    if pipe.kernelspec is not None:
        notebook["kernelspec"] = copy.deepcopy(dict(pipe.kernelspec))
    if pipe.language_info is not None:
        notebook["language_info"] = copy.deepcopy(dict(pipe.language_info))
    out["notebook"] = notebook
    return out
