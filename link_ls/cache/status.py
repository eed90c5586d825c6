"""What the cache holds for a notebook: per-component state (valid, stale, unusable, missing).

One rule, two sources: ``cache list`` reads every entry of the store per command;
an editor's in-memory index (:mod:`link_ls.cache.index`) keeps each entry's
:class:`EntrySummary` and reads it again only when its folder changed.

Also the one rule for what gets cached: Link's per-cell ``canvas.diskcache`` flag,
or every component when the global "cache all" option is on — and never a cell
whose effects the analysis cannot know (star import, ``exec``) or cannot parse.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from link_ls.cache.errors import CacheError
from link_ls.cache.keys import CacheKey, compute_keys
from link_ls.cache.model import CacheState, ComponentStatus
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


@dataclass(frozen=True)
class EntrySummary:
    """What the states of components need of one entry, read once (manifest, signatures,
    origin, file sizes): the CLI reads every entry so per command, an editor's
    :class:`link_ls.cache.index.StoreIndex` keeps them until the entry's folder changes."""

    key: CacheKey
    node: str
    size: int
    #: why a run could not restore it even if trusted ("" when usable and complete)
    problem: str
    #: its :class:`TrustState` value with the user's key, "" when no key could be read
    trust: str
    #: why it is not trusted ("" when trusted or no key), e.g. "imported from x.tar.gz …"
    trust_note: str = ""
    origin: Mapping[str, Any] | None = None
    #: names the component may define but did not (what a restore leaves alone)
    absent: frozenset[str] = frozenset()

    @property
    def restorable(self) -> bool:
        """Whether a run would restore it: usable, complete and trusted (docs/cache.md)."""
        return not self.problem and self.trust == TrustState.TRUSTED.value


def summarise_entry(store: CacheStore, key: CacheKey, user: UserKey | None) -> EntrySummary | None:
    """The entry under ``key``, checked with ``user``; None when its manifest cannot be read."""
    if user is None:
        m = store.manifest(key)
        if m is None:
            return None
        trust: tuple[str, str, Mapping[str, Any] | None] = ("", "", None)
    else:
        t = store.entry_trust(key, user)
        if t is None:
            return None
        m = t.manifest
        trust = (t.state.value, "", None)
        if t.state is not TrustState.TRUSTED:
            origin = t.origin.to_json() if t.origin is not None else None
            trust = (t.state.value, describe_untrusted(t.state, t.origin), origin)
    if not m.usable:
        problem = "cannot serialise " + ", ".join(u.name for u in m.unserialisable)
    else:
        problem = "" if store.complete(m) else "entry is incomplete"
    return EntrySummary(m.key, m.node, m.size, problem, *trust, frozenset(m.absent))


def _signer(user: UserKey | None) -> UserKey | None:
    if user is not None:
        return user
    try:
        return load_user_key()
    except CacheError:
        return None


def component_statuses(
    nb: Notebook,
    store: CacheStore,
    *,
    parameters: Mapping[str, Any] | None = None,
    pipeline: Pipeline | None = None,
    user: UserKey | None = None,
    keys: Mapping[int, CacheKey] | None = None,
) -> list[ComponentStatus]:
    """One row per pipeline node, in notebook order, with the trust of each current entry.

    ``user`` is the key entries are checked with (default: the user's key; when it
    cannot be read, the trust of every entry is left empty). Every entry of the store
    is read; an editor keeps them in an index instead (:func:`statuses_from`).
    """
    signer = _signer(user)
    listed = store.keys()
    entries = {k: s for k in listed if (s := summarise_entry(store, k, signer)) is not None}
    return statuses_from(nb, entries, parameters=parameters, pipeline=pipeline, keys=keys)


def statuses_from(
    nb: Notebook,
    entries: Mapping[CacheKey, EntrySummary],
    *,
    parameters: Mapping[str, Any] | None = None,
    pipeline: Pipeline | None = None,
    keys: Mapping[int, CacheKey] | None = None,
) -> list[ComponentStatus]:
    """:func:`component_statuses` from entries already read (``keys``: the pipeline's
    Merkle keys when the caller has them)."""
    p = pipeline or build(nb)
    if keys is None:
        keys = compute_keys(nb, p, parameters)
    by_node: dict[str, list[EntrySummary]] = {}
    for e in entries.values():
        by_node.setdefault(e.node, []).append(e)
    rows: list[ComponentStatus] = []
    for idx in p.nodes:
        c = p.cell(idx)
        node = str(c.node_id)
        key = keys.get(idx)
        flag = c.canvas is not None and c.canvas.diskcache
        note = uncacheable_reason(p, idx) or ("" if key else "on or below a cycle")
        cur = entries.get(key) if key else None
        if cur is not None and key is not None:
            state = CacheState.UNUSABLE if cur.problem else CacheState.VALID
            trust = (cur.trust, cur.trust_note, cur.origin)
            rows.append(
                ComponentStatus(idx, node, c.name, key, state, cur.size, flag, cur.problem, *trust)
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
