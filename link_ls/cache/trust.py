"""Who may restore a cache entry: the user's signing key, entry signatures, trust states, origins.

Unpickling runs code, so a run restores only entries it can authenticate as
this user's own: each entry written by the user's runs (or trusted by them with
``link-ls cache trust`` / ``cache import --trust``) carries an HMAC-SHA256 of its
``manifest.json`` — which holds the size and sha256 of every other file of the
entry — made with a per-user key kept in the user's config directory
(``$XDG_CONFIG_HOME/link-ls/cache.key``, else ``~/.config/link-ls/cache.key``;
``$LINK_LS_CACHE_KEY_FILE`` overrides), created on first use with mode 0600.

Signatures live beside the manifest in ``signatures.json`` (one per key id, so a
shared store can hold several users' signatures); where an entry came from
(an imported archive) is recorded in ``origin.json``. Neither is part of what is
signed, and neither is exported: a signature means "this user decided to trust
these exact bytes" and is worth nothing to anyone else.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import os
import secrets
import stat
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import Any

from link_ls.cache.errors import CacheError

KEY_FILE_ENV = "LINK_LS_CACHE_KEY_FILE"
KEY_FILE_NAME = "cache.key"
SIGNATURES_NAME = "signatures.json"
ORIGIN_NAME = "origin.json"
#: domain separation: the key signs nothing but entry manifests of this layout
_CONTEXT = b"link-ls cache entry manifest v1\x00"
_KEY_BYTES = 32
MAX_SIDE_FILE = 1 << 20


def default_key_path() -> Path:
    """``$LINK_LS_CACHE_KEY_FILE``, else the user's config directory (never a project folder)."""
    env = os.environ.get(KEY_FILE_ENV)
    if env:
        return Path(env).expanduser().absolute()
    config = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(config).expanduser().absolute() / "link-ls" / KEY_FILE_NAME


@dataclass(frozen=True)
class UserKey:
    """The user's secret cache key and its public id (a hash of it, safe to write down).

    The secret is left out of ``repr`` (a key shipped to a Dask worker inside a task
    must not end up in a log line that prints the task).
    """

    secret: bytes = field(repr=False)
    path: Path

    @property
    def key_id(self) -> str:
        return hashlib.sha256(b"link-ls cache key id\x00" + self.secret).hexdigest()[:16]

    def sign(self, manifest: bytes) -> str:
        return hmac.new(self.secret, _CONTEXT + manifest, hashlib.sha256).hexdigest()

    def verify(self, manifest: bytes, mac: str) -> bool:
        return hmac.compare_digest(self.sign(manifest), mac)


def load_user_key(path: Path | None = None, *, create: bool = True) -> UserKey:
    """The user's key, created (0600, in a 0700 folder) on first use.

    A key file that others may read or write is refused, as ssh refuses such a
    private key: anyone who can read it can sign entries as this user.
    """
    p = path or default_key_path()
    try:
        fd = os.open(p, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    except FileNotFoundError:
        if not create:
            raise CacheError(f"{p}: no cache key yet (a run creates it)") from None
        return _create(p)
    except OSError as e:
        raise CacheError(f"{p}: cannot read the cache key: {e.strerror or e}") from None
    with os.fdopen(fd, "rb") as f:
        st = os.fstat(f.fileno())
        if not stat.S_ISREG(st.st_mode):
            raise CacheError(f"{p}: the cache key is not a regular file")
        if os.name == "posix" and st.st_mode & 0o077:
            raise CacheError(
                f"{p}: the cache key is accessible by other users; run `chmod 600 {p}`"
            )
        raw = f.read(4 * _KEY_BYTES)
    try:
        secret = bytes.fromhex(raw.decode("ascii").strip())
    except (UnicodeDecodeError, ValueError):
        secret = b""
    if len(secret) < 16:
        raise CacheError(f"{p}: not a link-ls cache key (expected hex text)")
    return UserKey(secret, p)


def _create(p: Path) -> UserKey:
    try:
        p.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        secret = secrets.token_bytes(_KEY_BYTES)
        tmp = p.with_name(f".{p.name}.{secrets.token_hex(4)}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="ascii") as f:
            f.write(secret.hex() + "\n")
            f.flush()
            os.fsync(f.fileno())
        try:
            # link, not rename: two processes creating the key at once keep the first one
            os.link(tmp, p)
        except FileExistsError:
            return load_user_key(p, create=False)
        finally:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
    except OSError as e:
        raise CacheError(f"{p}: cannot create the cache key: {e.strerror or e}") from None
    return UserKey(secret, p)


class TrustState(str, Enum):
    """How an entry stands with this user's key."""

    TRUSTED = "trusted"  # signed with this user's key, manifest unchanged since
    UNSIGNED = "unsigned"  # no signature: imported, or written by someone else / older link-ls
    FOREIGN = "foreign"  # signed, but only by other keys (a shared store)
    ALTERED = "altered"  # claims this user's key but the signature does not match: tampered


@dataclass(frozen=True)
class Origin:
    """Where an entry came from, as recorded by ``cache import`` (informative, not signed)."""

    source: str  # "import"
    archive: str  # the archive's file name
    format: str  # "link-ls" or "link"
    imported: str  # when it was imported
    notebook: str = ""  # the notebook the archive was made from, if it says
    creator: str = ""  # who made the archive, if it says
    host: str = ""  # on which machine, if it says
    created: str = ""  # when the archive was made, if it says

    def to_json(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "archive": self.archive,
            "format": self.format,
            "imported": self.imported,
            "notebook": self.notebook,
            "creator": self.creator,
            "host": self.host,
            "created": self.created,
        }

    def describe(self) -> str:
        """``imported from x.tar.gz (made by alice on host, 2026-…) on 2026-…``."""
        made = []
        who = self.creator + (f" on {self.host}" if self.host else "")
        if who:
            made.append(f"made by {who}")
        if self.created:
            made.append(self.created[:10])
        what = f"{self.archive}" + (f" ({', '.join(made)})" if made else "")
        kind = "Link archive " if self.format == "link" else ""
        return f"imported from {kind}{what} on {self.imported[:10]}"


def origin_from_json(data: Any) -> Origin | None:
    if not isinstance(data, Mapping):
        return None
    fields = ("source", "archive", "format", "imported", "notebook", "creator", "host", "created")
    vals = {f: data.get(f, "") for f in fields}
    if not all(isinstance(v, str) for v in vals.values()) or not vals["archive"]:
        return None
    return Origin(**{k: v[:300] for k, v in vals.items()})


def parse_side_file(raw: bytes | None) -> Any:
    """A side file's JSON (read with at most :data:`MAX_SIDE_FILE` + 1 bytes); None when
    absent, too large or unreadable."""
    if raw is None or len(raw) > MAX_SIDE_FILE:
        return None
    try:
        return json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return None


def read_side_file(folder: Path, name: str) -> Any:
    """A small JSON file beside an entry's manifest; None when absent or unreadable."""
    try:
        with open(folder / name, "rb") as f:
            raw = f.read(MAX_SIDE_FILE + 1)
    except OSError:
        return None
    return parse_side_file(raw)


def read_signatures(folder: Path) -> dict[str, str]:
    return parse_signatures(read_side_file(folder, SIGNATURES_NAME))


def parse_signatures(data: Any) -> dict[str, str]:
    """The HMACs per key id of a parsed ``signatures.json`` (empty when it is not one)."""
    macs = data.get("hmac-sha256") if isinstance(data, Mapping) else None
    if not isinstance(macs, Mapping):
        return {}
    return {str(k): v for k, v in macs.items() if isinstance(v, str)}


def signatures_json(macs: Mapping[str, str]) -> bytes:
    return json.dumps({"schema": 1, "hmac-sha256": dict(sorted(macs.items()))}, indent=1).encode()


def trust_state(key: UserKey, manifest: bytes, macs: Mapping[str, str]) -> TrustState:
    """Check an entry's manifest bytes against its signatures."""
    mine = macs.get(key.key_id)
    if mine is not None:
        return TrustState.TRUSTED if key.verify(manifest, mine) else TrustState.ALTERED
    return TrustState.FOREIGN if macs else TrustState.UNSIGNED


def describe_untrusted(state: TrustState, origin: Origin | None) -> str:
    """Why an entry is not trusted, in a few words (for run notes and ``cache list``)."""
    if state is TrustState.ALTERED:
        return "altered after link-ls wrote it: its signature does not match"
    if origin is not None:
        return origin.describe()
    if state is TrustState.FOREIGN:
        return "signed by another user's key"
    return "not signed by your key"
