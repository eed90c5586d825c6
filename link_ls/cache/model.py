"""Values of the cache: file records, entry manifests, component states — and their JSON form.

An entry's ``manifest.json`` is the only place that says what an entry holds; it
is read strictly (a manifest that does not parse into these values makes the
entry unusable, never half-used).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum
from typing import Any

from link_ls.cache.errors import CacheError
from link_ls.cache.keys import CacheKey

#: version of an entry's manifest.json layout
ENTRY_SCHEMA = 1
MANIFEST_NAME = "manifest.json"
OUTPUTS_NAME = "outputs.json"
VARS_DIR = "vars"

_KEY_RE = re.compile(r"^[0-9a-f]{64}$")
_VAR_FILE_RE = re.compile(r"^vars/[0-9]{3,6}\.(pkl|npy|json|parquet|mod)$")
#: how a variable is stored, and the file extension each format uses. Only ``pickle``
#: runs code when loaded; the others are read with loaders that never unpickle
#: (``numpy.load(allow_pickle=False)``, ``json``, Parquet through pyarrow); a module is
#: stored as its name and imported again.
VAR_FORMATS: dict[str, str] = {
    "pickle": "pkl",
    "npy": "npy",
    "json": "json",
    "parquet": "parquet",
    "module": "mod",
}
SAFE_FORMATS = frozenset({"npy", "json", "parquet", "module"})
_IDENT_RE = re.compile(r"^[^\W\d]\w*$")


def is_key(text: str) -> bool:
    return bool(_KEY_RE.match(text))


def is_sha256(text: str) -> bool:
    return bool(_KEY_RE.match(text))


@dataclass(frozen=True)
class FileRecord:
    """One file of an entry: path relative to the entry folder, size in bytes, sha256."""

    path: str
    size: int
    sha256: str

    def to_json(self) -> dict[str, Any]:
        return {"path": self.path, "size": self.size, "sha256": self.sha256}


@dataclass(frozen=True)
class VariableRecord:
    """A variable saved to its own file, in one of :data:`VAR_FORMATS` (cloudpickle: "pickle")."""

    name: str
    file: FileRecord
    format: str = "pickle"

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "format": self.format, **self.file.to_json()}


@dataclass(frozen=True)
class Unserialisable:
    """A variable that cloudpickle could not save, and why (one line)."""

    name: str
    error: str


@dataclass(frozen=True)
class EntryManifest:
    """What one cache entry holds: a component's outputs and the variables it provides."""

    key: CacheKey
    notebook: str
    node: str
    name: str
    language: str
    created: str
    outputs: FileRecord
    variables: tuple[VariableRecord, ...]
    #: variables that could not be saved: their presence makes the entry unusable
    unserialisable: tuple[Unserialisable, ...] = ()
    #: names the component may define but did not (a branch not taken): left alone on restore
    absent: tuple[str, ...] = ()
    #: names the component deletes: removed from the namespace on restore
    deleted: tuple[str, ...] = ()

    @property
    def usable(self) -> bool:
        return not self.unserialisable

    @property
    def files(self) -> tuple[FileRecord, ...]:
        return (self.outputs, *(v.file for v in self.variables))

    @property
    def size(self) -> int:
        return sum(f.size for f in self.files)

    def to_json(self) -> dict[str, Any]:
        return {
            "schema": ENTRY_SCHEMA,
            "key": self.key,
            "notebook": self.notebook,
            "node": self.node,
            "name": self.name,
            "language": self.language,
            "created": self.created,
            "outputs": self.outputs.to_json(),
            "variables": [v.to_json() for v in self.variables],
            "unserialisable": [{"name": u.name, "error": u.error} for u in self.unserialisable],
            "absent": list(self.absent),
            "deleted": list(self.deleted),
        }


def _str(data: Mapping[str, Any], field: str, where: str) -> str:
    v = data.get(field)
    if not isinstance(v, str):
        raise CacheError(f"{where}: field {field!r} is missing or not text")
    return v


def _names(data: Mapping[str, Any], field: str, where: str) -> tuple[str, ...]:
    v = data.get(field, [])
    if not isinstance(v, list) or not all(isinstance(n, str) and _IDENT_RE.match(n) for n in v):
        raise CacheError(f"{where}: field {field!r} is not a list of names")
    return tuple(v)


def file_record(data: Any, where: str) -> FileRecord:
    if not isinstance(data, Mapping):
        raise CacheError(f"{where}: a file record is not an object")
    path = _str(data, "path", where)
    size = data.get("size")
    if not isinstance(size, int) or isinstance(size, bool) or size < 0:
        raise CacheError(f"{where}: file {path!r} has no valid size")
    digest = _str(data, "sha256", where)
    if not is_sha256(digest):
        raise CacheError(f"{where}: file {path!r} has no valid sha256")
    return FileRecord(path, size, digest)


def entry_from_json(data: Any, where: str) -> EntryManifest:
    """Parse an entry manifest strictly; any oddity is a :class:`CacheError` naming ``where``."""
    if not isinstance(data, Mapping):
        raise CacheError(f"{where}: manifest is not an object")
    if data.get("schema") != ENTRY_SCHEMA:
        raise CacheError(
            f"{where}: unknown entry schema {data.get('schema')!r} (this link-ls reads "
            f"{ENTRY_SCHEMA})"
        )
    key = _str(data, "key", where)
    if not is_key(key):
        raise CacheError(f"{where}: {key!r} is not a cache key")
    outputs = file_record(data.get("outputs"), where)
    if outputs.path != OUTPUTS_NAME:
        raise CacheError(f"{where}: outputs must be stored in {OUTPUTS_NAME}")
    raw_vars = data.get("variables")
    if not isinstance(raw_vars, list):
        raise CacheError(f"{where}: 'variables' is not a list")
    variables: list[VariableRecord] = []
    seen: set[str] = set()
    for rv in raw_vars:
        rec = file_record(rv, where)
        name = rv.get("name")
        if not isinstance(name, str) or not _IDENT_RE.match(name):
            raise CacheError(f"{where}: variable name {name!r} is not an identifier")
        fmt = rv.get("format", "pickle")
        if not _VAR_FILE_RE.match(rec.path) or rec.path in seen:
            raise CacheError(f"{where}: variable file {rec.path!r} is not allowed")
        if fmt not in VAR_FORMATS or not rec.path.endswith("." + VAR_FORMATS[fmt]):
            raise CacheError(f"{where}: variable {name!r} has an unknown format {fmt!r}")
        seen.add(rec.path)
        variables.append(VariableRecord(name, rec, fmt))
    raw_bad = data.get("unserialisable", [])
    if not isinstance(raw_bad, list):
        raise CacheError(f"{where}: 'unserialisable' is not a list")
    bad = tuple(
        Unserialisable(_str(b, "name", where), _str(b, "error", where))
        for b in raw_bad
        if isinstance(b, Mapping)
    )
    if len(bad) != len(raw_bad):
        raise CacheError(f"{where}: 'unserialisable' holds a non-object")
    return EntryManifest(
        key=CacheKey(key),
        notebook=_str(data, "notebook", where),
        node=_str(data, "node", where),
        name=_str(data, "name", where),
        language=_str(data, "language", where),
        created=_str(data, "created", where),
        outputs=outputs,
        variables=tuple(variables),
        unserialisable=bad,
        absent=_names(data, "absent", where),
        deleted=_names(data, "deleted", where),
    )


class CacheState(str, Enum):
    """A component's cache state for ``cache list``."""

    VALID = "valid"  # an entry under the component's current key, usable for restore
    STALE = "stale"  # entries for this component exist, but under other keys
    UNUSABLE = "unusable"  # an entry under the current key lists unserialisable variables
    MISSING = "missing"  # nothing stored for this component


@dataclass(frozen=True)
class ComponentStatus:
    """One row of ``cache list``."""

    index: int
    node: str
    name: str
    key: CacheKey | None
    state: CacheState
    size: int
    cached_flag: bool
    note: str = ""
    #: for an entry under the current key: "trusted", "unsigned", "foreign" or "altered"
    #: (see :mod:`link_ls.cache.trust`); "" when there is none
    trust: str = ""
    #: why it is not trusted, e.g. "imported from x.tar.gz (made by …) on …"
    trust_note: str = ""
    origin: Mapping[str, Any] | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "cell": self.index + 1,
            "id": self.node,
            "name": self.name,
            "key": self.key,
            "state": self.state.value,
            "size": self.size,
            "diskcache": self.cached_flag,
            "note": self.note,
            "trust": self.trust or None,
            "trustNote": self.trust_note,
            "origin": dict(self.origin) if self.origin is not None else None,
        }
