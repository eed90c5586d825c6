"""Three-way merge of JSON values: per key for objects, as sets for tags, by name for parameters.

A side that left a value as it was in base takes the other side's value; the
same change on both sides is taken once; different changes to the same leaf are
a :class:`ValueConflict`, and the merged value keeps *base* there (so the merged
notebook does not depend on which branch is "ours"). The conflict keeps all
three alternatives; nothing is lost.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final


class _Absent:
    """The value is not there on that side (key deleted, or never added)."""

    _instance: _Absent | None = None

    def __new__(cls) -> _Absent:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "ABSENT"

    def __bool__(self) -> bool:
        return False


ABSENT: Final = _Absent()

#: metadata keys whose list values are merged as sets of strings
SET_KEYS: Final = frozenset({"tags"})


@dataclass(frozen=True)
class ValueConflict:
    """Both sides changed the value at ``path`` differently."""

    path: tuple[str, ...]
    base: Any
    ours: Any
    theirs: Any


def same(a: Any, b: Any) -> bool:
    """Equality that does not confuse ``1`` with ``True`` or ``1.0`` at the top level."""
    return a is b or (type(a) is type(b) and a == b)


def wrap(v: Any) -> dict[str, Any] | None:
    """A record alternative: ``{"value": v}``, or ``None`` for absent."""
    return None if v is ABSENT else {"value": v}


def get(m: Any, key: str) -> Any:
    return m.get(key, ABSENT) if isinstance(m, Mapping) else ABSENT


def merge_value(
    base: Any, ours: Any, theirs: Any, path: tuple[str, ...], conflicts: list[ValueConflict]
) -> Any:
    """Merge one value; returns the merged value (possibly ABSENT) and appends conflicts."""
    if same(ours, theirs):
        return ours
    if same(ours, base):
        return theirs
    if same(theirs, base):
        return ours
    if isinstance(ours, Mapping) and isinstance(theirs, Mapping):
        return merge_mapping(
            base if isinstance(base, Mapping) else {}, ours, theirs, path, conflicts
        )
    if path and path[-1] in SET_KEYS and _str_lists(base, ours, theirs):
        return merge_set(base if isinstance(base, list) else [], ours, theirs)
    conflicts.append(ValueConflict(path, base, ours, theirs))
    return base


def merge_mapping(
    base: Mapping[str, Any],
    ours: Mapping[str, Any],
    theirs: Mapping[str, Any],
    path: tuple[str, ...],
    conflicts: list[ValueConflict],
) -> dict[str, Any]:
    """Per-key merge; keys keep ours' order, then theirs' new keys (JSON writers sort anyway)."""
    out: dict[str, Any] = {}
    for key in _keys(base, ours, theirs):
        v = merge_value(get(base, key), get(ours, key), get(theirs, key), (*path, key), conflicts)
        if v is not ABSENT:
            out[key] = v
    return out


def _keys(*maps: Mapping[str, Any]) -> list[str]:
    seen: dict[str, None] = {}
    for m in maps:
        for k in m:
            seen.setdefault(k, None)
    return list(seen)


def _str_lists(*vals: Any) -> bool:
    return all(
        v is ABSENT or (isinstance(v, list) and all(isinstance(x, str) for x in v)) for v in vals
    )


def merge_set(base: Sequence[str], ours: Sequence[str], theirs: Sequence[str]) -> list[str]:
    """Set merge: kept by both or added by one side; removed on one side is removed."""
    b, o, t = set(base), set(ours), set(theirs)
    keep = (o & t) | (o - b) | (t - b)
    kept = [x for x in dict.fromkeys(base) if x in keep]
    return kept + sorted(keep - set(kept))


def merge_named(
    base: Sequence[Mapping[str, Any]],
    ours: Sequence[Mapping[str, Any]],
    theirs: Sequence[Mapping[str, Any]],
    conflicts: list[ValueConflict],
    path: tuple[str, ...],
) -> list[Any]:
    """Merge lists of ``{"name": …}`` objects (pipeline parameters) by name.

    Each named entry merges per field; if a field conflicts the whole entry is
    one conflict (path ends with the name) and base's entry stays. Order: base's
    order for entries kept, then new names sorted, unless one side left the list
    as it was, in which case the other side's list is taken as is.
    """
    if same(list(ours), list(theirs)) or same(list(ours), list(base)):
        return list(theirs)
    if same(list(theirs), list(base)):
        return list(ours)
    b, o, t = (_by_name(x) for x in (base, ours, theirs))
    merged: dict[str, Any] = {}
    for name in _keys(b, o, t):
        local: list[ValueConflict] = []
        v = merge_value(get(b, name), get(o, name), get(t, name), (*path, name), local)
        if local:
            conflicts.append(ValueConflict((*path, name), get(b, name), get(o, name), get(t, name)))
            v = get(b, name)
        if v is not ABSENT:
            merged[name] = v
    order = [n for n in b if n in merged]
    order += sorted(n for n in merged if n not in b)
    return [merged[n] for n in order]


def _by_name(items: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for it in items:
        if isinstance(it, Mapping) and isinstance(it.get("name"), str):
            out.setdefault(it["name"], dict(it))
    return out
