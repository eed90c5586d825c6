"""Cache archives both ways against the real Link 2.7.0: Link's export is restored by
`link-ls run`, and Link's own import accepts and restores `link-ls cache export --format link`.

Link reads and writes its cache archive only in its Jupyter server extension and kernel
magics, so `tests/fixtures/cache/link/link_driver.py` starts Link's jupyter server and
drives a kernel exactly as Link's JupyterLab front end does (see its docstring).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path
from typing import Any

import pytest

from tests.link.conftest import RealLink

LINK_FIXTURES = Path(__file__).parents[1] / "fixtures" / "cache" / "link"
NB = "pipeline.ipynb"
CACHED = {"load", "square", "total", "evens"}
REPORT = "report: total=285 evens=5 root=16.882\n"


def _driver(real_link: RealLink, *args: str) -> dict[str, Any]:
    code = (
        "import sys; sys.path.insert(0, sys.argv[1]); import link_driver; "
        "sys.exit(link_driver.main(sys.argv[2:]))"
    )
    out = real_link.run_python(code, str(LINK_FIXTURES), *args, timeout=300)
    result: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
    return result


def _link_ls(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "link_ls", *args],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=cwd,
    )


def _notebook(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(LINK_FIXTURES / NB, folder / NB)
    return folder / NB


def _run_report(nb_path: Path) -> tuple[str, str]:
    """`link-ls run` the notebook; its stdout, and the outputs of the executed notebook."""
    out = nb_path.with_name("out.ipynb")
    done = _link_ls("run", str(nb_path), "-o", str(out), cwd=nb_path.parent)
    assert done.returncode == 0, done.stdout + done.stderr
    cells = json.loads(out.read_text())["cells"]
    texts = {
        c["metadata"]["canvas"]["name"]: "".join(
            "".join(o.get("text", [])) for o in c["outputs"] if o["output_type"] == "stream"
        )
        for c in cells
    }
    return done.stdout, texts["report"]


@pytest.fixture(scope="session")
def link_export(real_link: RealLink, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Link runs the pipeline with disk cache and exports its archive (its own server handler)."""
    folder = tmp_path_factory.mktemp("link-export")
    nb_path = _notebook(folder)
    archive = folder / "pipeline-diskcache.tar.gz"
    result = _driver(real_link, "export", str(nb_path), str(archive))
    assert result["content_disposition"].endswith("filename=pipeline-diskcache.tar.gz")
    cached = {s["name"] for s in result["statuses"].values() if s["diskcache"] == "cached"}
    assert cached == CACHED
    return archive


def test_links_archive_has_the_layout_of_the_committed_fixture(link_export: Path) -> None:
    def shape(path: Path) -> tuple[list[str], dict[str, Any]]:
        with tarfile.open(path) as tar:
            names = [n for n in tar.getnames() if not n.endswith(".val") and n.count("/") < 3]
            f = tar.extractfile("pipeline.json")
            assert f is not None
            pipeline = json.load(f)
        for c in pipeline.values():
            c.pop("component_cache_dir")  # an absolute path on the machine that made it
        return sorted(names), pipeline

    fresh_names, fresh = shape(link_export)
    fixture_names, fixture = shape(LINK_FIXTURES / "pipeline-diskcache.tar.gz")
    assert fresh == fixture
    assert [n for n in fresh_names if n.count("/") < 2] == [
        n for n in fixture_names if n.count("/") < 2
    ]


def test_link_ls_run_restores_links_cache(link_export: Path, tmp_path: Path) -> None:
    nb_path = _notebook(tmp_path)
    done = _link_ls(
        "cache", "import", str(link_export), "--notebook", str(nb_path), "--format", "json",
        cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    rows = {r["name"]: r["state"] for r in json.loads(done.stdout)["components"]}
    assert rows == dict.fromkeys(CACHED, "imported")
    stdout, report = _run_report(nb_path)
    assert "1 executed, 4 restored" in stdout
    # `report` executes with the values Link computed (root needs Link's `math` module too)
    assert report == REPORT
    assert not (tmp_path / "runs.log").exists()  # `square` logs each real execution


@pytest.fixture(scope="session")
def link_ls_export(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """link-ls runs the pipeline (real ipykernel) and exports its cache in Link's layout."""
    folder = tmp_path_factory.mktemp("link-ls-export")
    nb_path = _notebook(folder)
    stdout, report = _run_report(nb_path)
    assert "5 executed" in stdout and report == REPORT
    archive = folder / "pipeline-diskcache.tar.gz"
    done = _link_ls(
        "cache", "export", str(nb_path), "--format", "link", "-o", str(archive), cwd=folder
    )
    assert done.returncode == 0, done.stderr
    return archive


def test_links_import_accepts_and_restores_link_ls_archive(
    real_link: RealLink, link_ls_export: Path, tmp_path: Path
) -> None:
    nb_path = _notebook(tmp_path)
    result = _driver(
        real_link, "import", str(nb_path), str(link_ls_export), "total", "evens", "root", "math"
    )
    assert (result["http_status"], result["message"]) == (200, "Success.")
    after = {s["name"]: (s["status"], s["diskcache"]) for s in result["after_import"].values()}
    # restored by Link before anything ran
    assert after == {
        **dict.fromkeys(CACHED, ("successful", "cached")),
        "report": ("invalid", "uncached"),
    }
    values = result["values"]
    assert (values["total"], values["evens"], values["root"]) == (
        "285",
        "[0, 2, 4, 6, 8]",
        "16.881943016134134",
    )
    assert values["math"].startswith("<module 'math'")
    # running the rest executes only `report`, on top of the restored components
    final = {s["name"]: s["status"] for s in result["after_run"].values()}
    assert final == dict.fromkeys([*CACHED, "report"], "successful")
    assert not (tmp_path / "runs.log").exists()  # Link's kernel runs in the notebook's folder


def test_links_import_checks_our_archive_against_its_pipeline(
    real_link: RealLink, link_ls_export: Path, tmp_path: Path
) -> None:
    nb_path = _notebook(tmp_path)
    data = json.loads(nb_path.read_text())
    cell = next(c for c in data["cells"] if c["metadata"]["canvas"]["name"] == "total")
    cell["source"] = ["total = sum(squares) + 1\n", "root = 0\n"]
    nb_path.write_text(json.dumps(data))
    result = _driver(real_link, "import", str(nb_path), str(link_ls_export))
    assert result["http_status"] == 400
    assert result["message"] == "Hint: The component\u2019s code has changed."
    assert all(s["diskcache"] == "uncached" for s in result["after_import"].values())
    assert (tmp_path / "runs.log").read_text() == "square\n"  # so Link ran it itself
