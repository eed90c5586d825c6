"""File stamps: restore a private variable file without hashing it again when it is unchanged.

Hashing every byte of an entry on every restore costs about as much as loading
it. A *stamp* records a variable file's identity and change time as the kernel
saw it right after checking (or writing) its exact bytes: ``[st_dev, st_ino,
st_size, st_mtime_ns, st_ctime_ns]``. Any write to a file, ``utime`` and a
rename all set its ``st_ctime`` to the current time, and no process but root's
can set it back; a file put in its place has another inode. So a file that is
still owned by the user, writable by nobody else and has exactly its stamp holds
the bytes that were checked against the signed manifest — the same trust the
restore already gives such a file between hashing it and reading it again.

Stamps live beside the manifest in ``stamps.json``, signed with the user's key
(HMAC-SHA256, their own domain) together with the sha256 of the manifest they
belong to, so a stamp can neither be forged nor moved to another entry. They are
per machine and per user: never exported, never signed by ``cache trust``; a
missing, foreign or stale stamp only means the kernel hashes the file as before
(and reports a fresh stamp, written back for the next restore).
"""

from __future__ import annotations

import contextlib
import hmac
import json
import os
import uuid
from collections.abc import Mapping, Sequence
from hashlib import sha256
from pathlib import Path

from link_ls.cache.trust import UserKey, read_side_file

STAMPS_NAME = "stamps.json"
#: domain separation from manifest signatures (trust.py)
_CONTEXT = b"link-ls cache file stamps v1\x00"
_FIELDS = 5

Stamp = tuple[int, ...]


def _payload(key_id: str, manifest_sha256: str, files: Mapping[str, Stamp]) -> bytes:
    body = {
        "key": key_id,
        "manifest": manifest_sha256,
        "files": {p: list(s) for p, s in files.items()},
    }
    return json.dumps(body, sort_keys=True, separators=(",", ":")).encode()


def _mac(user: UserKey, payload: bytes) -> str:
    return hmac.new(user.secret, _CONTEXT + payload, sha256).hexdigest()


def valid_stamp(value: object) -> Stamp | None:
    """A stamp as sent by the kernel or read from disk; None when malformed."""
    if not isinstance(value, Sequence) or isinstance(value, str) or len(value) != _FIELDS:
        return None
    if not all(type(x) is int and x >= 0 for x in value):
        return None
    return tuple(value)


def read_stamps(folder: Path, user: UserKey, manifest_sha256: str) -> dict[str, Stamp]:
    """The entry's stamps when signed with the user's key for exactly this manifest, else {}."""
    data = read_side_file(folder, STAMPS_NAME)
    if not isinstance(data, Mapping) or data.get("key") != user.key_id:
        return {}
    files, mac = data.get("files"), data.get("mac")
    if not isinstance(files, Mapping) or not isinstance(mac, str):
        return {}
    stamps = {str(p): s for p, v in files.items() if (s := valid_stamp(v)) is not None}
    if len(stamps) != len(files) or data.get("manifest") != manifest_sha256:
        return {}
    if not hmac.compare_digest(_mac(user, _payload(user.key_id, manifest_sha256, stamps)), mac):
        return {}
    return stamps


def write_stamps(
    folder: Path, user: UserKey, manifest_sha256: str, stamps: Mapping[str, Stamp]
) -> None:
    """Replace the entry's stamps (best effort: a store we cannot write only stays slower)."""
    payload = _payload(user.key_id, manifest_sha256, stamps)
    data = {
        "schema": 1,
        "key": user.key_id,
        "manifest": manifest_sha256,
        "files": {p: list(s) for p, s in sorted(stamps.items())},
        "mac": _mac(user, payload),
    }
    tmp = folder / f".{STAMPS_NAME}.{uuid.uuid4().hex}.tmp"
    try:
        tmp.write_text(json.dumps(data, indent=1), encoding="utf-8")
        os.replace(tmp, folder / STAMPS_NAME)
    except OSError:
        with contextlib.suppress(OSError):
            tmp.unlink()
