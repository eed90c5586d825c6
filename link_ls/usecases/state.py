"""Each component's run state — never run, up to date, stale, cached, untrusted — one rule.

A component is **cached** when the store holds a usable entry under its current
Merkle key that a run would restore (signed with the user's key, docs/cache.md);
**untrusted** when that entry is there but a run would not restore it (imported
without ``--trust``, signed by another user's key, or altered) — the note says
where it came from; **up to date** when it last ran (in this
server's kernels or the notebook's own) under the key it has now; **stale** when it
ran, or was cached, under another key (its code, an ancestor's code or a parameter
changed since); **never run** otherwise. The Merkle key already folds in the
ancestors and the parameters, so comparing keys is the whole rule.

``last_run`` is what the caller remembers (node id → key of its last execution);
the cache store's entries are the rest of the memory: read from the store (one-shot
callers), or from the in-memory index an editor's server keeps of it
(:class:`link_ls.cache.index.StoreIndex`: no manifest read per request), by the same
rule (:func:`link_ls.cache.status.statuses_from`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum
from typing import Any

from link_ls.cache import (
    CacheKey,
    CacheState,
    CacheStore,
    ComponentStatus,
    TrustState,
    component_statuses,
    effective_parameters,
)
from link_ls.cache.index import StoreIndex
from link_ls.cache.status import statuses_from
from link_ls.notebook import Notebook
from link_ls.pipeline import Pipeline


class RunState(str, Enum):
    NEVER_RUN = "never-run"
    UP_TO_DATE = "up-to-date"
    STALE = "stale"
    CACHED = "cached"
    UNTRUSTED = "untrusted"  # an entry under the current key that a run would not restore


@dataclass(frozen=True)
class ComponentState:
    index: int  # 0-based notebook position
    node: str
    name: str
    key: str | None
    state: RunState
    note: str = ""
    #: the trust of the entry under the current key ("trusted", "unsigned", "foreign",
    #: "altered"; ``link_ls.cache.ComponentStatus.trust``), "" when there is none
    trust: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "cell": self.index + 1,
            "id": self.node,
            "name": self.name,
            "key": self.key,
            "state": self.state.value,
            "note": self.note,
            "trust": self.trust or None,
        }


#: why a valid entry is not restored when the user's signing key could not be read
NO_KEY = "your cache signing key cannot be read, so no entry is restored"


def _state(cache: CacheState, trust: str, key: str | None, last: str | None) -> RunState:
    ran = last is not None and key is not None and last == key
    if cache is CacheState.VALID:
        if trust == TrustState.TRUSTED.value:
            return RunState.CACHED
        # a run would execute it rather than restore the entry (docs/cache.md, Trust)
        return RunState.UP_TO_DATE if ran else RunState.UNTRUSTED
    if ran:
        return RunState.UP_TO_DATE
    if last is not None or cache in (CacheState.STALE, CacheState.UNUSABLE):
        return RunState.STALE
    return RunState.NEVER_RUN


def component_states(
    nb: Notebook,
    store: CacheStore | StoreIndex | None,
    pipeline: Pipeline,
    last_run: Mapping[str, str] | None = None,
    parameters: Mapping[str, Any] | None = None,
    *,
    keys: Mapping[int, CacheKey] | None = None,
) -> list[ComponentState]:
    """One row per pipeline node, in notebook order (``store`` None: the notebook has no file).

    ``keys``: the pipeline's Merkle keys under ``parameters``, when the caller keeps them.

    A :class:`StoreIndex` answers from memory as its last check left it (the caller
    checks it first, :meth:`StoreIndex.check`); a :class:`CacheStore` is read whole.
    """
    from link_ls.cache import compute_keys

    ran = last_run or {}
    params = parameters if parameters is not None else effective_parameters(nb)
    if store is None:
        if keys is None:
            keys = compute_keys(nb, pipeline, params)
        rows = [
            ComponentStatus(
                i, str(pipeline.node_id(i)), "", keys.get(i), CacheState.MISSING, 0, False
            )
            for i in keys
        ]
    elif isinstance(store, StoreIndex):
        # the trust of each entry comes with its summary (``cache list``'s own check)
        rows = statuses_from(nb, store.entries, parameters=params, pipeline=pipeline, keys=keys)
    else:
        rows = component_statuses(nb, store, parameters=params, pipeline=pipeline, keys=keys)
    out: list[ComponentState] = []
    for r in rows:
        state = _state(r.state, r.trust, r.key, ran.get(r.node))
        note = r.note
        if r.state is CacheState.VALID and r.trust != TrustState.TRUSTED.value:
            why = r.trust_note or NO_KEY
            note = why if state is RunState.UNTRUSTED else f"its cache entry is untrusted: {why}"
        name = pipeline.cell(r.index).name
        out.append(ComponentState(r.index, r.node, name, r.key, state, note, r.trust))
    return out
