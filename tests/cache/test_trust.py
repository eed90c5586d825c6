"""Cache trust: a stranger's pickle never runs until the user trusts it; tampering is refused.

The hostile value is a real pickle whose ``__reduce__`` writes a marker file when it
is unpickled, inside a well-formed archive (every sha256 right): the marker tells
whether anything unpickled it.
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
from pathlib import Path
from typing import Any

import pytest

from link_ls.cache import CacheOptions, CacheStore, component_statuses
from link_ls.cache.errors import CacheError
from link_ls.cache.export import export_cache
from link_ls.cache.importer import import_cache
from link_ls.cache.keys import CacheKey, compute_keys
from link_ls.cache.model import MANIFEST_NAME
from link_ls.cache.runner import PipelineStepCache, preview_plan
from link_ls.cache.trust import (
    KEY_FILE_ENV,
    TrustState,
    UserKey,
    load_user_key,
)
from link_ls.cache.trusting import stores_in, trust_stores
from link_ls.kernel import KernelSession
from link_ls.kernel.report import RunReport
from link_ls.kernel.runner import run_plan
from link_ls.notebook import load
from link_ls.pipeline import build, plan_all, plan_up_to
from tests.cache.entries import add_entry, copy_fixture
from tests.conftest import run_link_ls

PIPE = "diskcache-pipeline.ipynb"


class Hostile:
    """Unpickling this writes ``marker`` and then gives a harmless-looking list."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[Any, tuple[str]]:
        code = f"__import__('pathlib').Path({str(self.marker)!r}).write_text('ran') and [0, 1, 2]"
        return eval, (code,)


def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return run_link_ls(*args, cwd=cwd, timeout=300)


def _other_key(tmp_path: Path) -> UserKey:
    return load_user_key(tmp_path / "colleague" / "cache.key")


def _hostile_store(tmp_path: Path, marker: Path, *, user: UserKey | None = None) -> Path:
    """Machine A: an entry for ``load`` whose ``data`` is the hostile pickle."""
    a = tmp_path / "a"
    a.mkdir()
    nb_path = copy_fixture(PIPE, a)
    nb = load(nb_path)
    idx = next(c.index for c in nb.cells if c.name == "load")
    key = compute_keys(nb)[idx]
    store = CacheStore.for_notebook(nb_path)
    add_entry(store, key, str(nb.cells[idx].node_id), "load", {"data": Hostile(marker)})
    if user is not None:  # re-sign as somebody else: drop the session user's signature
        from link_ls.cache.store import sign_folder

        (store.entry_dir(key) / "signatures.json").unlink()
        sign_folder(store.entry_dir(key), user, (store.entry_dir(key) / MANIFEST_NAME).read_bytes())
    return nb_path


def _run(nb_path: Path, target: str | None = None) -> tuple[RunReport, PipelineStepCache]:
    nb = load(nb_path)
    p = build(nb)
    plan = (
        plan_all(p)
        if target is None
        else plan_up_to(p, next(c.index for c in nb.cells if c.name == target))
    )
    cache = PipelineStepCache(CacheStore.for_notebook(nb_path), CacheOptions())
    session = KernelSession(cwd=nb_path.parent)
    try:
        return run_plan(session, nb, plan, cache=cache, timeout=120), cache
    finally:
        session.shutdown()


def _statuses(report: RunReport) -> dict[str, str]:
    return {r.step.name: r.status.value for r in report.steps}


# -- the user's key ---------------------------------------------------------------------


def test_key_is_created_once_in_the_config_dir_with_mode_0600(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(KEY_FILE_ENV, raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    key = load_user_key()
    assert key.path == tmp_path / "config" / "link-ls" / "cache.key"
    assert stat.S_IMODE(key.path.stat().st_mode) == 0o600
    assert stat.S_IMODE(key.path.parent.stat().st_mode) == 0o700
    assert load_user_key() == key  # the same key on every later use


def test_a_key_others_can_read_is_refused(tmp_path: Path) -> None:
    key = load_user_key(tmp_path / "k" / "cache.key")
    os.chmod(key.path, 0o644)
    with pytest.raises(CacheError, match="chmod 600"):
        load_user_key(key.path)


# -- imported archives ------------------------------------------------------------------


def test_hostile_archive_is_not_unpickled_until_trusted(tmp_path: Path) -> None:
    marker = tmp_path / "MARKER"
    a_nb = _hostile_store(tmp_path, marker)
    archive = tmp_path / "shared.tar.gz"
    export_cache(load(a_nb), CacheStore.for_notebook(a_nb), archive)
    b = tmp_path / "b"
    b.mkdir()
    b_nb = copy_fixture(PIPE, b)

    done = _cli("cache", "import", str(archive), "--notebook", str(b_nb), cwd=b)
    assert done.returncode == 0, done.stderr
    assert "untrusted" in done.stdout and "link-ls cache trust" in done.stdout
    listed = _cli("cache", "list", str(b_nb), "--format", "json", cwd=b)
    row = next(r for r in json.loads(listed.stdout)["components"] if r["name"] == "load")
    assert (row["state"], row["trust"]) == ("valid", "unsigned")
    assert row["origin"]["archive"] == "shared.tar.gz"

    run = _cli("run", str(b_nb), cwd=b)
    assert run.returncode == 0, run.stderr
    assert not marker.exists()  # never unpickled
    assert "5 executed" in run.stdout
    assert (
        "link-ls: cache: 1 cached component is untrusted (imported from shared.tar.gz" in run.stderr
    )
    assert f"run `link-ls cache trust {b_nb}` to use it" in run.stderr

    trusted = _cli("cache", "trust", str(b_nb), cwd=b)
    assert trusted.returncode == 0, trusted.stderr
    assert "trusted 1 entries" in trusted.stdout and "shared.tar.gz" in trusted.stdout

    # trusted: it restores as any entry does (and so runs the archive's code: the user chose)
    run = _cli("run", str(b_nb), "--to", "load", cwd=b)
    assert run.returncode == 0, run.stderr
    assert "1 restored" in run.stdout
    assert marker.read_text() == "ran"


def test_import_with_trust_signs_and_records_the_origin(tmp_path: Path) -> None:
    marker = tmp_path / "MARKER"
    a_nb = _hostile_store(tmp_path, marker)
    archive = tmp_path / "from-alice.tar.gz"
    export_cache(load(a_nb), CacheStore.for_notebook(a_nb), archive)
    b = tmp_path / "b"
    b.mkdir()
    b_nb = copy_fixture(PIPE, b)
    store = CacheStore.for_notebook(b_nb)
    report = import_cache(archive, store, load(b_nb), trust=True)
    assert report.trusted and report.origin is not None
    assert report.origin.archive == "from-alice.tar.gz" and report.origin.creator
    (key,) = store.keys()
    t = store.entry_trust(key, load_user_key())
    assert t is not None and t.state is TrustState.TRUSTED
    assert t.origin == report.origin
    assert not marker.exists()  # importing, even trusted, never unpickles


# -- the user's own store, tampered -----------------------------------------------------


def _own_entry(tmp_path: Path) -> tuple[Path, CacheStore]:
    """The user's own store: a signed entry for ``load`` with a pickled ``data``."""
    folder = tmp_path / "m"
    folder.mkdir()
    nb_path = copy_fixture(PIPE, folder)
    nb = load(nb_path)
    idx = next(c.index for c in nb.cells if c.name == "load")
    store = CacheStore.for_notebook(nb_path)
    add_entry(
        store,
        compute_keys(nb)[idx],
        str(nb.cells[idx].node_id),
        "load",
        {"data": list(range(1000))},
    )
    return nb_path, store


def _replace_data(store: CacheStore, marker: Path, *, fix_manifest: bool) -> CacheKey:
    """Put the hostile pickle in place of ``load``'s ``data``: same size, or re-hashed."""
    import hashlib

    import cloudpickle

    m = next(e for e in store.entries() if e.name == "load")
    (var,) = m.variables
    assert var.format == "pickle"
    data = cloudpickle.dumps(Hostile(marker))
    if not fix_manifest:  # pickle ignores what follows its STOP: pad to the recorded size
        data += b"\0" * (var.file.size - len(data))
    (store.entry_dir(m.key) / var.file.path).write_bytes(data)
    if fix_manifest:
        path = store.entry_dir(m.key) / MANIFEST_NAME
        raw = json.loads(path.read_text())
        raw["variables"][0].update(size=len(data), sha256=hashlib.sha256(data).hexdigest())
        path.write_text(json.dumps(raw, indent=1, sort_keys=True))
    return m.key


def test_a_changed_file_in_a_signed_entry_is_refused_before_loading(tmp_path: Path) -> None:
    nb_path, store = _own_entry(tmp_path)
    marker = tmp_path / "MARKER"
    _replace_data(store, marker, fix_manifest=False)

    again, cache = _run(nb_path, "load")
    assert not marker.exists()
    assert _statuses(again) == {"load": "executed"}
    assert cache.notes == [
        "load: cached result not restorable (file for 'data' does not match its manifest); "
        "executing it instead"
    ]


def test_a_manifest_edited_with_hashes_recomputed_is_refused_as_altered(tmp_path: Path) -> None:
    nb_path, store = _own_entry(tmp_path)
    marker = tmp_path / "MARKER"
    key = _replace_data(store, marker, fix_manifest=True)
    assert store.entry_trust(key, load_user_key()).state is TrustState.ALTERED  # type: ignore[union-attr]
    rows = {r.name: r.trust for r in component_statuses(load(nb_path), store)}
    assert rows["load"] == "altered"
    # `cache trust` never signs an altered entry
    report = trust_stores([store])
    assert [(e.name, e.outcome) for e in report.entries] == [("load", "refused")]
    assert "altered" in report.entries[0].detail

    again, cache = _run(nb_path, "load")
    assert not marker.exists()
    assert _statuses(again) == {"load": "executed"}
    assert cache.notes == [
        "load: cache entry refused: altered after link-ls wrote it: its signature does not "
        "match; executing it instead"
    ]
    assert again.cache is not None and [r["name"] for r in again.cache["refused"]] == ["load"]
    # the run's own result replaces the altered entry, signed again
    assert store.entry_trust(key, load_user_key()).state is TrustState.TRUSTED  # type: ignore[union-attr]


# -- a shared store ---------------------------------------------------------------------


def test_entries_signed_by_another_key_are_untrusted_until_trusted(tmp_path: Path) -> None:
    marker = tmp_path / "MARKER"
    colleague = _other_key(tmp_path)
    nb_path = _hostile_store(tmp_path, marker, user=colleague)
    store = CacheStore.for_notebook(nb_path)
    nb = load(nb_path)
    load_idx = next(c.index for c in nb.cells if c.name == "load")
    rows = {r.name: (r.trust, r.trust_note) for r in component_statuses(nb, store)}
    assert rows["load"] == ("foreign", "signed by another user's key")
    plan = plan_up_to(build(nb), load_idx)
    assert preview_plan(nb, plan, store)[load_idx].value == "execute"

    report, cache = _run(nb_path, "load")
    assert not marker.exists()
    assert _statuses(report) == {"load": "executed"}
    assert cache.notes[0].startswith(
        "1 cached component is untrusted (signed by another user's key): run `link-ls cache trust"
    )
    # the colleague's entry is kept for the user to decide on, not overwritten by this run
    (key,) = store.keys()
    assert store.entry_trust(key, colleague).state is TrustState.TRUSTED  # type: ignore[union-attr]

    (found,) = stores_in(store.root)  # a whole store root, as a team share would be given
    report_t = trust_stores([found])
    assert [(e.name, e.outcome, e.before) for e in report_t.entries] == [
        ("load", "trusted", "foreign")
    ]
    # both signatures are there now: the colleague's entry stays theirs too
    for k in (colleague, load_user_key()):
        assert store.entry_trust(key, k).state is TrustState.TRUSTED  # type: ignore[union-attr]
    assert preview_plan(nb, plan, store)[load_idx].value == "restore"


# -- the command line -------------------------------------------------------------------


def test_cli_list_shows_trust_and_trust_refuses_altered_entries(tmp_path: Path) -> None:
    from tests.cache.entries import fill_store

    nb_path = copy_fixture(PIPE, tmp_path)
    store = CacheStore.for_notebook(nb_path)
    keys = fill_store(load(nb_path), store, ["load", "square"])
    # "load" as a stranger left it (unsigned), "square" the user's own but edited since
    (store.entry_dir(CacheKey(keys["load"])) / "signatures.json").unlink()
    manifest = store.entry_dir(CacheKey(keys["square"])) / MANIFEST_NAME
    manifest.write_text(manifest.read_text().replace('"square"', '"square2"'))

    listed = _cli("cache", "list", str(nb_path), cwd=tmp_path)
    assert listed.returncode == 0, listed.stderr
    assert "untrusted" in listed.stdout and "altered" in listed.stdout
    assert (
        f"1 untrusted: runs execute them instead of restoring; `link-ls cache trust {nb_path}`"
        in " ".join(listed.stdout.split())
    )

    done = _cli("cache", "trust", str(store.root), "--format", "json", cwd=tmp_path)
    assert done.returncode == 1, done.stderr  # something was refused
    report = json.loads(done.stdout)
    outcomes = {e["key"]: (e["before"], e["outcome"]) for e in report["entries"]}
    assert outcomes == {
        keys["load"]: ("unsigned", "trusted"),
        keys["square"]: ("altered", "refused"),
    }
    rows = {r.name: r.trust for r in component_statuses(load(nb_path), store)}
    assert rows["load"] == "trusted" and rows["square"] == "altered"

    again = _cli("cache", "trust", str(nb_path), cwd=tmp_path)
    assert again.returncode == 1
    assert "already trusted" in again.stdout and "refused" in again.stdout


def test_cli_trust_of_a_folder_without_entries_is_one_line_exit_2(tmp_path: Path) -> None:
    done = _cli("cache", "trust", str(tmp_path), cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr.strip().count("\n") == 0 and "no cache entries" in done.stderr
