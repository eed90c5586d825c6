"""Hostile archives: each is rejected with its own one-line error and the store stays untouched.

Every archive is built here with ``tarfile`` from the members of a genuine export,
changed in exactly one way (the top-level manifest is rewritten to stay
consistent where the attack needs it), so each rejection is for the stated reason.
"""

from __future__ import annotations

import copy
import hashlib
import io
import json
import subprocess
import tarfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from link_ls.cache import CacheStore
from link_ls.cache.archive import ImportLimits
from link_ls.cache.errors import ArchiveError
from link_ls.cache.export import export_cache
from link_ls.cache.importer import import_cache
from link_ls.notebook import load
from tests.cache.entries import copy_fixture, fill_store, tree
from tests.conftest import run_link_ls

Member = tuple[tarfile.TarInfo, bytes | None]
Members = list[Member]


def _file(name: str, data: bytes) -> Member:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    return info, data


def _special(name: str, kind: bytes, linkname: str = "") -> Member:
    info = tarfile.TarInfo(name)
    info.type = kind
    info.linkname = linkname
    return info, None


def _top(members: Members) -> dict[str, object]:
    data = members[0][1]
    assert data is not None
    loaded: dict[str, object] = json.loads(data)
    return loaded


def _with_top(members: Members, top: dict[str, object]) -> Members:
    return [_file("link-ls-cache.json", json.dumps(top).encode()), *members[1:]]


def _first_var(members: Members) -> int:
    return next(i for i, (m, _) in enumerate(members) if m.name.endswith(".pkl"))


def _schema(ms: Members) -> Members:
    top = _top(ms)
    top["schema"] = 99
    return _with_top(ms, top)


def _extra(ms: Members) -> Members:
    return [*ms, _file("entries/evil.py", b"print('hi')")]


def _tamper(ms: Members) -> Members:
    i = _first_var(ms)
    info, data = ms[i]
    assert data is not None
    out = list(ms)
    out[i] = _file(info.name, data[:-1] + bytes([data[-1] ^ 1]))
    return out


def _drop_listed(ms: Members) -> Members:
    i = _first_var(ms)
    return ms[:i] + ms[i + 1 :]


def _duplicate(ms: Members) -> Members:
    i = _first_var(ms)
    return [*ms, ms[i]]


def _no_top(ms: Members) -> Members:
    return ms[1:]


def _entry_manifest_lies(ms: Members) -> Members:
    """The entry's own manifest points a variable at another file; the top manifest agrees."""
    i = next(i for i, (m, _) in enumerate(ms) if m.name.endswith("/manifest.json"))
    info, data = ms[i]
    assert data is not None
    entry = json.loads(data)
    entry["variables"][0]["path"] = "vars/../../../../escape.pkl"
    new = json.dumps(entry).encode()
    top = copy.deepcopy(_top(ms))
    for comp in top["components"]:  # type: ignore[attr-defined]
        for f in comp["files"]:
            if f["path"] == info.name:
                f["size"], f["sha256"] = len(new), hashlib.sha256(new).hexdigest()
    out = _with_top(ms, top)
    out[i] = _file(info.name, new)
    return out


def _add(member: Member) -> Callable[[Members], Members]:
    return lambda ms: [*ms, member]


def _big_var(ms: Members) -> Members:
    return ms  # the limit, not the archive, makes this one oversize


@dataclass(frozen=True)
class Hostile:
    name: str
    build: Callable[[Members], Members]
    error: str
    limits: ImportLimits = field(default_factory=ImportLimits)


CASES = [
    Hostile("unknown schema version", _schema, "unknown cache archive schema version 99"),
    Hostile("absolute path", _add(_file("/tmp/evil", b"x")), "'/tmp/evil' has an absolute path"),
    Hostile(
        "dot-dot",
        _add(_file("entries/../../evil", b"x")),
        "member 'entries/../../evil' contains '..'",
    ),
    Hostile("backslash", _add(_file("entries\\evil", b"x")), "contains a backslash"),
    Hostile(
        "symlink",
        _add(_special("entries/link", tarfile.SYMTYPE, "/etc/passwd")),
        "'entries/link' is a symbolic link",
    ),
    Hostile(
        "hard link",
        _add(_special("entries/hard", tarfile.LNKTYPE, "link-ls-cache.json")),
        "'entries/hard' is a hard link",
    ),
    Hostile("char device", _add(_special("entries/tty", tarfile.CHRTYPE)), "is a device"),
    Hostile("block device", _add(_special("entries/sda", tarfile.BLKTYPE)), "is a device"),
    Hostile("fifo", _add(_special("entries/pipe", tarfile.FIFOTYPE)), "'entries/pipe' is a FIFO"),
    Hostile("directory", _add(_special("entries/d", tarfile.DIRTYPE)), "is not a regular file"),
    Hostile(
        "member not in manifest",
        _extra,
        "member 'entries/evil.py' is not listed in the archive manifest",
    ),
    Hostile("hash mismatch", _tamper, "does not match its sha256 in the manifest"),
    Hostile("listed file missing", _drop_listed, "is missing from the archive"),
    Hostile("duplicate member", _duplicate, "appears twice"),
    Hostile("no top-level manifest", _no_top, "not a link-ls cache archive"),
    Hostile("entry manifest escapes", _entry_manifest_lies, "is not allowed"),
    Hostile(
        "oversize member",
        _big_var,
        "over the limit of 64 B per file",
        ImportLimits(max_member_size=64),
    ),
    Hostile(
        "oversize total",
        _big_var,
        "exceed the limit of 300 B in total",
        ImportLimits(max_total_size=300),
    ),
    Hostile("too many members", _big_var, "more than 2 members", ImportLimits(max_members=2)),
]


@pytest.fixture(scope="module")
def genuine(tmp_path_factory: pytest.TempPathFactory) -> Members:
    """The members of a real export of two components, in order."""
    tmp = tmp_path_factory.mktemp("genuine")
    nb_path = copy_fixture("diskcache-pipeline.ipynb", tmp)
    nb = load(nb_path)
    store = CacheStore(tmp / "a", nb_path.name)
    fill_store(nb, store, ["load", "square"])
    export_cache(nb, store, tmp / "c.tar.gz")
    out: Members = []
    with tarfile.open(tmp / "c.tar.gz") as tar:
        for m in tar.getmembers():
            f = tar.extractfile(m)
            assert f is not None
            out.append((m, f.read()))
    return out


def _write(path: Path, members: Members) -> Path:
    with tarfile.open(path, "w:gz") as tar:
        for info, data in members:
            tar.addfile(info, io.BytesIO(data) if data is not None else None)
    return path


def _target(tmp_path: Path) -> tuple[CacheStore, Path]:
    """Store B already holds an entry, so "untouched" means more than "still empty"."""
    nb_path = copy_fixture("diskcache-pipeline.ipynb", tmp_path)
    store = CacheStore(tmp_path / "b", nb_path.name)
    fill_store(load(nb_path), store, ["evens"])
    return store, nb_path


def test_the_genuine_archive_is_accepted(genuine: Members, tmp_path: Path) -> None:
    store, nb_path = _target(tmp_path)
    report = import_cache(_write(tmp_path / "ok.tar.gz", genuine), store, load(nb_path))
    assert [c.state for c in report.components] == ["valid", "valid"]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_hostile_archive_is_rejected_and_the_store_untouched(
    case: Hostile, genuine: Members, tmp_path: Path
) -> None:
    store, nb_path = _target(tmp_path)
    archive = _write(tmp_path / "hostile.tar.gz", case.build(list(genuine)))
    before = tree(store.root)
    with pytest.raises(ArchiveError) as err:
        import_cache(archive, store, load(nb_path), limits=case.limits)
    message = str(err.value)
    assert case.error in message
    assert "\n" not in message and message.startswith(str(archive))
    assert tree(store.root) == before
    assert not (tmp_path / "evil").exists() and not (Path("/tmp") / "evil").exists()


@pytest.mark.parametrize(
    ("content", "error"),
    [
        (b"not an archive at all", "not a gzip-compressed tar archive"),
        (b"\x1f\x8b\x08\x00" + b"\x00" * 20, "archive"),
    ],
)
def test_non_archives_are_rejected(content: bytes, error: str, tmp_path: Path) -> None:
    store, nb_path = _target(tmp_path)
    bad = tmp_path / "bad.tar.gz"
    bad.write_bytes(content)
    before = tree(store.root)
    with pytest.raises(ArchiveError, match=error):
        import_cache(bad, store, load(nb_path))
    assert tree(store.root) == before


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return run_link_ls("cache", "import", *args, env={"LINK_LS_DEBUG": ""}, timeout=120)


def test_cli_prints_one_line_and_exits_2(genuine: Members, tmp_path: Path) -> None:
    store, nb_path = _target(tmp_path)
    archive = _write(tmp_path / "hostile.tar.gz", _tamper(list(genuine)))
    before = tree(store.root)
    done = _cli(str(archive), "--notebook", str(nb_path), "--cache-dir", str(store.root))
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("link-ls: error: ")
    assert "does not match its sha256" in lines[0]
    assert tree(store.root) == before


def test_cli_size_limit_option(genuine: Members, tmp_path: Path) -> None:
    store, nb_path = _target(tmp_path)
    archive = _write(tmp_path / "ok.tar.gz", genuine)
    before = tree(store.root)
    done = _cli(
        str(archive),
        *("--notebook", str(nb_path), "--cache-dir", str(store.root)),
        *("--max-total-size", "1K"),
    )
    assert done.returncode == 2
    assert "exceed the limit of 1.0 KiB in total (--max-total-size)" in done.stderr
    assert tree(store.root) == before
