"""The cache archive format: one ``.tar.gz``, its top-level manifest, and the import limits.

Layout::

    link-ls-cache.json                 top-level manifest (first member)
    entries/<key>/manifest.json        the entry's own manifest, as in the store
    entries/<key>/outputs.json
    entries/<key>/vars/000.pkl …

The top-level manifest names the notebook, when the archive was made, and for
every component its key, node, name, size and every file with its size and
sha256. Nothing else may be in the archive.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from link_ls.cache.errors import ArchiveError, CacheError
from link_ls.cache.keys import CacheKey
from link_ls.cache.model import FileRecord, file_record, is_key
from link_ls.errors import UsageError

ARCHIVE_FORMAT = "link-ls-cache"
#: versions of the top-level manifest this link-ls reads (and the one it writes)
ARCHIVE_SCHEMA = 1
KNOWN_SCHEMAS = frozenset({ARCHIVE_SCHEMA})
TOP_MANIFEST = "link-ls-cache.json"
ENTRIES = "entries"

MAX_MEMBER_ENV = "LINK_LS_CACHE_MAX_MEMBER"
MAX_TOTAL_ENV = "LINK_LS_CACHE_MAX_TOTAL"
MAX_MEMBERS_ENV = "LINK_LS_CACHE_MAX_MEMBERS"
_GIB = 1 << 30


@dataclass(frozen=True)
class ImportLimits:
    """What an import accepts; over any limit the archive is rejected before writing.

    Defaults: 4 GiB per file, 16 GiB in all, 100 000 members, 16 MiB for any
    manifest. Override with ``--max-member-size`` / ``--max-total-size`` or the
    ``LINK_LS_CACHE_MAX_MEMBER`` / ``LINK_LS_CACHE_MAX_TOTAL`` /
    ``LINK_LS_CACHE_MAX_MEMBERS`` environment variables.
    """

    max_member_size: int = 4 * _GIB
    max_total_size: int = 16 * _GIB
    max_members: int = 100_000
    max_manifest_size: int = 16 << 20

    @classmethod
    def from_env(
        cls,
        max_member_size: int | None = None,
        max_total_size: int | None = None,
        env: Mapping[str, str] | None = None,
    ) -> ImportLimits:
        """Defaults, then the environment, then explicit values (options win)."""
        e = os.environ if env is None else env
        d = cls()
        member = max_member_size or _env_size(e, MAX_MEMBER_ENV) or d.max_member_size
        total = max_total_size or _env_size(e, MAX_TOTAL_ENV) or d.max_total_size
        members = _env_size(e, MAX_MEMBERS_ENV) or d.max_members
        return cls(member, total, members, d.max_manifest_size)


_SIZE_RE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kmgt]?)(i?b)?\s*$", re.IGNORECASE)
_UNITS = {"": 1, "k": 1 << 10, "m": 1 << 20, "g": 1 << 30, "t": 1 << 40}


def parse_size(text: str) -> int:
    """``"512M"`` -> bytes; plain numbers are bytes; K/M/G/T are powers of 1024."""
    m = _SIZE_RE.match(text)
    if not m:
        raise UsageError(f"{text!r} is not a size (use e.g. 500M, 2G or a number of bytes)")
    value = int(float(m.group(1)) * _UNITS[m.group(2).lower()])
    if value <= 0:
        raise UsageError(f"{text!r}: a size limit must be positive")
    return value


def _env_size(env: Mapping[str, str], name: str) -> int | None:
    raw = env.get(name)
    if not raw:
        return None
    try:
        return parse_size(raw)
    except UsageError as e:
        raise UsageError(f"${name}: {e}") from None


def human_size(n: int) -> str:
    size = float(n)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if size < 1024 or unit == "GiB":
            return f"{int(size)} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{n} B"


@dataclass(frozen=True)
class ArchivedComponent:
    """One entry in an archive: its key, which component it was, and its files."""

    key: CacheKey
    node: str
    name: str
    created: str
    files: tuple[FileRecord, ...]  # paths are archive member names

    @property
    def size(self) -> int:
        return sum(f.size for f in self.files)

    def to_json(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "node": self.node,
            "name": self.name,
            "created": self.created,
            "size": self.size,
            "files": [f.to_json() for f in self.files],
        }


@dataclass(frozen=True)
class ArchiveManifest:
    notebook: str
    created: str
    components: tuple[ArchivedComponent, ...]
    schema: int = ARCHIVE_SCHEMA
    #: who made the archive, on which machine (informative: shown when it is imported)
    creator: str = ""
    host: str = ""

    @property
    def size(self) -> int:
        return sum(c.size for c in self.components)

    def to_json(self) -> dict[str, Any]:
        return {
            "format": ARCHIVE_FORMAT,
            "schema": self.schema,
            "notebook": self.notebook,
            "created": self.created,
            "creator": self.creator,
            "host": self.host,
            "total_size": self.size,
            "components": [c.to_json() for c in self.components],
        }


def entry_member(key: str, rel: str) -> str:
    return f"{ENTRIES}/{key}/{rel}"


def archive_manifest_from_json(data: Any, where: str) -> ArchiveManifest:
    """Parse the top-level manifest strictly (schema first, so a newer format says so)."""
    if not isinstance(data, Mapping) or data.get("format") != ARCHIVE_FORMAT:
        raise ArchiveError(f"{where}: {TOP_MANIFEST} is not a link-ls cache manifest")
    schema = data.get("schema")
    if schema not in KNOWN_SCHEMAS:
        raise ArchiveError(
            f"{where}: unknown cache archive schema version {schema!r} "
            f"(this link-ls reads {', '.join(map(str, sorted(KNOWN_SCHEMAS)))})"
        )
    comps = data.get("components")
    notebook = data.get("notebook")
    created = data.get("created")
    if not isinstance(comps, list) or not isinstance(notebook, str) or not isinstance(created, str):
        raise ArchiveError(f"{where}: {TOP_MANIFEST} lacks notebook, created or components")
    out: list[ArchivedComponent] = []
    seen: set[str] = set()
    for c in comps:
        if not isinstance(c, Mapping):
            raise ArchiveError(f"{where}: a component in {TOP_MANIFEST} is not an object")
        key = c.get("key")
        if not isinstance(key, str) or not is_key(key) or key in seen:
            raise ArchiveError(f"{where}: component key {key!r} is invalid or repeated")
        seen.add(key)
        files = c.get("files")
        if not isinstance(files, list):
            raise ArchiveError(f"{where}: component {key[:12]} lists no files")
        try:
            recs = tuple(file_record(f, where) for f in files)
        except CacheError as e:
            raise ArchiveError(str(e)) from None
        prefix = entry_member(key, "")
        for r in recs:
            if not r.path.startswith(prefix):
                raise ArchiveError(f"{where}: file {r.path!r} is outside its component's folder")
        node, name, ccreated = c.get("node"), c.get("name"), c.get("created")
        if not isinstance(node, str) or not isinstance(name, str) or not isinstance(ccreated, str):
            raise ArchiveError(f"{where}: component {key[:12]} lacks node, name or created")
        out.append(ArchivedComponent(CacheKey(key), node, name, ccreated, recs))
    creator, host = data.get("creator", ""), data.get("host", "")
    return ArchiveManifest(
        notebook,
        created,
        tuple(out),
        int(schema),
        creator[:100] if isinstance(creator, str) else "",
        host[:100] if isinstance(host, str) else "",
    )
