"""Merkle cache keys: sha256 over format, language, normalised source, parent keys, parameters.

A component's key folds in its parents' keys, so an edit anywhere upstream changes
every key below it. Parents are the declared ``canvas.parents`` in pipeline
notebooks and the inferred dataflow parents in plain ones (``Pipeline.parents``
gives exactly that). Nothing here uses Python's ``hash()``: keys must be equal
across processes, machines and ``PYTHONHASHSEED`` values.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from typing import Any, NewType

from link_ls.errors import LinkError
from link_ls.kernel.params import Override, resolve_parameters
from link_ls.notebook import Notebook
from link_ls.pipeline import Pipeline, build

CacheKey = NewType("CacheKey", str)

#: bump when the key recipe or the entry layout changes: old entries become "stale"
KEY_FORMAT_VERSION = 1


def normalise_source(source: str) -> str:
    """Source as it matters for a result: LF line ends, no trailing spaces or blank edges.

    Whitespace at line ends and blank lines around a cell never change what it
    computes, and editors add or strip them freely; anything else does count.
    """
    lines = [ln.rstrip() for ln in source.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    return "\n".join(lines).strip("\n")


def effective_parameters(
    nb: Notebook, overrides: Mapping[str, Override] | None = None
) -> dict[str, Any]:
    """Parameter values exactly as a run sets them in the kernel (typed, overrides applied).

    Keys must hash what the kernel sees, so they go through the kernel layer's own
    conversion. A declared value that does not convert makes a run fail anyway; for
    a listing without overrides the raw values are hashed instead.
    """
    try:
        return {v.name: v.value for v in resolve_parameters(nb.parameters, overrides)}
    except LinkError:
        if overrides:
            raise
        return {p.name: p.value for p in nb.parameters}


def _canonical(value: Any) -> str:
    # default=repr: a parameter value JSON cannot hold still keys deterministically
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=repr
    )


def component_key(
    *,
    language: str,
    source: str,
    parent_keys: Sequence[CacheKey],
    parameters: Mapping[str, Any],
) -> CacheKey:
    """The key of one component from its own parts and its parents' keys."""
    payload = {
        "format": KEY_FORMAT_VERSION,
        "language": language,
        "source": normalise_source(source),
        "parents": sorted(parent_keys),
        "parameters": dict(sorted(parameters.items())),
    }
    return CacheKey(hashlib.sha256(_canonical(payload).encode("utf-8")).hexdigest())


def compute_keys(
    nb: Notebook,
    pipeline: Pipeline | None = None,
    parameters: Mapping[str, Any] | None = None,
) -> dict[int, CacheKey]:
    """Keys for every pipeline node, by cell index.

    Nodes on a cycle (or below one) get no key: their result is not well defined,
    so they are never cached. ``parameters`` are the effective values
    (:func:`effective_parameters`); by default the notebook's own.
    """
    import networkx as nx  # ~90 ms to import: not at a server's start

    p = pipeline or build(nb)
    params = dict(parameters) if parameters is not None else effective_parameters(nb)
    language = nb.language
    g = p.graph
    blocked: set[int] = set()
    for scc in nx.strongly_connected_components(g):
        if len(scc) > 1 or any(g.has_edge(n, n) for n in scc):
            blocked |= scc
    for n in list(blocked):
        blocked |= nx.descendants(g, n)
    keys: dict[int, CacheKey] = {}
    for node in nx.topological_sort(g.subgraph(n for n in p.nodes if n not in blocked)):
        keys[node] = component_key(
            language=language,
            source=p.cell(node).source,
            parent_keys=[keys[par] for par in p.parents(node)],
            parameters=params,
        )
    return keys
