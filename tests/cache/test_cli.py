"""``link-ls cache list|export|import|clear`` through the real command line."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from link_ls.cache import CacheStore
from link_ls.notebook import load, save
from tests.cache.entries import copy_fixture, fill_store, tree
from tests.conftest import run_link_ls


def _cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return run_link_ls("cache", *args, env=env, timeout=120)


def _states(nb_path: Path, *extra: str) -> dict[str, tuple[str, int]]:
    done = _cli("list", str(nb_path), "--format", "json", *extra)
    assert done.returncode == 0, done.stderr
    rows = json.loads(done.stdout)["components"]
    return {r["name"]: (r["state"], r["size"]) for r in rows}


def test_list_shows_valid_stale_and_missing_with_sizes(tmp_path: Path) -> None:
    nb_path = copy_fixture("diskcache-pipeline.ipynb", tmp_path)
    fill_store(load(nb_path), CacheStore.for_notebook(nb_path), ["load", "square", "total"])
    nb = load(nb_path)
    nb.set_source(next(c.index for c in nb.cells if c.name == "square"), "squares = data")
    save(nb)
    states = _states(nb_path)
    assert {n: s for n, (s, _) in states.items()} == {
        "load": "valid",
        "square": "stale",
        "total": "stale",
        "evens": "missing",
        "report": "missing",
    }
    assert states["load"][1] > 0 and states["evens"][1] == 0
    text = _cli("list", str(nb_path))
    assert text.returncode == 0 and "valid" in text.stdout and "stale" in text.stdout


def test_parameter_overrides_change_what_is_valid(tmp_path: Path) -> None:
    nb_path = copy_fixture("diskcache-pipeline.ipynb", tmp_path)
    fill_store(load(nb_path), CacheStore.for_notebook(nb_path), ["load"])
    assert _states(nb_path, "--param", "n=10")["load"][0] == "valid"
    assert _states(nb_path, "--param", "n=11")["load"][0] == "stale"


def test_export_import_clear_round_trip(tmp_path: Path) -> None:
    a = tmp_path / "a"
    b = tmp_path / "b"
    a.mkdir()
    b.mkdir()
    a_nb = copy_fixture("diskcache-pipeline.ipynb", a)
    b_nb = copy_fixture("diskcache-pipeline.ipynb", b)
    fill_store(load(a_nb), CacheStore.for_notebook(a_nb), ["load", "square"])
    out = tmp_path / "shared.tar.gz"
    done = _cli("export", str(a_nb), "-o", str(out), "--cell", "square")
    assert done.returncode == 0, done.stderr
    assert "wrote" in done.stdout and out.is_file()

    done = _cli("import", str(out), "--notebook", str(b_nb), "--format", "json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert [(c["name"], c["state"]) for c in report["components"]] == [("square", "valid")]
    assert _states(b_nb)["square"][0] == "valid"

    done = _cli("clear", str(b_nb))
    assert done.returncode == 0 and "removed 1 cache entries" in done.stdout
    assert _states(b_nb)["square"][0] == "missing"


def test_cache_dir_option_and_environment_variable(tmp_path: Path) -> None:
    nb_path = copy_fixture("diskcache-pipeline.ipynb", tmp_path)
    elsewhere = tmp_path / "elsewhere"
    fill_store(load(nb_path), CacheStore(elsewhere, nb_path.name), ["load"])
    assert _states(nb_path)["load"][0] == "missing"
    assert _states(nb_path, "--cache-dir", str(elsewhere))["load"][0] == "valid"
    done = _cli("list", str(nb_path), "--format", "json", env={"LINK_LS_CACHE_DIR": str(elsewhere)})
    assert json.loads(done.stdout)["components"][0]["state"] == "valid"


def test_bad_input_is_one_line_exit_2_and_writes_nothing(tmp_path: Path) -> None:
    nb_path = copy_fixture("diskcache-pipeline.ipynb", tmp_path)
    store = CacheStore.for_notebook(nb_path)
    cases = [
        (("export", str(nb_path), "-o", str(tmp_path / "x.tar.gz")), "nothing to export"),
        (("export", str(nb_path), "-o", str(tmp_path / "x.tar.gz"), "--cell", "nope"), "nope"),
        (("import", str(tmp_path / "missing.tar.gz"), "--notebook", str(nb_path)), "no such"),
        (("list", str(tmp_path / "missing.ipynb")), "missing.ipynb"),
        (("list", str(nb_path), "--param", "zzz=1"), "zzz"),
        (("export", str(nb_path), "-o", str(tmp_path / "no" / "x.tar.gz")), ""),
    ]
    for args, needle in cases:
        done = _cli(*args)
        lines = done.stderr.strip().splitlines()
        assert done.returncode == 2, (args, done.stderr)
        assert len(lines) == 1 and lines[0].startswith("link-ls: error: "), done.stderr
        assert needle in lines[0]
    assert tree(store.root) == {}
    assert not (tmp_path / "x.tar.gz").exists()
