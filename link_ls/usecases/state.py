"""Each component's run state — never run, up to date, stale, cached — one rule for every editor.

A component is **cached** when the store holds a usable entry under its current
Merkle key (a run would restore it); **up to date** when it last ran (in this
server's kernels or the notebook's own) under the key it has now; **stale** when it
ran, or was cached, under another key (its code, an ancestor's code or a parameter
changed since); **never run** otherwise. The Merkle key already folds in the
ancestors and the parameters, so comparing keys is the whole rule.

``last_run`` is what the caller remembers (node id → key of its last execution);
the cache store's entries are the rest of the memory.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum
from typing import Any

from link_ls.cache import CacheState, CacheStore, component_statuses, effective_parameters
from link_ls.notebook import Notebook
from link_ls.pipeline import Pipeline


class RunState(str, Enum):
    NEVER_RUN = "never-run"
    UP_TO_DATE = "up-to-date"
    STALE = "stale"
    CACHED = "cached"


@dataclass(frozen=True)
class ComponentState:
    index: int  # 0-based notebook position
    node: str
    name: str
    key: str | None
    state: RunState
    note: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "cell": self.index + 1,
            "id": self.node,
            "name": self.name,
            "key": self.key,
            "state": self.state.value,
            "note": self.note,
        }


def component_states(
    nb: Notebook,
    store: CacheStore | None,
    pipeline: Pipeline,
    last_run: Mapping[str, str] | None = None,
    parameters: Mapping[str, Any] | None = None,
) -> list[ComponentState]:
    """One row per pipeline node, in notebook order (``store`` None: the notebook has no file)."""
    from link_ls.cache import compute_keys

    ran = last_run or {}
    params = parameters if parameters is not None else effective_parameters(nb)
    if store is None:
        keys = compute_keys(nb, pipeline, params)
        rows = [(i, str(pipeline.node_id(i)), keys.get(i), CacheState.MISSING, "") for i in keys]
    else:
        rows = [
            (s.index, s.node, s.key, s.state, s.note)
            for s in component_statuses(nb, store, parameters=params, pipeline=pipeline)
        ]
    out: list[ComponentState] = []
    for idx, node, key, cache, note in rows:
        name = pipeline.cell(idx).name
        last = ran.get(node)
        if cache is CacheState.VALID:
            state = RunState.CACHED
        elif last is not None and key is not None and last == key:
            state = RunState.UP_TO_DATE
        elif last is not None or cache in (CacheState.STALE, CacheState.UNUSABLE):
            state = RunState.STALE
        else:
            state = RunState.NEVER_RUN
        out.append(ComponentState(idx, node, name, key, state, note))
    return out
