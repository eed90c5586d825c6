"""What ran, per notebook, in this server's session: the key each component had when it ran.

``link.run`` (the server's kernels) and the JupyterLab extension's runs (the notebook's
own kernel, ``link.lab.*``) record here; ``link.state`` and ``link.lab.view`` read it
for ``link_ls.usecases.state.component_states`` ("up to date" vs "stale"). In memory
only: a new server session starts with "never run" / "cached" from the store.
"""

from __future__ import annotations

import weakref
from collections.abc import Iterable, Mapping
from typing import Any

from link_ls.notebook import Notebook
from link_ls.pipeline import Pipeline
from link_ls.server.base import LinkServer

_RAN: weakref.WeakKeyDictionary[LinkServer, dict[str, dict[str, str]]] = weakref.WeakKeyDictionary()


def _key(nb: Notebook) -> str:
    return str(nb.path) if nb.path is not None else nb.display_name


def last_run(ls: LinkServer, nb: Notebook) -> dict[str, str]:
    """node id → Merkle key of its last execution or restore in this session."""
    return dict(_RAN.get(ls, {}).get(_key(nb), {}))


def record(ls: LinkServer, nb: Notebook, keys: Mapping[str, str]) -> None:
    """Remember that these nodes ran (or were restored) under these keys."""
    _RAN.setdefault(ls, {}).setdefault(_key(nb), {}).update(keys)


def record_nodes(
    ls: LinkServer,
    nb: Notebook,
    p: Pipeline,
    nodes: Iterable[str],
    overrides: Mapping[str, Any] | None = None,
) -> None:
    """Record ``nodes`` under the keys they have now (after a ``link.run`` with ``params``)."""
    from link_ls.cache import compute_keys, effective_parameters

    params = effective_parameters(nb, overrides or {})
    by_node = {str(p.node_id(i)): str(k) for i, k in compute_keys(nb, p, params).items()}
    record(ls, nb, {n: by_node[n] for n in nodes if n in by_node})
