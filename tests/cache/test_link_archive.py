"""Link's cache archive (``<stem>-diskcache.tar.gz``) both ways, without the Link venv.

``tests/fixtures/cache/link/pipeline-diskcache.tar.gz`` was exported by the real
Link 2.7.0 from ``pipeline.ipynb`` (``link_driver.py export`` in that folder); the
tests against the live package are in ``tests/link/test_cache_archives.py``.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import diskcache
import pytest

from link_ls.cache import CacheOptions, CacheStore
from link_ls.cache.archive import ImportLimits
from link_ls.cache.errors import ArchiveError
from link_ls.cache.link_archive import import_link_cache, same_code
from link_ls.cache.link_export import export_link_cache
from link_ls.cache.runner import PipelineStepCache
from link_ls.kernel import KernelSession
from link_ls.kernel.report import RunReport
from link_ls.kernel.runner import run_plan
from link_ls.notebook import load, save
from link_ls.pipeline import build, plan_all
from tests.cache.entries import FIXTURES, tree
from tests.conftest import run_link_ls

LINK = FIXTURES / "link"
ARCHIVE = LINK / "pipeline-diskcache.tar.gz"
NB = "pipeline.ipynb"
IDS = {
    "load": "f6606f4b-d1cd-5ce2-8b78-e8d49f94285f",
    "square": "deda784f-4ff7-5951-b5b3-879741a6201d",
    "total": "ca0baa27-e7c4-5e2e-a144-7beee289ddfd",
    "evens": "2bfebead-01da-5d9b-8087-87416ed40234",
}


def _notebook(folder: Path, edit: Callable[[dict[str, Any]], None] | None = None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    dest = folder / NB
    shutil.copy(LINK / NB, dest)
    if edit is not None:
        data = json.loads(dest.read_text())
        edit(data)
        dest.write_text(json.dumps(data))
    return dest


def _set_source(name: str, source: str) -> Callable[[dict[str, Any]], None]:
    def edit(nb: dict[str, Any]) -> None:
        cell = next(c for c in nb["cells"] if c["metadata"]["canvas"]["name"] == name)
        cell["source"] = source

    return edit


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return run_link_ls("cache", *args, timeout=120)


def _run_all(nb_path: Path) -> RunReport:
    nb = load(nb_path)
    cache = PipelineStepCache(CacheStore.for_notebook(nb_path), CacheOptions())
    session = KernelSession(cwd=nb_path.parent)
    try:
        return run_plan(session, nb, plan_all(build(nb)), cache=cache, timeout=120)
    finally:
        session.shutdown()


def _statuses(report: RunReport) -> dict[str, str]:
    return {r.step.name: r.status.value for r in report.steps}


def _text(report: RunReport, name: str) -> str:
    step = next(r for r in report.steps if r.step.name == name)
    return "".join(str(o.get("text", "")) for o in step.outputs)


# -- Link -> link-ls ----------------------------------------------------------------


def test_links_archive_is_imported_and_a_run_restores_instead_of_executing(tmp_path: Path) -> None:
    nb_path = _notebook(tmp_path)
    done = _cli("import", str(ARCHIVE), "--notebook", str(nb_path), "--format", "json")
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    rows = {r["name"]: r["state"] for r in result["components"]}
    assert rows == {n: "imported" for n in IDS}
    assert result["trusted"] is False
    assert result["origin"]["archive"] == ARCHIVE.name and result["origin"]["format"] == "link"
    assert result["origin"]["creator"] == "root"  # Link's tar records who made it

    # untrusted: the run executes everything and says why, naming where the cache came from
    untrusted = _run_all(nb_path)
    assert set(_statuses(untrusted).values()) == {"executed"}
    assert untrusted.cache is not None
    assert {u["name"] for u in untrusted.cache["untrusted"]} == set(IDS)
    assert untrusted.cache["trustCommand"][:3] == ["link-ls", "cache", "trust"]
    note = untrusted.cache["notes"][0]
    assert note.startswith("4 cached components are untrusted (imported from Link archive ")
    assert ARCHIVE.name in note and "link-ls cache trust" in note
    (tmp_path / "runs.log").unlink()

    trusted = _cli("trust", str(nb_path))
    assert trusted.returncode == 0, trusted.stderr
    assert "trusted 4 entries" in trusted.stdout and ARCHIVE.name in trusted.stdout

    report = _run_all(nb_path)
    assert _statuses(report) == {
        "load": "restored",
        "square": "restored",
        "total": "restored",
        "evens": "restored",
        "report": "executed",
    }
    # the values Link computed, including a module (Link's module_statements), a
    # string stored as a diskcache file and a pickled list stored as a file
    assert _text(report, "report") == "report: total=285 evens=5 root=16.882\n"
    assert _text(report, "load") == "loaded 10\n"
    assert not (tmp_path / "runs.log").exists()  # `square` records each real execution


def test_text_report_names_what_was_imported(tmp_path: Path) -> None:
    nb_path = _notebook(tmp_path)
    done = _cli("import", str(ARCHIVE), "--notebook", str(nb_path))
    assert done.returncode == 0, done.stderr
    assert "imported 4 of 4 components of Link's cache" in done.stdout
    for name in IDS:
        assert name in done.stdout


def test_changed_code_everywhere_is_one_line_exit_2_and_no_store(tmp_path: Path) -> None:
    nb_path = _notebook(tmp_path, _set_source("load", "import math\ndata = list(range(n + 1))\n"))
    done = _cli("import", str(ARCHIVE), "--notebook", str(nb_path))
    lines = done.stderr.strip().splitlines()
    assert done.returncode == 2, done.stderr
    assert len(lines) == 1 and str(ARCHIVE) in lines[0]
    assert "component 'load': code has changed" in lines[0]
    assert not (tmp_path / ".link_ls").exists()


def test_a_changed_component_is_reported_and_the_others_imported(tmp_path: Path) -> None:
    nb_path = _notebook(tmp_path, _set_source("total", "total = sum(squares) * 2\nroot = 0\n"))
    done = _cli("import", str(ARCHIVE), "--notebook", str(nb_path), "--format", "json")
    assert done.returncode == 0, done.stderr
    rows = {r["name"]: r["state"] for r in json.loads(done.stdout)["components"]}
    assert rows == {
        "load": "imported",
        "square": "imported",
        "evens": "imported",
        "total": "changed code",
    }


def test_changed_parents_and_missing_parents_are_reported(tmp_path: Path) -> None:
    def rewire(nb: dict[str, Any]) -> None:
        evens = next(c for c in nb["cells"] if c["metadata"]["canvas"]["name"] == "evens")
        evens["metadata"]["canvas"]["parents"] = []
        evens["source"] = "data = list(range(n))\n" + "".join(evens["source"])

    nb_path = _notebook(tmp_path, rewire)
    nb = load(nb_path)
    report = import_link_cache(ARCHIVE, CacheStore.for_notebook(nb_path), nb)
    states = {r.name: r.state for r in report.rows}
    assert states["evens"] == "changed code"

    nb_path = _notebook(tmp_path / "b")
    data = json.loads(nb_path.read_text())
    next(c for c in data["cells"] if c["metadata"]["canvas"]["name"] == "evens")["metadata"][
        "canvas"
    ]["parents"] = []
    nb_path.write_text(json.dumps(data))
    report = import_link_cache(ARCHIVE, CacheStore.for_notebook(nb_path), load(nb_path))
    assert {r.name: r.state for r in report.rows}["evens"] == "changed parents"

    # an archive without `load`: its children cannot be checked against it
    without = tmp_path / "without-load.tar.gz"
    _repack(ARCHIVE, without, drop=f"component-{IDS['load']}")
    nb_path = _notebook(tmp_path / "c")
    with pytest.raises(ArchiveError, match="nothing could be imported"):
        import_link_cache(without, CacheStore.for_notebook(nb_path), load(nb_path))
    assert not (tmp_path / "c" / ".link_ls").exists()


def test_unknown_components_and_unrelated_notebooks(tmp_path: Path) -> None:
    other = tmp_path / "other.ipynb"
    shutil.copy(FIXTURES / "diskcache-pipeline.ipynb", other)
    done = _cli("import", str(ARCHIVE), "--notebook", str(other))
    assert done.returncode == 2
    assert "none of its components is in other.ipynb" in done.stderr


def test_code_is_compared_like_link_does(tmp_path: Path) -> None:
    # Link formats both sides with black: layout and quotes do not count, comments do
    assert same_code('x = f( 1 )\nprint("a")', "x = f(1)\nprint('a')\n")
    assert not same_code("x = 1", "# note\nx = 1")
    assert not same_code("x = 1", "x = 2")
    assert same_code("%time x = 1\n", "%time x = 1")


# -- link-ls -> Link ----------------------------------------------------------------


@pytest.fixture(scope="module")
def ran_notebook(tmp_path_factory: pytest.TempPathFactory) -> Path:
    nb_path = _notebook(tmp_path_factory.mktemp("ran"))
    report = _run_all(nb_path)
    assert set(_statuses(report).values()) == {"executed"}
    assert (nb_path.parent / "runs.log").read_text() == "square\n"
    return nb_path


def test_export_writes_links_layout_through_diskcache(ran_notebook: Path, tmp_path: Path) -> None:
    out = tmp_path / "pipeline-diskcache.tar.gz"
    done = _cli("export", str(ran_notebook), "--format", "link", "-o", str(out), "--json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert {c["name"] for c in report["components"]} == set(IDS)
    assert report["left_out"] == ["report"]  # not cached (diskcache: false)

    with tarfile.open(out) as tar:
        names = tar.getnames()
        tar.extractall(tmp_path / "x", filter="data")
    assert names[0] == "pipeline.json"
    root = tmp_path / "x"
    pipeline = json.loads((root / "pipeline.json").read_text())
    order = list(pipeline)
    assert set(order) == set(IDS.values())
    assert all(order.index(p) < order.index(c) for c in order for p in pipeline[c]["parent_ids"])
    total = pipeline[IDS["total"]]
    assert total["parent_ids"] == [IDS["square"]]
    assert set(total) == {
        "component_name",
        "component_metadata",
        "component_cell_code",
        "component_cache_dir",
        "execution_status",
        "parent_ids",
    }
    nb = load(ran_notebook)
    source = next(c.source for c in nb.cells if c.name == "total")
    assert total["component_cell_code"] == source
    with diskcache.Cache(str(root / f"component-{IDS['total']}")) as main:
        assert main["status"] == "cached"
        assert main["identifier"] == IDS["total"]
        assert main["code"] == source
        assert main["captured"][0] == {"type": "stream", "name": "stdout", "text": "total 285\n"}
    with diskcache.Cache(str(root / f"component-{IDS['total']}" / "non_module_outputs")) as nmo:
        # like Link: everything visible after the component, its ancestors' names too
        assert {"data", "squares", "total", "root", "big", "blob", "math"} <= set(nmo)
        assert nmo["total"] == 285 and nmo["big"] == "x" * 40000


def test_own_link_export_imports_back_and_restores(ran_notebook: Path, tmp_path: Path) -> None:
    out = tmp_path / "pipeline-diskcache.tar.gz"
    nb = load(ran_notebook)
    export_link_cache(nb, CacheStore.for_notebook(ran_notebook), out)
    b = _notebook(tmp_path / "b")
    report = import_link_cache(out, CacheStore.for_notebook(b), load(b), trust=True)
    assert {r.name for r in report.imported} == set(IDS)
    run = _run_all(b)
    assert _statuses(run)["total"] == "restored"
    assert not (tmp_path / "b" / "runs.log").exists()
    assert _text(run, "report") == "report: total=285 evens=5 root=16.882\n"


def test_export_needs_a_pipeline_and_valid_entries(tmp_path: Path) -> None:
    nb_path = _notebook(tmp_path)
    done = _cli("export", str(nb_path), "--format", "link", "-o", str(tmp_path / "x.tar.gz"))
    assert done.returncode == 2 and "nothing to export" in done.stderr
    plain = tmp_path / "plain-chain.ipynb"
    shutil.copy(FIXTURES / "plain-chain.ipynb", plain)
    done = _cli("export", str(plain), "--format", "link", "-o", str(tmp_path / "y.tar.gz"))
    assert done.returncode == 2 and "pipeline notebook" in done.stderr


# -- hostile Link archives ----------------------------------------------------------


def _members(src: Path) -> list[tuple[tarfile.TarInfo, bytes | None]]:
    out: list[tuple[tarfile.TarInfo, bytes | None]] = []
    with tarfile.open(src) as tar:
        for m in tar.getmembers():
            f = tar.extractfile(m) if m.isreg() else None
            out.append((m, f.read() if f else None))
    return out


def _write(dest: Path, members: list[tuple[tarfile.TarInfo, bytes | None]]) -> Path:
    with tarfile.open(dest, "w:gz") as tar:
        for info, data in members:
            tar.addfile(info, io.BytesIO(data) if data is not None else None)
    return dest


def _repack(src: Path, dest: Path, drop: str) -> None:
    ms = [(m, d) for m, d in _members(src) if not m.name.startswith(drop)]
    first = ms[0][1]
    assert first is not None
    pipeline = json.loads(first)
    pipeline.pop(drop.removeprefix("component-"), None)
    raw = json.dumps(pipeline).encode()
    info = tarfile.TarInfo("pipeline.json")
    info.size = len(raw)
    _write(dest, [(info, raw), *ms[1:]])


def _add(name: str, data: bytes = b"x", kind: bytes = tarfile.REGTYPE, link: str = "") -> Any:
    def change(ms: list[tuple[tarfile.TarInfo, bytes | None]]) -> Any:
        info = tarfile.TarInfo(name)
        info.type = kind
        info.linkname = link
        info.size = len(data) if kind == tarfile.REGTYPE else 0
        return [*ms, (info, data if kind == tarfile.REGTYPE else None)]

    return change


def _edit_db(sql: str) -> Any:
    """Change the load component's non_module_outputs/cache.db with SQL statements."""
    name = f"component-{IDS['load']}/non_module_outputs/cache.db"

    def change(ms: list[tuple[tarfile.TarInfo, bytes | None]], tmp: Path) -> Any:
        i = next(i for i, (m, _) in enumerate(ms) if m.name == name)
        db = tmp / "edit.db"
        data = ms[i][1]
        assert data is not None
        db.write_bytes(data)
        con = sqlite3.connect(db)
        con.executescript(sql)
        con.commit()
        con.close()
        raw = db.read_bytes()
        info = tarfile.TarInfo(name)
        info.size = len(raw)
        return [*ms[:i], (info, raw), *ms[i + 1 :]]

    return change


HOSTILE: dict[str, tuple[Any, str]] = {
    "traversal": (_add(f"component-{IDS['load']}/../../evil.py"), "'..'"),
    "absolute": (_add("/tmp/evil.py"), "absolute path"),
    "symlink": (
        _add(f"component-{IDS['load']}/cache.db.lnk", kind=tarfile.SYMTYPE, link="/etc/passwd"),
        "symbolic link",
    ),
    "hard link": (
        _add(f"component-{IDS['load']}/x", kind=tarfile.LNKTYPE, link="pipeline.json"),
        "hard link",
    ),
    "device": (_add(f"component-{IDS['load']}/dev", kind=tarfile.CHRTYPE), "device"),
    "foreign member": (_add("evil.py"), "not part of Link's cache layout"),
    "row points outside": (
        _edit_db("UPDATE Cache SET filename = '../../../../etc/passwd', value = NULL, mode = 4"),
        "unexpected file",
    ),
    "pragma injection": (
        _edit_db("INSERT INTO Settings VALUES ('sqlite_evil', 1)"),
        "unknown diskcache setting",
    ),
    "foreign trigger": (
        _edit_db("CREATE TRIGGER evil AFTER UPDATE ON Settings BEGIN DELETE FROM Cache; END"),
        "trigger 'evil' that diskcache does not make",
    ),
    "replaced trigger": (
        _edit_db(
            "DROP TRIGGER Settings_count_insert; CREATE TRIGGER Settings_count_insert AFTER "
            "INSERT ON Cache FOR EACH ROW BEGIN DELETE FROM Cache; END"
        ),
        "trigger 'Settings_count_insert' that diskcache does not make",
    ),
}


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_hostile_link_archives_are_refused_and_nothing_written(case: str, tmp_path: Path) -> None:
    change, needle = HOSTILE[case]
    ms = _members(ARCHIVE)
    try:
        ms = change(ms)
    except TypeError:
        ms = change(ms, tmp_path)
    bad = _write(tmp_path / "bad.tar.gz", ms)
    nb_path = _notebook(tmp_path / "nb")
    done = _cli("import", str(bad), "--notebook", str(nb_path))
    lines = done.stderr.strip().splitlines()
    assert done.returncode == 2, done.stdout
    assert len(lines) == 1 and needle in lines[0], lines
    assert tree(tmp_path / "nb" / ".link_ls") == {}
    assert not Path("/tmp/evil.py").exists() and not (tmp_path / "evil.py").exists()


def test_size_bomb_is_refused(tmp_path: Path) -> None:
    nb_path = _notebook(tmp_path)
    limits = ImportLimits(max_member_size=40_000, max_total_size=1 << 30)
    with pytest.raises(ArchiveError, match="over the limit"):
        import_link_cache(ARCHIVE, CacheStore.for_notebook(nb_path), load(nb_path), limits=limits)
    limits = ImportLimits(max_member_size=1 << 30, max_total_size=100_000)
    with pytest.raises(ArchiveError, match="in total"):
        import_link_cache(ARCHIVE, CacheStore.for_notebook(nb_path), load(nb_path), limits=limits)
    assert not (tmp_path / ".link_ls").exists()


def test_notebook_is_never_written(tmp_path: Path) -> None:
    nb_path = _notebook(tmp_path)
    before = nb_path.read_bytes()
    mtime = os.stat(nb_path).st_mtime_ns
    _cli("import", str(ARCHIVE), "--notebook", str(nb_path))
    assert nb_path.read_bytes() == before and os.stat(nb_path).st_mtime_ns == mtime
    save(load(nb_path))  # still a valid notebook


def test_module_statements_become_pickles_that_reimport_and_are_never_evaluated() -> None:
    import pickle

    from link_ls.cache.link_store import module_statement_pickle

    # what Link 2.7 writes for `import os.path as osp`
    data = module_statement_pickle("__import__('posixpath', fromlist=[''])")
    assert data is not None and pickle.loads(data) is os.path
    data = module_statement_pickle("getattr(__import__('os', fromlist=['']), 'path')")
    assert data is not None and pickle.loads(data) is os.path
    for odd in ("__import__('os').system('echo hi')", "eval('1')", "__import__(x)", "os"):
        assert module_statement_pickle(odd) is None
