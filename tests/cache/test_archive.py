"""Export then import: the identity on entries, the report per component, never an unpickle."""

from __future__ import annotations

import os
import tarfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from link_ls.cache import CacheStore
from link_ls.cache.errors import CacheError
from link_ls.cache.export import export_cache
from link_ls.cache.importer import import_cache
from link_ls.cache.keys import CacheKey
from link_ls.notebook import load
from tests.cache.entries import add_entry, copy_fixture, fill_store, tree


def _stores(tmp_path: Path) -> tuple[Path, CacheStore, CacheStore]:
    nb_path = copy_fixture("diskcache-pipeline.ipynb", tmp_path)
    a = CacheStore(tmp_path / "machine-a", nb_path.name)
    b = CacheStore(tmp_path / "machine-b", nb_path.name)
    return nb_path, a, b


def test_export_then_import_gives_back_the_same_entries(tmp_path: Path) -> None:
    nb_path, a, b = _stores(tmp_path)
    nb = load(nb_path)
    fill_store(nb, a)
    report = export_cache(nb, a, tmp_path / "c.tar.gz")
    assert [c.name for c in report.manifest.components] == [
        "load",
        "square",
        "total",
        "evens",
        "report",
    ]
    imported = import_cache(tmp_path / "c.tar.gz", b, nb)
    assert {c.state for c in imported.components} == {"valid"}
    assert tree(a.folder, data_only=True) == tree(b.folder, data_only=True)


def test_archive_has_a_top_level_manifest_first_and_nothing_unlisted(tmp_path: Path) -> None:
    nb_path, a, _ = _stores(tmp_path)
    nb = load(nb_path)
    fill_store(nb, a, ["load"])
    export_cache(nb, a, tmp_path / "c.tar.gz")
    with tarfile.open(tmp_path / "c.tar.gz") as tar:
        names = tar.getnames()
        assert all(m.isreg() for m in tar.getmembers())
    assert names[0] == "link-ls-cache.json"
    assert len(names) == 4  # manifest, entry manifest, outputs, one variable


def test_export_of_chosen_cells_only(tmp_path: Path) -> None:
    nb_path, a, _ = _stores(tmp_path)
    nb = load(nb_path)
    fill_store(nb, a)
    idx = [c.index for c in nb.cells if c.name in ("square", "evens")]
    report = export_cache(nb, a, tmp_path / "c.tar.gz", cells=idx)
    assert [c.name for c in report.manifest.components] == ["square", "evens"]


def test_export_refuses_a_cell_without_a_valid_entry_and_writes_nothing(tmp_path: Path) -> None:
    nb_path, a, _ = _stores(tmp_path)
    nb = load(nb_path)
    fill_store(nb, a, ["load"])
    square = next(c.index for c in nb.cells if c.name == "square")
    with pytest.raises(CacheError, match="square has no valid cache entry"):
        export_cache(nb, a, tmp_path / "c.tar.gz", cells=[square])
    assert not (tmp_path / "c.tar.gz").exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".c.tar.gz")] == []


def test_export_reports_a_damaged_store_file(tmp_path: Path) -> None:
    nb_path, a, _ = _stores(tmp_path)
    nb = load(nb_path)
    keys = fill_store(nb, a, ["load"])
    pkl = a.entry_dir(CacheKey(keys["load"])) / "vars" / "000.pkl"
    pkl.write_bytes(pkl.read_bytes()[:-1] + b"!")
    with pytest.raises(CacheError, match="damaged cache entry for load"):
        export_cache(nb, a, tmp_path / "c.tar.gz")


def test_import_reports_valid_stale_and_unknown_for_the_target_notebook(tmp_path: Path) -> None:
    nb_path, a, b = _stores(tmp_path)
    fill_store(load(nb_path), a)
    export_cache(load(nb_path), a, tmp_path / "c.tar.gz")
    edited = load(nb_path)
    total = next(c.index for c in edited.cells if c.name == "total")
    edited.set_source(total, "total = sum(squares) + 1")
    # a component the colleague's notebook does not have at all (other id, other code)
    evens = next(c.index for c in edited.cells if c.name == "evens")
    edited.raw_cells[evens]["metadata"]["canvas"]["id"] = "00000000-0000-4000-8000-000000000000"
    edited.set_source(evens, "evens = data[::2]")
    report = import_cache(tmp_path / "c.tar.gz", b, edited)
    states = {c.name: c.state for c in report.components}
    assert states == {
        "load": "valid",
        "square": "valid",
        "total": "stale",
        "evens": "unknown",
        "report": "stale",
    }


def test_import_never_unpickles(tmp_path: Path) -> None:
    nb_path, a, b = _stores(tmp_path)
    nb = load(nb_path)
    canary = tmp_path / "pwned"

    class Boom:
        def __reduce__(self) -> tuple[object, tuple[str]]:
            return (os.system, (f"touch {canary}",))

    from link_ls.cache.keys import compute_keys

    idx, key = next(iter(compute_keys(nb).items()))
    add_entry(a, key, str(nb.cells[idx].node_id), nb.cells[idx].name, {"boom": Boom()})
    export_cache(nb, a, tmp_path / "c.tar.gz")
    import_cache(tmp_path / "c.tar.gz", b, nb)
    assert b.usable(key) is not None
    assert not canary.exists()


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    values=st.dictionaries(
        st.from_regex(r"[a-z][a-z0-9_]{0,8}", fullmatch=True),
        st.one_of(st.binary(max_size=200), st.integers(), st.text(max_size=50)),
        min_size=1,
        max_size=5,
    )
)
def test_export_import_is_the_identity_for_any_variables(
    tmp_path_factory: pytest.TempPathFactory, values: dict[str, object]
) -> None:
    tmp = tmp_path_factory.mktemp("prop")
    nb_path, a, b = _stores(tmp)
    nb = load(nb_path)
    from link_ls.cache.keys import compute_keys

    for idx, key in compute_keys(nb).items():
        add_entry(a, key, str(nb.cells[idx].node_id), nb.cells[idx].name, values)
    export_cache(nb, a, tmp / "c.tar.gz")
    import_cache(tmp / "c.tar.gz", b, nb)
    assert tree(a.folder, data_only=True) == tree(b.folder, data_only=True)
