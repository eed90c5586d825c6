"""component_states: never run / up to date / stale / cached / untrusted, from keys, runs, store."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from link_ls.cache import CacheStore, compute_keys, effective_parameters
from link_ls.cache.export import export_cache
from link_ls.cache.importer import import_cache
from link_ls.cache.model import MANIFEST_NAME
from link_ls.cache.store import sign_folder
from link_ls.cache.trust import KEY_FILE_ENV, SIGNATURES_NAME, load_user_key
from link_ls.cache.trusting import trust_stores
from link_ls.notebook import load
from link_ls.pipeline import build
from link_ls.usecases.state import ComponentState, RunState, component_states
from tests.cache.entries import fill_store

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "pipeline.ipynb"


def _states(nb_path: Path, last: dict[str, str]) -> dict[str, str]:
    nb = load(nb_path)
    p = build(nb)
    store = CacheStore.for_notebook(nb_path, nb_path.parent / "cache")
    return {s.name: s.state.value for s in component_states(nb, store, p, last)}


def test_states_follow_the_keys_of_the_last_run(tmp_path: Path) -> None:
    path = tmp_path / "pipeline.ipynb"
    shutil.copy(EXAMPLE, path)
    assert set(_states(path, {}).values()) == {RunState.NEVER_RUN.value}

    nb = load(path)
    p = build(nb)
    keys = compute_keys(nb, p, effective_parameters(nb))
    ran = {
        str(p.node_id(i)): str(keys[i]) for i in p.nodes if p.cell(i).name in ("load_data", "clean")
    }
    states = _states(path, ran)
    assert states["load_data"] == states["clean"] == "up-to-date"
    assert states["split"] == "never-run"

    # an edit of load_data changes its key and, through the Merkle keys, clean's
    text = path.read_text().replace("random.Random(seed)", "random.Random(seed + 1)", 1)
    path.write_text(text)
    states = _states(path, ran)
    assert states["load_data"] == states["clean"] == "stale", states
    assert states["report"] == "never-run"


def test_a_notebook_without_a_file_has_no_store(tmp_path: Path) -> None:
    nb = load(EXAMPLE)
    p = build(nb)
    rows = component_states(nb, None, p, {})
    assert [r.name for r in rows][:2] == ["load_data", "clean"]
    assert {r.state for r in rows} == {RunState.NEVER_RUN}


@pytest.fixture(autouse=True)
def _own_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Entries are signed and checked with a key of the test's own, never the real user's."""
    monkeypatch.setenv(KEY_FILE_ENV, str(tmp_path / "config" / "cache.key"))


def _rows(nb_path: Path, last: dict[str, str] | None = None) -> dict[str, ComponentState]:
    nb = load(nb_path)
    store = CacheStore.for_notebook(nb_path)
    return {s.name: s for s in component_states(nb, store, build(nb), last or {})}


def test_an_imported_entry_is_untrusted_not_cached_until_trusted(tmp_path: Path) -> None:
    # a colleague's store (entries signed with their key), exported as an archive
    a = tmp_path / "colleague"
    a.mkdir()
    shutil.copy(EXAMPLE, a / "pipeline.ipynb")
    theirs = load(a / "pipeline.ipynb")
    their_store = CacheStore.for_notebook(a / "pipeline.ipynb")
    fill_store(theirs, their_store, ["load_data", "clean"])
    theirs_keys = their_store.keys()
    for key in theirs_keys:  # re-signed with the colleague's key only
        (their_store.entry_dir(key) / SIGNATURES_NAME).unlink()
        raw = (their_store.entry_dir(key) / MANIFEST_NAME).read_bytes()
        sign_folder(their_store.entry_dir(key), load_user_key(tmp_path / "their.key"), raw)
    archive = tmp_path / "shared-results.tar.gz"
    export_cache(theirs, their_store, archive)

    # this user: their own entry for split, the archive imported without --trust
    path = tmp_path / "pipeline.ipynb"
    shutil.copy(EXAMPLE, path)
    nb = load(path)
    store = CacheStore.for_notebook(path)
    fill_store(nb, store, ["split"])
    import_cache(archive, store, nb)

    rows = _rows(path)
    assert rows["split"].state is RunState.CACHED
    assert rows["split"].to_json()["trust"] == "trusted"
    for name in ("load_data", "clean"):
        row = rows[name]
        assert row.state is RunState.UNTRUSTED, row
        assert row.note.startswith("imported from shared-results.tar.gz"), row.note
        assert row.to_json()["state"] == "untrusted"
        assert row.to_json()["trust"] == "unsigned"
    assert rows["features"].state is RunState.NEVER_RUN

    # executed in this session (a run does not restore it): up to date, the entry still named
    p = build(nb)
    keys = compute_keys(nb, p, effective_parameters(nb))
    ran = {str(p.node_id(i)): str(keys[i]) for i in p.nodes if p.cell(i).name == "load_data"}
    row = _rows(path, ran)["load_data"]
    assert row.state is RunState.UP_TO_DATE
    assert row.note.startswith("its cache entry is untrusted: imported from shared-results")

    trust_stores([store])
    rows = _rows(path)
    assert rows["load_data"].state is rows["clean"].state is RunState.CACHED
    assert rows["clean"].note == ""


def test_an_altered_entry_is_untrusted_and_says_so(tmp_path: Path) -> None:
    path = tmp_path / "pipeline.ipynb"
    shutil.copy(EXAMPLE, path)
    nb = load(path)
    store = CacheStore.for_notebook(path)
    fill_store(nb, store, ["load_data"])
    (key,) = store.keys()
    # someone rewrote the manifest after link-ls signed it
    manifest = store.entry_dir(key) / MANIFEST_NAME
    manifest.write_bytes(manifest.read_bytes().replace(b'"load_data"', b'"load_data" '))
    row = _rows(path)["load_data"]
    assert row.state is RunState.UNTRUSTED
    assert "altered" in row.note
