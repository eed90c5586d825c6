"""``cache trust`` on a remote store (an fsspec URL): checked and signed where it is.

The store is fsspec's in-process ``memory://`` filesystem, filled with entries another
user's key signed (or nobody signed); nothing here runs a kernel.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import uuid
from pathlib import Path
from typing import Any

import pytest

from link_ls.cache.errors import CacheError
from link_ls.cache.model import EntryManifest, FileRecord, VariableRecord
from link_ls.cache.trust import UserKey, load_user_key, signatures_json
from link_ls.cache.trusting import notebook_store, stores_at, trust_stores

fsspec = pytest.importorskip("fsspec")

NB = "p.ipynb"


def _stranger() -> UserKey:
    return UserKey(secrets.token_bytes(32), Path("/elsewhere/cache.key"))


def _rec(path: str, data: bytes) -> FileRecord:
    return FileRecord(path, len(data), hashlib.sha256(data).hexdigest())


def _put(fs: Any, base: str, name: str, signers: list[UserKey]) -> tuple[str, bytes]:
    """An entry named ``name`` at ``base`` (a notebook's folder in the store)."""
    key = hashlib.sha256(name.encode()).hexdigest()
    var = json.dumps({"value": name}).encode()
    m = EntryManifest(
        key=key,  # type: ignore[arg-type]
        notebook=NB,
        node=f"id-{name}",
        name=name,
        language="python",
        created="2026-12-01T00:00:00+00:00",
        outputs=_rec("outputs.json", b"[]"),
        variables=(VariableRecord("v", _rec("vars/000.json", var), "json"),),
    )
    raw = json.dumps(m.to_json()).encode()
    fs.pipe_file(f"{base}/{key}/outputs.json", b"[]")
    fs.pipe_file(f"{base}/{key}/vars/000.json", var)
    if signers:
        macs = {s.key_id: s.sign(raw) for s in signers}
        fs.pipe_file(f"{base}/{key}/signatures.json", signatures_json(macs))
    fs.pipe_file(f"{base}/{key}/manifest.json", raw)
    return key, raw


def _macs(fs: Any, base: str, key: str) -> dict[str, str]:
    try:
        return dict(json.loads(fs.cat(f"{base}/{key}/signatures.json"))["hmac-sha256"])
    except FileNotFoundError:
        return {}


@pytest.fixture
def remote() -> tuple[str, Any, str]:
    url = f"memory://trust-{uuid.uuid4().hex}/cache"
    fs, root = fsspec.core.url_to_fs(url)
    return url, fs, f"{root}/{NB}"


def test_remote_entries_are_signed_at_the_url_keeping_other_signatures(
    remote: tuple[str, Any, str], tmp_path: Path
) -> None:
    url, fs, base = remote
    me = load_user_key()
    alice, bob = _stranger(), _stranger()
    shared, _ = _put(fs, base, "shared", [alice, bob])
    bare, _ = _put(fs, base, "bare", [])
    _put(fs, base, "mine", [alice, me])
    damaged, _ = _put(fs, base, "damaged", [alice])
    fs.pipe_file(f"{base}/{damaged}/vars/000.json", b'{"value": "evil!!!"}')
    altered, raw = _put(fs, base, "altered", [])
    fs.pipe_file(
        f"{base}/{altered}/signatures.json",
        signatures_json({me.key_id: me.sign(raw + b" "), alice.key_id: alice.sign(raw)}),
    )
    before = {k: _macs(fs, base, k) for k in (damaged, altered)}

    report = trust_stores([notebook_store(tmp_path / NB, store=url)])

    got = {e.name: (e.before, e.outcome) for e in report.entries}
    assert got == {
        "shared": ("foreign", "trusted"),
        "bare": ("unsigned", "trusted"),
        "mine": ("trusted", "already trusted"),
        "damaged": ("foreign", "refused"),
        "altered": ("altered", "refused"),
    }
    assert {e.store for e in report.entries} == {f"{url}/{NB}"}
    assert set(_macs(fs, base, shared)) == {alice.key_id, bob.key_id, me.key_id}
    assert set(_macs(fs, base, bare)) == {me.key_id}
    # refused entries are left exactly as they were
    assert {k: _macs(fs, base, k) for k in (damaged, altered)} == before
    # a second trust finds everything sound already trusted
    again = trust_stores([notebook_store(tmp_path / NB, store=url)])
    assert again.count("trusted") == 0 and again.count("already trusted") == 3


def test_a_remote_store_root_is_found_by_its_url(remote: tuple[str, Any, str]) -> None:
    url, fs, base = remote
    _put(fs, base, "one", [_stranger()])
    other = base.rsplit("/", 1)[0] + "/q.ipynb"
    _put(fs, other, "two", [])
    stores = stores_at(url)  # a whole store root, as a team's bucket would be given
    assert [s.location for s in stores] == [f"{url}/{NB}", f"{url}/q.ipynb"]
    report = trust_stores(stores)
    assert report.count("trusted") == 2
    (single,) = stores_at(f"{url}/{NB}")  # one notebook's entries
    assert single.location == f"{url}/{NB}"
    with pytest.raises(CacheError, match="nothing there"):
        stores_at(f"{url}/nosuch")
