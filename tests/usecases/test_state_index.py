"""component_states from an editor's in-memory index answers as from the store itself.

The server reads the components' states from :class:`link_ls.cache.index.StoreIndex`
(no manifest read per request); ``cache list`` and one-shot callers read the store.
Both go through one rule, so every state and note is the same: cached, untrusted with
where the entry came from, altered, signed by someone else, unusable, stale, never run.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from link_ls.cache import CacheStore, compute_keys, effective_parameters
from link_ls.cache.importer import import_cache
from link_ls.cache.index import CacheIndexes
from link_ls.cache.model import Unserialisable
from link_ls.cache.store import sign_folder
from link_ls.cache.trust import KEY_FILE_ENV, load_user_key
from link_ls.notebook import Notebook, load
from link_ls.pipeline import build
from link_ls.usecases.state import ComponentState, RunState, component_states
from tests.cache.entries import add_entry, colleague_archive, fill_store

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "pipeline.ipynb"
ARCHIVE = "shared-results.tar.gz"


@pytest.fixture(autouse=True)
def _own_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(KEY_FILE_ENV, str(tmp_path / "config" / "cache.key"))


def _both(nb: Notebook, store: CacheStore) -> list[ComponentState]:
    """The states through the index (made now) and from the store: asserted equal."""
    p = build(nb)
    assert nb.path is not None
    index = CacheIndexes().for_notebook(Path(nb.path))
    by_index = component_states(nb, index, p, {})
    assert by_index == component_states(nb, store, p, {})
    return by_index


def test_every_state_and_note_reads_the_same_through_the_index(tmp_path: Path) -> None:
    archive = colleague_archive(EXAMPLE, tmp_path, ["load_data", "clean", "split"], ARCHIVE)
    path = tmp_path / EXAMPLE.name
    shutil.copy(EXAMPLE, path)
    nb = load(path)
    store = CacheStore.for_notebook(path)
    import_cache(archive, store, nb)  # untrusted: no --trust
    keys = compute_keys(nb, build(nb), effective_parameters(nb))
    by_name = {nb.cells[i].name: (i, k) for i, k in keys.items()}
    # split's imported entry: signed by the colleague, and altered after this user signed
    i, key = by_name["split"]
    sign_folder(store.entry_dir(key), load_user_key(), b"other bytes")
    # the user's own entries: one cached, one that cannot be restored, one under an old key
    fill_store(nb, store, ["features"])
    i, key = by_name["train"]
    add_entry(
        store,
        key,
        str(nb.cells[i].node_id),
        "train",
        {},
        unserialisable=(Unserialisable("solver", "cannot pickle 'lock'"),),
    )
    i, _ = by_name["baseline"]
    add_entry(store, "0" * 64, str(nb.cells[i].node_id), "baseline", {"m": 1})  # type: ignore[arg-type]

    rows = {r.name: r for r in _both(nb, store)}
    for name in ("load_data", "clean"):
        assert rows[name].state is RunState.UNTRUSTED
        assert rows[name].trust == "unsigned"
        assert rows[name].note.startswith(f"imported from {ARCHIVE}"), rows[name].note
    assert (rows["split"].state, rows["split"].trust) == (RunState.UNTRUSTED, "altered")
    assert "altered" in rows["split"].note
    assert (rows["features"].state, rows["features"].trust) == (RunState.CACHED, "trusted")
    assert rows["train"].state is RunState.STALE
    assert rows["train"].note == "cannot serialise solver"
    assert rows["baseline"].state is RunState.STALE
    assert rows["baseline"].note == "1 entry under older keys"
    assert rows["evaluate"].state is RunState.NEVER_RUN


def test_before_the_first_run_makes_a_key_entries_read_untrusted_with_their_origin(
    tmp_path: Path,
) -> None:
    archive = colleague_archive(EXAMPLE, tmp_path, ["load_data"], ARCHIVE)
    path = tmp_path / EXAMPLE.name
    shutil.copy(EXAMPLE, path)
    nb = load(path)
    store = CacheStore.for_notebook(path)
    import_cache(archive, store, nb)
    key_file = tmp_path / "config" / "cache.key"
    key_file.unlink(missing_ok=True)

    index = CacheIndexes().for_notebook(path)
    row = component_states(nb, index, build(nb), {})[0]
    assert not key_file.exists()  # an editor never makes the user's key
    assert (row.name, row.state, row.trust) == ("load_data", RunState.UNTRUSTED, "unsigned")
    assert row.note.startswith(f"imported from {ARCHIVE}"), row.note
    # as `cache list` says (which makes the key)
    assert component_states(nb, store, build(nb), {})[0] == row
    assert key_file.exists()
    index.check()
    assert component_states(nb, index, build(nb), {})[0] == row
