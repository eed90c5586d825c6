"""``link-ls export`` and ``link-ls import`` as a user runs them."""

from __future__ import annotations

import importlib
import json
import shutil
from pathlib import Path
from typing import Any

import nbformat
import pytest

from link_ls.exchange import schema
from link_ls.exchange.linkls_format import check_schema
from link_ls.notebook import load
from tests.exchange.exchange_nb import EXAMPLE, FIXTURES, ROOT, graph_of, run_cli


def test_export_whole_pipeline_to_stdout_matches_the_shipped_schema() -> None:
    proc = run_cli("export", str(EXAMPLE))
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    check_schema(data, "stdout")
    assert data["format"] == "link-ls/pipeline" and data["version"] == 1
    assert [c["name"] for c in data["components"]] == [
        *("load_data", "clean", "split", "features"),
        *("train", "baseline", "evaluate", "report"),
    ]
    assert [p["name"] for p in data["parameters"]] == ["n_samples", "noise", "seed"]
    assert data["notebook"]["kernelspec"]["name"] == "python3"
    assert "canvas" in data["components"][0]["metadata"]  # Link extras ride along
    assert "id" not in data["components"][0]["metadata"]["canvas"]


def test_export_import_round_trip_through_files(tmp_path: Path) -> None:
    out = tmp_path / "pipeline.json"
    proc = run_cli("export", str(EXAMPLE), "-o", str(out))
    assert proc.returncode == 0, proc.stderr
    assert "exported 8 components and 3 parameters" in proc.stdout
    new = tmp_path / "copy.ipynb"
    proc = run_cli("import", str(out), "--into", str(new))
    assert proc.returncode == 0, proc.stderr
    assert "imported 8 components into new notebook" in proc.stdout
    nbformat.validate(nbformat.read(new, as_version=nbformat.NO_CONVERT))
    raw = json.loads(new.read_text())
    assert (raw["nbformat"], raw["nbformat_minor"]) == (4, 5)
    copy, original = load(new), load(EXAMPLE)
    assert graph_of(copy) == graph_of(original)
    assert copy.parameters == original.parameters
    check = run_cli("check", str(new))
    assert "error" not in check.stdout.lower(), check.stdout


def test_links_file_imports_back_into_the_notebook_it_came_from(tmp_path: Path) -> None:
    # Link writes parameter values as Python-literal text ("400"); the notebook holds 400:
    # the same parameter, not a clash (found by the JupyterLab export/import test)
    nb = tmp_path / "pipeline.ipynb"
    shutil.copy(EXAMPLE, nb)
    out = tmp_path / "pipeline-link.json"
    assert run_cli("export", str(nb), "--format", "link", "-o", str(out)).returncode == 0
    assert json.loads(out.read_text())["parameters"][0]["value"] == "400"
    proc = run_cli("import", str(out), "--into", str(nb))
    assert proc.returncode == 0, proc.stderr
    assert "imported 8 components" in proc.stdout
    assert len(load(nb).components) == 16


def test_export_chosen_cell_with_ancestors_in_link_format(tmp_path: Path) -> None:
    out = tmp_path / "evaluate.json"
    proc = run_cli(
        "export", str(EXAMPLE), "--cell", "evaluate", "--with-ancestors", "--format", "link",
        "-o", str(out),
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    text = out.read_text()
    data = json.loads(text)
    assert text == json.dumps(data)  # as Link writes it: json.dumps defaults, no newline
    assert [e["component_name"] for e in data["components"]] == [
        *("load_data", "clean", "split"),
        *("features", "train", "baseline", "evaluate"),
    ]
    assert [p["name"] for p in data["parameters"]] == ["n_samples", "noise", "seed"]
    only = run_cli("export", str(EXAMPLE), "--cell", "evaluate", "#2")
    assert only.returncode == 0, only.stderr
    picked = json.loads(only.stdout)
    assert [c["name"] for c in picked["components"]] == ["load_data", "evaluate"]
    assert [e["name"] for e in picked["external"]] == ["features", "train", "baseline"]


def test_import_into_existing_after_a_cell_with_link_existing(tmp_path: Path) -> None:
    target = tmp_path / "pipeline.ipynb"
    shutil.copy(EXAMPLE, target)
    part = tmp_path / "evaluate.json"
    assert run_cli("export", str(EXAMPLE), "--cell", "evaluate", "-o", str(part)).returncode == 0
    proc = run_cli("import", str(part), "--into", str(target), "--after", "#1", "--link-existing")
    assert proc.returncode == 0, proc.stderr
    assert "evaluate_2 (renamed from evaluate) (new id)" in proc.stdout
    assert "linked to existing parent(s) features, train, baseline" in proc.stderr
    nb = load(target)
    assert nb.cells[1].name == "evaluate_2"
    assert nb.cells[1].canvas is not None
    assert [p.name for p in nb.cells[1].canvas.parents] == ["features", "train", "baseline"]


def test_import_json_report(tmp_path: Path) -> None:
    proc = run_cli(
        "import", str(FIXTURES / "link-export.json"), "--into", str(tmp_path / "n.ipynb"),
        "--format", "json",
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    assert report["created"] is True and report["insertAt"] == 0
    assert [c["name"] for c in report["components"]][:2] == ["Load iris data", "Define model"]
    assert report["dropped"] == []


def test_import_says_which_components_link_would_drop(tmp_path: Path) -> None:
    proc = run_cli("import", str(FIXTURES / "link-drops.json"), "--into", str(tmp_path / "n.ipynb"))
    assert proc.returncode == 0, proc.stderr
    assert "imported 2 components" in proc.stdout
    assert (
        "link-ls: warning: component #3 'code as lines' of the file not imported: "
        "cell_code is a list of lines, not one string (Link drops it too)"
    ) in proc.stderr
    assert proc.stderr.count("not imported") == 3


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["examples/plain.ipynb"], "no Link components to export"),
        ([str(EXAMPLE), "--cell", "#1"], "is not a component"),
        ([str(EXAMPLE), "--cell", "nope"], "no cell named 'nope'"),
        ([str(EXAMPLE), "-o", "/nonexistent-dir/x.json"], "does not exist"),
    ],
)
def test_export_refusals_are_one_line(args: list[str], fragment: str) -> None:
    proc = run_cli("export", *args, cwd=ROOT)
    assert proc.returncode == 2
    assert proc.stderr.startswith("link-ls: error: ") and fragment in proc.stderr, proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1


def test_shipped_schema_is_a_valid_json_schema_and_installed_as_package_data() -> None:
    validator: Any = importlib.import_module("jsonschema").Draft202012Validator
    validator.check_schema(schema())
    assert schema()["properties"]["format"] == {"const": "link-ls/pipeline"}
