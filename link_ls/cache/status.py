"""What the cache holds for a notebook: per-component state (valid, stale, unusable, missing).

Also the one rule for what gets cached: Link's per-cell ``canvas.diskcache`` flag,
or every component when the global "cache all" option is on — and never a cell
whose effects the analysis cannot know (star import, ``exec``) or cannot parse.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from link_ls.cache.errors import CacheError
from link_ls.cache.keys import CacheKey, compute_keys
from link_ls.cache.model import CacheState, ComponentStatus, EntryManifest
from link_ls.cache.store import CacheStore
from link_ls.cache.trust import TrustState, UserKey, describe_untrusted, load_user_key
from link_ls.notebook import Notebook
from link_ls.pipeline import Pipeline, build


def uncacheable_reason(p: Pipeline, index: int) -> str | None:
    """Why a node can never be cached (None when it can)."""
    if p.notebook.language != "python":
        return f"kernel language {p.notebook.language!r} is not Python"
    a = p.analyses.get(index)
    if a is None:
        return "not a code cell"
    if a.syntax_error is not None:
        return "syntax error"
    if a.unknown:
        return "its definitions are unknown (" + ", ".join(a.unknown) + ")"
    return None


def wants_cache(p: Pipeline, index: int, cache_all: bool) -> bool:
    """Whether a run should store this node's results."""
    c = p.cell(index)
    flagged = c.canvas is not None and c.canvas.diskcache
    return (flagged or cache_all) and uncacheable_reason(p, index) is None


def component_statuses(
    nb: Notebook,
    store: CacheStore,
    *,
    parameters: Mapping[str, Any] | None = None,
    pipeline: Pipeline | None = None,
    user: UserKey | None = None,
) -> list[ComponentStatus]:
    """One row per pipeline node, in notebook order, with the trust of each current entry.

    ``user`` is the key entries are checked with (default: the user's key; when it
    cannot be read, the trust of every entry is left empty).
    """
    p = pipeline or build(nb)
    signer = user
    if signer is None:
        try:
            signer = load_user_key()
        except CacheError:
            signer = None
    keys = compute_keys(nb, p, parameters)
    entries = store.entries()
    by_key: dict[CacheKey, EntryManifest] = {m.key: m for m in entries}
    by_node: dict[str, list[EntryManifest]] = {}
    for e in entries:
        by_node.setdefault(e.node, []).append(e)
    rows: list[ComponentStatus] = []
    for idx in p.nodes:
        c = p.cell(idx)
        node = str(c.node_id)
        key = keys.get(idx)
        flag = c.canvas is not None and c.canvas.diskcache
        note = uncacheable_reason(p, idx) or ("" if key else "on or below a cycle")
        m = by_key.get(key) if key else None
        if m is not None and key is not None:
            t = store.entry_trust(key, signer) if signer is not None else None
            trust: tuple[str, str, dict[str, Any] | None] = (
                (t.state.value, "", None) if t is not None else ("", "", None)
            )
            if t is not None and t.state is not TrustState.TRUSTED:
                origin = t.origin.to_json() if t.origin is not None else None
                trust = (t.state.value, describe_untrusted(t.state, t.origin), origin)
            if m.usable and store.complete(m):
                rows.append(
                    ComponentStatus(
                        idx, node, c.name, key, CacheState.VALID, m.size, flag, "", *trust
                    )
                )
            else:
                why = (
                    "cannot serialise " + ", ".join(u.name for u in m.unserialisable)
                    if not m.usable
                    else "entry is incomplete"
                )
                rows.append(
                    ComponentStatus(
                        idx, node, c.name, key, CacheState.UNUSABLE, m.size, flag, why, *trust
                    )
                )
            continue
        old = [e for e in by_node.get(node, []) if e.key != key]
        if old:
            size = sum(e.size for e in old)
            n = len(old)
            why = note or f"{n} entr{'y' if n == 1 else 'ies'} under older keys"
            rows.append(ComponentStatus(idx, node, c.name, key, CacheState.STALE, size, flag, why))
        else:
            rows.append(ComponentStatus(idx, node, c.name, key, CacheState.MISSING, 0, flag, note))
    return rows
