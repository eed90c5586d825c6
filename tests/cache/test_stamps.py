"""Signed file stamps: an unchanged private variable file is not hashed again; a change is caught.

The kernel side runs in a plain Python subprocess (each call a fresh process, as
the snippets need nothing a kernel has); the store side is the real one.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from link_ls.cache.keys import CacheKey
from link_ls.cache.model import EntryManifest
from link_ls.cache.stamps import STAMPS_NAME, read_stamps
from link_ls.cache.store import CacheStore
from link_ls.cache.transfer import save_entry, stage_entries
from link_ls.cache.trust import UserKey, load_user_key

KEY = CacheKey("ab" * 32)
SETUP = "import array\nnums = list(range(5))\nfloats = array.array('d', [1.5] * 1000)\n"


class Subprocess:
    """A stand-in kernel: each snippet runs in a fresh ``python -c`` after ``SETUP``."""

    def __init__(self, umask: int = 0o022) -> None:
        self.umask = umask

    def run_silent(self, code: str, timeout: float | None = None) -> str:
        setup = f"import os\nos.umask({self.umask})\n" + SETUP
        done = subprocess.run(
            [sys.executable, "-c", setup + code], capture_output=True, text=True, timeout=120
        )
        assert done.returncode == 0, done.stderr
        return done.stdout


def _save(tmp_path: Path, umask: int = 0o022) -> tuple[CacheStore, EntryManifest, UserKey]:
    store = CacheStore(tmp_path / "store", "nb.ipynb")
    user = load_user_key()
    m = save_entry(
        store,
        Subprocess(umask),
        key=KEY,
        node="n1",
        name="load",
        language="python",
        names=["nums", "floats"],
        deleted=[],
        outputs=[],
        user=user,
    )
    return store, m, user


def _stamps(store: CacheStore, user: UserKey) -> dict[str, tuple[int, ...]]:
    t = store.entry_trust(KEY, user)
    assert t is not None and t.trusted
    return read_stamps(store.entry_dir(KEY), user, t.manifest_sha256)


@pytest.mark.parametrize("umask", [0o022, 0o002])
def test_a_saved_entry_is_stamped_and_restores(tmp_path: Path, umask: int) -> None:
    store, m, user = _save(tmp_path, umask)
    assert sorted(_stamps(store, user)) == ["vars/000.pkl", "vars/001.json"]
    # whatever the kernel's umask, nobody else may write an entry's data
    for v in m.variables:
        assert not (store.entry_dir(KEY) / v.file.path).stat().st_mode & 0o022
    assert stage_entries(store, Subprocess(), [m], user=user) == {}


def test_a_changed_file_is_caught_even_with_its_old_times_put_back(tmp_path: Path) -> None:
    store, m, user = _save(tmp_path)
    pkl = store.entry_dir(KEY) / "vars" / "000.pkl"
    st = pkl.stat()
    data = bytearray(pkl.read_bytes())
    data[-20] ^= 0xFF  # same size, one byte of the array's payload
    pkl.write_bytes(bytes(data))
    os.utime(pkl, ns=(st.st_atime_ns, st.st_mtime_ns))

    failed = stage_entries(store, Subprocess(), [m], user=user)
    assert "does not match its manifest" in failed[KEY]


def test_forged_or_foreign_stamps_are_ignored_and_the_file_is_hashed(tmp_path: Path) -> None:
    store, m, user = _save(tmp_path)
    path = store.entry_dir(KEY) / STAMPS_NAME
    data = json.loads(path.read_text())
    pkl = store.entry_dir(KEY) / "vars" / "000.pkl"
    pkl.write_bytes(pkl.read_bytes()[:-1] + b"\x00")
    st = pkl.stat()
    # someone who cannot sign writes the changed file's stamp in
    data["files"]["vars/000.pkl"] = [
        st.st_dev,
        st.st_ino,
        st.st_size,
        st.st_mtime_ns,
        st.st_ctime_ns,
    ]
    path.write_text(json.dumps(data))
    assert _stamps(store, user) == {}
    other = UserKey(b"\x01" * 32, tmp_path / "other.key")
    assert read_stamps(store.entry_dir(KEY), other, data["manifest"]) == {}

    failed = stage_entries(store, Subprocess(), [m], user=user)
    assert "does not match its manifest" in failed[KEY]


def test_an_entry_without_stamps_is_hashed_once_and_stamped_for_the_next_restore(
    tmp_path: Path,
) -> None:
    store, m, user = _save(tmp_path)
    saved = _stamps(store, user)
    (store.entry_dir(KEY) / STAMPS_NAME).unlink()  # an entry from before stamps, or imported

    assert stage_entries(store, Subprocess(), [m], user=user) == {}
    assert _stamps(store, user) == saved  # files untouched: the same stamps as at save
